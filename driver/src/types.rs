//! Values that cross the SPI link, with their standard encodings.

use core::fmt;
use scu_model::protocol::{info, slot, statement, status};

/// A slot's key-use policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Policy(pub u8);

impl Policy {
    /// May sign digests.
    pub const SIGN: Policy = Policy(slot::SIGN);
    /// May do ECDH.
    pub const ECDH: Policy = Policy(slot::ECDH);
    /// Signs attestation statements (the identity slot).
    pub const ATTEST: Policy = Policy(slot::ATTEST);

    /// Both uses a host may request.
    pub const fn sign_and_ecdh() -> Policy {
        Policy(slot::SIGN | slot::ECDH)
    }
    /// Union.
    pub const fn with(self, o: Policy) -> Policy {
        Policy(self.0 | o.0)
    }
    /// Whether every bit of `o` is set.
    pub const fn allows(self, o: Policy) -> bool {
        self.0 & o.0 == o.0
    }
    /// The slot holds a key.
    pub const fn valid(self) -> bool {
        self.0 & slot::VALID != 0
    }
    /// The key can no longer be replaced.
    pub const fn locked(self) -> bool {
        self.0 & slot::LOCKED != 0
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = [
            (slot::SIGN, "sign"),
            (slot::ECDH, "ecdh"),
            (slot::ATTEST, "attest"),
            (slot::LOCKED, "locked"),
        ];
        let mut first = true;
        for (bit, name) in names {
            if self.0 & bit != 0 {
                if !first {
                    f.write_str(",")?;
                }
                f.write_str(name)?;
                first = false;
            }
        }
        if first {
            f.write_str("none")?;
        }
        Ok(())
    }
}

/// A P-256 public key (affine coordinates, big-endian).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PublicKey {
    /// x.
    pub x: [u8; 32],
    /// y.
    pub y: [u8; 32],
}

impl PublicKey {
    /// From x || y.
    pub fn from_xy(b: &[u8]) -> Option<PublicKey> {
        if b.len() != 64 {
            return None;
        }
        let mut x = [0u8; 32];
        let mut y = [0u8; 32];
        x.copy_from_slice(&b[..32]);
        y.copy_from_slice(&b[32..]);
        Some(PublicKey { x, y })
    }

    /// SEC1 uncompressed encoding, 0x04 || x || y.
    pub fn sec1(&self) -> [u8; 65] {
        let mut o = [0u8; 65];
        o[0] = 0x04;
        o[1..33].copy_from_slice(&self.x);
        o[33..].copy_from_slice(&self.y);
        o
    }

    /// x || y.
    pub fn xy(&self) -> [u8; 64] {
        let mut o = [0u8; 64];
        o[..32].copy_from_slice(&self.x);
        o[32..].copy_from_slice(&self.y);
        o
    }
}

/// An ECDSA P-256 signature (r, s big-endian; s is low).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Signature {
    /// r.
    pub r: [u8; 32],
    /// s.
    pub s: [u8; 32],
}

impl Signature {
    /// From r || s.
    pub fn from_rs(b: &[u8]) -> Option<Signature> {
        if b.len() != 64 {
            return None;
        }
        let mut r = [0u8; 32];
        let mut s = [0u8; 32];
        r.copy_from_slice(&b[..32]);
        s.copy_from_slice(&b[32..]);
        Some(Signature { r, s })
    }

    /// r || s.
    pub fn rs(&self) -> [u8; 64] {
        let mut o = [0u8; 64];
        o[..32].copy_from_slice(&self.r);
        o[32..].copy_from_slice(&self.s);
        o
    }
}

/// What INFO reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Info {
    /// Protocol version.
    pub version: u8,
    /// Engine lanes of the build.
    pub lanes: u8,
    /// The RNG is the simulation's seeded source.
    pub rng_simulated: bool,
    /// The RNG's health tests have failed.
    pub rng_failed: bool,
    /// Key slots.
    pub slots: u8,
    /// Device id.
    pub device_id: [u8; 16],
    /// Firmware measurement.
    pub measurement: [u8; 32],
    /// Attestation counter.
    pub counter: u32,
}

impl Info {
    /// Parses an INFO payload.
    pub fn parse(b: &[u8]) -> Option<Info> {
        if b.len() != info::LEN {
            return None;
        }
        let mut device_id = [0u8; 16];
        device_id.copy_from_slice(&b[info::DEVICE_ID..info::DEVICE_ID + 16]);
        let mut measurement = [0u8; 32];
        measurement.copy_from_slice(&b[info::MEASUREMENT..info::MEASUREMENT + 32]);
        Some(Info {
            version: b[info::VERSION],
            lanes: b[info::LANES],
            rng_simulated: b[info::FLAGS] & info::FLAG_RNG_SIMULATED != 0,
            rng_failed: b[info::FLAGS] & info::FLAG_RNG_FAILED != 0,
            slots: b[info::SLOTS],
            device_id,
            measurement,
            counter: u32::from_be_bytes([
                b[info::COUNTER],
                b[info::COUNTER + 1],
                b[info::COUNTER + 2],
                b[info::COUNTER + 3],
            ]),
        })
    }
}

/// A signed attestation statement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attestation {
    /// The statement bytes (see `scu_model::protocol::statement`).
    pub statement: [u8; statement::LEN],
    /// The identity key's signature over SHA-256(statement).
    pub signature: Signature,
}

impl Attestation {
    /// Parses an ATTEST payload.
    pub fn parse(b: &[u8]) -> Option<Attestation> {
        if b.len() != statement::RESPONSE_LEN {
            return None;
        }
        let mut st = [0u8; statement::LEN];
        st.copy_from_slice(&b[..statement::LEN]);
        Some(Attestation {
            statement: st,
            signature: Signature::from_rs(&b[statement::LEN..])?,
        })
    }

