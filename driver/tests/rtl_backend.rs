//! The driver on the Verilated RTL, pin-level SPI: the same suite as on
//! the model, and state kept across simulator instances through its
//! backdoors (what `scu --device rtl` relies on).
#![cfg(feature = "rtl")]

mod common;

use scu_driver::backend::rtl_scu;
use scu_driver::types::Policy;
use scu_model::protocol::slot_mem;
use scu_model::timing::Lanes;

#[test]
fn driver_suite_on_the_rtl() {
    for lanes in [Lanes::TINY, Lanes::FAST] {
        let (mut scu, _bus) = rtl_scu(lanes).expect("the RTL is built");
        common::driver_suite(&mut scu, lanes);
    }
}

#[test]
fn rtl_state_survives_a_new_simulator() {
    let lanes = Lanes::FAST;
    let (mut a, bus_a) = rtl_scu(lanes).expect("built");
    let q = a.keygen(1, Policy::SIGN).expect("keygen");
    let (mut slots, rng) = {
        let mut b = bus_a.lock();
        let pins = b.master_mut().pins_mut();
        (pins.slot_memory(), pins.rng_snapshot())
    };
    // A state file from another build: its device id and measurement are
    // not restored, the build's stay.
    slots[slot_mem::PERSONAL].fill(0x5a);
    // A fresh instance with the saved state: the key is there and signs,
    // and the RNG continues where it stopped (the next keys agree).
    let (mut b, bus_b) = rtl_scu(lanes).expect("built");
    {
        let mut g = bus_b.lock();
        let pins = g.master_mut().pins_mut();
        assert!(!pins.restore(&slots[1..], &rng), "wrong size refused");
        assert!(pins.restore(&slots, &rng));
    }
    let (ia, ib) = (a.info().expect("info"), b.info().expect("info"));
    assert_eq!(
        (ia.device_id, ia.measurement),
        (ib.device_id, ib.measurement)
    );
    assert_eq!(b.pubkey(1).expect("pubkey").1, q);
    let next_a = a.keygen(2, Policy::ECDH).expect("keygen");
    let next_b = b.keygen(2, Policy::ECDH).expect("keygen");
    assert_eq!(next_a, next_b, "the restored RNG continues the same stream");
    assert_ne!(next_a, q);
}
