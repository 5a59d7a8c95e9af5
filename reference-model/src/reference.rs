//! Bridges between the model's types and the `p256` crate, the independent
//! reference every engine result is checked against (feature `reference`).

use crate::ladder::{Affine, Product};
use crate::U256;
use alloc::vec;
use alloc::vec::Vec;
use p256::elliptic_curve::ops::Reduce;
use p256::elliptic_curve::sec1::{FromEncodedPoint, ToEncodedPoint};
use p256::{AffinePoint, EncodedPoint, FieldBytes, ProjectivePoint, Scalar};

/// k mod n as a p256 scalar (k may be any 256-bit value).
pub fn scalar(k: &U256) -> Scalar {
    <Scalar as Reduce<p256::U256>>::reduce_bytes(&FieldBytes::from(k.to_be_bytes()))
}

/// The p256 point for a model affine point (panics if it is not on the curve).
pub fn point(p: &Affine) -> ProjectivePoint {
    let ep = EncodedPoint::from_affine_coordinates(
        &FieldBytes::from(p.x.to_be_bytes()),
        &FieldBytes::from(p.y.to_be_bytes()),
        false,
    );
    let ap = Option::<AffinePoint>::from(AffinePoint::from_encoded_point(&ep)).expect("on curve");
    ProjectivePoint::from(ap)
}

/// The model's view of a p256 point.
pub fn product(q: &ProjectivePoint) -> Product {
    let ep = q.to_affine().to_encoded_point(false);
    match (ep.x(), ep.y()) {
        (Some(x), Some(y)) => Product::Point(Affine {
            x: U256::from_be_bytes(&(*x).into()),
            y: U256::from_be_bytes(&(*y).into()),
        }),
        _ => Product::Identity,
    }
}

/// k * P computed by p256.
pub fn reference_mult(k: &U256, p: &Affine) -> Product {
    product(&(point(p) * scalar(k)))
}

/// A point from a scalar multiple of G (any scalar).
pub fn multiple_of_g(k: &U256) -> Affine {
    match product(&(ProjectivePoint::GENERATOR * scalar(k))) {
        Product::Point(a) => a,
        Product::Identity => panic!("identity"),
    }
}

/// n + delta (delta may be negative), as a 256-bit value.
pub fn n_plus(delta: i64) -> U256 {
    let n = crate::consts::N;
    if delta >= 0 {
        n.adc(&U256::from_u16(delta as u16)).0
    } else {
        n.sbb(&U256::from_u16((-delta) as u16)).0
    }
}

/// The two P-256 points with x = 0: y = ±sqrt(b), with sqrt(b) = b^((p+1)/4)
/// since p = 3 mod 4.
pub fn points_with_x_zero() -> [Affine; 2] {
    use crate::field::{self, Modulus};
    let b = field::to_mont(&crate::consts::B, Modulus::P);
    // (p + 1) / 4
    let e = crate::consts::P.adc(&U256::ONE).0.shr1().shr1();
    let y = field::from_mont(
        &crate::ladder::pow_vartime_exp(&b, &e, Modulus::P),
        Modulus::P,
    );
    let ny = field::sub(&U256::ZERO, &y, Modulus::P);
    [
        Affine { x: U256::ZERO, y },
        Affine {
            x: U256::ZERO,
            y: ny,
        },
    ]
}

/// The base point.
pub fn g() -> Affine {
    Affine {
        x: crate::consts::GX,
        y: crate::consts::GY,
    }
}

/// Scalars at the edges of the range: 0, 1, 2, 3, n-3 .. n+2, 2^256-1, and
/// the thresholds of the normalisation (n/2, 2^256 - n).
pub fn edge_scalars() -> Vec<U256> {
    use crate::consts::{C1, HALF_N};
    let mut v = vec![U256::ZERO, U256::ONE, U256::from_u16(2), U256::from_u16(3)];
    for d in -3..=2 {
        v.push(n_plus(d));
    }
    v.push(U256([0xffff; 16]));
    v.push(HALF_N);
    v.push(HALF_N.sbb(&U256::ONE).0);
    v.push(HALF_N.adc(&U256::ONE).0);
    v.push(C1);
    v.push(C1.sbb(&U256::ONE).0);
    v.push(C1.adc(&U256::ONE).0);
    v
}
