//! The engine's micro-instruction set and its 32-bit encoding.
//!
//! The engine holds 32 registers of one field element each. Registers
//! [`FIRST_CONST`]..32 are constants, initialised from [`CONSTANTS`] when the
//! register file is configured, and writes to them are ignored by the
//! hardware and refused by the assembler.
//!
//! SEC_CM: CONST.WRITE_PROTECT
//!
//! Control flow never depends on data: the only branch is `DJNZ` on the
//! loop counter, so every run of a program retires the same instructions at
//! the same cycles. Secret-dependent choices go through the flag `F` and
//! `CSWAP`, which moves data, not addresses.
//!
//! SEC_CM: CTRL.NO_DATA_BRANCH, LADDER.CSWAP_DATA
//!
//! Encoding (bit 31 first):
//!
//! | bits  | field |
//! |-------|-------|
//! | 31:28 | opcode |
//! | 27    | modulus (0 = p, 1 = n) |
//! | 26:22 | d (destination) |
//! | 21:17 | a |
//! | 16:12 | b |
//! | 11:0  | aux: TEST `[11]` b is the modulus, `[10:9]` condition, `[8]` action (0 flag, 1 error), `[7:5]` error bit; FLAG `[1:0]` mode; SETCNT `[8:0]` count; DJNZ/JMP/CALL `[9:0]` target |
//!
//! The positions and codes are the constants of [`layout`].

use crate::consts;
use crate::field::Modulus;
use crate::words::U256;
use core::fmt;

/// Number of registers.
pub const REGS: usize = 32;
/// First constant register.
pub const FIRST_CONST: u8 = 20;
/// Depth of the return-address stack.
pub const STACK_DEPTH: usize = 4;
/// Width of the loop counter in bits.
pub const CNT_BITS: u32 = 9;
/// Width of a microcode address in bits (1024 instructions).
pub const PC_BITS: u32 = 10;

/// A register number (0..32).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Reg(pub u8);

impl Reg {
    /// True for the read-only constant registers.
    pub const fn is_const(self) -> bool {
        self.0 >= FIRST_CONST
    }
}

/// Named registers: the program's variables and the host's I/O slots.
pub mod reg {
    use super::Reg;
    /// Scalar register: the host loads k here for `scalar_mult`; the ladder
    /// reads its bits through `FLAG`.
    pub const K: Reg = Reg(0);
    /// Ladder slot S0, x.
    pub const X0: Reg = Reg(1);
    /// Ladder slot S0, y.
    pub const Y0: Reg = Reg(2);
    /// Ladder slot S1, x.
    pub const X1: Reg = Reg(3);
    /// Ladder slot S1, y.
    pub const Y1: Reg = Reg(4);
    /// Input point x (plain on entry, Montgomery form inside).
    pub const XP: Reg = Reg(5);
    /// Input point y.
    pub const YP: Reg = Reg(6);
    /// Temporaries.
    pub const T1: Reg = Reg(7);
    /// Temporary.
    pub const T2: Reg = Reg(8);
    /// Temporary.
    pub const T3: Reg = Reg(9);
    /// Temporary.
    pub const T4: Reg = Reg(10);
    /// Temporary.
    pub const T5: Reg = Reg(11);
    /// Temporary.
    pub const T6: Reg = Reg(12);
    /// The normalised scalar k' (kept for the final selections).
    pub const KT: Reg = Reg(13);
    /// Output 0: x of a result point, or r of a signature.
    pub const OUT0: Reg = Reg(14);
    /// Output 1: y of a result point, or s of a signature.
    pub const OUT1: Reg = Reg(15);
    /// Input: private key d (keygen, ecdh, sign).
    pub const D: Reg = Reg(16);
    /// Input: ECDSA nonce k.
    pub const NONCE: Reg = Reg(17);
    /// Input: ECDSA message digest e.
    pub const DIGEST: Reg = Reg(18);
    /// Caller temporary (sign: r).
    pub const U: Reg = Reg(19);

