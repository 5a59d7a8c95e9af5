//! The raw random source's continuous health tests (SP 800-90B 4.4), and
//! the simulated source: the rules and constants of
//! `scu_model::device::rng`.

use rust_hdl::prelude::*;
use scu_model::device::rng::{APT_CUTOFF, APT_WINDOW, LFSR_TAPS, RCT_CUTOFF};

/// Repetition count and adaptive proportion tests on a bit stream.
#[derive(LogicBlock)]
pub struct HealthTests {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// A raw bit is consumed this cycle.
    pub valid: Signal<In, Bit>,
    /// The bit.
    pub sample: Signal<In, Bit>,
    /// Latched failure.
    pub failed: Signal<Out, Bit>,
    last: DFF<Bit>,
    run: DFF<Bits<6>>,
    apt_ref: DFF<Bit>,
    apt_count: DFF<Bits<11>>,
    apt_index: DFF<Bits<10>>,
    fail: DFF<Bit>,
    repeats: Signal<Local, Bit>,
    run_next: Signal<Local, Bits<6>>,
    count_next: Signal<Local, Bits<11>>,
    rct_hit: Signal<Local, Bit>,
    apt_hit: Signal<Local, Bit>,
    rct_cut: Constant<Bits<6>>,
    rct_cut1: Constant<Bits<6>>,
    apt_cut: Constant<Bits<11>>,
    apt_cut1: Constant<Bits<11>>,
}

impl Default for HealthTests {
    fn default() -> Self {
        // A count of 1 (a run's or a window's first bit) never reaches a cutoff.
        const {
            assert!(RCT_CUTOFF >= 2 && RCT_CUTOFF < 64);
            assert!(APT_CUTOFF >= 2 && APT_CUTOFF < 2048 && APT_WINDOW == 1024);
        };
        Self {
            clock: Default::default(),
            valid: Default::default(),
            sample: Default::default(),
            failed: Default::default(),
            last: Default::default(),
            run: Default::default(),
            apt_ref: Default::default(),
            apt_count: Default::default(),
            apt_index: Default::default(),
            fail: Default::default(),
            repeats: Default::default(),
            run_next: Default::default(),
            count_next: Default::default(),
            rct_hit: Default::default(),
            apt_hit: Default::default(),
            rct_cut: Constant::new((RCT_CUTOFF as u64).into()),
            rct_cut1: Constant::new((RCT_CUTOFF as u64 - 1).into()),
            apt_cut: Constant::new((APT_CUTOFF as u64).into()),
            apt_cut1: Constant::new((APT_CUTOFF as u64 - 1).into()),
        }
    }
}

impl Logic for HealthTests {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, last, run, apt_ref, apt_count, apt_index, fail);
        // The sample comes from the ring oscillators' synchroniser, late in
        // the cycle, so the cutoff tests are formed from the registered
        // counts alone (the count before this bit: the run or the
        // proportion reaches its cutoff when this bit repeats, or the
        // count has already reached it), and the bit only picks between them.
        // The bit continues a run (a zero run count: no bit yet).
        self.repeats.next = (self.run.q.val() != 0) && (self.sample.val() == self.last.q.val());
        self.run_next.next = 1.into();
        if self.repeats.val() {
            self.run_next.next = self.run.q.val() + 1;
        }
        self.rct_hit.next = self.repeats.val() && (self.run.q.val() >= self.rct_cut1.val());
        self.count_next.next = self.apt_count.q.val();
        self.apt_hit.next = false;
        if self.apt_index.q.val() == 0 {
            self.count_next.next = 1.into();
        } else {
            self.apt_hit.next = self.apt_count.q.val() >= self.apt_cut.val();
            if self.sample.val() == self.apt_ref.q.val() {
                self.count_next.next = self.apt_count.q.val() + 1;
                self.apt_hit.next = self.apt_count.q.val() >= self.apt_cut1.val();
            }
        }
        if self.valid.val() {
            self.last.d.next = self.sample.val();
            self.run.d.next = self.run_next.val();
            if self.rct_hit.val() {
                self.fail.d.next = true;
                // Hold the run count at the cutoff.
                self.run.d.next = self.rct_cut.val();
            }
            if self.apt_index.q.val() == 0 {
                self.apt_ref.d.next = self.sample.val();
            }
            self.apt_count.d.next = self.count_next.val();
            if self.apt_hit.val() {
                self.fail.d.next = true;
            }
            self.apt_index.d.next = self.apt_index.q.val() + 1;
        }
        self.failed.next = self.fail.q.val();
    }
}

/// The simulated raw source: a 32-bit Galois LFSR, one bit per `step`.
#[derive(LogicBlock)]
pub struct Lfsr {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Advance this cycle.
    pub step: Signal<In, Bit>,
    /// The bit the next step produces.
    pub out: Signal<Out, Bit>,
    state: DFFWithInit<Bits<32>>,
    taps: Constant<Bits<32>>,
}

impl Lfsr {
    /// A source starting from `seed` (zero is replaced by one, as in the model).
    pub fn new(seed: u32) -> Self {
        let seed = if seed == 0 { 1 } else { seed };
        Self {
            clock: Default::default(),
            step: Default::default(),
            out: Default::default(),
            state: DFFWithInit::new((seed as u64).into()),
            taps: Constant::new((LFSR_TAPS as u64).into()),
        }
    }
}

impl Logic for Lfsr {
    #[hdl_gen]
    fn update(&mut self) {
        self.state.clock.next = self.clock.val();
        self.state.d.next = self.state.q.val();
        self.out.next = self.state.q.val().get_bit(0);
        if self.step.val() {
            self.state.d.next = self.state.q.val() >> 1;
            if self.state.q.val().get_bit(0) {
                self.state.d.next = (self.state.q.val() >> 1) ^ self.taps.val();
            }
        }
    }
}
