//! 256-bit values as the engine holds them: sixteen 16-bit words, least
//! significant word first. Everything here is `const fn` so that the curve
//! constants and the values derived from them are computed at compile time
//! from one definition.

use core::cmp::Ordering;
use core::fmt;

/// Number of 16-bit words in one field element.
pub const WORDS: usize = 16;
/// Bits per engine word.
pub const WORD_BITS: usize = 16;

/// A 256-bit unsigned integer as 16 little-endian 16-bit words.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct U256(pub [u16; WORDS]);

impl U256 {
    /// Zero.
    pub const ZERO: U256 = U256([0; WORDS]);
    /// One.
    pub const ONE: U256 = U256::from_u16(1);

    /// A small value.
    pub const fn from_u16(v: u16) -> U256 {
        let mut w = [0u16; WORDS];
        w[0] = v;
        U256(w)
    }

    /// Parses exactly 64 big-endian hex digits; panics (at compile time when
    /// used in a `const`) on anything else.
    pub const fn from_be_hex(s: &str) -> U256 {
        let b = s.as_bytes();
        assert!(b.len() == 64, "expected 64 hex digits");
        let mut w = [0u16; WORDS];
        let mut i = 0;
        while i < 64 {
            let d = match b[i] {
                c @ b'0'..=b'9' => c - b'0',
                c @ b'a'..=b'f' => c - b'a' + 10,
                c @ b'A'..=b'F' => c - b'A' + 10,
                _ => panic!("not a hex digit"),
            } as u16;
            let nibble = 63 - i; // position from the least significant nibble
            w[nibble / 4] |= d << ((nibble % 4) * 4);
            i += 1;
        }
        U256(w)
    }

    /// From 32 big-endian bytes (the SEC1 / ECDSA encoding).
    pub const fn from_be_bytes(b: &[u8; 32]) -> U256 {
        let mut w = [0u16; WORDS];
        let mut i = 0;
        while i < WORDS {
            w[i] = ((b[31 - 2 * i - 1] as u16) << 8) | b[31 - 2 * i] as u16;
            i += 1;
        }
        U256(w)
    }

    /// To 32 big-endian bytes.
    pub const fn to_be_bytes(&self) -> [u8; 32] {
        let mut b = [0u8; 32];
        let mut i = 0;
        while i < WORDS {
            b[31 - 2 * i] = self.0[i] as u8;
            b[31 - 2 * i - 1] = (self.0[i] >> 8) as u8;
            i += 1;
        }
        b
    }

    /// Word `i` (least significant first).
    pub const fn word(&self, i: usize) -> u16 {
        self.0[i]
    }

    /// Bit `i`; bits at 256 and above read as zero.
    pub const fn bit(&self, i: usize) -> bool {
        if i >= 256 {
            return false;
        }
        (self.0[i / WORD_BITS] >> (i % WORD_BITS)) & 1 == 1
    }

    /// True when every word is zero.
    pub const fn is_zero(&self) -> bool {
        let mut i = 0;
        while i < WORDS {
            if self.0[i] != 0 {
                return false;
            }
            i += 1;
        }
        true
    }

    /// `self + rhs` modulo 2^256 and the carry out.
    pub const fn adc(&self, rhs: &U256) -> (U256, bool) {
        let mut w = [0u16; WORDS];
        let mut carry = 0u32;
        let mut i = 0;
        while i < WORDS {
            let s = self.0[i] as u32 + rhs.0[i] as u32 + carry;
            w[i] = s as u16;
            carry = s >> 16;
            i += 1;
        }
        (U256(w), carry != 0)
    }

    /// `self - rhs` modulo 2^256 and the borrow out.
    pub const fn sbb(&self, rhs: &U256) -> (U256, bool) {
        let mut w = [0u16; WORDS];
        let mut borrow = 0i32;
        let mut i = 0;
        while i < WORDS {
            let d = self.0[i] as i32 - rhs.0[i] as i32 - borrow;
            w[i] = d as u16;
            borrow = if d < 0 { 1 } else { 0 };
            i += 1;
        }
        (U256(w), borrow != 0)
    }

    /// Unsigned comparison (not constant time; the engine's own compare is
    /// the `TEST` instruction).
    pub const fn const_cmp(&self, rhs: &U256) -> Ordering {
        let mut i = WORDS;
        while i > 0 {
            i -= 1;
            if self.0[i] != rhs.0[i] {
                return if self.0[i] < rhs.0[i] {
                    Ordering::Less
                } else {
                    Ordering::Greater
                };
            }
        }
        Ordering::Equal
    }

