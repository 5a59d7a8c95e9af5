//! The engine's security countermeasures, as data. Each is tagged
//! `SEC_CM: NAME` where it is implemented; a workspace test checks that
//! every entry has a tag and every tag an entry.

/// One countermeasure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Countermeasure {
    /// Its tag name.
    pub name: &'static str,
    /// What it protects against and how.
    pub summary: &'static str,
}

/// Every countermeasure of the engine.
pub const COUNTERMEASURES: &[Countermeasure] = &[
    Countermeasure {
        name: "CTRL.NO_DATA_BRANCH",
        summary: "The only branch is DJNZ on the loop counter: every run of a routine retires the same \
                  instructions at the same cycles whatever the inputs (timing side channel).",
    },
    Countermeasure {
        name: "LADDER.CSWAP_DATA",
        summary: "Secret-dependent swaps move register contents through the datapath and always rewrite \
                  both registers; register addresses never depend on secrets.",
    },
    Countermeasure {
        name: "LADDER.EXCEPTIONS_CLOSED",
        summary: "Scalar normalisation (k' <= (n-1)/2, laddered as k' + n or k' + 2n) and the x = 0 Z \
                  recovery keep the co-Z formulas away from exceptional inputs for every scalar and point.",
    },
    Countermeasure {
        name: "INPUT.POINT_VALIDATION",
        summary: "Input points must have coordinates below p and lie on the curve; otherwise an error bit \
                  is raised and the output may not be used (invalid-curve attacks).",
    },
    Countermeasure {
        name: "INPUT.SCALAR_RANGE",
        summary: "Private keys and ECDSA nonces must lie in [1, n-1].",
    },
    Countermeasure {
        name: "RESULT.ON_CURVE",
        summary: "Every result point is checked on the curve before release; a failure raises FAULT \
                  (fault injection).",
    },
    Countermeasure {
        name: "CONST.WRITE_PROTECT",
        summary: "Constant registers (curve constants, Montgomery factors, G) ignore writes from \
                  microcode and from the host.",
    },
    Countermeasure {
        name: "ENGINE.ZEROIZE",
        summary: "The `clear` routine overwrites every variable register; the device runs it after \
                  every command that placed a private key, nonce or shared secret in the engine.",
    },
    Countermeasure {
        name: "DEVICE.SCRUB",
        summary: "Every command path that placed a private key, nonce or shared secret in the engine, the \
                  byte staging register or the SHA unit overwrites them before its response is readable.",
    },
    Countermeasure {
        name: "RNG.HEALTH_AFTER_DRAW",
        summary: "The raw source's health tests are checked after every draw of random bytes and \
                  before they are used: bits drawn while the source failed never become a key or nonce.",
    },
    Countermeasure {
        name: "DECODE.ILLEGAL_HALTS",
        summary: "An undefined instruction word or a return-stack overflow or underflow stops the engine \
                  with ILLEGAL set (corrupted ROM or control flow).",
    },
];
