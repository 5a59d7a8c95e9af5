//! The device test suite, written once and run on every implementation of
//! the device: the model itself, and the RTL (rust-hdl and Verilator) in
//! frame-level lockstep with the model. Results are checked against the
//! `p256` crate and published vectors; every bad input must give a precise
//! status, leave the device serving and change nothing stored.

use super::{Device, DeviceImage};
use crate::consts::{HALF_N, N, P};
use crate::ladder::{Affine, Product};
use crate::protocol::{self, cmd, info, slot, statement, status};
use crate::reference::{g, multiple_of_g, reference_mult};
use crate::words::U256;
use alloc::vec;
use alloc::vec::Vec;
use p256::ecdsa::signature::hazmat::PrehashVerifier;
use p256::ecdsa::{Signature, VerifyingKey};
use sha2::{Digest, Sha256};

/// A device as the suite drives it: SPI transactions and time.
pub trait DeviceUnderTest {
    /// One chip-select-low transaction; the MISO bytes.
    fn transaction(&mut self, mosi: &[u8]) -> Vec<u8>;
    /// A transaction whose chip select rises after `bits` bits of the last
    /// byte (1..7); the MISO bytes of the complete bytes.
    fn transaction_cut(&mut self, mosi: &[u8], bits: u8) -> Vec<u8>;
    /// Lets a running command finish.
    fn wait_idle(&mut self);
    /// A command is running.
    fn busy(&self) -> bool;
    /// The slot memory, where the implementation can show it.
    fn slot_memory(&self) -> Option<Vec<u8>>;
    /// Makes the RNG's health tests fail, where the implementation can.
    fn inject_rng_failure(&mut self) -> bool;
}

impl DeviceUnderTest for Device {
    fn transaction(&mut self, mosi: &[u8]) -> Vec<u8> {
        Device::transaction(self, mosi)
    }
    fn transaction_cut(&mut self, mosi: &[u8], _bits: u8) -> Vec<u8> {
        // The partial byte never arrives.
        Device::transaction(self, &mosi[..mosi.len() - 1])
    }
    fn wait_idle(&mut self) {
        let r = self.busy_remaining();
        self.advance(r);
    }
    fn busy(&self) -> bool {
        Device::busy(self)
    }
    fn slot_memory(&self) -> Option<Vec<u8>> {
        Some(Device::slot_memory(self).to_vec())
    }
    fn inject_rng_failure(&mut self) -> bool {
        Device::inject_rng_failure(self);
        true
    }
}

/// The image the suite's model devices use.
pub fn test_image(lanes: crate::timing::Lanes) -> DeviceImage {
    DeviceImage::new(
        lanes,
        &super::image::Personalisation::derive(b"device suite"),
    )
}

/// A request frame.
pub fn frame(tag: u8, command: u8, payload: &[u8]) -> Vec<u8> {
    let mut buf = vec![0u8; 1 + protocol::REQUEST_HEADER + payload.len() + 2];
    let n = protocol::encode_request(tag, command, payload, &mut buf)
        .expect("the suite sends valid payloads");
    buf.truncate(n);
    buf
}

/// A response transaction long enough for any response.
pub fn read_frame() -> Vec<u8> {
    let mut r = vec![0u8; protocol::response_transaction_len(protocol::MAX_RESPONSE_PAYLOAD)];
    r[0] = protocol::OP_RESPONSE;
    r
}

/// A decoded response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    /// Status.
    pub status: u8,
    /// Tag.
    pub tag: u8,
    /// Payload.
    pub payload: Vec<u8>,
}

/// Reads the current response.
pub fn read<D: DeviceUnderTest>(d: &mut D) -> Reply {
    let miso = d.transaction(&read_frame());
    let r = protocol::decode_response(&miso).expect("the device always answers with a valid frame");
    Reply {
        status: r.status,
        tag: r.tag,
        payload: r.payload.to_vec(),
    }
}

/// Sends raw bytes, waits, reads.
pub fn send<D: DeviceUnderTest>(d: &mut D, mosi: &[u8]) -> Reply {
    d.transaction(mosi);
    d.wait_idle();
    read(d)
}

/// A request with tag `tag`; the response must answer it.
pub fn call<D: DeviceUnderTest>(d: &mut D, tag: u8, command: u8, payload: &[u8]) -> Reply {
    let r = send(d, &frame(tag, command, payload));
    assert_eq!(r.tag, tag, "the response answers request {tag}");
    r
}

fn ok<D: DeviceUnderTest>(d: &mut D, tag: u8, command: u8, payload: &[u8]) -> Vec<u8> {
    let r = call(d, tag, command, payload);
    assert_eq!(r.status, status::OK, "command {command:#04x}");
    r.payload
}

