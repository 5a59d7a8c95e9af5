//! Cycle counts of every micro-instruction for L multiplier lanes.
//!
//! The datapath (see `hdl/README.md` for the block diagram):
//!
//! * the register file is two copies of one RAM (two read ports, one write
//!   port), W = L words wide, so an element is R = 16 / W rows (a row is
//!   what a lane pass consumes a cycle, so the operand buffers only ever
//!   shift by one distance: the smallest engine);
//! * the multiplier has L 16x16-bit lanes and works through an operand in
//!   C = 16 / L chunks ("a pass");
//! * every instruction starts with one fetch cycle; register reads have one
//!   cycle of latency.
//!
//! | instruction | cycles | why |
//! |---|---|---|
//! | MUL mod p | 2 + 17C + R | fetch, first read, 16 fused multiply/reduce passes and one final reduce pass (computing t - p alongside), write R rows |
//! | MUL mod n | 2 + 16(2C + 1) + C + R | per row: multiply pass, one quotient cycle (q = t0 n'), reduce pass; then a final pass and the write |
//! | ADD, SUB | 1 + 2R (L <= 2), 2 + 2R (L >= 4) | fetch, R reads (computing s and s -/+ m), R writes; with narrow rows the last read's carries select s or s -/+ m for the first write in the same cycle, with wide rows the writes start the cycle after (see [`Lanes::late_carries`]) |
//! | COPY | 2 + R | streamed: each row is written the cycle after it is read |
//! | CSWAP | 2 + 2R | R reads of both, the first register's rows written as they arrive, then R writes of the second |
//! | TEST | 3 + R | R reads, compare streamed; the outcome is taken the cycle after the last read, from the registered borrow and equality |
//! | FLAG | 3 | fetch, read the scalar rows, compute |
//! | SETCNT, DJNZ, JMP, CALL, RET, HALT | 2 | fetch, execute |

use crate::field::Modulus;
use crate::isa::Instr;
use core::fmt;

/// A supported number of multiplier lanes: 1, 2, 4 or 8.
///
/// Lane counts that do not divide the 16 words of an element (3, 5, 6, 7)
/// would leave a partial chunk in every pass and a partial register-file
/// row; they are not built.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Lanes(u8);

/// A lane count that is not built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnsupportedLanes(pub u32);

impl fmt::Display for UnsupportedLanes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} lanes is not a supported build (use 1, 2, 4 or 8)",
            self.0
        )
    }
}

impl Lanes {
    /// Every supported lane count.
    pub const ALL: [Lanes; 4] = [Lanes(1), Lanes(2), Lanes(4), Lanes(8)];
    /// The "tiny" build.
    pub const TINY: Lanes = Lanes(1);
    /// The "fast" build.
    pub const FAST: Lanes = Lanes(8);

    /// Validates a lane count.
    pub const fn new(l: u32) -> Result<Lanes, UnsupportedLanes> {
        match l {
            1 | 2 | 4 | 8 => Ok(Lanes(l as u8)),
            _ => Err(UnsupportedLanes(l)),
        }
    }

    /// L.
    pub const fn get(self) -> u32 {
        self.0 as u32
    }

    /// Words per register-file row, W = L.
    pub const fn row_words(self) -> u32 {
        self.0 as u32
    }

    /// Rows per element, R = 16 / W.
    pub const fn rows(self) -> u32 {
        16 / self.row_words()
    }

    /// Chunks per multiplier pass, C = 16 / L.
    pub const fn chunks(self) -> u32 {
        16 / self.0 as u32
    }

    /// Whether ADD and SUB use their last row's carries a cycle after its
    /// read rather than in it, to choose s or s -/+ m. With rows of 64
    /// bits or more (L >= 4), a row's carry chains and what the carries
    /// decide would otherwise sit between the register file's read and a
    /// write in one cycle, the fast builds' critical paths; the cycle this
    /// adds per instruction costs less than the clock it frees. L <= 2 keep
    /// them in the same cycle (16- and 32-bit chains are short, and the
    /// tiny build's cycle count has no room). TEST, rare in the routines,
    /// always takes its outcome a cycle after the last read: the outcome
    /// goes on to the error bits, and at L = 1 the read, the chain and the
    /// outcome were one of the tiny build's longest paths.
    pub const fn late_carries(self) -> bool {
        self.0 >= 4
    }
}

impl fmt::Display for Lanes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "L={}", self.0)
    }
}

/// Cycles from the fetch of `i` to its retirement, inclusive.
pub const fn cycles(i: &Instr, lanes: Lanes) -> u32 {
    let r = lanes.rows();
    let c = lanes.chunks();
    match i {
        Instr::Mul { m: Modulus::P, .. } => 2 + 17 * c + r,
        Instr::Mul { m: Modulus::N, .. } => 2 + 16 * (2 * c + 1) + c + r,
        Instr::Add { .. } | Instr::Sub { .. } => 1 + 2 * r + lanes.late_carries() as u32,
        Instr::Copy { .. } => 2 + r,
        Instr::Cswap { .. } => 2 + 2 * r,
        Instr::Test { .. } => 3 + r,
        Instr::Flag { .. } => 3,
        Instr::SetCnt { .. }
        | Instr::Djnz { .. }
        | Instr::Jmp { .. }
        | Instr::Call { .. }
        | Instr::Ret
        | Instr::Halt => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::isa::Reg;

    #[test]
    fn geometry() {
        assert_eq!(
            (
                Lanes::TINY.row_words(),
                Lanes::TINY.rows(),
                Lanes::TINY.chunks()
            ),
            (1, 16, 16)
        );
        assert_eq!(
            (
                Lanes::FAST.row_words(),
                Lanes::FAST.rows(),
                Lanes::FAST.chunks()
            ),
            (8, 2, 2)
        );
        assert_eq!(Lanes::new(3), Err(UnsupportedLanes(3)));
    }

    #[test]
    fn multiplication_costs() {
        let m = |m| Instr::Mul {
            d: Reg(0),
            a: Reg(1),
            b: Reg(2),
            m,
        };
        assert_eq!(cycles(&m(Modulus::P), Lanes::TINY), 290);
        assert_eq!(cycles(&m(Modulus::P), Lanes::FAST), 38);
        assert_eq!(cycles(&m(Modulus::N), Lanes::TINY), 562);
    }

    #[test]
    fn wide_rows_use_the_last_carries_a_cycle_later() {
        use crate::isa::{Action, Cond, TestRhs};
        let add = Instr::Add {
            d: Reg(0),
            a: Reg(1),
            b: Reg(2),
            m: Modulus::P,
        };
        let test = Instr::Test {
            a: Reg(1),
            b: TestRhs::Modulus,
            m: Modulus::N,
            cond: Cond::Lt,
            act: Action::SetFlag,
        };
        let late: Vec<bool> = Lanes::ALL.iter().map(|l| l.late_carries()).collect();
        assert_eq!(late, [false, false, true, true]);
        // L = 1: R = 16; L = 8: R = 2.
        assert_eq!(cycles(&add, Lanes::TINY), 33);
        assert_eq!(cycles(&add, Lanes::FAST), 6);
        assert_eq!(cycles(&test, Lanes::TINY), 19);
        assert_eq!(cycles(&test, Lanes::FAST), 5);
    }
}
