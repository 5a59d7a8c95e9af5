//! What a device is built with: the constant ROM, the initial slot memory
//! and the per-device personalisation (device id, identity key, RNG seed).
//!
//! The measurement reported by INFO and attestation sits in the slot memory
//! with the device id. A simulated build's is its firmware measurement: the
//! SHA-256 of `MEASUREMENT_DOMAIN`, the engine microcode words (u32,
//! little-endian), the device program words (u64, little-endian) and the
//! constant ROM. An FPGA build's is the SHA-256 of its template bitstream
//! (`fpga/build.py`), patched in with each device's personalisation. Either
//! identifies the build, not the device.

use crate::protocol::{self, slot, slot_mem};
use crate::timing::Lanes;
use crate::words::U256;
use alloc::vec::Vec;
use sha2::{Digest, Sha256};

/// Constant ROM layout (byte offsets).
pub mod rom {
    /// Reserved, 48 zero bytes (the device id and the measurement are in
    /// the slot memory).
    pub const RESERVED: usize = 0;
    /// Statement magic, 8 bytes.
    pub const MAGIC: usize = 48;
    /// INFO's first four bytes: version, lanes, static flags, slot count.
    pub const INFO_HEAD: usize = 56;
    /// Statement flags: static flags and three zeros.
    pub const STATEMENT_FLAGS: usize = 60;
    /// 32 zero bytes.
    pub const ZEROS: usize = 64;
    /// SHA-256 known answer: the message "abc".
    pub const SHA_KAT_MSG: usize = 96;
    /// Its length.
    pub const SHA_KAT_LEN: usize = 3;
    /// SHA-256("abc") (FIPS 180-4 example).
    pub const SHA_KAT_DIGEST: usize = 104;
    /// Engine known answer: a private key.
    pub const ENGINE_KAT_D: usize = 136;
    /// Its public key, x.
    pub const ENGINE_KAT_X: usize = 168;
    /// Its public key, y.
    pub const ENGINE_KAT_Y: usize = 200;
    /// ROM size.
    pub const SIZE: usize = 256;
}

/// The personalisation seed of the simulated RTL builds (`scu-sim`): a
/// fixed test identity, since a simulated bitstream is built once.
pub const RTL_TEST_SEED: &[u8] = b"scu-sim RTL test device";

/// Domain separation of the measurement.
pub const MEASUREMENT_DOMAIN: &[u8] = b"SCU measurement v1";

/// SHA-256("abc"), FIPS 180-4 / NIST example value.
pub const SHA_ABC: [u8; 32] = [
    0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
    0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad,
];

/// The engine's known-answer test: d and d G from the FIPS 186-4 ECDSA
/// SigGen vectors (P-256, first vector).
pub const ENGINE_KAT: (&str, &str, &str) = (
    "519b423d715f8b581f4fa8ee59f4771a5b44c8130b4e3eacca54a56dda72b464",
    "1ccbe91c075fc7f4f033bfa248db8fccd3565de94bbfb12f3c59ff46c271bf83",
    "ce4014c68811f9a21a1fdb2c0e6113e06db7ca93b7404e78dc7ccd5ca89a4ca9",
);

/// Per-device personalisation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Personalisation {
    /// Device id.
    pub device_id: [u8; 16],
    /// The identity key (slot 0), in [1, n - 1].
    pub identity_key: U256,
    /// Its public key.
    pub identity_public: (U256, U256),
    /// Seed of the simulated raw random source.
    pub rng_seed: u32,
}

impl Personalisation {
    /// A personalisation derived from a seed with SHA-256 (for simulated
    /// devices and tests; a real device is personalised from its own RNG or
    /// a provisioning station). The identity key is drawn by rejection so
    /// that it lies in [1, n - 1].
    pub fn derive(seed: &[u8]) -> Personalisation {
        let h = |label: &[u8], i: u32| -> [u8; 32] {
            let mut d = Sha256::new();
            d.update(b"SCU personalisation v1");
            d.update(label);
            d.update(i.to_be_bytes());
            d.update(seed);
            d.finalize().into()
        };
        let mut device_id = [0u8; 16];
        device_id.copy_from_slice(&h(b"device id", 0)[..16]);
        let mut i = 0;
        let identity_key = loop {
            let k = U256::from_be_bytes(&h(b"identity key", i));
            if !k.is_zero() && k < crate::consts::N {
                break k;
            }
            i += 1;
        };
        let q = crate::ops::keygen(&crate::ops::Firmware::new(), Lanes::TINY, &identity_key)
            .result
            .expect("a key in [1, n-1] has a public key");
        let s = h(b"rng seed", 0);
        Personalisation {
            device_id,
            identity_key,
            identity_public: (q.x, q.y),
            rng_seed: u32::from_be_bytes([s[0], s[1], s[2], s[3]]),
        }
    }
}

