//! SPI mode 0 slave, sampled in the system clock domain. SCLK, MOSI and
//! CS_N pass through two-flop synchronisers; edges are found on the
//! synchronised signals, so SCLK must be at most an eighth of the system
//! clock. Bytes are most significant bit first; MISO changes after falling
//! edges, and the first bit of each byte is presented when chip select
//! falls or after the previous byte's last rising edge.

use rust_hdl::prelude::*;

/// The SPI front end.
#[derive(LogicBlock, Default)]
pub struct SpiSlave {
    /// System clock.
    pub clock: Signal<In, Clock>,
    /// SPI clock pin.
    pub sclk: Signal<In, Bit>,
    /// Master out pin.
    pub mosi: Signal<In, Bit>,
    /// Chip select pin, active low.
    pub cs_n: Signal<In, Bit>,
    /// Slave out pin.
    pub miso: Signal<Out, Bit>,
    /// The byte to send next; taken when `tx_load` pulses.
    pub tx_byte: Signal<In, Bits<8>>,
    /// `tx_byte` was taken this cycle.
    pub tx_load: Signal<Out, Bit>,
    /// A byte arrived this cycle.
    pub rx_valid: Signal<Out, Bit>,
    /// The byte.
    pub rx_byte: Signal<Out, Bits<8>>,
    /// Chip select fell this cycle (a transaction starts).
    pub start: Signal<Out, Bit>,
    /// Chip select rose this cycle (the transaction ended).
    pub stop: Signal<Out, Bit>,
    sclk_s: DFF<Bits<3>>,
    cs_s: DFF<Bits<3>>,
    mosi_s: DFF<Bits<2>>,
    rx_sr: DFF<Bits<8>>,
    tx_sr: DFF<Bits<8>>,
    bits: DFF<Bits<3>>,
    miso_r: DFF<Bit>,
    rise: Signal<Local, Bit>,
    fall: Signal<Local, Bit>,
    active: Signal<Local, Bit>,
}

impl Logic for SpiSlave {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, sclk_s, cs_s, mosi_s, rx_sr, tx_sr, bits, miso_r);
        self.sclk_s.d.next = (self.sclk_s.q.val() << 1) | bit_cast::<3, 1>(self.sclk.val().into());
        self.cs_s.d.next = (self.cs_s.q.val() << 1) | bit_cast::<3, 1>(self.cs_n.val().into());
        self.mosi_s.d.next = (self.mosi_s.q.val() << 1) | bit_cast::<2, 1>(self.mosi.val().into());
        self.rise.next = self.sclk_s.q.val().get_bit(1) && !self.sclk_s.q.val().get_bit(2);
        self.fall.next = !self.sclk_s.q.val().get_bit(1) && self.sclk_s.q.val().get_bit(2);
        self.active.next = !self.cs_s.q.val().get_bit(1);
        self.start.next = !self.cs_s.q.val().get_bit(1) && self.cs_s.q.val().get_bit(2);
        self.stop.next = self.cs_s.q.val().get_bit(1) && !self.cs_s.q.val().get_bit(2);
        self.rx_valid.next = false;
        self.rx_byte.next =
            (self.rx_sr.q.val() << 1) | bit_cast::<8, 1>(self.mosi_s.q.val().get_bit(1).into());
        self.tx_load.next = false;
        if self.start.val() {
            self.bits.d.next = 0.into();
            self.tx_sr.d.next = self.tx_byte.val();
            self.miso_r.d.next = self.tx_byte.val().get_bit(7);
            self.tx_load.next = true;
        } else if self.active.val() {
            if self.rise.val() {
                self.rx_sr.d.next = self.rx_byte.val();
                self.bits.d.next = self.bits.q.val() + 1;
                if self.bits.q.val() == 7 {
                    self.rx_valid.next = true;
                }
            }
            if self.fall.val() {
                if self.bits.q.val() == 0 {
                    self.tx_sr.d.next = self.tx_byte.val();
                    self.miso_r.d.next = self.tx_byte.val().get_bit(7);
                    self.tx_load.next = true;
                } else {
                    self.tx_sr.d.next = self.tx_sr.q.val() << 1;
                    self.miso_r.d.next = self.tx_sr.q.val().get_bit(6);
                }
            }
        }
        self.miso.next = self.miso_r.q.val();
    }
}
