//! The driver-level suite: every typed call of [`Scu`], written once and run
//! on each backend (the model, the Verilated RTL). Results are checked
//! against the `p256` crate and the FIPS 186-4 CAVP key the device suite
//! uses; refusals must come back as the right typed error.

#![allow(dead_code)]

use embedded_hal::delay::DelayNs;
use embedded_hal::spi::SpiDevice;
use p256::ecdsa::signature::hazmat::PrehashVerifier;
use p256::elliptic_curve::sec1::ToEncodedPoint;
use scu_driver::evidence::{self, Reference};
use scu_driver::types::{DeviceError, Policy, PublicKey};
use scu_driver::{Error, Scu};
use scu_model::device::suite::{D1, Q1X, Q1Y};
use scu_model::device::DeviceImage;
use scu_model::timing::Lanes;
use sha2::Digest;
use std::fmt::Debug;

fn h32(s: &str) -> [u8; 32] {
    hex::decode(s).expect("hex").try_into().expect("32 bytes")
}

/// A p256 public key in the driver's type.
pub fn driver_key(pk: &p256::PublicKey) -> PublicKey {
    PublicKey::from_xy(&pk.to_encoded_point(false).as_bytes()[1..]).expect("64 bytes")
}

fn refused<T: Debug, E: Debug>(r: Result<T, Error<E>>, want: DeviceError, what: &str) {
    match r {
        Err(Error::Device(e)) if e == want => {}
        other => panic!("{what}: expected the device to refuse with {want:?}, got {other:?}"),
    }
}

fn verifies(q: &PublicKey, digest: &[u8; 32], sig: &scu_driver::types::Signature) -> bool {
    let vk = p256::ecdsa::VerifyingKey::from_sec1_bytes(&q.sec1()).expect("valid key");
    let s = p256::ecdsa::Signature::from_scalars(sig.r, sig.s).expect("r, s in range");
    s.normalize_s().is_none() && vk.verify_prehash(digest, &s).is_ok()
}

/// Runs the suite on a fresh device of the `lanes` build.
pub fn driver_suite<S, D>(scu: &mut Scu<S, D>, lanes: Lanes)
where
    S: SpiDevice,
    S::Error: Debug,
    D: DelayNs,
{
    // INFO and SELF_TEST.
    let info = scu.info().expect("info");
    assert_eq!(info.lanes as u32, lanes.get());
    assert!(info.rng_simulated, "a simulated RNG says so");
    assert!(!info.rng_failed);
    assert_eq!(info.measurement, DeviceImage::build_measurement(lanes));
    scu.self_test().expect("self test");

    // IMPORT a published key; its public key, a signature and ECDH against p256.
    let q1 = scu
        .import(1, Policy::sign_and_ecdh(), &h32(D1))
        .expect("import");
    assert_eq!((q1.x, q1.y), (h32(Q1X), h32(Q1Y)), "the CAVP public key");
    let (p, q) = scu.pubkey(1).expect("pubkey");
    assert!(p.valid() && p.allows(Policy::sign_and_ecdh()) && !p.locked());
    assert_eq!(q, q1);
    let pem = evidence::public_key_pem(&q1).expect("SPKI");
    assert_eq!(evidence::public_key_from_pem(&pem).expect("parses"), q1);
    let digest: [u8; 32] = sha2::Sha256::digest(b"driver suite").into();
    let sig = scu.sign(1, &digest).expect("sign");
    assert!(
        verifies(&q1, &digest, &sig),
        "the signature verifies with p256, low s"
    );
    let peer_sk = p256::SecretKey::from_bytes(&[0x42; 32].into()).expect("a valid scalar");
    let z = scu
        .ecdh(1, &driver_key(&peer_sk.public_key()))
        .expect("ecdh");
    let d1 = p256::SecretKey::from_bytes(&h32(D1).into()).expect("D1");
    let want = p256::ecdh::diffie_hellman(peer_sk.to_nonzero_scalar(), d1.public_key().as_affine());
    assert_eq!(&z[..], &want.raw_secret_bytes()[..], "ECDH equals p256");

    // KEYGEN with one use; the other is refused.
    let q2 = scu.keygen(2, Policy::ECDH).expect("keygen");
    assert!(
        p256::PublicKey::from_sec1_bytes(&q2.sec1()).is_ok(),
        "on the curve"
    );
    assert_ne!(q2, q1);
    refused(
        scu.sign(2, &digest),
        DeviceError::Policy,
        "sign with an ECDH-only key",
    );
    refused(
        scu.keygen(3, Policy::ATTEST),
        DeviceError::BadPolicy,
        "a host may not make attestation keys",
    );
    refused(scu.pubkey(3), DeviceError::SlotEmpty, "an empty slot");
    refused(scu.sign(8, &digest), DeviceError::BadSlot, "slot 8");
    refused(
        scu.sign(0, &digest),
        DeviceError::Policy,
        "the identity key signs only statements",
    );

    // Invalid peer points: off the curve, x = p, the (0, 0) encoding.
    let mut off = q2;
    off.y[31] ^= 1;
    refused(
        scu.ecdh(2, &off),
        DeviceError::InvalidPoint,
        "a point off the curve",
    );
    let p_bytes = h32("ffffffff00000001000000000000000000000000ffffffffffffffffffffffff");
    refused(
        scu.ecdh(
            2,
            &PublicKey {
                x: p_bytes,
                y: q2.y,
            },
        ),
        DeviceError::InvalidPoint,
        "x = p",
    );
    refused(
        scu.ecdh(
            2,
            &PublicKey {
                x: [0; 32],
                y: [0; 32],
            },
        ),
        DeviceError::InvalidPoint,
        "(0, 0)",
    );

    // LOCK: the key stays and keeps working; it can no longer be replaced.
    scu.lock(1).expect("lock");
    refused(
        scu.import(1, Policy::SIGN, &[7; 32]),
        DeviceError::SlotLocked,
        "import over a locked key",
    );
    refused(
        scu.keygen(1, Policy::SIGN),
        DeviceError::SlotLocked,
        "keygen over a locked key",
    );
    refused(
        scu.keygen(0, Policy::SIGN),
        DeviceError::SlotLocked,
        "the identity slot",
    );
    let (p, q) = scu.pubkey(1).expect("pubkey");
    assert!(p.locked());
    assert_eq!(q, q1, "nothing stored changed");
    assert!(verifies(&q1, &digest, &scu.sign(1, &digest).expect("sign")));

    // ATTEST: the evidence verifies as a remote verifier checks it; the
    // counter moves on; an old statement does not answer a new nonce.
    let reference = Reference::new(&[DeviceImage::build_measurement(lanes)], true);
    let (_, identity) = scu.pubkey(0).expect("identity key");
    let a1 = scu.attest(&[0x11; 32]).expect("attest");
    let v =
        evidence::verify(&a1, &[0x11; 32], Some(&identity), Some(&reference)).expect("verifies");
    assert_eq!(v.device_id, hex::encode(info.device_id));
    let a2 = scu.attest(&[0x22; 32]).expect("attest");
    assert_eq!(a2.counter(), a1.counter() + 1, "monotonic counter");
    assert!(
        evidence::verify(&a1, &[0x22; 32], None, None).is_err(),
        "a replayed statement"
    );
    let strict = Reference::new(&[DeviceImage::build_measurement(lanes)], false);
    assert!(
        evidence::verify(&a2, &[0x22; 32], None, Some(&strict)).is_err(),
        "simulated RNG refused"
    );
    let ev = evidence::EvidenceFile::new(&a2).expect("evidence file");
    assert_eq!(ev.attestation().expect("round trip"), a2);
}
