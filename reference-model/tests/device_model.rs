//! The device suite on the device model, and fuzzing of its frame parser.

use proptest::prelude::*;
use scu_model::device::{suite, Device};
use scu_model::protocol::{cmd, status};
use scu_model::timing::Lanes;

#[test]
fn device_suite_on_the_model() {
    for lanes in [Lanes::TINY, Lanes::FAST] {
        let image = suite::test_image(lanes);
        let m = image.measurement();
        let mut d = Device::new(image);
        suite::run_all(&mut d, lanes.get(), &m);
    }
}

/// An FPGA build's measurement (its template bitstream's hash) is patched
/// into the slot memory: INFO and attestation report it, and restoring a
/// persisted slot memory keeps it and the device id.
#[test]
fn a_patched_measurement_is_reported_and_survives_a_restore() {
    use scu_model::protocol::slot_mem;
    let m = [0xa5; 32];
    let image = suite::test_image(Lanes::TINY).with_measurement(m);
    assert_ne!(m, suite::test_image(Lanes::TINY).measurement());
    let mut d = Device::new(image);
    suite::info_and_self_test(&mut d, 1, &m);
    suite::attestation(&mut d, &m);
    let mut persisted = d.slot_memory().to_vec();
    persisted[slot_mem::PERSONAL].fill(0);
    let personal = d.slot_memory()[slot_mem::PERSONAL].to_vec();
    let rng = d.rng_snapshot();
    assert!(!d.restore(&persisted[1..], &rng), "wrong size refused");
    assert!(d.restore(&persisted, &rng));
    assert_eq!(&d.slot_memory()[slot_mem::PERSONAL], personal.as_slice());
    suite::info_and_self_test(&mut d, 1, &m);
}

/// A source that fails its health tests in the middle of a draw: the
/// bits of that draw never become a key or a nonce (RNG.HEALTH_AFTER_DRAW).
#[test]
fn a_source_failing_during_a_draw_gives_no_key_and_no_signature() {
    use scu_model::device::rng::{RawSnapshot, RCT_CUTOFF};
    use scu_model::protocol::slot;
    for command in [cmd::KEYGEN, cmd::SIGN] {
        let mut d = fresh();
        if command == cmd::SIGN {
            let r = suite::call(
                &mut d,
                1,
                cmd::IMPORT,
                &[[1, slot::SIGN].as_slice(), &[7; 32]].concat(),
            );
            assert_eq!(r.status, status::OK);
        }
        // One bit short of the repetition-count cutoff, with the run's bit
        // equal to the source's next bit: the first raw bit of the draw
        // fails the test.
        let s = d.rng_snapshot();
        let next = s.lfsr & 1 == 1;
        let stuck = RawSnapshot {
            last: next,
            run: RCT_CUTOFF - 1,
            ..s
        };
        let slots = d.slot_memory().to_vec();
        assert!(d.restore(&slots, &stuck));
        let payload: Vec<u8> = if command == cmd::KEYGEN {
            vec![2, slot::SIGN]
        } else {
            [[1].as_slice(), &[9; 32]].concat()
        };
        let r = suite::call(&mut d, 2, command, &payload);
        assert_eq!(r.status, status::RNG_FAILURE, "command {command:#x}");
        assert!(r.payload.is_empty(), "no key, no signature");
        assert_eq!(d.slot_memory(), slots.as_slice(), "nothing stored");
        assert!(d.rng_snapshot().failed);
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
