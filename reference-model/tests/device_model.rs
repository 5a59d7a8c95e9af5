//! The device model at frame level: every command against `p256` and
//! published vectors, and every kind of bad input from the device issue:
//! a precise status, the device keeps serving, nothing stored changes.

use p256::ecdsa::signature::hazmat::PrehashVerifier;
use p256::ecdsa::{Signature, VerifyingKey};
use proptest::prelude::*;
use scu_model::consts::{N, P};
use scu_model::device::image::Personalisation;
use scu_model::device::{Device, DeviceImage};
use scu_model::ladder::{Affine, Product};
use scu_model::protocol::{self, cmd, info, slot, statement, status};
use scu_model::reference::*;
use scu_model::timing::Lanes;
use scu_model::U256;
use sha2::{Digest, Sha256};

struct Session {
    dev: Device,
    tag: u8,
}

struct Reply {
    status: u8,
    tag: u8,
    payload: Vec<u8>,
    busy: u64,
}

impl Session {
    fn new() -> Session {
        let p = Personalisation::derive(b"device model tests");
        Session {
            dev: Device::new(DeviceImage::new(Lanes::TINY, &p)),
            tag: 0,
        }
    }

    fn read(&mut self) -> Reply {
        let mut mosi =
            vec![0u8; protocol::response_transaction_len(protocol::MAX_RESPONSE_PAYLOAD)];
        mosi[0] = protocol::OP_RESPONSE;
        let miso = self.dev.transaction(&mosi);
        let r = protocol::decode_response(&miso).expect("the device always sends a valid frame");
        Reply {
            status: r.status,
            tag: r.tag,
            payload: r.payload.to_vec(),
            busy: 0,
        }
    }

    fn send_raw(&mut self, mosi: &[u8]) -> Reply {
        let before = self.dev.last_command();
        self.dev.transaction(mosi);
        let busy = self.dev.busy_remaining();
        self.dev.advance(busy);
        let mut r = self.read();
        r.busy = if self.dev.last_command() != before {
            busy
        } else {
            0
        };
        r
    }

    fn request(&mut self, command: u8, payload: &[u8]) -> Reply {
        self.tag = self.tag.wrapping_add(1);
        let mut buf = [0u8; 200];
        let n = protocol::encode_request(self.tag, command, payload, &mut buf).expect("encodes");
        let r = self.send_raw(&buf[..n]);
        assert_eq!(r.tag, self.tag, "the response answers this request");
        r
    }

    fn ok(&mut self, command: u8, payload: &[u8]) -> Vec<u8> {
        let r = self.request(command, payload);
        assert_eq!(r.status, status::OK, "command {command:#04x}");
        r.payload
    }

    fn slots(&self) -> Vec<u8> {
        self.dev.slot_memory().to_vec()
    }
}

fn hex(s: &str) -> U256 {
    U256::from_be_hex(s)
}

fn point_bytes(p: &Affine) -> Vec<u8> {
    [p.x.to_be_bytes(), p.y.to_be_bytes()].concat()
}

fn affine(b: &[u8]) -> Affine {
    Affine {
        x: U256::from_be_bytes(b[..32].try_into().expect("32")),
        y: U256::from_be_bytes(b[32..64].try_into().expect("32")),
    }
}

fn verifies(q: &Affine, digest: &[u8; 32], sig: &[u8]) -> bool {
    let ep = p256::EncodedPoint::from_affine_coordinates(
        &q.x.to_be_bytes().into(),
        &q.y.to_be_bytes().into(),
        false,
    );
    let Ok(vk) = VerifyingKey::from_encoded_point(&ep) else {
        return false;
    };
    let Ok(s) = Signature::from_slice(sig) else {
        return false;
    };
    vk.verify_prehash(digest, &s).is_ok()
}

// FIPS 186-4 CAVP SigGen P-256 vector 1 (also used by the engine tests).
const D1: &str = "519b423d715f8b581f4fa8ee59f4771a5b44c8130b4e3eacca54a56dda72b464";
const Q1X: &str = "1ccbe91c075fc7f4f033bfa248db8fccd3565de94bbfb12f3c59ff46c271bf83";
const Q1Y: &str = "ce4014c68811f9a21a1fdb2c0e6113e06db7ca93b7404e78dc7ccd5ca89a4ca9";

