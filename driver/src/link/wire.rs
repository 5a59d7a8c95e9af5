//! What travels between two connectors.
//!
//! * Handshake messages: `LEN_HI LEN_LO MESSAGE` (Noise messages).
//! * Records, after the handshake: `LEN_HI LEN_LO COUNTER[8] CIPHERTEXT`,
//!   LEN counting the counter and the ciphertext. The counter is the AEAD
//!   nonce, sent in the clear so that a receiver can tell a replayed record
//!   (counter behind) from a lost one (ahead) from a forged one (does not
//!   decrypt); it must be exactly the next one expected. Both directions
//!   rekey (Noise `REKEY`) after every `rekey_records` records.
//! * Inside a record: `TYPE BODY`, TYPE [`DATA`], [`ATTEST`] or [`END`]
//!   (no more data in this direction).

use snow::StatelessTransportState;
use std::fmt;
use std::io::{self, Read, Write};
use std::sync::{Arc, Mutex};

/// Record type: application bytes.
pub const DATA: u8 = 0;
/// Record type: an attestation (statement, r, s).
pub const ATTEST: u8 = 1;
/// Record type: this direction is finished.
pub const END: u8 = 2;
/// Largest application chunk in one record.
pub const MAX_CHUNK: usize = 16 * 1024;
/// AEAD tag bytes.
pub const TAG: usize = 16;
/// Largest frame body (u16 length).
pub const MAX_FRAME: usize = u16::MAX as usize;

/// Why a record could not be taken.
#[derive(Debug)]
pub enum RecordError {
    /// The socket failed.
    Io(io::Error),
    /// The stream ended inside a frame.
    Truncated,
    /// The counter is behind the next expected one.
    Replay {
        /// Counter received.
        got: u64,
        /// Counter expected.
        expected: u64,
    },
    /// The counter is ahead of the next expected one.
    OutOfOrder {
        /// Counter received.
        got: u64,
        /// Counter expected.
        expected: u64,
    },
    /// The record does not decrypt.
    Aead,
    /// The frame or the record inside is malformed.
    Malformed(&'static str),
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecordError::Io(e) => write!(f, "socket: {e}"),
            RecordError::Truncated => f.write_str("the stream ended inside a record"),
            RecordError::Replay { got, expected } => {
                write!(f, "record counter {got} again (expected {expected})")
            }
            RecordError::OutOfOrder { got, expected } => {
                write!(f, "record counter {got}, expected {expected}")
            }
            RecordError::Aead => f.write_str("a record failed authentication"),
            RecordError::Malformed(w) => write!(f, "malformed record: {w}"),
        }
    }
}

impl From<io::Error> for RecordError {
    fn from(e: io::Error) -> Self {
        RecordError::Io(e)
    }
}

/// Writes one length-prefixed frame.
pub fn write_frame(w: &mut impl Write, body: &[u8]) -> io::Result<()> {
    let len = u16::try_from(body.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "frame too long"))?;
    let mut f = Vec::with_capacity(2 + body.len());
    f.extend_from_slice(&len.to_be_bytes());
    f.extend_from_slice(body);
    w.write_all(&f)?;
    w.flush()
}

