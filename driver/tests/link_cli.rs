//! `scu link` as an operator runs it: trust store management, two
//! connector processes on simulated SCUs with an echo server behind one,
//! revocation cutting an open connection, graceful stop on SIGTERM with the
//! SCU state saved, and startup errors on one line.
#![cfg(feature = "cli")]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

fn scu(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scu"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("runs scu")
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let o = scu(dir, args);
    assert!(
        o.status.success(),
        "scu {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).expect("utf-8")
}

fn fails(dir: &Path, args: &[&str]) -> String {
    let o = scu(dir, args);
    assert!(!o.status.success(), "scu {args:?} should fail");
    let e = String::from_utf8_lossy(&o.stderr).trim_end().to_owned();
    assert_eq!(e.lines().count(), 1, "one line: {e}");
    assert!(!e.contains("panick"), "{e}");
    e
}

/// `link trust --store STORE rest...`.
fn trust<'a>(store: &'a str, rest: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec!["link", "trust", "--store", store];
    v.extend_from_slice(rest);
    v
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

fn echo_server() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = l.local_addr().expect("addr").port();
    thread::spawn(move || {
        for s in l.incoming().flatten() {
            thread::spawn(move || {
                let (mut r, mut w) = (s.try_clone().expect("clone"), s);
                let _ = std::io::copy(&mut r, &mut w);
            });
        }
    });
    port
}

fn wait_log(log: &Path, what: &str) -> String {
    let until = Instant::now() + Duration::from_secs(20);
    loop {
        let t = std::fs::read_to_string(log).unwrap_or_default();
        if t.contains(what) {
            return t;
        }
        assert!(
            Instant::now() < until,
            "no {what} in {}:\n{t}",
            log.display()
        );
        thread::sleep(Duration::from_millis(20));
    }
}

fn start(dir: &Path, config: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_scu"))
        .args(["link", "run", "--config", config.to_str().expect("utf-8")])
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts scu link run")
}

fn terminate(c: &mut Child) -> Output {
    let st = Command::new("kill")
        .args(["-TERM", &c.id().to_string()])
        .status()
        .expect("kill");
    assert!(st.success());
    let mut out = String::new();
    c.stdout
        .take()
        .expect("stdout")
        .read_to_string(&mut out)
        .expect("read");
    let status = c.wait().expect("wait");
    Output {
        status,
        stdout: out.into_bytes(),
        stderr: Vec::new(),
    }
}

fn counter(dir: &Path, state: &str) -> u64 {
    let out = ok(dir, &["--state", state, "--json", "info"]);
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    v["counter"].as_u64().expect("counter")
}

