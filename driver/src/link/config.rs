//! The connector's configuration file (TOML).
//!
//! ```toml
//! [scu]                      # optional; the command line's flags otherwise
//! device = "sim"             # sim, rtl or /dev/spidevB.C
//! state = "gateway-scu.json" # state of a simulated SCU
//! lanes = 1
//! link_slot = 1              # the slot holding the link's static ECDH key
//!
//! [trust]
//! store = "peers.json"       # `scu link trust` manages it
//! reference = "ref.json"     # optional: accepted firmware measurements
//! allow_simulated_rng = false
//!
//! [[listen]]                 # encrypted side in, plaintext out
//! bind = "0.0.0.0:7443"
//! forward = "127.0.0.1:502"
//!
//! [[connect]]                # plaintext in, encrypted side out
//! bind = "127.0.0.1:1502"
//! peer = "10.0.0.7:7443"
//! peer_name = "plc-7"        # optional: only this registered peer
//!
//! [limits]
//! handshake_timeout_ms = 5000
//! idle_timeout_ms = 300000   # 0: none
//! rekey_records = 65536
//! max_connections = 64
//!
//! [log]
//! path = "-"                 # "-": standard error
//! ```
//!
//! Relative paths are relative to the file's directory.

use scu_model::protocol::slot;
use serde::Deserialize;
use std::fmt;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The whole file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The SCU.
    #[serde(default)]
    pub scu: ScuSection,
    /// Who is trusted.
    pub trust: TrustSection,
    /// Encrypted connections accepted from peers.
    #[serde(default)]
    pub listen: Vec<Listen>,
    /// Plaintext connections accepted locally and carried to a peer.
    #[serde(default)]
    pub connect: Vec<Connect>,
    /// Time and size limits.
    #[serde(default)]
    pub limits: Limits,
    /// Event log.
    #[serde(default)]
    pub log: LogSection,
}

/// `[scu]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScuSection {
    /// `sim`, `rtl` or a spidev path.
    pub device: Option<String>,
    /// State file of a simulated SCU.
    pub state: Option<PathBuf>,
    /// Engine lanes of a simulated SCU.
    pub lanes: Option<u32>,
    /// The slot with the link's static key (ECDH policy).
    #[serde(default = "default_link_slot")]
    pub link_slot: u8,
}

impl Default for ScuSection {
    fn default() -> Self {
        ScuSection {
            device: None,
            state: None,
            lanes: None,
            link_slot: default_link_slot(),
        }
    }
}

fn default_link_slot() -> u8 {
    1
}

/// `[trust]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustSection {
    /// The trust store.
    pub store: PathBuf,
    /// Reference values for peers' firmware measurements.
    pub reference: Option<PathBuf>,
    /// Accept peers whose SCU reports a simulated RNG (tests, demos).
    #[serde(default)]
    pub allow_simulated_rng: bool,
}

/// `[[listen]]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Listen {
    /// Address for peers.
    pub bind: String,
    /// The local plaintext endpoint.
    pub forward: String,
}

/// `[[connect]]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Connect {
    /// Address for local plaintext clients.
    pub bind: String,
    /// The peer connector.
    pub peer: String,
    /// Accept only this registered peer there.
    pub peer_name: Option<String>,
}

/// `[limits]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Time for the handshake and attestation.
    pub handshake_timeout_ms: u64,
    /// A connection with no traffic this long is cut (0: never).
    pub idle_timeout_ms: u64,
    /// Records between rekeys, each direction.
    pub rekey_records: u32,
    /// Connections at once.
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            handshake_timeout_ms: 5000,
            idle_timeout_ms: 300_000,
            rekey_records: 65536,
            max_connections: 64,
        }
    }
}

impl Limits {
    /// The handshake time limit.
    pub fn handshake_timeout(&self) -> Duration {
        Duration::from_millis(self.handshake_timeout_ms)
    }

    /// The idle time limit, if any.
    pub fn idle_timeout(&self) -> Option<Duration> {
        (self.idle_timeout_ms > 0).then(|| Duration::from_millis(self.idle_timeout_ms))
    }
}

/// `[log]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSection {
    /// A file to append JSON lines to, or `-` for standard error.
    pub path: String,
}

impl Default for LogSection {
    fn default() -> Self {
        LogSection { path: "-".into() }
    }
}

