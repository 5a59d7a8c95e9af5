//! The device controller's instruction set: byte moves between the device's
//! memories ("spaces"), engine runs, SHA-256, and the checks of the command
//! programs. Control flow depends only on public data (command, lengths,
//! slot policies, engine error bits); secrets only move.
//!
//! Encoding, 64 bits (bit 63 first): `op[63:59] dst_space[58:56]
//! dst_rel[55] dst_addr[54:44] src_space[43:41] src_rel[40] src_addr[39:29]
//! len[28:20] target[19:10] imm[9:0]`. `rel` adds the current slot's record
//! base to a SLOT address.

use core::fmt;

/// A byte-addressed memory of the device.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Space {
    /// The request payload (read-only).
    Rx,
    /// The response payload.
    Tx,
    /// Slot memory: policies, counter, key records.
    Slot,
    /// Constants: device id, measurement, magic, known answers.
    Const,
    /// The engine's register file; address = register * 32, whole
    /// registers only, big-endian bytes.
    Eng,
    /// SHA-256: writing feeds the hash, reading gives the digest.
    Sha,
    /// The raw random source: reading takes 8 raw bits a byte.
    Raw,
}

impl Space {
    /// Its code in the encoding.
    pub const fn code(self) -> u64 {
        match self {
            Space::Rx => 0,
            Space::Tx => 1,
            Space::Slot => 2,
            Space::Const => 3,
            Space::Eng => 4,
            Space::Sha => 5,
            Space::Raw => 6,
        }
    }

    /// From its code.
    pub const fn from_code(c: u64) -> Option<Space> {
        Some(match c {
            0 => Space::Rx,
            1 => Space::Tx,
            2 => Space::Slot,
            3 => Space::Const,
            4 => Space::Eng,
            5 => Space::Sha,
            6 => Space::Raw,
            _ => return None,
        })
    }
}

/// A byte address in a space.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct At {
    /// The space.
    pub space: Space,
    /// Relative to the current slot's record (SLOT only).
    pub rel: bool,
    /// The address (11 bits).
    pub addr: u16,
}

/// One device instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DevInstr {
    /// Copy `len` bytes from `src` to `dst`.
    Move {
        /// Destination.
        dst: At,
        /// Source.
        src: At,
        /// Byte count (< 512).
        len: u16,
    },
    /// Run the engine from `entry` and keep its error register.
    Engine {
        /// Engine microcode address.
        entry: u16,
    },
    /// Finish the command with `status` and `len` reply bytes from TX.
    Done {
        /// Status code.
        status: u8,
        /// Reply length.
        len: u16,
    },
    /// slot := `RX[addr]`; BAD_SLOT when out of range.
    Slot {
        /// RX offset.
        addr: u16,
    },
    /// slot := n.
    SlotImm {
        /// Slot number.
        n: u8,
    },
    /// Finish with `status` unless `policy[slot]` & mask == value.
    Require {
        /// Policy bits to look at.
        mask: u8,
        /// Their required value.
        value: u8,
        /// Status otherwise.
        status: u8,
    },
    /// BAD_POLICY unless the requested policy `RX[addr]` is requestable.
    CheckPolicy {
        /// RX offset.
        addr: u16,
    },
    /// `policy[slot]` := (`RX[addr]` & REQUESTABLE) | VALID.
    SetPolicy {
        /// RX offset.
        addr: u16,
    },
    /// `policy[slot]` |= bits.
    OrPolicy {
        /// Bits to set.
        bits: u8,
    },
    /// Start a new SHA-256 hash.
    ShaInit,
    /// Pad and finish the hash; the digest becomes readable.
    ShaFinish,
    /// If the engine raised an error: status := its mapped status, jump to
    /// `target` (an exit that scrubs secrets, then `DoneErr`).
    OnErr {
        /// The error exit.
        target: u16,
    },
    /// If the engine raised any of `mask`: jump to `target` while retries
    /// remain; when none remain, status := RNG_FAILURE and jump to `abort`.
    Retry {
        /// Error bits that mean "draw again".
        mask: u8,
        /// Where to retry.
        target: u16,
        /// The error exit.
        abort: u16,
    },
    /// Finish with the status register and no reply bytes.
    DoneErr,
    /// `TX[addr]` := `policy[slot]`.
    PolicyByte {
        /// TX address.
        addr: u16,
    },
    /// retries := n.
    SetRetry {
        /// Count.
        n: u8,
    },
    /// Jump.
    Jmp {
        /// Target.
        target: u16,
    },
    /// Jump when the request's command is `command`.
    IfCmd {
        /// Command code.
        command: u8,
        /// Target.
        target: u16,
    },
    /// BAD_LENGTH unless the request payload has `len` bytes.
    LenEq {
        /// Required length.
        len: u16,
    },
    /// Finish with `status` unless `len` bytes at `a` and `b` are equal.
    Cmp {
        /// First operand.
        a: At,
        /// Second operand.
        b: At,
        /// Byte count.
        len: u16,
        /// Status on a difference.
        status: u8,
    },
    /// RNG_FAILURE if the raw source's health tests have failed.
    Health,
    /// Increment the 32-bit big-endian counter at `SLOT[addr]`.
    Inc {
        /// SLOT address.
        addr: u16,
    },
    /// `TX[addr]` := the flags byte (RNG simulated, RNG failed).
    Flags {
        /// TX address.
        addr: u16,
    },
}

