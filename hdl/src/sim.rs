//! The engine in rust-hdl's own simulator, clocked by hand (no testbench
//! threads), behind [`EngineBackend`].
//!
//! Cycle convention (shared with the Verilator harness): the edge that
//! samples `start` ends the idle period; the next cycle is cycle 0, the
//! first fetch. An instruction retiring in cycle c shows on the trace port
//! in cycle c + 1.

use crate::engine::Engine;
use rust_hdl::prelude::*;
use scu_model::backend::EngineBackend;
use scu_model::isa::{Reg, REGS};
use scu_model::iss::RunSummary;
use scu_model::timing::Lanes;
use scu_model::trace::TraceEvent;
use scu_model::words::U256;
use std::fmt;

/// Upper bound on the cycles of one run before it is declared hung.
pub const MAX_CYCLES: u64 = 5_000_000;
const SETTLE_ITERS: usize = 10_000;

/// What can go wrong in the rust-hdl simulation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SimError {
    /// The circuit did not settle after a clock edge (a combinational loop).
    NoConvergence,
    /// The rust-hdl design check failed.
    Check(String),
    /// The routine did not halt within [`MAX_CYCLES`].
    Hung,
    /// The engine was not idle when the host needed it.
    Busy,
    /// No such register.
    NoSuchRegister(u8),
}

impl fmt::Display for SimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SimError::NoConvergence => write!(f, "the circuit did not settle"),
            SimError::Check(e) => write!(f, "design check failed: {e}"),
            SimError::Hung => write!(f, "no HALT within {MAX_CYCLES} cycles"),
            SimError::Busy => write!(f, "the engine is busy"),
            SimError::NoSuchRegister(r) => write!(f, "no register r{r}"),
        }
    }
}

impl std::error::Error for SimError {}

/// An engine under rust-hdl simulation.
pub struct HdlSim<
    const L: usize,
    const CH: usize,
    const SW: usize,
    const W: usize,
    const RB: usize,
    const RSW: usize,
    const AW: usize,
> {
    uut: Box<Engine<L, CH, SW, W, RB, RSW, AW>>,
}

impl<
        const L: usize,
        const CH: usize,
        const SW: usize,
        const W: usize,
        const RB: usize,
        const RSW: usize,
        const AW: usize,
    > HdlSim<L, CH, SW, W, RB, RSW, AW>
{
    /// An engine running `rom`, connected and design-checked.
    pub fn new(rom: &[u32]) -> Result<Self, SimError> {
        let mut uut = Box::new(Engine::new(rom));
        uut.connect_all();
        check_all(uut.as_mut()).map_err(|e| SimError::Check(format!("{e:?}")))?;
        let mut s = HdlSim { uut };
        s.settle()?;
        Ok(s)
    }

    fn settle(&mut self) -> Result<(), SimError> {
        if simulate(self.uut.as_mut(), SETTLE_ITERS) {
            Ok(())
        } else {
            Err(SimError::NoConvergence)
        }
    }

    /// One clock cycle: rising edge, settle, falling edge, settle.
    pub fn tick(&mut self) -> Result<(), SimError> {
        self.uut.clock.next = Clock { clk: true };
        self.settle()?;
        self.uut.clock.next = Clock { clk: false };
        self.settle()
    }

    fn rows() -> usize {
        16 / W
    }

    fn check_reg(r: Reg) -> Result<(), SimError> {
        if (r.0 as usize) < REGS {
            Ok(())
        } else {
            Err(SimError::NoSuchRegister(r.0))
        }
    }

    fn idle(&self) -> Result<(), SimError> {
        if self.uut.busy.val() {
            Err(SimError::Busy)
        } else {
            Ok(())
        }
    }
}

impl<
        const L: usize,
        const CH: usize,
        const SW: usize,
        const W: usize,
        const RB: usize,
        const RSW: usize,
        const AW: usize,
    > EngineBackend for HdlSim<L, CH, SW, W, RB, RSW, AW>
{
    type Error = SimError;

    fn lanes(&self) -> Lanes {
        Lanes::new(L as u32).expect("the engine checked its lane count")
    }

    fn load(&mut self, r: Reg, v: &U256) -> Result<(), SimError> {
        Self::check_reg(r)?;
        self.idle()?;
        for row in 0..Self::rows() {
            let mut bits: Bits<RB> = Bits::default();
            for k in 0..W {
                let w: Bits<RB> = (v.word(row * W + k) as u64).into();
                bits = bits | (w << ((16 * k) as u64));
            }
            self.uut.host_addr.next = ((r.0 as usize * Self::rows() + row) as u64).into();
            self.uut.host_wdata.next = bits;
            self.uut.host_we.next = true;
            self.tick()?;
        }
        self.uut.host_we.next = false;
        self.settle()
    }

    fn read(&mut self, r: Reg) -> Result<U256, SimError> {
        Self::check_reg(r)?;
        self.idle()?;
        let mut words = [0u16; 16];
        for row in 0..Self::rows() {
            self.uut.host_addr.next = ((r.0 as usize * Self::rows() + row) as u64).into();
            self.tick()?;
            let data = self.uut.host_rdata.val();
            for k in 0..W {
                words[row * W + k] = data.get_bits::<16>(16 * k).to_u16();
            }
        }
        Ok(U256(words))
    }

    fn run(
        &mut self,
        entry: u16,
        on_retire: &mut dyn FnMut(&TraceEvent) -> bool,
    ) -> Result<RunSummary, SimError> {
        self.idle()?;
        self.uut.entry.next = (entry as u64).into();
        self.uut.start.next = true;
        self.tick()?;
        self.uut.start.next = false;
        self.settle()?;
        let mut cycle: u64 = 0;
        let mut retired: u64 = 0;
        loop {
            if self.uut.tr_valid.val() {
                retired += 1;
                let e = TraceEvent {
                    cycle: cycle - 1,
                    pc: self.uut.tr_pc.val().to_u16(),
                    dest: self.uut.tr_dest.val().to_u8(),
                    digest: self.uut.tr_digest.val().to_u16(),
                };
                if !on_retire(&e) {
                    // Stopped by the observer: let the engine finish quietly.
                    while self.uut.busy.val() && cycle < MAX_CYCLES {
                        self.tick()?;
                        cycle += 1;
                    }
                    return Ok(RunSummary {
                        cycles: cycle,
                        retired,
                        err: self.uut.err.val().to_u8(),
                    });
                }
            }
            if self.uut.done.val() {
                return Ok(RunSummary {
                    cycles: cycle,
                    retired,
                    err: self.uut.err.val().to_u8(),
                });
            }
            if cycle >= MAX_CYCLES {
                return Err(SimError::Hung);
            }
            self.tick()?;
            cycle += 1;
        }
    }
}
