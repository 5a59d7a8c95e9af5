//! A small assembler for the engine's microcode: a builder with labels that
//! refuses what the hardware would silently do wrong (writes to constant
//! registers, out-of-range counts, undefined or duplicate labels, programs
//! larger than the ROM).

use crate::field::Modulus;
use crate::isa::{Action, Cond, FlagMode, Instr, Reg, TestRhs, CNT_BITS, PC_BITS, REGS};
use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

/// An assembly error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AsmError {
    /// An instruction writes a constant register.
    WritesConstant {
        /// Index of the instruction.
        at: usize,
        /// The register.
        reg: u8,
    },
    /// A register number is 32 or more.
    BadRegister {
        /// Index of the instruction.
        at: usize,
        /// The register.
        reg: u8,
    },
    /// A SETCNT count does not fit the counter.
    CountTooLarge {
        /// Index of the instruction.
        at: usize,
        /// The count.
        n: u32,
    },
    /// A label is used but never defined.
    UndefinedLabel(String),
    /// A label is defined twice.
    DuplicateLabel(String),
    /// The program does not fit the microcode ROM.
    TooLong(usize),
}

impl fmt::Display for AsmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AsmError::WritesConstant { at, reg } => {
                write!(f, "instruction {at} writes constant register r{reg}")
            }
            AsmError::BadRegister { at, reg } => {
                write!(f, "instruction {at} names register r{reg}")
            }
            AsmError::CountTooLarge { at, n } => write!(f, "instruction {at}: count {n} too large"),
            AsmError::UndefinedLabel(l) => write!(f, "undefined label {l}"),
            AsmError::DuplicateLabel(l) => write!(f, "label {l} defined twice"),
            AsmError::TooLong(n) => write!(f, "{n} instructions do not fit the ROM"),
        }
    }
}

#[derive(Clone, Copy)]
enum Branch {
    Djnz,
    Jmp,
    Call,
}

enum Item {
    Instr(Instr),
    Branch(Branch, String),
}

/// Assembled microcode: instructions, their encodings and the labels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Program {
    /// The instructions, by address.
    pub instrs: Vec<Instr>,
    /// Their 32-bit encodings (the ROM contents).
    pub words: Vec<u32>,
    /// Label addresses.
    pub labels: BTreeMap<String, u16>,
}

impl Program {
    /// The address of a label.
    pub fn label(&self, name: &str) -> Option<u16> {
        self.labels.get(name).copied()
    }
}

/// The builder.
#[derive(Default)]
pub struct Asm {
    items: Vec<Item>,
    labels: BTreeMap<String, u16>,
    errors: Vec<AsmError>,
    fresh: u32,
}

impl Asm {
    /// An empty program.
    pub fn new() -> Asm {
        Asm::default()
    }

    /// The address of the next instruction.
    pub fn here(&self) -> u16 {
        self.items.len() as u16
    }

    /// Defines a label at the next instruction.
    pub fn label(&mut self, name: &str) {
        if self.labels.insert(name.to_string(), self.here()).is_some() {
            self.errors.push(AsmError::DuplicateLabel(name.to_string()));
        }
    }

    /// A label name no one else uses.
    pub fn fresh_label(&mut self, stem: &str) -> String {
        self.fresh += 1;
        alloc::format!(".{stem}{}", self.fresh)
    }

    fn check_reg(&mut self, r: Reg, written: bool) {
        let at = self.items.len();
        if r.0 as usize >= REGS {
            self.errors.push(AsmError::BadRegister { at, reg: r.0 });
        } else if written && r.is_const() {
            self.errors.push(AsmError::WritesConstant { at, reg: r.0 });
        }
    }

