//! Verilog generation. The microcode ROM and the constants come from
//! `scu-model` at generation time, so the Verilog is never out of step with
//! the model.

use crate::config::{EngineL1, EngineL2, EngineL4, EngineL8};
use crate::scu::{ScuBoard, ScuSim};
use rust_hdl::prelude::*;
use scu_model::device::DeviceImage;
use scu_model::timing::Lanes;

/// Verilog of the engine for `lanes`, running `rom`; the top module is
/// `top`.
pub fn engine_verilog(lanes: Lanes, rom: &[u32]) -> String {
    match lanes.get() {
        1 => gen(EngineL1::new(rom)),
        2 => gen(EngineL2::new(rom)),
        4 => gen(EngineL4::new(rom)),
        _ => gen(EngineL8::new(rom)),
    }
}

fn gen<B: Block>(mut uut: B) -> String {
    uut.connect_all();
    generate_verilog(&uut)
}

/// Verilog of the board SCU (device, engine; the raw random bit from the
/// `entropy` port) built from a ring-oscillator `image`; the top module is
/// `top`.
pub fn scu_board_verilog(image: &DeviceImage) -> String {
    match image.lanes.get() {
        1 => gen(ScuBoard::<1, 16, 40, 1, 16, 20, 9>::new(image)),
        2 => gen(ScuBoard::<2, 32, 56, 2, 32, 36, 8>::new(image)),
        4 => gen(ScuBoard::<4, 64, 88, 4, 64, 68, 7>::new(image)),
        _ => gen(ScuBoard::<8, 128, 152, 8, 128, 132, 6>::new(image)),
    }
}

/// Verilog of the simulated SCU (device, engine, LFSR source) built from
/// `image`; the top module is `top`.
pub fn scu_verilog(image: &DeviceImage) -> String {
    match image.lanes.get() {
        1 => gen(ScuSim::<1, 16, 40, 1, 16, 20, 9>::new(image)),
        2 => gen(ScuSim::<2, 32, 56, 2, 32, 36, 8>::new(image)),
        4 => gen(ScuSim::<4, 64, 88, 4, 64, 68, 7>::new(image)),
        _ => gen(ScuSim::<8, 128, 152, 8, 128, 132, 6>::new(image)),
    }
}
