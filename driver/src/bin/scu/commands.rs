//! The subcommands.

use crate::device::{self, Opened};
use crate::input;
use crate::output::{hex, Out};
use crate::{bench, demo, Cli, Cmd, KeyFormat, KeyUse};
use anyhow::{anyhow, bail, Context, Result};
use scu_driver::evidence::{self, EvidenceFile, Reference};
use scu_driver::link::events::fingerprint;
use scu_driver::ops::{ScuError, ScuOps};
use scu_driver::types::{DeviceError, Info, PublicKey};
use scu_model::device::DeviceImage;
use serde_json::json;
use sha2::Digest;
use std::path::Path;

/// Runs the command line's command.
pub fn run(cli: Cli) -> Result<Out> {
    let c = &cli;
    match &cli.cmd {
        Cmd::Info => on_device(c, |d| info(d.ops.as_mut(), d.simulated)),
        Cmd::SelfTest => on_device(c, |d| {
            d.ops.self_test()?;
            Ok(Out::new(
                "self test passed: SHA-256 and engine known answers, RNG health",
                json!({"self_test": "passed"}),
            ))
        }),
        Cmd::Keygen {
            slot,
            key_use,
            replace,
        } => on_device(c, |d| {
            check_replace(d.ops.as_mut(), *slot, *replace)?;
            let q = d.ops.keygen(*slot, key_use.policy())?;
            sim_note(c, d, "the key comes from");
            Ok(key_out("generated", *slot, *key_use, &q))
        }),
        Cmd::Import {
            slot,
            key,
            key_file,
            key_use,
            replace,
        } => {
            let k = match (key, key_file) {
                (Some(k), _) => input::hex_exact::<32>("--key", k)?,
                (None, Some(p)) => {
                    let b = input::read_file("key file", p)?;
                    let t = String::from_utf8(b)
                        .map_err(|_| anyhow!("{} does not hold hex", p.display()))?;
                    input::hex_exact::<32>(&format!("the key in {}", p.display()), &t)?
                }
                (None, None) => bail!("give the key with --key or --key-file"),
            };
            on_device(c, |d| {
                check_replace(d.ops.as_mut(), *slot, *replace)?;
                let q = d.ops.import(*slot, key_use.policy(), &k)?;
                Ok(key_out("imported", *slot, *key_use, &q))
            })
        }
        Cmd::Pubkey { slot, format } => on_device(c, |d| {
            let (p, q) = d.ops.pubkey(*slot)?;
            let pem = evidence::public_key_pem(&q)?;
            let text = match format {
                KeyFormat::Hex => hex(q.sec1()),
                KeyFormat::Pem => pem.clone(),
            };
            Ok(Out::new(
                text,
                json!({"slot": slot, "policy": p.to_string(), "sec1": hex(q.sec1()), "pem": pem}),
            ))
        }),
        Cmd::Sign { slot, digest, file } => {
            let dg: [u8; 32] = match (digest, file) {
                (Some(h), _) => input::hex_exact("--digest", h)?,
                (None, Some(p)) => sha2::Sha256::digest(input::read_file("file", p)?).into(),
                (None, None) => bail!("give --digest or --file"),
            };
            on_device(c, |d| {
                let s = d.ops.sign(*slot, &dg)?;
                sim_note(c, d, "the signature's nonce comes from");
                let der = hex(evidence::signature_der(&s)?);
                Ok(Out::new(
                    &der,
                    json!({"slot": slot, "digest": hex(dg), "signature_der": der, "r": hex(s.r), "s": hex(s.s)}),
                ))
            })
        }
        Cmd::Ecdh { slot, peer } => {
            let q = input::peer_point(peer)?;
            on_device(c, |d| {
                let x = d.ops.ecdh(*slot, &q).map_err(|e| match e {
                    ScuError::Device(DeviceError::InvalidPoint) => {
                        anyhow!(e).context("the SCU refused --peer")
                    }
                    e => anyhow!(e),
                })?;
                Ok(Out::new(hex(x), json!({"slot": slot, "shared_x": hex(x)})))
            })
        }
        Cmd::Lock { slot } => on_device(c, |d| {
            d.ops.lock(*slot)?;
            Ok(Out::new(
                format!("slot {slot} locked"),
                json!({"slot": slot, "locked": true}),
            ))
        }),
        Cmd::Attest { nonce, out } => {
            let n: [u8; 32] = input::hex_exact("--nonce", nonce)?;
            input::output_path("evidence", out)?;
            on_device(c, |d| {
                let a = d.ops.attest(&n)?;
                sim_note(c, d, "the attested device's RNG is");
                let ev = EvidenceFile::new(&a)?;
                write_atomic(out, serde_json::to_string_pretty(&ev)?.as_bytes())?;
                Ok(Out::new(
                    format!(
                        "evidence for device {} (counter {}) written to {}",
                        hex(a.device_id()),
                        a.counter(),
                        out.display()
                    ),
                    json!({"evidence": out, "device_id": hex(a.device_id()), "counter": a.counter()}),
                ))
            })
        }
        Cmd::Verify {
            evidence,
            nonce,
            identity,
            reference,
        } => {
            let n: [u8; 32] = input::hex_exact("--nonce", nonce)?;
            let id = identity.as_deref().map(input::identity_pem).transpose()?;
            let r = reference.as_deref().map(input::reference).transpose()?;
            verify(evidence, &n, id.as_ref(), r.as_ref())
        }
        Cmd::Reference {
            out,
            allow_simulated_rng,
            fpga_report,
        } => {
            let (m, build) = match fpga_report {
                Some(f) => {
                    let (m, lanes) = input::fpga_build(f)?;
                    (m, format!("FPGA L={lanes} build of {}", f.display()))
                }
                None => (
                    DeviceImage::build_measurement(cli.lanes),
                    format!("simulated L={} build", cli.lanes.get()),
                ),
            };
            let r = Reference::new(&[m], *allow_simulated_rng);
            write_atomic(out, serde_json::to_string_pretty(&r)?.as_bytes())?;
            Ok(Out::new(
                format!(
                    "reference values of the {build} (measurement {}) written to {}",
                    hex(m),
                    out.display()
                ),
                json!({"reference": out, "measurement": hex(m), "allow_simulated_rng": allow_simulated_rng}),
            ))
        }
        Cmd::Demo => demo::run(cli.lanes),
        Cmd::Bench => bench::run(),
        Cmd::Link { cmd } => crate::link::run(c, cmd),
    }
}

