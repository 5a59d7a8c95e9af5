//! `scu demo`: two simulated SCUs on one machine, as two gateways would use
//! them: identity, self test, attestation and its verification, ECDH both
//! ways, a signature checked outside the SCU, the connector between them,
//! and what each step cost.

use crate::device::{model_device, random_seed};
use crate::output::{hex, ms, Out};
use anyhow::{anyhow, bail, Result};
use p256::ecdsa::signature::hazmat::PrehashVerifier;
use scu_driver::backend::{model_scu, ModelScu, Shared, SYS_HZ};
use scu_driver::evidence::{self, Reference};
use scu_driver::link::events::fingerprint;
use scu_driver::types::Policy;
use scu_model::device::{Device, DeviceImage};
use scu_model::timing::Lanes;
use serde_json::json;
use sha2::Digest;
use std::fmt::Write;

/// One command's cost.
struct Cost {
    device: &'static str,
    step: String,
    busy: u64,
    engine: u64,
}

/// A simulated SCU with a name.
struct Node {
    name: &'static str,
    scu: ModelScu,
    dev: Shared<Device>,
}

impl Node {
    fn new(name: &'static str, lanes: Lanes) -> Result<Node> {
        let (scu, dev) = model_scu(model_device(lanes, &random_seed()?, None)?);
        Ok(Node { name, scu, dev })
    }

    /// Runs one command and books its cycles.
    fn run<T, E: std::fmt::Display>(
        &mut self,
        costs: &mut Vec<Cost>,
        step: &str,
        f: impl FnOnce(&mut ModelScu) -> Result<T, E>,
    ) -> Result<T> {
        let r = f(&mut self.scu).map_err(|e| anyhow!("SCU {} failed at {step}: {e}", self.name))?;
        let rep = self
            .dev
            .lock()
            .last_command()
            .ok_or_else(|| anyhow!("SCU {} reported no command", self.name))?;
        costs.push(Cost {
            device: self.name,
            step: step.into(),
            busy: rep.busy_cycles,
            engine: rep.engine_cycles,
        });
        Ok(r)
    }
}

