//! The device test suite on the whole SCU under Verilator (L = 1 and
//! L = 8), driven over its SPI pins in frame-level lockstep with the device
//! model: every reply byte and every command's busy cycles equal, every
//! result checked against `p256`.

use scu_hdl::device_harness::LockstepDevice;
use scu_model::device::{suite, Device};
use scu_model::timing::Lanes;
use scu_sim::RtlScuPins;

fn suite_on_rtl(lanes: Lanes) {
    let image = RtlScuPins::image(lanes);
    let rtl = RtlScuPins::build(lanes).expect("a Verilated build");
    let mut d = LockstepDevice::new(rtl, Device::new(image.clone()));
    suite::run_all(&mut d, lanes.get(), &image.measurement());
    assert!(d.transactions() > 100);
}

#[test]
fn device_suite_on_rtl_l1() {
    suite_on_rtl(Lanes::TINY);
}

#[test]
fn device_suite_on_rtl_l8() {
    suite_on_rtl(Lanes::FAST);
}
