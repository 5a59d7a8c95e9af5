//! Whole microcode routines in rust-hdl's simulator, held to the model
//! trace entry by entry (about 10 000 entries each). rust-hdl simulates
//! the engine at roughly 10-25 k cycles/s, so one routine per build runs
//! here; the Verilator tests in `sim/` cover many scalars.

use scu_hdl::sim::HdlPins;
use scu_model::backend::run_lockstep;
use scu_model::isa::reg;
use scu_model::ladder::Affine;
use scu_model::microcode::Routine;
use scu_model::ops::{firmware, inputs};
use scu_model::U256;

#[test]
fn scalar_mult_l8_in_lockstep() {
    let fw = firmware();
    let g = Affine {
        x: scu_model::consts::GX,
        y: scu_model::consts::GY,
    };
    let k = U256::from_be_hex("c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721");
    let mut sim = HdlPins::<8, 128, 152, 8, 128, 132, 6>::build(fw.rom()).expect("builds");
    let r = run_lockstep(
        &mut sim,
        fw.rom(),
        fw.entry(Routine::ScalarMult),
        &inputs::scalar_mult(&k, &g),
        &[reg::OUT0, reg::OUT1],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.err, 0);
    assert!(r.entries > 9000);
}

#[test]
fn ecdh_l1_in_lockstep() {
    let fw = firmware();
    // The peer point is 2G.
    let peer = Affine {
        x: U256::from_be_hex("7cf27b188d034f7e8a52380304b51ac3c08969e277f21b35a60b48fc47669978"),
        y: U256::from_be_hex("07775510db8ed040293d9ac69f7430dbba7dade63ce982299e04b79d227873d1"),
    };
    let d = U256::from_be_hex("0f56db78ca460b055c500064824bed999a25aaf48ebb519ac201537b85479813");
    let mut sim = HdlPins::<1, 16, 40, 1, 16, 20, 9>::build(fw.rom()).expect("builds");
    let r = run_lockstep(
        &mut sim,
        fw.rom(),
        fw.entry(Routine::Ecdh),
        &inputs::ecdh(&d, &peer),
        &[reg::OUT0, reg::OUT1],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.err, 0);
}
