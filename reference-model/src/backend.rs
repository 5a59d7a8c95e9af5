//! Engine implementations behind one interface, and the lockstep run that
//! holds any of them to the instruction-set simulator.
//!
//! The ISS itself, rust-hdl's simulation (`scu-hdl`) and the Verilator build
//! (`scu-sim`) implement [`EngineBackend`]; [`run_lockstep`] runs a routine on
//! the model and on a backend and compares every retired instruction, the
//! total cycle count and the outputs.

use crate::isa::Reg;
use crate::iss::{Engine, RunSummary};
use crate::timing::Lanes;
use crate::trace::{Lockstep, Mismatch, TraceEvent};
use crate::words::U256;
use alloc::vec::Vec;
use core::fmt;

/// An engine that runs microcode routines.
pub trait EngineBackend {
    /// What can go wrong talking to it.
    type Error: fmt::Debug + fmt::Display;

    /// Its lane count.
    fn lanes(&self) -> Lanes;

    /// Writes a variable register (the engine must be idle).
    fn load(&mut self, r: Reg, v: &U256) -> Result<(), Self::Error>;

    /// Reads a register (the engine must be idle).
    fn read(&mut self, r: Reg) -> Result<U256, Self::Error>;

    /// Runs from `entry` to HALT. `on_retire` sees every retired
    /// instruction and returns false to stop the run early.
    fn run(
        &mut self,
        entry: u16,
        on_retire: &mut dyn FnMut(&TraceEvent) -> bool,
    ) -> Result<RunSummary, Self::Error>;
}

/// The instruction-set simulator as a backend.
pub struct ModelBackend {
    engine: Engine,
    rom: Vec<u32>,
}

impl ModelBackend {
    /// A model engine running `rom`.
    pub fn new(lanes: Lanes, rom: &[u32]) -> ModelBackend {
        ModelBackend {
            engine: Engine::new(lanes),
            rom: rom.to_vec(),
        }
    }
}

/// Errors of the model backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModelError {
    /// A refused register access.
    Register(crate::iss::RegisterError),
    /// The routine did not halt.
    NoHalt,
}

impl fmt::Display for ModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ModelError::Register(e) => write!(f, "{e}"),
            ModelError::NoHalt => write!(f, "the routine did not halt"),
        }
    }
}

impl EngineBackend for ModelBackend {
    type Error = ModelError;

    fn lanes(&self) -> Lanes {
        self.engine.lanes()
    }

    fn load(&mut self, r: Reg, v: &U256) -> Result<(), ModelError> {
        self.engine.load(r, *v).map_err(ModelError::Register)
    }

    fn read(&mut self, r: Reg) -> Result<U256, ModelError> {
        self.engine.read(r).map_err(ModelError::Register)
    }

    fn run(
        &mut self,
        entry: u16,
        on_retire: &mut dyn FnMut(&TraceEvent) -> bool,
    ) -> Result<RunSummary, ModelError> {
        self.engine
            .run(&self.rom, entry, |e| {
                on_retire(e);
            })
            .map_err(|_| ModelError::NoHalt)
    }
}

/// Why a lockstep run failed.
#[derive(Debug)]
pub enum LockstepError<E> {
    /// The backend failed.
    Backend(E),
    /// The model itself did not halt.
    ModelNoHalt,
    /// The traces differ (the first difference).
    Trace(Mismatch),
    /// The error registers differ.
    ErrRegister {
        /// The model's.
        expected: u8,
        /// The backend's.
        got: u8,
    },
    /// An output register differs.
    Output {
        /// The register.
        reg: Reg,
        /// The model's value.
        expected: U256,
        /// The backend's value.
        got: U256,
    },
}

impl<E: fmt::Display> fmt::Display for LockstepError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LockstepError::Backend(e) => write!(f, "backend: {e}"),
            LockstepError::ModelNoHalt => write!(f, "the model did not halt"),
            LockstepError::Trace(m) => write!(f, "{m}"),
            LockstepError::ErrRegister { expected, got } => {
                write!(
                    f,
                    "error register: expected {expected:#04x}, got {got:#04x}"
                )
            }
            LockstepError::Output { reg, expected, got } => {
                write!(f, "r{}: expected {expected}, got {got}", reg.0)
            }
        }
    }
}

/// What a lockstep run covered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LockstepReport {
    /// Trace entries compared.
    pub entries: usize,
    /// Total cycles (equal on both sides).
    pub cycles: u64,
    /// The error register (equal on both sides).
    pub err: u8,
}

/// Runs a routine on the model and on `backend` with the same inputs, and
/// compares every retired instruction, the cycle total, the error register
/// and the `outputs` registers. The backend must run the same `rom`.
pub fn run_lockstep<B: EngineBackend>(
    backend: &mut B,
    rom: &[u32],
    entry: u16,
    inputs: &[(Reg, U256)],
    outputs: &[Reg],
) -> Result<LockstepReport, LockstepError<B::Error>> {
    let mut model = Engine::new(backend.lanes());
    let mut expected = Vec::new();
    for &(r, v) in inputs {
        model.load(r, v).map_err(|_| LockstepError::ModelNoHalt)?;
    }
    let want = model
        .run(rom, entry, |e| expected.push(*e))
        .map_err(|_| LockstepError::ModelNoHalt)?;

    for &(r, v) in inputs {
        backend.load(r, &v).map_err(LockstepError::Backend)?;
    }
    let mut checker = Lockstep::new(&expected);
    let mut first: Option<Mismatch> = None;
    let got = backend
        .run(entry, &mut |e| match checker.check(e) {
            Ok(()) => true,
            Err(m) => {
                first = Some(m);
                false
            }
        })
        .map_err(LockstepError::Backend)?;
    if let Some(m) = first {
        return Err(LockstepError::Trace(m));
    }
    let entries = checker.checked();
    checker
        .finish(want.cycles, got.cycles)
        .map_err(LockstepError::Trace)?;
    if want.err != got.err {
        return Err(LockstepError::ErrRegister {
            expected: want.err,
            got: got.err,
        });
    }
    for &r in outputs {
        let e = model.read(r).map_err(|_| LockstepError::ModelNoHalt)?;
        let g = backend.read(r).map_err(LockstepError::Backend)?;
        if e != g {
            return Err(LockstepError::Output {
                reg: r,
                expected: e,
                got: g,
            });
        }
    }
    Ok(LockstepReport {
        entries,
        cycles: want.cycles,
        err: want.err,
    })
}
