//! The engine's pins and the one harness that drives them: host loads and
//! reads through the row port, start, the run loop that turns the trace
//! port into [`TraceEvent`]s. rust-hdl's simulation ([`crate::sim`]) and the
//! Verilator build (`scu-sim`) both implement [`EnginePins`], so they share
//! this cycle convention:
//!
//! the edge that samples `start` ends the idle period; the next cycle is
//! cycle 0, the first fetch. An instruction retiring in cycle c shows on the
//! trace port in cycle c + 1; `done` shows in the cycle after HALT retires,
//! which is the run's total cycle count.

use scu_model::backend::EngineBackend;
use scu_model::isa::{Reg, REGS};
use scu_model::iss::RunSummary;
use scu_model::timing::Lanes;
use scu_model::trace::TraceEvent;
use scu_model::words::U256;
use std::fmt;

/// Upper bound on the cycles of one run before it is declared hung (the
/// longest routine takes 1.4 M cycles at one lane).
pub const MAX_CYCLES: u64 = 5_000_000;

/// Inputs of the engine (a row is at most 8 words).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PinsIn {
    /// Synchronous reset.
    pub rst: bool,
    /// Start the routine at `entry`.
    pub start: bool,
    /// Entry address.
    pub entry: u16,
    /// Host write enable.
    pub host_we: bool,
    /// Host row address.
    pub host_addr: u16,
    /// Host write data, word 0 first.
    pub host_wdata: [u16; 8],
}

/// Outputs of the engine.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PinsOut {
    /// Host read data, word 0 first.
    pub host_rdata: [u16; 8],
    /// Running.
    pub busy: bool,
    /// HALT retired in the previous cycle.
    pub done: bool,
    /// Error register.
    pub err: u8,
    /// An instruction retired in the previous cycle.
    pub tr_valid: bool,
    /// Its address.
    pub tr_pc: u16,
    /// Its destination.
    pub tr_dest: u8,
    /// Its digest.
    pub tr_digest: u16,
}

/// A clocked engine at pin level.
pub trait EnginePins {
    /// Simulator failures.
    type Error: fmt::Debug + fmt::Display;
    /// Its lane count.
    fn lanes(&self) -> Lanes;
    /// Drives the inputs (taken at the next rising edge).
    fn set(&mut self, pins: &PinsIn);
    /// One clock cycle.
    fn tick(&mut self) -> Result<(), Self::Error>;
    /// The outputs after the last edge.
    fn get(&self) -> PinsOut;
}

/// Errors of a pin-level run.
#[derive(Debug)]
pub enum HarnessError<E> {
    /// The simulator failed.
    Sim(E),
    /// No HALT within [`MAX_CYCLES`].
    Hung,
    /// The engine was busy when the host needed the register file.
    Busy,
    /// No such register.
    NoSuchRegister(u8),
}

impl<E: fmt::Display> fmt::Display for HarnessError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HarnessError::Sim(e) => write!(f, "{e}"),
            HarnessError::Hung => write!(f, "no HALT within {MAX_CYCLES} cycles"),
            HarnessError::Busy => write!(f, "the engine is busy"),
            HarnessError::NoSuchRegister(r) => write!(f, "no register r{r}"),
        }
    }
}

/// Drives an [`EnginePins`] implementation as an [`EngineBackend`].
pub struct Harness<P: EnginePins> {
    pins: P,
    input: PinsIn,
}

impl<P: EnginePins> Harness<P> {
    /// Wraps a freshly built engine.
    pub fn new(pins: P) -> Self {
        Harness {
            pins,
            input: PinsIn::default(),
        }
    }

    /// The engine itself.
    pub fn pins_mut(&mut self) -> &mut P {
        &mut self.pins
    }

    fn row_words(&self) -> usize {
        self.pins.lanes().row_words() as usize
    }

    fn rows(&self) -> usize {
        self.pins.lanes().rows() as usize
    }

    fn tick(&mut self) -> Result<PinsOut, HarnessError<P::Error>> {
        self.pins.set(&self.input);
        self.pins.tick().map_err(HarnessError::Sim)?;
        Ok(self.pins.get())
    }

    fn idle(&self, r: Reg) -> Result<(), HarnessError<P::Error>> {
        if r.0 as usize >= REGS {
            Err(HarnessError::NoSuchRegister(r.0))
        } else if self.pins.get().busy {
            Err(HarnessError::Busy)
        } else {
            Ok(())
        }
    }
}

impl<P: EnginePins> EngineBackend for Harness<P> {
    type Error = HarnessError<P::Error>;

    fn lanes(&self) -> Lanes {
        self.pins.lanes()
    }

    /// Writes through the host port. Writes to constant registers are
    /// ignored by the hardware, not refused here: tests check that.
    fn load(&mut self, r: Reg, v: &U256) -> Result<(), Self::Error> {
        self.idle(r)?;
        let (w, rows) = (self.row_words(), self.rows());
        for row in 0..rows {
            self.input.host_we = true;
            self.input.host_addr = (r.0 as usize * rows + row) as u16;
            self.input.host_wdata = [0; 8];
            self.input.host_wdata[..w].copy_from_slice(&v.0[row * w..(row + 1) * w]);
            self.tick()?;
        }
        self.input.host_we = false;
        Ok(())
    }

    fn read(&mut self, r: Reg) -> Result<U256, Self::Error> {
        self.idle(r)?;
        let (w, rows) = (self.row_words(), self.rows());
        let mut words = [0u16; 16];
        for row in 0..rows {
            self.input.host_addr = (r.0 as usize * rows + row) as u16;
            let out = self.tick()?;
            words[row * w..(row + 1) * w].copy_from_slice(&out.host_rdata[..w]);
        }
        Ok(U256(words))
    }

    fn run(
        &mut self,
        entry: u16,
        on_retire: &mut dyn FnMut(&TraceEvent) -> bool,
    ) -> Result<RunSummary, Self::Error> {
        if self.pins.get().busy {
            return Err(HarnessError::Busy);
        }
        self.input.entry = entry;
        self.input.start = true;
        let mut out = self.tick()?;
        self.input.start = false;
        let mut cycle: u64 = 0;
        let mut retired: u64 = 0;
        let mut watching = true;
        loop {
            if out.tr_valid {
                retired += 1;
                let e = TraceEvent {
                    cycle: cycle - 1,
                    pc: out.tr_pc,
                    dest: out.tr_dest,
                    digest: out.tr_digest,
                };
                if watching && !on_retire(&e) {
                    watching = false;
                }
            }
            if out.done {
                return Ok(RunSummary {
                    cycles: cycle,
                    retired,
                    err: out.err,
                });
            }
            if cycle >= MAX_CYCLES {
                return Err(HarnessError::Hung);
            }
            out = self.tick()?;
            cycle += 1;
        }
    }
}
