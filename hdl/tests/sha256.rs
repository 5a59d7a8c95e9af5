//! The SHA-256 core in rust-hdl's simulator against the `sha2` crate, and
//! its timing against the device model's rule (SHA_COMPRESS_CYCLES a compression,
//! padding one byte a cycle).

mod common;

use rust_hdl::prelude::*;
use scu_hdl::sha256::Sha256;
use scu_model::device::isa::{sha_padding_len, SHA_COMPRESS_CYCLES, SHA_INIT_CYCLES};
use sha2::Digest;

/// Hashes `msg` from an `init` and returns (digest, cycles from the first
/// byte to not busy after finish).
fn hash(u: &mut Sha256, msg: &[u8]) -> ([u8; 32], u64) {
    u.sim_init();
    // The core overwrites H after an init (SHA_INIT_CYCLES - 2 cycles).
    assert_eq!(u.sim_wait_idle(), SHA_INIT_CYCLES - 2);
    let mut cycles = u.sim_feed(msg) + u.sim_wait_idle();
    u.sim_finish();
    cycles += 1 + u.sim_wait_idle();
    (u.sim_read_digest(), cycles)
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
    u.sim_tick();
    u.sim_wait_idle();
    u.sim_feed(msg);
    u.sim_finish();
    u.sim_wait_idle();
    assert_eq!(&u.sim_read_digest()[..], &sha2::Sha256::digest(msg)[..]);
}

#[test]
fn verilog_passes_yosys() {
    if !common::yosys_present() {
        return;
    }
    let mut u = Sha256::default();
    u.connect_all();
    yosys_validate("scu_sha256", &generate_verilog(&u)).expect("yosys accepts the SHA-256 core");
}