fn import(s: &mut Session, slot_n: u8, policy: u8, d: &U256) -> Reply {
    let mut p = vec![slot_n, policy];
    p.extend_from_slice(&d.to_be_bytes());
    s.request(cmd::IMPORT, &p)
}

#[test]
fn info_reports_build_and_identity() {
    let mut s = Session::new();
    let r = s.ok(cmd::INFO, &[]);
    assert_eq!(r.len(), info::LEN);
    assert_eq!(r[info::VERSION], protocol::PROTOCOL_VERSION);
    assert_eq!(r[info::LANES], 1);
    assert_eq!(
        r[info::FLAGS] & info::FLAG_RNG_SIMULATED,
        info::FLAG_RNG_SIMULATED
    );
    assert_eq!(r[info::SLOTS] as usize, slot::COUNT);
    assert_eq!(
        &r[info::MEASUREMENT..info::MEASUREMENT + 32],
        &s.dev.image().measurement
    );
    assert_eq!(&r[info::COUNTER..info::COUNTER + 4], &[0, 0, 0, 0]);
    assert_eq!(s.ok(cmd::SELF_TEST, &[]), Vec::<u8>::new());
}

#[test]
fn import_pubkey_sign_ecdh_against_p256_and_nist() {
    let mut s = Session::new();
    let r = import(&mut s, 1, slot::SIGN | slot::ECDH, &hex(D1));
    assert_eq!(r.status, status::OK);
    assert_eq!(
        affine(&r.payload),
        Affine {
            x: hex(Q1X),
            y: hex(Q1Y)
        }
    );
    let pk = s.ok(cmd::PUBKEY, &[1]);
    assert_eq!(pk[0], slot::SIGN | slot::ECDH | slot::VALID);
    assert_eq!(
        affine(&pk[1..]),
        Affine {
            x: hex(Q1X),
            y: hex(Q1Y)
        }
    );

    let digest: [u8; 32] = Sha256::digest(b"a message").into();
    let mut p = vec![1u8];
    p.extend_from_slice(&digest);
    let sig = s.ok(cmd::SIGN, &p);
    assert!(verifies(&affine(&pk[1..]), &digest, &sig));
    assert!(
        U256::from_be_bytes(sig[32..].try_into().expect("32")) <= scu_model::consts::HALF_N,
        "low s"
    );

    let m = hex(&"42".repeat(32));
    let peer = multiple_of_g(&m);
    let mut p = vec![1u8];
    p.extend_from_slice(&point_bytes(&peer));
    let shared = s.ok(cmd::ECDH, &p);
    match reference_mult(&hex(D1), &peer) {
        Product::Point(z) => assert_eq!(shared, z.x.to_be_bytes().to_vec()),
        Product::Identity => unreachable!(),
    }
}

#[test]
fn keygen_makes_a_working_key() {
    let mut s = Session::new();
    let q = affine(&s.ok(cmd::KEYGEN, &[2, slot::SIGN]));
    assert!(
        matches!(reference_mult(&U256::ONE, &q), Product::Point(_)),
        "on the curve"
    );
    let digest = [7u8; 32];
    let mut p = vec![2u8];
    p.extend_from_slice(&digest);
    let sig = s.ok(cmd::SIGN, &p);
    assert!(verifies(&q, &digest, &sig));
    // Two keygens give two different keys.
    let q2 = affine(&s.ok(cmd::KEYGEN, &[3, slot::SIGN]));
    assert_ne!(q, q2);
}

#[test]
fn attestation_statement_and_signature() {
    let mut s = Session::new();
    let nonce = [0x5au8; 32];
    for counter in 1u32..=2 {
        let r = s.ok(cmd::ATTEST, &nonce);
        assert_eq!(r.len(), statement::RESPONSE_LEN);
        let st = &r[..statement::LEN];
        assert_eq!(&st[statement::MAGIC..statement::MAGIC + 8], b"SCU-ATT1");
        assert_eq!(&st[statement::NONCE..statement::NONCE + 32], &nonce);
        assert_eq!(
            &st[statement::MEASUREMENT..statement::MEASUREMENT + 32],
            &s.dev.image().measurement
        );
        assert_eq!(
            &st[statement::COUNTER..statement::COUNTER + 4],
            &counter.to_be_bytes()
        );
        assert_eq!(
            st[statement::POLICIES],
            slot::ATTEST | slot::VALID | slot::LOCKED
        );
        let identity = affine(&st[statement::IDENTITY_KEY..statement::IDENTITY_KEY + 64]);
        let digest: [u8; 32] = Sha256::digest(st).into();
        assert!(verifies(&identity, &digest, &r[statement::LEN..]));
    }
    let i = s.ok(cmd::INFO, &[]);
    assert_eq!(&i[info::COUNTER..info::COUNTER + 4], &2u32.to_be_bytes());
}

