//! P-256 domain parameters and every constant derived from them.
//!
//! The five curve parameters are copied from FIPS 186-4, appendix D.1.2.3
//! ("Curve P-256"), identical to SEC 2 v2 section 2.4.2 (secp256r1). All
//! other constants are computed from them at compile time, so there is one
//! definition for the model, the HDL (microcode ROM, modulus ROM, register
//! file initialisation) and the driver.

use crate::words::{neg_inv_word, U256};

/// The field prime p = 2^256 - 2^224 + 2^192 + 2^96 - 1.
pub const P: U256 =
    U256::from_be_hex("ffffffff00000001000000000000000000000000ffffffffffffffffffffffff");
/// The group order n.
pub const N: U256 =
    U256::from_be_hex("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
/// The curve coefficient b (a = -3).
pub const B: U256 =
    U256::from_be_hex("5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b");
/// The base point's x coordinate.
pub const GX: U256 =
    U256::from_be_hex("6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296");
/// The base point's y coordinate.
pub const GY: U256 =
    U256::from_be_hex("4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5");

/// `-p^-1 mod 2^16`. Equal to 1 because p = -1 mod 2^96: the Montgomery
/// quotient of a reduction step mod p is the low word itself.
pub const P_NEG_INV: u16 = neg_inv_word(P.0[0]);
/// `-n^-1 mod 2^16`, the quotient factor of the generic reduction mod n.
pub const N_NEG_INV: u16 = neg_inv_word(N.0[0]);

/// R^2 mod p for R = 2^256 (multiply by it to enter Montgomery form).
pub const R2_P: U256 = U256::r2_mod(&P);
/// R^2 mod n.
pub const R2_N: U256 = U256::r2_mod(&N);
/// R mod p: the Montgomery form of 1.
pub const ONE_MONT_P: U256 = U256::pow2_256_mod(&P);
/// 3R mod p: the Montgomery form of 3 (for the curve equation's -3x).
pub const THREE_MONT_P: U256 = U256::to_mont(&U256::from_u16(3), &P);
/// bR mod p: the Montgomery form of b.
pub const B_MONT_P: U256 = U256::to_mont(&B, &P);
/// 2^256 - n. Subtracting it mod n turns a scalar k into the low 256 bits
/// of k + n or k + 2n, whichever lies in [2^256, 2^257) (see `ladder`).
pub const C1: U256 = U256::pow2_256_mod(&N);
/// (n + 1) / 2: scalars at or above it are replaced by n - k.
pub const HALF_N: U256 = N.shr1().adc(&U256::ONE).0;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p_is_montgomery_friendly() {
        assert_eq!(P_NEG_INV, 1);
        assert_eq!(N_NEG_INV, 0xbc4f);
    }

    #[test]
    fn half_n_is_half() {
        // 2 * HALF_N = n + 1
        let (twice, _) = HALF_N.adc(&HALF_N);
        assert_eq!(twice, N.adc(&U256::ONE).0);
    }

    #[test]
    fn c1_plus_n_wraps_to_zero() {
        assert_eq!(C1.adc(&N), (U256::ZERO, true));
    }
}
