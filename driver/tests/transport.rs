//! The transport under faults: corrupted responses, a device stuck busy,
//! dropped requests, a failing bus, answers of the wrong shape. Each must
//! give its typed error (or recover within the retry budget) in bounded
//! time, never a panic or a hang.
#![cfg(feature = "model")]

use embedded_hal::spi::{ErrorKind, ErrorType, Operation, SpiDevice};
use scu_driver::backend::{cycles_in, Shared, SimBus, SYS_HZ};
use scu_driver::transport::Timing;
use scu_driver::types::{DeviceError, Policy};
use scu_driver::{Error, Scu, TransportError};
use scu_model::device::suite::test_image;
use scu_model::device::Device;
use scu_model::protocol::{self, cmd, status, FrameError};
use scu_model::timing::Lanes;

/// The model with faults injected on the wire.
struct FaultBus {
    dev: Device,
    /// Full response reads to corrupt (one bit flipped).
    corrupt: u32,
    /// Requests to lose before they reach the device.
    drop: u32,
    /// Every response read says BUSY.
    stuck_busy: bool,
    /// Responses lose their last payload byte (with a valid CRC).
    shorten: bool,
    /// Transactions seen.
    transactions: u32,
}

impl FaultBus {
    fn new() -> FaultBus {
        FaultBus {
            dev: Device::new(test_image(Lanes::TINY)),
            corrupt: 0,
            drop: 0,
            stuck_busy: false,
            shorten: false,
            transactions: 0,
        }
    }
}

/// MISO of a response transaction of `n` bytes carrying this frame.
fn response(n: usize, st: u8, tag: u8, payload: &[u8]) -> Vec<u8> {
    let mut body = vec![st, tag, (payload.len() >> 8) as u8, payload.len() as u8];
    body.extend_from_slice(payload);
    let crc = protocol::crc16(&body);
    let mut m = vec![protocol::IDLE_BYTE];
    m.extend_from_slice(&body);
    m.extend_from_slice(&crc.to_be_bytes());
    m.resize(n, protocol::IDLE_BYTE);
    m
}

impl SimBus for FaultBus {
    fn transaction(&mut self, mosi: &[u8]) -> Vec<u8> {
        self.transactions += 1;
        if mosi[0] == protocol::OP_REQUEST && self.drop > 0 {
            self.drop -= 1;
            self.dev.advance(mosi.len() as u64 * 64);
            return vec![protocol::IDLE_BYTE; mosi.len()];
        }
        let mut miso = SimBus::transaction(&mut self.dev, mosi);
        if mosi[0] != protocol::OP_RESPONSE {
            return miso;
        }
        if self.stuck_busy {
            return response(mosi.len(), status::BUSY, miso[2], &[]);
        }
        let full = mosi.len() > protocol::response_transaction_len(0);
        if full && self.corrupt > 0 {
            self.corrupt -= 1;
            miso[6] ^= 0x10;
        } else if full && self.shorten {
            if let Ok(r) = protocol::decode_response(&miso) {
                let p = r.payload[..r.payload.len() - 1].to_vec();
                return response(mosi.len(), r.status, r.tag, &p);
            }
        }
        miso
    }

    fn idle(&mut self, cycles: u64) {
        self.dev.advance(cycles);
    }
}

fn driver(
    bus: FaultBus,
) -> (
    Scu<scu_driver::backend::SimSpi<FaultBus>, scu_driver::backend::SimDelay<FaultBus>>,
    Shared<FaultBus>,
) {
    let shared = Shared::new(bus);
    let (spi, delay) = shared.halves();
    (Scu::new(spi, delay), shared)
}

#[test]
fn polling_is_sparse() {
    let (mut scu, bus) = driver(FaultBus::new());
    scu.import(1, Policy::SIGN, &[7; 32]).expect("import");
    bus.lock().transactions = 0;
    scu.sign(1, &[1; 32]).expect("sign");
    // 1.37 M cycles (34 ms): one request, then polls backing off to 2 ms.
    let n = bus.lock().transactions;
    assert!(n < 40, "{n} transactions for one signature");
}

