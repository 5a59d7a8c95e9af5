//! The connector on loopback: two connector instances on simulated SCUs,
//! an echo server as the legacy device, and a proxy between the connectors
//! that captures (and on request tampers with) what travels on the wire.
#![cfg(feature = "link")]

use scu_driver::link::connector::Connector;
use scu_driver::link::simulated::{simulated_config, simulated_scu};
use scu_driver::link::trust::TrustStore;
use scu_driver::link::{Config, EventLog, LinkKey};
use scu_driver::types::PublicKey;
use scu_model::timing::Lanes;
use serde_json::Value;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

type Events = Arc<Mutex<Vec<Value>>>;

struct Side {
    key: LinkKey,
    identity: PublicKey,
    store: PathBuf,
}

fn side(dir: &Path, name: &str) -> Side {
    let (key, identity, _) = simulated_scu(name.as_bytes(), Lanes::FAST, 1).expect("simulated SCU");
    let store = dir.join(format!("{name}-peers.json"));
    TrustStore::update(&store, |_| Ok(())).expect("empty store");
    Side {
        key,
        identity,
        store,
    }
}

fn register(store: &Path, name: &str, who: &Side) {
    TrustStore::update(store, |s| s.add(name, &who.identity, None)).expect("register");
}

fn config(store: &Path, section: &str, extra: &str) -> Config {
    simulated_config(store, &format!("{section}\n{extra}")).expect("config")
}

/// The legacy device: echoes until the client finishes.
fn echo_server() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let a = l.local_addr().expect("addr");
    thread::spawn(move || {
        for s in l.incoming().flatten() {
            thread::spawn(move || {
                let mut r = s.try_clone().expect("clone");
                let mut w = s;
                let _ = std::io::copy(&mut r, &mut w);
                let _ = w.shutdown(Shutdown::Write);
            });
        }
    });
    a
}

#[derive(Clone, Copy)]
enum Tamper {
    None,
    /// Flip a bit in the initiator's frame with this index.
    Flip(usize),
    /// Send the initiator's frame with this index twice.
    Replay(usize),
}

/// A proxy between the connectors, frame-aware in the initiator's
/// direction, capturing both directions.
fn proxy(target: SocketAddr, tamper: Tamper) -> (SocketAddr, Arc<Mutex<Vec<u8>>>) {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let a = l.local_addr().expect("addr");
    let wire = Arc::new(Mutex::new(Vec::new()));
    let cap = wire.clone();
    thread::spawn(move || {
        for c in l.incoming().flatten() {
            let Ok(t) = TcpStream::connect(target) else {
                continue;
            };
            let (mut c2, mut t2) = (c.try_clone().expect("clone"), t.try_clone().expect("clone"));
            let cap1 = cap.clone();
            thread::spawn(move || {
                let mut buf = [0u8; 65536];
                loop {
                    match t2.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            cap1.lock().expect("lock").extend_from_slice(&buf[..n]);
                            if c2.write_all(&buf[..n]).is_err() {
                                break;
                            }
                        }
                    }
                }
                let _ = c2.shutdown(Shutdown::Write);
            });
            let cap2 = cap.clone();
            thread::spawn(move || {
                let (mut c, mut t) = (c, t);
                let mut index = 0;
                loop {
                    let mut h = [0u8; 2];
                    if c.read_exact(&mut h).is_err() {
                        break;
                    }
                    let mut f = vec![0u8; u16::from_be_bytes(h) as usize];
                    if c.read_exact(&mut f).is_err() {
                        break;
                    }
                    let mut frame = h.to_vec();
                    frame.extend_from_slice(&f);
                    let copies = match tamper {
                        Tamper::Flip(i) if i == index => {
                            let last = frame.len() - 1;
                            frame[last] ^= 0x01;
                            1
                        }
                        Tamper::Replay(i) if i == index => 2,
                        _ => 1,
                    };
                    for _ in 0..copies {
                        cap2.lock().expect("lock").extend_from_slice(&frame);
                        if t.write_all(&frame).is_err() {
                            return;
                        }
                    }
                    index += 1;
                }
                let _ = t.shutdown(Shutdown::Write);
            });
        }
    });
    (a, wire)
}

