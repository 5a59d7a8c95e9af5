//! One multiplier lane: a 16x16-bit product (one iCE40 SB_MAC16 or ECP5
//! MULT18X18) registered for the next cycle, plus the sparse reduction term
//! m * p'_w of the fused Montgomery step mod p, placed at the lane's word
//! offset in the chunk sum.

use rust_hdl::prelude::*;

/// `out_p + out_r = (P + red) << 16 l`, where P is the register that took
/// `x * y + w` at the last clock edge (the engine feeds each chunk's
/// operands a cycle ahead, so no multiplier sits on the chunk sum's path;
/// w is a word of its registered window, or 0), and `red` = m
/// when the lane's word of p' is 1, m * 0xffff when it is 0xffff, else 0
/// (p' = (p + 1) / 2^16 has only those words).
///
/// A registered lane (the engine's choice at L <= 4) registers `red` like
/// the product, from the next cycle's m and selects: no multiplexer (nor
/// its selects' fan-out) before the chunk sum. Otherwise `red` is a
/// multiplexer after this cycle's m and selects, which the engine takes
/// from flip-flops: at L = 8 the 256 registers it would take cost the ECP5
/// about 3 MHz (fpga/CLOCK-HISTORY.md).
#[derive(LogicBlock)]
pub struct Lane<const SW: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Multiplicand for the next cycle (a word of a, the quotient m, or t0).
    pub x: Signal<In, Bits<16>>,
    /// Multiplier word for the next cycle (of B, of the modulus, or n').
    pub y: Signal<In, Bits<16>>,
    /// Addend for the next cycle's product (a word of the engine's
    /// registered window, or 0), which the DSP's own adder takes.
    pub w: Signal<In, Bits<16>>,
    /// Reduction multiplier m (the next cycle's in a registered lane).
    pub m: Signal<In, Bits<16>>,
    /// m * 0xffff (the engine registers it with m), of the same cycle as m.
    pub mff: Signal<In, Bits<32>>,
    /// The p' word at this lane's position is 1 (and reduction is on), in
    /// the same cycle as m.
    pub one: Signal<In, Bit>,
    /// The p' word at this lane's position is 0xffff (and reduction is on),
    /// in the same cycle as m.
    pub ffff: Signal<In, Bit>,
    /// The lane's product in the chunk sum (P << 16 l).
    pub out_p: Signal<Out, Bits<SW>>,
    /// The lane's reduction term in the chunk sum (red << 16 l), apart
    /// from the product so that the engine can add it last.
    pub out_r: Signal<Out, Bits<SW>>,
    /// The registered product P (the quotient step reads its low word; the
    /// engine feeds w = 0 for it).
    pub product: Signal<Out, Bits<32>>,
    prod: DFF<Bits<32>>,
    red: DFF<Bits<32>>,
    red_sel: Signal<Local, Bits<32>>,
    shift: Constant<Bits<8>>,
    c_registered: Constant<Bit>,
}

impl<const SW: usize> Lane<SW> {
    /// Lane number `l` (its output is shifted by 16 l bits); `registered`:
    /// whether it registers its reduction term (then m and the selects are
    /// the next cycle's).
    pub fn new(l: usize, registered: bool) -> Self {
        assert!(SW >= 16 * l + 34, "sum width too small for lane {l}");
        Self {
            clock: Default::default(),
            x: Default::default(),
            y: Default::default(),
            w: Default::default(),
            m: Default::default(),
            mff: Default::default(),
            one: Default::default(),
            ffff: Default::default(),
            out_p: Default::default(),
            out_r: Default::default(),
            product: Default::default(),
            prod: Default::default(),
            red: Default::default(),
            red_sel: Default::default(),
            shift: Constant::new(((16 * l) as u64).into()),
            c_registered: Constant::new(registered),
        }
    }
}

impl<const SW: usize> Logic for Lane<SW> {
    #[hdl_gen]
    fn update(&mut self) {
        // (prod: no enable or reset, so yosys can place it in the DSP.)
        dff_setup!(self, clock, prod, red);
        // (x y + w < 2^32: the sum fits the DSP's 32-bit adder.)
        self.prod.d.next = self.x.val() * self.y.val() + bit_cast::<32, 16>(self.w.val());
        self.product.next = self.prod.q.val();
        // (0 is the outermost choice, so that it is the register's
        // synchronous reset and not a LUT input.)
        self.red_sel.next = self.mff.val();
        if self.one.val() {
            self.red_sel.next = bit_cast::<32, 16>(self.m.val());
        }
        if !self.one.val() && !self.ffff.val() {
            self.red_sel.next = 0.into();
        }
        self.red.d.next = self.red_sel.val();
        self.out_p.next = bit_cast::<SW, 32>(self.prod.q.val()) << self.shift.val();
        self.out_r.next = bit_cast::<SW, 32>(self.red_sel.val()) << self.shift.val();
        if self.c_registered.val() {
            self.out_r.next = bit_cast::<SW, 32>(self.red.q.val()) << self.shift.val();
        }
    }
}
