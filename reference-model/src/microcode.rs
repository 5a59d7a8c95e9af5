//! The engine's programs. Each block follows a function of [`crate::ladder`]
//! step for step (the step numbers in the comments are the same), so the
//! field-level algorithm and the microcode can be read side by side.
//!
//! Entry points and their register conventions (plain values in, plain
//! values out; see [`crate::isa::reg`]):
//!
//! | routine | inputs | outputs |
//! |---|---|---|
//! | `scalar_mult` | K = k (any 256-bit value), XP, YP = P | OUT0, OUT1 = kP |
//! | `keygen` | D = d | OUT0, OUT1 = dG |
//! | `ecdh` | D = d, XP, YP = peer point | OUT0, OUT1 = dP |
//! | `sign` | D = d, NONCE = k, DIGEST = e | OUT0 = r, OUT1 = s (low-s) |
//! | `check_point` | XP, YP | none (POINT raised if invalid) |
//! | `clear` | none | every variable register zero |
//!
//! Every routine runs to the end whatever its inputs; the error register
//! says whether the outputs may be used (see [`crate::isa::err`]).

use crate::asm::{Asm, AsmError, Program};
use crate::consts::N;
use crate::field::Modulus;
use crate::isa::reg::*;
use crate::isa::{err, Cond, FlagMode, Reg};
use crate::words::U256;

/// The program's entry points.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Routine {
    /// Variable-base scalar multiplication with input-point validation.
    ScalarMult,
    /// Fixed-base key generation: public key of a private key.
    Keygen,
    /// ECDH: validated peer point times private key.
    Ecdh,
    /// ECDSA signature of a digest with a given nonce.
    Sign,
    /// Validation of XP, YP alone (the device refuses invalid peer points
    /// before any computation on them).
    CheckPoint,
    /// Zeroisation of every variable register.
    Clear,
}

impl Routine {
    /// Every routine.
    pub const ALL: [Routine; 4] = [
        Routine::ScalarMult,
        Routine::Keygen,
        Routine::Ecdh,
        Routine::Sign,
    ];

    /// Its label in the program.
    pub const fn label(self) -> &'static str {
        match self {
            Routine::ScalarMult => "scalar_mult",
            Routine::Keygen => "keygen",
            Routine::Ecdh => "ecdh",
            Routine::Sign => "sign",
            Routine::CheckPoint => "check_point",
            Routine::Clear => "clear",
        }
    }
}

/// y^2 and x^3 - 3x + b into `lhs` and `rhs` (Montgomery form), as in
/// `ladder::curve_rhs`.
fn curve_equation(a: &mut Asm, x: Reg, y: Reg, lhs: Reg, rhs: Reg) {
    a.sqr(lhs, y);
    a.sqr(rhs, x); // 1.
    a.sub(rhs, rhs, THREEM); // 2.
    a.mul(rhs, rhs, x); // 3.
    a.add(rhs, rhs, BM); // 4.
}

/// Raises SCALAR unless 1 <= r < n. SEC_CM: INPUT.SCALAR_RANGE
fn check_private_scalar(a: &mut Asm, r: Reg) {
    a.raise_if_vs_modulus(r, Cond::Ge, Modulus::N, err::SCALAR);
    a.raise_if(r, Cond::Eq, ZERO, err::SCALAR);
}

/// XYCZ-ADDC (`ladder::xycz_addc`): S1 := S0 + S1, S0 := S0 - S1.
fn xycz_addc(a: &mut Asm) {
    a.sub(T1, X0, X1); // 1.
    a.sqr(T1, T1); // 2. C
    a.mul(T2, X0, T1); // 3. W1
    a.mul(T3, X1, T1); // 4. W2
    a.sub(T1, Y0, Y1); // 5. Y1 - Y2
    a.add(T4, Y0, Y1); // 6. Y1 + Y2
    a.sub(T5, T2, T3); // 7. W1 - W2
    a.mul(Y0, Y0, T5); // 8. A1
    a.add(T5, T2, T3); // 9. W1 + W2
    a.sqr(X1, T1); // 10.
    a.sub(X1, X1, T5); // 11. X3
    a.sqr(X0, T4); // 12.
    a.sub(X0, X0, T5); // 13. X3'
    a.sub(T6, T2, X1); // 14.
    a.mul(Y1, T1, T6); // 15.
    a.sub(Y1, Y1, Y0); // 16. Y3
    a.sub(T6, T2, X0); // 17.
    a.mul(T6, T4, T6); // 18.
    a.sub(Y0, T6, Y0); // 19. Y3'
}

