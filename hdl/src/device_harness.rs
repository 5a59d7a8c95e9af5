//! Driving the SCU's pins as an SPI master (mode 0), and the frame-level
//! lockstep that holds the RTL to the device model: the same transactions,
//! the same reply bytes, the same busy cycles for every accepted command.
//! rust-hdl's simulation and the Verilator build share it through
//! [`ScuPins`].

use scu_model::device::suite::DeviceUnderTest;
use scu_model::device::{DevTraceEvent, Device};
use std::fmt;

/// System cycles per half SPI clock period (SCLK = system clock / 8).
pub const HALF_PERIOD: u32 = 4;
/// Cycles the harness waits around chip-select edges.
pub const CS_SETUP: u32 = 6;
/// Upper bound on a command's busy cycles before it is declared hung.
pub const MAX_BUSY: u64 = 5_000_000;

/// The SCU at pin level.
pub trait ScuPins {
    /// Simulator failures.
    type Error: fmt::Debug + fmt::Display;
    /// Drives SCLK, MOSI and CS_N (taken at the next edge).
    fn set(&mut self, sclk: bool, mosi: bool, cs_n: bool);
    /// One system clock cycle.
    fn tick(&mut self) -> Result<(), Self::Error>;
    /// MISO, busy, and the device trace port (valid, pc).
    fn get(&self) -> (bool, bool, bool, u8);
}

/// Errors of the device harness.
#[derive(Debug)]
pub enum DeviceHarnessError<E> {
    /// The simulator failed.
    Sim(E),
    /// A command did not finish.
    Hung,
}

impl<E: fmt::Display> fmt::Display for DeviceHarnessError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeviceHarnessError::Sim(e) => write!(f, "{e}"),
            DeviceHarnessError::Hung => {
                write!(f, "the command did not finish within {MAX_BUSY} cycles")
            }
        }
    }
}

/// An SPI master on an SCU's pins. It counts the cycles the device is
/// busy and the device instructions retired since the last transaction
/// began, whenever they happen.
pub struct SpiMaster<P: ScuPins> {
    pins: P,
    cycles: u64,
    busy_cycles: u64,
    pcs: Vec<u8>,
}

impl<P: ScuPins> SpiMaster<P> {
    /// Wraps a freshly built SCU (idles its pins for a few cycles).
    pub fn new(pins: P) -> Result<Self, DeviceHarnessError<P::Error>> {
        let mut m = SpiMaster {
            pins,
            cycles: 0,
            busy_cycles: 0,
            pcs: Vec::new(),
        };
        m.pins.set(false, false, true);
        m.wait(CS_SETUP)?;
        Ok(m)
    }

    /// System cycles simulated so far.
    pub fn cycles(&self) -> u64 {
        self.cycles
    }

    fn wait(&mut self, n: u32) -> Result<(), DeviceHarnessError<P::Error>> {
        for _ in 0..n {
            self.pins.tick().map_err(DeviceHarnessError::Sim)?;
            self.cycles += 1;
            let (_, busy, valid, pc) = self.pins.get();
            self.busy_cycles += busy as u64;
            if valid {
                self.pcs.push(pc);
            }
        }
        Ok(())
    }

    /// A chip-select-low transaction; `cut_bits` ends it early after that
    /// many bits of the last byte (for truncated-transfer tests).
    pub fn transaction_cut(
        &mut self,
        mosi: &[u8],
        cut_bits: Option<u8>,
    ) -> Result<Vec<u8>, DeviceHarnessError<P::Error>> {
        let mut miso = Vec::with_capacity(mosi.len());
        self.pins.set(false, false, false);
        self.wait(CS_SETUP)?;
        for (n, &b) in mosi.iter().enumerate() {
            let bits = if n + 1 == mosi.len() {
                cut_bits.unwrap_or(8)
            } else {
                8
            };
            let mut got = 0u8;
            for k in 0..bits {
                let bit = (b >> (7 - k)) & 1 == 1;
                self.pins.set(false, bit, false);
                self.wait(HALF_PERIOD)?;
                got = (got << 1) | self.pins.get().0 as u8;
                self.pins.set(true, bit, false);
                self.wait(HALF_PERIOD)?;
            }
            self.pins.set(false, false, false);
            if bits == 8 {
                miso.push(got);
            }
        }
        self.wait(HALF_PERIOD)?;
        self.pins.set(false, false, true);
        self.wait(CS_SETUP)?;
        Ok(miso)
    }

    /// A complete transaction.
    pub fn transaction(&mut self, mosi: &[u8]) -> Result<Vec<u8>, DeviceHarnessError<P::Error>> {
        self.transaction_cut(mosi, None)
    }

    /// Starts counting busy cycles and retired device instructions afresh.
    pub fn reset_counts(&mut self) {
        self.busy_cycles = 0;
        self.pcs.clear();
    }

    /// Runs until the device is idle and the last retirement is visible;
    /// returns the busy cycles and the device instructions retired since
    /// [`SpiMaster::reset_counts`], and resets the counts.
    pub fn wait_idle(&mut self) -> Result<(u64, Vec<u8>), DeviceHarnessError<P::Error>> {
        while self.pins.get().1 {
            if self.busy_cycles > MAX_BUSY {
                return Err(DeviceHarnessError::Hung);
            }
            self.wait(1)?;
        }
        self.wait(1)?;
        let r = (self.busy_cycles, std::mem::take(&mut self.pcs));
        self.reset_counts();
        Ok(r)
    }

