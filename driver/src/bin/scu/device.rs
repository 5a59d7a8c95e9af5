//! Opening the device the CLI talks to: the simulated SCU (the reference
//! model), the Verilated RTL, or a board on Linux spidev. Simulated devices
//! keep their state in a file between runs.

use anyhow::{anyhow, bail, Context, Result};
use scu_driver::backend::Shared;
use scu_driver::ops::ScuOps;
use scu_driver::state::{SimState, StateLock};
use scu_driver::Scu;
use scu_model::device::image::Personalisation;
use scu_model::device::{CommandReport, Device, DeviceImage};
use scu_model::timing::Lanes;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// Where the SCU is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// The simulated SCU (reference model at frame level).
    Sim,
    /// The Verilated RTL at pin level.
    Rtl,
    /// A board on a Linux spidev device.
    Spidev(PathBuf),
}

impl FromStr for Target {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "sim" => Ok(Target::Sim),
            "rtl" => Ok(Target::Rtl),
            p if p.starts_with('/') => Ok(Target::Spidev(PathBuf::from(p))),
            other => Err(format!(
                "{other:?} is not a device: use sim, rtl or a spidev path such as /dev/spidev0.0"
            )),
        }
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Sim => f.write_str("sim"),
            Target::Rtl => f.write_str("rtl"),
            Target::Spidev(p) => write!(f, "{}", p.display()),
        }
    }
}

/// An open device.
pub struct Opened {
    pub ops: Box<dyn ScuOps>,
    /// What kind of simulation this is, `None` for a board.
    pub simulated: Option<&'static str>,
    save: Option<Box<dyn FnMut() -> Result<()> + Send>>,
    report: Option<Box<dyn Fn() -> Option<CommandReport> + Send>>,
    _lock: Option<StateLock>,
}

impl Opened {
    /// Persists a simulated device's state.
    pub fn close(mut self) -> Result<()> {
        match self.save.as_mut() {
            Some(s) => s(),
            None => Ok(()),
        }
    }

    /// The device alone, and what saves its state (for a long-running
    /// user such as the connector that shares the device between threads).
    pub fn into_parts(self) -> (Box<dyn ScuOps>, Saver) {
        (
            self.ops,
            Saver {
                save: self.save,
                _lock: self._lock,
            },
        )
    }

    /// The last command's cycle report (simulated model only).
    pub fn last_report(&self) -> Option<CommandReport> {
        self.report.as_ref().and_then(|r| r())
    }
}

/// Saves a simulated device's state; holds its state file's lock.
pub struct Saver {
    save: Option<Box<dyn FnMut() -> Result<()> + Send>>,
    _lock: Option<StateLock>,
}

impl Saver {
    /// Persists the state (nothing for a board).
    pub fn save(&mut self) -> Result<()> {
        match self.save.as_mut() {
            Some(s) => s(),
            None => Ok(()),
        }
    }
}

fn default_state(backend: &str, lanes: Lanes) -> Result<PathBuf> {
    let dir = dirs::data_dir()
        .ok_or_else(|| anyhow!("no user data directory is known here; pass --state PATH"))?;
    Ok(dir
        .join("scu")
        .join(format!("{backend}-L{}.json", lanes.get())))
}

/// A fresh personalisation seed from the operating system.
pub fn random_seed() -> Result<[u8; 32]> {
    let mut s = [0u8; 32];
    getrandom::getrandom(&mut s)
        .map_err(|e| anyhow!("the operating system's random source failed: {e}"))?;
    Ok(s)
}

fn load_state(path: &Path, backend: &str, lanes: Lanes) -> Result<Option<SimState>> {
    let st = SimState::load(path)?;
    if let Some(s) = &st {
        if s.backend != backend {
            bail!(
                "state file {} belongs to the {} device; pass another --state",
                path.display(),
                s.backend
            );
        }
        if s.lanes != lanes.get() {
            bail!(
                "state file {} is for the L={} build; pass --lanes {} or another --state",
                path.display(),
                s.lanes,
                s.lanes
            );
        }
    }
    Ok(st)
}

/// A model device from a seed and optional persisted state.
pub fn model_device(lanes: Lanes, seed: &[u8; 32], st: Option<&SimState>) -> Result<Device> {
    let mut d = Device::new(DeviceImage::new(lanes, &Personalisation::derive(seed)));
    if let Some(s) = st {
        if !d.restore(&s.slots, &s.rng) {
            bail!("the state file's slot memory has the wrong size");
        }
    }
    Ok(d)
}

