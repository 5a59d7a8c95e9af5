//! The engine's operations as a host uses them: load inputs, run a routine
//! on the instruction-set simulator, decode the error register, read
//! outputs. Every other backend (rust-hdl, Verilator, the device) is checked
//! against these.

use crate::asm::Program;
use crate::isa::{err, reg, Reg};
use crate::iss::{Engine, RunSummary};
use crate::ladder::{Affine, Product};
use crate::microcode::{self, Routine};
use crate::timing::Lanes;
use crate::trace::TraceEvent;
use crate::words::U256;
use core::fmt;

/// The assembled microcode with its entry points.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Firmware {
    program: Program,
}

impl Firmware {
    /// Assembles the microcode. Panics only if the built-in program is
    /// malformed, which the tests rule out.
    pub fn new() -> Firmware {
        Firmware {
            program: microcode::build().expect("built-in microcode assembles"),
        }
    }

    /// The ROM words.
    pub fn rom(&self) -> &[u32] {
        &self.program.words
    }

    /// The assembled program.
    pub fn program(&self) -> &Program {
        &self.program
    }

    /// The entry address of a routine.
    pub fn entry(&self, r: Routine) -> u16 {
        self.program
            .label(r.label())
            .expect("every routine has a label")
    }
}

impl Default for Firmware {
    fn default() -> Self {
        Firmware::new()
    }
}

/// The firmware, assembled once.
#[cfg(feature = "std")]
pub fn firmware() -> &'static Firmware {
    static FW: std::sync::OnceLock<Firmware> = std::sync::OnceLock::new();
    FW.get_or_init(Firmware::new)
}

/// Why an engine result may not be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EngineError {
    /// The microcode hit an undefined instruction or a stack error.
    Illegal,
    /// The input point is not a valid curve point.
    InvalidPoint,
    /// A private key or nonce is not in [1, n - 1].
    InvalidScalar,
    /// The result is the point at infinity.
    Identity,
    /// The result failed its on-curve check.
    Fault,
    /// ECDSA hit r = 0 or s = 0; sign again with another nonce.
    Retry,
    /// The program did not halt.
    NoHalt,
}

impl EngineError {
    /// The most significant error in an error register, or none.
    pub fn from_err_bits(e: u8) -> Option<EngineError> {
        let has = |b: u8| e & (1 << b) != 0;
        if has(err::ILLEGAL) {
            Some(EngineError::Illegal)
        } else if has(err::POINT) {
            Some(EngineError::InvalidPoint)
        } else if has(err::SCALAR) {
            Some(EngineError::InvalidScalar)
        } else if has(err::IDENTITY) {
            Some(EngineError::Identity)
        } else if has(err::FAULT) {
            Some(EngineError::Fault)
        } else if has(err::RETRY) {
            Some(EngineError::Retry)
        } else {
            None
        }
    }
}

impl fmt::Display for EngineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EngineError::Illegal => "engine stopped on an illegal instruction",
            EngineError::InvalidPoint => "the point is not a valid P-256 point",
            EngineError::InvalidScalar => "the scalar is not in [1, n-1]",
            EngineError::Identity => "the result is the point at infinity",
            EngineError::Fault => "the result failed its integrity check",
            EngineError::Retry => "the signature nonce gave r = 0 or s = 0",
            EngineError::NoHalt => "the engine did not halt",
        })
    }
}

/// One routine's outcome and cost.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Run<T> {
    /// The result, or why it may not be used.
    pub result: Result<T, EngineError>,
    /// Cycles the engine spent.
    pub cycles: u64,
    /// Micro-instructions retired.
    pub retired: u64,
}

/// Inputs of a routine, by register.
pub type Inputs<'a> = &'a [(Reg, U256)];

