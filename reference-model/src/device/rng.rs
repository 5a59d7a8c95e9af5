//! The raw random source and its continuous health tests.
//!
//! On the FPGA the raw bits come from ring oscillators; in simulation (and
//! in this model) from a 32-bit Galois LFSR (x^32 + x^22 + x^2 + x + 1)
//! seeded per device. That source is deterministic and is reported as
//! simulated by INFO and in every attestation statement. Either way the
//! bits pass through the SP 800-90B section 4.4 health tests (repetition
//! count and adaptive proportion, for a claimed 0.5 bit of min-entropy per
//! raw bit and a false-positive rate of 2^-20) and are conditioned with
//! SHA-256 by the device firmware (64 raw bytes per 32 output bytes).

/// LFSR feedback taps.
pub const LFSR_TAPS: u32 = 0x8020_0003;
/// Repetition count test cutoff: 1 + ceil(20 / H) with H = 0.5.
pub const RCT_CUTOFF: u32 = 41;
/// Adaptive proportion test window (bits).
pub const APT_WINDOW: u32 = 1024;
/// Adaptive proportion test cutoff: 1 + CRITBINOM(1024, 2^-0.5, 1 - 2^-20).
pub const APT_CUTOFF: u32 = 793;
/// Raw bits per byte (one bit per clock cycle).
pub const BITS_PER_BYTE: u64 = 8;

/// Everything of the raw source that must survive a power cycle of a
/// simulated device (a restarted LFSR would repeat its bits, and with them
/// ECDSA nonces).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct RawSnapshot {
    /// LFSR state.
    pub lfsr: u32,
    /// Last bit (repetition count test).
    pub last: bool,
    /// Current run length.
    pub run: u32,
    /// Adaptive proportion test reference bit.
    pub apt_ref: bool,
    /// Its count in the window.
    pub apt_count: u32,
    /// Position in the window.
    pub apt_index: u32,
    /// Latched failure.
    pub failed: bool,
}

/// The simulated raw source with its health tests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawSource {
    lfsr: u32,
    last: bool,
    run: u32,
    apt_ref: bool,
    apt_count: u32,
    apt_index: u32,
    failed: bool,
}

impl RawSource {
    /// A source seeded with `seed` (a zero seed is replaced by 1: an LFSR
    /// stuck at zero would fail the health tests at once).
    pub fn new(seed: u32) -> RawSource {
        RawSource {
            lfsr: if seed == 0 { 1 } else { seed },
            last: false,
            run: 0,
            apt_ref: false,
            apt_count: 0,
            apt_index: 0,
            failed: false,
        }
    }

    /// The LFSR state (for the hardware's initial value).
    pub fn state(&self) -> u32 {
        self.lfsr
    }

    /// Its state, for persisting.
    pub fn snapshot(&self) -> RawSnapshot {
        RawSnapshot {
            lfsr: self.lfsr,
            last: self.last,
            run: self.run,
            apt_ref: self.apt_ref,
            apt_count: self.apt_count,
            apt_index: self.apt_index,
            failed: self.failed,
        }
    }

    /// Restores a persisted state (a zero LFSR becomes 1).
    pub fn restore(s: &RawSnapshot) -> RawSource {
        RawSource {
            lfsr: if s.lfsr == 0 { 1 } else { s.lfsr },
            last: s.last,
            run: s.run.min(RCT_CUTOFF),
            apt_ref: s.apt_ref,
            apt_count: s.apt_count.min(APT_CUTOFF),
            apt_index: s.apt_index % APT_WINDOW,
            failed: s.failed,
        }
    }

    /// Whether the health tests have failed since reset.
    pub fn failed(&self) -> bool {
        self.failed
    }

    /// One raw bit, through the health tests.
    pub fn bit(&mut self) -> bool {
        let b = self.lfsr & 1 == 1;
        self.lfsr = (self.lfsr >> 1) ^ if b { LFSR_TAPS } else { 0 };
        self.test(b);
        b
    }

    /// Feeds the health tests (also used by tests that inject bits).
    pub fn test(&mut self, b: bool) {
        // Repetition count test.
        if self.run > 0 && b == self.last {
            self.run += 1;
        } else {
            self.run = 1;
        }
        self.last = b;
        if self.run >= RCT_CUTOFF {
            self.failed = true;
        }
        // Adaptive proportion test.
        if self.apt_index == 0 {
            self.apt_ref = b;
            self.apt_count = 1;
        } else if b == self.apt_ref {
            self.apt_count += 1;
        }
        if self.apt_count >= APT_CUTOFF {
            self.failed = true;
        }
        self.apt_index = (self.apt_index + 1) % APT_WINDOW;
    }

    /// One raw byte, most significant bit first.
    pub fn byte(&mut self) -> u8 {
        (0..BITS_PER_BYTE).fold(0u8, |acc, _| (acc << 1) | self.bit() as u8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lfsr_passes_its_health_tests() {
        let mut r = RawSource::new(0x1234_5678);
        for _ in 0..100_000 {
            r.bit();
        }
        assert!(!r.failed());
    }

    #[test]
    fn a_stuck_source_fails_the_repetition_test() {
        let mut r = RawSource::new(1);
        for _ in 0..RCT_CUTOFF - 1 {
            r.test(true);
        }
        assert!(!r.failed());
        r.test(true);
        assert!(r.failed());
    }

    #[test]
    fn a_biased_source_fails_the_proportion_test() {
        let mut r = RawSource::new(1);
        // Mostly ones (the window's first bit is a one) but never 41 in a
        // row: only the proportion test catches it.
        for i in 0..APT_WINDOW {
            r.test(i % 8 != 7);
        }
        assert!(r.failed());
        let mut fair = RawSource::new(1);
        for i in 0..APT_WINDOW * 4 {
            fair.test(i % 2 == 0);
        }
        assert!(!fair.failed());
    }
}
