//! The Verilated RTL of the tiny (L=1) and fast (L=8) builds, held to the
//! model trace entry by entry on every routine, and its results to `p256`.

use proptest::prelude::*;
use scu_model::backend::{run_lockstep, LockstepReport};
use scu_model::consts::N;
use scu_model::isa::{err, reg, Reg};
use scu_model::ladder::{Affine, Product};
use scu_model::microcode::Routine;
use scu_model::ops::{firmware, inputs};
use scu_model::reference::*;
use scu_model::timing::Lanes;
use scu_model::U256;
use scu_sim::RtlPins;

const OUTS: [Reg; 2] = [reg::OUT0, reg::OUT1];

/// Runs a routine on a fresh RTL engine in lockstep with the model and
/// returns the outputs.
fn rtl(lanes: Lanes, routine: Routine, inputs: &[(Reg, U256)]) -> (LockstepReport, Affine) {
    let fw = firmware();
    let mut e = RtlPins::build(lanes).expect("a Verilated build");
    let r = run_lockstep(&mut e, fw.rom(), fw.entry(routine), inputs, &OUTS)
        .unwrap_or_else(|e| panic!("{lanes} {routine:?}: {e}"));
    use scu_model::backend::EngineBackend;
    let out = Affine {
        x: e.read(reg::OUT0).expect("read"),
        y: e.read(reg::OUT1).expect("read"),
    };
    (r, out)
}

fn product(r: &LockstepReport, out: Affine) -> Product {
    if r.err & (1 << err::IDENTITY) != 0 {
        Product::Identity
    } else {
        assert_eq!(r.err, 0, "error bits {:#x}", r.err);
        Product::Point(out)
    }
}

fn any_u256() -> impl Strategy<Value = U256> {
    prop::array::uniform16(any::<u16>()).prop_map(U256)
}

fn edge_scalars_give_p256_results(lanes: Lanes) {
    let p = multiple_of_g(&U256::from_be_hex(&"3c".repeat(32)));
    for k in [U256::ZERO, U256::ONE, U256::from_u16(2), n_plus(-1), N] {
        let (r, out) = rtl(lanes, Routine::ScalarMult, &inputs::scalar_mult(&k, &p));
        assert_eq!(product(&r, out), reference_mult(&k, &p), "{lanes} k = {k}");
    }
}

#[test]
fn edge_scalars_l1() {
    edge_scalars_give_p256_results(Lanes::TINY);
}

#[test]
fn edge_scalars_l8() {
    edge_scalars_give_p256_results(Lanes::FAST);
}

proptest! {
    // At least 20 fresh random scalars (and points) per run and build.
    #![proptest_config(ProptestConfig::with_cases(20))]

    #[test]
    fn random_scalars_l1(k in any_u256(), m in any_u256()) {
        let p = multiple_of_g(&m);
        let (r, out) = rtl(Lanes::TINY, Routine::ScalarMult, &inputs::scalar_mult(&k, &p));
        prop_assert_eq!(product(&r, out), reference_mult(&k, &p));
    }

    #[test]
    fn random_scalars_l8(k in any_u256(), m in any_u256()) {
        let p = multiple_of_g(&m);
        let (r, out) = rtl(Lanes::FAST, Routine::ScalarMult, &inputs::scalar_mult(&k, &p));
        prop_assert_eq!(product(&r, out), reference_mult(&k, &p));
    }
}

#[test]
fn keygen_ecdh_and_sign_on_both_builds() {
    let d = U256::from_be_hex("c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721");
    let k = U256::from_be_hex("a6e3c57dd01abe90086538398355dd4c3b17aa873382b0f24d6129493d8aad60");
    let e = U256::from_be_hex("af2bdbe1aa9b6ec1e2ade1d694f41fc71a831d0268e9891562113d8a62add1bf");
    let peer = multiple_of_g(&k);
    for lanes in [Lanes::TINY, Lanes::FAST] {
        let (r, q) = rtl(lanes, Routine::Keygen, &inputs::keygen(&d));
        assert_eq!(product(&r, q), reference_mult(&d, &g()));
        let (r, z) = rtl(lanes, Routine::Ecdh, &inputs::ecdh(&d, &peer));
        assert_eq!(product(&r, z), reference_mult(&d, &peer));
        let (r, sig) = rtl(lanes, Routine::Sign, &inputs::sign(&d, &k, &e));
        assert_eq!(r.err, 0);
        let model = scu_model::ops::sign(firmware(), lanes, &d, &k, &e)
            .result
            .expect("model signs");
        assert_eq!((sig.x, sig.y), model);
    }
}

#[test]
fn invalid_inputs_raise_the_same_errors_as_the_model() {
    let bad = Affine {
        x: U256::ONE,
        y: U256::ONE,
    };
    for lanes in [Lanes::TINY, Lanes::FAST] {
        let (r, _) = rtl(
            lanes,
            Routine::Ecdh,
            &inputs::ecdh(&U256::from_u16(5), &bad),
        );
        assert_ne!(r.err & (1 << err::POINT), 0);
        let (r, _) = rtl(lanes, Routine::Keygen, &inputs::keygen(&N));
        assert_ne!(r.err & (1 << err::SCALAR), 0);
    }
}