/// A device side (listening, forwarding to the echo server) and a gateway
/// side (local clients in, to the device through the proxy).
struct Link {
    gateway: Connector,
    device: Connector,
    gw_events: Events,
    dev_events: Events,
    wire: Arc<Mutex<Vec<u8>>>,
    gw: Side,
    dev: Side,
    _dir: tempfile::TempDir,
}

fn link(tamper: Tamper, register_gateway: bool, limits: &str) -> Link {
    let dir = tempfile::tempdir().expect("tempdir");
    let (gw, dev) = (side(dir.path(), "gateway"), side(dir.path(), "device"));
    register(&gw.store, "device", &dev);
    if register_gateway {
        register(&dev.store, "gateway", &gw);
    }
    let echo = echo_server();
    let (dev_log, dev_events) = EventLog::in_memory();
    let dc = config(
        &dev.store,
        &format!("[[listen]]\nbind = \"127.0.0.1:0\"\nforward = \"{echo}\""),
        limits,
    );
    let device = Connector::start(&dc, dev.key.clone(), dev_log, None).expect("device connector");
    let (p, wire) = proxy(device.listen_addrs()[0], tamper);
    let (gw_log, gw_events) = EventLog::in_memory();
    let gc = config(
        &gw.store,
        &format!("[[connect]]\nbind = \"127.0.0.1:0\"\npeer = \"{p}\"\npeer_name = \"device\""),
        limits,
    );
    let gateway = Connector::start(&gc, gw.key.clone(), gw_log, None).expect("gateway connector");
    Link {
        gateway,
        device,
        gw_events,
        dev_events,
        wire,
        gw,
        dev,
        _dir: dir,
    }
}

fn wait_for(events: &Events, name: &str) -> Value {
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(e) = events
            .lock()
            .expect("lock")
            .iter()
            .find(|e| e["event"] == name)
        {
            return e.clone();
        }
        assert!(
            Instant::now() < until,
            "no {name} event; got {:?}",
            events.lock().expect("lock")
        );
        thread::sleep(Duration::from_millis(10));
    }
}

fn names(events: &Events) -> Vec<String> {
    events
        .lock()
        .expect("lock")
        .iter()
        .map(|e| e["event"].as_str().unwrap_or("").to_owned())
        .collect()
}

fn client(l: &Link) -> TcpStream {
    let s = TcpStream::connect(l.gateway.connect_addrs()[0]).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    s
}

/// Reads until the end of the stream (or a reset); what arrived.
fn read_all(s: &mut TcpStream) -> Vec<u8> {
    let mut v = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => return v,
            Ok(n) => v.extend_from_slice(&buf[..n]),
        }
    }
}

const MARKER: &[u8] = b"PLAINTEXT-MARKER-the-wire-must-never-show-this";

