//! The SCU device in rust-hdl's simulator, in frame-level lockstep with
//! the device model, running the parts of the device suite that need no
//! scalar multiplication (rust-hdl simulates the engine at 8-25 k
//! cycles/s; the whole suite runs on the Verilated RTL in `sim/`).

use scu_hdl::device_harness::LockstepDevice;
use scu_hdl::sim::HdlScuPins;
use scu_model::device::image::Personalisation;
use scu_model::device::suite;
use scu_model::device::{Device, DeviceImage};
use scu_model::protocol::{cmd, status};
use scu_model::timing::Lanes;

/// The fast build (L = 8) in rust-hdl's simulator.
type ScuL8 = HdlScuPins<8, 128, 152, 8, 128, 132, 6>;

#[test]
fn frames_info_and_pubkey_in_lockstep() {
    let image = DeviceImage::new(
        Lanes::FAST,
        &Personalisation::derive(b"rust-hdl device test"),
    );
    let rtl = ScuL8::build(&image).expect("builds");
    let mut d = LockstepDevice::new(rtl, Device::new(image));
    assert_eq!(suite::call(&mut d, 1, cmd::INFO, &[]).status, status::OK);
    assert_eq!(suite::call(&mut d, 2, cmd::PUBKEY, &[0]).status, status::OK);
    assert_eq!(
        suite::call(&mut d, 3, cmd::PUBKEY, &[1]).status,
        status::SLOT_EMPTY
    );
    suite::malformed_frames(&mut d);
    assert!(d.transactions() > 30);
}

/// MOVEs into SHA-256 that complete a block, which the firmware never makes
/// (its MOVEs into SHA-256 are of 3 and 20 bytes; 64 raw bytes go the RAW
/// way): one whose last byte completes a block, so that the instruction
/// ends with the compression, and one that completes a block part way, so
/// that it stalls while the core compresses. A program of its own, in
/// lockstep with the model (every reply byte and busy cycle), and the
/// digest checked against the `sha2` crate.
#[test]
fn moves_into_sha256_that_complete_blocks_in_lockstep() {
    use scu_model::device::asm::at::{konst, tx, SHA};
    use scu_model::device::asm::DevAsm;
    use scu_model::device::isa::DevInstr;
    use sha2::{Digest, Sha256};

    let mut image = DeviceImage::new(
        Lanes::FAST,
        &Personalisation::derive(b"rust-hdl SHA-256 block test"),
    );
    let mut a = DevAsm::new();
    a.op(DevInstr::ShaInit);
    a.mov(SHA, konst(48), 64);
    a.mov(SHA, konst(112), 100);
    a.op(DevInstr::ShaFinish);
    a.mov(tx(0), SHA, 32);
    a.done(status::OK, 32);
    image.program = a.finish().expect("the test program assembles");
    let expected = Sha256::digest(&image.const_rom[48..212]);

    let rtl = ScuL8::build(&image).expect("builds");
    let mut d = LockstepDevice::new(rtl, Device::new(image));
    let r = suite::call(&mut d, 1, cmd::INFO, &[]);
    assert_eq!(r.status, status::OK);
    assert_eq!(r.payload[..], expected[..]);
}