    /// Appends any instruction (branches should use the label forms).
    pub fn instr(&mut self, i: Instr) {
        match i {
            Instr::Mul { d, a, b, .. }
            | Instr::Add { d, a, b, .. }
            | Instr::Sub { d, a, b, .. } => {
                self.check_reg(d, true);
                self.check_reg(a, false);
                self.check_reg(b, false);
            }
            Instr::Copy { d, a } => {
                self.check_reg(d, true);
                self.check_reg(a, false);
            }
            Instr::Cswap { a, b } => {
                self.check_reg(a, true);
                self.check_reg(b, true);
            }
            Instr::Flag { k, .. } => self.check_reg(k, false),
            Instr::Test { a, b, .. } => {
                self.check_reg(a, false);
                if let TestRhs::Reg(b) = b {
                    self.check_reg(b, false);
                }
            }
            Instr::SetCnt { n } if n as u32 >= 1 << CNT_BITS => {
                let at = self.items.len();
                self.errors
                    .push(AsmError::CountTooLarge { at, n: n as u32 });
            }
            _ => {}
        }
        self.items.push(Item::Instr(i));
    }

    /// d = a b / R mod p.
    pub fn mul(&mut self, d: Reg, a: Reg, b: Reg) {
        self.instr(Instr::Mul {
            d,
            a,
            b,
            m: Modulus::P,
        });
    }
    /// d = a^2 / R mod p.
    pub fn sqr(&mut self, d: Reg, a: Reg) {
        self.mul(d, a, a);
    }
    /// d = a + b mod p.
    pub fn add(&mut self, d: Reg, a: Reg, b: Reg) {
        self.instr(Instr::Add {
            d,
            a,
            b,
            m: Modulus::P,
        });
    }
    /// d = a - b mod p.
    pub fn sub(&mut self, d: Reg, a: Reg, b: Reg) {
        self.instr(Instr::Sub {
            d,
            a,
            b,
            m: Modulus::P,
        });
    }
    /// d = a b / R mod n.
    pub fn mul_n(&mut self, d: Reg, a: Reg, b: Reg) {
        self.instr(Instr::Mul {
            d,
            a,
            b,
            m: Modulus::N,
        });
    }
    /// d = a + b mod n.
    pub fn add_n(&mut self, d: Reg, a: Reg, b: Reg) {
        self.instr(Instr::Add {
            d,
            a,
            b,
            m: Modulus::N,
        });
    }
    /// d = a - b mod n.
    pub fn sub_n(&mut self, d: Reg, a: Reg, b: Reg) {
        self.instr(Instr::Sub {
            d,
            a,
            b,
            m: Modulus::N,
        });
    }
    /// d = a.
    pub fn copy(&mut self, d: Reg, a: Reg) {
        self.instr(Instr::Copy { d, a });
    }
    /// Swap a and b when F is set.
    pub fn cswap(&mut self, a: Reg, b: Reg) {
        self.instr(Instr::Cswap { a, b });
    }
    /// F := f(k, cnt).
    pub fn flag(&mut self, k: Reg, mode: FlagMode) {
        self.instr(Instr::Flag { k, mode });
    }
    /// F := (a cond b).
    pub fn test_flag(&mut self, a: Reg, cond: Cond, b: Reg) {
        self.instr(Instr::Test {
            a,
            b: TestRhs::Reg(b),
            m: Modulus::P,
            cond,
            act: Action::SetFlag,
        });
    }
    /// `err[e]` |= (a cond b).
    pub fn raise_if(&mut self, a: Reg, cond: Cond, b: Reg, e: u8) {
        self.instr(Instr::Test {
            a,
            b: TestRhs::Reg(b),
            m: Modulus::P,
            cond,
            act: Action::Raise(e),
        });
    }
    /// `err[e]` |= (a cond m).
    pub fn raise_if_vs_modulus(&mut self, a: Reg, cond: Cond, m: Modulus, e: u8) {
        self.instr(Instr::Test {
            a,
            b: TestRhs::Modulus,
            m,
            cond,
            act: Action::Raise(e),
        });
    }
    /// cnt := n.
    pub fn setcnt(&mut self, n: u16) {
        self.instr(Instr::SetCnt { n });
    }
    /// Stop.
    pub fn halt(&mut self) {
        self.instr(Instr::Halt);
    }
    /// Return.
    pub fn ret(&mut self) {
        self.instr(Instr::Ret);
    }
    /// Decrement cnt, jump to `label` when not zero.
    pub fn djnz(&mut self, label: &str) {
        self.items
            .push(Item::Branch(Branch::Djnz, label.to_string()));
    }
    /// Jump.
    pub fn jmp(&mut self, label: &str) {
        self.items
            .push(Item::Branch(Branch::Jmp, label.to_string()));
    }
    /// Call.
    pub fn call(&mut self, label: &str) {
        self.items
            .push(Item::Branch(Branch::Call, label.to_string()));
    }

