//! Writes the engine's Verilog (top module `top`) with the firmware ROM, or
//! with `--scu` the whole SCU (SPI front end, controller, SHA-256, engine,
//! slot memory) personalised from `--seed` (the simulation's seed by
//! default). The SCU's RNG is the simulation's LFSR source.
//!
//! With `--board` instead, the SCU for an FPGA board: the raw random bit
//! comes from its `entropy` port (the board's ring oscillators), and INFO
//! and the measurement say so.
//!
//! `scu-verilog --lanes 1|2|4|8 [--scu | --board] [--seed TEXT] [--out FILE]`
//! (stdout without `--out`). `--slot-memory-hex` writes instead the slot
//! memory's initial contents for `--seed` (one byte a line, the format of
//! `$readmemh`, `icebram` and `ecpbram`): what personalises a device.
//! `--slot-memory-init FILE` builds the SCU with the slot memory's contents
//! from FILE (that format) instead: the template build, whose slot memory
//! `fpga/personalise.py` replaces by a device's. `--measurement HEX` (32
//! bytes) puts that measurement, instead of the firmware's, in the slot
//! memory: an FPGA build's is its template bitstream's SHA-256.

use hex::FromHex;
use scu_model::timing::Lanes;
use std::process::ExitCode;

fn run() -> Result<(), String> {
    let mut lanes = Lanes::TINY;
    let mut out: Option<String> = None;
    let mut scu = false;
    let mut board = false;
    let mut slot_hex = false;
    let mut slot_init: Option<String> = None;
    let mut seed: Vec<u8> = scu_model::device::image::RTL_TEST_SEED.to_vec();
    let mut measurement: Option<[u8; 32]> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--lanes" => {
                let v = args.next().ok_or("--lanes needs a value")?;
                let l: u32 = v
                    .parse()
                    .map_err(|_| format!("--lanes: not a number: {v}"))?;
                lanes = Lanes::new(l).map_err(|e| e.to_string())?;
            }
            "--out" => out = Some(args.next().ok_or("--out needs a file")?),
            "--scu" => scu = true,
            "--board" => board = true,
            "--slot-memory-hex" => slot_hex = true,
            "--slot-memory-init" => {
                slot_init = Some(args.next().ok_or("--slot-memory-init needs a file")?)
            }
            "--seed" => seed = args.next().ok_or("--seed needs a value")?.into_bytes(),
            "--measurement" => {
                let v = args.next().ok_or("--measurement needs 64 hex digits")?;
                let m = <[u8; 32]>::from_hex(&v)
                    .map_err(|e| format!("--measurement: not 64 hex digits ({e}): {v}"))?;
                measurement = Some(m);
            }
            "-h" | "--help" => {
                println!(
                    "usage: scu-verilog --lanes 1|2|4|8 [--scu | --board | --slot-memory-hex] [--seed TEXT] [--measurement HEX] [--slot-memory-init FILE] [--out FILE]"
                );
                return Ok(());
            }
            other => return Err(format!("unknown argument {other}; try --help")),
        }
    }
    let p = scu_model::device::image::Personalisation::derive(&seed);
    let mut image = if board {
        let rng = scu_model::device::image::RngSource::RingOscillator;
        scu_model::device::DeviceImage::with_rng(lanes, rng, &p)
    } else {
        scu_model::device::DeviceImage::new(lanes, &p)
    };
    if let Some(m) = measurement {
        image = image.with_measurement(m);
    }
    let v: String = if slot_hex {
        image.slots.iter().map(|b| format!("{b:02x}\n")).collect()
    } else {
        if let Some(f) = &slot_init {
            image.slots = read_hex(f, image.slots.len())?;
        }
        if board {
            scu_hdl::verilog::scu_board_verilog(&image)
        } else if scu {
            scu_hdl::verilog::scu_verilog(&image)
        } else {
            scu_hdl::verilog::engine_verilog(lanes, scu_model::ops::firmware().rom())
        }
    };
    match out {
        Some(f) => std::fs::write(&f, v).map_err(|e| format!("cannot write {f}: {e}")),
        None => {
            print!("{v}");
            Ok(())
        }
    }
}

/// `len` bytes, one hex byte a line.
fn read_hex(file: &str, len: usize) -> Result<Vec<u8>, String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("cannot read {file}: {e}"))?;
    let bytes = text
        .split_whitespace()
        .map(|w| u8::from_str_radix(w, 16).map_err(|_| format!("{file}: not a hex byte: {w}")))
        .collect::<Result<Vec<u8>, String>>()?;
    if bytes.len() != len {
        return Err(format!(
            "{file}: {} bytes, the slot memory has {len}",
            bytes.len()
        ));
    }
    Ok(bytes)
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("scu-verilog: {e}");
            ExitCode::FAILURE
        }
    }
}
