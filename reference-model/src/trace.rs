//! The trace every engine implementation emits, one entry per retired
//! micro-instruction, and the one checker that compares two of them.
//!
//! The model, the rust-hdl simulation and the Verilator build all produce
//! [`TraceEvent`]s; [`Lockstep`] holds an implementation to the model's
//! trace entry by entry and fails on the first difference, naming it, or on
//! leftovers at [`Lockstep::finish`].

use core::fmt;

/// `dest` of an instruction that writes no register.
pub const NO_DEST: u8 = 0xff;

/// One retired micro-instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TraceEvent {
    /// The cycle it retired on, counted from 0 at the start of the run.
    pub cycle: u64,
    /// Its microcode address.
    pub pc: u16,
    /// The register it wrote (the first of the two for CSWAP), or [`NO_DEST`].
    pub dest: u8,
    /// A digest of what it produced: the words written (see [`digest`]), the
    /// status `(err << 1) | F` for FLAG and TEST, the loop counter for
    /// control instructions, the error register for HALT.
    pub digest: u16,
}

impl fmt::Display for TraceEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cycle {:>8} pc {:>4} dest ", self.cycle, self.pc)?;
        if self.dest == NO_DEST {
            write!(f, "-- ")?;
        } else {
            write!(f, "r{:<2}", self.dest)?;
        }
        write!(f, " digest {:04x}", self.digest)
    }
}

/// Folds words into a digest in write order: `d = rotl(d, 1) ^ w`.
/// Cheap in hardware (a row of W words folds in one cycle with fixed
/// rotations) and any single differing word changes it.
pub fn digest(mut d: u16, words: &[u16]) -> u16 {
    for &w in words {
        d = d.rotate_left(1) ^ w;
    }
    d
}

/// A difference between two traces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mismatch {
    /// Entry `index` differs.
    Entry {
        /// Position in the trace.
        index: usize,
        /// The model's entry.
        expected: TraceEvent,
        /// The implementation's entry.
        got: TraceEvent,
    },
    /// The implementation retired more instructions than the model.
    Extra {
        /// Position in the trace.
        index: usize,
        /// The extra entry.
        got: TraceEvent,
    },
    /// The implementation stopped early.
    Missing {
        /// Position of the first missing entry.
        index: usize,
        /// The model's entry there.
        expected: TraceEvent,
    },
    /// Same entries, different total cycle count.
    TotalCycles {
        /// The model's total.
        expected: u64,
        /// The implementation's total.
        got: u64,
    },
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mismatch::Entry {
                index,
                expected,
                got,
            } => {
                write!(
                    f,
                    "trace entry {index} differs:\n  expected {expected}\n  got      {got}"
                )
            }
            Mismatch::Extra { index, got } => write!(f, "extra trace entry {index}: {got}"),
            Mismatch::Missing { index, expected } => {
                write!(f, "trace ends early at entry {index}; expected {expected}")
            }
            Mismatch::TotalCycles { expected, got } => {
                write!(f, "total cycles differ: expected {expected}, got {got}")
            }
        }
    }
}

/// Holds a trace to an expected one, entry by entry.
#[derive(Clone, Debug)]
pub struct Lockstep<'a> {
    expected: &'a [TraceEvent],
    next: usize,
}

impl<'a> Lockstep<'a> {
    /// A checker against the model's trace.
    pub fn new(expected: &'a [TraceEvent]) -> Lockstep<'a> {
        Lockstep { expected, next: 0 }
    }

    /// Checks the next retired instruction.
    pub fn check(&mut self, got: &TraceEvent) -> Result<(), Mismatch> {
        let index = self.next;
        self.next += 1;
        match self.expected.get(index) {
            None => Err(Mismatch::Extra { index, got: *got }),
            Some(e) if e != got => Err(Mismatch::Entry {
                index,
                expected: *e,
                got: *got,
            }),
            Some(_) => Ok(()),
        }
    }

    /// Entries checked so far.
    pub fn checked(&self) -> usize {
        self.next
    }

    /// Ends the check: no entry may be left over, and the totals must agree.
    pub fn finish(self, expected_total: u64, got_total: u64) -> Result<(), Mismatch> {
        if let Some(e) = self.expected.get(self.next) {
            return Err(Mismatch::Missing {
                index: self.next,
                expected: *e,
            });
        }
        if expected_total != got_total {
            return Err(Mismatch::TotalCycles {
                expected: expected_total,
                got: got_total,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(cycle: u64, pc: u16) -> TraceEvent {
        TraceEvent {
            cycle,
            pc,
            dest: 1,
            digest: 7,
        }
    }

    #[test]
    fn digest_sees_every_word() {
        let base = [1u16, 2, 3, 4];
        for i in 0..4 {
            let mut w = base;
            w[i] ^= 0x8000;
            assert_ne!(digest(0, &w), digest(0, &base));
        }
    }

    #[test]
    fn lockstep_names_the_first_difference() {
        let model = [ev(1, 0), ev(5, 1), ev(9, 2)];
        let mut l = Lockstep::new(&model);
        assert_eq!(l.check(&ev(1, 0)), Ok(()));
        let bad = ev(6, 1);
        assert_eq!(
            l.check(&bad),
            Err(Mismatch::Entry {
                index: 1,
                expected: ev(5, 1),
                got: bad
            })
        );
    }

    #[test]
    fn lockstep_fails_on_leftovers_extras_and_totals() {
        let model = [ev(1, 0), ev(5, 1)];
        let mut l = Lockstep::new(&model);
        l.check(&ev(1, 0)).expect("same");
        assert_eq!(
            l.finish(6, 6),
            Err(Mismatch::Missing {
                index: 1,
                expected: ev(5, 1)
            })
        );

        let mut l = Lockstep::new(&model);
        l.check(&ev(1, 0)).expect("same");
        l.check(&ev(5, 1)).expect("same");
        assert_eq!(
            l.check(&ev(7, 2)),
            Err(Mismatch::Extra {
                index: 2,
                got: ev(7, 2)
            })
        );

        let mut l = Lockstep::new(&model);
        l.check(&ev(1, 0)).expect("same");
        l.check(&ev(5, 1)).expect("same");
        assert_eq!(
            l.finish(6, 7),
            Err(Mismatch::TotalCycles {
                expected: 6,
                got: 7
            })
        );
    }
}