    fn field<const N: usize>(&self, at: usize) -> [u8; N] {
        let mut o = [0u8; N];
        o.copy_from_slice(&self.statement[at..at + N]);
        o
    }
    /// The verifier's nonce.
    pub fn nonce(&self) -> [u8; 32] {
        self.field(statement::NONCE)
    }
    /// Device id.
    pub fn device_id(&self) -> [u8; 16] {
        self.field(statement::DEVICE_ID)
    }
    /// The identity public key.
    pub fn identity(&self) -> PublicKey {
        let xy: [u8; 64] = self.field(statement::IDENTITY_KEY);
        PublicKey::from_xy(&xy).unwrap_or(PublicKey {
            x: [0; 32],
            y: [0; 32],
        })
    }
    /// Firmware measurement.
    pub fn measurement(&self) -> [u8; 32] {
        self.field(statement::MEASUREMENT)
    }
    /// Slot policies.
    pub fn policies(&self) -> [u8; 8] {
        self.field(statement::POLICIES)
    }
    /// Attestation counter.
    pub fn counter(&self) -> u32 {
        u32::from_be_bytes(self.field(statement::COUNTER))
    }
    /// The RNG is simulated.
    pub fn rng_simulated(&self) -> bool {
        self.statement[statement::FLAGS] & info::FLAG_RNG_SIMULATED != 0
    }
    /// The magic is right.
    pub fn magic_ok(&self) -> bool {
        self.statement[statement::MAGIC..statement::MAGIC + 8] == statement::MAGIC_BYTES
    }
}

/// A status code the device answered with, other than OK.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DeviceError {
    /// The device saw a CRC error in the request.
    BadCrc,
    /// The request's length is wrong for the command.
    BadLength,
    /// The request is longer than the device takes.
    Oversize,
    /// The request was cut short.
    Truncated,
    /// The device does not know the command.
    UnknownCommand,
    /// The transaction's first byte was not an op.
    BadOp,
    /// No such slot.
    BadSlot,
    /// The slot is locked.
    SlotLocked,
    /// The slot's policy does not allow this use.
    Policy,
    /// The slot holds no key.
    SlotEmpty,
    /// The requested policy is not allowed.
    BadPolicy,
    /// The point is not a valid P-256 point.
    InvalidPoint,
    /// The private key is out of range.
    InvalidScalar,
    /// The random source failed.
    RngFailure,
    /// A self test failed.
    SelfTestFailed,
    /// The engine reported a fault.
    EngineFault,
    /// A status this driver does not know.
    Unknown(u8),
}

impl DeviceError {
    /// The error for a status, `None` for OK.
    pub fn from_status(s: u8) -> Option<DeviceError> {
        Some(match s {
            status::OK => return None,
            status::BAD_CRC => DeviceError::BadCrc,
            status::BAD_LENGTH => DeviceError::BadLength,
            status::OVERSIZE => DeviceError::Oversize,
            status::TRUNCATED => DeviceError::Truncated,
            status::UNKNOWN_COMMAND => DeviceError::UnknownCommand,
            status::BAD_OP => DeviceError::BadOp,
            status::BAD_SLOT => DeviceError::BadSlot,
            status::SLOT_LOCKED => DeviceError::SlotLocked,
            status::POLICY => DeviceError::Policy,
            status::SLOT_EMPTY => DeviceError::SlotEmpty,
            status::BAD_POLICY => DeviceError::BadPolicy,
            status::INVALID_POINT => DeviceError::InvalidPoint,
            status::INVALID_SCALAR => DeviceError::InvalidScalar,
            status::RNG_FAILURE => DeviceError::RngFailure,
            status::SELF_TEST_FAILED => DeviceError::SelfTestFailed,
            status::ENGINE_FAULT => DeviceError::EngineFault,
            other => DeviceError::Unknown(other),
        })
    }
}

impl fmt::Display for DeviceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeviceError::BadCrc => {
                f.write_str("the SCU received a corrupted request; check the SPI wiring and clock")
            }
            DeviceError::BadLength
            | DeviceError::Oversize
            | DeviceError::Truncated
            | DeviceError::BadOp => {
                write!(f, "the SCU refused the frame ({self:?}); the driver and device versions may differ")
            }
            DeviceError::UnknownCommand => {
                f.write_str("the SCU does not know this command; update its firmware")
            }
            DeviceError::BadSlot => f.write_str("no such slot (slots are 0 to 7)"),
            DeviceError::SlotLocked => {
                f.write_str("the slot is locked; its key can no longer be replaced")
            }
            DeviceError::Policy => {
                f.write_str("the slot's policy does not allow this use of its key")
            }
            DeviceError::SlotEmpty => {
                f.write_str("the slot holds no key; run keygen or import first")
            }
            DeviceError::BadPolicy => f.write_str("a key may only be given the sign and ecdh uses"),
            DeviceError::InvalidPoint => f.write_str("the peer's point is not a valid P-256 point"),
            DeviceError::InvalidScalar => f.write_str("the private key is not in [1, n-1]"),
            DeviceError::RngFailure => f.write_str(
                "the SCU's random source failed its health tests; the device needs service",
            ),
            DeviceError::SelfTestFailed => {
                f.write_str("a self test failed; do not use this device")
            }
            DeviceError::EngineFault => {
                f.write_str("the SCU's engine reported a fault; retry, then service the device")
            }
            DeviceError::Unknown(s) => write!(f, "the SCU answered with unknown status {s:#04x}"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for DeviceError {}
