//! The driver's calls behind one object-safe trait, so the CLI handles a
//! simulated device and a board alike.

use anyhow::Result;
use embedded_hal::delay::DelayNs;
use embedded_hal::spi::SpiDevice;
use scu_driver::types::{Attestation, Info, Policy, PublicKey, Signature};
use scu_driver::{Error, Scu};
use std::fmt::Debug;

/// What the CLI asks of an SCU.
pub trait ScuOps {
    fn info(&mut self) -> Result<Info>;
    fn self_test(&mut self) -> Result<()>;
    fn keygen(&mut self, slot: u8, policy: Policy) -> Result<PublicKey>;
    fn import(&mut self, slot: u8, policy: Policy, key: &[u8; 32]) -> Result<PublicKey>;
    fn pubkey(&mut self, slot: u8) -> Result<(Policy, PublicKey)>;
    fn sign(&mut self, slot: u8, digest: &[u8; 32]) -> Result<Signature>;
    fn ecdh(&mut self, slot: u8, peer: &PublicKey) -> Result<[u8; 32]>;
    fn lock(&mut self, slot: u8) -> Result<()>;
    fn attest(&mut self, nonce: &[u8; 32]) -> Result<Attestation>;
}

/// A driver error for the CLI; a device's refusal stays a
/// [`scu_driver::types::DeviceError`] that callers can match on.
fn cli_error<E: Debug + Send + Sync + 'static>(e: Error<E>) -> anyhow::Error {
    match e {
        Error::Device(d) => anyhow::Error::new(d),
        other => anyhow::anyhow!("{other}"),
    }
}

impl<S, D> ScuOps for Scu<S, D>
where
    S: SpiDevice,
    S::Error: Debug + Send + Sync + 'static,
    D: DelayNs,
{
    fn info(&mut self) -> Result<Info> {
        Scu::info(self).map_err(cli_error)
    }
    fn self_test(&mut self) -> Result<()> {
        Scu::self_test(self).map_err(cli_error)
    }
    fn keygen(&mut self, slot: u8, policy: Policy) -> Result<PublicKey> {
        Scu::keygen(self, slot, policy).map_err(cli_error)
    }
    fn import(&mut self, slot: u8, policy: Policy, key: &[u8; 32]) -> Result<PublicKey> {
        Scu::import(self, slot, policy, key).map_err(cli_error)
    }
    fn pubkey(&mut self, slot: u8) -> Result<(Policy, PublicKey)> {
        Scu::pubkey(self, slot).map_err(cli_error)
    }
    fn sign(&mut self, slot: u8, digest: &[u8; 32]) -> Result<Signature> {
        Scu::sign(self, slot, digest).map_err(cli_error)
    }
    fn ecdh(&mut self, slot: u8, peer: &PublicKey) -> Result<[u8; 32]> {
        Scu::ecdh(self, slot, peer).map_err(cli_error)
    }
    fn lock(&mut self, slot: u8) -> Result<()> {
        Scu::lock(self, slot).map_err(cli_error)
    }
    fn attest(&mut self, nonce: &[u8; 32]) -> Result<Attestation> {
        Scu::attest(self, nonce).map_err(cli_error)
    }
}
