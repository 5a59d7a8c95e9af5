//! One connection's security: the Noise handshake with the SCU-held static
//! keys, then each side's attestation bound to this handshake, checked
//! against the trust store.
//!
//! 1. `-> e` carrying `HELLO` (the protocol name and the initiator's rekey
//!    interval); `<- e, ee, s, es` carrying the agreed interval (the smaller
//!    of the two); `-> s, se`. Each side's one static DH is an ECDH on its
//!    SCU.
//! 2. The initiator sends an `ATTEST` record: its SCU's attestation of
//!    `SHA-256("SCU-LINK/1 attest" || "I" || h)`, h the handshake hash. The
//!    responder checks it (signature by the identity key in the statement,
//!    the nonce, the measurement, the RNG kind) and looks the identity up in
//!    the trust store; only then does it attest with `"R"` in turn, and the
//!    initiator does the same checks.
//!
//! h covers both sides' static and ephemeral keys, so an attestation cannot
//! be replayed into another session, and the statement proves that the SCU
//! with that identity key took part in this one. (The static key itself is
//! not in the statement: a host that controls a registered SCU can speak for
//! it, which is the trust the store expresses.)

use super::events::EventKind;
use super::noise::{handshake, lock_scu, FailureSlot, SharedScu};
use super::trust::{Peer, Standing, TrustWatch};
use super::wire::{self, Keys, Receiver, RecordError, Sender, ATTEST};
use crate::evidence::{self, Reference};
use crate::ops::ScuError;
use crate::types::{Attestation, PublicKey};
use sha2::{Digest, Sha256};
use std::fmt;
use std::io;
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Protocol name, first bytes of the first message.
pub const PROTOCOL: &[u8; 10] = b"SCU-LINK/1";
/// The attestation nonce's domain separator.
const ATTEST_LABEL: &[u8] = b"SCU-LINK/1 attest";

/// This side's key: the SCU and the slot holding the static ECDH key.
#[derive(Clone)]
pub struct LinkKey {
    /// The SCU.
    pub scu: SharedScu,
    /// The static key's slot.
    pub slot: u8,
    /// Its public key.
    pub static_public: PublicKey,
}

/// What a peer must satisfy.
pub struct Acceptance<'a> {
    /// Registered peers.
    pub trust: &'a TrustWatch,
    /// Accepted measurements, if checked.
    pub reference: Option<&'a Reference>,
    /// Accept a simulated RNG.
    pub allow_simulated_rng: bool,
    /// This side's rekey interval.
    pub rekey_records: u32,
    /// Time for all of it.
    pub timeout: Duration,
}

/// An authenticated session.
pub struct Session {
    /// The peer's registration.
    pub peer: Peer,
    /// Its identity key.
    pub identity: PublicKey,
    /// The rekey interval both sides use.
    pub rekey_records: u32,
    /// Sends records.
    pub sender: Sender,
    /// Receives records.
    pub receiver: Receiver,
}

/// Why a session was not established.
#[derive(Debug)]
pub enum SessionError {
    /// Out of time.
    Timeout,
    /// The Noise handshake failed.
    Handshake(String),
    /// Our SCU failed.
    Scu(ScuError),
    /// A record after the handshake was refused.
    Record(RecordError),
    /// The peer broke the protocol.
    Protocol(String),
    /// The peer's attestation did not pass.
    Attestation(Option<Box<PublicKey>>, String),
    /// The peer is not registered.
    Unknown(Box<PublicKey>),
    /// The peer was revoked.
    Revoked(Box<(PublicKey, Peer)>),
}

impl SessionError {
    /// The event it is logged as.
    pub fn kind(&self) -> EventKind {
        match self {
            SessionError::Timeout => EventKind::Timeout,
            SessionError::Handshake(_) => EventKind::HandshakeFailed,
            SessionError::Scu(_) => EventKind::ScuFailure,
            SessionError::Record(r) => record_kind(r),
            SessionError::Protocol(_) => EventKind::ProtocolError,
            SessionError::Attestation(..) => EventKind::AttestationFailed,
            SessionError::Unknown(_) => EventKind::UnknownPeer,
            SessionError::Revoked(..) => EventKind::RevokedPeer,
        }
    }

    /// The peer's identity, when it was learnt.
    pub fn identity(&self) -> Option<&PublicKey> {
        match self {
            SessionError::Attestation(i, _) => i.as_deref(),
            SessionError::Unknown(i) => Some(i),
            SessionError::Revoked(r) => Some(&r.0),
            _ => None,
        }
    }

    /// The registered name, when there is one.
    pub fn peer_name(&self) -> Option<&str> {
        match self {
            SessionError::Revoked(r) => Some(&r.1.name),
            _ => None,
        }
    }
}

