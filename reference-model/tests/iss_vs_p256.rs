//! Levels 2 and 3: every microcode routine, run on the instruction-set
//! simulator, against the `p256` crate and published test vectors.

use p256::ecdsa::signature::hazmat::PrehashVerifier;
use p256::ecdsa::{Signature, VerifyingKey};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use proptest::prelude::*;
use scu_model::consts::{HALF_N, N, P};
use scu_model::ladder::{self, Affine, Product};
use scu_model::ops::{self, firmware, EngineError};
use scu_model::reference::*;
use scu_model::timing::Lanes;
use scu_model::U256;

fn any_u256() -> impl Strategy<Value = U256> {
    prop::array::uniform16(any::<u16>()).prop_map(U256)
}

/// A private scalar in [1, n - 1].
fn any_private() -> impl Strategy<Value = U256> {
    any_u256().prop_map(|k| {
        let k = scu_model::field::add(&k, &U256::ZERO, scu_model::field::Modulus::N);
        if k.is_zero() {
            U256::ONE
        } else {
            k
        }
    })
}

fn hex(s: &str) -> U256 {
    U256::from_be_hex(s)
}

#[test]
fn scalar_mult_edge_scalars() {
    let mut points = vec![g(), multiple_of_g(&hex(&"5a".repeat(32)))];
    points.extend(points_with_x_zero());
    for p in &points {
        for k in edge_scalars() {
            let run = ops::scalar_mult(firmware(), Lanes::TINY, &k, p);
            assert_eq!(run.result, Ok(reference_mult(&k, p)), "k = {k}, P = {p:?}");
        }
    }
}

/// k G for k = 1..20, from the P-256 list of http://point-at-infinity.org/ecc/nisttv
/// (the same vectors the `p256` crate carries in `test_vectors/group.rs`).
#[test]
fn scalar_mult_known_answers() {
    let vectors = [
        (
            1u16,
            "6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296",
            "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5",
        ),
        (
            2,
            "7cf27b188d034f7e8a52380304b51ac3c08969e277f21b35a60b48fc47669978",
            "07775510db8ed040293d9ac69f7430dbba7dade63ce982299e04b79d227873d1",
        ),
        (
            3,
            "5ecbe4d1a6330a44c8f7ef951d4bf165e6c6b721efada985fb41661bc6e7fd6c",
            "8734640c4998ff7e374b06ce1a64a2ecd82ab036384fb83d9a79b127a27d5032",
        ),
        (
            4,
            "e2534a3532d08fbba02dde659ee62bd0031fe2db785596ef509302446b030852",
            "e0f1575a4c633cc719dfee5fda862d764efc96c3f30ee0055c42c23f184ed8c6",
        ),
        (
            20,
            "83a01a9378395bab9bcd6a0ad03cc56d56e6b19250465a94a234dc4c6b28da9a",
            "76e49b6de2f73234ae6a5eb9d612b75c9f2202bb6923f54ff8240aaa86f640b8",
        ),
    ];
    for (k, x, y) in vectors {
        let expect = Product::Point(Affine {
            x: hex(x),
            y: hex(y),
        });
        for lanes in [Lanes::TINY, Lanes::FAST] {
            assert_eq!(
                ops::scalar_mult(firmware(), lanes, &U256::from_u16(k), &g()).result,
                Ok(expect)
            );
        }
        assert_eq!(
            ops::keygen(firmware(), Lanes::TINY, &U256::from_u16(k)).result,
            Ok(match expect {
                Product::Point(a) => a,
                Product::Identity => unreachable!(),
            })
        );
    }
}

