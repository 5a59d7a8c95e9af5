//! The instruction-set simulator: runs microcode on the register file and
//! reports every retired micro-instruction with the cycle it retires on.
//! This trace is what the RTL is held to, entry by entry.

use crate::field;
use crate::isa::{
    err, initial_registers, Action, Cond, FlagMode, Instr, Reg, TestRhs, REGS, STACK_DEPTH,
};
use crate::timing::{cycles, Lanes};
use crate::trace::{digest, TraceEvent, NO_DEST};
use crate::words::U256;
use core::fmt;

/// Upper bound on retired instructions in one run (the longest program
/// retires about 20 000).
pub const MAX_STEPS: u64 = 1_000_000;

/// Refused host access to the register file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegisterError {
    /// The register is a constant.
    ReadOnly(u8),
    /// There is no such register.
    NoSuchRegister(u8),
}

impl fmt::Display for RegisterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegisterError::ReadOnly(r) => write!(f, "register r{r} is a constant"),
            RegisterError::NoSuchRegister(r) => write!(f, "no register r{r}"),
        }
    }
}

/// A run that did not halt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StepLimit;

/// What a run did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunSummary {
    /// Cycles from start to the retirement of HALT, inclusive.
    pub cycles: u64,
    /// Retired micro-instructions.
    pub retired: u64,
    /// The error register at the end.
    pub err: u8,
}

/// The engine's architectural state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Engine {
    regs: [U256; REGS],
    lanes: Lanes,
    pc: u16,
    cnt: u16,
    flag: bool,
    err: u8,
    stack: [u16; STACK_DEPTH],
    sp: usize,
}

const CNT_MASK: u16 = (1 << crate::isa::CNT_BITS) - 1;
const PC_MASK: u16 = (1 << crate::isa::PC_BITS) - 1;

impl Engine {
    /// A freshly configured engine: variable registers zero, constants loaded.
    pub fn new(lanes: Lanes) -> Engine {
        Engine {
            regs: initial_registers(),
            lanes,
            pc: 0,
            cnt: 0,
            flag: false,
            err: 0,
            stack: [0; STACK_DEPTH],
            sp: 0,
        }
    }

    /// The lane count whose timing this engine predicts.
    pub fn lanes(&self) -> Lanes {
        self.lanes
    }

    /// Host write into a variable register.
    pub fn load(&mut self, r: Reg, v: U256) -> Result<(), RegisterError> {
        if r.0 as usize >= REGS {
            Err(RegisterError::NoSuchRegister(r.0))
        } else if r.is_const() {
            Err(RegisterError::ReadOnly(r.0))
        } else {
            self.regs[r.0 as usize] = v;
            Ok(())
        }
    }

    /// Host read of any register.
    pub fn read(&self, r: Reg) -> Result<U256, RegisterError> {
        self.regs
            .get(r.0 as usize)
            .copied()
            .ok_or(RegisterError::NoSuchRegister(r.0))
    }

    /// The error register of the last run.
    pub fn err(&self) -> u8 {
        self.err
    }

    fn r(&self, r: Reg) -> U256 {
        self.regs[r.0 as usize & (REGS - 1)]
    }

    /// Hardware write: constant registers ignore writes.
    fn w(&mut self, r: Reg, v: U256) {
        if !r.is_const() {
            self.regs[r.0 as usize & (REGS - 1)] = v;
        }
    }

    fn status_digest(&self) -> u16 {
        ((self.err as u16) << 1) | self.flag as u16
    }

