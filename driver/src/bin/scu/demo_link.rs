//! The demo's last step: A's and B's connectors on 127.0.0.1, each SCU's
//! ECDH key as the link's static key, a message carried to an echo
//! service behind B and back, and B revoking A mid-connection.

use anyhow::{anyhow, bail, Context, Result};
use scu_driver::link::noise::SharedScu;
use scu_driver::link::simulated::simulated_config;
use scu_driver::link::trust::TrustStore;
use scu_driver::link::{Config, Connector, EventLog, LinkKey};
use scu_driver::types::PublicKey;
use serde_json::Value;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// One side: its SCU (shared with the connector), link key and identity.
pub struct Side {
    pub scu: SharedScu,
    pub link_public: PublicKey,
    pub identity: PublicKey,
}

/// What the step showed.
pub struct Shown {
    pub lines: Vec<String>,
}

fn echo_service() -> Result<std::net::SocketAddr> {
    let l = TcpListener::bind("127.0.0.1:0")?;
    let a = l.local_addr()?;
    thread::spawn(move || {
        for s in l.incoming().flatten() {
            thread::spawn(move || {
                if let Ok(mut r) = s.try_clone() {
                    let mut w = s;
                    let _ = std::io::copy(&mut r, &mut w);
                }
            });
        }
    });
    Ok(a)
}

/// Forwards to `to`, keeping a copy of every byte in both directions.
fn tap(to: std::net::SocketAddr) -> Result<(std::net::SocketAddr, Arc<Mutex<Vec<u8>>>)> {
    let l = TcpListener::bind("127.0.0.1:0")?;
    let a = l.local_addr()?;
    let wire = Arc::new(Mutex::new(Vec::new()));
    let w = wire.clone();
    thread::spawn(move || {
        for c in l.incoming().flatten() {
            let Ok(t) = TcpStream::connect(to) else {
                continue;
            };
            for (mut from, mut into) in [
                (c.try_clone(), t.try_clone()),
                (t.try_clone(), c.try_clone()),
            ]
            .into_iter()
            .filter_map(|(x, y)| Some((x.ok()?, y.ok()?)))
            {
                let w = w.clone();
                thread::spawn(move || {
                    let mut buf = [0u8; 16384];
                    while let Ok(n) = from.read(&mut buf) {
                        if n == 0 || into.write_all(&buf[..n]).is_err() {
                            break;
                        }
                        w.lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .extend_from_slice(&buf[..n]);
                    }
                    let _ = into.shutdown(Shutdown::Write);
                });
            }
        }
    });
    Ok((a, wire))
}

fn wait_event(events: &Arc<Mutex<Vec<Value>>>, name: &str) -> Result<Value> {
    let until = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(e) = events
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .find(|e| e["event"] == name)
        {
            return Ok(e.clone());
        }
        if Instant::now() > until {
            bail!("the connector logged no {name} event");
        }
        thread::sleep(Duration::from_millis(10));
    }
}

fn config(store: &Path, section: String) -> Result<Config> {
    Ok(simulated_config(store, &section)?)
}

/// Runs the step in `dir` (the trust stores live there).
pub fn run(dir: &Path, a: &Side, b: &Side) -> Result<Shown> {
    let (a_store, b_store) = (dir.join("a-peers.json"), dir.join("b-peers.json"));
    TrustStore::update(&a_store, |s| s.add("B", &b.identity, None))?;
    TrustStore::update(&b_store, |s| s.add("A", &a.identity, None))?;
    let echo = echo_service()?;
    let (b_log, b_events) = EventLog::in_memory();
    let key = |s: &Side| LinkKey {
        scu: s.scu.clone(),
        slot: 1,
        static_public: s.link_public,
    };
    let bc = Connector::start(
        &config(
            &b_store,
            format!("[[listen]]\nbind = \"127.0.0.1:0\"\nforward = \"{echo}\""),
        )?,
        key(b),
        b_log,
        None,
    )?;
    let (tap_addr, wire) = tap(bc.listen_addrs()[0])?;
    let ac = Connector::start(
        &config(
            &a_store,
            format!(
                "[[connect]]\nbind = \"127.0.0.1:0\"\npeer = \"{tap_addr}\"\npeer_name = \"B\""
            ),
        )?,
        key(a),
        EventLog::in_memory().0,
        None,
    )?;
    let mut lines = Vec::new();
    let msg = b"meter reading 42.7 kWh";
    let mut c = TcpStream::connect(ac.connect_addrs()[0])?;
    c.set_read_timeout(Some(Duration::from_secs(20)))?;
    c.write_all(msg)?;
    let mut back = [0u8; 22];
    c.read_exact(&mut back)
        .context("the echo did not come back through the link")?;
    if &back != msg {
        bail!("the echo came back altered");
    }
    let auth = wait_event(&b_events, "authenticated")?;
    lines.push(format!(
        "   B authenticated A (Noise XX, static DH on each SCU, attestation bound to the handshake): peer {}",
        auth["peer"]
    ));
    let captured = wire.lock().map_err(|_| anyhow!("tap"))?.clone();
    let in_clear = captured.windows(msg.len()).any(|w| w == msg);
    lines.push(format!(
        "   {:?} went to the echo service behind B and back; {} bytes on the wire, plaintext {}",
        String::from_utf8_lossy(msg),
        captured.len(),
        if in_clear { "VISIBLE" } else { "not visible" }
    ));
    if in_clear {
        bail!("the plaintext was visible on the wire");
    }
    TrustStore::update(&b_store, |s| s.revoke("A"))?;
    let cut = wait_event(&b_events, "revoked_peer")?;
    let mut rest = Vec::new();
    let _ = c.read_to_end(&mut rest);
    lines.push(format!(
        "   B revoked A: the open connection was cut at once; event {}",
        serde_json::json!({"event": cut["event"], "severity": cut["severity"], "peer": cut["peer"], "conn": cut["conn"]})
    ));
    ac.stop();
    bc.stop();
    Ok(Shown { lines })
}
