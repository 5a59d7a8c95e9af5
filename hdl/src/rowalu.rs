//! The row ALU of ADD, SUB and TEST: one register-file row (W words) per
//! cycle through two carry chains. ADD computes s = a + b and t = s - m;
//! SUB computes s = a - b and t = s + m; the instruction later keeps s or t
//! from the final carries (see `scu_model::field`). TEST uses the s chain of
//! SUB for a < b and the row equality for a == b; TEST against the modulus
//! disables the ALU and adds (its t chain is then a - m) and compares a
//! with `eq_b`, the modulus row. While disabled, b counts as zero and the
//! engine gives the s chain no carry in, so s = a and the s chain's raw
//! carry out is 0; b meets one LUT before the chain. The s chain's carry in
//! comes as its adder takes it (`c1_chain`), from a flip-flop: the row
//! ALU's worst path starts there, so no LUT stands before the chain.
//! The engine's write takes P on `take`, which the t chain forms in two
//! bits above the row from both raw carries, so that they reach the
//! write data through one LUT.

use crate::keep::Keep;
use rust_hdl::prelude::*;

/// Row-wide add/subtract with carries in and out.
#[derive(LogicBlock)]
pub struct RowAlu<const RB: usize, const RSW: usize> {
    /// Operand a.
    pub a: Signal<In, Bits<RB>>,
    /// Operand b.
    pub b: Signal<In, Bits<RB>>,
    /// The modulus row.
    pub m: Signal<In, Bits<RB>>,
    /// The row a is compared with (b, or the modulus row).
    pub eq_b: Signal<In, Bits<RB>>,
    /// Subtract (SUB, TEST) rather than add.
    pub sub: Signal<In, Bit>,
    /// Enabled (otherwise s = a and the s chain's raw carry out is 0).
    pub en: Signal<In, Bit>,
    /// The s chain's carry in as its adder takes it: 0 when disabled, else
    /// the carry (ADD) or the inverted borrow (SUB) into the chain.
    pub c1_chain: Signal<In, Bit>,
    /// Borrow (ADD) or carry (SUB) into the t chain.
    pub c2_in: Signal<In, Bit>,
    /// The t chain's raw carry counts in `take` (ADD streaming).
    pub add_take: Signal<In, Bit>,
    /// s row.
    pub s: Signal<Out, Bits<RB>>,
    /// t row.
    pub t: Signal<Out, Bits<RB>>,
    /// s chain out.
    pub c1_out: Signal<Out, Bit>,
    /// t chain out.
    pub c2_out: Signal<Out, Bit>,
    /// The s chain's carry out as the adder gives it (c1_out ^ sub).
    pub c1_raw: Signal<Out, Bit>,
    /// The t chain's carry out as the adder gives it (c2_out ^ !sub).
    pub c2_raw: Signal<Out, Bit>,
    /// c1_raw || (add_take && c2_raw), out of the t chain's top.
    pub take: Signal<Out, Bit>,
    /// a == eq_b.
    pub eq: Signal<Out, Bit>,
    sfull: Signal<Local, Bits<RSW>>,
    tfull: Signal<Local, Bits<RSW>>,
    bx: Signal<Local, Bits<RB>>,
    bx_kept: Keep<Bits<RB>>,
    mx: Signal<Local, Bits<RB>>,
    cin2: Signal<Local, Bit>,
    one: Constant<Bits<RSW>>,
    cout_pos: Constant<Bits<16>>,
    take_in: Constant<Bits<16>>,
    take_pos: Constant<Bits<16>>,
    take_one: Constant<Bits<RSW>>,
}

impl<const RB: usize, const RSW: usize> RowAlu<RB, RSW> {
    /// A row ALU; RSW must be RB + 4 (the carries and `take`'s two bits).
    pub fn new() -> Self {
        assert!(RSW == RB + 4);
        Self {
            a: Default::default(),
            b: Default::default(),
            m: Default::default(),
            eq_b: Default::default(),
            sub: Default::default(),
            en: Default::default(),
            c1_chain: Default::default(),
            c2_in: Default::default(),
            add_take: Default::default(),
            s: Default::default(),
            t: Default::default(),
            c1_out: Default::default(),
            c2_out: Default::default(),
            c1_raw: Default::default(),
            c2_raw: Default::default(),
            take: Default::default(),
            eq: Default::default(),
            sfull: Default::default(),
            tfull: Default::default(),
            bx: Default::default(),
            bx_kept: Default::default(),
            mx: Default::default(),
            cin2: Default::default(),
            one: Constant::new(1u64.into()),
            cout_pos: Constant::new(((RB + 1) as u64).into()),
            take_in: Constant::new(((RB + 2) as u64).into()),
            take_pos: Constant::new(((RB + 3) as u64).into()),
            take_one: Constant::new(Bits::<RSW>::from(1u64) << Bits::<16>::from((RB + 2) as u64)),
        }
    }
}

impl<const RB: usize, const RSW: usize> Logic for RowAlu<RB, RSW> {
    #[hdl_gen]
    fn update(&mut self) {
        // Each chain is one adder with its carry in below bit 0 (x - y - c
        // = x + !y + !c), so that synthesis builds one carry chain per chain.
        self.bx.next = self.b.val();
        self.mx.next = !self.m.val();
        self.cin2.next = !self.c2_in.val();
        if self.sub.val() {
            self.bx.next = !self.b.val();
            self.mx.next = self.m.val();
            self.cin2.next = self.c2_in.val();
        }
        if !self.en.val() {
            self.bx.next = 0.into();
        }
        // One LUT level from the register file to the chain.
        self.bx_kept.d.next = self.bx.val();
        self.sfull.next = ((bit_cast::<RSW, RB>(self.a.val()) << 1) | self.one.val())
            + ((bit_cast::<RSW, RB>(self.bx_kept.q.val()) << 1)
                | bit_cast::<RSW, 1>(self.c1_chain.val().into()));
        self.s.next = self.sfull.val().get_bits::<RB>(1);
        // A carry out of an addition; a borrow (no carry) out of a subtraction.
        self.c1_raw.next = self.sfull.val().get_bit(self.cout_pos.val().index());
        // Above the row the t chain adds add_take (bit RB + 1: its carry out
        // is add_take && c2) and then c1 + 1 (bit RB + 2: the carry out is
        // c1 || that), so bit RB + 3 is `take`; bit RB + 1 is c2 ^ add_take.
        self.tfull.next = ((bit_cast::<RSW, RB>(self.s.val()) << 1)
            | self.one.val()
            | (bit_cast::<RSW, 1>(self.add_take.val().into()) << self.cout_pos.val())
            | (bit_cast::<RSW, 1>(self.c1_raw.val().into()) << self.take_in.val()))
            + ((bit_cast::<RSW, RB>(self.mx.val()) << 1)
                | bit_cast::<RSW, 1>(self.cin2.val().into())
                | self.take_one.val());
        self.t.next = self.tfull.val().get_bits::<RB>(1);
        self.c2_raw.next =
            self.tfull.val().get_bit(self.cout_pos.val().index()) ^ self.add_take.val();
        self.take.next = self.tfull.val().get_bit(self.take_pos.val().index());
        self.c1_out.next = self.c1_raw.val() ^ self.sub.val();
        self.c2_out.next = self.c2_raw.val() ^ !self.sub.val();
        self.eq.next = self.a.val() == self.eq_b.val();
    }
}

impl<const RB: usize, const RSW: usize> Default for RowAlu<RB, RSW> {
    fn default() -> Self {
        Self::new()
    }
}
