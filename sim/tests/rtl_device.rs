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

/// A request whose transaction starts while a command runs is dropped, as
/// the protocol (and the model) says, even when the command ends before
/// chip select rises: the payload bytes that arrived while it ran were not
/// stored, so running the request would read stale ones.
#[test]
fn a_request_started_while_busy_is_dropped_when_the_command_ends_during_it() {
    use scu_hdl::device_harness::HALF_PERIOD;
    use scu_model::device::suite::{frame, read_frame};
    use scu_model::protocol::{self, cmd, status};

    let mut m = RtlScuPins::build(Lanes::TINY).expect("a Verilated build");
    m.transaction(&frame(1, cmd::INFO, &[])).expect("simulates");
    let (busy, _) = m.wait_idle().expect("finishes");
    // A byte takes 16 half periods; the request outlasts INFO's run.
    let byte_cycles = 16 * u64::from(HALF_PERIOD);
    let len = (busy / byte_cycles + 8) as usize;
    assert!(
        len <= protocol::MAX_REQUEST_PAYLOAD,
        "INFO ({busy} cycles) outlasts the longest request"
    );
    m.transaction(&frame(2, cmd::INFO, &[])).expect("simulates");
    assert!(m.busy());
    m.transaction(&frame(3, cmd::INFO, &vec![0; len]))
        .expect("simulates");
    assert!(!m.busy(), "the request that started while busy did not run");
    let miso = m.transaction(&read_frame()).expect("simulates");
    let r = protocol::decode_response(&miso).expect("a valid response");
    assert_eq!((r.status, r.tag), (status::OK, 2));
}
