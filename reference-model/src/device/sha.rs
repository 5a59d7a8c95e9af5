//! The device's SHA-256 unit as the hardware holds it: the state H, a
//! 64-byte block buffer and a byte count. A full buffer is compressed (the
//! FIPS 180-4 compression function, from the `sha2` crate) before the next
//! byte is taken; reading gives the bytes of H, the digest after
//! [`ShaUnit::finish`].

use super::isa::sha_padding_len;

/// FIPS 180-4 initial hash value.
const IV: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

/// The SHA-256 unit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShaUnit {
    h: [u32; 8],
    block: [u8; 64],
    count: u64,
}

impl Default for ShaUnit {
    fn default() -> Self {
        ShaUnit {
            h: IV,
            block: [0; 64],
            count: 0,
        }
    }
}

impl ShaUnit {
    /// Starts a new hash (and overwrites the previous digest).
    pub fn init(&mut self) {
        *self = ShaUnit::default();
    }

    /// Bytes in the block buffer.
    pub fn fill(&self) -> u64 {
        self.count % 64
    }

    /// Takes one byte; returns true when it completed a block (which was
    /// compressed).
    pub fn write(&mut self, b: u8) -> bool {
        self.block[(self.count % 64) as usize] = b;
        self.count += 1;
        if self.count.is_multiple_of(64) {
            // sha2 0.10's raw compression takes generic-array 0.14 blocks.
            #[allow(deprecated)]
            let block = sha2::digest::generic_array::GenericArray::clone_from_slice(&self.block);
            sha2::compress256(&mut self.h, &[block]);
            true
        } else {
            false
        }
    }

    /// Appends the padding; returns (padding bytes, blocks compressed).
    pub fn finish(&mut self) -> (u64, u64) {
        let bits = self.count.wrapping_mul(8);
        let pad = sha_padding_len(self.count);
        let mut blocks = 0;
        for i in 0..pad {
            let b = if i == 0 {
                0x80
            } else if i >= pad - 8 {
                (bits >> (8 * (pad - 1 - i))) as u8
            } else {
                0
            };
            blocks += self.write(b) as u64;
        }
        (pad, blocks)
    }

    /// Byte `i` (0..32) of H, big-endian words.
    pub fn digest_byte(&self, i: usize) -> u8 {
        self.h[(i / 4) % 8].to_be_bytes()[i % 4]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};
    use std::vec::Vec;

    fn digest(u: &ShaUnit) -> [u8; 32] {
        core::array::from_fn(|i| u.digest_byte(i))
    }

    #[test]
    fn matches_sha256_across_block_boundaries() {
        for len in [0usize, 3, 55, 56, 63, 64, 65, 119, 168, 200] {
            let msg: Vec<u8> = (0..len).map(|i| (i * 7 + 1) as u8).collect();
            let mut u = ShaUnit::default();
            let mut blocks = 0;
            for &b in &msg {
                blocks += u.write(b) as u64;
            }
            let (pad, more) = u.finish();
            assert_eq!(digest(&u)[..], Sha256::digest(&msg)[..], "len {len}");
            assert_eq!((len as u64 + pad) % 64, 0);
            assert_eq!(blocks + more, (len as u64 + pad) / 64);
        }
    }
}
