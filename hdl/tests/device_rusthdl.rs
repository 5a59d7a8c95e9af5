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

#[test]
fn frames_info_and_pubkey_in_lockstep() {
    let image = DeviceImage::new(
        Lanes::FAST,
        &Personalisation::derive(b"rust-hdl device test"),
    );
    let rtl = HdlScuPins::<8, 128, 152, 8, 128, 132, 6>::build(&image).expect("builds");
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
