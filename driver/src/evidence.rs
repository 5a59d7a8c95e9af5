//! Attestation evidence files and their verification, as a remote verifier
//! would do it: the signature over SHA-256(statement) by the identity key
//! the statement carries, the verifier's nonce, optionally the identity
//! pinned in advance, and the firmware measurement against reference
//! values.
//!
//! An evidence file is JSON: `{"format": "scu-evidence/1", "statement":
//! hex, "signature_der": hex, "identity_public_key_pem": PEM}`; the
//! statement layout is `scu_model::protocol::statement`. With the statement
//! and the DER signature written to files, `openssl dgst -sha256 -verify
//! identity.pem -signature sig.der statement.bin` checks the same signature.

use crate::types::{Attestation, PublicKey, Signature};
use p256::ecdsa::signature::Verifier;
use p256::pkcs8::{DecodePublicKey, EncodePublicKey, LineEnding};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Evidence format tag.
pub const FORMAT: &str = "scu-evidence/1";
/// Reference values format tag.
pub const REFERENCE_FORMAT: &str = "scu-reference/1";

/// An evidence file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceFile {
    /// [`FORMAT`].
    pub format: String,
    /// The statement, hex.
    pub statement: String,
    /// The signature, DER, hex.
    pub signature_der: String,
    /// The identity public key from the statement, SPKI PEM.
    pub identity_public_key_pem: String,
}

/// Reference values a verifier accepts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    /// [`REFERENCE_FORMAT`].
    pub format: String,
    /// Accepted firmware measurements, hex.
    pub measurements: Vec<String>,
    /// Accept a simulated (not entropy-backed) RNG: for simulated devices
    /// only.
    pub allow_simulated_rng: bool,
}

/// Why evidence is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VerifyError {
    /// The file is not evidence of this format.
    Format(String),
    /// The file's identity PEM is not the key its statement carries (the
    /// signature is checked with the statement's: a key copied from the
    /// PEM would register another device).
    IdentityPem,
    /// The statement's magic is wrong.
    Magic,
    /// The signature does not verify with the statement's identity key.
    Signature,
    /// The statement answers another nonce (a replay).
    Nonce,
    /// The identity key is not the pinned one.
    Identity,
    /// The measurement is not among the reference values.
    Measurement(String),
    /// The device's RNG is simulated and the reference does not allow it.
    SimulatedRng,
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VerifyError::Format(w) => write!(f, "not SCU evidence: {w}"),
            VerifyError::IdentityPem => f.write_str(
                "identity_public_key_pem is not the identity key in the statement: the evidence was altered",
            ),
            VerifyError::Magic => f.write_str("the statement is not an SCU attestation statement"),
            VerifyError::Signature => {
                f.write_str("the signature does not verify: the evidence was altered or forged")
            }
            VerifyError::Nonce => {
                f.write_str("the statement answers another nonce: stale or replayed evidence")
            }
            VerifyError::Identity => {
                f.write_str("the statement comes from another device than the pinned identity")
            }
            VerifyError::Measurement(m) => write!(
                f,
                "firmware measurement {m} is not among the reference values"
            ),
            VerifyError::SimulatedRng => f.write_str(
                "the device reports a simulated RNG and the reference values do not allow it",
            ),
        }
    }
}

impl std::error::Error for VerifyError {}

/// What a verified statement says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// Device id, hex.
    pub device_id: String,
    /// The identity key that signed (the statement's), SEC1 uncompressed, hex.
    pub identity: String,
    /// Attestation counter.
    pub counter: u32,
    /// Firmware measurement, hex.
    pub measurement: String,
    /// Slot policies.
    pub policies: [u8; 8],
    /// The RNG is simulated.
    pub rng_simulated: bool,
    /// The identity was checked against a pinned key.
    pub identity_pinned: bool,
    /// The measurement was checked against reference values.
    pub measurement_checked: bool,
}

/// The SPKI PEM of a public key.
pub fn public_key_pem(q: &PublicKey) -> Result<String, VerifyError> {
    let pk = p256::PublicKey::from_sec1_bytes(&q.sec1())
        .map_err(|_| VerifyError::Format("identity key".into()))?;
    pk.to_public_key_pem(LineEnding::LF)
        .map_err(|e| VerifyError::Format(e.to_string()))
}

