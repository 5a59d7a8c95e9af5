//! The device suite on the device model, and fuzzing of its frame parser.

use proptest::prelude::*;
use scu_model::device::{suite, Device};
use scu_model::protocol::{cmd, status};
use scu_model::timing::Lanes;

#[test]
fn device_suite_on_the_model() {
    for lanes in [Lanes::TINY, Lanes::FAST] {
        let image = suite::test_image(lanes);
        let m = image.measurement;
        let mut d = Device::new(image);
        suite::run_all(&mut d, lanes.get(), &m);
    }
}

fn fresh() -> Device {
    static IMAGE: std::sync::OnceLock<scu_model::device::DeviceImage> = std::sync::OnceLock::new();
    Device::new(IMAGE.get_or_init(|| suite::test_image(Lanes::TINY)).clone())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Arbitrary transactions: the device never panics, always answers
    /// with a valid frame, changes slot memory only through accepted
    /// commands, and keeps serving.
    #[test]
    fn fuzz_the_frame_parser(tx in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..80), 1..6)) {
        let mut d = fresh();
        let before = d.slot_memory().to_vec();
        for t in &tx {
            suite::send(&mut d, t);
        }
        prop_assert!(d.accepted() > 0 || d.slot_memory() == before.as_slice());
        prop_assert_eq!(suite::call(&mut d, 0xfe, cmd::INFO, &[]).status, status::OK);
    }

    /// Well-formed frames with random commands and payloads: no panic, a
    /// defined status, the device keeps serving.
    #[test]
    fn fuzz_valid_frames(command in any::<u8>(), payload in prop::collection::vec(any::<u8>(), 0..100)) {
        let mut d = fresh();
        let r = suite::send(&mut d, &suite::frame(1, command, &payload));
        prop_assert!(r.status != status::BUSY && r.status != status::NO_RESPONSE);
        prop_assert_eq!(suite::call(&mut d, 0xfe, cmd::INFO, &[]).status, status::OK);
    }
}