    /// Constant 0.
    pub const ZERO: Reg = Reg(20);
    /// Constant 1 (plain; multiplying by it leaves Montgomery form).
    pub const ONE: Reg = Reg(21);
    /// R^2 mod p.
    pub const R2P: Reg = Reg(22);
    /// R^2 mod n.
    pub const R2N: Reg = Reg(23);
    /// R mod p (Montgomery 1).
    pub const ONEM: Reg = Reg(24);
    /// 3R mod p.
    pub const THREEM: Reg = Reg(25);
    /// bR mod p.
    pub const BM: Reg = Reg(26);
    /// Base point x (plain).
    pub const GX: Reg = Reg(27);
    /// Base point y (plain).
    pub const GY: Reg = Reg(28);
    /// 2^256 - n.
    pub const C1: Reg = Reg(29);
    /// (n + 1) / 2.
    pub const HALFN: Reg = Reg(30);
    /// Unused constant slot (zero).
    pub const SPARE: Reg = Reg(31);
}

/// Initial contents of the constant registers, in register order.
pub const CONSTANTS: [(Reg, U256); REGS - FIRST_CONST as usize] = [
    (reg::ZERO, U256::ZERO),
    (reg::ONE, U256::ONE),
    (reg::R2P, consts::R2_P),
    (reg::R2N, consts::R2_N),
    (reg::ONEM, consts::ONE_MONT_P),
    (reg::THREEM, consts::THREE_MONT_P),
    (reg::BM, consts::B_MONT_P),
    (reg::GX, consts::GX),
    (reg::GY, consts::GY),
    (reg::C1, consts::C1),
    (reg::HALFN, consts::HALF_N),
    (reg::SPARE, U256::ZERO),
];

/// The initial register file: zeros, then the constants.
pub const fn initial_registers() -> [U256; REGS] {
    let mut r = [U256::ZERO; REGS];
    let mut i = 0;
    while i < CONSTANTS.len() {
        r[CONSTANTS[i].0 .0 as usize] = CONSTANTS[i].1;
        i += 1;
    }
    r
}

/// Error bits the engine raises (the `err` register). A program always runs
/// to its end; the bits say whether its outputs may be used.
pub mod err {
    /// The input point is not a valid curve point.
    pub const POINT: u8 = 0;
    /// A private scalar or nonce is outside [1, n - 1].
    pub const SCALAR: u8 = 1;
    /// The result is the point at infinity.
    pub const IDENTITY: u8 = 2;
    /// The result failed its check (not on the curve): a fault.
    pub const FAULT: u8 = 3;
    /// ECDSA produced r = 0 or s = 0: retry with another nonce.
    pub const RETRY: u8 = 4;
    /// An illegal instruction or a return-stack overflow or underflow.
    pub const ILLEGAL: u8 = 7;
}

/// How `FLAG` derives F from the scalar register and the loop counter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FlagMode {
    /// F = `K[cnt]` xor `K[cnt + 1]` (bit 256 reads as 0): the ladder's swap.
    XorNext,
    /// F = `K[cnt]`.
    Bit,
    /// F = not `K[cnt]`.
    NotBit,
}

/// `TEST` comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Cond {
    /// a == b.
    Eq,
    /// a != b.
    Ne,
    /// a < b (unsigned).
    Lt,
    /// a >= b.
    Ge,
}

/// The second operand of `TEST`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TestRhs {
    /// A register.
    Reg(Reg),
    /// The modulus of the instruction (p or n).
    Modulus,
}

/// What `TEST` does with its outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// F := outcome.
    SetFlag,
    /// `err[bit]` |= outcome.
    Raise(u8),
}

