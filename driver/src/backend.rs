//! Simulated SCUs as `embedded-hal` devices, so the same driver talks to
//! the model, the Verilated RTL and a real board.
//!
//! A simulated SCU is a [`SimBus`]: whole chip-select transactions and the
//! passing of time, counted in cycles of a nominal [`SYS_HZ`] system clock.
//! [`SimSpi`] (the `SpiDevice`) and [`SimDelay`] (the `DelayNs`) share one
//! bus, so the driver's polling delays are time on the device's clock.

use core::convert::Infallible;
use embedded_hal::delay::DelayNs;
use embedded_hal::spi::{ErrorType, Operation, SpiDevice};
use scu_model::device::Device;
use std::sync::{Arc, Mutex, MutexGuard};

/// Nominal system clock of simulated SCUs (the tiny build's timing target).
pub const SYS_HZ: u64 = 40_000_000;
/// SPI clock of simulated SCUs: the front end needs SCLK at most an eighth
/// of the system clock.
pub const SCLK_HZ: u64 = SYS_HZ / 8;

/// Cycles of the system clock in `ns` nanoseconds (rounded up).
pub fn cycles_in(ns: u64) -> u64 {
    (ns * SYS_HZ).div_ceil(1_000_000_000)
}

/// A simulated SCU.
pub trait SimBus: Send {
    /// One chip-select transaction: MISO for `mosi`; its duration passes.
    fn transaction(&mut self, mosi: &[u8]) -> Vec<u8>;
    /// `cycles` of the system clock pass.
    fn idle(&mut self, cycles: u64);
}

impl SimBus for Device {
    fn transaction(&mut self, mosi: &[u8]) -> Vec<u8> {
        let miso = Device::transaction(self, mosi);
        self.advance(mosi.len() as u64 * 8 * (SYS_HZ / SCLK_HZ));
        miso
    }
    fn idle(&mut self, cycles: u64) {
        self.advance(cycles);
    }
}

/// A simulated SCU shared by its SPI and delay halves.
pub struct Shared<B>(Arc<Mutex<B>>);

impl<B> Clone for Shared<B> {
    fn clone(&self) -> Self {
        Shared(self.0.clone())
    }
}

impl<B: SimBus> Shared<B> {
    /// Shares `bus`.
    pub fn new(bus: B) -> Self {
        Shared(Arc::new(Mutex::new(bus)))
    }

    /// The bus (a poisoned lock still gives it: the simulation has no
    /// invariant a panic elsewhere could break halfway).
    pub fn lock(&self) -> MutexGuard<'_, B> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The `SpiDevice` and `DelayNs` halves.
    pub fn halves(&self) -> (SimSpi<B>, SimDelay<B>) {
        (SimSpi(self.clone()), SimDelay(self.clone()))
    }
}

/// The SPI half.
pub struct SimSpi<B>(Shared<B>);
/// The delay half.
pub struct SimDelay<B>(Shared<B>);

impl<B> ErrorType for SimSpi<B> {
    type Error = Infallible;
}

impl<B: SimBus> SpiDevice for SimSpi<B> {
    fn transaction(&mut self, ops: &mut [Operation<'_, u8>]) -> Result<(), Infallible> {
        let mut mosi = Vec::new();
        for op in ops.iter() {
            match op {
                Operation::Read(b) => mosi.resize(mosi.len() + b.len(), 0),
                Operation::Write(b) => mosi.extend_from_slice(b),
                Operation::Transfer(r, w) => {
                    let n = r.len().max(w.len());
                    mosi.extend_from_slice(w);
                    mosi.resize(mosi.len() + n - w.len(), 0);
                }
                Operation::TransferInPlace(b) => mosi.extend_from_slice(b),
                Operation::DelayNs(_) => {}
            }
        }
        let miso = self.0.lock().transaction(&mosi);
        let mut at = 0;
        for op in ops.iter_mut() {
            match op {
                Operation::Read(b) | Operation::TransferInPlace(b) => {
                    b.copy_from_slice(&miso[at..at + b.len()]);
                    at += b.len();
                }
                Operation::Write(b) => at += b.len(),
                Operation::Transfer(r, w) => {
                    let n = r.len().max(w.len());
                    r.copy_from_slice(&miso[at..at + r.len()]);
                    at += n;
                }
                Operation::DelayNs(_) => {}
            }
        }
        Ok(())
    }
}

impl<B: SimBus> DelayNs for SimDelay<B> {
    fn delay_ns(&mut self, ns: u32) {
        self.0.lock().idle(cycles_in(ns as u64));
    }
}

#[cfg(feature = "rtl")]
pub use rtl::RtlBus;

#[cfg(feature = "rtl")]
mod rtl {
    use super::SimBus;
    use scu_hdl::device_harness::SpiMaster;
    use scu_model::timing::Lanes;
    use scu_sim::RtlScuPins;

    /// The Verilated SCU at pin level; reports long simulations.
    pub struct RtlBus {
        master: SpiMaster<RtlScuPins>,
        progress: Option<Box<dyn FnMut(u64) + Send>>,
    }

    impl RtlBus {
        /// A fresh Verilated SCU of the given build.
        pub fn new(lanes: Lanes) -> Result<RtlBus, scu_sim::NotBuilt> {
            Ok(RtlBus {
                master: RtlScuPins::build(lanes)?,
                progress: None,
            })
        }

        /// Calls `f` with the simulated cycles so far during long waits.
        pub fn on_progress(&mut self, f: Box<dyn FnMut(u64) + Send>) {
            self.progress = Some(f);
        }

        /// The SPI master (for state persistence through the simulator).
        pub fn master_mut(&mut self) -> &mut SpiMaster<RtlScuPins> {
            &mut self.master
        }
    }

    impl SimBus for RtlBus {
        fn transaction(&mut self, mosi: &[u8]) -> Vec<u8> {
            // Verilator cannot fail a cycle, and a transaction never waits
            // for the device, so this has no error path in practice.
            self.master
                .transaction(mosi)
                .unwrap_or_else(|_| vec![0xff; mosi.len()])
        }

        fn idle(&mut self, cycles: u64) {
            let _ = self.master.idle(cycles);
            if let Some(f) = self.progress.as_mut() {
                f(self.master.cycles());
            }
        }
    }
}

/// The driver on the reference model.
pub type ModelScu = crate::Scu<SimSpi<Device>, SimDelay<Device>>;

/// The driver on a model device, and the device (for its cycle reports).
pub fn model_scu(device: Device) -> (ModelScu, Shared<Device>) {
    let shared = Shared::new(device);
    let (spi, delay) = shared.halves();
    (crate::Scu::new(spi, delay), shared)
}

/// The driver on the Verilated RTL.
#[cfg(feature = "rtl")]
pub type RtlScu = crate::Scu<SimSpi<RtlBus>, SimDelay<RtlBus>>;

/// The driver on a fresh Verilated SCU, and the bus (for the simulator's
/// backdoors).
#[cfg(feature = "rtl")]
pub fn rtl_scu(
    lanes: scu_model::timing::Lanes,
) -> Result<(RtlScu, Shared<RtlBus>), scu_sim::NotBuilt> {
    let shared = Shared::new(RtlBus::new(lanes)?);
    let (spi, delay) = shared.halves();
    Ok((crate::Scu::new(spi, delay), shared))
}