/// XYCZ-ADD (`ladder::xycz_add`): S0 := S1 + S0, S1 := S1 rescaled.
/// Uses T1, T3, T4 only.
fn xycz_add(a: &mut Asm) {
    a.sub(T1, X1, X0); // 1.
    a.sqr(T1, T1); // 2. C
    a.mul(X1, X1, T1); // 3. W1 (in place)
    a.mul(T3, X0, T1); // 4. W2
    a.sub(T1, Y1, Y0); // 5. Y1 - Y2
    a.sub(T4, X1, T3); // 6. W1 - W2
    a.mul(Y1, Y1, T4); // 7. A1
    a.sqr(X0, T1); // 8. D
    a.sub(X0, X0, X1); // 9.
    a.sub(X0, X0, T3); // 10. X3
    a.sub(T4, X1, X0); // 11.
    a.mul(T4, T1, T4); // 12.
    a.sub(Y0, T4, Y1); // 13. Y3
}

/// Conditional swap of the ladder slots. SEC_CM: LADDER.CSWAP_DATA
fn swap_slots(a: &mut Asm) {
    a.cswap(X0, X1);
    a.cswap(Y0, Y1);
}

/// Steps A and B of `smul_core`: XP, YP below p, into Montgomery form, on
/// the curve; POINT raised otherwise.
fn validate_point(a: &mut Asm) {
    // A. Input point: coordinates below p. SEC_CM: INPUT.POINT_VALIDATION
    a.raise_if_vs_modulus(XP, Cond::Ge, Modulus::P, err::POINT);
    a.raise_if_vs_modulus(YP, Cond::Ge, Modulus::P, err::POINT);
    // B. Montgomery form; on the curve.
    a.mul(XP, XP, R2P);
    a.mul(YP, YP, R2P);
    curve_equation(a, XP, YP, T1, T2);
    a.raise_if(T1, Cond::Ne, T2, err::POINT);
}

/// `smul_core`: OUT = K * (XP, YP) (`ladder::scalar_mult`).
fn smul_core(a: &mut Asm) {
    a.label("smul_core");
    validate_point(a);
    // C. k' = min(k mod n, n - k mod n); P := -P with the second.
    // SEC_CM: LADDER.EXCEPTIONS_CLOSED
    a.add_n(KT, K, ZERO);
    a.sub_n(T1, ZERO, KT);
    a.test_flag(KT, Cond::Ge, HALFN);
    a.cswap(KT, T1);
    a.sub(T2, ZERO, YP);
    a.cswap(YP, T2);
    // D. K = low 256 bits of k' + n or k' + 2n (bit 256 is implicit).
    a.sub_n(K, KT, C1);
    // E. XYCZ-IDBL (`ladder::xycz_idbl`): S0 = P, S1 = 2P.
    a.sqr(T1, YP); // 1.
    a.mul(T2, XP, T1); // 2.
    a.add(T2, T2, T2); // 3.
    a.add(X0, T2, T2); // 4. S
    a.sqr(T3, T1); // 5.
    a.add(T3, T3, T3); // 6.
    a.add(T3, T3, T3); // 7.
    a.add(Y0, T3, T3); // 8. 8y^4
    a.sqr(T4, XP); // 9.
    a.sub(T4, T4, ONEM); // 10.
    a.add(T5, T4, T4); // 11.
    a.add(T4, T5, T4); // 12. M
    a.sqr(T5, T4); // 13.
    a.sub(T5, T5, X0); // 14.
    a.sub(X1, T5, X0); // 15. X3
    a.sub(T5, X0, X1); // 16.
    a.mul(T5, T4, T5); // 17.
    a.sub(Y1, T5, Y0); // 18. Y3
                       // F. Bits 255 .. 1.
    a.setcnt(255);
    a.label("ladder");
    a.flag(K, FlagMode::XorNext);
    swap_slots(a);
    xycz_addc(a);
    xycz_add(a);
    a.djnz("ladder");
    // Bit 0 (cnt = 0): the conjugate addition only.
    a.flag(K, FlagMode::XorNext);
    swap_slots(a);
    xycz_addc(a);
    // G. Z recovery. T2 = s y_P, s = +1 when bit 0 is set.
    a.sub(T1, ZERO, YP);
    a.copy(T2, YP);
    a.flag(K, FlagMode::NotBit);
    a.cswap(T2, T1);
    a.sub(T3, X1, X0); // d
    a.mul(T5, T2, X0); // num
    a.mul(T6, XP, Y0);
    a.mul(T6, T6, T3); // den
    a.mul(T4, X1, Y0);
    a.add(T1, T4, T4);
    a.add(T4, T1, T4); // num for x_P = 0
    a.sqr(T1, X1);
    a.mul(T1, T1, X1);
    a.sqr(OUT0, Y0);
    a.add(T1, T1, OUT0);
    a.sqr(OUT0, Y1);
    a.sub(T1, T1, OUT0);
    a.mul(T1, T1, T2);
    a.mul(T1, T1, T3); // den for x_P = 0
    a.test_flag(XP, Cond::Eq, ZERO);
    a.cswap(T5, T4);
    a.cswap(T6, T1);
    // H. Final addition; swap back so that S0 = R0.
    xycz_add(a);
    a.flag(K, FlagMode::Bit);
    swap_slots(a);
    // I. Affine result.
    a.copy(T1, T6);
    a.call("inv_p");
    a.mul(T1, T1, T5); // lambda
    a.sqr(T2, T1);
    a.mul(OUT0, X0, T2);
    a.mul(T2, T2, T1);
    a.mul(OUT1, Y0, T2);
    // J. k' = 1 gives P; k' = 0 the identity.
    a.test_flag(KT, Cond::Eq, ONE);
    a.cswap(OUT0, XP);
    a.cswap(OUT1, YP);
    a.raise_if(KT, Cond::Eq, ZERO, err::IDENTITY);
    // K. Fault check: the result is on the curve. SEC_CM: RESULT.ON_CURVE
    curve_equation(a, OUT0, OUT1, T1, T2);
    a.raise_if(T1, Cond::Ne, T2, err::FAULT);
    // L. Plain coordinates.
    a.mul(OUT0, OUT0, ONE);
    a.mul(OUT1, OUT1, ONE);
    a.ret();
}