/// One micro-instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Instr {
    /// Stop; the engine reports done.
    Halt,
    /// d = a b R^-1 mod m (Montgomery multiplication).
    Mul {
        /// Destination.
        d: Reg,
        /// Operand.
        a: Reg,
        /// Operand.
        b: Reg,
        /// Modulus.
        m: Modulus,
    },
    /// d = a + b mod m.
    Add {
        /// Destination.
        d: Reg,
        /// Operand.
        a: Reg,
        /// Operand.
        b: Reg,
        /// Modulus.
        m: Modulus,
    },
    /// d = a - b mod m.
    Sub {
        /// Destination.
        d: Reg,
        /// Operand.
        a: Reg,
        /// Operand.
        b: Reg,
        /// Modulus.
        m: Modulus,
    },
    /// d = a.
    Copy {
        /// Destination.
        d: Reg,
        /// Source.
        a: Reg,
    },
    /// Swap a and b when F is set; both are rewritten either way.
    Cswap {
        /// First register.
        a: Reg,
        /// Second register.
        b: Reg,
    },
    /// F := f(k, cnt).
    Flag {
        /// The scalar register.
        k: Reg,
        /// Which function of its bits.
        mode: FlagMode,
    },
    /// Compare a with a register or the modulus; set F or raise an error.
    Test {
        /// Left operand.
        a: Reg,
        /// Right operand.
        b: TestRhs,
        /// Modulus (when `b` is the modulus).
        m: Modulus,
        /// Comparison.
        cond: Cond,
        /// Effect.
        act: Action,
    },
    /// cnt := n.
    SetCnt {
        /// The count (< 2^9).
        n: u16,
    },
    /// cnt := cnt - 1; jump to target when cnt != 0.
    Djnz {
        /// Jump target.
        target: u16,
    },
    /// Jump.
    Jmp {
        /// Target.
        target: u16,
    },
    /// Push pc + 1 and jump.
    Call {
        /// Target.
        target: u16,
    },
    /// Pop and jump.
    Ret,
}

/// Opcodes.
pub mod opcode {
    /// HALT.
    pub const HALT: u32 = 0;
    /// MUL.
    pub const MUL: u32 = 1;
    /// ADD.
    pub const ADD: u32 = 2;
    /// SUB.
    pub const SUB: u32 = 3;
    /// COPY.
    pub const COPY: u32 = 4;
    /// CSWAP.
    pub const CSWAP: u32 = 5;
    /// FLAG.
    pub const FLAG: u32 = 6;
    /// TEST.
    pub const TEST: u32 = 7;
    /// SETCNT.
    pub const SETCNT: u32 = 8;
    /// DJNZ.
    pub const DJNZ: u32 = 9;
    /// JMP.
    pub const JMP: u32 = 10;
    /// CALL.
    pub const CALL: u32 = 11;
    /// RET.
    pub const RET: u32 = 12;
}

/// Bit positions of the instruction fields (least significant bit of each)
/// and the codes in the `aux` field. The HDL's decoder is built from these.
pub mod layout {
    /// Opcode, 4 bits.
    pub const OPCODE: u32 = 28;
    /// Modulus select, 1 bit.
    pub const MODULUS: u32 = 27;
    /// Destination register, 5 bits.
    pub const D: u32 = 22;
    /// Operand a, 5 bits.
    pub const A: u32 = 17;
    /// Operand b, 5 bits.
    pub const B: u32 = 12;
    /// TEST: b is the modulus, 1 bit.
    pub const TEST_VS_MODULUS: u32 = 11;
    /// TEST: condition, 2 bits.
    pub const TEST_COND: u32 = 9;
    /// TEST: action (0 set F, 1 raise), 1 bit.
    pub const TEST_ACTION: u32 = 8;
    /// TEST: error bit, 3 bits.
    pub const TEST_ERR: u32 = 5;
    /// FLAG: mode, 2 bits.
    pub const FLAG_MODE: u32 = 0;
    /// SETCNT: count, 9 bits.
    pub const COUNT: u32 = 0;
    /// DJNZ, JMP, CALL: target, 10 bits.
    pub const TARGET: u32 = 0;

    /// FLAG mode codes.
    pub const MODE_XOR_NEXT: u32 = 0;
    /// F = `K[cnt]`.
    pub const MODE_BIT: u32 = 1;
    /// F = not `K[cnt]`.
    pub const MODE_NOT_BIT: u32 = 2;

    /// TEST condition codes.
    pub const COND_EQ: u32 = 0;
    /// a != b.
    pub const COND_NE: u32 = 1;
    /// a < b.
    pub const COND_LT: u32 = 2;
    /// a >= b.
    pub const COND_GE: u32 = 3;
}