/// Opens the device, runs `f`, and saves a simulated device's state even
/// when `f` failed (its random source has moved on).
fn on_device(cli: &Cli, f: impl FnOnce(&mut Opened) -> Result<Out>) -> Result<Out> {
    let mut d = device::open(&cli.device, cli.lanes, cli.state.clone(), cli.spi_hz)?;
    let r = f(&mut d);
    let report = d.last_report();
    let saved = d.close();
    let mut out = r?;
    saved?;
    if let Some(obj) = out.json.as_object_mut() {
        obj.insert("device".into(), json!(cli.device.to_string()));
        if let Some(r) = report {
            obj.insert("busy_cycles".into(), json!(r.busy_cycles));
        }
    }
    Ok(out)
}

fn sim_note(cli: &Cli, d: &Opened, what: &str) {
    if let (Some(kind), false) = (d.simulated, cli.json) {
        eprintln!("note: {kind}: {what} a seeded simulation source, not entropy");
    }
}

fn info(d: &mut dyn ScuOps, simulated: Option<&str>) -> Result<Out> {
    let i: Info = d.info()?;
    let rng = match (i.rng_simulated, i.rng_failed) {
        (_, true) => "FAILED its health tests",
        (true, false) => "simulated (seeded source, not entropy)",
        (false, false) => "hardware entropy source",
    };
    let text = format!(
        "SCU protocol v{}, {}-lane engine, {} slots\n\
         device id    {}\n\
         measurement  {}\n\
         counter      {}\n\
         rng          {rng}{}",
        i.version,
        i.lanes,
        i.slots,
        hex(i.device_id),
        hex(i.measurement),
        i.counter,
        simulated
            .map(|s| format!("\ndevice       {s}"))
            .unwrap_or_default(),
    );
    Ok(Out::new(
        text,
        json!({
            "version": i.version, "lanes": i.lanes, "slots": i.slots,
            "device_id": hex(i.device_id), "measurement": hex(i.measurement), "counter": i.counter,
            "rng_simulated": i.rng_simulated, "rng_failed": i.rng_failed, "simulated": simulated,
        }),
    ))
}

/// Refuses to overwrite a key unless asked to.
fn check_replace(d: &mut dyn ScuOps, slot: u8, replace: bool) -> Result<()> {
    if let Ok((p, _)) = d.pubkey(slot) {
        if p.valid() && !p.locked() && !replace {
            bail!("slot {slot} already holds a key ({p}); pass --replace to overwrite it (the old key is lost)");
        }
    }
    Ok(())
}

fn key_out(verb: &str, slot: u8, key_use: KeyUse, q: &PublicKey) -> Out {
    let u = format!("{key_use:?}").to_lowercase();
    Out::new(
        format!(
            "{verb} a key in slot {slot} (use: {u})\npublic key {}",
            hex(q.sec1())
        ),
        json!({"slot": slot, "use": u, "sec1": hex(q.sec1())}),
    )
}

fn verify(
    path: &Path,
    nonce: &[u8; 32],
    id: Option<&PublicKey>,
    r: Option<&Reference>,
) -> Result<Out> {
    let b = input::read_file("evidence", path)?;
    let ev: EvidenceFile = serde_json::from_slice(&b)
        .map_err(|e| anyhow!("{} is not an evidence file: {e}", path.display()))?;
    let a = ev
        .attestation()
        .with_context(|| path.display().to_string())?;
    let v = evidence::verify(&a, nonce, id, r).context("evidence refused")?;
    let text = format!(
        "evidence verified: signature by the identity key, fresh nonce\n\
         device id    {}\n\
         counter      {}\n\
         measurement  {} ({})\n\
         identity     {} ({})\n\
         rng          {}",
        v.device_id,
        v.counter,
        v.measurement,
        if v.measurement_checked {
            "matches the reference values"
        } else {
            "NOT checked: no --reference"
        },
        fingerprint(&a.identity().sec1()),
        if v.identity_pinned {
            "matches the registered key"
        } else {
            "NOT pinned: no --identity"
        },
        if v.rng_simulated {
            "simulated (seeded source, not entropy)"
        } else {
            "hardware"
        },
    );
    Ok(Out::new(text, json!({"verified": true, "verdict": v})))
}

/// Writes a file by a rename, so a reader never sees half of it.
fn write_atomic(path: &Path, data: &[u8]) -> Result<()> {
    scu_driver::state::write_atomic(path, data, None)
        .with_context(|| format!("cannot write {}", path.display()))
}
