//! CRC-16/CCITT-FALSE, one byte a cycle (the rule of
//! `scu_model::protocol::crc16_update`).

use rust_hdl::prelude::*;

/// The CRC after one more byte.
#[derive(LogicBlock, Default)]
pub struct Crc16Byte {
    /// CRC so far.
    pub crc_in: Signal<In, Bits<16>>,
    /// The byte.
    pub data: Signal<In, Bits<8>>,
    /// CRC after it.
    pub crc_out: Signal<Out, Bits<16>>,
    stage: [Signal<Local, Bits<16>>; 9],
}

impl Logic for Crc16Byte {
    #[hdl_gen]
    fn update(&mut self) {
        self.stage[0].next = self.crc_in.val() ^ (bit_cast::<16, 8>(self.data.val()) << 8);
        for i in 0..8 {
            self.stage[i + 1].next = self.stage[i].val() << 1;
            if self.stage[i].val().get_bit(15) {
                self.stage[i + 1].next = (self.stage[i].val() << 1) ^ 0x1021;
            }
        }
        self.crc_out.next = self.stage[8].val();
    }
}