#[test]
fn invalid_points_are_refused_by_scalar_mult_and_ecdh() {
    let d = hex(&"11".repeat(32));
    let mut off_curve = g();
    off_curve.x = off_curve.x.adc(&U256::ONE).0;
    // x + p: the same residue, but not a canonical coordinate.
    let gx_plus_p = Affine {
        x: g().x.adc(&P).0,
        y: g().y,
    };
    let y_is_p = Affine { x: g().x, y: P };
    let zero = Affine {
        x: U256::ZERO,
        y: U256::ZERO,
    };
    for bad in [
        off_curve,
        y_is_p,
        zero,
        Affine {
            x: P,
            y: U256::ZERO,
        },
    ] {
        assert_eq!(
            ops::ecdh(firmware(), Lanes::TINY, &d, &bad).result,
            Err(EngineError::InvalidPoint),
            "{bad:?}"
        );
        assert_eq!(
            ops::scalar_mult(firmware(), Lanes::TINY, &d, &bad).result,
            Err(EngineError::InvalidPoint)
        );
    }
    // G.x + p overflows 256 bits only if G.x >= 2^256 - p; check what it is.
    if !g().x.adc(&P).1 {
        assert_eq!(
            ops::ecdh(firmware(), Lanes::TINY, &d, &gx_plus_p).result,
            Err(EngineError::InvalidPoint)
        );
    }
}

#[test]
fn private_scalars_outside_the_range_are_refused() {
    let top = U256([0xffff; 16]);
    for d in [U256::ZERO, N, n_plus(1), top] {
        assert_eq!(
            ops::keygen(firmware(), Lanes::TINY, &d).result,
            Err(EngineError::InvalidScalar)
        );
        assert_eq!(
            ops::ecdh(firmware(), Lanes::TINY, &d, &g()).result,
            Err(EngineError::InvalidScalar)
        );
        assert_eq!(
            ops::sign(firmware(), Lanes::TINY, &d, &U256::ONE, &U256::ONE).result,
            Err(EngineError::InvalidScalar)
        );
        assert_eq!(
            ops::sign(firmware(), Lanes::TINY, &U256::ONE, &d, &U256::ONE).result,
            Err(EngineError::InvalidScalar)
        );
    }
}

#[test]
fn edge_private_keys_work_for_keygen_and_ecdh() {
    let peer = multiple_of_g(&hex(&"77".repeat(32)));
    for d in [U256::ONE, U256::from_u16(2), n_plus(-1), n_plus(-2), HALF_N] {
        let want = reference_mult(&d, &g());
        assert_eq!(
            ops::keygen(firmware(), Lanes::TINY, &d)
                .result
                .map(Product::Point),
            Ok(want),
            "d = {d}"
        );
        let want = reference_mult(&d, &peer);
        assert_eq!(
            ops::ecdh(firmware(), Lanes::TINY, &d, &peer)
                .result
                .map(Product::Point),
            Ok(want)
        );
    }
}

