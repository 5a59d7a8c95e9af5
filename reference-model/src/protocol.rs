//! The device protocol as a host sees it over SPI: transactions, frames,
//! commands, status codes, the CRC, and the layouts of slots, INFO and the
//! attestation statement. `no_std`; imported by the device model, the HDL and
//! the driver.
//!
//! # Transactions
//!
//! SPI mode 0, most significant bit first, one chip-select-low transaction
//! at a time. The first byte the host sends chooses the transaction:
//!
//! * **request**: `OP_REQUEST, TAG, CMD, LEN_HI, LEN_LO, PAYLOAD[LEN], CRC_HI,
//!   CRC_LO`. The device answers 0xff throughout. When chip select rises the
//!   device checks the frame (length, CRC) and either stores an error response
//!   at once or starts the command; while it runs, the device is busy and
//!   drops further requests unchanged.
//! * **response**: `OP_RESPONSE` then any filler; the device answers 0xff for
//!   the first byte and then `STATUS, TAG, LEN_HI, LEN_LO, PAYLOAD[LEN],
//!   CRC_HI, CRC_LO`, then 0xff. While a command runs, STATUS is
//!   [`status::BUSY`] with the running command's TAG and LEN 0. The response
//!   stays readable until the next accepted request.
//!
//! Any other first byte leaves a [`status::BAD_OP`] response. The CRC is
//! CRC-16/CCITT-FALSE (poly 0x1021, init 0xffff, no reflection; check value
//! 0x29b1 for "123456789", per the CRC RevEng catalogue) over every frame
//! byte after the op byte and before the CRC.

/// First byte of a request transaction.
pub const OP_REQUEST: u8 = 0x5a;
/// First byte of a response transaction.
pub const OP_RESPONSE: u8 = 0xa5;
/// Filler the device sends when it has nothing to say.
pub const IDLE_BYTE: u8 = 0xff;
/// Request header bytes after the op: TAG, CMD, LEN_HI, LEN_LO.
pub const REQUEST_HEADER: usize = 4;
/// Response header bytes: STATUS, TAG, LEN_HI, LEN_LO.
pub const RESPONSE_HEADER: usize = 4;
/// Largest request payload.
pub const MAX_REQUEST_PAYLOAD: usize = 128;
/// Largest response payload.
pub const MAX_RESPONSE_PAYLOAD: usize = 256;
/// Protocol version reported by INFO.
pub const PROTOCOL_VERSION: u8 = 1;

/// Command codes.
pub mod cmd {
    /// Version, lanes, device id, measurement, counter, RNG kind.
    pub const INFO: u8 = 0x01;
    /// Known-answer tests of SHA-256 and the engine, RNG health.
    pub const SELF_TEST: u8 = 0x02;
    /// `slot, policy`: generate a key inside.
    pub const KEYGEN: u8 = 0x10;
    /// `slot, policy, d[32]`: import a private key (provisioning, tests).
    pub const IMPORT: u8 = 0x11;
    /// `slot`: policy byte and public key.
    pub const PUBKEY: u8 = 0x12;
    /// `slot, digest[32]`: ECDSA P-256 signature r || s (low s).
    pub const SIGN: u8 = 0x13;
    /// `slot, x[32], y[32]`: ECDH; the shared x coordinate.
    pub const ECDH: u8 = 0x14;
    /// `slot`: lock the slot against key replacement.
    pub const LOCK: u8 = 0x15;
    /// `nonce[32]`: signed attestation statement.
    pub const ATTEST: u8 = 0x20;
}

/// Request payload lengths, by command.
pub const fn request_len(command: u8) -> Option<usize> {
    match command {
        cmd::INFO | cmd::SELF_TEST => Some(0),
        cmd::KEYGEN => Some(2),
        cmd::IMPORT => Some(34),
        cmd::PUBKEY | cmd::LOCK => Some(1),
        cmd::SIGN => Some(33),
        cmd::ECDH => Some(65),
        cmd::ATTEST => Some(32),
        _ => None,
    }
}

