//! The SCU as simulated: the device with the seeded LFSR as its raw random
//! source (reported by INFO as simulated). The FPGA top replaces the LFSR
//! with ring oscillators.

use crate::device::Device;
use crate::health::Lfsr;
use rust_hdl::prelude::*;
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
    /// The simulated SCU built from `image`.
    pub fn new(image: &DeviceImage) -> Self {
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
