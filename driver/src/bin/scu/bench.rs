//! `scu bench`: the device cycles of every command on the tiny and fast
//! builds, from the cycle-exact model (which the RTL matches cycle for
//! cycle), and the time they imply at the nominal clock.

use crate::output::{hex, ms, Out};
use anyhow::{anyhow, Result};
use scu_driver::backend::{model_scu, ModelScu, SYS_HZ};
use scu_driver::types::{Policy, PublicKey};
use scu_model::device::image::{Personalisation, RTL_TEST_SEED};
use scu_model::device::{Device, DeviceImage};
use scu_model::timing::Lanes;
use serde_json::json;
use std::fmt::Write;

type Op = fn(&mut ModelScu, &PublicKey) -> Result<(), String>;

/// The commands measured, in an order where each finds what it needs.
const OPS: [(&str, Op); 9] = [
    ("info", |s, _| s.info().map(drop).map_err(|e| e.to_string())),
    ("self-test", |s, _| s.self_test().map_err(|e| e.to_string())),
    ("keygen", |s, _| {
        s.keygen(1, Policy::sign_and_ecdh())
            .map(drop)
            .map_err(|e| e.to_string())
    }),
    ("import", |s, _| {
        s.import(2, Policy::SIGN, &[7; 32])
            .map(drop)
            .map_err(|e| e.to_string())
    }),
    ("pubkey", |s, _| {
        s.pubkey(1).map(drop).map_err(|e| e.to_string())
    }),
    ("sign", |s, _| {
        s.sign(1, &[0x5a; 32]).map(drop).map_err(|e| e.to_string())
    }),
    ("ecdh", |s, q| {
        s.ecdh(1, q).map(drop).map_err(|e| e.to_string())
    }),
    ("attest", |s, _| {
        s.attest(&[1; 32]).map(drop).map_err(|e| e.to_string())
    }),
    ("lock", |s, _| s.lock(1).map_err(|e| e.to_string())),
];

/// Busy cycles of each command on a `lanes` build.
pub fn cycles(lanes: Lanes) -> Result<Vec<(&'static str, u64)>> {
    let (mut scu, dev) = model_scu(Device::new(DeviceImage::new(
        lanes,
        &Personalisation::derive(RTL_TEST_SEED),
    )));
    let peer = PublicKey::from_xy(&{
        let p = Personalisation::derive(b"bench peer").identity_public;
        let mut xy = [0u8; 64];
        xy[..32].copy_from_slice(&p.0.to_be_bytes());
        xy[32..].copy_from_slice(&p.1.to_be_bytes());
        xy
    })
    .ok_or_else(|| anyhow!("peer key"))?;
    let mut out = Vec::new();
    for (name, op) in OPS {
        op(&mut scu, &peer)
            .map_err(|e| anyhow!("{name} failed on the L={} model: {e}", lanes.get()))?;
        let r = dev
            .lock()
            .last_command()
            .ok_or_else(|| anyhow!("{name}: no report"))?;
        out.push((name, r.busy_cycles));
    }
    Ok(out)
}

/// Runs the benchmark.
pub fn run() -> Result<Out> {
    let builds = [Lanes::TINY, Lanes::FAST];
    let tables = builds
        .iter()
        .map(|&l| cycles(l))
        .collect::<Result<Vec<_>>>()?;
    let mut t = String::new();
    writeln!(
        t,
        "Device busy cycles per command (cycle-exact model; the RTL matches it cycle for cycle),\n\
         from the end of the request to the response, and the time at {} MHz.\n",
        SYS_HZ / 1_000_000
    )?;
    writeln!(
        t,
        "{:<10} {:>12} {:>10} {:>12} {:>10}",
        "command", "L=1 cycles", "L=1 time", "L=8 cycles", "L=8 time"
    )?;
    let mut rows = Vec::new();
    for (i, (name, _)) in OPS.iter().enumerate() {
        let (c1, c8) = (tables[0][i].1, tables[1][i].1);
        writeln!(
            t,
            "{name:<10} {c1:>12} {:>7.3} ms {c8:>12} {:>7.3} ms",
            ms(c1, SYS_HZ),
            ms(c8, SYS_HZ)
        )?;
        rows.push(json!({"command": name, "cycles_l1": c1, "cycles_l8": c8}));
    }
    let m = hex(DeviceImage::build_measurement(Lanes::TINY));
    Ok(Out::new(
        t,
        json!({"clock_hz": SYS_HZ, "commands": rows, "measurement_l1": m}),
    ))
}
