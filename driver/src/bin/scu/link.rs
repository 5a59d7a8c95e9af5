//! `scu link`: run the connector, manage its trust store, measure it.

use crate::device;
use crate::output::{hex, Out};
use crate::{Cli, LinkCmd, TrustCmd};
use anyhow::{anyhow, bail, Context, Result};
use scu_driver::evidence::{self, EvidenceFile, Reference};
use scu_driver::link::events::fingerprint;
use scu_driver::link::noise::SharedScu;
use scu_driver::link::trust::{identity_pem, parse_identity, TrustStore};
use scu_driver::link::{Config, Connector, EventLog, LinkKey};
use scu_model::timing::Lanes;
use serde_json::json;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Runs a `scu link` command.
pub fn run(cli: &Cli, cmd: &LinkCmd) -> Result<Out> {
    match cmd {
        LinkCmd::Run { config } => serve(cli, config),
        LinkCmd::Trust { store, cmd } => trust(store, cmd),
        LinkCmd::Bench {
            handshakes,
            megabytes,
        } => crate::link_bench::run(*handshakes, *megabytes),
    }
}

fn serve(cli: &Cli, path: &Path) -> Result<Out> {
    let cfg = Config::load(path)?;
    let target = match &cfg.scu.device {
        Some(d) => d
            .parse()
            .map_err(|e: String| anyhow!("[scu] device: {e}"))?,
        None => cli.device.clone(),
    };
    let lanes = match cfg.scu.lanes {
        Some(n) => Lanes::new(n)
            .map_err(|_| anyhow!("[scu] lanes = {n} is not a build; use 1, 2, 4 or 8"))?,
        None => cli.lanes,
    };
    let state = cfg.scu.state.clone().or_else(|| cli.state.clone());
    let opened = device::open(&target, lanes, state, cli.spi_hz)?;
    let simulated = opened.simulated;
    let (mut ops, mut saver) = opened.into_parts();
    let slot = cfg.scu.link_slot;
    let (_, static_public) = ops
        .pubkey(slot)
        .map_err(|e| anyhow!("SCU slot {slot} has no link key ({e}); create one with `scu keygen --slot {slot} --use ecdh`"))?;
    let scu: SharedScu = Arc::new(Mutex::new(ops));
    let log = event_log(&cfg.log.path)?;
    let persist = Box::new(move || saver.save().map_err(|e| format!("{e:#}")));
    let me = LinkKey {
        scu,
        slot,
        static_public,
    };
    let connector = Connector::start(&cfg, me, log, Some(persist))?;
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(sig, stop.clone())
            .context("cannot install the signal handlers")?;
    }
    if let Some(s) = simulated {
        eprintln!("scu link: on a {s}: its RNG is a seeded simulation, not entropy");
    }
    eprintln!(
        "scu link: serving; peers connect to {:?}, local clients to {:?}; events to {}; Ctrl-C stops",
        connector.listen_addrs(),
        connector.connect_addrs(),
        if cfg.log.path == "-" { "standard error" } else { &cfg.log.path }
    );
    while !stop.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(100));
    }
    connector.stop();
    Ok(Out::new(
        "scu link: stopped; SCU state saved",
        json!({"stopped": true}),
    ))
}

fn event_log(path: &str) -> Result<EventLog> {
    if path == "-" {
        return Ok(EventLog::to_writer(Box::new(std::io::stderr())));
    }
    let mut o = std::fs::OpenOptions::new();
    o.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o640);
    let f = o
        .open(path)
        .with_context(|| format!("cannot open the event log {path}"))?;
    Ok(EventLog::to_writer(Box::new(f)))
}

/// An identity from `--identity`: a PEM file, or SEC1 hex.
fn identity_arg(arg: &str) -> Result<scu_driver::types::PublicKey> {
    let p = Path::new(arg);
    let text = if p.is_file() {
        std::fs::read_to_string(p).with_context(|| format!("cannot read {arg}"))?
    } else if arg.contains('/') || arg.ends_with(".pem") {
        bail!("no identity file {arg}")
    } else {
        arg.to_owned()
    };
    Ok(parse_identity(&text)?)
}

fn trust(store: &Path, cmd: &TrustCmd) -> Result<Out> {
    match cmd {
        TrustCmd::Add {
            name,
            identity,
            evidence,
            nonce,
            reference,
        } => {
            if name.is_empty() || name.len() > 64 || name.chars().any(|c| c.is_control()) {
                bail!("--name must be 1 to 64 printable characters");
            }
            let key = identity_arg(identity)?;
            let measurement = match (evidence, nonce) {
                (Some(ev), Some(n)) => {
                    let nonce = crate::input::hex_exact::<32>("--nonce", n)?;
                    let text = crate::input::read_file("evidence", ev)?;
                    let file: EvidenceFile = serde_json::from_slice(&text)
                        .map_err(|e| anyhow!("{} is not evidence: {e}", ev.display()))?;
                    let r: Option<Reference> = match reference {
                        Some(p) => Some(
                            serde_json::from_slice(&crate::input::read_file("reference", p)?)
                                .map_err(|e| {
                                    anyhow!("{} is not reference values: {e}", p.display())
                                })?,
                        ),
                        None => None,
                    };
                    let v = evidence::verify(&file.attestation()?, &nonce, Some(&key), r.as_ref())
                        .context("the evidence does not support this registration")?;
                    Some(v.measurement)
                }
                (None, None) if reference.is_none() => None,
                _ => bail!("--evidence needs --nonce (and --reference needs --evidence)"),
            };
            let m = measurement.clone();
            TrustStore::update(store, |s| s.add(name, &key, m))?;
            let fp = fingerprint(&key.sec1());
            let checked = match &measurement {
                Some(m) => format!("; evidence verified, measurement {m} pinned"),
                None => "; no evidence checked".into(),
            };
            Ok(Out::new(
                format!("registered {name:?} (identity {fp}){checked}"),
                json!({"registered": name, "identity": hex(key.sec1()), "fingerprint": fp, "measurement": measurement}),
            ))
        }
        TrustCmd::List => {
            let s = TrustStore::load(store, false)?;
            let mut t = String::new();
            for p in &s.peers {
                let fp = p.key().map(|k| fingerprint(&k.sec1())).unwrap_or_default();
                let state = match &p.revoked {
                    Some(r) => format!("REVOKED {r}"),
                    None => "trusted".into(),
                };
                t.push_str(&format!(
                    "{:<20} {fp}  added {}  {state}\n",
                    p.name, p.added
                ));
            }
            if s.peers.is_empty() {
                t.push_str("no peers registered\n");
            }
            let peers: Vec<_> = s
                .peers
                .iter()
                .map(|p| {
                    json!({"name": p.name, "identity": p.identity, "added": p.added, "revoked": p.revoked,
                           "measurement": p.measurement,
                           "pem": p.key().map(|k| identity_pem(&k))})
                })
                .collect();
            Ok(Out::new(t, json!({"peers": peers})))
        }
        TrustCmd::Remove { name } => {
            TrustStore::update(store, |s| s.revoke(name))?;
            Ok(Out::new(
                format!(
                    "revoked {name:?}: running connectors cut its connections and refuse new ones"
                ),
                json!({"revoked": name}),
            ))
        }
    }
}
