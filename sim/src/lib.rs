//! `scu-sim`: the engine's generated Verilog under Verilator, driven from
//! Rust through the same pin-level harness as rust-hdl's simulation
//! ([`scu_hdl::harness`]).
//!
//! `build.rs` generates the Verilog for the tiny (L = 1) and fast (L = 8)
//! builds from `scu-hdl` and `scu-model`, verilates it and links it in.
//! [`RtlEngine::new`] gives an [`scu_model::backend::EngineBackend`], so the
//! lockstep check, the tests and (later) the driver use the RTL like any
//! other backend.

use scu_hdl::harness::{EnginePins, Harness, PinsIn, PinsOut};
use scu_model::timing::Lanes;
use std::fmt;

mod ffi;

/// A lane count without a Verilated build.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotBuilt(pub Lanes);

impl fmt::Display for NotBuilt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "no Verilator build for {} (built: L=1, L=8)", self.0)
    }
}

impl std::error::Error for NotBuilt {}

/// Verilator never fails a cycle; the type exists for the harness.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Never {}

impl fmt::Display for Never {
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {}
    }
}

/// One Verilated engine instance.
pub struct RtlPins {
    model: ffi::Model,
    lanes: Lanes,
    cycles: u64,
}

/// A Verilated engine behind the shared harness: an `EngineBackend`.
pub type RtlEngine = Harness<RtlPins>;

impl RtlPins {
    /// A fresh engine (register file holding only the constants) for `lanes`.
    pub fn build(lanes: Lanes) -> Result<RtlEngine, NotBuilt> {
        let model = ffi::Model::new(lanes).ok_or(NotBuilt(lanes))?;
        Ok(Harness::new(RtlPins {
            model,
            lanes,
            cycles: 0,
        }))
    }

    /// Clock cycles simulated since construction.
    pub fn cycles(&self) -> u64 {
        self.cycles
    }
}

impl EnginePins for RtlPins {
    type Error = Never;

    fn lanes(&self) -> Lanes {
        self.lanes
    }

    fn set(&mut self, p: &PinsIn) {
        let mut wdata = [0u32; 4];
        for (i, w) in wdata.iter_mut().enumerate() {
            *w = p.host_wdata[2 * i] as u32 | (p.host_wdata[2 * i + 1] as u32) << 16;
        }
        self.model.set(&ffi::ScuIn {
            host_wdata: wdata,
            entry: p.entry,
            host_addr: p.host_addr,
            rst: p.rst as u8,
            start: p.start as u8,
            host_we: p.host_we as u8,
        });
    }

    fn tick(&mut self) -> Result<(), Never> {
        self.model.tick();
        self.cycles += 1;
        Ok(())
    }

    fn get(&self) -> PinsOut {
        let o = self.model.get();
        let mut host_rdata = [0u16; 8];
        for (i, w) in o.host_rdata.iter().enumerate() {
            host_rdata[2 * i] = *w as u16;
            host_rdata[2 * i + 1] = (*w >> 16) as u16;
        }
        PinsOut {
            host_rdata,
            busy: o.busy != 0,
            done: o.done != 0,
            err: o.err,
            tr_valid: o.tr_valid != 0,
            tr_pc: o.tr_pc,
            tr_dest: o.tr_dest,
            tr_digest: o.tr_digest,
        }
    }
}

/// The RTL is a shared build: both instances and threads may run at once.
/// Each `RtlPins` owns its model exclusively.
const _: () = {
    fn assert_send<T: Send>() {}
    let _ = assert_send::<RtlPins>;
};

/// The whole simulated SCU (device, engine, LFSR source) under Verilator,
/// personalised with [`scu_model::device::image::RTL_TEST_SEED`].
pub struct RtlScuPins {
    model: ffi::ScuModel,
}

