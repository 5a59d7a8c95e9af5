//! Every instruction, in rust-hdl's simulator, held to the model trace entry
//! by entry for L = 1, 2, 4 and 8: arithmetic on reduced and unreduced
//! operands, flags and swaps, control flow, and the error paths.

use proptest::prelude::*;
use scu_hdl::sim::{HdlPins, HdlSim};
use scu_model::asm::{Asm, Program};
use scu_model::backend::{run_lockstep, EngineBackend, LockstepReport};
use scu_model::consts::{N, P};
use scu_model::field::Modulus;
use scu_model::isa::{err, reg, Action, Cond, FlagMode, Instr, Reg, TestRhs};
use scu_model::U256;

type L1 = HdlSim<1, 16, 40, 1, 16, 20, 9>;
type L2 = HdlSim<2, 32, 56, 2, 32, 36, 8>;
type L4 = HdlSim<4, 64, 88, 4, 64, 68, 7>;
type L8 = HdlSim<8, 128, 152, 8, 128, 132, 6>;

fn all_regs() -> Vec<Reg> {
    (0..32).map(Reg).collect()
}

fn lockstep<B: EngineBackend>(
    mk: fn(&[u32]) -> B,
    p: &Program,
    inputs: &[(Reg, U256)],
) -> LockstepReport {
    let mut b = mk(&p.words);
    run_lockstep(&mut b, &p.words, 0, inputs, &all_regs()).unwrap_or_else(|e| panic!("{e}"))
}

fn new_l1(rom: &[u32]) -> L1 {
    HdlPins::<1, 16, 40, 1, 16, 20, 9>::build(rom).expect("builds")
}
fn new_l2(rom: &[u32]) -> L2 {
    HdlPins::<2, 32, 56, 2, 32, 36, 8>::build(rom).expect("builds")
}
fn new_l4(rom: &[u32]) -> L4 {
    HdlPins::<4, 64, 88, 4, 64, 68, 7>::build(rom).expect("builds")
}
fn new_l8(rom: &[u32]) -> L8 {
    HdlPins::<8, 128, 152, 8, 128, 132, 6>::build(rom).expect("builds")
}

/// Arithmetic on four operands: two reduced mod p or n, two arbitrary
/// 256-bit values (the hardware must match the model's exact rule on those
/// too).
fn arithmetic_program() -> Program {
    let mut a = Asm::new();
    let (x, y, u, v) = (Reg(1), Reg(2), Reg(3), Reg(4));
    for (s, t) in [(x, y), (u, v), (x, u), (y, y)] {
        a.mul(Reg(5), s, t);
        a.mul_n(Reg(6), s, t);
        a.add(Reg(7), s, t);
        a.add_n(Reg(8), s, t);
        a.sub(Reg(9), s, t);
        a.sub_n(Reg(10), s, t);
    }
    // In place, and constants as operands.
    a.mul(Reg(11), reg::R2P, reg::BM);
    a.mul(x, x, x);
    a.add(y, y, reg::ONEM);
    a.sub_n(u, reg::ZERO, u);
    a.copy(Reg(12), reg::GX);
    a.copy(Reg(12), Reg(12));
    a.halt();
    a.finish().expect("assembles")
}

fn flags_program() -> Program {
    let mut a = Asm::new();
    let (x, y) = (Reg(1), Reg(2));
    for cond in [Cond::Eq, Cond::Ne, Cond::Lt, Cond::Ge] {
        a.test_flag(x, cond, y);
        a.cswap(Reg(3), Reg(4));
        a.test_flag(x, cond, x);
        a.cswap(Reg(3), Reg(4));
        a.raise_if(y, cond, x, err::RETRY);
    }
    a.raise_if_vs_modulus(x, Cond::Ge, Modulus::P, err::POINT);
    a.raise_if_vs_modulus(y, Cond::Lt, Modulus::N, err::SCALAR);
    // FLAG in every mode over a few bit positions, including 255 (bit 256 reads 0).
    for n in [255u16, 254, 128, 17, 16, 15, 1, 0] {
        a.setcnt(n);
        for mode in [FlagMode::XorNext, FlagMode::Bit, FlagMode::NotBit] {
            a.flag(x, mode);
            a.cswap(Reg(5), Reg(6));
        }
    }
    a.halt();
    a.finish().expect("assembles")
}

fn control_program() -> Program {
    let mut a = Asm::new();
    a.setcnt(3);
    a.label("outer");
    a.call("f");
    a.djnz("outer");
    a.jmp("end");
    a.label("f");
    a.add(Reg(1), Reg(1), reg::ONE);
    a.call("g");
    a.ret();
    a.label("g");
    a.add(Reg(2), Reg(2), Reg(1));
    a.ret();
    a.label("end");
    a.halt();
    a.finish().expect("assembles")
}

/// Hand-encoded words the assembler would refuse: writes to constants, an
/// undefined opcode.
fn raw_program(words: &[u32]) -> Program {
    Program {
        instrs: Vec::new(),
        words: words.to_vec(),
        labels: Default::default(),
    }
}

fn u256(words: [u16; 16]) -> U256 {
    U256(words)
}

fn operands() -> impl Strategy<Value = [U256; 4]> {
    let any = prop::array::uniform16(any::<u16>()).prop_map(u256);
    (any.clone(), any.clone(), any.clone(), any).prop_map(|(a, b, c, d)| {
        // Reduce the first two: one mod p, one mod n.
        let a = scu_model::field::add(&a, &U256::ZERO, Modulus::P);
        let b = scu_model::field::add(&b, &U256::ZERO, Modulus::N);
        [a, b, c, d]
    })
}