/// FIPS 186-4 ECDSA P-256/SHA-256 vectors (SigGen.txt in
/// 186-4ecdsatestvectors.zip, NIST CAVP; the `m` field is the SHA-256 of
/// the message, as carried by the `p256` crate). Our routine returns low-s,
/// so s is compared after normalisation.
#[test]
fn sign_matches_nist_cavp_vectors() {
    let vectors = [
        (
            "519b423d715f8b581f4fa8ee59f4771a5b44c8130b4e3eacca54a56dda72b464",
            "94a1bbb14b906a61a280f245f9e93c7f3b4a6247824f5d33b9670787642a68de",
            "44acf6b7e36c1342c2c5897204fe09504e1e2efb1a900377dbc4e7a6a133ec56",
            "f3ac8061b514795b8843e3d6629527ed2afd6b1f6a555a7acabb5e6f79c8c2ac",
            "8bf77819ca05a6b2786c76262bf7371cef97b218e96f175a3ccdda2acc058903",
        ),
        (
            "0f56db78ca460b055c500064824bed999a25aaf48ebb519ac201537b85479813",
            "6d3e71882c3b83b156bb14e0ab184aa9fb728068d3ae9fac421187ae0b2f34c6",
            "9b2db89cb0e8fa3cc7608b4d6cc1dec0114e0b9ff4080bea12b134f489ab2bbc",
            "976d3a4e9d23326dc0baa9fa560b7c4e53f42864f508483a6473b6a11079b2db",
            "1b766e9ceb71ba6c01dcd46e0af462cd4cfa652ae5017d4555b8eeefe36e1932",
        ),
        (
            "e283871239837e13b95f789e6e1af63bf61c918c992e62bca040d64cad1fc2ef",
            "ad5e887eb2b380b8d8280ad6e5ff8a60f4d26243e0124c2f31a297b5d0835de2",
            "b804cf88af0c2eff8bbbfb3660ebb3294138e9d3ebd458884e19818061dacff0",
            "35fb60f5ca0f3ca08542fb3cc641c8263a2cab7a90ee6a5e1583fac2bb6f6bd1",
            "ee59d81bc9db1055cc0ed97b159d8784af04e98511d0a9a407b99bb292572e96",
        ),
    ];
    for (d, k, m, r, s) in vectors {
        let (r, s) = (hex(r), hex(s));
        let s_low = if s < HALF_N { s } else { N.sbb(&s).0 };
        for lanes in [Lanes::TINY, Lanes::FAST] {
            let run = ops::sign(firmware(), lanes, &hex(d), &hex(k), &hex(m));
            assert_eq!(run.result, Ok((r, s_low)));
        }
    }
}

fn verify_with_p256(d: &U256, digest: &U256, r: &U256, s: &U256) -> bool {
    let q = match reference_mult(d, &g()) {
        Product::Point(q) => q,
        Product::Identity => return false,
    };
    let ep = p256::EncodedPoint::from_affine_coordinates(
        &q.x.to_be_bytes().into(),
        &q.y.to_be_bytes().into(),
        false,
    );
    let Ok(vk) = VerifyingKey::from_encoded_point(&ep) else {
        return false;
    };
    let Ok(sig) = Signature::from_scalars(r.to_be_bytes(), s.to_be_bytes()) else {
        return false;
    };
    vk.verify_prehash(&digest.to_be_bytes(), &sig).is_ok()
}

#[test]
fn generator_point_encodes_like_p256() {
    let ep = p256::ProjectivePoint::GENERATOR
        .to_affine()
        .to_encoded_point(false);
    assert_eq!(
        ep.x().map(|x| x.to_vec()),
        Some(g().x.to_be_bytes().to_vec())
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn scalar_mult_random(k in any_u256(), m in any_private(), fast in any::<bool>()) {
        let lanes = if fast { Lanes::FAST } else { Lanes::TINY };
        let p = multiple_of_g(&m);
        let run = ops::scalar_mult(firmware(), lanes, &k, &p);
        prop_assert_eq!(run.result, Ok(reference_mult(&k, &p)));
        // The microcode and the field-level ladder agree bit for bit.
        prop_assert_eq!(run.result, ladder::scalar_mult(&k, &p).map_err(|_| EngineError::InvalidPoint));
    }

    #[test]
    fn keygen_and_ecdh_random(d in any_private(), m in any_private()) {
        let peer = multiple_of_g(&m);
        prop_assert_eq!(
            ops::keygen(firmware(), Lanes::TINY, &d).result.map(Product::Point),
            Ok(reference_mult(&d, &g()))
        );
        prop_assert_eq!(
            ops::ecdh(firmware(), Lanes::TINY, &d, &peer).result.map(Product::Point),
            Ok(reference_mult(&d, &peer))
        );
    }

    #[test]
    fn signatures_verify_with_p256(d in any_private(), k in any_private(), e in any_u256()) {
        let (r, s) = ops::sign(firmware(), Lanes::TINY, &d, &k, &e).result.expect("signs");
        prop_assert!(s <= HALF_N, "low s");
        prop_assert!(verify_with_p256(&d, &e, &r, &s));
    }
}
