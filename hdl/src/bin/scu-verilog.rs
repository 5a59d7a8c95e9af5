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

use scu_model::timing::Lanes;
use std::process::ExitCode;

fn run() -> Result<(), String> {
    let mut lanes = Lanes::TINY;
    let mut out: Option<String> = None;
    let mut scu = false;
    let mut board = false;
    let mut slot_hex = false;
    let mut seed: Vec<u8> = scu_model::device::image::RTL_TEST_SEED.to_vec();
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
            "--seed" => seed = args.next().ok_or("--seed needs a value")?.into_bytes(),
            "-h" | "--help" => {
                println!(
                    "usage: scu-verilog --lanes 1|2|4|8 [--scu | --board | --slot-memory-hex] [--seed TEXT] [--out FILE]"
                );
                return Ok(());
            }
            other => return Err(format!("unknown argument {other}; try --help")),
        }
    }
    let p = scu_model::device::image::Personalisation::derive(&seed);
    let v = if slot_hex {
        scu_model::device::image::initial_slots(&p)
            .iter()
            .map(|b| format!("{b:02x}\n"))
            .collect()
    } else if board {
        let rng = scu_model::device::image::RngSource::RingOscillator;
        scu_hdl::verilog::scu_board_verilog(&scu_model::device::DeviceImage::with_rng(
            lanes, rng, &p,
        ))
    } else if scu {
        scu_hdl::verilog::scu_verilog(&scu_model::device::DeviceImage::new(lanes, &p))
    } else {
        scu_hdl::verilog::engine_verilog(lanes, scu_model::ops::firmware().rom())
    };
    match out {
        Some(f) => std::fs::write(&f, v).map_err(|e| format!("cannot write {f}: {e}")),
        None => {
            print!("{v}");
            Ok(())
        }
    }
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