/// Why a word does not decode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// The opcode is not defined.
    Opcode(u32),
    /// A mode or condition field holds an undefined value.
    Field(u32),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Opcode(w) => write!(f, "undefined opcode in {w:#010x}"),
            DecodeError::Field(w) => write!(f, "undefined field value in {w:#010x}"),
        }
    }
}

const fn field(w: u32, lo: u32, bits: u32) -> u32 {
    (w >> lo) & ((1 << bits) - 1)
}

fn m_bit(m: Modulus) -> u32 {
    match m {
        Modulus::P => 0,
        Modulus::N => 1,
    }
}

fn pack(op: u32, m: Modulus, d: Reg, a: Reg, b: Reg, aux: u32) -> u32 {
    (op << layout::OPCODE)
        | (m_bit(m) << layout::MODULUS)
        | ((d.0 as u32 & 31) << layout::D)
        | ((a.0 as u32 & 31) << layout::A)
        | ((b.0 as u32 & 31) << layout::B)
        | (aux & 0xfff)
}

fn target_bits(t: u16) -> u32 {
    (t as u32 & ((1 << PC_BITS) - 1)) << layout::TARGET
}

impl Instr {
    /// The 32-bit encoding.
    pub fn encode(&self) -> u32 {
        let z = Reg(0);
        let p = Modulus::P;
        match *self {
            Instr::Halt => pack(opcode::HALT, p, z, z, z, 0),
            Instr::Mul { d, a, b, m } => pack(opcode::MUL, m, d, a, b, 0),
            Instr::Add { d, a, b, m } => pack(opcode::ADD, m, d, a, b, 0),
            Instr::Sub { d, a, b, m } => pack(opcode::SUB, m, d, a, b, 0),
            Instr::Copy { d, a } => pack(opcode::COPY, p, d, a, z, 0),
            Instr::Cswap { a, b } => pack(opcode::CSWAP, p, z, a, b, 0),
            Instr::Flag { k, mode } => {
                let aux = match mode {
                    FlagMode::XorNext => layout::MODE_XOR_NEXT,
                    FlagMode::Bit => layout::MODE_BIT,
                    FlagMode::NotBit => layout::MODE_NOT_BIT,
                };
                pack(opcode::FLAG, p, z, k, z, aux << layout::FLAG_MODE)
            }
            Instr::Test { a, b, m, cond, act } => {
                let (is_mod, b) = match b {
                    TestRhs::Reg(r) => (0, r),
                    TestRhs::Modulus => (1, z),
                };
                let c = match cond {
                    Cond::Eq => 0,
                    Cond::Ne => 1,
                    Cond::Lt => 2,
                    Cond::Ge => 3,
                };
                let (act, e) = match act {
                    Action::SetFlag => (0, 0),
                    Action::Raise(e) => (1, e as u32 & 7),
                };
                pack(
                    opcode::TEST,
                    m,
                    z,
                    a,
                    b,
                    (is_mod << 11) | (c << 9) | (act << 8) | (e << 5),
                )
            }
            Instr::SetCnt { n } => pack(
                opcode::SETCNT,
                p,
                z,
                z,
                z,
                (n as u32 & 0x1ff) << layout::COUNT,
            ),
            Instr::Djnz { target } => pack(opcode::DJNZ, p, z, z, z, target_bits(target)),
            Instr::Jmp { target } => pack(opcode::JMP, p, z, z, z, target_bits(target)),
            Instr::Call { target } => pack(opcode::CALL, p, z, z, z, target_bits(target)),
            Instr::Ret => pack(opcode::RET, p, z, z, z, 0),
        }
    }

