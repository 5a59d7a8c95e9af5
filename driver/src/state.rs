//! Persisted state of a simulated SCU, so that consecutive commands behave
//! like one board that keeps its keys: the personalisation seed (which
//! determines the device id and identity key), the slot memory (keys,
//! policies, counter) and the random source's state (a restarted source
//! would repeat ECDSA nonces).
//!
//! The file holds private keys in the clear: it is created readable by its
//! owner only, and written atomically (a new file, then a rename) so that a
//! crash never leaves half a state.

use scu_model::device::rng::RawSnapshot;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The file format tag.
pub const FORMAT: &str = "scu-sim-state/1";

/// A simulated device's state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimState {
    /// Which simulator ("model" or "rtl").
    pub backend: String,
    /// Engine lanes.
    pub lanes: u32,
    /// Personalisation seed.
    pub seed: [u8; 32],
    /// Slot memory.
    pub slots: Vec<u8>,
    /// Random source.
    pub rng: RawSnapshot,
}

#[derive(Serialize, Deserialize)]
struct File {
    format: String,
    backend: String,
    lanes: u32,
    seed: String,
    slots: String,
    rng: Rng,
}

#[derive(Serialize, Deserialize)]
struct Rng {
    lfsr: u32,
    last: bool,
    run: u32,
    apt_ref: bool,
    apt_count: u32,
    apt_index: u32,
    failed: bool,
}

/// Why a state file cannot be used.
#[derive(Debug)]
pub enum StateError {
    /// Reading or writing failed.
    Io(PathBuf, std::io::Error),
    /// The file is not a state file of this format.
    Format(PathBuf, String),
    /// Another process is using the simulated device.
    InUse(PathBuf),
}

impl fmt::Display for StateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StateError::Io(p, e) => write!(f, "state file {}: {e}", p.display()),
            StateError::Format(p, why) => write!(
                f,
                "state file {} is not usable ({why}); move it away to start a new simulated device",
                p.display()
            ),
            StateError::InUse(p) => write!(
                f,
                "state file {} is in use by another scu process; wait for it to finish",
                p.display()
            ),
        }
    }
}

impl std::error::Error for StateError {}

/// Exclusive use of a state file for as long as it lives, so that two
/// processes never run the same simulated device from one starting state
/// (one would overwrite the other's keys).
#[derive(Debug)]
pub struct StateLock {
    _file: std::fs::File,
}

impl StateLock {
    /// Takes the lock beside `path` (`PATH.lock`), creating directories as
    /// needed; fails at once if another process holds it.
    pub fn acquire(path: &Path) -> Result<StateLock, StateError> {
        let io = |e| StateError::Io(path.into(), e);
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let mut name = path.as_os_str().to_owned();
        name.push(".lock");
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(PathBuf::from(name))
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => Ok(StateLock { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => Err(StateError::InUse(path.into())),
            Err(std::fs::TryLockError::Error(e)) => Err(io(e)),
        }
    }
}

impl SimState {
    /// Loads a state; `Ok(None)` when the file does not exist.
    pub fn load(path: &Path) -> Result<Option<SimState>, StateError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(StateError::Io(path.into(), e)),
        };
        let bad = |why: &str| StateError::Format(path.into(), why.into());
        let f: File = serde_json::from_str(&text).map_err(|e| bad(&e.to_string()))?;
        if f.format != FORMAT {
            return Err(bad(&format!("format {:?}, expected {FORMAT:?}", f.format)));
        }
        let seed: [u8; 32] = hex::decode(&f.seed)
            .ok()
            .and_then(|v| v.try_into().ok())
            .ok_or_else(|| bad("the seed is not 32 hex bytes"))?;
        let slots = hex::decode(&f.slots).map_err(|_| bad("the slot memory is not hex"))?;
        if slots.len() != scu_model::protocol::slot_mem::SIZE {
            return Err(bad("the slot memory has the wrong size"));
        }
        let r = f.rng;
        Ok(Some(SimState {
            backend: f.backend,
            lanes: f.lanes,
            seed,
            slots,
            rng: RawSnapshot {
                lfsr: r.lfsr,
                last: r.last,
                run: r.run,
                apt_ref: r.apt_ref,
                apt_count: r.apt_count,
                apt_index: r.apt_index,
                failed: r.failed,
            },
        }))
    }

    /// Saves atomically, readable by the owner only.
    pub fn save(&self, path: &Path) -> Result<(), StateError> {
        let r = &self.rng;
        let f = File {
            format: FORMAT.into(),
            backend: self.backend.clone(),
            lanes: self.lanes,
            seed: hex::encode(self.seed),
            slots: hex::encode(&self.slots),
            rng: Rng {
                lfsr: r.lfsr,
                last: r.last,
                run: r.run,
                apt_ref: r.apt_ref,
                apt_count: r.apt_count,
                apt_index: r.apt_index,
                failed: r.failed,
            },
        };
        let io = |e| StateError::Io(path.into(), e);
        let text = serde_json::to_string_pretty(&f)
            .map_err(|e| StateError::Format(path.into(), e.to_string()))?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        write_atomic(path, text.as_bytes(), Some(0o600)).map_err(io)
    }
}

/// Writes a file by writing `PATH.tmp`, syncing it and renaming it over
/// `path`, so that a reader or a crash never sees half of it; `mode` sets
/// the new file's permissions on Unix.
pub fn write_atomic(path: &Path, data: &[u8], mode: Option<u32>) -> std::io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    {
        let mut o = std::fs::OpenOptions::new();
        o.write(true).create(true).truncate(true);
        #[cfg(unix)]
        if let Some(m) = mode {
            use std::os::unix::fs::OpenOptionsExt;
            o.mode(m);
        }
        #[cfg(not(unix))]
        let _ = mode;
        let mut file = o.open(&tmp)?;
        file.write_all(data)?;
        file.sync_all()?;
    }
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_refusals() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("s.json");
        assert!(SimState::load(&p).expect("no file is fine").is_none());
        let s = SimState {
            backend: "model".into(),
            lanes: 1,
            seed: [7; 32],
            slots: vec![3; scu_model::protocol::slot_mem::SIZE],
            rng: RawSnapshot {
                lfsr: 99,
                run: 2,
                ..Default::default()
            },
        };
        s.save(&p).expect("saves");
        assert_eq!(SimState::load(&p).expect("loads"), Some(s));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&p).expect("exists").permissions().mode();
            assert_eq!(mode & 0o077, 0, "private to its owner");
        }
        std::fs::write(&p, "{not json").expect("writes");
        assert!(matches!(SimState::load(&p), Err(StateError::Format(..))));
    }

    #[test]
    fn one_process_at_a_time() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("sub").join("s.json");
        let held = StateLock::acquire(&p).expect("first lock");
        assert!(matches!(StateLock::acquire(&p), Err(StateError::InUse(_))));
        drop(held);
        StateLock::acquire(&p).expect("free again");
    }
}