/// Step 6: the nodes' SCUs go to two connectors; each side's handshake
/// cost is booked from the devices' cycle totals.
fn link_step(
    a: Node,
    b: Node,
    qa: scu_driver::types::PublicKey,
    qb: scu_driver::types::PublicKey,
    costs: &mut Vec<Cost>,
) -> Result<crate::demo_link::Shown> {
    use crate::demo_link::{self, Side};
    use scu_driver::ops::ScuOps;
    use std::sync::{Arc, Mutex};
    let side = |n: Node, q| -> Result<(Side, Shared<Device>, &'static str)> {
        let mut scu = n.scu;
        let (_, identity) = scu.pubkey(0).map_err(|e| anyhow!("SCU {}: {e}", n.name))?;
        let shared: Box<dyn ScuOps> = Box::new(scu);
        Ok((
            Side {
                scu: Arc::new(Mutex::new(shared)),
                link_public: q,
                identity,
            },
            n.dev,
            n.name,
        ))
    };
    let (sa, da, na) = side(a, qa)?;
    let (sb, db, nb) = side(b, qb)?;
    let totals = |d: &Shared<Device>| {
        let d = d.lock();
        (d.busy_total(), d.engine_total())
    };
    let before = [totals(&da), totals(&db)];
    let dir = std::env::temp_dir().join(format!("scu-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let shown = demo_link::run(&dir, &sa, &sb);
    let _ = std::fs::remove_dir_all(&dir);
    let shown = shown?;
    for ((d, name), b0) in [(&da, na), (&db, nb)].into_iter().zip(before) {
        let (busy, engine) = totals(d);
        costs.push(Cost {
            device: name,
            step: "link: start, handshake (ecdh, attest)".into(),
            busy: busy - b0.0,
            engine: engine - b0.1,
        });
    }
    Ok(shown)
}

/// Runs the demo.
pub fn run(lanes: Lanes) -> Result<Out> {
    let mut t = String::new();
    let mut costs = Vec::new();
    let (mut a, mut b) = (Node::new("A", lanes)?, Node::new("B", lanes)?);
    let mhz = SYS_HZ / 1_000_000;
    writeln!(
        t,
        "SCU demo: two simulated SCUs (the reference model of the {}-lane build).\n\
         Simulated: each SCU's RNG is a seeded source, not entropy; times assume the {mhz} MHz system clock.\n",
        lanes.get()
    )?;

    writeln!(t, "1. Identity (INFO)")?;
    let mut infos = Vec::new();
    for n in [&mut a, &mut b] {
        let i = n.run(&mut costs, "info", |s| s.info())?;
        writeln!(
            t,
            "   {}  device id {}  measurement {}…  RNG {}",
            n.name,
            hex(i.device_id),
            &hex(i.measurement)[..16],
            if i.rng_simulated {
                "simulated"
            } else {
                "hardware"
            }
        )?;
        infos.push(i);
    }

    writeln!(
        t,
        "2. Self test (SHA-256 and engine known answers, RNG health)"
    )?;
    for n in [&mut a, &mut b] {
        n.run(&mut costs, "self-test", |s| s.self_test())?;
    }
    writeln!(t, "   A passed, B passed")?;

    writeln!(
        t,
        "3. Attestation: B's host sends A a fresh nonce; A signs a statement with its identity key"
    )?;
    let mut nonce = [0u8; 32];
    getrandom::getrandom(&mut nonce)
        .map_err(|e| anyhow!("the operating system's random source failed: {e}"))?;
    let att = a.run(&mut costs, "attest", |s| s.attest(&nonce))?;
    let reference = Reference::new(&[DeviceImage::build_measurement(lanes)], true);
    let (_, a_identity) = a.run(&mut costs, "pubkey (identity, registered once)", |s| {
        s.pubkey(0)
    })?;
    let verdict = evidence::verify(&att, &nonce, Some(&a_identity), Some(&reference))
        .map_err(|e| anyhow!("B refused A's evidence: {e}"))?;
    writeln!(
        t,
        "   B verified: signature, nonce, registered identity, measurement = this build's reference (counter {})",
        verdict.counter
    )?;

    writeln!(t, "4. Key agreement: each SCU makes an ECDH key in slot 1, then ECDH with the other's public key")?;
    let qa = a.run(&mut costs, "keygen (ecdh)", |s| s.keygen(1, Policy::ECDH))?;
    let qb = b.run(&mut costs, "keygen (ecdh)", |s| s.keygen(1, Policy::ECDH))?;
    let za = a.run(&mut costs, "ecdh", |s| s.ecdh(1, &qb))?;
    let zb = b.run(&mut costs, "ecdh", |s| s.ecdh(1, &qa))?;
    if za != zb {
        bail!("A and B derived different shared secrets");
    }
    writeln!(
        t,
        "   A and B derived the same shared secret (fingerprint {}; the secret itself is not shown)",
        fingerprint(&za)
    )?;

    writeln!(
        t,
        "5. Signature: A makes a signing key in slot 2 and signs SHA-256(\"firmware v1.2.3\")"
    )?;
    let qs = a.run(&mut costs, "keygen (sign)", |s| s.keygen(2, Policy::SIGN))?;
    let digest: [u8; 32] = sha2::Sha256::digest(b"firmware v1.2.3").into();
    let sig = a.run(&mut costs, "sign", |s| s.sign(2, &digest))?;
    let vk = p256::ecdsa::VerifyingKey::from_sec1_bytes(&qs.sec1())?;
    let ps = p256::ecdsa::Signature::from_scalars(sig.r, sig.s)?;
    vk.verify_prehash(&digest, &ps)
        .map_err(|_| anyhow!("A's signature does not verify"))?;
    writeln!(t, "   verified outside the SCU with the p256 crate: OK")?;

    writeln!(
        t,
        "6. The connector: A's and B's connectors on 127.0.0.1, each SCU's slot-1 key as the link's static key"
    )?;
    let shown = link_step(a, b, qa, qb, &mut costs)?;
    for l in &shown.lines {
        writeln!(t, "{l}")?;
    }
    writeln!(t)?;

    writeln!(
        t,
        "What each step cost on the SCU ({}-lane engine, {mhz} MHz):",
        lanes.get()
    )?;
    writeln!(
        t,
        "   {:<3} {:<36} {:>12} {:>14} {:>10}",
        "SCU", "command", "busy cycles", "engine cycles", "time"
    )?;
    let mut total = 0;
    for c in &costs {
        total += c.busy;
        writeln!(
            t,
            "   {:<3} {:<36} {:>12} {:>14} {:>7.3} ms",
            c.device,
            c.step,
            c.busy,
            c.engine,
            ms(c.busy, SYS_HZ)
        )?;
    }
    writeln!(
        t,
        "   {:<40} {:>12} {:>14} {:>7.3} ms",
        "total",
        total,
        "",
        ms(total, SYS_HZ)
    )?;

    let steps: Vec<_> = costs
        .iter()
        .map(|c| json!({"device": c.device, "step": c.step, "busy_cycles": c.busy, "engine_cycles": c.engine}))
        .collect();
    Ok(Out::new(
        t,
        json!({
            "lanes": lanes.get(), "clock_hz": SYS_HZ, "simulated": true,
            "devices": infos.iter().map(|i| hex(i.device_id)).collect::<Vec<_>>(),
            "attestation_verified": true, "ecdh_match": true, "signature_verified": true,
            "link_carried_and_revoked": true,
            "steps": steps, "total_busy_cycles": total,
        }),
    ))
}
