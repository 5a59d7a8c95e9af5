//! `scu link bench`: the connector between two simulated SCUs on loopback.
//! Handshakes per second and bulk throughput are host wall-clock figures
//! (the model answers each SCU command in about a millisecond of host
//! time); the SCU cycles a handshake costs are the cycle-exact model's
//! busy cycles, and the time they imply at the nominal clock.

use crate::output::{ms, Out};
use anyhow::{anyhow, Context, Result};
use scu_driver::backend::{Shared, SYS_HZ};
use scu_driver::link::session::{establish, Acceptance, LinkKey};
use scu_driver::link::simulated::{simulated_config, simulated_scu};
use scu_driver::link::trust::{TrustStore, TrustWatch};
use scu_driver::link::{Connector, EventLog};
use scu_model::device::Device;
use scu_model::timing::Lanes;
use serde_json::json;
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

struct Pair {
    a: LinkKey,
    b: LinkKey,
    a_dev: Shared<Device>,
    b_dev: Shared<Device>,
    a_store: PathBuf,
    b_store: PathBuf,
}

/// Two simulated SCUs that trust each other.
fn pair(dir: &Path, lanes: Lanes) -> Result<Pair> {
    let (a, a_id, a_dev) = simulated_scu(b"link bench gateway", lanes, 1)?;
    let (b, b_id, b_dev) = simulated_scu(b"link bench device", lanes, 1)?;
    let (a_store, b_store) = (
        dir.join(format!("a{}.json", lanes.get())),
        dir.join(format!("b{}.json", lanes.get())),
    );
    for f in [&a_store, &b_store] {
        let _ = std::fs::remove_file(f);
    }
    TrustStore::update(&a_store, |s| s.add("device", &b_id, None))?;
    TrustStore::update(&b_store, |s| s.add("gateway", &a_id, None))?;
    Ok(Pair {
        a,
        b,
        a_dev,
        b_dev,
        a_store,
        b_store,
    })
}

/// One handshake with attestations, over loopback.
fn handshake(p: &Pair, ta: &TrustWatch, tb: &TrustWatch) -> Result<()> {
    let l = TcpListener::bind("127.0.0.1:0")?;
    let addr = l.local_addr()?;
    let b = p.b.clone();
    let accept = |t| Acceptance {
        trust: t,
        reference: None,
        allow_simulated_rng: true,
        rekey_records: 65536,
        timeout: Duration::from_secs(30),
    };
    thread::scope(|s| -> Result<()> {
        let r = s.spawn(move || -> Result<()> {
            let (c, _) = l.accept()?;
            establish(&c, false, &b, &accept(tb)).map_err(|e| anyhow!("responder: {e}"))?;
            Ok(())
        });
        let c = TcpStream::connect(addr)?;
        establish(&c, true, &p.a, &accept(ta)).map_err(|e| anyhow!("initiator: {e}"))?;
        r.join().map_err(|_| anyhow!("responder thread"))?
    })
}

/// SCU busy cycles and commands of one handshake, initiator and responder.
fn handshake_cycles(dir: &Path, lanes: Lanes) -> Result<[(u64, u64); 2]> {
    let p = pair(dir, lanes)?;
    let (ta, tb) = (TrustWatch::new(&p.a_store)?, TrustWatch::new(&p.b_store)?);
    let before = |d: &Shared<Device>| {
        let d = d.lock();
        (d.busy_total(), d.accepted())
    };
    let (a0, b0) = (before(&p.a_dev), before(&p.b_dev));
    handshake(&p, &ta, &tb)?;
    let (a1, b1) = (before(&p.a_dev), before(&p.b_dev));
    Ok([(a1.0 - a0.0, a1.1 - a0.1), (b1.0 - b0.0, b1.1 - b0.1)])
}

