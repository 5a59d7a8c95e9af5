//! Constant time on the RTL itself: the Verilated engine's own trace
//! (pc, cycle, register written) is identical for different scalars and
//! different points; only the values differ.

use scu_model::backend::EngineBackend;
use scu_model::isa::Reg;
use scu_model::microcode::Routine;
use scu_model::ops::{firmware, inputs};
use scu_model::reference::multiple_of_g;
use scu_model::timing::Lanes;
use scu_model::trace::TraceEvent;
use scu_model::U256;
use scu_sim::RtlPins;

fn rtl_trace(lanes: Lanes, routine: Routine, inputs: &[(Reg, U256)]) -> Vec<TraceEvent> {
    let fw = firmware();
    let mut e = RtlPins::build(lanes).expect("a Verilated build");
    for (r, v) in inputs {
        e.load(*r, v).expect("load");
    }
    let mut t = Vec::new();
    e.run(fw.entry(routine), &mut |ev| {
        t.push(*ev);
        true
    })
    .expect("runs");
    t
}

fn schedule(t: &[TraceEvent]) -> Vec<(u64, u16, u8)> {
    t.iter().map(|e| (e.cycle, e.pc, e.dest)).collect()
}

#[test]
fn scalar_mult_schedule_independent_of_scalar_and_point() {
    let k1 = U256::from_be_hex(&"01".repeat(32));
    let k2 = U256::from_be_hex(&"fe".repeat(32));
    let p1 = multiple_of_g(&U256::from_u16(7));
    let p2 = multiple_of_g(&U256::from_be_hex(&"9a".repeat(32)));
    for lanes in [Lanes::TINY, Lanes::FAST] {
        let a = rtl_trace(lanes, Routine::ScalarMult, &inputs::scalar_mult(&k1, &p1));
        let b = rtl_trace(lanes, Routine::ScalarMult, &inputs::scalar_mult(&k2, &p1));
        let c = rtl_trace(lanes, Routine::ScalarMult, &inputs::scalar_mult(&k1, &p2));
        assert!(a.len() > 9000);
        assert_eq!(schedule(&a), schedule(&b), "{lanes}: scalars");
        assert_eq!(schedule(&a), schedule(&c), "{lanes}: points");
        assert_ne!(a, b, "the values differ, so the comparison is not vacuous");
        assert_ne!(a, c);
    }
}

#[test]
fn sign_schedule_independent_of_key_and_nonce() {
    let lanes = Lanes::FAST;
    let d1 = U256::from_be_hex(&"12".repeat(32));
    let d2 = U256::from_be_hex(&"7e".repeat(32));
    let e = U256::from_be_hex(&"55".repeat(32));
    let a = rtl_trace(lanes, Routine::Sign, &inputs::sign(&d1, &d2, &e));
    let b = rtl_trace(lanes, Routine::Sign, &inputs::sign(&d2, &d1, &e));
    assert_eq!(schedule(&a), schedule(&b));
    assert_ne!(a, b);
}