impl fmt::Display for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SessionError::Timeout => f.write_str("the handshake ran out of time"),
            SessionError::Handshake(e) => write!(f, "handshake: {e}"),
            SessionError::Scu(e) => write!(f, "SCU: {e}"),
            SessionError::Record(e) => write!(f, "{e}"),
            SessionError::Protocol(e) => f.write_str(e),
            SessionError::Attestation(_, e) => write!(f, "attestation: {e}"),
            SessionError::Unknown(_) => f.write_str("the peer's identity is not registered"),
            SessionError::Revoked(r) => {
                write!(
                    f,
                    "peer {:?} was revoked {}",
                    r.1.name,
                    r.1.revoked.as_deref().unwrap_or("")
                )
            }
        }
    }
}

/// The event a refused record is logged as.
pub fn record_kind(e: &RecordError) -> EventKind {
    match e {
        RecordError::Aead => EventKind::AeadFailure,
        RecordError::Replay { .. } => EventKind::Replay,
        RecordError::OutOfOrder { .. } => EventKind::OutOfOrder,
        RecordError::Io(e) if is_timeout(e) => EventKind::Timeout,
        RecordError::Io(_) | RecordError::Truncated | RecordError::Malformed(_) => {
            EventKind::ProtocolError
        }
    }
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

impl From<RecordError> for SessionError {
    fn from(e: RecordError) -> Self {
        match e {
            RecordError::Io(e) if is_timeout(&e) => SessionError::Timeout,
            other => SessionError::Record(other),
        }
    }
}

fn io_error(e: io::Error) -> SessionError {
    if is_timeout(&e) {
        SessionError::Timeout
    } else {
        SessionError::Handshake(format!("socket: {e}"))
    }
}

/// The nonce an attester signs: bound to the handshake and the role.
pub fn attestation_nonce(handshake_hash: &[u8], initiator: bool) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(ATTEST_LABEL);
    h.update(if initiator { b"I" } else { b"R" });
    h.update(handshake_hash);
    h.finalize().into()
}

/// The socket with a deadline: every read and write gets the time left.
struct Deadline<'a> {
    stream: &'a TcpStream,
    at: Instant,
}

impl Deadline<'_> {
    fn arm(&self) -> Result<(), SessionError> {
        let left = self
            .at
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero());
        let left = left.ok_or(SessionError::Timeout)?;
        self.stream.set_read_timeout(Some(left)).map_err(io_error)?;
        self.stream.set_write_timeout(Some(left)).map_err(io_error)
    }

    fn send(&self, msg: &[u8]) -> Result<(), SessionError> {
        self.arm()?;
        let mut s = self.stream;
        wire::write_frame(&mut s, msg).map_err(io_error)
    }

    fn recv(&self) -> Result<Vec<u8>, SessionError> {
        self.arm()?;
        let mut s = self.stream;
        match wire::read_frame(&mut s)? {
            Some(f) => Ok(f),
            None => Err(SessionError::Handshake(
                "the peer closed the connection".into(),
            )),
        }
    }

    fn disarm(&self) -> Result<(), SessionError> {
        self.stream.set_read_timeout(None).map_err(io_error)?;
        self.stream.set_write_timeout(None).map_err(io_error)
    }
}

fn hello(rekey: u32) -> Vec<u8> {
    let mut p = PROTOCOL.to_vec();
    p.extend_from_slice(&rekey.to_be_bytes());
    p
}

fn parse_hello(p: &[u8]) -> Result<u32, SessionError> {
    if p.len() != PROTOCOL.len() + 4 || p[..PROTOCOL.len()] != PROTOCOL[..] {
        return Err(SessionError::Handshake(
            "the peer does not speak SCU-LINK/1".into(),
        ));
    }
    let mut r = [0u8; 4];
    r.copy_from_slice(&p[PROTOCOL.len()..]);
    match u32::from_be_bytes(r) {
        0 => Err(SessionError::Handshake("rekey interval 0".into())),
        n => Ok(n),
    }
}

