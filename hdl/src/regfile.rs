//! The register file: 32 field elements of R rows of W words, held twice
//! (one copy per read port, iCE40/ECP5 block RAMs have one read port each)
//! and written together. Constant registers start with the values of
//! `scu_model::isa::CONSTANTS`; the write-enable logic that protects them
//! lives in the engine. The same two-read memory, empty, holds SHA-256's
//! message schedule ([`RegFile::with_rows`]).

use crate::ram::Ram;
use rust_hdl::prelude::*;
use scu_model::isa::{initial_registers, REGS};
use std::collections::BTreeMap;

/// Two-read, one-write register file.
#[derive(LogicBlock)]
pub struct RegFile<const RB: usize, const AW: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Read address, port A (data one cycle later).
    pub raddr_a: Signal<In, Bits<AW>>,
    /// Read address, port B.
    pub raddr_b: Signal<In, Bits<AW>>,
    /// Read data, port A.
    pub rdata_a: Signal<Out, Bits<RB>>,
    /// Read data, port B.
    pub rdata_b: Signal<Out, Bits<RB>>,
    /// Write address.
    pub waddr: Signal<In, Bits<AW>>,
    /// Write data.
    pub wdata: Signal<In, Bits<RB>>,
    /// Write enable.
    pub we: Signal<In, Bit>,
    copy_a: Ram<RB, AW>,
    copy_b: Ram<RB, AW>,
}

/// The register file's initial rows: row `reg * R + r` holds words
/// `r W .. (r + 1) W` of the register, word 0 in the low bits.
pub fn initial_rows<const RB: usize, const AW: usize>() -> BTreeMap<Bits<AW>, Bits<RB>> {
    let w = RB / 16;
    let rows = 16 / w;
    assert_eq!(
        1 << AW,
        REGS * rows,
        "address width does not fit 32 registers of {rows} rows"
    );
    let mut map = BTreeMap::new();
    for (reg, value) in initial_registers().iter().enumerate() {
        for r in 0..rows {
            let mut row: Bits<RB> = Bits::default();
            for k in 0..w {
                let word: Bits<RB> = (value.word(r * w + k) as u64).into();
                row = row | (word << ((16 * k) as u64));
            }
            map.insert(((reg * rows + r) as u64).into(), row);
        }
    }
    map
}

impl<const RB: usize, const AW: usize> RegFile<RB, AW> {
    /// A register file holding the constants.
    pub fn new() -> Self {
        Self::with_rows(initial_rows::<RB, AW>())
    }

    /// A two-read memory starting with `rows` (the rest zero).
    pub fn with_rows(rows: BTreeMap<Bits<AW>, Bits<RB>>) -> Self {
        Self {
            clock: Default::default(),
            raddr_a: Default::default(),
            raddr_b: Default::default(),
            rdata_a: Default::default(),
            rdata_b: Default::default(),
            waddr: Default::default(),
            wdata: Default::default(),
            we: Default::default(),
            copy_a: Ram::new(rows.clone()),
            copy_b: Ram::new(rows),
        }
    }
}

impl<const RB: usize, const AW: usize> Default for RegFile<RB, AW> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const RB: usize, const AW: usize> Logic for RegFile<RB, AW> {
    #[hdl_gen]
    fn update(&mut self) {
        self.copy_a.clock.next = self.clock.val();
        self.copy_b.clock.next = self.clock.val();
        self.copy_a.read_address.next = self.raddr_a.val();
        self.copy_b.read_address.next = self.raddr_b.val();
        self.rdata_a.next = self.copy_a.read_data.val();
        self.rdata_b.next = self.copy_b.read_data.val();
        self.copy_a.write_address.next = self.waddr.val();
        self.copy_b.write_address.next = self.waddr.val();
        self.copy_a.write_data.next = self.wdata.val();
        self.copy_b.write_data.next = self.wdata.val();
        self.copy_a.write_enable.next = self.we.val();
        self.copy_b.write_enable.next = self.we.val();
    }
}
