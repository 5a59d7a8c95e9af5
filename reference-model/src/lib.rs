//! `scu-model`: the golden model of the SCU and the single definition of
//! everything the hardware, simulator and driver share.
//!
//! Levels, from the bottom up:
//! * [`words`], [`consts`], [`field`]: P-256 arithmetic on 16-bit words in
//!   Montgomery form, bit-exact with the field arithmetic unit;
//! * [`ladder`]: the scalar-multiplication algorithm at field-operation level;
//! * [`isa`], [`timing`], [`trace`]: the engine's micro-instructions, their
//!   encoding, their cycle counts for L multiplier lanes, and the trace every
//!   implementation emits;
//! * `asm`, `microcode`, `iss`, `ops` (with `alloc`): the assembler, the
//!   programs, the instruction-set simulator that predicts every retired
//!   micro-instruction and its cycle, and the routines as a host runs them.
#![cfg_attr(not(feature = "std"), no_std)]

#[cfg(feature = "alloc")]
extern crate alloc;

pub mod consts;
pub mod countermeasures;
#[cfg(feature = "device")]
pub mod device;
pub mod field;
pub mod isa;
pub mod ladder;
pub mod protocol;
pub mod timing;
pub mod trace;
pub mod words;

#[cfg(feature = "alloc")]
pub mod asm;
#[cfg(feature = "alloc")]
pub mod backend;
#[cfg(feature = "alloc")]
pub mod iss;
#[cfg(feature = "alloc")]
pub mod microcode;
#[cfg(feature = "alloc")]
pub mod ops;
#[cfg(feature = "reference")]
pub mod reference;

pub use words::U256;