    /// Decodes a 32-bit word.
    pub fn decode(w: u32) -> Result<Instr, DecodeError> {
        use layout as f;
        let m = if field(w, f::MODULUS, 1) == 1 {
            Modulus::N
        } else {
            Modulus::P
        };
        let d = Reg(field(w, f::D, 5) as u8);
        let a = Reg(field(w, f::A, 5) as u8);
        let b = Reg(field(w, f::B, 5) as u8);
        let target = field(w, f::TARGET, PC_BITS) as u16;
        Ok(match field(w, f::OPCODE, 4) {
            opcode::HALT => Instr::Halt,
            opcode::MUL => Instr::Mul { d, a, b, m },
            opcode::ADD => Instr::Add { d, a, b, m },
            opcode::SUB => Instr::Sub { d, a, b, m },
            opcode::COPY => Instr::Copy { d, a },
            opcode::CSWAP => Instr::Cswap { a, b },
            opcode::FLAG => Instr::Flag {
                k: a,
                mode: match field(w, f::FLAG_MODE, 2) {
                    f::MODE_XOR_NEXT => FlagMode::XorNext,
                    f::MODE_BIT => FlagMode::Bit,
                    f::MODE_NOT_BIT => FlagMode::NotBit,
                    _ => return Err(DecodeError::Field(w)),
                },
            },
            opcode::TEST => Instr::Test {
                a,
                b: if field(w, f::TEST_VS_MODULUS, 1) == 1 {
                    TestRhs::Modulus
                } else {
                    TestRhs::Reg(b)
                },
                m,
                cond: match field(w, f::TEST_COND, 2) {
                    f::COND_EQ => Cond::Eq,
                    f::COND_NE => Cond::Ne,
                    f::COND_LT => Cond::Lt,
                    _ => Cond::Ge,
                },
                act: if field(w, f::TEST_ACTION, 1) == 1 {
                    Action::Raise(field(w, f::TEST_ERR, 3) as u8)
                } else {
                    Action::SetFlag
                },
            },
            opcode::SETCNT => Instr::SetCnt {
                n: field(w, f::COUNT, CNT_BITS) as u16,
            },
            opcode::DJNZ => Instr::Djnz { target },
            opcode::JMP => Instr::Jmp { target },
            opcode::CALL => Instr::Call { target },
            opcode::RET => Instr::Ret,
            op => return Err(DecodeError::Opcode(op)),
        })
    }

    /// The register this instruction writes (the first one for `CSWAP`).
    pub fn dest(&self) -> Option<Reg> {
        match *self {
            Instr::Mul { d, .. }
            | Instr::Add { d, .. }
            | Instr::Sub { d, .. }
            | Instr::Copy { d, .. } => Some(d),
            Instr::Cswap { a, .. } => Some(a),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_decode_round_trip() {
        let r = |i| Reg(i);
        let samples = [
            Instr::Halt,
            Instr::Mul {
                d: r(1),
                a: r(2),
                b: r(31),
                m: Modulus::N,
            },
            Instr::Add {
                d: r(19),
                a: r(20),
                b: r(0),
                m: Modulus::P,
            },
            Instr::Sub {
                d: r(3),
                a: r(4),
                b: r(5),
                m: Modulus::N,
            },
            Instr::Copy { d: r(7), a: r(27) },
            Instr::Cswap { a: r(1), b: r(3) },
            Instr::Flag {
                k: r(0),
                mode: FlagMode::XorNext,
            },
            Instr::Flag {
                k: r(0),
                mode: FlagMode::NotBit,
            },
            Instr::Test {
                a: r(5),
                b: TestRhs::Modulus,
                m: Modulus::P,
                cond: Cond::Ge,
                act: Action::Raise(err::POINT),
            },
            Instr::Test {
                a: r(13),
                b: TestRhs::Reg(r(21)),
                m: Modulus::P,
                cond: Cond::Eq,
                act: Action::SetFlag,
            },
            Instr::SetCnt { n: 511 },
            Instr::Djnz { target: 1023 },
            Instr::Jmp { target: 5 },
            Instr::Call { target: 700 },
            Instr::Ret,
        ];
        for i in samples {
            assert_eq!(Instr::decode(i.encode()), Ok(i), "{i:?}");
        }
    }

    #[test]
    fn undefined_words_are_refused() {
        assert_eq!(Instr::decode(0xf000_0000), Err(DecodeError::Opcode(15)));
        assert_eq!(
            Instr::decode(0x6000_0003),
            Err(DecodeError::Field(0x6000_0003))
        );
    }

    #[test]
    fn constants_sit_in_the_constant_registers() {
        for (i, (r, _)) in CONSTANTS.iter().enumerate() {
            assert_eq!(r.0 as usize, FIRST_CONST as usize + i);
        }
        assert_eq!(initial_registers()[reg::GX.0 as usize], consts::GX);
    }
}
