//! A read-only memory with a read enable: its data register takes the
//! word at `address` only when `read_enable` is set, and holds otherwise
//! (the block RAM's read clock enable, RCLKE on iCE40).
//!
//! The engine's microcode and the controller's program are read with the
//! next pc, so that an instruction's word is there from its Fetch cycle.
//! With a plain ROM the address is a multiplexer of the held pc and the
//! next one, selected by the late retirement; here the address is the next
//! pc alone and retirement is the enable, a LUT level off the late path.
//! The data is the same in every cycle: when the pc holds, the word held
//! is the word at the pc.

use crate::ram::verilog_init;
use rust_hdl::prelude::*;
use std::collections::BTreeMap;

/// `2^N` words of `W` bits, read one cycle after the address when enabled.
#[derive(LogicBlock, Default)]
pub struct Rom<const W: usize, const N: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Read address (data one cycle later, if enabled).
    pub address: Signal<In, Bits<N>>,
    /// Read enable: otherwise the data holds.
    pub read_enable: Signal<In, Bit>,
    /// Read data.
    pub data: Signal<Out, Bits<W>>,
    _mem: BTreeMap<Bits<N>, Bits<W>>,
}

impl<const W: usize, const N: usize> Rom<W, N> {
    /// A ROM holding `words` (the rest zero).
    pub fn new(words: BTreeMap<Bits<N>, Bits<W>>) -> Self {
        Self {
            _mem: words,
            ..Default::default()
        }
    }
}

impl<const W: usize, const N: usize> Logic for Rom<W, N> {
    fn update(&mut self) {
        if self.clock.pos_edge() && self.read_enable.val() {
            self.data.next = self
                ._mem
                .get(&self.address.val())
                .copied()
                .unwrap_or_default();
        }
    }

    fn connect(&mut self) {
        self.data.connect();
    }

    fn hdl(&self) -> Verilog {
        let init = verilog_init(&self._mem);
        Verilog::Custom(format!(
            "\
reg [{msb}:0] mem [0:{last}];

initial begin
{init}end

always @(posedge clock) begin
    if (read_enable)
        data <= mem[address];
end
",
            msb = W - 1,
            last = (1usize << N) - 1,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One clock edge with these inputs (settled first); the data after it.
    fn read(rom: &mut Rom<8, 2>, addr: u64, en: bool) -> usize {
        rom.address.next = addr.into();
        rom.read_enable.next = en;
        assert!(simulate(rom, 100));
        rom.clock.next = Clock { clk: true };
        assert!(simulate(rom, 100));
        rom.clock.next = Clock { clk: false };
        assert!(simulate(rom, 100));
        rom.data.val().index()
    }

    /// The data follows the address only while enabled.
    #[test]
    fn holds_its_word_unless_enabled() {
        let words: BTreeMap<Bits<2>, Bits<8>> =
            (0..4u64).map(|a| (a.into(), (0x10 + a).into())).collect();
        let mut rom = Rom::new(words);
        rom.connect_all();
        assert_eq!(read(&mut rom, 2, true), 0x12);
        assert_eq!(read(&mut rom, 3, false), 0x12);
        assert_eq!(read(&mut rom, 1, true), 0x11);
        assert_eq!(read(&mut rom, 0, false), 0x11);
    }

    /// The Verilog reads under the enable.
    #[test]
    fn verilog_reads_under_the_enable() {
        let rom: Rom<8, 2> = Rom::new(BTreeMap::new());
        match rom.hdl() {
            Verilog::Custom(v) => {
                assert!(v.contains("if (read_enable)\n        data <= mem[address];"))
            }
            _ => panic!("expected custom Verilog"),
        }
    }
}