/// `inv_p`: T1 := T1^(p - 2) mod p. p - 2 is, from the top, 32 ones,
/// 0x00000001, 96 zeros, 64 ones and 0xfffffffd; the chain builds
/// t_k = a^(2^k - 1). 255 squarings and 13 multiplications. Scratch: T2, T3,
/// T4, T6, X1.
fn inv_p(a: &mut Asm) {
    a.label("inv_p");
    let p = Modulus::P;
    a.sqr(T2, T1);
    a.mul(T2, T2, T1); // t2
    a.sqr(T3, T2);
    a.sqr(T3, T3);
    a.mul(T3, T3, T2); // t4
    a.sqr(T4, T3);
    a.sqr(T4, T4);
    a.mul(T4, T4, T2); // t6
    a.sqr(T3, T4);
    a.sqr(T3, T3);
    a.mul(T3, T3, T2); // t8
    a.sqr(T6, T3);
    a.square_times(T6, 5, p);
    a.mul(T6, T6, T4); // t14
    a.sqr(T3, T6);
    a.sqr(T3, T3);
    a.mul(T3, T3, T2); // t16
    a.sqr(T4, T3);
    a.square_times(T4, 13, p);
    a.mul(T4, T4, T6); // t30
    a.sqr(T3, T4);
    a.sqr(T3, T3);
    a.mul(T3, T3, T2); // t32
    a.sqr(X1, T3);
    a.square_times(X1, 31, p);
    a.mul(X1, X1, T1); // ffffffff 00000001
    a.square_times(X1, 128, p);
    a.mul(X1, X1, T3); // ... 96 zeros, ffffffff
    a.square_times(X1, 32, p);
    a.mul(X1, X1, T3); // ffffffff
    a.square_times(X1, 30, p);
    a.mul(X1, X1, T4); // fffffffc >> 2
    a.square_times(X1, 2, p);
    a.mul(T1, X1, T1); // ...fd
    a.ret();
}

