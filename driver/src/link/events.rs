//! Structured events: one JSON object per line, for people tailing a log
//! and for anomaly-detection tools.
//!
//! Every line has `ts` (RFC 3339, UTC, milliseconds), `event`, `severity`
//! (`info` or `alert`) and, where they apply, `conn` (a connection number),
//! `remote` (socket address), `peer` (registered name), `identity` (the
//! first 8 bytes of SHA-256 of the peer's SEC1 identity key, hex) and
//! `detail`. Secrets and traffic never appear in events.

use serde_json::{json, Map, Value};
use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// The connector is serving.
    Started,
    /// It stopped (graceful shutdown).
    Stopped,
    /// A peer authenticated; forwarding starts.
    Authenticated,
    /// A connection ended normally.
    Closed,
    /// The peer's identity is not in the trust store.
    UnknownPeer,
    /// The peer's identity has been revoked (new or open connection).
    RevokedPeer,
    /// The Noise handshake failed (bad message, DH failure, wrong version).
    HandshakeFailed,
    /// The peer's attestation did not verify (signature, binding to this
    /// session, measurement, RNG kind).
    AttestationFailed,
    /// A record did not decrypt: tampered with or forged.
    AeadFailure,
    /// A record came again (its counter is behind).
    Replay,
    /// A record's counter skipped ahead (records lost or reordered).
    OutOfOrder,
    /// A handshake or an idle connection ran out of time.
    Timeout,
    /// The peer broke the record protocol.
    ProtocolError,
    /// The SCU failed an operation.
    ScuFailure,
    /// The trust store could not be read; every peer is refused until it can.
    TrustStoreError,
    /// The local endpoint (or the peer connector) could not be reached.
    Unreachable,
    /// A connection was refused: too many at once.
    ConnectionLimit,
}

impl EventKind {
    /// The name in the log.
    pub fn name(self) -> &'static str {
        match self {
            EventKind::Started => "started",
            EventKind::Stopped => "stopped",
            EventKind::Authenticated => "authenticated",
            EventKind::Closed => "closed",
            EventKind::UnknownPeer => "unknown_peer",
            EventKind::RevokedPeer => "revoked_peer",
            EventKind::HandshakeFailed => "handshake_failed",
            EventKind::AttestationFailed => "attestation_failed",
            EventKind::AeadFailure => "aead_failure",
            EventKind::Replay => "replay",
            EventKind::OutOfOrder => "out_of_order",
            EventKind::Timeout => "timeout",
            EventKind::ProtocolError => "protocol_error",
            EventKind::ScuFailure => "scu_failure",
            EventKind::TrustStoreError => "trust_store_error",
            EventKind::Unreachable => "unreachable",
            EventKind::ConnectionLimit => "connection_limit",
        }
    }

    /// An anomaly: the connection was cut because of it.
    pub fn is_anomaly(self) -> bool {
        !matches!(
            self,
            EventKind::Started | EventKind::Stopped | EventKind::Authenticated | EventKind::Closed
        )
    }
}

/// One event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// What happened.
    pub kind: EventKind,
    /// Connection number.
    pub conn: Option<u64>,
    /// The other end's address.
    pub remote: Option<SocketAddr>,
    /// The peer's registered name.
    pub peer: Option<String>,
    /// Fingerprint of the peer's identity key.
    pub identity: Option<String>,
    /// Free text.
    pub detail: Option<String>,
    /// Numbers worth keeping (bytes forwarded, counters).
    pub counts: Vec<(&'static str, u64)>,
}

impl Event {
    /// An event of `kind`.
    pub fn new(kind: EventKind) -> Event {
        Event {
            kind,
            conn: None,
            remote: None,
            peer: None,
            identity: None,
            detail: None,
            counts: Vec::new(),
        }
    }

    /// With a detail.
    pub fn detail(mut self, d: impl Into<String>) -> Event {
        self.detail = Some(d.into());
        self
    }

    /// The JSON object.
    pub fn to_json(&self, ts: SystemTime) -> Value {
        let mut m = Map::new();
        m.insert(
            "ts".into(),
            json!(humantime::format_rfc3339_millis(ts).to_string()),
        );
        m.insert("event".into(), json!(self.kind.name()));
        m.insert(
            "severity".into(),
            json!(if self.kind.is_anomaly() {
                "alert"
            } else {
                "info"
            }),
        );
        if let Some(c) = self.conn {
            m.insert("conn".into(), json!(c));
        }
        if let Some(r) = self.remote {
            m.insert("remote".into(), json!(r.to_string()));
        }
        if let Some(p) = &self.peer {
            m.insert("peer".into(), json!(p));
        }
        if let Some(i) = &self.identity {
            m.insert("identity".into(), json!(i));
        }
        if let Some(d) = &self.detail {
            m.insert("detail".into(), json!(d));
        }
        for (k, v) in &self.counts {
            m.insert((*k).into(), json!(v));
        }
        Value::Object(m)
    }
}

type Sink = Arc<Mutex<Box<dyn Write + Send>>>;

/// Where events go: a writer (stderr, a file), and optionally memory (for
/// tests and benchmarks).
#[derive(Clone)]
pub struct EventLog {
    sink: Option<Sink>,
    memory: Option<Arc<Mutex<Vec<Value>>>>,
}

impl EventLog {
    /// Events as JSON lines into `w`.
    pub fn to_writer(w: Box<dyn Write + Send>) -> EventLog {
        EventLog {
            sink: Some(Arc::new(Mutex::new(w))),
            memory: None,
        }
    }

    /// Events kept in memory; the second value reads them.
    pub fn in_memory() -> (EventLog, Arc<Mutex<Vec<Value>>>) {
        let m = Arc::new(Mutex::new(Vec::new()));
        (
            EventLog {
                sink: None,
                memory: Some(m.clone()),
            },
            m,
        )
    }

    /// Records an event.
    pub fn emit(&self, e: Event) {
        let v = e.to_json(SystemTime::now());
        if let Some(s) = &self.sink {
            let mut w = s.lock().unwrap_or_else(|p| p.into_inner());
            // A log that cannot be written must not stop the connector.
            let _ = writeln!(w, "{v}");
            let _ = w.flush();
        }
        if let Some(m) = &self.memory {
            m.lock().unwrap_or_else(|p| p.into_inner()).push(v);
        }
    }
}

/// A short fingerprint, the first 8 bytes of SHA-256 in hex: of identity
/// keys in events, and of secrets the command line must not print.
pub fn fingerprint(sec1: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(&sha2::Sha256::digest(sec1)[..8])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_json_object_per_line() {
        let (log, mem) = EventLog::in_memory();
        let mut e = Event::new(EventKind::Replay).detail("counter 3, expected 5");
        e.conn = Some(7);
        e.counts.push(("bytes_in", 10));
        log.emit(e);
        let v = &mem.lock().expect("lock")[0];
        assert_eq!(v["event"], "replay");
        assert_eq!(v["severity"], "alert");
        assert_eq!(v["conn"], 7);
        assert_eq!(v["bytes_in"], 10);
        assert!(v["ts"].as_str().expect("ts").ends_with('Z'));
        assert!(!v.to_string().contains('\n'));
    }
}
