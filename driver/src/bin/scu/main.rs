//! `scu`: the SCU from the command line.
//!
//! Every error is one line on stderr and a non-zero exit (1 for a failed
//! operation, 2 for a malformed command line); input is checked before a
//! device is opened, so bad input changes nothing stored.

mod bench;
mod commands;
mod demo;
mod demo_link;
mod device;
mod input;
mod link;
mod link_bench;
mod output;

use clap::{Parser, Subcommand, ValueEnum};
use device::Target;
use scu_driver::types::Policy;
use scu_model::protocol::slot;
use scu_model::timing::Lanes;
use std::path::PathBuf;
use std::process::ExitCode;

/// Talks to an SCU (Secure Cryptographic Unit): key slots, ECDSA, ECDH,
/// attestation.
///
/// The default device is a simulated SCU (the reference model) that keeps
/// its keys in a state file between runs. Its random source is a seeded
/// simulation, not entropy: keys made on it are for trying things out.
#[derive(Parser, Debug)]
#[command(name = "scu", version, about, long_about)]
pub struct Cli {
    /// The SCU: `sim` (reference model), `rtl` (Verilated RTL, slow) or a
    /// spidev path such as /dev/spidev0.0.
    #[arg(long, global = true, default_value = "sim", value_parser = parse_target)]
    device: Target,
    /// State file of a simulated SCU [default: in the user's data directory].
    #[arg(long, global = true, value_name = "PATH")]
    state: Option<PathBuf>,
    /// Engine lanes of a simulated SCU: 1 (tiny) or 8 (fast); the model
    /// also has 2 and 4.
    #[arg(long, global = true, default_value = "1", value_parser = parse_lanes)]
    lanes: Lanes,
    /// Print results as one JSON object per line.
    #[arg(long, global = true)]
    json: bool,
    /// SPI clock for a spidev device, in Hz.
    #[arg(long, global = true, default_value_t = 1_000_000, value_name = "HZ",
          value_parser = clap::value_parser!(u32).range(1..))]
    spi_hz: u32,
    #[command(subcommand)]
    cmd: Cmd,
}

/// The uses a key may be given.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum KeyUse {
    /// ECDSA signatures only.
    Sign,
    /// ECDH only.
    Ecdh,
    /// Both.
    Both,
}

impl KeyUse {
    fn policy(self) -> Policy {
        match self {
            KeyUse::Sign => Policy::SIGN,
            KeyUse::Ecdh => Policy::ECDH,
            KeyUse::Both => Policy::sign_and_ecdh(),
        }
    }
}

/// Public key output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum KeyFormat {
    /// SEC1 uncompressed point, hex.
    Hex,
    /// SubjectPublicKeyInfo, PEM.
    Pem,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Version, build, device id, measurement, counter, kind of RNG.
    Info,
    /// Runs the SCU's known-answer tests and RNG health checks.
    SelfTest,
    /// Generates a key inside a slot; prints its public key.
    Keygen {
        #[arg(long, value_parser = parse_slot)]
        slot: u8,
        /// What the key may be used for.
        #[arg(long = "use", value_enum, default_value = "both")]
        key_use: KeyUse,
        /// Replace a key the slot already holds (the old key is lost).
        #[arg(long)]
        replace: bool,
    },
    /// Imports a private key into a slot (provisioning and tests).
    Import {
        #[arg(long, value_parser = parse_slot)]
        slot: u8,
        /// The private key, 32 bytes hex (visible to other local users in
        /// the process list; prefer --key-file).
        #[arg(
            long,
            conflicts_with = "key_file",
            required_unless_present = "key_file"
        )]
        key: Option<String>,
        /// A file holding the private key as hex.
        #[arg(long, value_name = "FILE")]
        key_file: Option<PathBuf>,
        /// What the key may be used for.
        #[arg(long = "use", value_enum, default_value = "both")]
        key_use: KeyUse,
        /// Replace a key the slot already holds (the old key is lost).
        #[arg(long)]
        replace: bool,
    },
    /// Prints a slot's public key and policy.
    Pubkey {
        #[arg(long, value_parser = parse_slot)]
        slot: u8,
        #[arg(long, value_enum, default_value = "hex")]
        format: KeyFormat,
    },
    /// Signs a SHA-256 digest (ECDSA P-256, low s); prints the DER signature
    /// in hex.
    Sign {
        #[arg(long, value_parser = parse_slot)]
        slot: u8,
        /// The digest, 32 bytes hex.
        #[arg(long, conflicts_with = "file", required_unless_present = "file")]
        digest: Option<String>,
        /// Sign the SHA-256 of this file instead.
        #[arg(long, value_name = "FILE")]
        file: Option<PathBuf>,
    },
    /// ECDH with a peer's public key; prints the shared x coordinate in hex.
    Ecdh {
        #[arg(long, value_parser = parse_slot)]
        slot: u8,
        /// The peer's SEC1 point, hex (04 || x || y or 02/03 || x).
        #[arg(long)]
        peer: String,
    },
    /// Locks a slot: its key can never be replaced (irreversible).
    Lock {
        #[arg(long, value_parser = parse_slot)]
        slot: u8,
    },
    /// Signs an attestation statement for a verifier's nonce into an
    /// evidence file.
    Attest {
        /// The verifier's nonce, 32 bytes hex.
        #[arg(long)]
        nonce: String,
        /// Where to write the evidence (JSON).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Verifies attestation evidence (no device needed).
    Verify {
        /// The evidence file `scu attest` wrote.
        #[arg(long, value_name = "FILE")]
        evidence: PathBuf,
        /// The nonce the verifier sent, 32 bytes hex.
        #[arg(long)]
        nonce: String,
        /// The device's identity key (SPKI PEM) registered in advance.
        #[arg(long, value_name = "PEM")]
        identity: Option<PathBuf>,
        /// Reference values (`scu reference`) the measurement must match.
        #[arg(long, value_name = "FILE")]
        reference: Option<PathBuf>,
    },
    /// Writes the reference values of this build (its firmware measurement)
    /// for `scu verify`, or of an FPGA build (its template bitstream's
    /// SHA-256, from its build report).
    Reference {
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Accept devices whose RNG is the simulation's seeded source.
        #[arg(long)]
        allow_simulated_rng: bool,
        /// The FPGA build's report (`fpga/build.py`'s report.json) whose
        /// devices are to be verified.
        #[arg(long, value_name = "REPORT", conflicts_with = "allow_simulated_rng")]
        fpga_report: Option<PathBuf>,
    },
    /// Two simulated SCUs: identity, attestation, ECDH, a signature and the
    /// connector between them, with the engine cycles each step costs.
    Demo,
    /// Device cycles of every command on the tiny and fast builds.
    Bench,
    /// The connector: authenticated, encrypted links between registered
    /// peers, each with an SCU.
    Link {
        #[command(subcommand)]
        cmd: LinkCmd,
    },
}

