//! P-256 scalar multiplication at the level of field operations: the
//! algorithm the microcode implements, written once in plain Rust so it can
//! be read and checked against the `p256` crate on its own.
//!
//! # Choice: the co-Z Montgomery ladder
//!
//! Goundar, Joye, Miyaji, Rivain, Venelli, "Scalar multiplication on
//! Weierstraß elliptic curves from Co-Z arithmetic", Journal of
//! Cryptographic Engineering 1(2), 2011 (co-Z addition after Meloni, WAIFI
//! 2007). Each ladder step is one conjugate co-Z addition (XYCZ-ADDC,
//! 5M + 3S) and one co-Z addition (XYCZ-ADD, 4M + 2S): 14 multiplications a
//! bit, against 27 for a ladder on the complete Renes–Costello–Batina
//! formulas (EUROCRYPT 2016, algorithms 4 and 6). The engine has no
//! dedicated squarer, so only the multiplication count matters, and it
//! decides whether the 1.3 M-cycle target at one lane can be met. Only X and
//! Y are kept; Z is recovered once at the end. Every step runs whatever the
//! scalar: the sequence of operations depends on nothing secret.
//!
//! Co-Z formulas have exceptional inputs (a point at infinity, or P = ±Q).
//! This module makes them unreachable for every scalar and every valid point:
//!
//! * the scalar is reduced mod n and replaced by n - k when k > (n - 1) / 2
//!   (and P by -P), so 0 <= k' <= (n - 1) / 2;
//! * k' + n or k' + 2n, whichever lies in [2^256, 2^257), is laddered: its
//!   top bit is always set (the ladder starts from (P, 2P)), and for
//!   k' >= 2 no intermediate multiple j P, (j + 1) P, (2j + 1) P hits an
//!   exceptional value (their indices stay away from 0, n - 1 and (n - 1) / 2
//!   modulo n). k' = 0 gives the identity and k' = 1 gives P; both are
//!   selected at the end without branching;
//! * the usual Z recovery (Z^2 = X / x_P) fails when x_P = 0, and P-256 has
//!   such points (b is a square mod p). For them Z is recovered from the
//!   curve equation of the other ladder point instead; both candidates are
//!   computed and one is selected.
//!
//! All values are in Montgomery form and all operations are the engine's
//! bit-exact ones from [`crate::field`].

use crate::consts::{B_MONT_P, C1, HALF_N, ONE_MONT_P, THREE_MONT_P};
use crate::field::{self, Modulus};
use crate::words::U256;

/// An affine point with plain (not Montgomery) coordinates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Affine {
    /// x coordinate.
    pub x: U256,
    /// y coordinate.
    pub y: U256,
}

/// Why an input point is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PointError {
    /// A coordinate is not below p.
    CoordinateOutOfRange,
    /// The point does not satisfy y^2 = x^3 - 3x + b.
    NotOnCurve,
}

/// The result of a scalar multiplication.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Product {
    /// A finite point.
    Point(Affine),
    /// The point at infinity (k = 0 mod n).
    Identity,
}

fn mul(a: &U256, b: &U256) -> U256 {
    field::mont_mul(a, b, Modulus::P)
}
fn add(a: &U256, b: &U256) -> U256 {
    field::add(a, b, Modulus::P)
}
fn sub(a: &U256, b: &U256) -> U256 {
    field::sub(a, b, Modulus::P)
}
fn cswap(c: bool, a: &mut U256, b: &mut U256) {
    if c {
        core::mem::swap(a, b);
    }
}

/// A point in co-Z Jacobian coordinates: (X, Y) sharing an implicit Z with
/// its partner.
pub type CoZ = (U256, U256);

/// Right-hand side of the curve equation, x^3 - 3x + b (Montgomery form).
pub fn curve_rhs(x: &U256) -> U256 {
    // 1. t = x^2   2. t = t - 3   3. t = t x   4. t = t + b
    add(&mul(&sub(&mul(x, x), &THREE_MONT_P), x), &B_MONT_P)
}

/// True when (x, y) (Montgomery form) is on the curve.
pub fn on_curve_mont(x: &U256, y: &U256) -> bool {
    mul(y, y) == curve_rhs(x)
}

/// Checks an affine input point: coordinates below p, on the curve.
pub fn validate(p: &Affine) -> Result<(), PointError> {
    let m = Modulus::P.value();
    if !(p.x < m && p.y < m) {
        return Err(PointError::CoordinateOutOfRange);
    }
    let (x, y) = (
        field::to_mont(&p.x, Modulus::P),
        field::to_mont(&p.y, Modulus::P),
    );
    if on_curve_mont(&x, &y) {
        Ok(())
    } else {
        Err(PointError::NotOnCurve)
    }
}