    /// `self < rhs`.
    pub const fn lt(&self, rhs: &U256) -> bool {
        matches!(self.const_cmp(rhs), Ordering::Less)
    }

    /// `(self + rhs) mod m` for `self, rhs < m`.
    pub const fn add_mod(&self, rhs: &U256, m: &U256) -> U256 {
        let (s, c) = self.adc(rhs);
        if c || !s.lt(m) {
            s.sbb(m).0
        } else {
            s
        }
    }

    /// `(self - rhs) mod m` for `self, rhs < m`.
    pub const fn sub_mod(&self, rhs: &U256, m: &U256) -> U256 {
        let (d, b) = self.sbb(rhs);
        if b {
            d.adc(m).0
        } else {
            d
        }
    }

    /// `2^256 mod m` for a modulus `m > 2^255`.
    pub const fn pow2_256_mod(m: &U256) -> U256 {
        U256::ZERO.sbb(m).0
    }

    /// `2^512 mod m` (Montgomery's R^2 for R = 2^256) for `m > 2^255`.
    pub const fn r2_mod(m: &U256) -> U256 {
        let mut x = U256::pow2_256_mod(m);
        let mut i = 0;
        while i < 256 {
            x = x.add_mod(&x, m);
            i += 1;
        }
        x
    }

    /// `v * 2^256 mod m` (Montgomery form) for `v < m`, `m > 2^255`.
    pub const fn to_mont(v: &U256, m: &U256) -> U256 {
        let mut x = *v;
        let mut i = 0;
        while i < 256 {
            x = x.add_mod(&x, m);
            i += 1;
        }
        x
    }

    /// Logical shift right by one bit.
    pub const fn shr1(&self) -> U256 {
        let mut w = [0u16; WORDS];
        let mut i = 0;
        while i < WORDS {
            let hi = if i + 1 < WORDS {
                self.0[i + 1] << 15
            } else {
                0
            };
            w[i] = (self.0[i] >> 1) | hi;
            i += 1;
        }
        U256(w)
    }
}

impl Ord for U256 {
    fn cmp(&self, other: &Self) -> Ordering {
        self.const_cmp(other)
    }
}

impl PartialOrd for U256 {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Debug for U256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{self}")
    }
}

impl fmt::Display for U256 {
    /// 64 big-endian hex digits.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for w in self.0.iter().rev() {
            write!(f, "{w:04x}")?;
        }
        Ok(())
    }
}

/// `-m^-1 mod 2^16` for odd `m0` (the Montgomery quotient factor).
pub const fn neg_inv_word(m0: u16) -> u16 {
    // Newton iteration: x <- x (2 - m x) doubles the correct low bits.
    let m = m0 as u32;
    let mut x: u32 = 1;
    let mut i = 0;
    while i < 5 {
        x = x.wrapping_mul(2u32.wrapping_sub(m.wrapping_mul(x))) & 0xffff;
        i += 1;
    }
    (0x1_0000 - x) as u16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_and_bytes_round_trip() {
        let v =
            U256::from_be_hex("00112233445566778899aabbccddeeff0102030405060708090a0b0c0d0e0f10");
        assert_eq!(v.word(0), 0x0f10);
        assert_eq!(v.word(15), 0x0011);
        assert_eq!(U256::from_be_bytes(&v.to_be_bytes()), v);
        assert_eq!(
            format!("{v}"),
            "00112233445566778899aabbccddeeff0102030405060708090a0b0c0d0e0f10"
        );
    }

    #[test]
    fn carries_and_borrows() {
        let max = U256([0xffff; WORDS]);
        assert_eq!(max.adc(&U256::ONE), (U256::ZERO, true));
        assert_eq!(U256::ZERO.sbb(&U256::ONE), (max, true));
        assert!(U256::ONE.bit(0) && !U256::ONE.bit(1) && !max.bit(256));
    }

    #[test]
    fn neg_inv_word_is_an_inverse() {
        for m0 in [1u16, 3, 0x2551, 0xffff, 0x1235] {
            let x = neg_inv_word(m0);
            assert_eq!((m0 as u32 * x as u32) & 0xffff, 0xffff, "m0={m0:#x}");
        }
    }
}
