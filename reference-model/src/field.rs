//! The engine's arithmetic, bit for bit: what the field arithmetic unit
//! writes for every input, reduced or not. The RTL is checked against these
//! functions through the trace, so each one states the exact rule, not just
//! the residue class it lands in.

use crate::consts::{N, N_NEG_INV, P, P_NEG_INV};
use crate::words::{U256, WORDS};

/// The modulus an instruction works with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Modulus {
    /// The field prime p.
    P,
    /// The group order n.
    N,
}

impl Modulus {
    /// The modulus value.
    pub const fn value(self) -> U256 {
        match self {
            Modulus::P => P,
            Modulus::N => N,
        }
    }

    /// `-m^-1 mod 2^16`.
    pub const fn neg_inv(self) -> u16 {
        match self {
            Modulus::P => P_NEG_INV,
            Modulus::N => N_NEG_INV,
        }
    }
}

/// Montgomery multiplication `a * b * 2^-256 mod m`, word-serial CIOS with
/// one final conditional subtraction.
///
/// Exact rule: with t the CIOS accumulator after the 16 reduction steps
/// (t < 2^256 + m for any a, b < 2^256), the result is `t - m` when `t >= m`
/// and `t` otherwise. For reduced inputs the result is reduced.
///
/// For p the hardware fuses each reduction into the next row's pass
/// (q = t0 because -p^-1 = 1 mod 2^16, and (t + q p) / 2^16 = (t >> 16) +
/// q (p + 1) / 2^16); that computes the same t, step for step.
#[allow(clippy::needless_range_loop)] // word indices mirror the hardware's
pub fn mont_mul(a: &U256, b: &U256, m: Modulus) -> U256 {
    let mw = m.value().0;
    let minv = m.neg_inv() as u64;
    // t[0..16] words, t[16] and t[17] the top.
    let mut t = [0u64; WORDS + 2];
    for i in 0..WORDS {
        let ai = a.0[i] as u64;
        let mut c = 0u64;
        for j in 0..WORDS {
            let s = t[j] + ai * b.0[j] as u64 + c;
            t[j] = s & 0xffff;
            c = s >> 16;
        }
        let s = t[WORDS] + c;
        t[WORDS] = s & 0xffff;
        t[WORDS + 1] = s >> 16;

        let q = (t[0] * minv) & 0xffff;
        let s = t[0] + q * mw[0] as u64;
        debug_assert_eq!(s & 0xffff, 0);
        let mut c = s >> 16;
        for j in 1..WORDS {
            let s = t[j] + q * mw[j] as u64 + c;
            t[j - 1] = s & 0xffff;
            c = s >> 16;
        }
        let s = t[WORDS] + c;
        t[WORDS - 1] = s & 0xffff;
        t[WORDS] = t[WORDS + 1] + (s >> 16);
        t[WORDS + 1] = 0;
    }
    // t < 2^256 + m < 2^257: the top is one bit (the hardware relies on it).
    debug_assert!(t[WORDS] <= 1, "Montgomery accumulator out of bound");
    let mut low = [0u16; WORDS];
    for (w, v) in low.iter_mut().zip(t.iter()) {
        *w = *v as u16;
    }
    let low = U256(low);
    let (diff, borrow) = low.sbb(&m.value());
    if t[WORDS] != 0 || !borrow {
        diff
    } else {
        low
    }
}

/// Modular addition. Exact rule: s = a + b (257 bits); the result is
/// `(s - m) mod 2^256` when `s >= m`, else `s`.
pub fn add(a: &U256, b: &U256, m: Modulus) -> U256 {
    let (s, carry) = a.adc(b);
    let (t, borrow) = s.sbb(&m.value());
    if carry || !borrow {
        t
    } else {
        s
    }
}

/// Modular subtraction. Exact rule: `a - b` when `a >= b`, else
/// `(a - b + m) mod 2^256`.
pub fn sub(a: &U256, b: &U256, m: Modulus) -> U256 {
    let (d, borrow) = a.sbb(b);
    if borrow {
        d.adc(&m.value()).0
    } else {
        d
    }
}

/// Converts into Montgomery form (`v R mod m`) the way the microcode does:
/// one multiplication by R^2.
pub fn to_mont(v: &U256, m: Modulus) -> U256 {
    let r2 = match m {
        Modulus::P => crate::consts::R2_P,
        Modulus::N => crate::consts::R2_N,
    };
    mont_mul(v, &r2, m)
}

/// Leaves Montgomery form: one multiplication by 1.
pub fn from_mont(v: &U256, m: Modulus) -> U256 {
    mont_mul(v, &U256::ONE, m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consts::{ONE_MONT_P, R2_P};

    #[test]
    fn montgomery_round_trip() {
        let v =
            U256::from_be_hex("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
        for m in [Modulus::P, Modulus::N] {
            assert_eq!(from_mont(&to_mont(&v, m), m), v);
        }
        assert_eq!(to_mont(&U256::ONE, Modulus::P), ONE_MONT_P);
        assert_eq!(from_mont(&R2_P, Modulus::P), ONE_MONT_P);
    }

    #[test]
    fn accumulator_top_is_one_bit_even_for_unreduced_operands() {
        // The largest operands give the largest t; mont_mul's debug_assert
        // checks t < 2^257 (the engine's MUL keeps only Ttop's bit 0).
        let max = U256([0xffff; WORDS]);
        for m in [Modulus::P, Modulus::N] {
            for (a, b) in [(max, max), (max, m.value()), (m.value(), m.value())] {
                mont_mul(&a, &b, m);
            }
        }
    }

    #[test]
    fn add_sub_wrap_at_the_modulus() {
        let pm1 = P.sbb(&U256::ONE).0;
        assert_eq!(add(&pm1, &U256::ONE, Modulus::P), U256::ZERO);
        assert_eq!(sub(&U256::ZERO, &U256::ONE, Modulus::P), pm1);
        assert_eq!(add(&pm1, &pm1, Modulus::P), P.sbb(&U256::from_u16(2)).0);
    }
}