    /// `r = r^(2^k)` (mod p or n): unrolled up to 3 squarings, a counted
    /// loop beyond. Uses the loop counter.
    pub fn square_times(&mut self, r: Reg, k: u16, m: Modulus) {
        if k <= 3 {
            for _ in 0..k {
                self.instr(Instr::Mul {
                    d: r,
                    a: r,
                    b: r,
                    m,
                });
            }
        } else {
            let top = self.fresh_label("sq");
            self.setcnt(k);
            self.label(&top);
            self.instr(Instr::Mul {
                d: r,
                a: r,
                b: r,
                m,
            });
            self.djnz(&top);
        }
    }

    /// Resolves labels and encodes.
    pub fn finish(mut self) -> Result<Program, AsmError> {
        if let Some(e) = self.errors.drain(..).next() {
            return Err(e);
        }
        if self.items.len() > 1 << PC_BITS {
            return Err(AsmError::TooLong(self.items.len()));
        }
        let mut instrs = Vec::with_capacity(self.items.len());
        for item in &self.items {
            instrs.push(match item {
                Item::Instr(i) => *i,
                Item::Branch(kind, l) => {
                    let target = *self
                        .labels
                        .get(l)
                        .ok_or_else(|| AsmError::UndefinedLabel(l.clone()))?;
                    match kind {
                        Branch::Djnz => Instr::Djnz { target },
                        Branch::Jmp => Instr::Jmp { target },
                        Branch::Call => Instr::Call { target },
                    }
                }
            });
        }
        let words = instrs.iter().map(Instr::encode).collect();
        Ok(Program {
            instrs,
            words,
            labels: self.labels,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::isa::reg;

    #[test]
    fn refuses_writes_to_constants() {
        let mut a = Asm::new();
        a.mul(reg::ZERO, reg::X0, reg::X1);
        assert_eq!(
            a.finish(),
            Err(AsmError::WritesConstant {
                at: 0,
                reg: reg::ZERO.0
            })
        );
    }

    #[test]
    fn refuses_undefined_and_duplicate_labels() {
        let mut a = Asm::new();
        a.jmp("nowhere");
        assert_eq!(a.finish(), Err(AsmError::UndefinedLabel("nowhere".into())));
        let mut a = Asm::new();
        a.label("x");
        a.label("x");
        assert_eq!(a.finish(), Err(AsmError::DuplicateLabel("x".into())));
    }

    #[test]
    fn refuses_large_counts_and_registers() {
        let mut a = Asm::new();
        a.setcnt(512);
        assert_eq!(a.finish(), Err(AsmError::CountTooLarge { at: 0, n: 512 }));
        let mut a = Asm::new();
        a.copy(Reg(1), Reg(40));
        assert_eq!(a.finish(), Err(AsmError::BadRegister { at: 0, reg: 40 }));
    }

    #[test]
    fn resolves_backward_and_forward_labels() {
        let mut a = Asm::new();
        a.label("top");
        a.jmp("end");
        a.djnz("top");
        a.label("end");
        a.halt();
        let p = a.finish().expect("assembles");
        assert_eq!(p.instrs[0], Instr::Jmp { target: 2 });
        assert_eq!(p.instrs[1], Instr::Djnz { target: 0 });
    }
}
