//! The engine in rust-hdl's own simulator, clocked by hand (no testbench
//! threads), as an [`EnginePins`] implementation.

use crate::device_harness::{ScuPins, SpiMaster};
use crate::engine::Engine;
use crate::harness::{EnginePins, Harness, PinsIn, PinsOut};
use crate::scu::{ScuBoard, ScuSim};
use rust_hdl::prelude::*;
use scu_model::device::DeviceImage;
use scu_model::timing::Lanes;
use std::fmt;

const SETTLE_ITERS: usize = 10_000;

/// What can go wrong in the rust-hdl simulation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SimError {
    /// The circuit did not settle after a clock edge (a combinational loop).
    NoConvergence,
    /// rust-hdl's design check failed.
    Check(String),
}

impl fmt::Display for SimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SimError::NoConvergence => write!(f, "the circuit did not settle"),
            SimError::Check(e) => write!(f, "design check failed: {e}"),
        }
    }
}

impl std::error::Error for SimError {}

/// An engine under rust-hdl simulation.
pub struct HdlPins<
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

/// The engine in rust-hdl's simulator behind the shared harness.
pub type HdlSim<
    const L: usize,
    const CH: usize,
    const SW: usize,
    const W: usize,
    const RB: usize,
    const RSW: usize,
    const AW: usize,
> = Harness<HdlPins<L, CH, SW, W, RB, RSW, AW>>;