/// Status codes (the first byte of every response).
pub mod status {
    /// Success.
    pub const OK: u8 = 0x00;
    /// A command is running; read again later.
    pub const BUSY: u8 = 0x01;
    /// No request has been accepted since reset.
    pub const NO_RESPONSE: u8 = 0x02;
    /// The CRC does not match.
    pub const BAD_CRC: u8 = 0x10;
    /// LEN is wrong for the command, or bytes follow the CRC.
    pub const BAD_LENGTH: u8 = 0x11;
    /// LEN exceeds the request buffer.
    pub const OVERSIZE: u8 = 0x12;
    /// Chip select rose before the frame was complete.
    pub const TRUNCATED: u8 = 0x13;
    /// The command code is not defined.
    pub const UNKNOWN_COMMAND: u8 = 0x14;
    /// The first byte of the transaction is not an op.
    pub const BAD_OP: u8 = 0x15;
    /// The slot number is out of range.
    pub const BAD_SLOT: u8 = 0x20;
    /// The slot is locked.
    pub const SLOT_LOCKED: u8 = 0x21;
    /// The slot's policy does not allow this use.
    pub const POLICY: u8 = 0x22;
    /// The slot holds no key.
    pub const SLOT_EMPTY: u8 = 0x23;
    /// The requested policy asks for more than sign and ECDH.
    pub const BAD_POLICY: u8 = 0x24;
    /// The peer point is not a valid P-256 point.
    pub const INVALID_POINT: u8 = 0x30;
    /// The imported private key is not in [1, n - 1].
    pub const INVALID_SCALAR: u8 = 0x31;
    /// The random source failed its health tests (or gave no usable value).
    pub const RNG_FAILURE: u8 = 0x40;
    /// A known-answer test failed.
    pub const SELF_TEST_FAILED: u8 = 0x41;
    /// The engine reported a fault (result check or illegal instruction).
    pub const ENGINE_FAULT: u8 = 0x42;
}

/// Slot geometry and policy bits.
pub mod slot {
    /// Number of key slots.
    pub const COUNT: usize = 8;
    /// Policy bit: may sign digests.
    pub const SIGN: u8 = 1 << 0;
    /// Policy bit: may do ECDH.
    pub const ECDH: u8 = 1 << 1;
    /// Policy bit: signs attestation statements (slot 0, the identity key).
    pub const ATTEST: u8 = 1 << 2;
    /// Policy bit: the slot holds a key.
    pub const VALID: u8 = 1 << 6;
    /// Policy bit: the key can no longer be replaced.
    pub const LOCKED: u8 = 1 << 7;
    /// Policy bits a host may request for a key.
    pub const REQUESTABLE: u8 = SIGN | ECDH;
    /// The identity slot.
    pub const IDENTITY: u8 = 0;
}

/// Layout of the slot memory (bytes): policies, the attestation counter,
/// then per slot the private key and the public key's x and y.
pub mod slot_mem {
    /// Policy byte of slot s is at `POLICIES + s`.
    pub const POLICIES: usize = 0;
    /// Attestation counter, 4 bytes big-endian.
    pub const COUNTER: usize = 8;
    /// Device id, 16 bytes: personalisation, in the slot memory (a block
    /// RAM on the FPGA) so that a device is personalised by patching that
    /// memory's contents alone. No command writes it.
    pub const DEVICE_ID: usize = 16;
    /// Measurement, 32 bytes: what INFO and attestation report. In the
    /// slot memory beside the device id because an FPGA build's measurement
    /// is the hash of its bitstream, which the bitstream cannot contain: it
    /// is patched in with the personalisation. No command writes it.
    pub const MEASUREMENT: usize = 32;
    /// The personalisation's bytes (device id, measurement): restoring a
    /// persisted slot memory keeps the build's.
    pub const PERSONAL: core::ops::Range<usize> = DEVICE_ID..MEASUREMENT + 32;
    /// First slot record.
    pub const RECORDS: usize = 64;
    /// Bytes a slot record.
    pub const RECORD: usize = 96;
    /// Private key offset in a record.
    pub const PRIVATE: usize = 0;
    /// Public x offset in a record.
    pub const PUBLIC_X: usize = 32;
    /// Public y offset in a record.
    pub const PUBLIC_Y: usize = 64;
    /// Size of the slot memory.
    pub const SIZE: usize = 1024;
    /// Start of slot s's record.
    pub const fn record(s: usize) -> usize {
        RECORDS + s * RECORD
    }
}

