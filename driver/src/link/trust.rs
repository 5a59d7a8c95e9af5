//! The trust store: the peers registered once, by name and SCU identity
//! key (slot 0's public key, which signs the peer's attestations).
//!
//! A JSON file `{"format": "scu-trust/1", "peers": [...]}`, written
//! atomically under a lock file. Removing a peer revokes it: the entry
//! stays, marked with the time of revocation, so a later connection from
//! that SCU is logged as a revoked peer rather than an unknown one, and a
//! running connector cuts open connections with it when it sees the
//! change.

use crate::evidence::{public_key_from_pem, public_key_pem};
use crate::state::{StateError, StateLock};
use crate::types::PublicKey;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

/// File format tag.
pub const FORMAT: &str = "scu-trust/1";

/// A registered peer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Peer {
    /// Name, unique in the store.
    pub name: String,
    /// Identity key, SEC1 uncompressed, hex.
    pub identity: String,
    /// When it was registered (RFC 3339).
    pub added: String,
    /// When it was revoked, if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked: Option<String>,
    /// The firmware measurement its attestation evidence showed at
    /// registration, if evidence was checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measurement: Option<String>,
}

impl Peer {
    /// The identity key.
    pub fn key(&self) -> Option<PublicKey> {
        let b = hex::decode(&self.identity).ok()?;
        if b.len() != 65 || b[0] != 4 {
            return None;
        }
        PublicKey::from_xy(&b[1..])
    }
}

/// The store.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustStore {
    /// [`FORMAT`].
    pub format: String,
    /// Peers, in the order they were added.
    pub peers: Vec<Peer>,
}

/// Why the store cannot be used or changed.
#[derive(Debug)]
pub enum TrustError {
    /// Reading, writing or locking failed.
    Io(PathBuf, String),
    /// The file is not a trust store.
    Format(PathBuf, String),
    /// The name is taken.
    NameTaken(String),
    /// The key is registered under another name.
    KeyTaken(String),
    /// No peer has this name.
    NoSuchPeer(String),
    /// The key is not a P-256 public key.
    BadKey(String),
}

impl fmt::Display for TrustError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrustError::Io(p, e) => write!(f, "trust store {}: {e}", p.display()),
            TrustError::Format(p, e) => {
                write!(f, "trust store {} is not usable ({e})", p.display())
            }
            TrustError::NameTaken(n) => write!(
                f,
                "a peer named {n:?} is already registered; remove it first"
            ),
            TrustError::KeyTaken(n) => {
                write!(f, "this identity key is already registered as {n:?}")
            }
            TrustError::NoSuchPeer(n) => write!(f, "no peer named {n:?} is registered"),
            TrustError::BadKey(e) => write!(f, "not a P-256 identity key: {e}"),
        }
    }
}

impl std::error::Error for TrustError {}

/// What the store says about an identity key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Standing {
    /// Registered and not revoked.
    Trusted(Peer),
    /// Registered, then revoked.
    Revoked(Peer),
    /// Not registered.
    Unknown,
}

/// Now, RFC 3339 (seconds).
pub fn now_rfc3339() -> String {
    humantime::format_rfc3339_seconds(SystemTime::now()).to_string()
}

impl Default for TrustStore {
    fn default() -> Self {
        TrustStore {
            format: FORMAT.into(),
            peers: Vec::new(),
        }
    }
}

