//! Assembler for the device programs, refusing what the hardware does not
//! support (moves into read-only spaces, partial engine registers, engine
//! constant registers, reads of SHA beyond the digest).

use super::isa::{At, DevInstr, Space};
use crate::isa::{Reg, FIRST_CONST};
use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

/// Number of device program words the ROM holds.
pub const ROM_WORDS: usize = 256;

/// Address helpers.
pub mod at {
    use super::*;
    /// A request payload byte.
    pub const fn rx(addr: u16) -> At {
        At {
            space: Space::Rx,
            rel: false,
            addr,
        }
    }
    /// A response payload byte.
    pub const fn tx(addr: u16) -> At {
        At {
            space: Space::Tx,
            rel: false,
            addr,
        }
    }
    /// A slot-memory byte.
    pub const fn slot(addr: u16) -> At {
        At {
            space: Space::Slot,
            rel: false,
            addr,
        }
    }
    /// A byte of the current slot's record.
    pub const fn record(offset: u16) -> At {
        At {
            space: Space::Slot,
            rel: true,
            addr: offset,
        }
    }
    /// A constant ROM byte.
    pub const fn konst(addr: u16) -> At {
        At {
            space: Space::Const,
            rel: false,
            addr,
        }
    }
    /// An engine register.
    pub const fn eng(r: Reg) -> At {
        At {
            space: Space::Eng,
            rel: false,
            addr: r.0 as u16 * 32,
        }
    }
    /// The SHA unit.
    pub const SHA: At = At {
        space: Space::Sha,
        rel: false,
        addr: 0,
    };
    /// The raw random source.
    pub const RAW: At = At {
        space: Space::Raw,
        rel: false,
        addr: 0,
    };
}

/// A device assembly error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DevAsmError {
    /// An instruction the hardware does not support.
    Unsupported {
        /// Its index.
        at: usize,
        /// Why.
        why: &'static str,
    },
    /// A label is used but not defined.
    UndefinedLabel(String),
    /// A label is defined twice.
    DuplicateLabel(String),
    /// The program does not fit the ROM.
    TooLong(usize),
}

impl fmt::Display for DevAsmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DevAsmError::Unsupported { at, why } => write!(f, "instruction {at}: {why}"),
            DevAsmError::UndefinedLabel(l) => write!(f, "undefined label {l}"),
            DevAsmError::DuplicateLabel(l) => write!(f, "label {l} defined twice"),
            DevAsmError::TooLong(n) => write!(f, "{n} words do not fit the ROM"),
        }
    }
}

#[derive(Clone)]
enum Branch {
    Jmp,
    IfCmd(u8),
    Retry(u8, String),
    OnErr,
}

enum Item {
    Fixed(DevInstr),
    Branch(Branch, String),
}

/// An assembled device program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DevProgram {
    /// Instructions by address.
    pub instrs: Vec<DevInstr>,
    /// Encodings (the ROM contents).
    pub words: Vec<u64>,
    /// Labels.
    pub labels: BTreeMap<String, u16>,
}

/// The builder.
#[derive(Default)]
pub struct DevAsm {
    items: Vec<Item>,
    labels: BTreeMap<String, u16>,
    errors: Vec<DevAsmError>,
}

fn check_move(dst: At, src: At, len: u16) -> Result<(), &'static str> {
    if matches!(dst.space, Space::Rx | Space::Const | Space::Raw) {
        return Err("destination is read-only");
    }
    if src.space == Space::Sha && (src.addr as usize + len as usize) > 32 {
        return Err("the SHA digest has 32 bytes");
    }
    if dst.space == Space::Sha && src.space == Space::Sha {
        return Err("SHA to SHA");
    }
    if src.space == Space::Raw && !matches!(dst.space, Space::Sha) {
        return Err("raw bits go through SHA-256 conditioning");
    }
    for e in [dst, src] {
        if e.space == Space::Eng {
            if len != 32 || e.addr % 32 != 0 {
                return Err("engine registers move whole");
            }
            if e == dst && e.addr / 32 >= FIRST_CONST as u16 {
                return Err("engine constant registers are read-only");
            }
        }
        if e.rel && e.space != Space::Slot {
            return Err("only SLOT addresses are slot-relative");
        }
    }
    if dst.space == Space::Eng && src.space == Space::Eng {
        return Err("engine to engine (use the engine's COPY)");
    }
    Ok(())
}

impl DevAsm {
    /// An empty program.
    pub fn new() -> DevAsm {
        DevAsm::default()
    }