fn payload(len: usize) -> Vec<u8> {
    MARKER.iter().cycle().take(len).copied().collect()
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn data_arrives_intact_both_ways_and_never_in_clear() {
    // The gateway asks for rekeying every 4 records: both use the smaller.
    let l = link(Tamper::None, true, "[limits]\nrekey_records = 4\n");
    let data = payload(200_000);
    let mut c = client(&l);
    let mut w = c.try_clone().expect("clone");
    let d = data.clone();
    let writer = thread::spawn(move || {
        w.write_all(&d).expect("write");
        w.shutdown(Shutdown::Write).expect("shutdown");
    });
    let back = read_all(&mut c);
    writer.join().expect("writer");
    assert_eq!(back.len(), data.len());
    assert!(back == data, "the echo came back altered");
    let a = wait_for(&l.dev_events, "authenticated");
    assert_eq!(a["peer"], "gateway");
    assert!(a["detail"]
        .as_str()
        .expect("detail")
        .contains("every 4 records"));
    assert_eq!(wait_for(&l.gw_events, "authenticated")["peer"], "device");
    let closed = wait_for(&l.dev_events, "closed");
    assert_eq!(closed["bytes_in"], 200_000);
    assert_eq!(closed["bytes_out"], 200_000);
    wait_for(&l.gw_events, "closed");
    let wire = l.wire.lock().expect("lock").clone();
    assert!(
        wire.len() > 400_000,
        "both directions went through the proxy"
    );
    assert!(!contains(&wire, &MARKER[..16]), "plaintext on the wire");
    assert!(!names(&l.dev_events)
        .iter()
        .any(|n| n == "aead_failure" || n == "replay"));
}

#[test]
fn an_unregistered_peer_is_cut_and_logged() {
    let l = link(Tamper::None, false, "");
    let mut c = client(&l);
    let _ = c.write_all(MARKER);
    assert!(read_all(&mut c).is_empty(), "nothing comes back");
    let e = wait_for(&l.dev_events, "unknown_peer");
    assert_eq!(e["severity"], "alert");
    assert_eq!(
        e["identity"],
        scu_driver::link::events::fingerprint(&l.gw.identity.sec1())
    );
    assert!(!names(&l.dev_events).contains(&"authenticated".to_owned()));
    assert!(
        !contains(&l.wire.lock().expect("lock"), MARKER),
        "the client's bytes were never sent"
    );
}

#[test]
fn a_revoked_peer_is_refused_and_its_open_connection_cut() {
    let l = link(Tamper::None, true, "");
    // An open connection works...
    let mut c = client(&l);
    c.write_all(b"ping").expect("write");
    let mut b = [0u8; 4];
    c.read_exact(&mut b).expect("echo");
    assert_eq!(&b, b"ping");
    // ...until the gateway is revoked on the device side.
    TrustStore::update(&l.dev.store, |s| s.revoke("gateway")).expect("revoke");
    let e = wait_for(&l.dev_events, "revoked_peer");
    assert_eq!(e["peer"], "gateway");
    assert_eq!(e["conn"], 1);
    assert!(read_all(&mut c).is_empty(), "the connection is cut");
    // A new connection is refused.
    let mut c = client(&l);
    let _ = c.write_all(b"again");
    assert!(read_all(&mut c).is_empty());
    let until = Instant::now() + Duration::from_secs(10);
    while names(&l.dev_events)
        .iter()
        .filter(|n| *n == "revoked_peer")
        .count()
        < 2
    {
        assert!(
            Instant::now() < until,
            "the new connection is logged as revoked too"
        );
        thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(
        names(&l.dev_events)
            .iter()
            .filter(|n| *n == "authenticated")
            .count(),
        1
    );
    let _ = (&l.gw, &l.gateway);
}

#[test]
fn a_flipped_bit_in_a_record_cuts_the_connection() {
    // Initiator frames: 0 `-> e`, 1 `-> s, se`, 2 ATTEST (record 0), 3 the
    // first DATA (record 1).
    let l = link(Tamper::Flip(3), true, "");
    let mut c = client(&l);
    c.write_all(MARKER).expect("write");
    assert!(
        read_all(&mut c).is_empty(),
        "the tampered record was not delivered"
    );
    let e = wait_for(&l.dev_events, "aead_failure");
    assert_eq!(e["peer"], "gateway");
    assert_eq!(e["bytes_in"], 0);
}

#[test]
fn a_replayed_record_cuts_the_connection() {
    let l = link(Tamper::Replay(3), true, "");
    let mut c = client(&l);
    c.write_all(MARKER).expect("write");
    let back = read_all(&mut c);
    assert!(
        back.len() <= MARKER.len(),
        "the replayed copy was not delivered"
    );
    let e = wait_for(&l.dev_events, "replay");
    assert!(
        e["detail"]
            .as_str()
            .expect("detail")
            .contains("counter 1 again"),
        "{e}"
    );
}

#[test]
fn a_silent_peer_times_out_in_the_handshake() {
    let l = link(Tamper::None, true, "[limits]\nhandshake_timeout_ms = 300\n");
    let mut s = TcpStream::connect(l.device.listen_addrs()[0]).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let t = Instant::now();
    assert!(read_all(&mut s).is_empty());
    assert!(t.elapsed() < Duration::from_secs(5));
    wait_for(&l.dev_events, "timeout");
}

#[test]
fn garbage_instead_of_a_handshake_is_refused() {
    let l = link(Tamper::None, true, "");
    let mut s = TcpStream::connect(l.device.listen_addrs()[0]).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    s.write_all(b"\x00\x05hello").expect("write");
    assert!(read_all(&mut s).is_empty());
    assert!(wait_for(&l.dev_events, "handshake_failed")["detail"]
        .as_str()
        .expect("d")
        .contains("handshake"));
}

#[test]
fn graceful_stop_ends_open_connections_and_logs_it() {
    let l = link(Tamper::None, true, "");
    let mut c = client(&l);
    c.write_all(b"ping").expect("write");
    let mut b = [0u8; 4];
    c.read_exact(&mut b).expect("echo");
    let Link {
        gateway,
        device,
        gw_events,
        ..
    } = l;
    gateway.stop();
    assert!(read_all(&mut c).is_empty(), "the client sees the end");
    let n = names(&gw_events);
    assert!(
        n.contains(&"closed".to_owned()) && n.last().map(String::as_str) == Some("stopped"),
        "{n:?}"
    );
    device.stop();
}

#[test]
fn startup_errors_are_one_clear_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = side(dir.path(), "x");
    let start =
        |c: &Config, k: &LinkKey| Connector::start(c, k.clone(), EventLog::in_memory().0, None);
    let listen = "[[listen]]\nbind = \"127.0.0.1:0\"\nforward = \"127.0.0.1:9\"";
    // A missing trust store.
    let c = config(&dir.path().join("none.json"), listen, "");
    let e = start(&c, &s.key).err().expect("refused").0;
    assert!(
        e.contains("none.json") && e.contains("scu link trust add"),
        "{e}"
    );
    // An address in use.
    let busy = TcpListener::bind("127.0.0.1:0").expect("bind");
    let c = config(
        &s.store,
        &format!(
            "[[listen]]\nbind = \"{}\"\nforward = \"127.0.0.1:9\"",
            busy.local_addr().expect("a")
        ),
        "",
    );
    assert!(start(&c, &s.key)
        .err()
        .expect("refused")
        .0
        .contains("cannot listen on"));
    // An empty link slot.
    let c = config(&s.store, listen, "");
    let mut k = s.key.clone();
    k.slot = 5;
    let e = start(&c, &k).err().expect("refused").0;
    assert!(e.contains("slot 5") && e.contains("scu keygen"), "{e}");
    assert!(!e.contains('\n'));
}

#[test]
fn a_simulated_rng_is_refused_unless_allowed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (gw, dev) = (side(dir.path(), "g"), side(dir.path(), "d"));
    register(&gw.store, "device", &dev);
    register(&dev.store, "gateway", &gw);
    let (log, events) = EventLog::in_memory();
    let text = format!(
        "[trust]\nstore = {:?}\n[[listen]]\nbind = \"127.0.0.1:0\"\nforward = \"{}\"",
        dev.store.display().to_string(),
        echo_server()
    );
    let device = Connector::start(
        &Config::parse(&text).expect("config"),
        dev.key.clone(),
        log,
        None,
    )
    .expect("start");
    let gc = config(
        &gw.store,
        &format!(
            "[[connect]]\nbind = \"127.0.0.1:0\"\npeer = \"{}\"",
            device.listen_addrs()[0]
        ),
        "",
    );
    let gateway =
        Connector::start(&gc, gw.key.clone(), EventLog::in_memory().0, None).expect("start");
    let mut c = TcpStream::connect(gateway.connect_addrs()[0]).expect("connect");
    c.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let _ = c.write_all(MARKER);
    assert!(read_all(&mut c).is_empty());
    let e = wait_for(&events, "attestation_failed");
    assert!(
        e["detail"]
            .as_str()
            .expect("detail")
            .contains("simulated RNG"),
        "{e}"
    );
    assert_eq!(
        e["identity"],
        scu_driver::link::events::fingerprint(&gw.identity.sec1())
    );
}

