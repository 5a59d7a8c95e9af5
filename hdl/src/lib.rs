//! `scu-hdl`: the SCU engine in Rust-HDL.
//!
//! * [`engine::Engine`] is the whole scalar-multiplication engine (one
//!   source, any of L = 1, 2, 4, 8 lanes via [`config`]);
//! * [`lane`], [`rowalu`], [`digest`], [`regfile`] are its building blocks;
//!   [`ram`] is the SCU's memory, [`rom`] its read-enabled ROM and [`keep`]
//!   a wire synthesis keeps;
//! * [`verilog`] writes the Verilog; [`sim`] runs the engine in rust-hdl's
//!   own simulator behind the [`scu_model::backend::EngineBackend`] trait,
//!   the same trait the Verilator build implements, through the pin-level
//!   [`harness`].

pub mod config;
pub mod crc16;
pub mod device;
pub mod device_harness;
pub mod digest;
pub mod engine;
pub mod harness;
pub mod health;
pub mod keep;
pub mod lane;
pub mod ram;
pub mod regfile;
pub mod rom;
pub mod rowalu;
pub mod scu;
pub mod sha256;
pub mod sim;
pub mod spi;
pub mod verilog;
