//! `scu-driver`: talks to an SCU over SPI.
//!
//! Layers, each with its own error type and `From` between them:
//!
//! * [`transport`] (`no_std`): frames over any
//!   [`embedded_hal::spi::SpiDevice`], polling with a
//!   [`embedded_hal::delay::DelayNs`], bounded time, tags and CRCs;
//! * [`scu`] (`no_std`): the commands as typed calls ([`scu::Scu`]);
//! * with `std`: the simulated backends (`backend`: the model at frame level
//!   and the Verilated RTL at pin level, both `SpiDevice`s), persisted
//!   simulated-device state, evidence files and their verification, and the
//!   `scu` command line;
//! * with `link`: the connector ([`link`]), authenticated and encrypted
//!   links between SCU-holding peers.
//!
//! The driver never drives chip select itself: a transaction is one
//! `SpiDevice::transaction`.
#![cfg_attr(not(feature = "std"), no_std)]

pub mod scu;
pub mod transport;
pub mod types;

#[cfg(feature = "model")]
pub mod backend;
#[cfg(feature = "verify")]
pub mod evidence;
#[cfg(feature = "link")]
pub mod link;
#[cfg(feature = "std")]
pub mod ops;
#[cfg(feature = "model")]
pub mod state;

pub use scu::{Error, Scu};
pub use transport::{Timing, TransportError};

/// The Linux backend: a board on spidev is an `embedded-hal` SPI device
/// like any other (no board is attached here: these tests check that the
/// types fit and that failures are errors, not panics).
#[cfg(all(test, feature = "linux"))]
mod linux_tests {
    use crate::Scu;
    use linux_embedded_hal::{Delay, SpidevDevice};

    fn driver_on_spidev(dev: SpidevDevice) -> Scu<SpidevDevice, Delay> {
        Scu::new(dev, Delay)
    }

    #[test]
    fn spidev_is_a_driver_backend() {
        let f: fn(SpidevDevice) -> Scu<SpidevDevice, Delay> = driver_on_spidev;
        let _ = f;
        assert!(SpidevDevice::open("/nonexistent/spidev0.0").is_err());
    }
}
