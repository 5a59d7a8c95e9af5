//! Prints the engine's cycle counts per operation for every lane count, as
//! predicted by the instruction-set simulator (deterministic: the programs
//! retire the same instructions whatever the inputs).
//!
//! `scu-cycles` prints a table; `scu-cycles --markdown` prints the
//! `BENCHMARKS.md` section.

use scu_model::ladder::Affine;
use scu_model::microcode::Routine;
use scu_model::ops::{self, firmware};
use scu_model::timing::Lanes;
use scu_model::U256;
use std::process::ExitCode;

/// Targets from the engine issue: one variable-base scalar multiplication.
const TARGET_TINY: u64 = 1_300_000;
const TARGET_FAST: u64 = 250_000;

struct Row {
    lanes: Lanes,
    scalar_mult: u64,
    keygen: u64,
    sign: u64,
    ecdh: u64,
}

fn measure(lanes: Lanes) -> Result<Row, String> {
    let fw = firmware();
    let g = Affine {
        x: scu_model::consts::GX,
        y: scu_model::consts::GY,
    };
    let d = U256::from_be_hex("c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721");
    let k = U256::from_be_hex("a6e3c57dd01abe90086538398355dd4c3b17aa873382b0f24d6129493d8aad60");
    let e = U256::from_be_hex("af2bdbe1aa9b6ec1e2ade1d694f41fc71a831d0268e9891562113d8a62add1bf");
    let check = |name: &str, ok: bool| {
        if ok {
            Ok(())
        } else {
            Err(format!("{name} failed on {lanes}"))
        }
    };
    let sm = ops::scalar_mult(fw, lanes, &d, &g);
    check("scalar_mult", sm.result.is_ok())?;
    let kg = ops::keygen(fw, lanes, &d);
    check("keygen", kg.result.is_ok())?;
    let q = kg.result.map_err(|e| e.to_string())?;
    let sg = ops::sign(fw, lanes, &d, &k, &e);
    check("sign", sg.result.is_ok())?;
    let dh = ops::ecdh(fw, lanes, &k, &q);
    check("ecdh", dh.result.is_ok())?;
    Ok(Row {
        lanes,
        scalar_mult: sm.cycles,
        keygen: kg.cycles,
        sign: sg.cycles,
        ecdh: dh.cycles,
    })
}

fn target(lanes: Lanes) -> Option<u64> {
    match lanes.get() {
        1 => Some(TARGET_TINY),
        8 => Some(TARGET_FAST),
        _ => None,
    }
}

fn standing(r: &Row) -> String {
    match target(r.lanes) {
        Some(t) if r.scalar_mult <= t => format!(
            "meets <= {t} ({:.0}% of it)",
            100.0 * r.scalar_mult as f64 / t as f64
        ),
        Some(t) => format!("MISSES <= {t} by {}", r.scalar_mult - t),
        None => "-".into(),
    }
}

fn main() -> ExitCode {
    let markdown = std::env::args().any(|a| a == "--markdown");
    let rows: Result<Vec<Row>, String> = Lanes::ALL.iter().map(|&l| measure(l)).collect();
    let rows = match rows {
        Ok(r) => r,
        Err(e) => {
            eprintln!("scu-cycles: {e}");
            return ExitCode::FAILURE;
        }
    };
    let rom = firmware().rom().len();
    if markdown {
        println!("Engine cycles per operation, from the instruction-set simulator (`cargo run -p scu-model --bin scu-cycles`).");
        println!("Countermeasures on in every figure: constant-time co-Z ladder, input-point validation, on-curve check of the result.");
        println!(
            "Microcode: {rom} instructions. Routines: {}.",
            Routine::ALL.map(|r| r.label()).join(", ")
        );
        println!();
        println!("| lanes L | scalar mult | keygen | ECDSA sign | ECDH | scalar mult vs target |");
        println!("|---|---:|---:|---:|---:|---|");
        for r in &rows {
            println!(
                "| {} | {} | {} | {} | {} | {} |",
                r.lanes.get(),
                r.scalar_mult,
                r.keygen,
                r.sign,
                r.ecdh,
                standing(r)
            );
        }
    } else {
        println!("SCU engine cycles (instruction-set simulator; microcode {rom} instructions)");
        println!(
            "{:>7} {:>12} {:>12} {:>12} {:>12}  scalar mult vs target",
            "lanes", "scalar mult", "keygen", "sign", "ecdh"
        );
        for r in &rows {
            println!(
                "{:>7} {:>12} {:>12} {:>12} {:>12}  {}",
                r.lanes.get(),
                r.scalar_mult,
                r.keygen,
                r.sign,
                r.ecdh,
                standing(r)
            );
        }
    }
    ExitCode::SUCCESS
}
