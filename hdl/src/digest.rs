//! The trace digest of one register-file row: folds W words in write order,
//! `d = rotl(d, 1) ^ w` (the rule of `scu_model::trace::digest`).

use rust_hdl::prelude::*;

/// Folds a row of W words into a running digest.
#[derive(LogicBlock)]
pub struct RowDigest<const W: usize, const RB: usize> {
    /// The digest so far.
    pub d_in: Signal<In, Bits<16>>,
    /// The row, word 0 first.
    pub row: Signal<In, Bits<RB>>,
    /// The digest after the row.
    pub d_out: Signal<Out, Bits<16>>,
    part: [Signal<Local, Bits<16>>; W],
}

impl<const W: usize, const RB: usize> RowDigest<W, RB> {
    /// A folder for rows of W words.
    pub fn new() -> Self {
        assert_eq!(RB, 16 * W);
        Self {
            d_in: Default::default(),
            row: Default::default(),
            d_out: Default::default(),
            part: array_init::array_init(|_| Default::default()),
        }
    }
}

impl<const W: usize, const RB: usize> Default for RowDigest<W, RB> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const W: usize, const RB: usize> Logic for RowDigest<W, RB> {
    #[hdl_gen]
    fn update(&mut self) {
        self.part[0].next =
            ((self.d_in.val() << 1) | (self.d_in.val() >> 15)) ^ self.row.val().get_bits::<16>(0);
        for k in 1..W {
            self.part[k].next = ((self.part[k - 1].val() << 1) | (self.part[k - 1].val() >> 15))
                ^ self.row.val().get_bits::<16>(16 * k);
        }
        for k in 0..W {
            self.d_out.next = self.part[k].val();
        }
    }
}