    /// Runs from `entry` until HALT, calling `on_retire` for every retired
    /// instruction. Words past the end of `rom` read as zero (HALT), as in
    /// the hardware's ROM.
    pub fn run(
        &mut self,
        rom: &[u32],
        entry: u16,
        mut on_retire: impl FnMut(&TraceEvent),
    ) -> Result<RunSummary, StepLimit> {
        self.pc = entry & PC_MASK;
        self.cnt = 0;
        self.flag = false;
        self.err = 0;
        self.sp = 0;
        let mut cycle: u64 = 0;
        for step in 0..MAX_STEPS {
            let pc = self.pc;
            let word = rom.get(pc as usize).copied().unwrap_or(0);
            let instr = match Instr::decode(word) {
                Ok(i) => i,
                Err(_) => {
                    // SEC_CM: DECODE.ILLEGAL_HALTS
                    self.err |= 1 << err::ILLEGAL;
                    Instr::Halt
                }
            };
            let (dest, dig, halted) = self.execute(&instr);
            cycle += cycles(&instr, self.lanes) as u64;
            on_retire(&TraceEvent {
                cycle: cycle - 1,
                pc,
                dest,
                digest: dig,
            });
            if halted {
                return Ok(RunSummary {
                    cycles: cycle,
                    retired: step + 1,
                    err: self.err,
                });
            }
        }
        Err(StepLimit)
    }

    /// Executes one instruction: (destination, digest, halted).
    fn execute(&mut self, i: &Instr) -> (u8, u16, bool) {
        let next = (self.pc + 1) & PC_MASK;
        self.pc = next;
        match *i {
            Instr::Mul { d, a, b, m } => self.write(d, field::mont_mul(&self.r(a), &self.r(b), m)),
            Instr::Add { d, a, b, m } => self.write(d, field::add(&self.r(a), &self.r(b), m)),
            Instr::Sub { d, a, b, m } => self.write(d, field::sub(&self.r(a), &self.r(b), m)),
            Instr::Copy { d, a } => self.write(d, self.r(a)),
            Instr::Cswap { a, b } => {
                let (va, vb) = (self.r(a), self.r(b));
                let (na, nb) = if self.flag { (vb, va) } else { (va, vb) };
                self.w(a, na);
                self.w(b, nb);
                let dig = digest(digest(0, &na.0), &nb.0);
                (a.0, dig, false)
            }
            Instr::Flag { k, mode } => {
                let kv = self.r(k);
                let c = self.cnt as usize;
                self.flag = match mode {
                    FlagMode::XorNext => kv.bit(c) ^ kv.bit(c + 1),
                    FlagMode::Bit => kv.bit(c),
                    FlagMode::NotBit => !kv.bit(c),
                };
                (NO_DEST, self.status_digest(), false)
            }
            Instr::Test { a, b, m, cond, act } => {
                let va = self.r(a);
                let vb = match b {
                    TestRhs::Reg(r) => self.r(r),
                    TestRhs::Modulus => m.value(),
                };
                let outcome = match cond {
                    Cond::Eq => va == vb,
                    Cond::Ne => va != vb,
                    Cond::Lt => va < vb,
                    Cond::Ge => va >= vb,
                };
                match act {
                    Action::SetFlag => self.flag = outcome,
                    Action::Raise(e) => self.err |= (outcome as u8) << (e & 7),
                }
                (NO_DEST, self.status_digest(), false)
            }
            Instr::SetCnt { n } => {
                self.cnt = n & CNT_MASK;
                (NO_DEST, self.cnt, false)
            }
            Instr::Djnz { target } => {
                self.cnt = self.cnt.wrapping_sub(1) & CNT_MASK;
                if self.cnt != 0 {
                    self.pc = target & PC_MASK;
                }
                (NO_DEST, self.cnt, false)
            }
            Instr::Jmp { target } => {
                self.pc = target & PC_MASK;
                (NO_DEST, self.cnt, false)
            }
            Instr::Call { target } => {
                if self.sp == STACK_DEPTH {
                    self.err |= 1 << err::ILLEGAL;
                    return (NO_DEST, self.cnt, true);
                }
                self.stack[self.sp] = next;
                self.sp += 1;
                self.pc = target & PC_MASK;
                (NO_DEST, self.cnt, false)
            }
            Instr::Ret => {
                if self.sp == 0 {
                    self.err |= 1 << err::ILLEGAL;
                    return (NO_DEST, self.cnt, true);
                }
                self.sp -= 1;
                self.pc = self.stack[self.sp];
                (NO_DEST, self.cnt, false)
            }
            Instr::Halt => (NO_DEST, self.err as u16, true),
        }
    }

    fn write(&mut self, d: Reg, v: U256) -> (u8, u16, bool) {
        self.w(d, v);
        (d.0, digest(0, &v.0), false)
    }
}