#[derive(Subcommand, Debug)]
enum LinkCmd {
    /// Runs the connector until SIGINT or SIGTERM (graceful stop).
    Run {
        /// The configuration file (TOML; see docs/LINK.md).
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
    },
    /// Registers, lists and revokes peers in a trust store.
    Trust {
        /// The trust store file.
        #[arg(long, value_name = "FILE")]
        store: PathBuf,
        #[command(subcommand)]
        cmd: TrustCmd,
    },
    /// Handshakes per second and bulk throughput on loopback between two
    /// simulated SCUs, and the SCU cycles one handshake costs.
    Bench {
        /// Handshakes to time.
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=10_000))]
        handshakes: u32,
        /// Mebibytes to send through the link.
        #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=4096))]
        megabytes: u32,
    },
}

#[derive(Subcommand, Debug)]
enum TrustCmd {
    /// Registers a peer by its SCU identity key.
    Add {
        /// A name for the peer, unique in the store.
        #[arg(long)]
        name: String,
        /// Its identity key: an SPKI PEM file (`scu pubkey --slot 0
        /// --format pem`) or SEC1 hex.
        #[arg(long)]
        identity: String,
        /// Attestation evidence from the peer (`scu attest`), checked
        /// against the identity; its measurement is pinned.
        #[arg(long, value_name = "FILE", requires = "nonce")]
        evidence: Option<PathBuf>,
        /// The nonce the evidence answers, 32 bytes hex.
        #[arg(long, requires = "evidence")]
        nonce: Option<String>,
        /// Reference values the evidence's measurement must match.
        #[arg(long, value_name = "FILE", requires = "evidence")]
        reference: Option<PathBuf>,
    },
    /// Lists the peers.
    List,
    /// Revokes a peer: new and open connections from it are cut.
    Remove {
        #[arg(long)]
        name: String,
    },
}

fn parse_target(s: &str) -> Result<Target, String> {
    s.parse()
}

fn parse_lanes(s: &str) -> Result<Lanes, String> {
    let n: u32 = s.parse().map_err(|_| format!("{s:?} is not a number"))?;
    Lanes::new(n).map_err(|_| format!("{n} lanes is not a build; use 1, 2, 4 or 8"))
}

fn parse_slot(s: &str) -> Result<u8, String> {
    match s.parse::<u8>() {
        Ok(n) if (n as usize) < slot::COUNT => Ok(n),
        _ => Err(format!("slots are 0 to {}", slot::COUNT - 1)),
    }
}

fn main() -> ExitCode {
    std::panic::set_hook(Box::new(|p| {
        let at = p
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!("scu: internal error{at}; please report it (a simulated device's state file was left as it was)");
    }));
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) if !e.use_stderr() => {
            // --help, --version.
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            let text = e.to_string();
            let line = text
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("malformed command line");
            let line = line.strip_prefix("error: ").unwrap_or(line);
            eprintln!("scu: {line} (see scu --help)");
            return ExitCode::from(2);
        }
    };
    let json = cli.json;
    match commands::run(cli) {
        Ok(out) => match out.print(json) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                let e = anyhow::anyhow!(
                    "the command completed, but its output could not be written: {e}"
                );
                output::error(&e, json);
                ExitCode::FAILURE
            }
        },
        Err(e) => {
            output::error(&e, json);
            ExitCode::FAILURE
        }
    }
}