/// Opcodes.
pub mod op {
    /// MOVE.
    pub const MOVE: u64 = 1;
    /// ENGINE.
    pub const ENGINE: u64 = 2;
    /// DONE.
    pub const DONE: u64 = 3;
    /// SLOT.
    pub const SLOT: u64 = 4;
    /// SLOTI.
    pub const SLOT_IMM: u64 = 5;
    /// REQUIRE.
    pub const REQUIRE: u64 = 6;
    /// CHKPOL.
    pub const CHECK_POLICY: u64 = 7;
    /// SETPOL.
    pub const SET_POLICY: u64 = 8;
    /// ORPOL.
    pub const OR_POLICY: u64 = 9;
    /// SHAINIT.
    pub const SHA_INIT: u64 = 10;
    /// SHAFIN.
    pub const SHA_FINISH: u64 = 11;
    /// ONERR.
    pub const ON_ERR: u64 = 12;
    /// RETRY.
    pub const RETRY: u64 = 13;
    /// SETRETRY.
    pub const SET_RETRY: u64 = 14;
    /// JMP.
    pub const JMP: u64 = 15;
    /// IFCMD.
    pub const IF_CMD: u64 = 16;
    /// LENEQ.
    pub const LEN_EQ: u64 = 17;
    /// CMP.
    pub const CMP: u64 = 18;
    /// HEALTH.
    pub const HEALTH: u64 = 19;
    /// INC.
    pub const INC: u64 = 20;
    /// FLAGS.
    pub const FLAGS: u64 = 21;
    /// POLICY.
    pub const POLICY_BYTE: u64 = 22;
    /// DONEERR.
    pub const DONE_ERR: u64 = 23;
}

/// Bit positions (least significant bit of each field).
pub mod layout {
    /// Opcode, 5 bits.
    pub const OP: u32 = 59;
    /// Destination space, 3 bits.
    pub const DST_SPACE: u32 = 56;
    /// Destination slot-relative, 1 bit.
    pub const DST_REL: u32 = 55;
    /// Destination address, 11 bits.
    pub const DST_ADDR: u32 = 44;
    /// Source space, 3 bits.
    pub const SRC_SPACE: u32 = 41;
    /// Source slot-relative, 1 bit.
    pub const SRC_REL: u32 = 40;
    /// Source address, 11 bits.
    pub const SRC_ADDR: u32 = 29;
    /// Length, 9 bits.
    pub const LEN: u32 = 20;
    /// Target, 10 bits.
    pub const TARGET: u32 = 10;
    /// Immediate, 10 bits.
    pub const IMM: u32 = 0;
}