    fn push(&mut self, i: DevInstr) {
        let at = self.items.len();
        let check = match i {
            DevInstr::Move { dst, src, len } => check_move(dst, src, len),
            DevInstr::Cmp { a, b, .. } => {
                if a.space == b.space {
                    Err("CMP reads two different memories")
                } else if matches!(a.space, Space::Eng | Space::Raw)
                    || matches!(b.space, Space::Eng | Space::Raw)
                {
                    Err("CMP reads RAM-like spaces")
                } else {
                    Ok(())
                }
            }
            _ => Ok(()),
        };
        if let Err(why) = check {
            self.errors.push(DevAsmError::Unsupported { at, why });
        }
        self.items.push(Item::Fixed(i));
    }

    /// Defines a label here.
    pub fn label(&mut self, name: &str) {
        if self
            .labels
            .insert(name.to_string(), self.items.len() as u16)
            .is_some()
        {
            self.errors
                .push(DevAsmError::DuplicateLabel(name.to_string()));
        }
    }

    /// Any non-branch instruction.
    pub fn op(&mut self, i: DevInstr) {
        self.push(i);
    }

    /// Copy bytes.
    pub fn mov(&mut self, dst: At, src: At, len: u16) {
        self.push(DevInstr::Move { dst, src, len });
    }

    /// Finish with a status and reply length.
    pub fn done(&mut self, status: u8, len: u16) {
        self.push(DevInstr::Done { status, len });
    }

    /// Jump.
    pub fn jmp(&mut self, label: &str) {
        self.items
            .push(Item::Branch(Branch::Jmp, label.to_string()));
    }

    /// Jump if the command matches.
    pub fn if_cmd(&mut self, command: u8, label: &str) {
        self.items
            .push(Item::Branch(Branch::IfCmd(command), label.to_string()));
    }

    /// Retry at `label` while the engine raises `mask` and retries remain;
    /// then fail to `abort`.
    pub fn retry(&mut self, mask: u8, label: &str, abort: &str) {
        self.items.push(Item::Branch(
            Branch::Retry(mask, abort.to_string()),
            label.to_string(),
        ));
    }

    /// On an engine error, record its status and go to `exit`.
    pub fn on_err(&mut self, exit: &str) {
        self.items
            .push(Item::Branch(Branch::OnErr, exit.to_string()));
    }

    /// Resolves labels and encodes.
    pub fn finish(mut self) -> Result<DevProgram, DevAsmError> {
        if let Some(e) = self.errors.drain(..).next() {
            return Err(e);
        }
        if self.items.len() > ROM_WORDS {
            return Err(DevAsmError::TooLong(self.items.len()));
        }
        let mut instrs = Vec::with_capacity(self.items.len());
        for item in &self.items {
            instrs.push(match item {
                Item::Fixed(i) => *i,
                Item::Branch(kind, l) => {
                    let find = |l: &String| {
                        self.labels
                            .get(l)
                            .copied()
                            .ok_or_else(|| DevAsmError::UndefinedLabel(l.clone()))
                    };
                    let target = find(l)?;
                    match kind {
                        Branch::Jmp => DevInstr::Jmp { target },
                        Branch::IfCmd(command) => DevInstr::IfCmd {
                            command: *command,
                            target,
                        },
                        Branch::Retry(mask, abort) => DevInstr::Retry {
                            mask: *mask,
                            target,
                            abort: find(abort)?,
                        },
                        Branch::OnErr => DevInstr::OnErr { target },
                    }
                }
            });
        }
        let words = instrs.iter().map(DevInstr::encode).collect();
        Ok(DevProgram {
            instrs,
            words,
            labels: self.labels,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::at::*;
    use super::*;

    #[test]
    fn refuses_unsupported_moves() {
        for (dst, src, len) in [
            (rx(0), tx(0), 1),
            (eng(Reg(1)), slot(0), 16),
            (eng(Reg(21)), slot(0), 32),
            (tx(0), RAW, 8),
            (
                tx(0),
                At {
                    space: Space::Tx,
                    rel: true,
                    addr: 0,
                },
                1,
            ),
            (tx(0), SHA, 33),
        ] {
            let mut a = DevAsm::new();
            a.mov(dst, src, len);
            assert!(
                matches!(a.finish(), Err(DevAsmError::Unsupported { at: 0, .. })),
                "{dst:?} <- {src:?}"
            );
        }
    }

    #[test]
    fn resolves_labels() {
        let mut a = DevAsm::new();
        a.if_cmd(1, "x");
        a.label("x");
        a.retry(2, "x", "x");
        let p = a.finish().expect("assembles");
        assert_eq!(
            p.instrs[0],
            DevInstr::IfCmd {
                command: 1,
                target: 1
            }
        );
        assert_eq!(
            p.instrs[1],
            DevInstr::Retry {
                mask: 2,
                target: 1,
                abort: 1
            }
        );
    }
}