/// Left-to-right sliding-window exponentiation by a public constant:
/// `out := base^e mod m` with odd powers base^1, base^3, ..., base^(2w+1) in
/// `table` (table[0] is `base` itself) and `sq` as scratch for base^2.
fn pow_sliding_window(a: &mut Asm, e: &U256, m: Modulus, table: &[Reg], sq: Reg, out: Reg) {
    let window = match table.len() {
        1 => 1,
        2 => 2,
        4 => 3,
        8 => 4,
        _ => panic!("table of 1, 2, 4 or 8 odd powers"),
    };
    let mul = |a: &mut Asm, d, x, y| a.instr(crate::isa::Instr::Mul { d, a: x, b: y, m });
    mul(a, sq, table[0], table[0]);
    for i in 1..table.len() {
        mul(a, table[i], table[i - 1], sq);
    }
    let mut i = 255i32;
    while i >= 0 && !e.bit(i as usize) {
        i -= 1;
    }
    let mut started = false;
    let mut pending: u16 = 0;
    while i >= 0 {
        if !e.bit(i as usize) {
            pending += 1;
            i -= 1;
            continue;
        }
        // The longest window of at most `window` bits ending in a one.
        let mut j = (i - window as i32 + 1).max(0);
        while !e.bit(j as usize) {
            j += 1;
        }
        let mut v = 0usize;
        for b in (j..=i).rev() {
            v = (v << 1) | e.bit(b as usize) as usize;
        }
        let len = (i - j + 1) as u16;
        if started {
            a.square_times(out, pending + len, m);
            mul(a, out, out, table[v >> 1]);
        } else {
            a.copy(out, table[v >> 1]);
            started = true;
        }
        pending = 0;
        i = j - 1;
    }
    a.square_times(out, pending, m);
}

/// `inv_n`: T1 := T1^(n - 2) mod n (Montgomery form in and out).
fn inv_n(a: &mut Asm) {
    a.label("inv_n");
    let e = N.sbb(&U256::from_u16(2)).0;
    pow_sliding_window(a, &e, Modulus::N, &[T1, X0, Y0, X1, Y1, XP, YP, T2], T3, T4);
    a.copy(T1, T4);
    a.ret();
}

fn entry_points(a: &mut Asm) {
    a.label(Routine::ScalarMult.label());
    a.call("smul_core");
    a.halt();

    a.label(Routine::Keygen.label());
    check_private_scalar(a, D);
    a.copy(K, D);
    a.copy(XP, GX);
    a.copy(YP, GY);
    a.call("smul_core");
    a.halt();

    a.label(Routine::Ecdh.label());
    check_private_scalar(a, D);
    a.copy(K, D);
    a.call("smul_core");
    a.halt();

    // ECDSA (FIPS 186-4, 6.4): r = x(kG) mod n, s = k^-1 (e + r d) mod n,
    // returned with s <= n / 2 ("low s").
    a.label(Routine::Sign.label());
    check_private_scalar(a, D);
    check_private_scalar(a, NONCE);
    a.copy(K, NONCE);
    a.copy(XP, GX);
    a.copy(YP, GY);
    a.call("smul_core");
    a.add_n(U, OUT0, ZERO); // r
    a.raise_if(U, Cond::Eq, ZERO, err::RETRY);
    a.mul_n(T1, NONCE, R2N);
    a.call("inv_n"); // k^-1 R
    a.mul_n(T2, U, R2N);
    a.mul_n(T3, D, R2N);
    a.mul_n(T2, T2, T3); // r d R
    a.add_n(T3, DIGEST, ZERO);
    a.mul_n(T3, T3, R2N); // e R
    a.add_n(T2, T2, T3);
    a.mul_n(T2, T2, T1); // s R
    a.mul_n(T2, T2, ONE); // s
    a.raise_if(T2, Cond::Eq, ZERO, err::RETRY);
    a.sub_n(T3, ZERO, T2);
    a.test_flag(T2, Cond::Ge, HALFN);
    a.cswap(T2, T3);
    a.copy(OUT0, U);
    a.copy(OUT1, T2);
    a.halt();

    a.label(Routine::CheckPoint.label());
    validate_point(a);
    a.halt();

    // SEC_CM: ENGINE.ZEROIZE
    a.label(Routine::Clear.label());
    for r in 0..crate::isa::FIRST_CONST {
        a.copy(Reg(r), ZERO);
    }
    a.halt();
}

/// Assembles the whole microcode ROM.
pub fn build() -> Result<Program, AsmError> {
    let mut a = Asm::new();
    entry_points(&mut a);
    smul_core(&mut a);
    inv_p(&mut a);
    inv_n(&mut a);
    a.finish()
}