/// A word that does not decode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadWord(pub u64);

impl fmt::Display for BadWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "undefined device instruction {:#018x}", self.0)
    }
}

const fn get(w: u64, lo: u32, bits: u32) -> u64 {
    (w >> lo) & ((1 << bits) - 1)
}

#[derive(Default)]
struct Fields {
    op: u64,
    dst: Option<At>,
    src: Option<At>,
    len: u64,
    target: u64,
    imm: u64,
}

fn at_bits(a: Option<At>, space: u32, rel: u32, addr: u32) -> u64 {
    match a {
        None => 0,
        Some(a) => {
            (a.space.code() << space) | ((a.rel as u64) << rel) | ((a.addr as u64 & 0x7ff) << addr)
        }
    }
}

impl Fields {
    fn pack(&self) -> u64 {
        use layout::*;
        (self.op << OP)
            | at_bits(self.dst, DST_SPACE, DST_REL, DST_ADDR)
            | at_bits(self.src, SRC_SPACE, SRC_REL, SRC_ADDR)
            | ((self.len & 0x1ff) << LEN)
            | ((self.target & 0x3ff) << TARGET)
            | ((self.imm & 0x3ff) << IMM)
    }
}

fn at(w: u64, space: u32, rel: u32, addr: u32) -> Result<At, BadWord> {
    Ok(At {
        space: Space::from_code(get(w, space, 3)).ok_or(BadWord(w))?,
        rel: get(w, rel, 1) == 1,
        addr: get(w, addr, 11) as u16,
    })
}

impl DevInstr {
    /// The 64-bit encoding.
    pub fn encode(&self) -> u64 {
        let f = match *self {
            DevInstr::Move { dst, src, len } => Fields {
                op: op::MOVE,
                dst: Some(dst),
                src: Some(src),
                len: len as u64,
                ..Default::default()
            },
            DevInstr::Engine { entry } => Fields {
                op: op::ENGINE,
                target: entry as u64,
                ..Default::default()
            },
            DevInstr::Done { status, len } => Fields {
                op: op::DONE,
                imm: status as u64,
                len: len as u64,
                ..Default::default()
            },
            DevInstr::Slot { addr } => Fields {
                op: op::SLOT,
                src: Some(At {
                    space: Space::Rx,
                    rel: false,
                    addr,
                }),
                ..Default::default()
            },
            DevInstr::SlotImm { n } => Fields {
                op: op::SLOT_IMM,
                imm: n as u64,
                ..Default::default()
            },
            DevInstr::Require {
                mask,
                value,
                status,
            } => Fields {
                op: op::REQUIRE,
                imm: status as u64,
                len: mask as u64,
                target: value as u64,
                ..Default::default()
            },
            DevInstr::CheckPolicy { addr } => Fields {
                op: op::CHECK_POLICY,
                src: Some(At {
                    space: Space::Rx,
                    rel: false,
                    addr,
                }),
                ..Default::default()
            },
            DevInstr::SetPolicy { addr } => Fields {
                op: op::SET_POLICY,
                src: Some(At {
                    space: Space::Rx,
                    rel: false,
                    addr,
                }),
                ..Default::default()
            },
            DevInstr::OrPolicy { bits } => Fields {
                op: op::OR_POLICY,
                imm: bits as u64,
                ..Default::default()
            },
            DevInstr::ShaInit => Fields {
                op: op::SHA_INIT,
                ..Default::default()
            },
            DevInstr::ShaFinish => Fields {
                op: op::SHA_FINISH,
                ..Default::default()
            },
            DevInstr::OnErr { target } => Fields {
                op: op::ON_ERR,
                target: target as u64,
                ..Default::default()
            },
            DevInstr::Retry {
                mask,
                target,
                abort,
            } => Fields {
                op: op::RETRY,
                imm: mask as u64,
                target: target as u64,
                dst: Some(At {
                    space: Space::Rx,
                    rel: false,
                    addr: abort,
                }),
                ..Default::default()
            },
            DevInstr::DoneErr => Fields {
                op: op::DONE_ERR,
                ..Default::default()
            },
            DevInstr::PolicyByte { addr } => Fields {
                op: op::POLICY_BYTE,
                dst: Some(At {
                    space: Space::Tx,
                    rel: false,
                    addr,
                }),
                ..Default::default()
            },
            DevInstr::SetRetry { n } => Fields {
                op: op::SET_RETRY,
                imm: n as u64,
                ..Default::default()
            },
            DevInstr::Jmp { target } => Fields {
                op: op::JMP,
                target: target as u64,
                ..Default::default()
            },
            DevInstr::IfCmd { command, target } => Fields {
                op: op::IF_CMD,
                imm: command as u64,
                target: target as u64,
                ..Default::default()
            },
            DevInstr::LenEq { len } => Fields {
                op: op::LEN_EQ,
                len: len as u64,
                ..Default::default()
            },
            DevInstr::Cmp { a, b, len, status } => Fields {
                op: op::CMP,
                dst: Some(a),
                src: Some(b),
                len: len as u64,
                imm: status as u64,
                ..Default::default()
            },
            DevInstr::Health => Fields {
                op: op::HEALTH,
                ..Default::default()
            },
            DevInstr::Inc { addr } => Fields {
                op: op::INC,
                dst: Some(At {
                    space: Space::Slot,
                    rel: false,
                    addr,
                }),
                ..Default::default()
            },
            DevInstr::Flags { addr } => Fields {
                op: op::FLAGS,
                dst: Some(At {
                    space: Space::Tx,
                    rel: false,
                    addr,
                }),
                ..Default::default()
            },
        };
        f.pack()
    }

