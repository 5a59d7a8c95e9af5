//! Verilog generation. The microcode ROM and the constants come from
//! `scu-model` at generation time, so the Verilog is never out of step with
//! the model.

use crate::config::{EngineL1, EngineL2, EngineL4, EngineL8};
use rust_hdl::prelude::*;
use scu_model::timing::Lanes;

/// Verilog of the engine for `lanes`, running `rom`; the top module is
/// `top`.
pub fn engine_verilog(lanes: Lanes, rom: &[u32]) -> String {
    fn gen<B: Block>(mut uut: B) -> String {
        uut.connect_all();
        generate_verilog(&uut)
    }
    match lanes.get() {
        1 => gen(EngineL1::new(rom)),
        2 => gen(EngineL2::new(rom)),
        4 => gen(EngineL4::new(rom)),
        _ => gen(EngineL8::new(rom)),
    }
}