#[test]
fn an_unreadable_trust_store_fails_closed() {
    let l = link(Tamper::None, true, "");
    std::fs::write(&l.dev.store, "not json").expect("write");
    wait_for(&l.dev_events, "trust_store_error");
    let mut c = client(&l);
    let _ = c.write_all(MARKER);
    assert!(read_all(&mut c).is_empty());
    wait_for(&l.dev_events, "unknown_peer");
}

/// Arbitrary bytes in place of each handshake message, and of the first
/// record: the responder refuses them with an error, never a panic, and
/// no session comes out.
mod fuzz {
    use super::*;
    use proptest::prelude::*;
    use scu_driver::link::session::{establish, Acceptance};
    use scu_driver::link::trust::TrustWatch;

    /// What the responder says of `frames`.
    fn responder_sees(frames: Vec<Vec<u8>>) -> String {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = side(dir.path(), "fuzzed");
        let trust = TrustWatch::new(&s.store).expect("trust");
        let l = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = l.local_addr().expect("addr");
        let writer = thread::spawn(move || {
            let mut c = TcpStream::connect(addr).expect("connect");
            for f in frames {
                let mut b = (f.len() as u16).to_be_bytes().to_vec();
                b.extend_from_slice(&f);
                if c.write_all(&b).is_err() {
                    break;
                }
            }
            let _ = c.shutdown(Shutdown::Write);
            let mut sink = Vec::new();
            let _ = c.read_to_end(&mut sink);
        });
        let (c, _) = l.accept().expect("accept");
        let accept = Acceptance {
            trust: &trust,
            reference: None,
            allow_simulated_rng: true,
            rekey_records: 16,
            timeout: Duration::from_secs(5),
        };
        let e = establish(&c, false, &s.key, &accept)
            .err()
            .expect("no session from garbage");
        drop(c);
        writer.join().expect("writer");
        e.to_string()
    }

