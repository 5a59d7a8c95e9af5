//! The `scu` command line as a user runs it: the demo, OpenSSL checking
//! what it produces, bad input (one line, non-zero exit, nothing stored
//! changed), state kept between runs.
#![cfg(feature = "cli")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

struct Run {
    dir: tempfile::TempDir,
}

impl Run {
    fn new() -> Run {
        Run {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn state(&self) -> PathBuf {
        self.path("state.json")
    }

    /// `scu --state STATE args...` in the temporary directory, to be run.
    fn command(&self, args: &[&str]) -> Command {
        let state = self.state();
        let mut c = Command::new(env!("CARGO_BIN_EXE_scu"));
        c.arg("--state")
            .arg(state)
            .args(args)
            .current_dir(self.dir.path())
            .env_remove("RUST_BACKTRACE");
        c
    }

    /// Runs `scu --state STATE args...`.
    fn scu(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("runs scu")
    }

    /// Runs and expects success; stdout.
    fn ok(&self, args: &[&str]) -> String {
        let o = self.scu(args);
        assert!(
            o.status.success(),
            "scu {args:?} failed: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8(o.stdout).expect("utf-8")
    }

    /// Runs and expects a one-line error; the line.
    fn fails(&self, args: &[&str]) -> String {
        let o = self.scu(args);
        let err = String::from_utf8_lossy(&o.stderr).to_string();
        assert!(!o.status.success(), "scu {args:?} should fail");
        assert!(
            matches!(o.status.code(), Some(1) | Some(2)),
            "scu {args:?}: exit {:?}",
            o.status.code()
        );
        assert!(
            o.stdout.is_empty(),
            "scu {args:?} printed {:?}",
            String::from_utf8_lossy(&o.stdout)
        );
        assert_eq!(
            err.trim_end().lines().count(),
            1,
            "scu {args:?}: not one line: {err:?}"
        );
        assert!(
            !err.contains("panicked") && !err.contains("internal error"),
            "scu {args:?}: {err}"
        );
        err.trim_end().to_string()
    }

    fn write(&self, name: &str, data: &[u8]) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, data).expect("writes");
        p
    }

    fn openssl(&self, args: &[&str]) -> Output {
        Command::new("openssl")
            .args(args)
            .current_dir(self.dir.path())
            .output()
            .expect("openssl runs (scripts/install-tools.sh installs it)")
    }
}

fn hex32(b: u8) -> String {
    format!("{b:02x}").repeat(32)
}

/// The slot memory recorded in a state file.
fn stored_slots(p: &Path) -> String {
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(p).expect("state")).expect("json");
    v["slots"].as_str().expect("slots").to_string()
}

#[test]
fn demo_reports_every_step() {
    let r = Run::new();
    let out = r.ok(&["demo"]);
    for want in [
        "B verified",
        "same shared secret",
        "verified outside the SCU",
        "busy cycles",
        "simulated",
        "B authenticated A",
        "plaintext not visible",
        "\"event\":\"revoked_peer\"",
    ] {
        assert!(out.contains(want), "demo output lacks {want:?}:\n{out}");
    }
    let j: serde_json::Value =
        serde_json::from_str(r.ok(&["--json", "demo"]).trim()).expect("json");
    assert_eq!(j["attestation_verified"], true);
    assert_eq!(j["ecdh_match"], true);
    let steps = j["steps"].as_array().expect("steps");
    assert_eq!(steps.len(), 14);
    assert_eq!(j["link_carried_and_revoked"], true);
    let link = steps
        .iter()
        .find(|s| s["step"].as_str().is_some_and(|s| s.starts_with("link")))
        .expect("a link step");
    assert!(
        link["engine_cycles"].as_u64().expect("cycles") > 2_000_000,
        "one ECDH and one attestation on each side"
    );
    let sign = steps
        .iter()
        .find(|s| s["step"] == "sign")
        .expect("a sign step");
    assert!(
        sign["engine_cycles"].as_u64().expect("cycles") > 1_000_000,
        "L=1 signature cost"
    );
    assert!(!r.state().exists(), "the demo's devices live in memory");
}