/// Runs `f` and checks that slot memory did not change and that the
/// device still serves.
fn unchanged(s: &mut Session, f: impl FnOnce(&mut Session)) {
    let before = s.slots();
    f(s);
    assert_eq!(s.slots(), before, "nothing stored changes");
    assert_eq!(
        s.request(cmd::INFO, &[]).status,
        status::OK,
        "the device keeps serving"
    );
}

#[test]
fn slot_checks() {
    let mut s = Session::new();
    assert_eq!(import(&mut s, 1, slot::ECDH, &hex(D1)).status, status::OK);
    unchanged(&mut s, |s| {
        assert_eq!(
            s.request(cmd::SIGN, &[[1u8].as_slice(), &[0; 32]].concat())
                .status,
            status::POLICY
        );
        assert_eq!(
            s.request(cmd::SIGN, &[[4u8].as_slice(), &[0; 32]].concat())
                .status,
            status::SLOT_EMPTY
        );
        assert_eq!(s.request(cmd::PUBKEY, &[4]).status, status::SLOT_EMPTY);
        assert_eq!(s.request(cmd::LOCK, &[4]).status, status::SLOT_EMPTY);
        assert_eq!(s.request(cmd::PUBKEY, &[8]).status, status::BAD_SLOT);
        assert_eq!(
            s.request(cmd::SIGN, &[[255u8].as_slice(), &[0; 32]].concat())
                .status,
            status::BAD_SLOT
        );
        assert_eq!(
            s.request(cmd::KEYGEN, &[0, slot::SIGN]).status,
            status::SLOT_LOCKED
        );
        assert_eq!(
            s.request(cmd::KEYGEN, &[5, slot::ATTEST]).status,
            status::BAD_POLICY
        );
        assert_eq!(
            s.request(cmd::KEYGEN, &[5, slot::LOCKED | slot::SIGN])
                .status,
            status::BAD_POLICY
        );
        assert_eq!(
            import(s, 5, slot::SIGN, &U256::ZERO).status,
            status::INVALID_SCALAR
        );
        assert_eq!(import(s, 5, slot::SIGN, &N).status, status::INVALID_SCALAR);
    });
    assert_eq!(s.ok(cmd::LOCK, &[1]), Vec::<u8>::new());
    unchanged(&mut s, |s| {
        assert_eq!(
            import(s, 1, slot::SIGN, &hex(D1)).status,
            status::SLOT_LOCKED
        );
        assert_eq!(
            s.request(cmd::KEYGEN, &[1, slot::SIGN]).status,
            status::SLOT_LOCKED
        );
    });
}

#[test]
fn invalid_peer_points_are_refused_before_any_computation() {
    let mut s = Session::new();
    assert_eq!(import(&mut s, 1, slot::ECDH, &hex(D1)).status, status::OK);
    let g = g();
    let mut off = g;
    off.y = off.y.adc(&U256::ONE).0;
    let bad = [
        off,
        Affine {
            x: U256::ZERO,
            y: U256::ZERO,
        },
        Affine { x: P, y: g.y },
        Affine { x: g.x, y: P },
    ];
    let full = {
        let mut p = vec![1u8];
        p.extend_from_slice(&point_bytes(&g));
        s.request(cmd::ECDH, &p).busy
    };
    for b in bad {
        unchanged(&mut s, |s| {
            let mut p = vec![1u8];
            p.extend_from_slice(&point_bytes(&b));
            let r = s.request(cmd::ECDH, &p);
            assert_eq!(r.status, status::INVALID_POINT, "{b:?}");
            assert!(
                r.busy * 10 < full,
                "no scalar multiplication on an invalid point"
            );
        });
    }
}

fn frame(tag: u8, command: u8, payload: &[u8]) -> Vec<u8> {
    let mut buf = vec![0u8; 200];
    let n = protocol::encode_request(tag, command, payload, &mut buf).expect("encodes");
    buf.truncate(n);
    buf
}