    fn first_message() -> Vec<u8> {
        let sk = p256::SecretKey::from_bytes(&[7u8; 32].into()).expect("scalar");
        let e =
            p256::elliptic_curve::sec1::ToEncodedPoint::to_encoded_point(&sk.public_key(), false);
        let mut first = e.as_bytes().to_vec();
        first.extend_from_slice(b"SCU-LINK/1");
        first.extend_from_slice(&16u32.to_be_bytes());
        first
    }

    #[test]
    fn a_hand_made_first_message_is_taken() {
        // The fuzz case below starts from here: the responder accepts this
        // `-> e`, answers, and waits for the third message.
        let e = responder_sees(vec![first_message()]);
        assert!(e.contains("closed the connection"), "{e}");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn garbage_handshakes_are_refused(
            first in proptest::collection::vec(any::<u8>(), 0..200),
            more in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..200), 0..3),
        ) {
            let mut frames = vec![first];
            frames.extend(more);
            let _ = responder_sees(frames);
        }

        #[test]
        fn a_valid_first_message_then_garbage_is_refused(
            third in proptest::collection::vec(any::<u8>(), 0..300),
        ) {
            // A genuine `-> e` with the SCU-LINK hello, then garbage as `-> s, se`.
            responder_sees(vec![first_message(), third]);
        }
    }
}