/// Why a configuration is refused.
#[derive(Debug, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Reads and checks a file; relative paths become relative to its
    /// directory.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            ConfigError(format!("cannot read configuration {}: {e}", path.display()))
        })?;
        let mut c = Config::parse(&text)
            .map_err(|e| ConfigError(format!("{}: {}", path.display(), e.0)))?;
        let base = path.parent().unwrap_or(Path::new("."));
        let rel = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        rel(&mut c.trust.store);
        if let Some(r) = c.trust.reference.as_mut() {
            rel(r);
        }
        if let Some(s) = c.scu.state.as_mut() {
            rel(s);
        }
        if c.log.path != "-" {
            let mut p = PathBuf::from(&c.log.path);
            rel(&mut p);
            c.log.path = p.to_string_lossy().into_owned();
        }
        Ok(c)
    }

    /// Parses and checks TOML text (paths as written).
    pub fn parse(text: &str) -> Result<Config, ConfigError> {
        let c: Config = toml::from_str(text).map_err(|e| {
            let m = e.message().to_string();
            match e.span() {
                Some(s) => {
                    let line = text[..s.start.min(text.len())].lines().count().max(1);
                    ConfigError(format!("line {line}: {m}"))
                }
                None => ConfigError(m),
            }
        })?;
        c.check()?;
        Ok(c)
    }

    fn check(&self) -> Result<(), ConfigError> {
        let err = |m: String| Err(ConfigError(m));
        if self.listen.is_empty() && self.connect.is_empty() {
            return err("nothing to do: add a [[listen]] or a [[connect]] section".into());
        }
        let s = self.scu.link_slot;
        if s == slot::IDENTITY || s as usize >= slot::COUNT {
            return err(format!(
                "[scu] link_slot = {s}: use a slot from 1 to {} holding an ECDH key (slot 0 is the identity)",
                slot::COUNT - 1
            ));
        }
        for l in &self.listen {
            socket_addr("[[listen]] bind", &l.bind)?;
            host_port("[[listen]] forward", &l.forward)?;
        }
        for c in &self.connect {
            socket_addr("[[connect]] bind", &c.bind)?;
            host_port("[[connect]] peer", &c.peer)?;
        }
        let l = &self.limits;
        if l.handshake_timeout_ms == 0 || l.handshake_timeout_ms > 600_000 {
            return err("[limits] handshake_timeout_ms must be from 1 to 600000".into());
        }
        if l.rekey_records == 0 {
            return err("[limits] rekey_records must be at least 1".into());
        }
        if l.max_connections == 0 {
            return err("[limits] max_connections must be at least 1".into());
        }
        Ok(())
    }
}

/// A literal socket address (`IP:PORT`).
pub fn socket_addr(what: &str, s: &str) -> Result<SocketAddr, ConfigError> {
    s.parse().map_err(|_| {
        ConfigError(format!(
            "{what} = {s:?} is not an address such as 127.0.0.1:7443"
        ))
    })
}

/// A `host:port` that resolves (names are resolved again at each connection).
pub fn host_port(what: &str, s: &str) -> Result<(), ConfigError> {
    if s.parse::<SocketAddr>().is_ok() {
        return Ok(());
    }
    match s.rsplit_once(':') {
        Some((h, p)) if !h.is_empty() && p.parse::<u16>().is_ok() => Ok(()),
        _ => Err(ConfigError(format!("{what} = {s:?} is not HOST:PORT"))),
    }
}

/// Resolves `host:port` to its first address.
pub fn resolve(s: &str) -> std::io::Result<SocketAddr> {
    s.to_socket_addrs()?.next().ok_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::NotFound, format!("{s} has no address"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[trust]
store = "peers.json"
[[listen]]
bind = "127.0.0.1:0"
forward = "127.0.0.1:9"
"#;

    #[test]
    fn defaults_and_checks() {
        let c = Config::parse(GOOD).expect("parses");
        assert_eq!(c.scu.link_slot, 1);
        assert_eq!(c.limits.rekey_records, 65536);
        assert_eq!(c.log.path, "-");
        let bad = |t: &str| Config::parse(t).expect_err("refused").0;
        assert!(bad("[trust]\nstore = \"p\"\n").contains("nothing to do"));
        assert!(bad(&format!("{GOOD}[scu]\nlink_slot = 0\n")).contains("link_slot"));
        assert!(bad(&format!("{GOOD}[limits]\nrekey_records = 0\n")).contains("rekey_records"));
        assert!(bad(&GOOD.replace("127.0.0.1:0", "localhost")).contains("not an address"));
        assert!(bad(&format!("{GOOD}[bogus]\n")).contains("unknown field"));
        assert!(bad("[trust\n").starts_with("line 1"));
    }
}