    /// Lets `cycles` pass with chip select high.
    pub fn idle(&mut self, cycles: u64) -> Result<(), DeviceHarnessError<P::Error>> {
        for _ in 0..cycles {
            self.wait(1)?;
        }
        Ok(())
    }

    /// The SCU's pins (for simulation backdoors).
    pub fn pins_mut(&mut self) -> &mut P {
        &mut self.pins
    }

    /// Whether the device is busy now.
    pub fn busy(&self) -> bool {
        self.pins.get().1
    }
}

/// A frame-level difference between the RTL and the model.
#[derive(Debug)]
pub enum DeviceMismatch<E> {
    /// The harness failed.
    Harness(DeviceHarnessError<E>),
    /// MISO bytes differ.
    Reply {
        /// Transaction number.
        index: usize,
        /// The model's bytes.
        expected: Vec<u8>,
        /// The RTL's bytes.
        got: Vec<u8>,
    },
    /// Busy cycles differ.
    Busy {
        /// Transaction number.
        index: usize,
        /// The model's count.
        expected: u64,
        /// The RTL's count.
        got: u64,
        /// First differing device instruction (model cycle and pc, RTL pc).
        first_difference: Option<(DevTraceEvent, Option<u8>)>,
    },
}

impl<E: fmt::Display> fmt::Display for DeviceMismatch<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeviceMismatch::Harness(e) => write!(f, "{e}"),
            DeviceMismatch::Reply {
                index,
                expected,
                got,
            } => {
                write!(f, "transaction {index}: reply bytes differ\n  expected {expected:02x?}\n  got      {got:02x?}")
            }
            DeviceMismatch::Busy {
                index,
                expected,
                got,
                first_difference,
            } => {
                write!(
                    f,
                    "transaction {index}: busy {got} cycles, model {expected}"
                )?;
                if let Some((e, g)) = first_difference {
                    write!(f, "; first differing device instruction: model pc {} (cycle {}), RTL pc {g:?}", e.pc, e.cycle)?;
                }
                Ok(())
            }
        }
    }
}

/// The RTL in frame-level lockstep with the device model, as one device:
/// every transaction runs on both and their MISO bytes must be equal;
/// every accepted command must keep both busy for the same cycles. A
/// difference panics with the first differing byte or device instruction,
/// so the device test suite runs unchanged on it.
pub struct LockstepDevice<P: ScuPins> {
    rtl: SpiMaster<P>,
    model: Device,
    pending: Option<u64>,
    transactions: usize,
}

impl<P: ScuPins> LockstepDevice<P> {
    /// The RTL and the model built from the same image.
    pub fn new(rtl: SpiMaster<P>, model: Device) -> Self {
        LockstepDevice {
            rtl,
            model,
            pending: None,
            transactions: 0,
        }
    }

    /// Transactions compared so far.
    pub fn transactions(&self) -> usize {
        self.transactions
    }

    fn check_busy(&mut self) -> Result<(), DeviceMismatch<P::Error>> {
        let (got, pcs) = self.rtl.wait_idle().map_err(DeviceMismatch::Harness)?;
        self.model.advance(self.model.busy_remaining());
        let expected = self.pending.take().unwrap_or(0);
        if got != expected {
            let trace = self.model.last_trace();
            let first = trace
                .iter()
                .enumerate()
                .find(|(i, e)| pcs.get(*i).map(|p| *p as u16) != Some(e.pc))
                .map(|(i, e)| (*e, pcs.get(i).copied()));
            return Err(DeviceMismatch::Busy {
                index: self.transactions,
                expected,
                got,
                first_difference: first,
            });
        }
        Ok(())
    }

    fn step(&mut self, mosi: &[u8], cut: Option<u8>) -> Result<Vec<u8>, DeviceMismatch<P::Error>> {
        let before = self.model.accepted();
        let whole = if cut.is_some() {
            &mosi[..mosi.len() - 1]
        } else {
            mosi
        };
        let expected = self.model.transaction(whole);
        let accepted = self.model.accepted() != before;
        if accepted {
            self.rtl.reset_counts();
            self.pending = self.model.last_command().map(|c| c.busy_cycles);
        }
        let got = self
            .rtl
            .transaction_cut(mosi, cut)
            .map_err(DeviceMismatch::Harness)?;
        self.transactions += 1;
        if expected != got {
            return Err(DeviceMismatch::Reply {
                index: self.transactions,
                expected,
                got,
            });
        }
        Ok(got)
    }
}

impl<P: ScuPins> DeviceUnderTest for LockstepDevice<P> {
    fn transaction(&mut self, mosi: &[u8]) -> Vec<u8> {
        self.step(mosi, None)
            .unwrap_or_else(|e| panic!("RTL and model differ: {e}"))
    }

    fn transaction_cut(&mut self, mosi: &[u8], bits: u8) -> Vec<u8> {
        self.step(mosi, Some(bits))
            .unwrap_or_else(|e| panic!("RTL and model differ: {e}"))
    }

    fn wait_idle(&mut self) {
        self.check_busy()
            .unwrap_or_else(|e| panic!("RTL and model differ: {e}"));
    }

    fn busy(&self) -> bool {
        let (rtl, model) = (self.rtl.busy(), self.model.busy());
        assert_eq!(rtl, model, "RTL and model disagree on busy");
        rtl
    }

    fn slot_memory(&self) -> Option<Vec<u8>> {
        // Equal replies and busy cycles keep the two in step; the model's
        // memory stands for both.
        Some(self.model.slot_memory().to_vec())
    }

    fn inject_rng_failure(&mut self) -> bool {
        false
    }
}