impl TrustStore {
    /// Loads a store; a missing file is an empty store when `create` is set.
    pub fn load(path: &Path, create: bool) -> Result<TrustStore, TrustError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {
                return Ok(TrustStore::default())
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(TrustError::Io(
                    path.into(),
                    "no such file; register peers with `scu link trust add`".into(),
                ))
            }
            Err(e) => return Err(TrustError::Io(path.into(), e.to_string())),
        };
        let s: TrustStore = serde_json::from_str(&text)
            .map_err(|e| TrustError::Format(path.into(), e.to_string()))?;
        if s.format != FORMAT {
            return Err(TrustError::Format(
                path.into(),
                format!("format {:?}, expected {FORMAT:?}", s.format),
            ));
        }
        for p in &s.peers {
            if p.key().is_none() {
                return Err(TrustError::Format(
                    path.into(),
                    format!("peer {:?} has no valid identity key", p.name),
                ));
            }
        }
        Ok(s)
    }

    /// Saves atomically.
    pub fn save(&self, path: &Path) -> Result<(), TrustError> {
        let io = |e: std::io::Error| TrustError::Io(path.into(), e.to_string());
        let text = serde_json::to_string_pretty(self)
            .map_err(|e| TrustError::Format(path.into(), e.to_string()))?;
        crate::state::write_atomic(path, text.as_bytes(), None).map_err(io)
    }

    /// Changes the store at `path` under its lock.
    pub fn update<T>(
        path: &Path,
        f: impl FnOnce(&mut TrustStore) -> Result<T, TrustError>,
    ) -> Result<T, TrustError> {
        let _lock = StateLock::acquire(path).map_err(|e| match e {
            StateError::InUse(p) => TrustError::Io(p, "in use by another scu process".into()),
            other => TrustError::Io(path.into(), other.to_string()),
        })?;
        let mut s = TrustStore::load(path, true)?;
        let r = f(&mut s)?;
        s.save(path)?;
        Ok(r)
    }

    /// Registers a peer (a revoked key may be registered again).
    pub fn add(
        &mut self,
        name: &str,
        key: &PublicKey,
        measurement: Option<String>,
    ) -> Result<(), TrustError> {
        let id = hex::encode(key.sec1());
        if p256::PublicKey::from_sec1_bytes(&key.sec1()).is_err() {
            return Err(TrustError::BadKey("not on the curve".into()));
        }
        if let Some(p) = self.peers.iter().find(|p| p.name == name) {
            if p.revoked.is_none() || p.identity != id {
                return Err(TrustError::NameTaken(name.into()));
            }
        }
        if let Some(p) = self
            .peers
            .iter()
            .find(|p| p.identity == id && p.revoked.is_none())
        {
            return Err(TrustError::KeyTaken(p.name.clone()));
        }
        self.peers.retain(|p| p.identity != id);
        self.peers.push(Peer {
            name: name.into(),
            identity: id,
            added: now_rfc3339(),
            revoked: None,
            measurement,
        });
        Ok(())
    }

    /// Revokes a peer by name.
    pub fn revoke(&mut self, name: &str) -> Result<(), TrustError> {
        let p = self
            .peers
            .iter_mut()
            .find(|p| p.name == name && p.revoked.is_none())
            .ok_or_else(|| TrustError::NoSuchPeer(name.into()))?;
        p.revoked = Some(now_rfc3339());
        Ok(())
    }

    /// The standing of an identity key.
    pub fn standing(&self, key: &PublicKey) -> Standing {
        let id = hex::encode(key.sec1());
        match self.peers.iter().find(|p| p.identity == id) {
            Some(p) if p.revoked.is_none() => Standing::Trusted(p.clone()),
            Some(p) => Standing::Revoked(p.clone()),
            None => Standing::Unknown,
        }
    }
}

/// An identity key from a PEM file's text or SEC1 hex.
pub fn parse_identity(text: &str) -> Result<PublicKey, TrustError> {
    let t = text.trim();
    if t.starts_with("-----BEGIN") {
        return public_key_from_pem(t).map_err(|e| TrustError::BadKey(e.to_string()));
    }
    let b = hex::decode(t).map_err(|_| TrustError::BadKey("neither PEM nor SEC1 hex".into()))?;
    let pk = p256::PublicKey::from_sec1_bytes(&b)
        .map_err(|_| TrustError::BadKey("not a point on P-256".into()))?;
    let pem = p256::pkcs8::EncodePublicKey::to_public_key_pem(&pk, p256::pkcs8::LineEnding::LF)
        .map_err(|e| TrustError::BadKey(e.to_string()))?;
    public_key_from_pem(&pem).map_err(|e| TrustError::BadKey(e.to_string()))
}

/// PEM of an identity (for listings).
pub fn identity_pem(key: &PublicKey) -> String {
    public_key_pem(key).unwrap_or_default()
}

