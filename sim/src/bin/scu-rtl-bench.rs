//! Runs every routine on the Verilated RTL of both builds and prints the
//! `BENCHMARKS.md` section: cycles per operation measured on the RTL (and
//! checked equal to the model's prediction) and the wall-clock speed of the
//! two simulators (Verilator and rust-hdl's own).
//!
//! `scu-rtl-bench [--skip-rust-hdl]`; the rust-hdl measurement takes about
//! a minute.

use scu_hdl::sim::HdlPins;
use scu_model::backend::EngineBackend;
use scu_model::isa::Reg;
use scu_model::microcode::Routine;
use scu_model::ops::{firmware, inputs, run_routine};
use scu_model::timing::Lanes;
use scu_model::U256;
use scu_sim::RtlPins;
use std::process::ExitCode;
use std::time::Instant;

struct Inputs {
    routine: Routine,
    regs: Vec<(Reg, U256)>,
}

fn workload() -> Vec<Inputs> {
    let h = U256::from_be_hex;
    let d = h("c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721");
    let k = h("a6e3c57dd01abe90086538398355dd4c3b17aa873382b0f24d6129493d8aad60");
    let e = h("af2bdbe1aa9b6ec1e2ade1d694f41fc71a831d0268e9891562113d8a62add1bf");
    let g = scu_model::ladder::Affine {
        x: scu_model::consts::GX,
        y: scu_model::consts::GY,
    };
    vec![
        Inputs {
            routine: Routine::ScalarMult,
            regs: inputs::scalar_mult(&k, &g).to_vec(),
        },
        Inputs {
            routine: Routine::Keygen,
            regs: inputs::keygen(&d).to_vec(),
        },
        Inputs {
            routine: Routine::Sign,
            regs: inputs::sign(&d, &k, &e).to_vec(),
        },
        Inputs {
            routine: Routine::Ecdh,
            regs: inputs::ecdh(&d, &g).to_vec(),
        },
    ]
}

/// Runs one routine on a backend: (cycles, seconds).
fn time_run<B: EngineBackend>(b: &mut B, w: &Inputs) -> Result<(u64, f64), String> {
    for (r, v) in &w.regs {
        b.load(*r, v).map_err(|e| e.to_string())?;
    }
    let t = Instant::now();
    let s = b
        .run(firmware().entry(w.routine), &mut |_| true)
        .map_err(|e| e.to_string())?;
    Ok((s.cycles, t.elapsed().as_secs_f64()))
}

fn model_cycles(lanes: Lanes, w: &Inputs) -> Result<u64, String> {
    let mut e = scu_model::iss::Engine::new(lanes);
    run_routine(&mut e, firmware(), w.routine, &w.regs, |_| {})
        .map(|s| s.cycles)
        .map_err(|e| e.to_string())
}

fn run(skip_rust_hdl: bool) -> Result<(), String> {
    let work = workload();
    println!(
        "Measured on the Verilated RTL (`cargo run --release -p scu-sim --bin scu-rtl-bench`);"
    );
    println!("every count equals the reference model's prediction (checked by the command).");
    println!();
    println!("| build | scalar mult | keygen | ECDSA sign | ECDH | Verilator speed |");
    println!("|---|---:|---:|---:|---:|---:|");
    for lanes in [Lanes::TINY, Lanes::FAST] {
        let mut cells = Vec::new();
        let (mut cyc, mut secs) = (0u64, 0f64);
        for w in &work {
            let mut e = RtlPins::build(lanes).map_err(|e| e.to_string())?;
            let (c, s) = time_run(&mut e, w)?;
            let m = model_cycles(lanes, w)?;
            if c != m {
                return Err(format!(
                    "{lanes} {:?}: RTL {c} cycles, model {m}",
                    w.routine
                ));
            }
            cells.push(c.to_string());
            cyc += c;
            secs += s;
        }
        println!(
            "| {} | {} | {:.2} M cycles/s |",
            lanes,
            cells.join(" | "),
            cyc as f64 / secs / 1e6
        );
    }
    if !skip_rust_hdl {
        println!();
        println!("rust-hdl's own simulator on one scalar multiplication:");
        println!();
        println!("| build | cycles | rust-hdl speed |");
        println!("|---|---:|---:|");
        let w = &work[0];
        let mut e = HdlPins::<8, 128, 152, 8, 128, 132, 6>::build(firmware().rom())
            .map_err(|e| e.to_string())?;
        let (c, s) = time_run(&mut e, w)?;
        println!("| L=8 | {c} | {:.1} k cycles/s |", c as f64 / s / 1e3);
        let mut e = HdlPins::<1, 16, 40, 1, 16, 20, 9>::build(firmware().rom())
            .map_err(|e| e.to_string())?;
        let (c, s) = time_run(&mut e, w)?;
        println!("| L=1 | {c} | {:.1} k cycles/s |", c as f64 / s / 1e3);
    }
    Ok(())
}

fn main() -> ExitCode {
    let skip = std::env::args().any(|a| a == "--skip-rust-hdl");
    match run(skip) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("scu-rtl-bench: {e}");
            ExitCode::FAILURE
        }
    }
}