/// Runs `f`; then the device must still serve and (where visible) its
/// slot memory must be unchanged.
fn unchanged<D: DeviceUnderTest>(d: &mut D, f: impl FnOnce(&mut D)) {
    let before = d.slot_memory();
    f(d);
    assert_eq!(d.slot_memory(), before, "nothing stored changes");
    assert_eq!(
        call(d, 0xee, cmd::INFO, &[]).status,
        status::OK,
        "the device keeps serving"
    );
}

/// Affine point from x || y.
pub fn affine(b: &[u8]) -> Affine {
    Affine {
        x: U256::from_be_bytes(b[..32].try_into().expect("32 bytes")),
        y: U256::from_be_bytes(b[32..64].try_into().expect("32 bytes")),
    }
}

/// x || y.
pub fn point_bytes(p: &Affine) -> Vec<u8> {
    [p.x.to_be_bytes(), p.y.to_be_bytes()].concat()
}

/// ECDSA verification by `p256`.
pub fn verifies(q: &Affine, digest: &[u8], sig: &[u8]) -> bool {
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

/// FIPS 186-4 CAVP SigGen P-256 vector 1: private key d.
pub const D1: &str = "519b423d715f8b581f4fa8ee59f4771a5b44c8130b4e3eacca54a56dda72b464";
/// Its public key, x.
pub const Q1X: &str = "1ccbe91c075fc7f4f033bfa248db8fccd3565de94bbfb12f3c59ff46c271bf83";
/// Its public key, y.
pub const Q1Y: &str = "ce4014c68811f9a21a1fdb2c0e6113e06db7ca93b7404e78dc7ccd5ca89a4ca9";

fn import<D: DeviceUnderTest>(d: &mut D, tag: u8, s: u8, policy: u8, key: &U256) -> Reply {
    let mut p = vec![s, policy];
    p.extend_from_slice(&key.to_be_bytes());
    call(d, tag, cmd::IMPORT, &p)
}

/// INFO and SELF_TEST on a fresh device of `lanes` lanes with `measurement`.
pub fn info_and_self_test<D: DeviceUnderTest>(d: &mut D, lanes: u32, measurement: &[u8; 32]) {
    let r = ok(d, 1, cmd::INFO, &[]);
    assert_eq!(r.len(), info::LEN);
    assert_eq!(r[info::VERSION], protocol::PROTOCOL_VERSION);
    assert_eq!(r[info::LANES] as u32, lanes);
    assert_ne!(
        r[info::FLAGS] & info::FLAG_RNG_SIMULATED,
        0,
        "a simulated RNG says so"
    );
    assert_eq!(r[info::SLOTS] as usize, slot::COUNT);
    assert_eq!(&r[info::MEASUREMENT..info::MEASUREMENT + 32], measurement);
    assert!(ok(d, 2, cmd::SELF_TEST, &[]).is_empty());
}

/// IMPORT (a NIST key), PUBKEY, SIGN and ECDH against `p256`; KEYGEN and a
/// signature with the new key. Uses slots 1 to 3.
pub fn keys_sign_ecdh<D: DeviceUnderTest>(d: &mut D) {
    let q1 = Affine {
        x: U256::from_be_hex(Q1X),
        y: U256::from_be_hex(Q1Y),
    };
    let r = import(d, 10, 1, slot::SIGN | slot::ECDH, &U256::from_be_hex(D1));
    assert_eq!((r.status, affine(&r.payload)), (status::OK, q1));
    let pk = ok(d, 11, cmd::PUBKEY, &[1]);
    assert_eq!(
        (pk[0], affine(&pk[1..])),
        (slot::SIGN | slot::ECDH | slot::VALID, q1)
    );
    let digest: [u8; 32] = Sha256::digest(b"a message for the SCU").into();
    let sig = ok(d, 12, cmd::SIGN, &[&[1u8][..], &digest].concat());
    assert!(verifies(&q1, &digest, &sig));
    assert!(
        U256::from_be_bytes(sig[32..].try_into().expect("s")) <= HALF_N,
        "low s"
    );
    let peer = multiple_of_g(&U256::from_be_hex(&"42".repeat(32)));
    let z = ok(
        d,
        13,
        cmd::ECDH,
        &[&[1u8][..], &point_bytes(&peer)].concat(),
    );
    match reference_mult(&U256::from_be_hex(D1), &peer) {
        Product::Point(want) => assert_eq!(z, want.x.to_be_bytes().to_vec()),
        Product::Identity => panic!("a valid key and point give a point"),
    }
    let q2 = affine(&ok(d, 14, cmd::KEYGEN, &[2, slot::SIGN]));
    assert!(
        matches!(reference_mult(&U256::ONE, &q2), Product::Point(_)),
        "on the curve"
    );
    let sig = ok(d, 15, cmd::SIGN, &[&[2u8][..], &digest].concat());
    assert!(verifies(&q2, &digest, &sig));
    let q3 = affine(&ok(d, 16, cmd::KEYGEN, &[3, slot::ECDH]));
    assert_ne!(q2, q3, "two keygens give two keys");
}

/// Two attestations: statement fields, signature by the identity key,
/// the counter.
pub fn attestation<D: DeviceUnderTest>(d: &mut D, measurement: &[u8; 32]) {
    let nonce = [0x5au8; 32];
    let before = ok(d, 20, cmd::INFO, &[]);
    let start = u32::from_be_bytes(
        before[info::COUNTER..info::COUNTER + 4]
            .try_into()
            .expect("4"),
    );
    for k in 1..=2u32 {
        let r = ok(d, 20 + k as u8, cmd::ATTEST, &nonce);
        assert_eq!(r.len(), statement::RESPONSE_LEN);
        let st = &r[..statement::LEN];
        assert_eq!(
            &st[statement::MAGIC..statement::MAGIC + 8],
            &statement::MAGIC_BYTES
        );
        assert_eq!(&st[statement::NONCE..statement::NONCE + 32], &nonce);
        assert_eq!(
            &st[statement::MEASUREMENT..statement::MEASUREMENT + 32],
            measurement
        );
        assert_eq!(
            &st[statement::COUNTER..statement::COUNTER + 4],
            &(start + k).to_be_bytes()
        );
        assert_eq!(
            st[statement::POLICIES],
            slot::ATTEST | slot::VALID | slot::LOCKED
        );
        assert_eq!(
            &st[statement::DEVICE_ID..statement::DEVICE_ID + 16],
            &before[info::DEVICE_ID..info::DEVICE_ID + 16]
        );
        let identity = affine(&st[statement::IDENTITY_KEY..statement::IDENTITY_KEY + 64]);
        let h: [u8; 32] = Sha256::digest(st).into();
        assert!(verifies(&identity, &h, &r[statement::LEN..]));
    }
}

/// Slot range, policy, emptiness, locking, requested policy, imported
/// scalar range. Uses slots 4 to 7.
pub fn slot_checks<D: DeviceUnderTest>(d: &mut D) {
    assert_eq!(
        import(d, 30, 4, slot::ECDH, &U256::from_be_hex(D1)).status,
        status::OK
    );
    let zero32 = [0u8; 32];
    unchanged(d, |d| {
        assert_eq!(
            call(d, 31, cmd::SIGN, &[&[4u8][..], &zero32].concat()).status,
            status::POLICY
        );
        assert_eq!(
            call(d, 32, cmd::SIGN, &[&[5u8][..], &zero32].concat()).status,
            status::SLOT_EMPTY
        );
        assert_eq!(call(d, 33, cmd::PUBKEY, &[5]).status, status::SLOT_EMPTY);
        assert_eq!(call(d, 34, cmd::LOCK, &[5]).status, status::SLOT_EMPTY);
        assert_eq!(call(d, 35, cmd::PUBKEY, &[8]).status, status::BAD_SLOT);
        assert_eq!(
            call(d, 36, cmd::SIGN, &[&[255u8][..], &zero32].concat()).status,
            status::BAD_SLOT
        );
        assert_eq!(
            call(d, 37, cmd::KEYGEN, &[0, slot::SIGN]).status,
            status::SLOT_LOCKED
        );
        assert_eq!(
            call(d, 38, cmd::KEYGEN, &[6, slot::ATTEST]).status,
            status::BAD_POLICY
        );
        assert_eq!(
            call(d, 39, cmd::KEYGEN, &[6, slot::LOCKED | slot::SIGN]).status,
            status::BAD_POLICY
        );
        assert_eq!(
            import(d, 40, 6, slot::SIGN, &U256::ZERO).status,
            status::INVALID_SCALAR
        );
        assert_eq!(
            import(d, 41, 6, slot::SIGN, &N).status,
            status::INVALID_SCALAR
        );
    });
    assert!(ok(d, 42, cmd::LOCK, &[4]).is_empty());
    unchanged(d, |d| {
        assert_eq!(
            import(d, 43, 4, slot::SIGN, &U256::from_be_hex(D1)).status,
            status::SLOT_LOCKED
        );
        assert_eq!(
            call(d, 44, cmd::KEYGEN, &[4, slot::SIGN]).status,
            status::SLOT_LOCKED
        );
    });
    assert_eq!(
        ok(d, 45, cmd::PUBKEY, &[4])[0],
        slot::ECDH | slot::VALID | slot::LOCKED
    );
}

/// Invalid peer points are refused (uses slot 7).
pub fn invalid_points<D: DeviceUnderTest>(d: &mut D) {
    assert_eq!(
        import(d, 50, 7, slot::ECDH, &U256::from_be_hex(D1)).status,
        status::OK
    );
    let mut off = g();
    off.y = off.y.adc(&U256::ONE).0;
    let bad = [
        off,
        Affine {
            x: U256::ZERO,
            y: U256::ZERO,
        },
        Affine { x: P, y: g().y },
        Affine { x: g().x, y: P },
    ];
    for (i, b) in bad.iter().enumerate() {
        unchanged(d, |d| {
            let r = call(
                d,
                51 + i as u8,
                cmd::ECDH,
                &[&[7u8][..], &point_bytes(b)].concat(),
            );
            assert_eq!(r.status, status::INVALID_POINT, "{b:?}");
        });
    }
}

/// Every kind of malformed frame and truncated transfer.
pub fn malformed_frames<D: DeviceUnderTest>(d: &mut D) {
    unchanged(d, |d| {
        let good = frame(60, cmd::PUBKEY, &[0]);
        let mut bad_crc = good.clone();
        *bad_crc.last_mut().expect("crc") ^= 1;
        assert_eq!(send(d, &bad_crc).status, status::BAD_CRC);
        for cut in 1..good.len() {
            assert_eq!(
                send(d, &good[..cut]).status,
                status::TRUNCATED,
                "chip select after {cut} bytes"
            );
        }
        d.transaction_cut(&good, 4);
        d.wait_idle();
        assert_eq!(
            read(d).status,
            status::TRUNCATED,
            "chip select in the last byte"
        );
        assert_eq!(
            send(d, &[good.as_slice(), &[0]].concat()).status,
            status::BAD_LENGTH
        );
        let mut oversize = vec![protocol::OP_REQUEST, 61, cmd::SIGN, 0x01, 0x00];
        oversize.resize(5 + 256 + 2, 0);
        assert_eq!(send(d, &oversize).status, status::OVERSIZE);
        assert_eq!(
            send(d, &frame(62, cmd::PUBKEY, &[0, 0])).status,
            status::BAD_LENGTH
        );
        assert_eq!(
            send(d, &frame(63, 0x7e, &[])).status,
            status::UNKNOWN_COMMAND
        );
        assert_eq!(send(d, &[0x00, 1, 2, 3]).status, status::BAD_OP);
        let before = read(d);
        d.transaction(&[]);
        assert_eq!(read(d), before, "an empty transaction changes nothing");
    });
}

/// A request and a bad op while a command runs are dropped; reads say BUSY
/// with the running tag; the first command's response then arrives.
pub fn busy_drops_requests<D: DeviceUnderTest>(d: &mut D) {
    let before = d.slot_memory();
    d.transaction(&frame(70, cmd::SELF_TEST, &[]));
    assert!(d.busy());
    let miso = d.transaction(&read_frame());
    let r = protocol::decode_response(&miso).expect("valid frame");
    assert_eq!((r.status, r.tag), (status::BUSY, 70));
    d.transaction(&frame(71, cmd::LOCK, &[1]));
    d.transaction(&[0x33]);
    d.wait_idle();
    let r = read(d);
    assert_eq!((r.status, r.tag), (status::OK, 70));
    assert_eq!(d.slot_memory(), before);
}

/// A failed RNG stops every use of randomness (only where it can be
/// injected).
pub fn rng_failure<D: DeviceUnderTest>(d: &mut D) {
    if !d.inject_rng_failure() {
        return;
    }
    unchanged(d, |d| {
        assert_eq!(
            call(d, 80, cmd::KEYGEN, &[6, slot::SIGN]).status,
            status::RNG_FAILURE
        );
        assert_eq!(
            call(d, 81, cmd::ATTEST, &[0; 32]).status,
            status::RNG_FAILURE
        );
        assert_eq!(call(d, 82, cmd::SELF_TEST, &[]).status, status::RNG_FAILURE);
    });
    let i = ok(d, 83, cmd::INFO, &[]);
    assert_ne!(i[info::FLAGS] & info::FLAG_RNG_FAILED, 0);
}

/// The whole suite on one device, in an order that uses each slot once.
pub fn run_all<D: DeviceUnderTest>(d: &mut D, lanes: u32, measurement: &[u8; 32]) {
    info_and_self_test(d, lanes, measurement);
    keys_sign_ecdh(d);
    attestation(d, measurement);
    slot_checks(d);
    invalid_points(d);
    malformed_frames(d);
    busy_drops_requests(d);
    rng_failure(d);
}
