//! Evidence files as a verifier receives them, possibly from an attacker:
//! every single-bit change of the statement or the signature is refused,
//! a file whose identity PEM is not its statement's key is refused, and no
//! file, however malformed, makes the parser or the verifier panic. The
//! evidence is signed here with the `p256` crate (a key of our choosing),
//! so these tests need no device.
#![cfg(all(feature = "verify", feature = "model"))]

mod common;

use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature as P256Signature, SigningKey};
use proptest::prelude::*;
use scu_driver::evidence::{self, EvidenceFile, Reference, VerifyError};
use scu_driver::types::{Attestation, PublicKey, Signature};
use scu_model::protocol::{info, statement};

const NONCE: [u8; 32] = [0x5c; 32];
const MEASUREMENT: [u8; 32] = [0xa7; 32];

fn signing_key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32].into()).expect("a valid scalar")
}

fn identity(key: &SigningKey) -> PublicKey {
    common::driver_key(&key.verifying_key().into())
}

/// A statement the way a device lays it out, signed with `key`.
fn attestation(key: &SigningKey) -> Attestation {
    let mut st = [0u8; statement::LEN];
    st[statement::MAGIC..statement::MAGIC + 8].copy_from_slice(&statement::MAGIC_BYTES);
    st[statement::NONCE..statement::NONCE + 32].copy_from_slice(&NONCE);
    st[statement::DEVICE_ID..statement::DEVICE_ID + 16].copy_from_slice(&[0x11; 16]);
    let id = identity(key);
    st[statement::IDENTITY_KEY..statement::IDENTITY_KEY + 32].copy_from_slice(&id.x);
    st[statement::IDENTITY_KEY + 32..statement::IDENTITY_KEY + 64].copy_from_slice(&id.y);
    st[statement::MEASUREMENT..statement::MEASUREMENT + 32].copy_from_slice(&MEASUREMENT);
    st[statement::COUNTER..statement::COUNTER + 4].copy_from_slice(&7u32.to_be_bytes());
    st[statement::FLAGS] = info::FLAG_RNG_SIMULATED;
    let sig: P256Signature = key.sign(&st);
    let rs: [u8; 64] = sig.to_bytes().into();
    Attestation {
        statement: st,
        signature: Signature::from_rs(&rs).expect("r || s"),
    }
}

fn reference() -> Reference {
    Reference::new(&[MEASUREMENT], true)
}

/// Parses and verifies a file the way `scu verify` does.
fn check(file: &EvidenceFile) -> Result<evidence::Verdict, VerifyError> {
    evidence::verify(&file.attestation()?, &NONCE, None, Some(&reference()))
}

#[test]
fn evidence_signed_by_its_statements_key_verifies() {
    let key = signing_key(3);
    let file = EvidenceFile::new(&attestation(&key)).expect("evidence");
    let v = check(&file).expect("verifies");
    assert_eq!(v.counter, 7);
    assert_eq!(v.measurement, hex::encode(MEASUREMENT));
    // Pinned to its own key it passes, to another it does not.
    let a = file.attestation().expect("parses");
    assert!(evidence::verify(&a, &NONCE, Some(&identity(&key)), None).is_ok());
    assert_eq!(
        evidence::verify(&a, &NONCE, Some(&identity(&signing_key(4))), None),
        Err(VerifyError::Identity)
    );
}

#[test]
fn another_keys_pem_in_the_file_is_refused() {
    let mut file = EvidenceFile::new(&attestation(&signing_key(3))).expect("evidence");
    file.identity_public_key_pem =
        evidence::public_key_pem(&identity(&signing_key(4))).expect("pem");
    assert_eq!(file.attestation(), Err(VerifyError::IdentityPem));
    file.identity_public_key_pem =
        "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n".into();
    assert!(matches!(file.attestation(), Err(VerifyError::Format(_))));
}

/// Every variant of a hex field with one bit flipped, as the field's new text.
fn single_bit_flips(hex_field: &str) -> impl Iterator<Item = (usize, String)> {
    let bytes = hex::decode(hex_field).expect("hex");
    (0..bytes.len() * 8).map(move |bit| {
        let mut t = bytes.clone();
        t[bit / 8] ^= 1 << (bit % 8);
        (bit, hex::encode(&t))
    })
}