    /// Decodes a 64-bit word.
    pub fn decode(w: u64) -> Result<DevInstr, BadWord> {
        use layout::*;
        let dst = || at(w, DST_SPACE, DST_REL, DST_ADDR);
        let src = || at(w, SRC_SPACE, SRC_REL, SRC_ADDR);
        let len = get(w, LEN, 9) as u16;
        let target = get(w, TARGET, 10) as u16;
        let imm = get(w, IMM, 10);
        let src_addr = get(w, SRC_ADDR, 11) as u16;
        Ok(match get(w, OP, 5) {
            op::MOVE => DevInstr::Move {
                dst: dst()?,
                src: src()?,
                len,
            },
            op::ENGINE => DevInstr::Engine { entry: target },
            op::DONE => DevInstr::Done {
                status: imm as u8,
                len,
            },
            op::SLOT => DevInstr::Slot { addr: src_addr },
            op::SLOT_IMM => DevInstr::SlotImm { n: imm as u8 },
            op::REQUIRE => DevInstr::Require {
                mask: len as u8,
                value: target as u8,
                status: imm as u8,
            },
            op::CHECK_POLICY => DevInstr::CheckPolicy { addr: src_addr },
            op::SET_POLICY => DevInstr::SetPolicy { addr: src_addr },
            op::OR_POLICY => DevInstr::OrPolicy { bits: imm as u8 },
            op::SHA_INIT => DevInstr::ShaInit,
            op::SHA_FINISH => DevInstr::ShaFinish,
            op::ON_ERR => DevInstr::OnErr { target },
            op::RETRY => DevInstr::Retry {
                mask: imm as u8,
                target,
                abort: get(w, DST_ADDR, 11) as u16,
            },
            op::DONE_ERR => DevInstr::DoneErr,
            op::POLICY_BYTE => DevInstr::PolicyByte {
                addr: get(w, DST_ADDR, 11) as u16,
            },
            op::SET_RETRY => DevInstr::SetRetry { n: imm as u8 },
            op::JMP => DevInstr::Jmp { target },
            op::IF_CMD => DevInstr::IfCmd {
                command: imm as u8,
                target,
            },
            op::LEN_EQ => DevInstr::LenEq { len },
            op::CMP => DevInstr::Cmp {
                a: dst()?,
                b: src()?,
                len,
                status: imm as u8,
            },
            op::HEALTH => DevInstr::Health,
            op::INC => DevInstr::Inc {
                addr: get(w, DST_ADDR, 11) as u16,
            },
            op::FLAGS => DevInstr::Flags {
                addr: get(w, DST_ADDR, 11) as u16,
            },
            _ => return Err(BadWord(w)),
        })
    }
}