#[test]
fn two_connector_processes_carry_traffic_and_revocation_cuts_it() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    for s in ["gw.json", "dev.json"] {
        ok(d, &["--state", s, "keygen", "--slot", "1", "--use", "ecdh"]);
    }
    let pem = |s: &str, f: &str| {
        std::fs::write(
            d.join(f),
            ok(
                d,
                &["--state", s, "pubkey", "--slot", "0", "--format", "pem"],
            ),
        )
        .expect("write");
    };
    pem("gw.json", "gw.pem");
    pem("dev.json", "dev.pem");
    // The device registers the gateway with its attestation evidence.
    let nonce = "11".repeat(32);
    ok(
        d,
        &[
            "--state",
            "gw.json",
            "attest",
            "--nonce",
            &nonce,
            "--out",
            "gw-evidence.json",
        ],
    );
    let out = ok(
        d,
        &trust(
            "dev-peers.json",
            &[
                "add",
                "--name",
                "gateway",
                "--identity",
                "gw.pem",
                "--evidence",
                "gw-evidence.json",
                "--nonce",
                &nonce,
            ],
        ),
    );
    assert!(out.contains("evidence verified"), "{out}");
    let dev_hex = ok(d, &["--state", "dev.json", "pubkey", "--slot", "0"]);
    ok(
        d,
        &trust(
            "gw-peers.json",
            &["add", "--name", "device", "--identity", dev_hex.trim()],
        ),
    );
    let list = ok(d, &trust("dev-peers.json", &["list"]));
    assert!(
        list.contains("gateway") && list.contains("trusted"),
        "{list}"
    );
    // Registration mistakes are one-line errors and change nothing.
    let before = std::fs::read(d.join("dev-peers.json")).expect("store");
    fails(
        d,
        &trust(
            "dev-peers.json",
            &["add", "--name", "gateway", "--identity", "gw.pem"],
        ),
    );
    fails(
        d,
        &trust(
            "dev-peers.json",
            &["add", "--name", "x", "--identity", "04abcd"],
        ),
    );
    fails(
        d,
        &trust(
            "dev-peers.json",
            &["add", "--name", "x", "--identity", "missing.pem"],
        ),
    );
    let e = fails(
        d,
        &trust(
            "dev-peers.json",
            &[
                "add",
                "--name",
                "y",
                "--identity",
                "dev.pem",
                "--evidence",
                "gw-evidence.json",
                "--nonce",
                &nonce,
            ],
        ),
    );
    assert!(e.contains("does not support this registration"), "{e}");
    fails(d, &trust("dev-peers.json", &["remove", "--name", "nobody"]));
    assert_eq!(
        std::fs::read(d.join("dev-peers.json")).expect("store"),
        before
    );

    let (echo, listen, local) = (echo_server(), free_port(), free_port());
    std::fs::write(
        d.join("dev.toml"),
        format!(
            "[scu]\ndevice = \"sim\"\nstate = \"dev.json\"\n[trust]\nstore = \"dev-peers.json\"\nallow_simulated_rng = true\n\
             [[listen]]\nbind = \"127.0.0.1:{listen}\"\nforward = \"127.0.0.1:{echo}\"\n[log]\npath = \"dev-events.log\"\n"
        ),
    )
    .expect("config");
    std::fs::write(
        d.join("gw.toml"),
        format!(
            "[scu]\nstate = \"gw.json\"\n[trust]\nstore = \"gw-peers.json\"\nallow_simulated_rng = true\n\
             [[connect]]\nbind = \"127.0.0.1:{local}\"\npeer = \"127.0.0.1:{listen}\"\npeer_name = \"device\"\n\
             [log]\npath = \"gw-events.log\"\n"
        ),
    )
    .expect("config");
    let c0 = counter(d, "dev.json");
    let mut dev = start(d, &d.join("dev.toml"));
    wait_log(&d.join("dev-events.log"), "\"started\"");
    let mut gw = start(d, &d.join("gw.toml"));
    wait_log(&d.join("gw-events.log"), "\"started\"");
    // The simulated device is in use: another process may not open it.
    assert!(fails(d, &["--state", "dev.json", "info"]).contains("in use"));

    let mut c = TcpStream::connect(("127.0.0.1", local)).expect("connect");
    c.set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    c.write_all(b"hello through the link").expect("write");
    let mut b = [0u8; 22];
    c.read_exact(&mut b).expect("echo");
    assert_eq!(&b, b"hello through the link");
    wait_log(&d.join("dev-events.log"), "\"authenticated\"");

    ok(
        d,
        &trust("dev-peers.json", &["remove", "--name", "gateway"]),
    );
    let log = wait_log(&d.join("dev-events.log"), "\"revoked_peer\"");
    assert!(
        log.lines()
            .all(|l| serde_json::from_str::<serde_json::Value>(l).is_ok()),
        "JSON lines:\n{log}"
    );
    let mut rest = Vec::new();
    let _ = c.read_to_end(&mut rest);
    assert!(rest.is_empty(), "the connection was cut");

    for child in [&mut gw, &mut dev] {
        let o = terminate(child);
        assert!(o.status.success(), "graceful exit: {:?}", o.status);
        assert!(String::from_utf8_lossy(&o.stdout).contains("stopped"));
    }
    assert!(wait_log(&d.join("dev-events.log"), "\"stopped\"")
        .trim_end()
        .ends_with('}'));
    assert!(
        counter(d, "dev.json") > c0,
        "the attestation counter the session used was saved"
    );
}

#[test]
fn startup_errors_are_one_line() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    let e = fails(d, &["link", "run", "--config", "none.toml"]);
    assert!(e.contains("none.toml"), "{e}");
    std::fs::write(d.join("bad.toml"), "[trust]\nstore = 3\n").expect("write");
    assert!(fails(d, &["link", "run", "--config", "bad.toml"]).contains("line 2"));
    std::fs::write(
        d.join("c.toml"),
        "[scu]\nstate = \"s.json\"\n[trust]\nstore = \"p.json\"\n[[listen]]\nbind = \"127.0.0.1:0\"\nforward = \"127.0.0.1:9\"\n",
    )
    .expect("write");
    let e = fails(d, &["link", "run", "--config", "c.toml"]);
    assert!(e.contains("slot 1") && e.contains("scu keygen"), "{e}");
    ok(
        d,
        &[
            "--state", "s.json", "keygen", "--slot", "1", "--use", "ecdh",
        ],
    );
    let e = fails(d, &["link", "run", "--config", "c.toml"]);
    assert!(
        e.contains("p.json") && e.contains("scu link trust add"),
        "{e}"
    );
}