impl<
        const L: usize,
        const CH: usize,
        const SW: usize,
        const W: usize,
        const RB: usize,
        const RSW: usize,
        const AW: usize,
    > HdlPins<L, CH, SW, W, RB, RSW, AW>
{
    /// An engine running `rom`, connected and design-checked, in a harness.
    pub fn build(rom: &[u32]) -> Result<HdlSim<L, CH, SW, W, RB, RSW, AW>, SimError> {
        let mut uut = Box::new(Engine::new(rom));
        uut.connect_all();
        check_all(uut.as_ref()).map_err(|e| SimError::Check(format!("{e:?}")))?;
        let mut p = HdlPins { uut };
        p.settle()?;
        Ok(Harness::new(p))
    }

    fn settle(&mut self) -> Result<(), SimError> {
        if simulate(self.uut.as_mut(), SETTLE_ITERS) {
            Ok(())
        } else {
            Err(SimError::NoConvergence)
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
    > EnginePins for HdlPins<L, CH, SW, W, RB, RSW, AW>
{
    type Error = SimError;

    fn lanes(&self) -> Lanes {
        Lanes::new(L as u32).expect("the engine checked its lane count")
    }

    fn set(&mut self, p: &PinsIn) {
        let u = &mut self.uut;
        u.rst.next = p.rst;
        u.start.next = p.start;
        u.entry.next = (p.entry as u64).into();
        u.host_we.next = p.host_we;
        u.host_addr.next = (p.host_addr as u64).into();
        let mut row: Bits<RB> = Bits::default();
        for (k, w) in p.host_wdata.iter().take(W).enumerate() {
            let b: Bits<RB> = (*w as u64).into();
            row = row | (b << ((16 * k) as u64));
        }
        u.host_wdata.next = row;
    }

    fn tick(&mut self) -> Result<(), SimError> {
        self.settle()?;
        self.uut.clock.next = Clock { clk: true };
        self.settle()?;
        self.uut.clock.next = Clock { clk: false };
        self.settle()
    }

    fn get(&self) -> PinsOut {
        let u = &self.uut;
        let mut host_rdata = [0u16; 8];
        let data = u.host_rdata.val();
        for (k, w) in host_rdata.iter_mut().take(W).enumerate() {
            *w = data.get_bits::<16>(16 * k).to_u16();
        }
        PinsOut {
            host_rdata,
            busy: u.busy.val(),
            done: u.done.val(),
            err: u.err.val().to_u8(),
            tr_valid: u.tr_valid.val(),
            tr_pc: u.tr_pc.val().to_u16(),
            tr_dest: u.tr_dest.val().to_u8(),
            tr_digest: u.tr_digest.val().to_u16(),
        }
    }
}

/// The simulated SCU in rust-hdl's simulator.
pub struct HdlScuPins<
    const L: usize,
    const CH: usize,
    const SW: usize,
    const W: usize,
    const RB: usize,
    const RSW: usize,
    const AW: usize,
> {
    uut: Box<ScuSim<L, CH, SW, W, RB, RSW, AW>>,
}

impl<
        const L: usize,
        const CH: usize,
        const SW: usize,
        const W: usize,
        const RB: usize,
        const RSW: usize,
        const AW: usize,
    > HdlScuPins<L, CH, SW, W, RB, RSW, AW>
{
    /// The SCU built from `image`, connected and design-checked, behind an
    /// SPI master.
    pub fn build(image: &DeviceImage) -> Result<SpiMaster<Self>, SimError> {
        let mut uut = Box::new(ScuSim::new(image));
        uut.connect_all();
        check_all(uut.as_ref()).map_err(|e| SimError::Check(format!("{e:?}")))?;
        let mut p = HdlScuPins { uut };
        if !simulate(p.uut.as_mut(), SETTLE_ITERS) {
            return Err(SimError::NoConvergence);
        }
        SpiMaster::new(p).map_err(|e| match e {
            crate::device_harness::DeviceHarnessError::Sim(s) => s,
            crate::device_harness::DeviceHarnessError::Hung => SimError::NoConvergence,
        })
    }

    fn settle(&mut self) -> Result<(), SimError> {
        if simulate(self.uut.as_mut(), SETTLE_ITERS) {
            Ok(())
        } else {
            Err(SimError::NoConvergence)
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
    > ScuPins for HdlScuPins<L, CH, SW, W, RB, RSW, AW>
{
    type Error = SimError;

    fn set(&mut self, sclk: bool, mosi: bool, cs_n: bool) {
        self.uut.sclk.next = sclk;
        self.uut.mosi.next = mosi;
        self.uut.cs_n.next = cs_n;
    }

    fn tick(&mut self) -> Result<(), SimError> {
        self.settle()?;
        self.uut.clock.next = Clock { clk: true };
        self.settle()?;
        self.uut.clock.next = Clock { clk: false };
        self.settle()
    }

    fn get(&self) -> (bool, bool, bool, u8) {
        let u = &self.uut;
        (
            u.miso.val(),
            u.busy.val(),
            u.dev_valid.val(),
            u.dev_pc.val().to_u8(),
        )
    }
}

/// A bit source for the board SCU's `entropy` input in simulation.
pub type EntropySource = Box<dyn FnMut() -> bool + Send>;

/// The board SCU (raw bits from its `entropy` input) in rust-hdl's
/// simulator; `entropy` supplies a bit every cycle.
pub struct HdlBoardPins<
    const L: usize,
    const CH: usize,
    const SW: usize,
    const W: usize,
    const RB: usize,
    const RSW: usize,
    const AW: usize,
> {
    uut: Box<ScuBoard<L, CH, SW, W, RB, RSW, AW>>,
    entropy: EntropySource,
}

impl<
        const L: usize,
        const CH: usize,
        const SW: usize,
        const W: usize,
        const RB: usize,
        const RSW: usize,
        const AW: usize,
    > HdlBoardPins<L, CH, SW, W, RB, RSW, AW>
{
    /// The board SCU built from a ring-oscillator `image`, connected and
    /// design-checked, behind an SPI master.
    pub fn build(image: &DeviceImage, entropy: EntropySource) -> Result<SpiMaster<Self>, SimError> {
        let mut uut = Box::new(ScuBoard::new(image));
        uut.connect_all();
        check_all(uut.as_ref()).map_err(|e| SimError::Check(format!("{e:?}")))?;
        let mut p = HdlBoardPins { uut, entropy };
        if !simulate(p.uut.as_mut(), SETTLE_ITERS) {
            return Err(SimError::NoConvergence);
        }
        SpiMaster::new(p).map_err(|e| match e {
            crate::device_harness::DeviceHarnessError::Sim(s) => s,
            crate::device_harness::DeviceHarnessError::Hung => SimError::NoConvergence,
        })
    }

    fn settle(&mut self) -> Result<(), SimError> {
        if simulate(self.uut.as_mut(), SETTLE_ITERS) {
            Ok(())
        } else {
            Err(SimError::NoConvergence)
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
    > ScuPins for HdlBoardPins<L, CH, SW, W, RB, RSW, AW>
{
    type Error = SimError;

    fn set(&mut self, sclk: bool, mosi: bool, cs_n: bool) {
        self.uut.sclk.next = sclk;
        self.uut.mosi.next = mosi;
        self.uut.cs_n.next = cs_n;
    }

    fn tick(&mut self) -> Result<(), SimError> {
        self.uut.entropy.next = (self.entropy)();
        self.settle()?;
        self.uut.clock.next = Clock { clk: true };
        self.settle()?;
        self.uut.clock.next = Clock { clk: false };
        self.settle()
    }

    fn get(&self) -> (bool, bool, bool, u8) {
        // The board top has no trace port.
        (self.uut.miso.val(), self.uut.busy.val(), false, 0)
    }
}