/// XYCZ-IDBL: from an affine P = (x, y) (Z = 1) to (2P, P) sharing Z = 2y.
/// 4S + 2M; a = -3 gives M = 3(x^2 - 1).
pub fn xycz_idbl(x: &U256, y: &U256) -> (CoZ, CoZ) {
    let y2 = mul(y, y); // 1. y^2
    let s = mul(x, &y2); // 2. x y^2
    let s = add(&s, &s); // 3. 2 x y^2
    let s = add(&s, &s); // 4. S = 4 x y^2
    let y4 = mul(&y2, &y2); // 5. y^4
    let y4 = add(&y4, &y4); // 6.
    let y4 = add(&y4, &y4); // 7.
    let y4_8 = add(&y4, &y4); // 8. 8 y^4
    let m = sub(&mul(x, x), &ONE_MONT_P); // 9-10. x^2 - 1
    let m = add(&add(&m, &m), &m); // 11-12. M = 3 (x^2 - 1)
    let x3 = sub(&sub(&mul(&m, &m), &s), &s); // 13-15. X3 = M^2 - 2S
    let y3 = sub(&mul(&m, &sub(&s, &x3)), &y4_8); // 16-18. Y3 = M (S - X3) - 8y^4
    ((x3, y3), (s, y4_8))
}

/// XYCZ-ADDC: (P, Q) -> (P + Q, P - Q), co-Z. 5M + 3S + 11 add/sub.
pub fn xycz_addc(p: &CoZ, q: &CoZ) -> (CoZ, CoZ) {
    let (x1, y1) = p;
    let (x2, y2) = q;
    let c = sub(x1, x2); // 1.
    let c = mul(&c, &c); // 2. C = (X1 - X2)^2
    let w1 = mul(x1, &c); // 3. W1 = X1 C
    let w2 = mul(x2, &c); // 4. W2 = X2 C
    let dy = sub(y1, y2); // 5. Y1 - Y2
    let sy = add(y1, y2); // 6. Y1 + Y2
    let t = sub(&w1, &w2); // 7. W1 - W2
    let a1 = mul(y1, &t); // 8. A1 = Y1 (W1 - W2)
    let w = add(&w1, &w2); // 9. W1 + W2
    let x3 = sub(&mul(&dy, &dy), &w); // 10-11. X3 = (Y1 - Y2)^2 - W1 - W2
    let x3c = sub(&mul(&sy, &sy), &w); // 12-13. X3' = (Y1 + Y2)^2 - W1 - W2
    let y3 = sub(&mul(&dy, &sub(&w1, &x3)), &a1); // 14-16.
    let y3c = sub(&mul(&sy, &sub(&w1, &x3c)), &a1); // 17-19.
    ((x3, y3), (x3c, y3c))
}

/// XYCZ-ADD: (P, Q) -> (P + Q, P') where P' is P rescaled to the new Z.
/// 4M + 2S + 7 add/sub.
pub fn xycz_add(p: &CoZ, q: &CoZ) -> (CoZ, CoZ) {
    let (x1, y1) = p;
    let (x2, y2) = q;
    let c = sub(x1, x2); // 1.
    let c = mul(&c, &c); // 2. C = (X1 - X2)^2
    let w1 = mul(x1, &c); // 3. W1 = X1 C
    let w2 = mul(x2, &c); // 4. W2 = X2 C
    let dy = sub(y1, y2); // 5. Y1 - Y2
    let t = sub(&w1, &w2); // 6. W1 - W2
    let a1 = mul(y1, &t); // 7. A1 = Y1 (W1 - W2)
    let x3 = sub(&sub(&mul(&dy, &dy), &w1), &w2); // 8-10. X3 = D - W1 - W2
    let y3 = sub(&mul(&dy, &sub(&w1, &x3)), &a1); // 11-13.
    ((x3, y3), (w1, a1))
}

/// Modular exponentiation by a public exponent (square and multiply).
pub fn pow_vartime_exp(a: &U256, e: &U256, m: Modulus) -> U256 {
    let mut r = match m {
        Modulus::P => ONE_MONT_P,
        Modulus::N => U256::pow2_256_mod(&m.value()),
    };
    for i in (0..256).rev() {
        r = field::mont_mul(&r, &r, m);
        if e.bit(i) {
            r = field::mont_mul(&r, a, m);
        }
    }
    r
}