/// INFO response layout.
pub mod info {
    /// Protocol version.
    pub const VERSION: usize = 0;
    /// Engine lanes.
    pub const LANES: usize = 1;
    /// Flags ([`FLAG_RNG_SIMULATED`], [`FLAG_RNG_FAILED`]).
    pub const FLAGS: usize = 2;
    /// Slot count.
    pub const SLOTS: usize = 3;
    /// Device id, 16 bytes.
    pub const DEVICE_ID: usize = 4;
    /// Measurement, 32 bytes.
    pub const MEASUREMENT: usize = 20;
    /// Attestation counter, 4 bytes big-endian.
    pub const COUNTER: usize = 52;
    /// Length.
    pub const LEN: usize = 56;
    /// The RNG is the simulation's seeded source, not an entropy source.
    pub const FLAG_RNG_SIMULATED: u8 = 1 << 0;
    /// The RNG's health tests have failed since reset.
    pub const FLAG_RNG_FAILED: u8 = 1 << 1;
}

/// The attestation statement: what `ATTEST` signs. The response is the
/// statement followed by r and s (32 bytes each, big-endian); the signature
/// is ECDSA P-256 with SHA-256 over the statement bytes, by the identity key
/// (slot 0), so `openssl dgst -sha256 -verify` checks it.
pub mod statement {
    /// Magic, 8 bytes: `SCU-ATT1`.
    pub const MAGIC: usize = 0;
    /// The verifier's nonce, 32 bytes.
    pub const NONCE: usize = 8;
    /// Device id, 16 bytes.
    pub const DEVICE_ID: usize = 40;
    /// Identity public key x || y, 64 bytes.
    pub const IDENTITY_KEY: usize = 56;
    /// Measurement of the device's firmware, 32 bytes.
    pub const MEASUREMENT: usize = 120;
    /// The eight slot policy bytes.
    pub const POLICIES: usize = 152;
    /// Attestation counter after this attestation, 4 bytes big-endian.
    pub const COUNTER: usize = 160;
    /// Flags (as INFO's) and three zero bytes.
    pub const FLAGS: usize = 164;
    /// Statement length.
    pub const LEN: usize = 168;
    /// The magic bytes.
    pub const MAGIC_BYTES: [u8; 8] = *b"SCU-ATT1";
    /// Response length: statement, r, s.
    pub const RESPONSE_LEN: usize = LEN + 64;
}

/// CRC-16/CCITT-FALSE, one byte at a time.
pub const fn crc16_update(mut crc: u16, byte: u8) -> u16 {
    crc ^= (byte as u16) << 8;
    let mut i = 0;
    while i < 8 {
        crc = if crc & 0x8000 != 0 {
            (crc << 1) ^ 0x1021
        } else {
            crc << 1
        };
        i += 1;
    }
    crc
}

/// CRC-16/CCITT-FALSE of a byte string.
pub const fn crc16(data: &[u8]) -> u16 {
    let mut crc = 0xffff;
    let mut i = 0;
    while i < data.len() {
        crc = crc16_update(crc, data[i]);
        i += 1;
    }
    crc
}

/// Why a buffer cannot hold or does not contain a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameError {
    /// The output buffer is too small.
    BufferTooSmall,
    /// The payload exceeds the protocol's maximum.
    PayloadTooLong,
    /// Fewer bytes than the header and LEN announce.
    Truncated,
    /// The CRC does not match.
    BadCrc,
    /// The first byte is not the expected op.
    BadOp,
}

/// Writes a request transaction into `out`; returns its length.
pub fn encode_request(
    tag: u8,
    command: u8,
    payload: &[u8],
    out: &mut [u8],
) -> Result<usize, FrameError> {
    if payload.len() > MAX_REQUEST_PAYLOAD {
        return Err(FrameError::PayloadTooLong);
    }
    let n = 1 + REQUEST_HEADER + payload.len() + 2;
    if out.len() < n {
        return Err(FrameError::BufferTooSmall);
    }
    out[0] = OP_REQUEST;
    out[1] = tag;
    out[2] = command;
    out[3] = (payload.len() >> 8) as u8;
    out[4] = payload.len() as u8;
    out[5..5 + payload.len()].copy_from_slice(payload);
    let crc = crc16(&out[1..5 + payload.len()]);
    out[n - 2] = (crc >> 8) as u8;
    out[n - 1] = crc as u8;
    Ok(n)
}

