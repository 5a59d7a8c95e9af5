//! A wire that synthesis keeps. yosys's ABC mapping rebuilds the logic
//! around a signal without knowing when it arrives, and tends to put a late
//! carry-chain output under several LUT levels; a kept wire is a boundary it
//! may not rebuild across, so the logic after it stays as written (e.g. a
//! late carry entering only the last LUT before a register or block RAM).
//! In simulation it is a plain wire.

use rust_hdl::prelude::*;

/// `q = d`, with the wire between them kept by synthesis.
#[derive(LogicBlock, Default)]
pub struct Keep<T: Synth> {
    /// In.
    pub d: Signal<In, T>,
    /// Out, equal to `d`.
    pub q: Signal<Out, T>,
}

impl<T: Synth> Logic for Keep<T> {
    fn update(&mut self) {
        self.q.next = self.d.val();
    }

    fn connect(&mut self) {
        self.q.connect();
    }

    fn hdl(&self) -> Verilog {
        // (rust-hdl declares a 1-bit signal without a range.)
        let range = match T::BITS {
            1 => String::new(),
            w => format!("[{}:0] ", w - 1),
        };
        Verilog::Custom(format!(
            "\
(* keep *)
wire {range}kept;
assign kept = d;
always @(*) q = kept;
"
        ))
    }
}