/// A public key from SPKI PEM.
pub fn public_key_from_pem(pem: &str) -> Result<PublicKey, VerifyError> {
    let pk = p256::PublicKey::from_public_key_pem(pem)
        .map_err(|e| VerifyError::Format(format!("PEM key: {e}")))?;
    let ep = p256::elliptic_curve::sec1::ToEncodedPoint::to_encoded_point(&pk, false);
    PublicKey::from_xy(&ep.as_bytes()[1..]).ok_or_else(|| VerifyError::Format("PEM key".into()))
}

/// DER encoding of a signature.
pub fn signature_der(s: &Signature) -> Result<Vec<u8>, VerifyError> {
    let sig = p256::ecdsa::Signature::from_scalars(s.r, s.s).map_err(|_| VerifyError::Signature)?;
    Ok(sig.to_der().as_bytes().to_vec())
}

impl EvidenceFile {
    /// Evidence for an attestation.
    pub fn new(a: &Attestation) -> Result<EvidenceFile, VerifyError> {
        Ok(EvidenceFile {
            format: FORMAT.into(),
            statement: hex::encode(a.statement),
            signature_der: hex::encode(signature_der(&a.signature)?),
            identity_public_key_pem: public_key_pem(&a.identity())?,
        })
    }

    /// The attestation it carries, refused unless the file's identity PEM
    /// is the key in its statement.
    pub fn attestation(&self) -> Result<Attestation, VerifyError> {
        if self.format != FORMAT {
            return Err(VerifyError::Format(format!("format {:?}", self.format)));
        }
        let st = hex::decode(&self.statement)
            .map_err(|_| VerifyError::Format("statement is not hex".into()))?;
        let der = hex::decode(&self.signature_der)
            .map_err(|_| VerifyError::Format("signature is not hex".into()))?;
        let sig = p256::ecdsa::Signature::from_der(&der)
            .map_err(|_| VerifyError::Format("signature is not DER".into()))?;
        let rs: [u8; 64] = sig.to_bytes().into();
        let mut b = st;
        b.extend_from_slice(&rs);
        let a =
            Attestation::parse(&b).ok_or_else(|| VerifyError::Format("statement length".into()))?;
        if public_key_from_pem(&self.identity_public_key_pem)? != a.identity() {
            return Err(VerifyError::IdentityPem);
        }
        Ok(a)
    }
}

impl Reference {
    /// Reference values accepting `measurements`.
    pub fn new(measurements: &[[u8; 32]], allow_simulated_rng: bool) -> Reference {
        Reference {
            format: REFERENCE_FORMAT.into(),
            measurements: measurements.iter().map(hex::encode).collect(),
            allow_simulated_rng,
        }
    }
}

/// Verifies an attestation.
pub fn verify(
    a: &Attestation,
    nonce: &[u8; 32],
    identity: Option<&PublicKey>,
    reference: Option<&Reference>,
) -> Result<Verdict, VerifyError> {
    if !a.magic_ok() {
        return Err(VerifyError::Magic);
    }
    let id = a.identity();
    let vk = p256::ecdsa::VerifyingKey::from_sec1_bytes(&id.sec1())
        .map_err(|_| VerifyError::Signature)?;
    let sig = p256::ecdsa::Signature::from_scalars(a.signature.r, a.signature.s)
        .map_err(|_| VerifyError::Signature)?;
    vk.verify(&a.statement, &sig)
        .map_err(|_| VerifyError::Signature)?;
    if a.nonce() != *nonce {
        return Err(VerifyError::Nonce);
    }
    if let Some(pinned) = identity {
        if *pinned != id {
            return Err(VerifyError::Identity);
        }
    }
    let m = hex::encode(a.measurement());
    if let Some(r) = reference {
        if r.format != REFERENCE_FORMAT {
            return Err(VerifyError::Format(format!(
                "reference format {:?}",
                r.format
            )));
        }
        if !r.measurements.iter().any(|x| x.eq_ignore_ascii_case(&m)) {
            return Err(VerifyError::Measurement(m));
        }
        if a.rng_simulated() && !r.allow_simulated_rng {
            return Err(VerifyError::SimulatedRng);
        }
    }
    Ok(Verdict {
        device_id: hex::encode(a.device_id()),
        identity: hex::encode(id.sec1()),
        counter: a.counter(),
        measurement: m,
        policies: a.policies(),
        rng_simulated: a.rng_simulated(),
        identity_pinned: identity.is_some(),
        measurement_checked: reference.is_some(),
    })
}