/// Fermat inversion a^(m-2) (maps 0 to 0).
pub fn invert(a: &U256, m: Modulus) -> U256 {
    let e = m.value().sbb(&U256::from_u16(2)).0;
    pow_vartime_exp(a, &e, m)
}

/// Scalar normalisation (steps C and D of the program): returns
/// (k', negate, K) with k' = min(k mod n, n - k mod n), `negate` set when
/// the second was taken, and K the low 256 bits of the laddered scalar.
pub fn normalise_scalar(k: &U256) -> (U256, bool, U256) {
    let n = Modulus::N;
    let k = field::add(k, &U256::ZERO, n); // k mod n (k < 2^256 < 2n)
    let neg = field::sub(&U256::ZERO, &k, n); // n - k
    let negate = !k.lt(&HALF_N);
    let kt = if negate { neg } else { k };
    let big_k = field::sub(&kt, &C1, n); // k' + n or k' + 2n, mod 2^256
    (kt, negate, big_k)
}

/// kP for any 256-bit k and a validated affine P.
pub fn scalar_mult(k: &U256, p: &Affine) -> Result<Product, PointError> {
    validate(p)?;
    let (kt, negate, big_k) = normalise_scalar(k);
    let xp = field::to_mont(&p.x, Modulus::P);
    let mut yp = field::to_mont(&p.y, Modulus::P);
    if negate {
        yp = sub(&U256::ZERO, &yp);
    }

    // E. (R1, R0) = (2P, P); physical slot S0 holds R0, S1 holds R1.
    let (r1, r0) = xycz_idbl(&xp, &yp);
    let (mut s0, mut s1) = (r0, r1);

    // F. Bits 255 .. 1: swap so that S0 = R_b, then ADDC and ADD.
    let bit = |i: usize| big_k.bit(i);
    for i in (1..256).rev() {
        let swap = bit(i) ^ bit(i + 1);
        cswap(swap, &mut s0.0, &mut s1.0);
        cswap(swap, &mut s0.1, &mut s1.1);
        let (sum, diff) = xycz_addc(&s0, &s1);
        let (dbl, upd) = xycz_add(&sum, &diff);
        s0 = dbl;
        s1 = upd;
    }
    // Bit 0: ADDC, then Z recovery, then ADD.
    let swap = bit(0) ^ bit(1);
    cswap(swap, &mut s0.0, &mut s1.0);
    cswap(swap, &mut s0.1, &mut s1.1);
    let (sum, diff) = xycz_addc(&s0, &s1);
    s1 = sum;
    s0 = diff; // = +P (bit 0 set) or -P, scaled by Z

    // G. Z recovery. s y_P with s = +1 when bit 0 is set.
    let sy = if bit(0) { yp } else { sub(&U256::ZERO, &yp) };
    let d = sub(&s1.0, &s0.0); // the final ADD multiplies Z by X1 - X0
                               // General case: Z = x_P Y0 / (s y_P X0).
    let mut num = mul(&sy, &s0.0);
    let mut den = mul(&mul(&xp, &s0.1), &d);
    // x_P = 0: Z^4 from the curve equation of S1, Z^3 from S0.
    let num0 = {
        let t = mul(&s1.0, &s0.1);
        add(&add(&t, &t), &t)
    };
    let den0 = {
        let x13 = mul(&mul(&s1.0, &s1.0), &s1.0);
        let e = sub(&add(&x13, &mul(&s0.1, &s0.1)), &mul(&s1.1, &s1.1));
        mul(&mul(&e, &sy), &d)
    };
    if xp.is_zero() {
        num = num0;
        den = den0;
    }

    // H. Final ADD and the swap back to R0.
    let (dbl, upd) = xycz_add(&s1, &s0);
    let (mut s0, mut s1) = (dbl, upd);
    cswap(bit(0), &mut s0.0, &mut s1.0);
    cswap(bit(0), &mut s0.1, &mut s1.1);

    // I. Affine result.
    let lambda = mul(&invert(&den, Modulus::P), &num);
    let l2 = mul(&lambda, &lambda);
    let mut qx = mul(&s0.0, &l2);
    let mut qy = mul(&s0.1, &mul(&l2, &lambda));

    // J. k' = 1 gives P; k' = 0 gives the identity.
    if kt == U256::ONE {
        qx = xp;
        qy = yp;
    }
    if kt.is_zero() {
        return Ok(Product::Identity);
    }
    // K. The result must be on the curve (a fault check in the engine).
    debug_assert!(on_curve_mont(&qx, &qy));
    Ok(Product::Point(Affine {
        x: field::from_mont(&qx, Modulus::P),
        y: field::from_mont(&qy, Modulus::P),
    }))
}