#[test]
fn malformed_frames_get_precise_statuses() {
    let mut s = Session::new();
    unchanged(&mut s, |s| {
        let good = frame(9, cmd::PUBKEY, &[0]);
        let mut bad_crc = good.clone();
        *bad_crc.last_mut().expect("crc") ^= 1;
        assert_eq!(s.send_raw(&bad_crc).status, status::BAD_CRC);
        // Chip select released mid-frame, at every point.
        for cut in 1..good.len() {
            let r = s.send_raw(&good[..cut]);
            assert_eq!(r.status, status::TRUNCATED, "cut at {cut}");
        }
        let mut trailing = good.clone();
        trailing.push(0);
        assert_eq!(s.send_raw(&trailing).status, status::BAD_LENGTH);
        let mut oversize = vec![protocol::OP_REQUEST, 1, cmd::SIGN, 0x01, 0x00];
        oversize.resize(5 + 256 + 2, 0);
        assert_eq!(s.send_raw(&oversize).status, status::OVERSIZE);
        assert_eq!(
            s.send_raw(&frame(3, cmd::PUBKEY, &[0, 0])).status,
            status::BAD_LENGTH
        );
        assert_eq!(
            s.send_raw(&frame(3, 0x7e, &[])).status,
            status::UNKNOWN_COMMAND
        );
        assert_eq!(s.send_raw(&[0x00, 1, 2, 3]).status, status::BAD_OP);
        // An empty transaction changes nothing at all.
        let before = s.read().status;
        s.dev.transaction(&[]);
        assert_eq!(s.read().status, before);
    });
}

#[test]
fn requests_while_busy_are_dropped() {
    let mut s = Session::new();
    s.dev.transaction(&frame(1, cmd::KEYGEN, &[3, slot::SIGN]));
    assert!(s.dev.busy());
    let slots = s.slots();
    // A second request and a bad op arrive while busy: both dropped.
    s.dev.transaction(&frame(2, cmd::LOCK, &[0]));
    s.dev.transaction(&[0x33]);
    let r = s.read();
    assert_eq!((r.status, r.tag), (status::BUSY, 1));
    let busy = s.dev.busy_remaining();
    s.dev.advance(busy);
    let r = s.read();
    assert_eq!((r.status, r.tag, r.payload.len()), (status::OK, 1, 64));
    assert_eq!(
        s.slots()[..protocol::slot_mem::RECORDS],
        {
            let mut m = slots;
            m[3] = slot::SIGN | slot::VALID;
            m
        }[..protocol::slot_mem::RECORDS]
    );
}

#[test]
fn a_failed_random_source_stops_key_use() {
    let mut s = Session::new();
    assert_eq!(import(&mut s, 1, slot::SIGN, &hex(D1)).status, status::OK);
    s.dev.inject_rng_failure();
    unchanged(&mut s, |s| {
        assert_eq!(
            s.request(cmd::KEYGEN, &[2, slot::SIGN]).status,
            status::RNG_FAILURE
        );
        assert_eq!(
            s.request(cmd::SIGN, &[[1u8].as_slice(), &[0; 32]].concat())
                .status,
            status::RNG_FAILURE
        );
        assert_eq!(s.request(cmd::ATTEST, &[0; 32]).status, status::RNG_FAILURE);
        assert_eq!(s.request(cmd::SELF_TEST, &[]).status, status::RNG_FAILURE);
    });
    let i = s.ok(cmd::INFO, &[]);
    assert_ne!(i[info::FLAGS] & info::FLAG_RNG_FAILED, 0);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Arbitrary transactions: the device never panics, always answers with
    /// a valid frame, and slot memory changes only through accepted commands.
    #[test]
    fn fuzz_the_frame_parser(tx in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..80), 1..6)) {
        let mut s = Session::new();
        let before = s.slots();
        for t in &tx {
            s.send_raw(t);
        }
        let accepted = s.dev.last_command().is_some();
        prop_assert!(accepted || s.slots() == before);
        prop_assert_eq!(s.request(cmd::INFO, &[]).status, status::OK);
    }

    /// Well-formed frames with random commands and payloads: no panic, a
    /// status from the protocol, the device keeps serving.
    #[test]
    fn fuzz_valid_frames(command in any::<u8>(), payload in prop::collection::vec(any::<u8>(), 0..100)) {
        let mut s = Session::new();
        let r = s.send_raw(&frame(1, command, &payload));
        prop_assert!(r.status != status::BUSY);
        prop_assert_eq!(s.request(cmd::INFO, &[]).status, status::OK);
    }
}