/// Cycles of one SHA-256 compression: 64 rounds of two cycles each (a round
/// in one cycle is a five-operand sum, too long a path for the UP5K's
/// clock), then the state update H += a..h one word a cycle (8), which keeps
/// the core small.
pub const SHA_COMPRESS_CYCLES: u64 = 2 * 64 + 8;

/// Cycles of SHAINIT: fetch and start, then the core overwrites its H words
/// (8 cycles, one word a cycle) so that no digest outlives it (SEC_CM:
/// DEVICE.SCRUB).
pub const SHA_INIT_CYCLES: u64 = 2 + 8;

/// Bytes of SHA-256 padding after a message of `m` bytes.
pub const fn sha_padding_len(m: u64) -> u64 {
    (55u64.wrapping_sub(m % 64) % 64) + 1 + 8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let at = |space, rel, addr| At { space, rel, addr };
        let samples = [
            DevInstr::Move {
                dst: at(Space::Eng, false, 16 * 32),
                src: at(Space::Slot, true, 0),
                len: 32,
            },
            DevInstr::Move {
                dst: at(Space::Sha, false, 0),
                src: at(Space::Raw, false, 0),
                len: 64,
            },
            DevInstr::Engine { entry: 1023 },
            DevInstr::Done {
                status: 0x42,
                len: 256,
            },
            DevInstr::Slot { addr: 1 },
            DevInstr::SlotImm { n: 0 },
            DevInstr::Require {
                mask: 0xc0,
                value: 0x40,
                status: 0x23,
            },
            DevInstr::CheckPolicy { addr: 1 },
            DevInstr::SetPolicy { addr: 1 },
            DevInstr::OrPolicy { bits: 0x80 },
            DevInstr::ShaInit,
            DevInstr::ShaFinish,
            DevInstr::OnErr { target: 200 },
            DevInstr::Retry {
                mask: 0x12,
                target: 77,
                abort: 250,
            },
            DevInstr::DoneErr,
            DevInstr::PolicyByte { addr: 0 },
            DevInstr::SetRetry { n: 8 },
            DevInstr::Jmp { target: 3 },
            DevInstr::IfCmd {
                command: 0x20,
                target: 9,
            },
            DevInstr::LenEq { len: 65 },
            DevInstr::Cmp {
                a: at(Space::Tx, false, 0),
                b: at(Space::Const, false, 104),
                len: 32,
                status: 0x41,
            },
            DevInstr::Health,
            DevInstr::Inc { addr: 8 },
            DevInstr::Flags { addr: 2 },
        ];
        for i in samples {
            assert_eq!(DevInstr::decode(i.encode()), Ok(i), "{i:?}");
        }
        assert!(DevInstr::decode(31 << layout::OP).is_err());
        assert!(DevInstr::decode(0).is_err());
    }

    #[test]
    fn padding_lengths() {
        assert_eq!(sha_padding_len(0), 64);
        assert_eq!(sha_padding_len(55), 9);
        assert_eq!(sha_padding_len(56), 72);
        assert_eq!(sha_padding_len(168), 24);
    }
}