#[test]
fn corrupted_responses_are_reread() {
    let mut b = FaultBus::new();
    b.corrupt = 2;
    let (mut scu, bus) = driver(b);
    let info = scu
        .info()
        .expect("two bad reads are within the retry budget");
    assert_eq!(info.lanes, 1);
    assert_eq!(bus.lock().corrupt, 0);

    let mut b = FaultBus::new();
    b.corrupt = u32::MAX;
    let (mut scu, _) = driver(b);
    assert_eq!(
        scu.info(),
        Err(Error::Transport(TransportError::Corrupt(
            FrameError::BadCrc
        )))
    );
}

#[test]
fn a_stuck_device_times_out_in_bounded_time() {
    let mut b = FaultBus::new();
    b.stuck_busy = true;
    let (mut scu, bus) = driver(b);
    let t = Timing::default();
    let start = bus.lock().dev.now();
    assert_eq!(
        scu.self_test(),
        Err(Error::Transport(TransportError::Timeout))
    );
    let waited = bus.lock().dev.now() - start;
    assert!(
        waited >= cycles_in(t.timeout_us * 1000),
        "waited {waited} cycles"
    );
    // Waits count against the timeout; the polls' own bus time (about 1 %)
    // comes on top.
    assert!(
        waited <= cycles_in(t.timeout_us * 1000) * 21 / 20,
        "waited {waited} cycles"
    );
    assert!(waited < 3 * SYS_HZ, "under three seconds");
}

#[test]
fn dropped_requests_are_resent_then_reported() {
    let mut b = FaultBus::new();
    b.drop = 2;
    let (mut scu, _) = driver(b);
    scu.info().expect("the third send is taken");

    let mut b = FaultBus::new();
    b.drop = u32::MAX;
    let (mut scu, _) = driver(b);
    assert_eq!(
        scu.info(),
        Err(Error::Transport(TransportError::NotAccepted))
    );
}

#[test]
fn answers_of_the_wrong_shape_are_malformed() {
    let mut b = FaultBus::new();
    b.shorten = true;
    let (mut scu, _) = driver(b);
    assert_eq!(scu.info(), Err(Error::Malformed));
    assert_eq!(scu.keygen(1, Policy::SIGN), Err(Error::Malformed));
}

#[test]
fn oversize_payloads_never_reach_the_bus() {
    let (mut scu, bus) = driver(FaultBus::new());
    let mut out = [0u8; 8];
    let r = scu.raw(cmd::INFO, &[0; protocol::MAX_REQUEST_PAYLOAD + 1], &mut out);
    assert_eq!(r, Err(Error::Transport(TransportError::PayloadTooLong)));
    assert_eq!(bus.lock().transactions, 0);
}

#[test]
fn device_refusals_are_typed() {
    let (mut scu, _) = driver(FaultBus::new());
    assert_eq!(
        scu.sign(1, &[0; 32]),
        Err(Error::Device(DeviceError::SlotEmpty))
    );
    let mut out = [0u8; 8];
    assert_eq!(
        scu.raw(0x7f, &[], &mut out).map(|(s, _)| s),
        Ok(status::UNKNOWN_COMMAND)
    );
}

/// A bus that fails.
struct BrokenSpi;

impl ErrorType for BrokenSpi {
    type Error = ErrorKind;
}

impl SpiDevice for BrokenSpi {
    fn transaction(&mut self, _: &mut [Operation<'_, u8>]) -> Result<(), ErrorKind> {
        Err(ErrorKind::ChipSelectFault)
    }
}

struct NoDelay;

impl embedded_hal::delay::DelayNs for NoDelay {
    fn delay_ns(&mut self, _: u32) {}
}

#[test]
fn bus_errors_surface() {
    let mut scu = Scu::new(BrokenSpi, NoDelay);
    assert_eq!(
        scu.info(),
        Err(Error::Transport(TransportError::Spi(
            ErrorKind::ChipSelectFault
        )))
    );
    let msg = scu.info().expect_err("fails").to_string();
    assert!(msg.contains("SPI bus error"), "{msg}");
}
