//! Level 1: the field-level ladder against the `p256` crate.

use proptest::prelude::*;
use scu_model::ladder::{scalar_mult, validate, Affine, PointError};
use scu_model::reference::*;
use scu_model::U256;

fn any_u256() -> impl Strategy<Value = U256> {
    prop::array::uniform16(any::<u16>()).prop_map(U256)
}

#[test]
fn edge_scalars_on_g_and_on_points_with_x_zero() {
    let mut points = vec![g()];
    points.extend(points_with_x_zero());
    for p in &points {
        for k in edge_scalars() {
            assert_eq!(
                scalar_mult(&k, p),
                Ok(reference_mult(&k, p)),
                "k = {k}, P = {p:?}"
            );
        }
    }
}

#[test]
fn invalid_points_are_refused() {
    let mut off = g();
    off.y = off.y.adc(&U256::ONE).0;
    assert_eq!(validate(&off), Err(PointError::NotOnCurve));
    let big = Affine {
        x: scu_model::consts::P,
        y: U256::ZERO,
    };
    assert_eq!(validate(&big), Err(PointError::CoordinateOutOfRange));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn random_scalars_and_points(k in any_u256(), m in any_u256()) {
        let p = multiple_of_g(&m);
        prop_assert_eq!(scalar_mult(&k, &p), Ok(reference_mult(&k, &p)));
    }
}
