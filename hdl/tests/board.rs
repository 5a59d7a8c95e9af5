//! The board SCU (`ScuBoard`: raw random bits from its `entropy` input,
//! where the FPGA build wires the ring oscillators) in rust-hdl's
//! simulator: it reports a hardware RNG and the measurement patched into it,
//! its keys come from the entropy it is given, and a stuck source fails the
//! health tests instead of producing keys.

mod common;

use scu_hdl::device_harness::{ScuPins, SpiMaster};
use scu_hdl::sim::{EntropySource, HdlBoardPins};
use scu_model::device::image::{Personalisation, RngSource};
use scu_model::device::suite::{self, affine, DeviceUnderTest};
use scu_model::device::DeviceImage;
use scu_model::protocol::{cmd, info, slot, status};
use scu_model::timing::Lanes;

/// The suite's view of a device without a model beside it.
struct Board<P: ScuPins>(SpiMaster<P>);

impl<P: ScuPins> DeviceUnderTest for Board<P> {
    fn transaction(&mut self, mosi: &[u8]) -> Vec<u8> {
        self.0.transaction(mosi).expect("simulates")
    }
    fn transaction_cut(&mut self, mosi: &[u8], bits: u8) -> Vec<u8> {
        self.0.transaction_cut(mosi, Some(bits)).expect("simulates")
    }
    fn wait_idle(&mut self) {
        self.0.wait_idle().expect("finishes");
    }
    fn busy(&self) -> bool {
        self.0.busy()
    }
    fn slot_memory(&self) -> Option<Vec<u8>> {
        None
    }
    fn inject_rng_failure(&mut self) -> bool {
        false
    }
}

type Pins = HdlBoardPins<8, 128, 152, 8, 128, 132, 6>;

/// Stands for the SHA-256 of a template bitstream, which `fpga/build.py`
/// patches in as the measurement.
const BITSTREAM_HASH: [u8; 32] = *b"template bitstream SHA-256 here.";

fn image() -> DeviceImage {
    DeviceImage::with_rng(
        Lanes::FAST,
        RngSource::RingOscillator,
        &Personalisation::derive(b"board test"),
    )
    .with_measurement(BITSTREAM_HASH)
}

fn board(entropy: EntropySource) -> Board<Pins> {
    Board(Pins::build(&image(), entropy).expect("builds"))
}

/// A test's stand-in for the oscillators: xorshift64 bits.
fn noise(seed: u64) -> EntropySource {
    let mut x = seed.max(1);
    Box::new(move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x & 1 == 1
    })
}

#[test]
fn info_reports_a_hardware_rng_and_the_measurement_patched_in() {
    let mut b = board(noise(1));
    let r = suite::call(&mut b, 1, cmd::INFO, &[]);
    assert_eq!(r.status, status::OK);
    assert_eq!(r.payload[info::FLAGS] & info::FLAG_RNG_SIMULATED, 0);
    let m = &r.payload[info::MEASUREMENT..info::MEASUREMENT + 32];
    assert_eq!(m, BITSTREAM_HASH);
    // Without a bitstream hash patched in, the firmware measurement, which
    // tells a hardware-RNG build from a simulated one.
    assert_ne!(
        DeviceImage::build_measurement_with(Lanes::FAST, RngSource::RingOscillator),
        DeviceImage::build_measurement(Lanes::FAST),
    );
}

#[test]
fn keys_come_from_the_entropy_input() {
    let key = |seed| {
        let mut b = board(noise(seed));
        let r = suite::call(&mut b, 1, cmd::KEYGEN, &[1, slot::SIGN]);
        assert_eq!(r.status, status::OK, "keygen with seed {seed}");
        affine(&r.payload)
    };
    let (a, a2, b) = (key(7), key(7), key(8));
    assert_eq!(
        a, a2,
        "the same bits give the same key: the key comes from the input"
    );
    assert_ne!(a, b, "other bits, another key");
}

#[test]
fn a_stuck_oscillator_fails_the_health_tests() {
    let mut b = board(Box::new(|| false));
    let r = suite::call(&mut b, 1, cmd::KEYGEN, &[1, slot::SIGN]);
    assert_eq!(r.status, status::RNG_FAILURE);
    let i = suite::call(&mut b, 2, cmd::INFO, &[]);
    assert_ne!(i.payload[info::FLAGS] & info::FLAG_RNG_FAILED, 0);
    assert_eq!(
        suite::call(&mut b, 3, cmd::PUBKEY, &[1]).status,
        status::SLOT_EMPTY,
        "no key was stored"
    );
}

/// The board SCU's Verilog passes yosys' elaboration checks (skipped only
/// when yosys is absent and SCU_REQUIRE_TOOLS is unset).
#[test]
fn board_verilog_passes_yosys() {
    if !common::yosys_present() {
        return;
    }
    let v = scu_hdl::verilog::scu_board_verilog(&DeviceImage::with_rng(
        Lanes::TINY,
        RngSource::RingOscillator,
        &Personalisation::derive(b"board test"),
    ));
    assert!(v.contains("entropy"), "the entropy port is there");
    rust_hdl::prelude::yosys_validate("scu_board", &v).unwrap_or_else(|e| panic!("{e:?}"));
}
