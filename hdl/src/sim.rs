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
    /// A per-cycle check failed (`Device::flat_state_mismatch`,
    /// `Engine::flat_state_mismatch`): state formed a cycle ahead for the
    /// clock disagreed with what it stands for, or the chunk sum broke its
    /// bound.
    Flat(&'static str),
}

impl fmt::Display for SimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SimError::NoConvergence => write!(f, "the circuit did not settle"),
            SimError::Check(e) => write!(f, "design check failed: {e}"),
            SimError::Flat(what) => write!(f, "per-cycle check failed: {what}"),
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
        u.host_waddr.next = (p.host_addr as u64).into();
        let mut row: Bits<RB> = Bits::default();
        for (k, w) in p.host_wdata.iter().take(W).enumerate() {
            let b: Bits<RB> = (*w as u64).into();
            row = row | (b << ((16 * k) as u64));
        }
        u.host_wdata.next = row;
    }

    fn tick(&mut self) -> Result<(), SimError> {
        self.settle()?;
        if let Some(what) = self.uut.flat_state_mismatch() {
            return Err(SimError::Flat(what));
        }
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

/// What [`HdlTopPins`] needs of an SCU top block: its SPI pins, clock and
/// outputs (miso, busy, and the device trace if it has one).
pub trait ScuTop: Block {
    /// Drives the SPI inputs.
    fn spi_in(&mut self, sclk: bool, mosi: bool, cs_n: bool);
    /// Drives the clock.
    fn clock_in(&mut self, clk: bool);
    /// (miso, busy, trace valid, trace pc).
    fn outputs(&self) -> (bool, bool, bool, u8);
    /// Drives the raw entropy input, where the top has one.
    fn entropy_in(&mut self, _bit: bool) {}
    /// A state formed a cycle ahead that disagrees with the registered
    /// state's decode (`Device::flat_state_mismatch`).
    fn flat_state_mismatch(&self) -> Option<&'static str>;
}

/// `spi_in`, `clock_in` and `flat_state_mismatch` of a top with `sclk`,
/// `mosi`, `cs_n` and `clock` pins (both tops are their own rust-hdl
/// blocks, with their own fields).
macro_rules! spi_and_clock_pins {
    () => {
        fn spi_in(&mut self, sclk: bool, mosi: bool, cs_n: bool) {
            self.sclk.next = sclk;
            self.mosi.next = mosi;
            self.cs_n.next = cs_n;
        }

        fn clock_in(&mut self, clk: bool) {
            self.clock.next = Clock { clk };
        }

        fn flat_state_mismatch(&self) -> Option<&'static str> {
            Self::flat_state_mismatch(self)
        }
    };
}

impl<
        const L: usize,
        const CH: usize,
        const SW: usize,
        const W: usize,
        const RB: usize,
        const RSW: usize,
        const AW: usize,
    > ScuTop for ScuSim<L, CH, SW, W, RB, RSW, AW>
{
    spi_and_clock_pins!();

    fn outputs(&self) -> (bool, bool, bool, u8) {
        (
            self.miso.val(),
            self.busy.val(),
            self.dev_valid.val(),
            self.dev_pc.val().to_u8(),
        )
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
    > ScuTop for ScuBoard<L, CH, SW, W, RB, RSW, AW>
{
    spi_and_clock_pins!();

    fn outputs(&self) -> (bool, bool, bool, u8) {
        // The board top has no trace port.
        (self.miso.val(), self.busy.val(), false, 0)
    }

    fn entropy_in(&mut self, bit: bool) {
        self.entropy.next = bit;
    }
}

/// A bit source for the board SCU's `entropy` input in simulation.
pub type EntropySource = Box<dyn FnMut() -> bool + Send>;

/// An SCU top block in rust-hdl's simulator, clocked by hand, as
/// [`ScuPins`]; `entropy`, if any, supplies the raw bit every cycle.
pub struct HdlTopPins<T: ScuTop> {
    uut: Box<T>,
    entropy: Option<EntropySource>,
}

/// The simulated SCU (LFSR raw source, device trace) in rust-hdl's simulator.
pub type HdlScuPins<
    const L: usize,
    const CH: usize,
    const SW: usize,
    const W: usize,
    const RB: usize,
    const RSW: usize,
    const AW: usize,
> = HdlTopPins<ScuSim<L, CH, SW, W, RB, RSW, AW>>;

/// The board SCU (raw bits from its `entropy` input) in rust-hdl's simulator.
pub type HdlBoardPins<
    const L: usize,
    const CH: usize,
    const SW: usize,
    const W: usize,
    const RB: usize,
    const RSW: usize,
    const AW: usize,
> = HdlTopPins<ScuBoard<L, CH, SW, W, RB, RSW, AW>>;

impl<T: ScuTop> HdlTopPins<T> {
    /// `uut` connected and design-checked, behind an SPI master.
    fn start(mut uut: Box<T>, entropy: Option<EntropySource>) -> Result<SpiMaster<Self>, SimError> {
        uut.connect_all();
        check_all(uut.as_ref()).map_err(|e| SimError::Check(format!("{e:?}")))?;
        let mut p = HdlTopPins { uut, entropy };
        p.settle()?;
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
    > HdlScuPins<L, CH, SW, W, RB, RSW, AW>
{
    /// The SCU built from `image`, connected and design-checked, behind an
    /// SPI master.
    pub fn build(image: &DeviceImage) -> Result<SpiMaster<Self>, SimError> {
        Self::start(Box::new(ScuSim::new(image)), None)
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
    > HdlBoardPins<L, CH, SW, W, RB, RSW, AW>
{
    /// The board SCU built from a ring-oscillator `image`, connected and
    /// design-checked, behind an SPI master.
    pub fn build(image: &DeviceImage, entropy: EntropySource) -> Result<SpiMaster<Self>, SimError> {
        Self::start(Box::new(ScuBoard::new(image)), Some(entropy))
    }
}

impl<T: ScuTop> ScuPins for HdlTopPins<T> {
    type Error = SimError;

    fn set(&mut self, sclk: bool, mosi: bool, cs_n: bool) {
        self.uut.spi_in(sclk, mosi, cs_n);
    }

    fn tick(&mut self) -> Result<(), SimError> {
        if let Some(e) = self.entropy.as_mut() {
            let bit = e();
            self.uut.entropy_in(bit);
        }
        self.settle()?;
        if let Some(what) = self.uut.flat_state_mismatch() {
            return Err(SimError::Flat(what));
        }
        self.uut.clock_in(true);
        self.settle()?;
        self.uut.clock_in(false);
        self.settle()
    }

    fn get(&self) -> (bool, bool, bool, u8) {
        self.uut.outputs()
    }
}