impl RtlScuPins {
    /// A fresh SCU of the given build behind an SPI master.
    pub fn build(lanes: Lanes) -> Result<scu_hdl::device_harness::SpiMaster<RtlScuPins>, NotBuilt> {
        let model = ffi::ScuModel::new(lanes).ok_or(NotBuilt(lanes))?;
        scu_hdl::device_harness::SpiMaster::new(RtlScuPins { model }).map_err(|_| NotBuilt(lanes))
    }

    /// The device image the simulated SCU of `lanes` was built from.
    pub fn image(lanes: Lanes) -> scu_model::device::DeviceImage {
        let p = scu_model::device::image::Personalisation::derive(
            scu_model::device::image::RTL_TEST_SEED,
        );
        scu_model::device::DeviceImage::new(lanes, &p)
    }
}

impl RtlScuPins {
    /// The slot RAM (simulation backdoor: a real device never shows it).
    pub fn slot_memory(&self) -> Vec<u8> {
        (0..scu_model::protocol::slot_mem::SIZE as u32)
            .map(|i| self.model.slot_get(i))
            .collect()
    }

    /// Loads the slot RAM (simulation backdoor, for persisted state).
    pub fn set_slot_memory(&mut self, m: &[u8]) {
        for (i, b) in m
            .iter()
            .enumerate()
            .take(scu_model::protocol::slot_mem::SIZE)
        {
            self.model.slot_set(i as u32, *b);
        }
    }

    /// Restores a persisted state (simulation backdoor): the slot memory,
    /// keeping the device id and measurement it was built with (they are
    /// personalisation, not state), and the random source. False (and
    /// nothing changed) if the slot memory has the wrong size.
    pub fn restore(&mut self, slots: &[u8], rng: &scu_model::device::rng::RawSnapshot) -> bool {
        match scu_model::device::image::restored_slots(slots, &self.slot_memory()) {
            Some(m) => self.set_slot_memory(&m),
            None => return false,
        }
        self.restore_rng(rng);
        true
    }

    /// The random source's state (simulation backdoor).
    pub fn rng_snapshot(&self) -> scu_model::device::rng::RawSnapshot {
        let f = |i| self.model.rng_get(i);
        scu_model::device::rng::RawSnapshot {
            // The LFSR register holds its value xor its initial value.
            lfsr: f(0) ^ Self::lfsr_init(),
            last: f(1) != 0,
            run: f(2),
            apt_ref: f(3) != 0,
            apt_count: f(4),
            apt_index: f(5),
            failed: f(6) != 0,
        }
    }

    /// Restores the random source's state (simulation backdoor).
    pub fn restore_rng(&mut self, s: &scu_model::device::rng::RawSnapshot) {
        let s = scu_model::device::rng::RawSource::restore(s).snapshot();
        // The LFSR flop holds its value xor the initial value; its input
        // (the state module's d) does not. The device is idle, so every
        // register's next state is its present one.
        self.model.rng_set(0, s.lfsr ^ Self::lfsr_init(), s.lfsr);
        for (field, v) in [
            (1, s.last as u32),
            (2, s.run),
            (3, s.apt_ref as u32),
            (4, s.apt_count),
            (5, s.apt_index),
            (6, s.failed as u32),
        ] {
            self.model.rng_set(field, v, v);
        }
    }

    fn lfsr_init() -> u32 {
        let seed = Self::image(Lanes::TINY).rng_seed;
        if seed == 0 {
            1
        } else {
            seed
        }
    }
}

impl scu_hdl::device_harness::ScuPins for RtlScuPins {
    type Error = Never;

    fn set(&mut self, sclk: bool, mosi: bool, cs_n: bool) {
        self.model.set(sclk, mosi, cs_n);
    }

    fn tick(&mut self) -> Result<(), Never> {
        self.model.tick();
        Ok(())
    }

    fn get(&self) -> (bool, bool, bool, u8) {
        let v = self.model.get();
        (v & 1 != 0, v & 2 != 0, v & 4 != 0, (v >> 8) as u8)
    }
}
