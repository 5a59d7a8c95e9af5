//! The SCU's two tops: [`ScuSim`], the device with the seeded LFSR as its
//! raw random source (reported by INFO as simulated), and [`ScuBoard`],
//! whose raw bit comes from the board's ring oscillators.

use crate::device::Device;
use crate::health::Lfsr;
use rust_hdl::prelude::*;
use scu_model::device::image::RngSource;
use scu_model::device::DeviceImage;

/// The simulated SCU.
#[derive(LogicBlock)]
pub struct ScuSim<
    const L: usize,
    const CH: usize,
    const SW: usize,
    const W: usize,
    const RB: usize,
    const RSW: usize,
    const AW: usize,
> {
    /// System clock.
    pub clock: Signal<In, Clock>,
    /// SPI clock.
    pub sclk: Signal<In, Bit>,
    /// SPI master out.
    pub mosi: Signal<In, Bit>,
    /// SPI chip select, active low.
    pub cs_n: Signal<In, Bit>,
    /// SPI slave out.
    pub miso: Signal<Out, Bit>,
    /// A command is running.
    pub busy: Signal<Out, Bit>,
    /// A device instruction retired in the previous cycle.
    pub dev_valid: Signal<Out, Bit>,
    /// Its address.
    pub dev_pc: Signal<Out, Bits<8>>,
    device: Device<L, CH, SW, W, RB, RSW, AW>,
    lfsr: Lfsr,
}

impl<
        const L: usize,
        const CH: usize,
        const SW: usize,
        const W: usize,
        const RB: usize,
        const RSW: usize,
        const AW: usize,
    > ScuSim<L, CH, SW, W, RB, RSW, AW>
{
    /// See [`Device::flat_state_mismatch`].
    pub fn flat_state_mismatch(&self) -> Option<&'static str> {
        self.device.flat_state_mismatch()
    }

    /// The simulated SCU built from `image`.
    pub fn new(image: &DeviceImage) -> Self {
        assert_eq!(
            image.rng,
            RngSource::Simulated,
            "the simulated SCU is built from a simulated-RNG image"
        );
        Self {
            clock: Default::default(),
            sclk: Default::default(),
            mosi: Default::default(),
            cs_n: Default::default(),
            miso: Default::default(),
            busy: Default::default(),
            dev_valid: Default::default(),
            dev_pc: Default::default(),
            device: Device::new(image),
            lfsr: Lfsr::new(image.rng_seed),
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
    > Logic for ScuSim<L, CH, SW, W, RB, RSW, AW>
{
    #[hdl_gen]
    fn update(&mut self) {
        clock!(self, clock, device, lfsr);
        self.device.sclk.next = self.sclk.val();
        self.device.mosi.next = self.mosi.val();
        self.device.cs_n.next = self.cs_n.val();
        self.device.raw_bit.next = self.lfsr.out.val();
        self.lfsr.step.next = self.device.raw_step.val();
        self.miso.next = self.device.miso.val();
        self.busy.next = self.device.busy.val();
        self.dev_valid.next = self.device.dev_valid.val();
        self.dev_pc.next = self.device.dev_pc.val();
    }
}

/// The SCU for a board: the raw random bit comes from outside the
/// generated logic (`entropy`: the board's ring oscillators, or a test's
/// bit source in simulation), through a two-flip-flop synchroniser. The
/// device health-tests and conditions it as it does any raw source.
#[derive(LogicBlock)]
pub struct ScuBoard<
    const L: usize,
    const CH: usize,
    const SW: usize,
    const W: usize,
    const RB: usize,
    const RSW: usize,
    const AW: usize,
> {
    /// System clock.
    pub clock: Signal<In, Clock>,
    /// SPI clock.
    pub sclk: Signal<In, Bit>,
    /// SPI master out.
    pub mosi: Signal<In, Bit>,
    /// SPI chip select, active low.
    pub cs_n: Signal<In, Bit>,
    /// The raw entropy bit, asynchronous.
    pub entropy: Signal<In, Bit>,
    /// SPI slave out.
    pub miso: Signal<Out, Bit>,
    /// A command is running.
    pub busy: Signal<Out, Bit>,
    device: Device<L, CH, SW, W, RB, RSW, AW>,
    sync0: DFF<Bit>,
    sync1: DFF<Bit>,
}

impl<
        const L: usize,
        const CH: usize,
        const SW: usize,
        const W: usize,
        const RB: usize,
        const RSW: usize,
        const AW: usize,
    > ScuBoard<L, CH, SW, W, RB, RSW, AW>
{
    /// See [`Device::flat_state_mismatch`].
    pub fn flat_state_mismatch(&self) -> Option<&'static str> {
        self.device.flat_state_mismatch()
    }

    /// The board SCU built from `image` (whose RNG source must be the ring
    /// oscillators, so that INFO says so).
    pub fn new(image: &DeviceImage) -> Self {
        assert_eq!(
            image.rng,
            RngSource::RingOscillator,
            "a board SCU is built from a ring-oscillator image"
        );
        Self {
            clock: Default::default(),
            sclk: Default::default(),
            mosi: Default::default(),
            cs_n: Default::default(),
            entropy: Default::default(),
            miso: Default::default(),
            busy: Default::default(),
            device: Device::new(image),
            sync0: Default::default(),
            sync1: Default::default(),
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
    > Logic for ScuBoard<L, CH, SW, W, RB, RSW, AW>
{
    #[hdl_gen]
    fn update(&mut self) {
        clock!(self, clock, device);
        dff_setup!(self, clock, sync0, sync1);
        self.sync0.d.next = self.entropy.val();
        self.sync1.d.next = self.sync0.q.val();
        self.device.sclk.next = self.sclk.val();
        self.device.mosi.next = self.mosi.val();
        self.device.cs_n.next = self.cs_n.val();
        self.device.raw_bit.next = self.sync1.q.val();
        self.miso.next = self.device.miso.val();
        self.busy.next = self.device.busy.val();
    }
}