#[test]
fn every_single_bit_change_of_the_statement_is_refused() {
    let good = EvidenceFile::new(&attestation(&signing_key(3))).expect("evidence");
    for (bit, statement) in single_bit_flips(&good.statement) {
        let r = check(&EvidenceFile {
            statement,
            ..good.clone()
        });
        // A changed identity no longer matches the file's PEM; anything
        // else changes what was signed.
        assert!(
            matches!(
                r,
                Err(VerifyError::Magic | VerifyError::Signature | VerifyError::IdentityPem)
            ),
            "bit {bit}: {r:?}"
        );
    }
}

#[test]
fn every_single_bit_change_of_the_signature_is_refused() {
    let good = EvidenceFile::new(&attestation(&signing_key(3))).expect("evidence");
    for (bit, signature_der) in single_bit_flips(&good.signature_der) {
        let r = check(&EvidenceFile {
            signature_der,
            ..good.clone()
        });
        assert!(
            matches!(r, Err(VerifyError::Format(_) | VerifyError::Signature)),
            "bit {bit}: {r:?}"
        );
    }
}

fn hexish() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..300).prop_map(hex::encode),
        "[0-9a-fA-FxX -]{0,500}",
        any::<String>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// Any bytes where an evidence file is expected: refused, never a panic.
    #[test]
    fn arbitrary_bytes_are_not_evidence(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        if let Ok(file) = serde_json::from_slice::<EvidenceFile>(&bytes) {
            prop_assert!(check(&file).is_err());
        }
    }

    /// Well-formed JSON with arbitrary field contents (a statement of any
    /// length, a signature that may or may not be DER, any PEM): refused,
    /// never a panic.
    #[test]
    fn arbitrary_fields_are_refused(
        statement in hexish(),
        signature_der in hexish(),
        pem_other_key in any::<bool>(),
        format_ok in any::<bool>(),
    ) {
        let good = EvidenceFile::new(&attestation(&signing_key(3))).expect("evidence");
        let file = EvidenceFile {
            format: if format_ok { good.format.clone() } else { "scu-evidence/0".into() },
            statement,
            signature_der,
            identity_public_key_pem: if pem_other_key {
                evidence::public_key_pem(&identity(&signing_key(4))).expect("pem")
            } else {
                good.identity_public_key_pem.clone()
            },
        };
        prop_assert!(check(&file).is_err());
    }

    /// A statement signed by the key it carries, but whose other fields are
    /// random: it verifies exactly when magic, nonce and measurement are
    /// the expected ones, and never panics.
    #[test]
    fn random_statements_verify_only_when_they_should(
        body in proptest::collection::vec(any::<u8>(), statement::LEN),
        keep_magic in any::<bool>(),
        keep_nonce in any::<bool>(),
        keep_measurement in any::<bool>(),
        seed in 1u8..200,
    ) {
        let key = signing_key(seed);
        let mut a = attestation(&key);
        let id = a.statement[statement::IDENTITY_KEY..statement::IDENTITY_KEY + 64].to_vec();
        let mut st = [0u8; statement::LEN];
        st.copy_from_slice(&body);
        st[statement::IDENTITY_KEY..statement::IDENTITY_KEY + 64].copy_from_slice(&id);
        for (keep, at, len) in [
            (keep_magic, statement::MAGIC, 8),
            (keep_nonce, statement::NONCE, 32),
            (keep_measurement, statement::MEASUREMENT, 32),
        ] {
            if keep {
                st[at..at + len].copy_from_slice(&a.statement[at..at + len]);
            }
        }
        let sig: P256Signature = key.sign(&st);
        let rs: [u8; 64] = sig.to_bytes().into();
        a.statement = st;
        a.signature = Signature::from_rs(&rs).expect("r || s");
        let file = EvidenceFile::new(&a).expect("evidence");
        let expected = (keep_magic || st[..8] == statement::MAGIC_BYTES)
            && (keep_nonce || st[statement::NONCE..statement::NONCE + 32] == NONCE)
            && (keep_measurement
                || st[statement::MEASUREMENT..statement::MEASUREMENT + 32] == MEASUREMENT);
        prop_assert_eq!(check(&file).is_ok(), expected);
    }
}