/// Where a build's raw random bits come from. It is part of the firmware
/// measurement, so a verifier tells the two kinds of build apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RngSource {
    /// The simulation's seeded LFSR (simulated and test builds): INFO and
    /// attestation statements say so.
    Simulated,
    /// Free-running ring oscillators on the FPGA, sampled by the device,
    /// health-tested and conditioned with SHA-256 like any raw source.
    RingOscillator,
}

/// Builds the constant ROM (nothing in it is personal: the device id,
/// identity key and measurement are in the slot memory).
pub fn const_rom(lanes: Lanes, rng: RngSource) -> [u8; rom::SIZE] {
    let mut r = [0u8; rom::SIZE];
    r[rom::MAGIC..rom::MAGIC + 8].copy_from_slice(&protocol::statement::MAGIC_BYTES);
    let flags = match rng {
        RngSource::Simulated => protocol::info::FLAG_RNG_SIMULATED,
        RngSource::RingOscillator => 0,
    };
    r[rom::INFO_HEAD..rom::INFO_HEAD + 4].copy_from_slice(&[
        protocol::PROTOCOL_VERSION,
        lanes.get() as u8,
        flags,
        slot::COUNT as u8,
    ]);
    r[rom::STATEMENT_FLAGS] = flags;
    r[rom::SHA_KAT_MSG..rom::SHA_KAT_MSG + 3].copy_from_slice(b"abc");
    r[rom::SHA_KAT_DIGEST..rom::SHA_KAT_DIGEST + 32].copy_from_slice(&SHA_ABC);
    for (off, hex) in [
        (rom::ENGINE_KAT_D, ENGINE_KAT.0),
        (rom::ENGINE_KAT_X, ENGINE_KAT.1),
        (rom::ENGINE_KAT_Y, ENGINE_KAT.2),
    ] {
        r[off..off + 32].copy_from_slice(&U256::from_be_hex(hex).to_be_bytes());
    }
    r
}

/// The firmware measurement.
pub fn measurement(
    lanes: Lanes,
    rng: RngSource,
    engine_rom: &[u32],
    device_rom: &[u64],
) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(MEASUREMENT_DOMAIN);
    for w in engine_rom {
        h.update(w.to_le_bytes());
    }
    for w in device_rom {
        h.update(w.to_le_bytes());
    }
    h.update(const_rom(lanes, rng));
    h.finalize().into()
}

/// The initial slot memory: the device id, the build's `measurement`, and
/// slot 0 holding the identity key (attest only, locked); the other slots
/// and the counter are empty.
pub fn initial_slots(p: &Personalisation, measurement: &[u8; 32]) -> Vec<u8> {
    let mut m = alloc::vec![0u8; slot_mem::SIZE];
    m[slot_mem::POLICIES] = slot::ATTEST | slot::VALID | slot::LOCKED;
    m[slot_mem::DEVICE_ID..slot_mem::DEVICE_ID + 16].copy_from_slice(&p.device_id);
    m[slot_mem::MEASUREMENT..slot_mem::MEASUREMENT + 32].copy_from_slice(measurement);
    let r = slot_mem::record(slot::IDENTITY as usize);
    m[r + slot_mem::PRIVATE..r + slot_mem::PRIVATE + 32]
        .copy_from_slice(&p.identity_key.to_be_bytes());
    m[r + slot_mem::PUBLIC_X..r + slot_mem::PUBLIC_X + 32]
        .copy_from_slice(&p.identity_public.0.to_be_bytes());
    m[r + slot_mem::PUBLIC_Y..r + slot_mem::PUBLIC_Y + 32]
        .copy_from_slice(&p.identity_public.1.to_be_bytes());
    m
}

/// A persisted slot memory with the build's personalisation (device id,
/// measurement, `slot_mem::PERSONAL`) taken from `built`, the slot memory
/// the device was built with: those are the build's, not state. None if
/// either has the wrong size.
pub fn restored_slots(persisted: &[u8], built: &[u8]) -> Option<Vec<u8>> {
    if persisted.len() != slot_mem::SIZE || built.len() != slot_mem::SIZE {
        return None;
    }
    let mut m = persisted.to_vec();
    m[slot_mem::PERSONAL].copy_from_slice(&built[slot_mem::PERSONAL]);
    Some(m)
}