/// Loads inputs, runs a routine and reports each retired instruction.
pub fn run_routine(
    engine: &mut Engine,
    fw: &Firmware,
    routine: Routine,
    inputs: Inputs<'_>,
    on_retire: impl FnMut(&TraceEvent),
) -> Result<RunSummary, EngineError> {
    for &(r, v) in inputs {
        engine
            .load(r, v)
            .expect("routine inputs are variable registers");
    }
    engine
        .run(fw.rom(), fw.entry(routine), on_retire)
        .map_err(|_| EngineError::NoHalt)
}

/// The register inputs of each routine.
pub mod inputs {
    use super::*;

    /// `scalar_mult`: k and P.
    pub fn scalar_mult(k: &U256, p: &Affine) -> [(Reg, U256); 3] {
        [(reg::K, *k), (reg::XP, p.x), (reg::YP, p.y)]
    }
    /// `keygen`: d.
    pub fn keygen(d: &U256) -> [(Reg, U256); 1] {
        [(reg::D, *d)]
    }
    /// `ecdh`: d and the peer's point.
    pub fn ecdh(d: &U256, peer: &Affine) -> [(Reg, U256); 3] {
        [(reg::D, *d), (reg::XP, peer.x), (reg::YP, peer.y)]
    }
    /// `sign`: d, nonce k and digest e.
    pub fn sign(d: &U256, k: &U256, e: &U256) -> [(Reg, U256); 3] {
        [(reg::D, *d), (reg::NONCE, *k), (reg::DIGEST, *e)]
    }
}

fn finish<T>(
    engine: &Engine,
    summary: Result<RunSummary, EngineError>,
    read: impl FnOnce(&Engine) -> T,
) -> Run<T> {
    match summary {
        Err(e) => Run {
            result: Err(e),
            cycles: 0,
            retired: 0,
        },
        Ok(s) => Run {
            result: match EngineError::from_err_bits(s.err) {
                Some(e) => Err(e),
                None => Ok(read(engine)),
            },
            cycles: s.cycles,
            retired: s.retired,
        },
    }
}

fn out_point(e: &Engine) -> Affine {
    Affine {
        x: e.read(reg::OUT0).expect("output register"),
        y: e.read(reg::OUT1).expect("output register"),
    }
}

/// Runs a routine on a fresh engine and decodes the point it outputs.
fn point_routine(fw: &Firmware, lanes: Lanes, routine: Routine, inputs: Inputs<'_>) -> Run<Affine> {
    let mut e = Engine::new(lanes);
    let s = run_routine(&mut e, fw, routine, inputs, |_| {});
    finish(&e, s, out_point)
}

/// kP for any 256-bit k and an affine P.
pub fn scalar_mult(fw: &Firmware, lanes: Lanes, k: &U256, p: &Affine) -> Run<Product> {
    let r = point_routine(fw, lanes, Routine::ScalarMult, &inputs::scalar_mult(k, p));
    let result = match r.result {
        Err(EngineError::Identity) => Ok(Product::Identity),
        res => res.map(Product::Point),
    };
    Run {
        result,
        cycles: r.cycles,
        retired: r.retired,
    }
}

/// The public key dG of a private key d in [1, n - 1].
pub fn keygen(fw: &Firmware, lanes: Lanes, d: &U256) -> Run<Affine> {
    point_routine(fw, lanes, Routine::Keygen, &inputs::keygen(d))
}

/// The ECDH point dP for a validated peer point P.
pub fn ecdh(fw: &Firmware, lanes: Lanes, d: &U256, peer: &Affine) -> Run<Affine> {
    point_routine(fw, lanes, Routine::Ecdh, &inputs::ecdh(d, peer))
}

/// An ECDSA signature (r, s) of the digest e with nonce k.
pub fn sign(fw: &Firmware, lanes: Lanes, d: &U256, k: &U256, e: &U256) -> Run<(U256, U256)> {
    let mut eng = Engine::new(lanes);
    let s = run_routine(&mut eng, fw, Routine::Sign, &inputs::sign(d, k, e), |_| {});
    finish(&eng, s, |e| {
        let p = out_point(e);
        (p.x, p.y)
    })
}