#[test]
fn signatures_and_keys_are_standard() {
    let r = Run::new();
    r.ok(&["keygen", "--slot", "1", "--use", "sign"]);
    let pem = r.ok(&["pubkey", "--slot", "1", "--format", "pem"]);
    r.write("pub.pem", pem.as_bytes());
    let msg = r.write("msg.txt", b"firmware image 1.2.3\n");
    let der = r.ok(&[
        "sign",
        "--slot",
        "1",
        "--file",
        msg.to_str().expect("utf-8"),
    ]);
    r.write("sig.der", &hex::decode(der.trim()).expect("hex DER"));
    let o = r.openssl(&[
        "dgst",
        "-sha256",
        "-verify",
        "pub.pem",
        "-signature",
        "sig.der",
        "msg.txt",
    ]);
    assert!(
        o.status.success(),
        "openssl: {}",
        String::from_utf8_lossy(&o.stderr)
    );

    // A signature over a digest given in hex, and a tampered message.
    let digest = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(b"other"));
    let der = r.ok(&["sign", "--slot", "1", "--digest", &digest]);
    r.write("sig2.der", &hex::decode(der.trim()).expect("hex DER"));
    r.write("other.txt", b"other");
    let o = r.openssl(&[
        "dgst",
        "-sha256",
        "-verify",
        "pub.pem",
        "-signature",
        "sig2.der",
        "other.txt",
    ]);
    assert!(
        o.status.success(),
        "openssl: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    r.write("other.txt", b"Other");
    let o = r.openssl(&[
        "dgst",
        "-sha256",
        "-verify",
        "pub.pem",
        "-signature",
        "sig2.der",
        "other.txt",
    ]);
    assert!(!o.status.success(), "a changed message must not verify");

    // The PEM is SPKI for prime256v1 whose key is the SEC1 point `pubkey` prints.
    let o = r.openssl(&[
        "pkey", "-pubin", "-in", "pub.pem", "-outform", "DER", "-out", "pub.der",
    ]);
    assert!(
        o.status.success(),
        "openssl: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let spki = std::fs::read(r.path("pub.der")).expect("der");
    let sec1 = hex::decode(r.ok(&["pubkey", "--slot", "1"]).trim()).expect("hex");
    assert_eq!(sec1.len(), 65);
    assert_eq!(&spki[spki.len() - 65..], &sec1[..]);
    let o = r.openssl(&["pkey", "-pubin", "-in", "pub.pem", "-noout", "-text"]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("prime256v1"));
}

#[test]
fn attestation_evidence_verifies_with_openssl_and_scu() {
    let r = Run::new();
    let nonce = hex32(0x5c);
    r.ok(&["attest", "--nonce", &nonce, "--out", "ev.json"]);
    let ev: serde_json::Value =
        serde_json::from_slice(&std::fs::read(r.path("ev.json")).expect("ev")).expect("json");
    let statement = hex::decode(ev["statement"].as_str().expect("statement")).expect("hex");
    r.write("statement.bin", &statement);
    r.write(
        "sig.der",
        &hex::decode(ev["signature_der"].as_str().expect("sig")).expect("hex"),
    );
    let id = r.ok(&["pubkey", "--slot", "0", "--format", "pem"]);
    r.write("id.pem", id.as_bytes());
    assert_eq!(
        ev["identity_public_key_pem"].as_str().expect("pem").trim(),
        id.trim()
    );
    let o = r.openssl(&[
        "dgst",
        "-sha256",
        "-verify",
        "id.pem",
        "-signature",
        "sig.der",
        "statement.bin",
    ]);
    assert!(
        o.status.success(),
        "openssl: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(
        &statement[8..40],
        &hex::decode(&nonce).expect("hex")[..],
        "the nonce is in the statement"
    );

    r.ok(&["reference", "--out", "ref.json", "--allow-simulated-rng"]);
    let out = r.ok(&[
        "verify",
        "--evidence",
        "ev.json",
        "--nonce",
        &nonce,
        "--identity",
        "id.pem",
        "--reference",
        "ref.json",
    ]);
    assert!(
        out.contains("evidence verified") && out.contains("matches the registered key"),
        "{out}"
    );
    // The key that signed, as `scu link trust list` fingerprints it, and in
    // full in the JSON verdict.
    let sec1 = hex::decode(r.ok(&["pubkey", "--slot", "0"]).trim()).expect("hex");
    let fp = scu_driver::link::events::fingerprint(&sec1);
    assert!(out.contains(&format!("identity     {fp} (")), "{out}");
    let j = r.ok(&[
        "--json",
        "verify",
        "--evidence",
        "ev.json",
        "--nonce",
        &nonce,
    ]);
    let j: serde_json::Value = serde_json::from_str(&j).expect("json");
    assert_eq!(j["verdict"]["identity"], hex::encode(&sec1), "{j}");

    let e = r.fails(&["verify", "--evidence", "ev.json", "--nonce", &hex32(0x5d)]);
    assert!(e.contains("another nonce"), "{e}");
    let verify_against = |reference: &str| {
        r.fails(&[
            "verify",
            "--evidence",
            "ev.json",
            "--nonce",
            &nonce,
            "--reference",
            reference,
        ])
    };
    r.ok(&["reference", "--out", "strict.json"]);
    let e = verify_against("strict.json");
    assert!(e.contains("simulated RNG"), "{e}");
    // An FPGA build's reference: its report's measurement (the template
    // bitstream's hash), which the simulated device does not report.
    let fpga_m = "ab".repeat(32);
    r.write(
        "report.json",
        format!(r#"{{"lanes": 1, "measurement": "{fpga_m}"}}"#).as_bytes(),
    );
    let out = r.ok(&[
        "reference",
        "--fpga-report",
        "report.json",
        "--out",
        "fpga.json",
    ]);
    assert!(
        out.contains("FPGA L=1 build") && out.contains(&fpga_m),
        "{out}"
    );
    let e = verify_against("fpga.json");
    assert!(e.contains("not among the reference values"), "{e}");
    let e = r.fails(&[
        "reference",
        "--fpga-report",
        "report.json",
        "--allow-simulated-rng",
        "--out",
        "x.json",
    ]);
    assert!(e.contains("cannot be used with"), "{e}");
    let other = Run::new();
    other.ok(&["info"]);
    let other_id = other.ok(&["pubkey", "--slot", "0", "--format", "pem"]);
    r.write("other.pem", other_id.as_bytes());
    let e = r.fails(&[
        "verify",
        "--evidence",
        "ev.json",
        "--nonce",
        &nonce,
        "--identity",
        "other.pem",
    ]);
    assert!(e.contains("another device"), "{e}");

    // A changed statement: both verifiers refuse it.
    let mut t = ev.clone();
    let mut st = statement.clone();
    st[150] ^= 1;
    t["statement"] = serde_json::Value::String(hex::encode(&st));
    r.write("tampered.json", t.to_string().as_bytes());
    let e = r.fails(&["verify", "--evidence", "tampered.json", "--nonce", &nonce]);
    assert!(e.contains("signature does not verify"), "{e}");
    r.write("statement.bin", &st);
    let o = r.openssl(&[
        "dgst",
        "-sha256",
        "-verify",
        "id.pem",
        "-signature",
        "sig.der",
        "statement.bin",
    ]);
    assert!(!o.status.success());
}

#[test]
fn bad_input_is_one_line_and_changes_nothing() {
    let r = Run::new();
    r.ok(&["keygen", "--slot", "1", "--use", "sign"]);
    r.ok(&["keygen", "--slot", "2", "--use", "ecdh"]);
    r.ok(&["import", "--slot", "3", "--key", &hex32(0x11)]);
    r.ok(&["lock", "--slot", "3"]);
    let state = r.state();
    let before = std::fs::read(&state).expect("state");
    let slots = stored_slots(&state);
    let d = hex32(0xab);
    let good_key = hex32(0x22);

    // Refused before the device is opened: the state file stays byte for byte.
    let host_side: &[(&[&str], &str)] = &[
        (&["sign", "--slot", "1", "--digest", "zz"], "not hex"),
        (
            &["sign", "--slot", "1", "--digest", "00"],
            "must be 32 bytes",
        ),
        (
            &["sign", "--slot", "1", "--digest", &"0".repeat(63)],
            "odd number",
        ),
        (
            &["sign", "--slot", "1", "--file", "/nonexistent/file"],
            "cannot read file",
        ),
        (
            &["import", "--slot", "4", "--key", "1234"],
            "must be 32 bytes",
        ),
        (
            &["import", "--slot", "4", "--key-file", "/nonexistent/key"],
            "cannot read key file",
        ),
        (
            &["ecdh", "--slot", "2", "--peer", "00"],
            "point at infinity",
        ),
        (&["ecdh", "--slot", "2", "--peer", "04abcd"], "SEC1"),
        (&["ecdh", "--slot", "2", "--peer", "hello"], "not hex"),
        (
            &["attest", "--nonce", "12", "--out", "ev.json"],
            "must be 32 bytes",
        ),
        (
            &[
                "verify",
                "--evidence",
                "/nonexistent/ev.json",
                "--nonce",
                &d,
            ],
            "cannot read evidence",
        ),
        (
            &["verify", "--evidence", "state.json", "--nonce", &d],
            "not an evidence file",
        ),
        (&["sign", "--slot", "9", "--digest", &d], "slots are 0 to 7"),
        (
            &["keygen", "--slot", "1", "--use", "attest"],
            "invalid value",
        ),
        (&["--device", "usb", "info"], "not a device"),
        (&["frobnicate"], "unrecognized subcommand"),
        (
            &["--device", "/dev/spidev9.9", "info"],
            "cannot open /dev/spidev9.9",
        ),
        (&["--spi-hz", "0", "info"], "invalid value"),
        (
            &["attest", "--nonce", &d, "--out", "/nonexistent/ev.json"],
            "is not a directory",
        ),
        (&["attest", "--nonce", &d, "--out", "."], "is a directory"),
    ];
    for (args, want) in host_side {
        let e = r.fails(args);
        assert!(e.contains(want), "scu {args:?}: {e:?} lacks {want:?}");
        assert!(e.matches("os error").count() <= 1, "scu {args:?}: {e:?}");
        assert_eq!(
            std::fs::read(&state).expect("state"),
            before,
            "scu {args:?} changed the state file"
        );
    }

    // Refused by the SCU, or by the CLI's checks on what the SCU holds: no
    // key changes (the random source may move on).
    let mut off = hex::decode(r.ok(&["pubkey", "--slot", "1"]).trim()).expect("hex");
    off[64] ^= 1;
    let off = hex::encode(&off);
    let p = format!(
        "04ffffffff00000001000000000000000000000000ffffffffffffffffffffffff{}",
        hex32(1)
    );
    let device_side: &[(&[&str], &str)] = &[
        (
            &["ecdh", "--slot", "2", "--peer", &off],
            "not a valid P-256 point",
        ),
        (
            &["ecdh", "--slot", "2", "--peer", &p],
            "not a valid P-256 point",
        ),
        (&["keygen", "--slot", "1"], "already holds a key"),
        (
            &["import", "--slot", "2", "--key", &good_key],
            "already holds a key",
        ),
        (&["keygen", "--slot", "3", "--replace"], "locked"),
        (
            &["import", "--slot", "3", "--key", &good_key, "--replace"],
            "locked",
        ),
        (&["keygen", "--slot", "0", "--replace"], "locked"),
        (
            &["sign", "--slot", "2", "--digest", &d],
            "policy does not allow",
        ),
        (
            &["ecdh", "--slot", "1", "--peer", &off],
            "policy does not allow",
        ),
        (
            &["sign", "--slot", "0", "--digest", &d],
            "policy does not allow",
        ),
        (&["sign", "--slot", "5", "--digest", &d], "holds no key"),
        (
            &["import", "--slot", "4", "--key", &"ff".repeat(32)],
            "not in [1, n-1]",
        ),
        (&["--lanes", "8", "info"], "L=1 build"),
    ];
    for (args, want) in device_side {
        let e = r.fails(args);
        assert!(e.contains(want), "scu {args:?}: {e:?} lacks {want:?}");
        assert_eq!(
            stored_slots(&state),
            slots,
            "scu {args:?} changed a stored key"
        );
    }
    // The device still serves.
    r.ok(&["sign", "--slot", "1", "--digest", &d]);
}

#[test]
fn keys_persist_between_runs_privately() {
    let r = Run::new();
    let k = r.ok(&["keygen", "--slot", "4"]);
    let q = k
        .lines()
        .find_map(|l| l.strip_prefix("public key "))
        .expect("public key line")
        .to_string();
    assert_eq!(r.ok(&["pubkey", "--slot", "4"]).trim(), q);
    let id1 = r.ok(&["info"]);
    assert_eq!(
        r.ok(&["info"]).lines().nth(1),
        id1.lines().nth(1),
        "the same device id"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(r.state())
            .expect("state")
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o077,
            0,
            "the state file holds private keys: owner only"
        );
    }
    // The counter survives too.
    r.ok(&["attest", "--nonce", &hex32(1), "--out", "a.json"]);
    r.ok(&["attest", "--nonce", &hex32(2), "--out", "b.json"]);
    let j: serde_json::Value =
        serde_json::from_str(r.ok(&["--json", "info"]).trim()).expect("json");
    assert_eq!(j["counter"], 2);
    // Private keys never appear in output.
    let key = hex32(0x33);
    let outs = [
        r.ok(&["import", "--slot", "5", "--key", &key]),
        r.ok(&["--json", "pubkey", "--slot", "5"]),
    ];
    for o in outs {
        assert!(!o.contains(&key), "a private key was printed");
    }
}

#[test]
fn a_damaged_state_file_is_refused_and_kept() {
    let r = Run::new();
    let p = r.write("state.json", b"{\"format\": \"something else\"}");
    let e = r.fails(&["info"]);
    assert!(
        e.contains("not usable") && e.contains("move it away"),
        "{e}"
    );
    assert_eq!(
        std::fs::read(&p).expect("kept"),
        b"{\"format\": \"something else\"}"
    );
}

#[test]
fn json_errors_and_bench() {
    let r = Run::new();
    let o = r.scu(&["--json", "sign", "--slot", "1", "--digest", "00"]);
    let e: serde_json::Value = serde_json::from_slice(&o.stderr).expect("a JSON error line");
    assert!(e["error"].as_str().expect("message").contains("32 bytes"));
    let b: serde_json::Value =
        serde_json::from_str(r.ok(&["--json", "bench"]).trim()).expect("json");
    let cmds = b["commands"].as_array().expect("commands");
    assert_eq!(cmds.len(), 9);
    for c in cmds {
        assert!(c["cycles_l8"].as_u64() <= c["cycles_l1"].as_u64(), "{c}");
    }
}

#[cfg(feature = "rtl")]
#[test]
fn the_rtl_device_keeps_its_keys_between_runs() {
    let r = Run::new();
    let rtl = ["--device", "rtl", "--lanes", "8"];
    let k = r.ok(&[&rtl[..], &["keygen", "--slot", "1", "--use", "sign"]].concat());
    let q = k
        .lines()
        .find_map(|l| l.strip_prefix("public key "))
        .expect("public key line")
        .to_string();
    assert_eq!(
        r.ok(&[&rtl[..], &["pubkey", "--slot", "1"]].concat())
            .trim(),
        q
    );
    let pem = r.ok(&[&rtl[..], &["pubkey", "--slot", "1", "--format", "pem"]].concat());
    r.write("pub.pem", pem.as_bytes());
    let msg = r.write("m.txt", b"signed on the RTL");
    let der = r.ok(&[
        &rtl[..],
        &[
            "sign",
            "--slot",
            "1",
            "--file",
            msg.to_str().expect("utf-8"),
        ],
    ]
    .concat());
    r.write("sig.der", &hex::decode(der.trim()).expect("hex"));
    let o = r.openssl(&[
        "dgst",
        "-sha256",
        "-verify",
        "pub.pem",
        "-signature",
        "sig.der",
        "m.txt",
    ]);
    assert!(
        o.status.success(),
        "openssl: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let e = r.fails(&["--lanes", "8", "info"]);
    assert!(e.contains("belongs to the rtl device"), "{e}");
}

#[test]
fn a_reader_that_goes_away_is_an_error_not_a_crash_and_the_key_is_kept() {
    let r = Run::new();
    let mut child = r
        .command(&["keygen", "--slot", "3"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("runs scu");
    // Close the reading end before scu writes (`scu keygen | head -c 0`).
    drop(child.stdout.take());
    let o = child.wait_with_output().expect("exits");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("the command completed, but its output could not be written"),
        "{err}"
    );
    assert!(
        !err.contains("internal error") && !err.contains("panicked"),
        "{err}"
    );
    // The key made before the output failed is stored.
    let pk = r.ok(&["pubkey", "--slot", "3"]);
    assert!(
        pk.trim().starts_with("04") && pk.trim().len() == 130,
        "{pk}"
    );
}