fn throughput(p: &Pair, megabytes: u32) -> Result<f64> {
    let sink = TcpListener::bind("127.0.0.1:0")?;
    let sink_addr = sink.local_addr()?;
    let counter = thread::spawn(move || -> Result<(u64, Instant)> {
        let (mut c, _) = sink.accept()?;
        let mut buf = vec![0u8; 1 << 16];
        let mut n = 0u64;
        loop {
            match c.read(&mut buf)? {
                0 => return Ok((n, Instant::now())),
                k => n += k as u64,
            }
        }
    });
    let cfg = |store: &Path, section: String| simulated_config(store, &section);
    let device = Connector::start(
        &cfg(
            &p.b_store,
            format!("[[listen]]\nbind = \"127.0.0.1:0\"\nforward = \"{sink_addr}\""),
        )?,
        p.b.clone(),
        EventLog::in_memory().0,
        None,
    )?;
    let gateway = Connector::start(
        &cfg(
            &p.a_store,
            format!(
                "[[connect]]\nbind = \"127.0.0.1:0\"\npeer = \"{}\"",
                device.listen_addrs()[0]
            ),
        )?,
        p.a.clone(),
        EventLog::in_memory().0,
        None,
    )?;
    let total = megabytes as u64 * (1 << 20);
    let chunk = vec![0x5au8; 1 << 16];
    let mut c = TcpStream::connect(gateway.connect_addrs()[0])?;
    let t0 = Instant::now();
    let mut sent = 0u64;
    while sent < total {
        c.write_all(&chunk)?;
        sent += chunk.len() as u64;
    }
    c.shutdown(Shutdown::Write)?;
    let (got, t1) = counter.join().map_err(|_| anyhow!("sink thread"))??;
    gateway.stop();
    device.stop();
    if got != sent {
        anyhow::bail!("{sent} bytes sent, {got} arrived");
    }
    Ok(got as f64 / (1 << 20) as f64 / (t1 - t0).as_secs_f64())
}

/// Runs the benchmark.
pub fn run(handshakes: u32, megabytes: u32) -> Result<Out> {
    let dir = std::env::temp_dir().join(format!("scu-link-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let r = measure(&dir, handshakes, megabytes);
    let _ = std::fs::remove_dir_all(&dir);
    r
}

fn measure(dir: &Path, handshakes: u32, megabytes: u32) -> Result<Out> {
    let p = pair(dir, Lanes::FAST)?;
    let (ta, tb) = (TrustWatch::new(&p.a_store)?, TrustWatch::new(&p.b_store)?);
    handshake(&p, &ta, &tb)?; // warm-up
    let t0 = Instant::now();
    for _ in 0..handshakes {
        handshake(&p, &ta, &tb)?;
    }
    let per_s = handshakes as f64 / t0.elapsed().as_secs_f64();
    let mbps = throughput(&p, megabytes)?;
    let cycles = [Lanes::TINY, Lanes::FAST].map(|l| handshake_cycles(dir, l));
    let [c1, c8] = cycles;
    let (c1, c8) = (c1?, c8?);

    let mut t = String::new();
    writeln!(
        t,
        "Connector on loopback, two simulated SCUs (reference model; simulated RNG)\n"
    )?;
    writeln!(
        t,
        "handshakes (Noise XX + both attestations): {per_s:.1} per second over {handshakes}"
    )?;
    writeln!(
        t,
        "bulk throughput, one direction:            {mbps:.1} MiB/s over {megabytes} MiB\n"
    )?;
    writeln!(
        t,
        "SCU busy cycles one handshake costs each side (cycle-exact model), and the time at {} MHz:",
        SYS_HZ / 1_000_000
    )?;
    writeln!(
        t,
        "{:<10} {:>9} {:>12} {:>10} {:>12} {:>10}",
        "side", "commands", "L=1 cycles", "L=1 time", "L=8 cycles", "L=8 time"
    )?;
    let mut rows = Vec::new();
    for (i, side) in ["initiator", "responder"].iter().enumerate() {
        let ((k1, n1), (k8, _)) = (c1[i], c8[i]);
        writeln!(
            t,
            "{side:<10} {n1:>9} {k1:>12} {:>7.1} ms {k8:>12} {:>7.1} ms",
            ms(k1, SYS_HZ),
            ms(k8, SYS_HZ)
        )?;
        rows.push(json!({"side": side, "commands": n1, "cycles_l1": k1, "cycles_l8": k8}));
    }
    writeln!(
        t,
        "\n(each side: one ECDH with its static key and one attestation)"
    )?;
    Ok(Out::new(
        t,
        json!({"handshakes": handshakes, "handshakes_per_s": per_s, "throughput_mib_s": mbps,
               "megabytes": megabytes, "clock_hz": SYS_HZ, "scu": rows}),
    ))
}
