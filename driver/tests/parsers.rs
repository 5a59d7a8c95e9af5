//! Fuzzing of the files a user or an attacker can hand the host side: the
//! connector's configuration (TOML), the trust store, a simulated device's
//! state file and identity keys (PEM or hex). Arbitrary input and valid
//! files with random edits are either accepted or refused with an error;
//! none may panic.
#![cfg(feature = "cli")]

mod common;

use proptest::prelude::*;
use scu_driver::link::trust::parse_identity;
use scu_driver::link::{Config, TrustStore};
use scu_driver::state::SimState;

const CONFIG: &str = r#"
[trust]
store = "peers.json"
reference = "ref.json"
[scu]
link_slot = 1
[[listen]]
bind = "127.0.0.1:7000"
forward = "127.0.0.1:9"
[[connect]]
bind = "127.0.0.1:7001"
peer = "plc-7.local:7000"
[limits]
rekey_records = 65536
[log]
path = "-"
"#;

/// An identity key's SPKI PEM (a key of our choosing).
fn pem() -> String {
    let sk = p256::SecretKey::from_bytes(&[3u8; 32].into()).expect("scalar");
    scu_driver::evidence::public_key_pem(&common::driver_key(&sk.public_key())).expect("pem")
}

/// A valid trust store and state file, made by the code that writes them.
fn valid_store_and_state() -> &'static (Vec<u8>, Vec<u8>) {
    static FILES: std::sync::OnceLock<(Vec<u8>, Vec<u8>)> = std::sync::OnceLock::new();
    FILES.get_or_init(make_store_and_state)
}

fn make_store_and_state() -> (Vec<u8>, Vec<u8>) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let store = dir.join("peers.json");
    TrustStore::update(&store, |s| {
        s.add("plc-7", &parse_identity(&pem()).expect("pem"), None)
    })
    .expect("store");
    let state = dir.join("state.json");
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_scu"));
    let o = cmd
        .args(["--state", state.to_str().expect("utf-8"), "info"])
        .output()
        .expect("scu runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    (
        std::fs::read(&store).expect("store"),
        std::fs::read(&state).expect("state"),
    )
}

/// `text` with `len` bytes from `at` (taken modulo its length) replaced by `with`.
fn edit(text: &[u8], at: usize, len: usize, with: &[u8]) -> Vec<u8> {
    let at = at % (text.len() + 1);
    let end = (at + len).min(text.len());
    let mut o = text[..at].to_vec();
    o.extend_from_slice(with);
    o.extend_from_slice(&text[end..]);
    o
}

fn load_both(dir: &std::path::Path, bytes: &[u8]) {
    let p = dir.join("fuzzed.json");
    std::fs::write(&p, bytes).expect("write");
    let _ = TrustStore::load(&p, false);
    let _ = SimState::load(&p);
}

#[test]
fn the_valid_files_parse() {
    Config::parse(CONFIG).expect("the configuration parses");
    parse_identity(&pem()).expect("the PEM parses");
    let dir = tempfile::tempdir().expect("tempdir");
    let (store, state) = valid_store_and_state();
    let p = dir.path().join("x.json");
    std::fs::write(&p, store).expect("write");
    assert_eq!(TrustStore::load(&p, false).expect("store").peers.len(), 1);
    std::fs::write(&p, state).expect("write");
    assert!(SimState::load(&p).expect("state").is_some());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn arbitrary_configurations_never_panic(text in any::<String>()) {
        let _ = Config::parse(&text);
    }

    #[test]
    fn edited_configurations_never_panic(
        at in any::<usize>(),
        len in 0usize..40,
        with in "[\\[\\]=\"'a-z0-9_.:\\n #\u{e9}\u{1f600}-]{0,30}",
    ) {
        let t = edit(CONFIG.as_bytes(), at, len, with.as_bytes());
        if let Ok(text) = String::from_utf8(t) {
            let _ = Config::parse(&text);
        }
    }

    #[test]
    fn arbitrary_identities_never_panic(text in any::<String>(), at in any::<usize>(), with in any::<String>()) {
        let _ = parse_identity(&text);
        if let Ok(t) = String::from_utf8(edit(pem().as_bytes(), at, with.len(), with.as_bytes())) {
            let _ = parse_identity(&t);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn arbitrary_and_edited_store_and_state_files_never_panic(
        raw in proptest::collection::vec(any::<u8>(), 0..400),
        at in any::<usize>(),
        len in 0usize..20,
        with in "[\\[\\]{}\",:0-9a-f\\-truefalsn ]{0,24}",
    ) {
        let dir = tempfile::tempdir().expect("tempdir");
        let (store, state) = valid_store_and_state();
        load_both(dir.path(), &raw);
        load_both(dir.path(), &edit(store, at, len, with.as_bytes()));
        load_both(dir.path(), &edit(state, at, len, with.as_bytes()));
    }
}
