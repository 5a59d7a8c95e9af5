//! Host time of the driver's operations, end to end through the SPI
//! transport, on the reference model and (with `--features rtl`) on the
//! Verilated RTL. These are simulation speeds, not device speeds: the
//! device's own time is its cycle count (`scu bench`, BENCHMARKS.md).

// criterion_group! defines an undocumented public function.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion};
use scu_driver::backend::model_scu;
use scu_driver::types::{Policy, PublicKey};
use scu_model::device::suite::test_image;
use scu_model::device::Device;
use scu_model::timing::Lanes;
use std::time::Duration;

/// A valid peer key, made by another simulated SCU.
fn peer() -> PublicKey {
    let (mut s, _) = model_scu(Device::new(test_image(Lanes::FAST)));
    s.keygen(1, Policy::ECDH).expect("keygen")
}

/// The operations measured on one driver.
macro_rules! ops {
    ($c:expr, $group:expr, $scu:expr, $peer:expr) => {{
        let mut g = $c.benchmark_group($group);
        g.sample_size(10)
            .measurement_time(Duration::from_secs(3))
            .warm_up_time(Duration::from_millis(500));
        let scu = &mut $scu;
        scu.import(1, Policy::sign_and_ecdh(), &[7; 32])
            .expect("import");
        g.bench_function("info", |b| b.iter(|| scu.info().expect("info")));
        g.bench_function("keygen", |b| {
            b.iter(|| scu.keygen(2, Policy::SIGN).expect("keygen"))
        });
        g.bench_function("sign", |b| b.iter(|| scu.sign(1, &[9; 32]).expect("sign")));
        g.bench_function("ecdh", |b| b.iter(|| scu.ecdh(1, &$peer).expect("ecdh")));
        g.bench_function("attest", |b| {
            b.iter(|| scu.attest(&[3; 32]).expect("attest"))
        });
        g.finish();
    }};
}

fn model(c: &mut Criterion) {
    let q = peer();
    for lanes in [Lanes::TINY, Lanes::FAST] {
        let (mut scu, _) = model_scu(Device::new(test_image(lanes)));
        ops!(c, format!("model-L{}", lanes.get()), scu, q);
    }
}

#[cfg(feature = "rtl")]
fn rtl(c: &mut Criterion) {
    let q = peer();
    for lanes in [Lanes::TINY, Lanes::FAST] {
        let (mut scu, _) = scu_driver::backend::rtl_scu(lanes).expect("the RTL is built");
        ops!(c, format!("rtl-L{}", lanes.get()), scu, q);
    }
}

#[cfg(not(feature = "rtl"))]
fn rtl(_: &mut Criterion) {}

criterion_group!(benches, model, rtl);
criterion_main!(benches);