/// A decoded response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Response<'a> {
    /// Status code.
    pub status: u8,
    /// The tag of the request it answers.
    pub tag: u8,
    /// Payload.
    pub payload: &'a [u8],
}

/// Bytes a response transaction must clock to read a response with up to
/// `payload` bytes.
pub const fn response_transaction_len(payload: usize) -> usize {
    1 + RESPONSE_HEADER + payload + 2
}

/// Decodes the MISO bytes of a response transaction (the first byte is the
/// filler sent during the op byte).
pub fn decode_response(miso: &[u8]) -> Result<Response<'_>, FrameError> {
    if miso.len() < 1 + RESPONSE_HEADER + 2 {
        return Err(FrameError::Truncated);
    }
    let h = &miso[1..];
    let len = ((h[2] as usize) << 8) | h[3] as usize;
    if len > MAX_RESPONSE_PAYLOAD {
        return Err(FrameError::PayloadTooLong);
    }
    if h.len() < RESPONSE_HEADER + len + 2 {
        return Err(FrameError::Truncated);
    }
    let body = &h[..RESPONSE_HEADER + len];
    let crc = ((h[RESPONSE_HEADER + len] as u16) << 8) | h[RESPONSE_HEADER + len + 1] as u16;
    if crc16(body) != crc {
        return Err(FrameError::BadCrc);
    }
    Ok(Response {
        status: h[0],
        tag: h[1],
        payload: &body[RESPONSE_HEADER..],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_check_value() {
        // CRC-16/CCITT-FALSE check value from the RevEng catalogue.
        assert_eq!(crc16(b"123456789"), 0x29b1);
    }

    #[test]
    fn request_layout() {
        let mut buf = [0u8; 64];
        let n = encode_request(7, cmd::PUBKEY, &[3], &mut buf).expect("fits");
        assert_eq!(n, 8);
        assert_eq!(&buf[..6], &[OP_REQUEST, 7, cmd::PUBKEY, 0, 1, 3]);
        assert_eq!(crc16(&buf[1..6]), u16::from_be_bytes([buf[6], buf[7]]));
        assert_eq!(
            encode_request(0, 0, &[0; 200], &mut buf),
            Err(FrameError::PayloadTooLong)
        );
        assert_eq!(
            encode_request(0, 0, &[0; 60], &mut buf),
            Err(FrameError::BufferTooSmall)
        );
    }

    #[test]
    fn response_decoding_checks_everything() {
        let body = [status::OK, 9, 0, 2, 0xaa, 0xbb];
        let crc = crc16(&body);
        let mut miso = [IDLE_BYTE; 12];
        miso[1..7].copy_from_slice(&body);
        miso[7] = (crc >> 8) as u8;
        miso[8] = crc as u8;
        let r = decode_response(&miso).expect("decodes");
        assert_eq!(
            (r.status, r.tag, r.payload),
            (status::OK, 9, &[0xaa, 0xbb][..])
        );
        miso[5] ^= 1;
        assert_eq!(decode_response(&miso), Err(FrameError::BadCrc));
        assert_eq!(decode_response(&miso[..6]), Err(FrameError::Truncated));
    }

    #[test]
    fn statement_fields_tile_the_statement() {
        use statement::*;
        let fields = [
            (MAGIC, 8),
            (NONCE, 32),
            (DEVICE_ID, 16),
            (IDENTITY_KEY, 64),
            (MEASUREMENT, 32),
            (POLICIES, 8),
            (COUNTER, 4),
            (FLAGS, 4),
        ];
        let mut at = 0;
        for (off, len) in fields {
            assert_eq!(off, at);
            at += len;
        }
        assert_eq!(at, LEN);
        const { assert!(RESPONSE_LEN <= MAX_RESPONSE_PAYLOAD) };
        const { assert!(slot_mem::record(slot::COUNT) <= slot_mem::SIZE) };
    }
}
