//! The SCU's commands as typed calls.

use crate::transport::{Timing, Transport, TransportError};
use crate::types::{Attestation, DeviceError, Info, Policy, PublicKey, Signature};
use core::fmt;
use embedded_hal::delay::DelayNs;
use embedded_hal::spi::SpiDevice;
use scu_model::protocol::{self, cmd};

/// Driver errors, generic over the SPI bus error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error<E> {
    /// The link failed.
    Transport(TransportError<E>),
    /// The device refused the command.
    Device(DeviceError),
    /// The device's answer has the wrong shape for the command.
    Malformed,
}

impl<E> From<TransportError<E>> for Error<E> {
    fn from(e: TransportError<E>) -> Self {
        Error::Transport(e)
    }
}

impl<E: fmt::Debug> fmt::Display for Error<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Transport(e) => write!(f, "{e}"),
            Error::Device(e) => write!(f, "{e}"),
            Error::Malformed => {
                f.write_str("the SCU's answer does not fit the command; check the firmware version")
            }
        }
    }
}

#[cfg(feature = "std")]
impl<E: fmt::Debug> std::error::Error for Error<E> {}

/// An SCU behind an SPI device.
pub struct Scu<SPI, D> {
    t: Transport<SPI, D>,
}

impl<SPI: SpiDevice, D: DelayNs> Scu<SPI, D> {
    /// A driver with the default timing.
    pub fn new(spi: SPI, delay: D) -> Self {
        Scu {
            t: Transport::new(spi, delay),
        }
    }

    /// A driver with `timing`.
    pub fn with_timing(spi: SPI, delay: D, timing: Timing) -> Self {
        Scu {
            t: Transport::new(spi, delay).with_timing(timing),
        }
    }

    /// The transport (SPI device and delay).
    pub fn transport_mut(&mut self) -> &mut Transport<SPI, D> {
        &mut self.t
    }

    /// The SPI device and delay back.
    pub fn release(self) -> (SPI, D) {
        self.t.release()
    }

    /// Runs a command; Ok(payload length) when the device said OK.
    fn run(
        &mut self,
        command: u8,
        payload: &[u8],
        out: &mut [u8],
    ) -> Result<usize, Error<SPI::Error>> {
        let a = self.t.call(command, payload, out)?;
        match DeviceError::from_status(a.status) {
            None => Ok(a.len),
            Some(e) => Err(Error::Device(e)),
        }
    }

    fn run_exact(
        &mut self,
        command: u8,
        payload: &[u8],
        out: &mut [u8],
    ) -> Result<(), Error<SPI::Error>> {
        let n = self.run(command, payload, out)?;
        if n == out.len() {
            Ok(())
        } else {
            Err(Error::Malformed)
        }
    }

    /// INFO.
    pub fn info(&mut self) -> Result<Info, Error<SPI::Error>> {
        let mut b = [0u8; protocol::info::LEN];
        self.run_exact(cmd::INFO, &[], &mut b)?;
        Info::parse(&b).ok_or(Error::Malformed)
    }

    /// SELF_TEST: SHA-256 and engine known answers, RNG health.
    pub fn self_test(&mut self) -> Result<(), Error<SPI::Error>> {
        self.run_exact(cmd::SELF_TEST, &[], &mut [])
    }

    /// KEYGEN: a new key in `slot`; its public key.
    pub fn keygen(&mut self, slot: u8, policy: Policy) -> Result<PublicKey, Error<SPI::Error>> {
        let mut b = [0u8; 64];
        self.run_exact(cmd::KEYGEN, &[slot, policy.0], &mut b)?;
        PublicKey::from_xy(&b).ok_or(Error::Malformed)
    }

    /// IMPORT: a given private key into `slot` (provisioning, tests).
    pub fn import(
        &mut self,
        slot: u8,
        policy: Policy,
        key: &[u8; 32],
    ) -> Result<PublicKey, Error<SPI::Error>> {
        let mut p = [0u8; 34];
        p[0] = slot;
        p[1] = policy.0;
        p[2..].copy_from_slice(key);
        let mut b = [0u8; 64];
        self.run_exact(cmd::IMPORT, &p, &mut b)?;
        PublicKey::from_xy(&b).ok_or(Error::Malformed)
    }

    /// PUBKEY: a slot's policy and public key.
    pub fn pubkey(&mut self, slot: u8) -> Result<(Policy, PublicKey), Error<SPI::Error>> {
        let mut b = [0u8; 65];
        self.run_exact(cmd::PUBKEY, &[slot], &mut b)?;
        Ok((
            Policy(b[0]),
            PublicKey::from_xy(&b[1..]).ok_or(Error::Malformed)?,
        ))
    }

    /// SIGN: ECDSA P-256 over a 32-byte digest.
    pub fn sign(&mut self, slot: u8, digest: &[u8; 32]) -> Result<Signature, Error<SPI::Error>> {
        let mut p = [0u8; 33];
        p[0] = slot;
        p[1..].copy_from_slice(digest);
        let mut b = [0u8; 64];
        self.run_exact(cmd::SIGN, &p, &mut b)?;
        Signature::from_rs(&b).ok_or(Error::Malformed)
    }

    /// ECDH with a peer's public key; the shared x coordinate.
    pub fn ecdh(&mut self, slot: u8, peer: &PublicKey) -> Result<[u8; 32], Error<SPI::Error>> {
        let mut p = [0u8; 65];
        p[0] = slot;
        p[1..].copy_from_slice(&peer.xy());
        let mut b = [0u8; 32];
        self.run_exact(cmd::ECDH, &p, &mut b)?;
        Ok(b)
    }

    /// LOCK a slot.
    pub fn lock(&mut self, slot: u8) -> Result<(), Error<SPI::Error>> {
        self.run_exact(cmd::LOCK, &[slot], &mut [])
    }

    /// ATTEST with a verifier's nonce.
    pub fn attest(&mut self, nonce: &[u8; 32]) -> Result<Attestation, Error<SPI::Error>> {
        let mut b = [0u8; protocol::statement::RESPONSE_LEN];
        self.run_exact(cmd::ATTEST, nonce, &mut b)?;
        Attestation::parse(&b).ok_or(Error::Malformed)
    }

    /// Any command with a raw payload: (status, payload length).
    pub fn raw(
        &mut self,
        command: u8,
        payload: &[u8],
        out: &mut [u8],
    ) -> Result<(u8, usize), Error<SPI::Error>> {
        let a = self.t.call(command, payload, out)?;
        Ok((a.status, a.len))
    }
}
