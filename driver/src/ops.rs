//! The driver's calls behind one object-safe trait, so that the CLI and the
//! connector handle a simulated device and a board alike, and can share
//! one SCU between threads.

use crate::types::{Attestation, DeviceError, Info, Policy, PublicKey, Signature};
use crate::{Error, Scu};
use embedded_hal::delay::DelayNs;
use embedded_hal::spi::SpiDevice;
use std::fmt::{self, Debug};

/// A failed SCU operation, with the bus type erased.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScuError {
    /// The device refused the command.
    Device(DeviceError),
    /// The link to the device failed, or its answer did not fit.
    Link(String),
}

impl fmt::Display for ScuError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScuError::Device(e) => write!(f, "{e}"),
            ScuError::Link(e) => f.write_str(e),
        }
    }
}

impl std::error::Error for ScuError {}

impl<E: Debug> From<Error<E>> for ScuError {
    fn from(e: Error<E>) -> Self {
        match e {
            Error::Device(d) => ScuError::Device(d),
            other => ScuError::Link(other.to_string()),
        }
    }
}

/// What a host asks of an SCU.
pub trait ScuOps: Send {
    /// INFO.
    fn info(&mut self) -> Result<Info, ScuError>;
    /// SELF_TEST.
    fn self_test(&mut self) -> Result<(), ScuError>;
    /// KEYGEN.
    fn keygen(&mut self, slot: u8, policy: Policy) -> Result<PublicKey, ScuError>;
    /// IMPORT.
    fn import(&mut self, slot: u8, policy: Policy, key: &[u8; 32]) -> Result<PublicKey, ScuError>;
    /// PUBKEY.
    fn pubkey(&mut self, slot: u8) -> Result<(Policy, PublicKey), ScuError>;
    /// SIGN.
    fn sign(&mut self, slot: u8, digest: &[u8; 32]) -> Result<Signature, ScuError>;
    /// ECDH.
    fn ecdh(&mut self, slot: u8, peer: &PublicKey) -> Result<[u8; 32], ScuError>;
    /// LOCK.
    fn lock(&mut self, slot: u8) -> Result<(), ScuError>;
    /// ATTEST.
    fn attest(&mut self, nonce: &[u8; 32]) -> Result<Attestation, ScuError>;
}

impl<S, D> ScuOps for Scu<S, D>
where
    S: SpiDevice + Send,
    S::Error: Debug,
    D: DelayNs + Send,
{
    fn info(&mut self) -> Result<Info, ScuError> {
        Ok(Scu::info(self)?)
    }
    fn self_test(&mut self) -> Result<(), ScuError> {
        Ok(Scu::self_test(self)?)
    }
    fn keygen(&mut self, slot: u8, policy: Policy) -> Result<PublicKey, ScuError> {
        Ok(Scu::keygen(self, slot, policy)?)
    }
    fn import(&mut self, slot: u8, policy: Policy, key: &[u8; 32]) -> Result<PublicKey, ScuError> {
        Ok(Scu::import(self, slot, policy, key)?)
    }
    fn pubkey(&mut self, slot: u8) -> Result<(Policy, PublicKey), ScuError> {
        Ok(Scu::pubkey(self, slot)?)
    }
    fn sign(&mut self, slot: u8, digest: &[u8; 32]) -> Result<Signature, ScuError> {
        Ok(Scu::sign(self, slot, digest)?)
    }
    fn ecdh(&mut self, slot: u8, peer: &PublicKey) -> Result<[u8; 32], ScuError> {
        Ok(Scu::ecdh(self, slot, peer)?)
    }
    fn lock(&mut self, slot: u8) -> Result<(), ScuError> {
        Ok(Scu::lock(self, slot)?)
    }
    fn attest(&mut self, nonce: &[u8; 32]) -> Result<Attestation, ScuError> {
        Ok(Scu::attest(self, nonce)?)
    }
}