/// Opens `target`.
pub fn open(target: &Target, lanes: Lanes, state: Option<PathBuf>, spi_hz: u32) -> Result<Opened> {
    match target {
        Target::Sim => {
            let path = match state {
                Some(p) => p,
                None => default_state("model", lanes)?,
            };
            let lock = StateLock::acquire(&path)?;
            let st = load_state(&path, "model", lanes)?;
            let seed = match &st {
                Some(s) => s.seed,
                None => random_seed()?,
            };
            let shared = Shared::new(model_device(lanes, &seed, st.as_ref())?);
            let (spi, delay) = shared.halves();
            let report = shared.clone();
            Ok(Opened {
                ops: Box::new(Scu::new(spi, delay)),
                simulated: Some("simulated SCU (reference model)"),
                _lock: Some(lock),
                save: Some(Box::new(move || {
                    let d = shared.lock();
                    let s = SimState {
                        backend: "model".into(),
                        lanes: lanes.get(),
                        seed,
                        slots: d.slot_memory().to_vec(),
                        rng: d.rng_snapshot(),
                    };
                    Ok(s.save(&path)?)
                })),
                report: Some(Box::new(move || report.lock().last_command())),
            })
        }
        Target::Rtl => open_rtl(lanes, state),
        Target::Spidev(path) => open_spidev(path, spi_hz),
    }
}

#[cfg(feature = "rtl")]
fn open_rtl(lanes: Lanes, state: Option<PathBuf>) -> Result<Opened> {
    use scu_driver::backend::RtlBus;
    use std::io::IsTerminal;
    let path = match state {
        Some(p) => p,
        None => default_state("rtl", lanes)?,
    };
    let lock = StateLock::acquire(&path)?;
    let st = load_state(&path, "rtl", lanes)?;
    let mut bus =
        RtlBus::new(lanes).map_err(|e| anyhow!("{e}; the RTL exists for --lanes 1 and 8"))?;
    if let Some(s) = &st {
        if !bus.master_mut().pins_mut().restore(&s.slots, &s.rng) {
            bail!("the state file's slot memory has the wrong size");
        }
    }
    if std::io::stderr().is_terminal() {
        let mut last = 0u64;
        bus.on_progress(Box::new(move |cycles| {
            if cycles >= last + 500_000 {
                last = cycles;
                eprint!("\rrtl: {:.1} M cycles simulated ", cycles as f64 / 1e6);
            }
        }));
    }
    let shared = Shared::new(bus);
    let (spi, delay) = shared.halves();
    Ok(Opened {
        ops: Box::new(Scu::new(spi, delay)),
        simulated: Some("simulated SCU (Verilated RTL)"),
        _lock: Some(lock),
        save: Some(Box::new(move || {
            let mut b = shared.lock();
            let pins = b.master_mut().pins_mut();
            let s = SimState {
                backend: "rtl".into(),
                lanes: lanes.get(),
                seed: [0; 32],
                slots: pins.slot_memory(),
                rng: pins.rng_snapshot(),
            };
            if std::io::stderr().is_terminal() {
                eprint!("\r{:40}\r", "");
            }
            Ok(s.save(&path)?)
        })),
        report: None,
    })
}

#[cfg(not(feature = "rtl"))]
fn open_rtl(_lanes: Lanes, _state: Option<PathBuf>) -> Result<Opened> {
    bail!("this build has no RTL backend; rebuild with `--features rtl` (needs Verilator)")
}

fn open_spidev(path: &Path, hz: u32) -> Result<Opened> {
    use linux_embedded_hal::spidev::{SpiModeFlags, SpidevOptions};
    use linux_embedded_hal::{Delay, SpidevDevice};
    // (The open error's Display already holds its OS error: a context
    // would print that twice.)
    let mut dev = SpidevDevice::open(path).map_err(|e| {
        anyhow!(
            "cannot open {}: {e}; is SPI enabled (raspi-config) and the SCU connected?",
            path.display()
        )
    })?;
    let opts = SpidevOptions::new()
        .bits_per_word(8)
        .max_speed_hz(hz)
        .mode(SpiModeFlags::SPI_MODE_0)
        .build();
    dev.0
        .configure(&opts)
        .with_context(|| format!("cannot configure {} for SPI mode 0", path.display()))?;
    Ok(Opened {
        ops: Box::new(Scu::new(dev, Delay)),
        simulated: None,
        save: None,
        report: None,
        _lock: None,
    })
}
