//! The reference model at work: two parties generate keys, agree on an
//! ECDH secret and sign, each step on the engine's instruction-set
//! simulator with its cycle count for the tiny (L=1) and fast (L=8) builds.
//!
//! The keys and nonce are fixed, published test values (FIPS 186-4 CAVP),
//! so the run is reproducible; they are not secrets and are not printed.

use scu_model::ladder::Affine;
use scu_model::ops::{self, firmware, Run};
use scu_model::timing::Lanes;
use scu_model::U256;
use std::process::ExitCode;

fn cycles<T>(tiny: &Run<T>, fast: &Run<T>) -> String {
    format!(
        "{:>9} cycles at L=1, {:>7} at L=8",
        tiny.cycles, fast.cycles
    )
}

fn short(v: &U256) -> String {
    let s = v.to_string();
    format!("{}..{}", &s[..8], &s[56..])
}

fn run() -> Result<(), String> {
    let fw = firmware();
    let (tiny, fast) = (Lanes::TINY, Lanes::FAST);
    let alice_d =
        U256::from_be_hex("519b423d715f8b581f4fa8ee59f4771a5b44c8130b4e3eacca54a56dda72b464");
    let bob_d =
        U256::from_be_hex("0f56db78ca460b055c500064824bed999a25aaf48ebb519ac201537b85479813");
    let nonce =
        U256::from_be_hex("94a1bbb14b906a61a280f245f9e93c7f3b4a6247824f5d33b9670787642a68de");
    let digest =
        U256::from_be_hex("44acf6b7e36c1342c2c5897204fe09504e1e2efb1a900377dbc4e7a6a133ec56");

    println!("SCU reference model: the engine's microcode on the instruction-set simulator.");
    println!("(fixed FIPS 186-4 test keys, not secrets; nothing here touches hardware)\n");

    let keygen = |d: &U256| -> Result<(Affine, String), String> {
        let (t, f) = (ops::keygen(fw, tiny, d), ops::keygen(fw, fast, d));
        let q = t.result.map_err(|e| format!("keygen: {e}"))?;
        Ok((q, cycles(&t, &f)))
    };
    let (qa, ca) = keygen(&alice_d)?;
    println!("keygen  alice  Q.x = {}   {ca}", short(&qa.x));
    let (qb, cb) = keygen(&bob_d)?;
    println!("keygen  bob    Q.x = {}   {cb}", short(&qb.x));

    let (t, f) = (
        ops::ecdh(fw, tiny, &alice_d, &qb),
        ops::ecdh(fw, fast, &alice_d, &qb),
    );
    let za = t.result.map_err(|e| format!("ecdh: {e}"))?;
    println!("ecdh    alice  shared x        {}", cycles(&t, &f));
    let zb = ops::ecdh(fw, tiny, &bob_d, &qa)
        .result
        .map_err(|e| format!("ecdh: {e}"))?;
    if za.x != zb.x {
        return Err("the two ECDH results differ".into());
    }
    println!("ecdh    bob    shared x        (same value on both sides)");

    let (t, f) = (
        ops::sign(fw, tiny, &alice_d, &nonce, &digest),
        ops::sign(fw, fast, &alice_d, &nonce, &digest),
    );
    let (r, s) = t.result.map_err(|e| format!("sign: {e}"))?;
    println!("sign    alice  r = {}  s = {}", short(&r), short(&s));
    println!("               {}", cycles(&t, &f));

    let bad = Affine {
        x: U256::ONE,
        y: U256::ONE,
    };
    let t = ops::ecdh(fw, tiny, &alice_d, &bad);
    match t.result {
        Err(e) => println!(
            "ecdh    with an off-curve point: refused ({e}), same {} cycles",
            t.cycles
        ),
        Ok(_) => return Err("an off-curve point was accepted".into()),
    }
    println!("\nCycle counts for every build: cargo run --release -p scu-model --bin scu-cycles");
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("scu-model-demo: {e}");
            ExitCode::FAILURE
        }
    }
}