/// Runs the handshake and the attestations on `stream`; on success the
/// socket has no timeouts and the session is ready for data.
pub fn establish(
    stream: &TcpStream,
    initiator: bool,
    me: &LinkKey,
    accept: &Acceptance<'_>,
) -> Result<Session, SessionError> {
    let io = Deadline {
        stream,
        at: Instant::now() + accept.timeout,
    };
    let failure = FailureSlot::default();
    let hs_err = |e: snow::Error| match failure.lock().unwrap_or_else(|p| p.into_inner()).take() {
        Some(ScuError::Device(crate::types::DeviceError::InvalidPoint)) => {
            SessionError::Handshake("the peer's key is not a valid P-256 point".into())
        }
        Some(s) => SessionError::Scu(s),
        None => SessionError::Handshake(e.to_string()),
    };
    let mut hs =
        handshake(&me.scu, me.slot, &me.static_public, initiator, &failure).map_err(hs_err)?;
    let mut buf = vec![0u8; wire::MAX_FRAME];
    let mut payload = vec![0u8; wire::MAX_FRAME];
    let rekey = if initiator {
        let n = hs
            .write_message(&hello(accept.rekey_records), &mut buf)
            .map_err(hs_err)?;
        io.send(&buf[..n])?;
        let m = io.recv()?;
        let k = hs.read_message(&m, &mut payload).map_err(hs_err)?;
        let agreed = parse_hello(&payload[..k])?;
        if agreed > accept.rekey_records {
            return Err(SessionError::Protocol(
                "the responder chose a longer rekey interval".into(),
            ));
        }
        let n = hs.write_message(&[], &mut buf).map_err(hs_err)?;
        io.send(&buf[..n])?;
        agreed
    } else {
        let m = io.recv()?;
        let k = hs.read_message(&m, &mut payload).map_err(hs_err)?;
        let agreed = parse_hello(&payload[..k])?.min(accept.rekey_records);
        let n = hs.write_message(&hello(agreed), &mut buf).map_err(hs_err)?;
        io.send(&buf[..n])?;
        let m = io.recv()?;
        hs.read_message(&m, &mut payload).map_err(hs_err)?;
        agreed
    };
    if !hs.is_handshake_finished() {
        return Err(SessionError::Handshake(
            "the handshake did not finish".into(),
        ));
    }
    let h = hs.get_handshake_hash().to_vec();
    let transport = hs
        .into_stateless_transport_mode()
        .map_err(|e| SessionError::Handshake(e.to_string()))?;
    let keys: Arc<Keys> = Keys::new(transport, rekey);
    let mut sender = Sender::new(keys.clone());
    let mut receiver = Receiver::new(keys);

    let attest = |sender: &mut Sender| -> Result<(), SessionError> {
        let a = lock_scu(&me.scu)
            .attest(&attestation_nonce(&h, initiator))
            .map_err(SessionError::Scu)?;
        let mut body = a.statement.to_vec();
        body.extend_from_slice(&a.signature.rs());
        io.arm()?;
        let mut s = stream;
        sender.send(&mut s, ATTEST, &body).map_err(io_error)
    };
    let check = |receiver: &mut Receiver| -> Result<(Peer, PublicKey), SessionError> {
        io.arm()?;
        let mut s = stream;
        let (kind, body) = receiver
            .recv(&mut s)?
            .ok_or_else(|| SessionError::Handshake("the peer closed the connection".into()))?;
        if kind != ATTEST {
            return Err(SessionError::Protocol(format!(
                "record type {kind} before the attestation"
            )));
        }
        let a = Attestation::parse(&body)
            .ok_or_else(|| SessionError::Protocol("malformed attestation".into()))?;
        check_attestation(&a, &attestation_nonce(&h, !initiator), accept)
    };
    let (peer, identity) = if initiator {
        attest(&mut sender)?;
        check(&mut receiver)?
    } else {
        let p = check(&mut receiver)?;
        attest(&mut sender)?;
        p
    };
    io.disarm()?;
    Ok(Session {
        peer,
        identity,
        rekey_records: rekey,
        sender,
        receiver,
    })
}

/// The checks on a peer's attestation, in the order that makes the event
/// most useful: first that the statement is genuine and fresh (which proves
/// the identity), then who that identity is, then what it runs.
fn check_attestation(
    a: &Attestation,
    nonce: &[u8; 32],
    accept: &Acceptance<'_>,
) -> Result<(Peer, PublicKey), SessionError> {
    let genuine = evidence::verify(a, nonce, None, None)
        .map_err(|e| SessionError::Attestation(None, e.to_string()))?;
    let id = a.identity();
    let peer = match accept.trust.standing(&id) {
        Standing::Trusted(p) => p,
        Standing::Revoked(p) => return Err(SessionError::Revoked(Box::new((id, p)))),
        Standing::Unknown => return Err(SessionError::Unknown(Box::new(id))),
    };
    if let Some(r) = accept.reference {
        evidence::verify(a, nonce, Some(&id), Some(r))
            .map_err(|e| SessionError::Attestation(Some(Box::new(id)), e.to_string()))?;
    }
    if let Some(m) = &peer.measurement {
        if !m.eq_ignore_ascii_case(&genuine.measurement) {
            return Err(SessionError::Attestation(
                Some(Box::new(id)),
                format!(
                    "measurement {} differs from {m} registered for {:?}",
                    genuine.measurement, peer.name
                ),
            ));
        }
    }
    if genuine.rng_simulated && !accept.allow_simulated_rng {
        return Err(SessionError::Attestation(
            Some(Box::new(id)),
            "the peer's SCU has a simulated RNG (set [trust] allow_simulated_rng for tests)".into(),
        ));
    }
    Ok((peer, id))
}