/// Reads one length-prefixed frame; `Ok(None)` at a clean end of stream.
pub fn read_frame(r: &mut impl Read) -> Result<Option<Vec<u8>>, RecordError> {
    let mut h = [0u8; 2];
    let mut got = 0;
    while got < 2 {
        match r.read(&mut h[got..]) {
            Ok(0) if got == 0 => return Ok(None),
            Ok(0) => return Err(RecordError::Truncated),
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
    let len = u16::from_be_bytes(h) as usize;
    let mut body = vec![0u8; len];
    r.read_exact(&mut body).map_err(|e| match e.kind() {
        io::ErrorKind::UnexpectedEof => RecordError::Truncated,
        _ => RecordError::Io(e),
    })?;
    Ok(Some(body))
}

/// The session keys, shared by the two directions.
pub struct Keys {
    state: Mutex<StatelessTransportState>,
    rekey_records: u64,
}

impl Keys {
    /// Keys from a finished handshake.
    pub fn new(state: StatelessTransportState, rekey_records: u32) -> Arc<Keys> {
        Arc::new(Keys {
            state: Mutex::new(state),
            rekey_records: rekey_records.max(1) as u64,
        })
    }

    fn state(&self) -> std::sync::MutexGuard<'_, StatelessTransportState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The sending direction.
pub struct Sender {
    keys: Arc<Keys>,
    next: u64,
    buf: Vec<u8>,
}

impl Sender {
    /// The sender of a session.
    pub fn new(keys: Arc<Keys>) -> Sender {
        Sender {
            keys,
            next: 0,
            buf: vec![0u8; MAX_FRAME],
        }
    }

    /// Records sent.
    pub fn sent(&self) -> u64 {
        self.next
    }

    /// Encrypts and writes one record of `kind` carrying `body`.
    pub fn send(&mut self, w: &mut impl Write, kind: u8, body: &[u8]) -> io::Result<()> {
        let mut plain = Vec::with_capacity(1 + body.len());
        plain.push(kind);
        plain.extend_from_slice(body);
        if 8 + plain.len() + TAG > MAX_FRAME {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "record too long",
            ));
        }
        let n = {
            let st = self.keys.state();
            st.write_message(self.next, &plain, &mut self.buf[8..])
                .map_err(|e| io::Error::other(format!("encryption: {e}")))?
        };
        self.buf[..8].copy_from_slice(&self.next.to_be_bytes());
        write_frame(w, &self.buf[..8 + n])?;
        self.next += 1;
        if self.next.is_multiple_of(self.keys.rekey_records) {
            self.keys.state().rekey_outgoing();
        }
        Ok(())
    }
}

/// The receiving direction.
pub struct Receiver {
    keys: Arc<Keys>,
    next: u64,
    buf: Vec<u8>,
}

impl Receiver {
    /// The receiver of a session.
    pub fn new(keys: Arc<Keys>) -> Receiver {
        Receiver {
            keys,
            next: 0,
            buf: vec![0u8; MAX_FRAME],
        }
    }

    /// Records received.
    pub fn received(&self) -> u64 {
        self.next
    }

    /// The next record (type, body); `Ok(None)` at a clean end of stream.
    pub fn recv(&mut self, r: &mut impl Read) -> Result<Option<(u8, Vec<u8>)>, RecordError> {
        let Some(frame) = read_frame(r)? else {
            return Ok(None);
        };
        if frame.len() < 8 + TAG + 1 {
            return Err(RecordError::Malformed("shorter than a record"));
        }
        let got = u64::from_be_bytes(
            frame[..8]
                .try_into()
                .map_err(|_| RecordError::Malformed("counter"))?,
        );
        if got < self.next {
            return Err(RecordError::Replay {
                got,
                expected: self.next,
            });
        }
        if got > self.next {
            return Err(RecordError::OutOfOrder {
                got,
                expected: self.next,
            });
        }
        let n = {
            let st = self.keys.state();
            st.read_message(got, &frame[8..], &mut self.buf)
                .map_err(|_| RecordError::Aead)?
        };
        self.next += 1;
        if self.next.is_multiple_of(self.keys.rekey_records) {
            self.keys.state().rekey_incoming();
        }
        if n == 0 {
            return Err(RecordError::Malformed("no record type"));
        }
        Ok(Some((self.buf[0], self.buf[1..n].to_vec())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two transport states from a Noise NN handshake (snow's own curve:
    /// only the record layer is under test here).
    fn pair(rekey_a: u32, rekey_b: u32) -> (Arc<Keys>, Arc<Keys>) {
        let p: snow::params::NoiseParams =
            "Noise_NN_25519_ChaChaPoly_SHA256".parse().expect("params");
        let mut i = snow::Builder::new(p.clone())
            .build_initiator()
            .expect("initiator");
        let mut r = snow::Builder::new(p).build_responder().expect("responder");
        let (mut m, mut x) = ([0u8; 256], [0u8; 256]);
        let n = i.write_message(&[], &mut m).expect("1");
        r.read_message(&m[..n], &mut x).expect("1");
        let n = r.write_message(&[], &mut m).expect("2");
        i.read_message(&m[..n], &mut x).expect("2");
        (
            Keys::new(i.into_stateless_transport_mode().expect("t"), rekey_a),
            Keys::new(r.into_stateless_transport_mode().expect("t"), rekey_b),
        )
    }

    fn frames(keys: &Arc<Keys>, bodies: &[&[u8]]) -> Vec<Vec<u8>> {
        let mut tx = Sender::new(keys.clone());
        bodies
            .iter()
            .map(|b| {
                let mut w = Vec::new();
                tx.send(&mut w, DATA, b).expect("send");
                w
            })
            .collect()
    }

    #[test]
    fn records_arrive_in_order_across_rekeys() {
        let (a, b) = pair(2, 2);
        let f = frames(&a, &[b"one", b"two", b"three", b"four", b"five"]);
        let mut rx = Receiver::new(b);
        for (k, want) in f
            .iter()
            .zip([&b"one"[..], b"two", b"three", b"four", b"five"])
        {
            assert_eq!(
                rx.recv(&mut &k[..]).expect("record"),
                Some((DATA, want.to_vec()))
            );
        }
    }

    #[test]
    fn rekeying_changes_the_keys() {
        // A receiver that rekeys at another interval fails at the first
        // record after the sender's rekey: the keys really change.
        let (a, b) = pair(2, 3);
        let f = frames(&a, &[b"a", b"b", b"c"]);
        let mut rx = Receiver::new(b);
        rx.recv(&mut &f[0][..]).expect("0");
        rx.recv(&mut &f[1][..]).expect("1");
        assert!(matches!(rx.recv(&mut &f[2][..]), Err(RecordError::Aead)));
    }

    #[test]
    fn replay_reorder_forgery_and_truncation_are_refused() {
        let (a, b) = pair(100, 100);
        let f = frames(&a, &[b"a", b"b", b"c"]);
        let mut rx = Receiver::new(b);
        rx.recv(&mut &f[0][..]).expect("0");
        assert!(matches!(
            rx.recv(&mut &f[0][..]),
            Err(RecordError::Replay {
                got: 0,
                expected: 1
            })
        ));
        assert!(matches!(
            rx.recv(&mut &f[2][..]),
            Err(RecordError::OutOfOrder {
                got: 2,
                expected: 1
            })
        ));
        let mut bad = f[1].clone();
        let last = bad.len() - 1;
        bad[last] ^= 0x80;
        assert!(matches!(rx.recv(&mut &bad[..]), Err(RecordError::Aead)));
        assert!(matches!(
            rx.recv(&mut &f[1][..f[1].len() - 1]),
            Err(RecordError::Truncated)
        ));
        assert!(matches!(
            rx.recv(&mut &[0u8, 3, 0, 0, 0][..]),
            Err(RecordError::Malformed(_))
        ));
        assert_eq!(rx.recv(&mut &[][..]).expect("clean end"), None);
        rx.recv(&mut &f[1][..])
            .expect("the genuine record still decrypts");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        /// Any bytes from the network: a record, an error, or the end;
        /// never a panic.
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)) {
            let (_, b) = pair(3, 3);
            let mut rx = Receiver::new(b);
            let mut r = &bytes[..];
            for _ in 0..4 {
                if !matches!(rx.recv(&mut r), Ok(Some(_))) {
                    break;
                }
            }
        }
    }
}
