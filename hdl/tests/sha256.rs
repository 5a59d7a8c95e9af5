//! The SHA-256 core in rust-hdl's simulator against the `sha2` crate, and
//! its timing against the device model's rule (SHA_COMPRESS_CYCLES a compression,
//! padding one byte a cycle).

use rust_hdl::prelude::*;
use scu_hdl::sha256::Sha256;
use scu_model::device::isa::{sha_padding_len, SHA_COMPRESS_CYCLES, SHA_INIT_CYCLES};
use sha2::Digest;

fn tick(u: &mut Sha256) {
    u.clock.next = Clock { clk: true };
    assert!(simulate(u, 1000));
    u.clock.next = Clock { clk: false };
    assert!(simulate(u, 1000));
}

/// Feeds `msg` one byte a cycle (waiting while busy), finishes, and
/// returns (digest, cycles from the first byte to not busy after finish).
fn hash(u: &mut Sha256, msg: &[u8]) -> ([u8; 32], u64) {
    u.init.next = true;
    tick(u);
    u.init.next = false;
    // The core overwrites H after an init (SHA_INIT_CYCLES - 2 cycles).
    let mut clearing = 0;
    assert!(simulate(u, 1000));
    while u.busy.val() {
        tick(u);
        clearing += 1;
        assert!(simulate(u, 1000));
    }
    assert_eq!(clearing, SHA_INIT_CYCLES - 2);
    let mut cycles = 0;
    let mut i = 0;
    while i < msg.len() {
        assert!(simulate(u, 1000));
        if !u.busy.val() {
            u.wr.next = true;
            u.wdata.next = (msg[i] as u64).into();
            i += 1;
        } else {
            u.wr.next = false;
        }
        tick(u);
        cycles += 1;
    }
    u.wr.next = false;
    assert!(simulate(u, 1000));
    while u.busy.val() {
        tick(u);
        cycles += 1;
    }
    u.finish.next = true;
    tick(u);
    cycles += 1;
    u.finish.next = false;
    assert!(simulate(u, 1000));
    while u.busy.val() {
        tick(u);
        cycles += 1;
    }
    (read_digest(u), cycles)
}

/// Reads the digest a byte a cycle, as the device does.
fn read_digest(u: &mut Sha256) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (k, b) in out.iter_mut().enumerate() {
        u.rd_addr.next = (k as u64).into();
        tick(u);
        assert!(simulate(u, 1000));
        *b = u.rd_data.val().to_u8();
    }
    out
}

#[test]
fn digests_and_timing_match() {
    let mut u = Sha256::default();
    u.connect_all();
    check_all(&u).expect("design check");
    for len in [0usize, 3, 55, 56, 63, 64, 65, 119, 168] {
        let msg: Vec<u8> = (0..len).map(|i| (i * 13 + 5) as u8).collect();
        let (d, cycles) = hash(&mut u, &msg);
        assert_eq!(&d[..], &sha2::Sha256::digest(&msg)[..], "len {len}");
        let pad = sha_padding_len(len as u64);
        let blocks = (len as u64 + pad) / 64;
        assert_eq!(
            cycles,
            len as u64 + pad + SHA_COMPRESS_CYCLES * blocks,
            "len {len}"
        );
    }
}

/// Without an `init`, the core hashes from the IV (as the device model's unit
/// does from power-on).
#[test]
fn power_on_state_is_the_iv() {
    let mut u = Sha256::default();
    u.connect_all();
    let msg = b"abc";
    tick(&mut u);
    assert!(simulate(&mut u, 1000));
    while u.busy.val() {
        tick(&mut u);
        assert!(simulate(&mut u, 1000));
    }
    for &b in msg {
        u.wr.next = true;
        u.wdata.next = (b as u64).into();
        tick(&mut u);
    }
    u.wr.next = false;
    u.finish.next = true;
    tick(&mut u);
    u.finish.next = false;
    assert!(simulate(&mut u, 1000));
    while u.busy.val() {
        tick(&mut u);
    }
    assert_eq!(&read_digest(&mut u)[..], &sha2::Sha256::digest(msg)[..]);
}

#[test]
fn verilog_passes_yosys() {
    if std::process::Command::new("yosys")
        .arg("-V")
        .output()
        .is_err()
    {
        assert!(
            std::env::var_os("SCU_REQUIRE_TOOLS").is_none(),
            "yosys is required but missing"
        );
        return;
    }
    let mut u = Sha256::default();
    u.connect_all();
    yosys_validate("scu_sha256", &generate_verilog(&u)).expect("yosys accepts the SHA-256 core");
}