/// A running connector's view of the store: reloaded when the file
/// changes. An unreadable store fails closed (no peer is trusted).
pub struct TrustWatch {
    path: PathBuf,
    current: RwLock<(Stamp, Arc<Result<TrustStore, String>>)>,
    generation: AtomicU64,
}

impl TrustWatch {
    /// Watches the store at `path`; it must load now.
    pub fn new(path: &Path) -> Result<TrustWatch, TrustError> {
        let s = TrustStore::load(path, false)?;
        Ok(TrustWatch {
            path: path.into(),
            current: RwLock::new((modified(path), Arc::new(Ok(s)))),
            generation: AtomicU64::new(0),
        })
    }

    /// Reloads if the file changed; `Some(error)` when it became unusable.
    pub fn refresh(&self) -> Option<String> {
        let m = modified(&self.path);
        {
            let c = self.current.read().unwrap_or_else(|p| p.into_inner());
            if c.0 == m && m.is_some() {
                return None;
            }
        }
        let loaded = TrustStore::load(&self.path, false).map_err(|e| e.to_string());
        let err = loaded.as_ref().err().cloned();
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = (m, Arc::new(loaded));
        self.generation.fetch_add(1, Ordering::SeqCst);
        err
    }

    /// Changes whenever the store was reloaded.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// The standing of an identity key now.
    pub fn standing(&self, key: &PublicKey) -> Standing {
        let c = self
            .current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .1
            .clone();
        match &*c {
            Ok(s) => s.standing(key),
            Err(_) => Standing::Unknown,
        }
    }
}

/// What identifies a version of the file: saves replace it by a rename,
/// so the inode changes even within one tick of the clock.
type Stamp = Option<(SystemTime, u64, u64)>;

fn modified(path: &Path) -> Stamp {
    let md = std::fs::metadata(path).ok()?;
    #[cfg(unix)]
    let ino = std::os::unix::fs::MetadataExt::ino(&md);
    #[cfg(not(unix))]
    let ino = 0;
    Some((md.modified().ok()?, md.len(), ino))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(b: u8) -> PublicKey {
        let sk = p256::SecretKey::from_bytes(&[b; 32].into()).expect("scalar");
        let ep =
            p256::elliptic_curve::sec1::ToEncodedPoint::to_encoded_point(&sk.public_key(), false);
        PublicKey::from_xy(&ep.as_bytes()[1..]).expect("64 bytes")
    }

    #[test]
    fn add_revoke_readd() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("peers.json");
        TrustStore::update(&p, |s| s.add("a", &key(1), None)).expect("add");
        assert!(matches!(
            TrustStore::update(&p, |s| s.add("a", &key(2), None)),
            Err(TrustError::NameTaken(_))
        ));
        assert!(matches!(
            TrustStore::update(&p, |s| s.add("b", &key(1), None)),
            Err(TrustError::KeyTaken(_))
        ));
        let w = TrustWatch::new(&p).expect("watch");
        assert!(matches!(w.standing(&key(1)), Standing::Trusted(_)));
        assert_eq!(w.standing(&key(3)), Standing::Unknown);
        TrustStore::update(&p, |s| s.revoke("a")).expect("revoke");
        assert!(matches!(
            TrustStore::update(&p, |s| s.revoke("a")),
            Err(TrustError::NoSuchPeer(_))
        ));
        assert_eq!(w.refresh(), None);
        assert!(matches!(w.standing(&key(1)), Standing::Revoked(_)));
        TrustStore::update(&p, |s| s.add("a", &key(1), None)).expect("re-register");
        w.refresh();
        assert!(matches!(w.standing(&key(1)), Standing::Trusted(_)));
        std::fs::write(&p, "garbage").expect("write");
        assert!(w.refresh().is_some(), "an unreadable store is reported");
        assert_eq!(w.standing(&key(1)), Standing::Unknown, "and trusts nobody");
    }

    #[test]
    fn identities_parse_from_pem_or_hex() {
        let k = key(5);
        assert_eq!(parse_identity(&hex::encode(k.sec1())).expect("hex"), k);
        assert_eq!(parse_identity(&identity_pem(&k)).expect("pem"), k);
        assert!(parse_identity("04abcd").is_err());
    }
}