fn inputs(v: &[U256; 4]) -> Vec<(Reg, U256)> {
    v.iter()
        .enumerate()
        .map(|(i, x)| (Reg(i as u8 + 1), *x))
        .collect()
}

macro_rules! per_build {
    ($name:ident, $mk:ident, $cases:expr) => {
        mod $name {
            use super::*;

            proptest! {
                #![proptest_config(ProptestConfig::with_cases($cases))]

                #[test]
                fn arithmetic(v in operands()) {
                    lockstep($mk, &arithmetic_program(), &inputs(&v));
                }

                #[test]
                fn flags_tests_and_swaps(v in operands(), same in any::<bool>()) {
                    let mut v = v;
                    if same { v[1] = v[0]; }
                    lockstep($mk, &flags_program(), &inputs(&v));
                }
            }

            #[test]
            fn arithmetic_edges() {
                let pm1 = P.sbb(&U256::ONE).0;
                let nm1 = N.sbb(&U256::ONE).0;
                let top = U256([0xffff; 16]);
                for v in [
                    [pm1, nm1, top, top],
                    [U256::ZERO, U256::ZERO, P, N],
                    [U256::ONE, pm1, top, U256::ZERO],
                ] {
                    lockstep($mk, &arithmetic_program(), &inputs(&v));
                }
            }

            /// TEST against the modulus (the row ALU's t chain forming
            /// a - m): both moduli, every condition, values around each,
            /// the verdict checked against U256's own comparison too.
            #[test]
            fn tests_against_the_modulus_at_its_edges() {
                let near = |m: U256| [m.sbb(&U256::ONE).0, m, m.adc(&U256::ONE).0];
                let values: Vec<U256> = near(P)
                    .into_iter()
                    .chain(near(N))
                    .chain([U256::ZERO, U256([0xffff; 16])])
                    .collect();
                for (modulus, m) in [(Modulus::P, P), (Modulus::N, N)] {
                    for cond in [Cond::Eq, Cond::Ne, Cond::Lt, Cond::Ge] {
                        let mut a = Asm::new();
                        a.raise_if_vs_modulus(Reg(1), cond, modulus, err::RETRY);
                        a.halt();
                        let p = a.finish().expect("assembles");
                        for &x in &values {
                            let holds = match cond {
                                Cond::Eq => x == m,
                                Cond::Ne => x != m,
                                Cond::Lt => x < m,
                                Cond::Ge => x >= m,
                            };
                            let r = lockstep($mk, &p, &[(Reg(1), x)]);
                            assert_eq!(
                                r.err,
                                u8::from(holds) << err::RETRY,
                                "{x:?} {cond:?} {modulus:?}"
                            );
                        }
                    }
                }
            }

            #[test]
            fn control_flow() {
                let r = lockstep($mk, &control_program(), &[(Reg(1), U256::from_u16(5))]);
                assert_eq!(r.err, 0);
            }

            #[test]
            fn stack_overflow_and_underflow_raise_illegal() {
                let mut a = Asm::new();
                a.label("deep");
                a.call("deep");
                let r = lockstep($mk, &a.finish().expect("assembles"), &[]);
                assert_eq!(r.err, 1 << err::ILLEGAL);
                let mut a = Asm::new();
                a.ret();
                let r = lockstep($mk, &a.finish().expect("assembles"), &[]);
                assert_eq!(r.err, 1 << err::ILLEGAL);
            }

            #[test]
            fn undefined_words_raise_illegal() {
                for bad in [0xf000_0000u32, 0xd000_0000, (6 << 28) | 3] {
                    let r = lockstep($mk, &raw_program(&[bad]), &[]);
                    assert_eq!(r.err, 1 << err::ILLEGAL, "{bad:#010x}");
                }
            }

            #[test]
            fn constant_registers_ignore_writes() {
                let words = [
                    Instr::Copy {
                        d: reg::GX,
                        a: Reg(1),
                    }
                    .encode(),
                    Instr::Mul {
                        d: reg::R2P,
                        a: Reg(1),
                        b: Reg(1),
                        m: Modulus::P,
                    }
                    .encode(),
                    Instr::Cswap {
                        a: reg::HALFN,
                        b: Reg(1),
                    }
                    .encode(),
                    Instr::Test {
                        a: Reg(1),
                        b: TestRhs::Reg(reg::ZERO),
                        m: Modulus::P,
                        cond: Cond::Ne,
                        act: Action::SetFlag,
                    }
                    .encode(),
                    Instr::Cswap {
                        a: reg::HALFN,
                        b: Reg(1),
                    }
                    .encode(),
                    Instr::Halt.encode(),
                ];
                // all_regs() compares every register, constants included, afterwards.
                lockstep($mk, &raw_program(&words), &[(Reg(1), U256::from_u16(7))]);
            }

            #[test]
            fn host_writes_to_constants_are_ignored() {
                let mut b = $mk(&[Instr::Halt.encode()]);
                b.load(reg::GX, &U256::ONE).expect("host write");
                assert_eq!(b.read(reg::GX).expect("host read"), scu_model::consts::GX);
                b.load(Reg(3), &U256::ONE).expect("host write");
                assert_eq!(b.read(Reg(3)).expect("host read"), U256::ONE);
            }
        }
    };
}

per_build!(l1, new_l1, 6);
per_build!(l2, new_l2, 3);
per_build!(l4, new_l4, 3);
per_build!(l8, new_l8, 6);
