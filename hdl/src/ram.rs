//! A simple dual-port RAM (one read port, one write port, one clock) that
//! promises nothing about a read of the word written in the same cycle.
//!
//! rust-hdl's `RAM` returns the old word then, and yosys keeps that promise
//! on iCE40 and ECP5 block RAMs (which do not make it) by adding a comparator
//! on the addresses and a multiplexer after the block RAM's output: logic
//! on the read path of every memory the SCU writes. This RAM tells yosys not
//! to (`no_rw_check`), and both simulations (rust-hdl's and Verilator's)
//! return noise for such a read, so every test that checks results would
//! fail if any of the SCU's logic used one.

use rust_hdl::prelude::*;
use std::collections::BTreeMap;

/// The lines of an `initial` block that load `words` into `mem`.
pub(crate) fn verilog_init<const W: usize, const N: usize>(
    words: &BTreeMap<Bits<N>, Bits<W>>,
) -> String {
    words
        .iter()
        .map(|(a, d)| format!("    mem[{}] = {};\n", a.verilog(), d.verilog()))
        .collect()
}

/// Seed of the simulation's noise (any nonzero value: xorshift stays at 0).
const NOISE_SEED: u64 = 0x9e37_79b9_7f4a_7c15;

/// One-read, one-write RAM of `2^N` words of `W` bits.
#[derive(LogicBlock, Default)]
pub struct Ram<const W: usize, const N: usize> {
    /// Clock of both ports.
    pub clock: Signal<In, Clock>,
    /// Read address (data one cycle later).
    pub read_address: Signal<In, Bits<N>>,
    /// Read data.
    pub read_data: Signal<Out, Bits<W>>,
    /// Write address.
    pub write_address: Signal<In, Bits<N>>,
    /// Write data.
    pub write_data: Signal<In, Bits<W>>,
    /// Write enable.
    pub write_enable: Signal<In, Bit>,
    _mem: BTreeMap<Bits<N>, Bits<W>>,
    _noise: u64,
}

impl<const W: usize, const N: usize> Ram<W, N> {
    /// A RAM starting with `words` (the rest zero).
    pub fn new(words: BTreeMap<Bits<N>, Bits<W>>) -> Self {
        Self {
            _mem: words,
            ..Default::default()
        }
    }

    /// The next word of noise (xorshift64, seeded on first use so that a
    /// `Ram::default()` gets noise too).
    fn noise(&mut self) -> Bits<W> {
        if self._noise == 0 {
            self._noise = NOISE_SEED;
        }
        let mut v = Bits::<W>::default();
        for i in 0..W {
            if i % 64 == 0 {
                self._noise ^= self._noise << 13;
                self._noise ^= self._noise >> 7;
                self._noise ^= self._noise << 17;
            }
            v = v.replace_bit(i, (self._noise >> (i % 64)) & 1 == 1);
        }
        v
    }
}

impl<const W: usize, const N: usize> Logic for Ram<W, N> {
    fn update(&mut self) {
        if self.clock.pos_edge() {
            let addr = self.read_address.val();
            let collides = self.write_enable.val() && self.write_address.val() == addr;
            self.read_data.next = if collides {
                self.noise()
            } else {
                self._mem.get(&addr).copied().unwrap_or_default()
            };
            if self.write_enable.val() {
                self._mem
                    .insert(self.write_address.val(), self.write_data.val());
            }
        }
    }

    fn connect(&mut self) {
        self.read_data.connect();
    }

    fn hdl(&self) -> Verilog {
        let init = verilog_init(&self._mem);
        let words = W.div_ceil(32);
        Verilog::Custom(format!(
            "\
(* no_rw_check *)
reg [{msb}:0] mem [0:{last}];

initial begin
{init}end

always @(posedge clock) begin
`ifdef SYNTHESIS
    read_data <= mem[read_address];
`else
    // A read of the word being written gets noise (see hdl/src/ram.rs).
    if (write_enable && write_address == read_address)
        read_data <= {{{words}{{$random}}}};
    else
        read_data <= mem[read_address];
`endif
    if (write_enable)
        mem[write_address] <= write_data;
end
",
            msb = W - 1,
            last = (1usize << N) - 1,
        ))
    }
}
