//! SHA-256 (FIPS 180-4) for the device: one message byte a cycle (gathered
//! into words), one round in two cycles. A completed 64-byte block is
//! compressed in [`SHA_COMPRESS_CYCLES`] cycles while `busy` holds off further
//! bytes: 64 rounds, then H += a..h one word a cycle (8 cycles) through one adder,
//! a..h rotating and taking the sums, so that they end equal to the new H,
//! ready for the next block without a 256-bit load. `finish` appends the
//! padding itself. The digest is H, big-endian words, read a byte at a time.
//! H and a..h start as the IV at power-on (an `init` in the first cycle) and
//! at `init`, after which the core overwrites H's words with zeros (8 cycles,
//! `busy` until `ends`), so no digest outlives an `init`.
//!
//! A round's first cycle sums T1 = (h + K + W) + S1 + Ch (a carry-save
//! step, then one carry chain), T2 = S0 + Maj and the partial message
//! schedule word; the second writes e = d + T1, a = T1 + T2 and the new
//! schedule word. In one cycle, a's five-operand sum was the UP5K build's
//! critical path (38.5 ns; fpga/CLOCK-HISTORY.md).
//!
//! Area, not speed, is what this core is built for (on the UP5K, logic cells
//! are the scarce resource, block RAMs are not): one adder for the state
//! update instead of eight, no H-to-a..h multiplexer, a..h registers that only
//! shift, load a constant or hold, and H, K and the message schedule in block
//! RAM. One memory holds K (words 0..63), H (64..71) and the IV (72..79):
//! after `init`, H reads from the IV's words until the first compression
//! writes H, so `init` takes one cycle.

use crate::keep::Keep;
use crate::ram::Ram;
use crate::regfile::RegFile;
use rust_hdl::prelude::*;
pub use scu_model::device::isa::{SHA_COMPRESS_CYCLES, SHA_INIT_CYCLES};

const K: [u64; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

const IV: [u64; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

/// Where H and the IV sit in the core's memory (after K).
const H_AT: usize = 64;
const IV_AT: usize = 72;
const _: () = assert!(H_AT.is_multiple_of(8) && IV_AT.is_multiple_of(8));

/// The SHA-256 unit.
#[derive(LogicBlock)]
pub struct Sha256 {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Start a new hash (H := IV, count := 0).
    pub init: Signal<In, Bit>,
    /// Write `wdata` this cycle (only when not busy).
    pub wr: Signal<In, Bit>,
    /// The byte.
    pub wdata: Signal<In, Bits<8>>,
    /// Append the padding and compress the last block(s).
    pub finish: Signal<In, Bit>,
    /// Compressing or padding: no byte is taken.
    pub busy: Signal<Out, Bit>,
    /// The last cycle of the last compression: idle from the next cycle.
    pub ends: Signal<Out, Bit>,
    /// The next byte taken completes a block.
    pub fills: Signal<Out, Bit>,
    /// Digest byte to read (0..32, big-endian words of H); only while idle.
    pub rd_addr: Signal<In, Bits<5>>,
    /// The digest byte at the previous cycle's `rd_addr` (H is the digest
    /// after `finish`).
    pub rd_data: Signal<Out, Bits<8>>,
    mem: Ram<32, 7>,
    fresh: DFF<Bit>,
    clearing: DFF<Bit>,
    rd_byte: DFF<Bits<2>>,
    hbase: Signal<Local, Bits<7>>,
    v: [DFF<Bits<32>>; 8],
    ready: DFF<Bit>,
    start: Signal<Local, Bit>,
    fsum: Signal<Local, Bits<32>>,
    sched: RegFile<32, 4>,
    w0: DFF<Bits<32>>,
    hkw: DFF<Bits<32>>,
    hk0: DFF<Bits<32>>,
    kw: DFF<Bits<32>>,
    ps: DFF<Bits<32>>,
    t1r: DFF<Bits<32>>,
    t2r: DFF<Bits<32>>,
    half: DFF<Bit>,
    t1x: Signal<Local, Bits<32>>,
    t1y: Signal<Local, Bits<32>>,
    psx: Signal<Local, Bits<32>>,
    psy: Signal<Local, Bits<32>>,
    wp1: DFF<Bits<32>>,
    wp2: DFF<Bits<32>>,
    stage: DFF<Bits<24>>,
    word: Signal<Local, Bits<32>>,
    round: DFF<Bits<7>>,
    compressing: DFF<Bit>,
    padding: DFF<Bit>,
    // Padding bytes left, the one pad_byte holds included.
    pad_left: DFF<Bits<7>>,
    pad_byte: DFF<Bits<8>>,
    count: DFF<Bits<16>>,
    fill: DFF<Bits<6>>,
    // The message length in bits, shifted up two bytes.
    bitlen_up: Signal<Local, Bits<64>>,
    pad_tail: Signal<Local, Bit>,
    pad6: Signal<Local, Bits<6>>,
    inbyte: Signal<Local, Bits<8>>,
    take: Signal<Local, Bit>,
    // The parts of the schedule write and block completion that registered
    // state alone decides, registered from the next state (see the end).
    we_any: DFF<Bit>,
    we_in: DFF<Bit>,
    full_any: DFF<Bit>,
    full_in: DFF<Bit>,
    sched_we: Signal<Local, Bit>,
    /// `busy` and `ends`, registered from the next state (see the end): the
    /// controller's retirement waits on them, so no decode of the round
    /// sits before it.
    busy_r: DFF<Bit>,
    ends_r: DFF<Bit>,
    block_full: Keep<Bit>,
    s0: Signal<Local, Bits<32>>,
    s1: Signal<Local, Bits<32>>,
    ch: Signal<Local, Bits<32>>,
    maj: Signal<Local, Bits<32>>,
    t1: Signal<Local, Bits<32>>,
    t2: Signal<Local, Bits<32>>,
    w1: Signal<Local, Bits<32>>,
    w9: Signal<Local, Bits<32>>,
    w14: Signal<Local, Bits<32>>,
    sg0: Signal<Local, Bits<32>>,
    sg1: Signal<Local, Bits<32>>,
    wnew: Signal<Local, Bits<32>>,
    iv: [Constant<Bits<32>>; 8],
    last_round: Constant<Bits<7>>,
    c_h_at: Constant<Bits<7>>,
    c_iv_at: Constant<Bits<7>>,
    c_h_end: Constant<Bits<8>>,
    c_k0: Constant<Bits<32>>,
}

// 64 rounds of two cycles, then the 8 cycles of H += a..h.
const _: () = assert!(SHA_COMPRESS_CYCLES == 2 * 64 + 8);

impl Default for Sha256 {
    fn default() -> Self {
        let words = K
            .iter()
            .enumerate()
            .chain(IV.iter().enumerate().map(|(i, v)| (IV_AT + i, v)));
        let contents: std::collections::BTreeMap<Bits<7>, Bits<32>> = words
            .map(|(i, w)| ((i as u64).into(), (*w).into()))
            .collect();
        Self {
            clock: Default::default(),
            init: Default::default(),
            wr: Default::default(),
            wdata: Default::default(),
            finish: Default::default(),
            busy: Default::default(),
            ends: Default::default(),
            fills: Default::default(),
            rd_addr: Default::default(),
            rd_data: Default::default(),
            mem: Ram::new(contents),
            fresh: Default::default(),
            clearing: Default::default(),
            rd_byte: Default::default(),
            hbase: Default::default(),
            v: array_init::array_init(|_| Default::default()),
            ready: Default::default(),
            start: Default::default(),
            fsum: Default::default(),
            sched: RegFile::with_rows(Default::default()),
            w0: Default::default(),
            hkw: Default::default(),
            hk0: Default::default(),
            kw: Default::default(),
            ps: Default::default(),
            t1r: Default::default(),
            t2r: Default::default(),
            half: Default::default(),
            t1x: Default::default(),
            t1y: Default::default(),
            psx: Default::default(),
            psy: Default::default(),
            wp1: Default::default(),
            wp2: Default::default(),
            stage: Default::default(),
            word: Default::default(),
            round: Default::default(),
            compressing: Default::default(),
            padding: Default::default(),
            pad_left: Default::default(),
            pad_byte: Default::default(),
            count: Default::default(),
            fill: Default::default(),
            bitlen_up: Default::default(),
            pad_tail: Default::default(),
            pad6: Default::default(),
            inbyte: Default::default(),
            take: Default::default(),
            we_any: Default::default(),
            busy_r: Default::default(),
            ends_r: Default::default(),
            we_in: Default::default(),
            full_any: Default::default(),
            full_in: Default::default(),
            sched_we: Default::default(),
            block_full: Default::default(),
            s0: Default::default(),
            s1: Default::default(),
            ch: Default::default(),
            maj: Default::default(),
            t1: Default::default(),
            t2: Default::default(),
            w1: Default::default(),
            w9: Default::default(),
            w14: Default::default(),
            sg0: Default::default(),
            sg1: Default::default(),
            wnew: Default::default(),
            iv: array_init::array_init(|i| Constant::new(IV[i].into())),
            // `round` counts rounds, then the 8 cycles of H += a..h.
            last_round: Constant::new((64 + 8 - 1).into()),
            c_h_at: Constant::new((H_AT as u64).into()),
            c_iv_at: Constant::new((IV_AT as u64).into()),
            // Round 64 + k writes H's word 7 - k.
            c_h_end: Constant::new((H_AT as u64 + 7 + 64).into()),
            c_k0: Constant::new(K[0].into()),
        }
    }
}

impl Logic for Sha256 {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            w0,
            hkw,
            hk0,
            kw,
            ps,
            t1r,
            t2r,
            half,
            wp1,
            wp2,
            stage,
            round,
            compressing,
            padding,
            pad_left,
            pad_byte,
            count,
            fill,
            ready,
            fresh,
            clearing,
            rd_byte,
            we_any,
            we_in,
            full_any,
            full_in,
            busy_r,
            ends_r
        );
        for i in 0..8 {
            self.v[i].clock.next = self.clock.val();
            self.v[i].d.next = self.v[i].q.val();
        }
        self.mem.clock.next = self.clock.val();
        self.mem.write_enable.next = false;
        self.mem.write_address.next =
            bit_cast::<7, 8>(self.c_h_end.val() - bit_cast::<8, 7>(self.round.q.val()));
        // H, or the IV's words until the first compression writes H.
        self.hbase.next = self.c_h_at.val();
        if self.fresh.q.val() {
            self.hbase.next = self.c_iv_at.val();
        }

        // Round logic (a..h = v[0..8]).
        self.s0.next = ((self.v[0].q.val() >> 2) | (self.v[0].q.val() << 30))
            ^ ((self.v[0].q.val() >> 13) | (self.v[0].q.val() << 19))
            ^ ((self.v[0].q.val() >> 22) | (self.v[0].q.val() << 10));
        self.s1.next = ((self.v[4].q.val() >> 6) | (self.v[4].q.val() << 26))
            ^ ((self.v[4].q.val() >> 11) | (self.v[4].q.val() << 21))
            ^ ((self.v[4].q.val() >> 25) | (self.v[4].q.val() << 7));
        self.ch.next =
            (self.v[4].q.val() & self.v[5].q.val()) ^ (!self.v[4].q.val() & self.v[6].q.val());
        self.maj.next = (self.v[0].q.val() & self.v[1].q.val())
            ^ (self.v[0].q.val() & self.v[2].q.val())
            ^ (self.v[1].q.val() & self.v[2].q.val());
        // The message schedule in round t: W[t] (w0), W[t+1] and W[t+9]
        // (read from the schedule memory in the previous round; valid in the
        // round's first cycle), W[t+14] (the word written two rounds ago);
        // the round writes W[t+16] over W[t].
        self.w1.next = self.sched.rdata_a.val();
        self.w9.next = self.sched.rdata_b.val();
        self.w14.next = self.wp2.q.val();
        // T1 = h + K[t] + W[t] (summed a round early, in hkw) + S1 + Ch:
        // the three as two words (carry-save), then one carry chain.
        self.t1x.next = self.hkw.q.val() ^ self.s1.val() ^ self.ch.val();
        self.t1y.next = ((self.hkw.q.val() & self.s1.val())
            | (self.hkw.q.val() & self.ch.val())
            | (self.s1.val() & self.ch.val()))
            << 1;
        self.t1.next = self.t1x.val() + self.t1y.val();
        self.t2.next = self.s0.val() + self.maj.val();
        // The next round's h + K[t + 1] + W[t + 1]: K + W in the first cycle
        // (kw), + g (its h) in the second (hkw).
        self.hkw.d.next = self.v[6].q.val() + self.kw.q.val();
        // Round 0's, from H's word 7 (h), kept while the block fills.
        self.hk0.d.next = self.v[7].q.val() + self.c_k0.val() + self.w0.q.val();
        self.sg0.next = ((self.w1.val() >> 7) | (self.w1.val() << 25))
            ^ ((self.w1.val() >> 18) | (self.w1.val() << 14))
            ^ (self.w1.val() >> 3);
        self.sg1.next = ((self.w14.val() >> 17) | (self.w14.val() << 15))
            ^ ((self.w14.val() >> 19) | (self.w14.val() << 13))
            ^ (self.w14.val() >> 10);
        // W[t + 16] = sg1(W[t+14]) + ps, where ps = W[t+9] + sg0(W[t+1]) +
        // W[t] is summed in the round's first cycle (carry-save, one chain).
        self.psx.next = self.w9.val() ^ self.sg0.val() ^ self.w0.q.val();
        self.psy.next = ((self.w9.val() & self.sg0.val())
            | (self.w9.val() & self.w0.q.val())
            | (self.sg0.val() & self.w0.q.val()))
            << 1;
        self.wnew.next = self.sg1.val() + self.ps.q.val();

        // The byte taken this cycle: a message byte or a padding byte.
        // Padding bytes: 0x80 in the cycle of `finish`, then pad_byte, a
        // register that holds the next padding byte (zeros, then the message
        // length in bits, big-endian, as the last 8 bytes) so that no
        // arithmetic sits between `wr` / `finish` and the schedule memory.
        // It is loaded with the byte after the one taken: the second when
        // padding starts is 0 (a length byte there would be bit-length byte
        // 7, and the length fits 19 bits). With pad_left bytes left, the one
        // taken included, the next is the tail's (pad_left <= 9) bit-length
        // byte pad_left - 2: byte pad_left mod 8 of the bit length shifted
        // up two bytes (so no subtraction; past the last byte it is byte 1,
        // 0, unused), and pad_left <= 9 is written out as bit tests, not a
        // comparison's carry chain.
        self.bitlen_up.next = bit_cast::<64, 16>(self.count.q.val()) << 19;
        self.pad_tail.next = (self.pad_left.q.val().get_bits::<3>(4) == 0)
            && !(self.pad_left.q.val().get_bit(3)
                && (self.pad_left.q.val().get_bit(2) || self.pad_left.q.val().get_bit(1)));
        self.pad_byte.d.next = 0.into();
        if self.padding.q.val() {
            self.pad_byte.d.next = self.pad_byte.q.val();
            if !self.compressing.q.val() {
                self.pad_byte.d.next = 0.into();
                if self.pad_tail.val() {
                    self.pad_byte.d.next = self.bitlen_up.val().get_bits::<8>(
                        bit_cast::<9, 3>(self.pad_left.q.val().get_bits::<3>(0)).index() << 3,
                    );
                }
            }
        }
        self.inbyte.next = self.wdata.val();
        self.take.next = self.wr.val() && !self.compressing.q.val() && !self.padding.q.val();
        if (self.padding.q.val() || self.finish.val()) && !self.compressing.q.val() {
            self.take.next = true;
            self.inbyte.next = 0x80.into();
            if self.padding.q.val() {
                self.inbyte.next = self.pad_byte.q.val();
            }
        }
        self.pad6.next = bits::<6>(55) - self.count.q.val().get_bits::<6>(0);
        // The 64th byte of a block starts a compression: like the schedule
        // write below, one LUT after wr and finish.
        // (full_any / full_in: see the end. Kept: abc would otherwise fold
        // it into the logic after it.)
        self.block_full.d.next =
            self.full_any.q.val() || (self.full_in.q.val() && (self.wr.val() || self.finish.val()));
        if self.finish.val() && !self.padding.q.val() {
            // P = (55 - m mod 64) mod 64 + 9 bytes, P - 1 after the 0x80.
            self.padding.d.next = true;
            self.pad_left.d.next = bit_cast::<7, 6>(self.pad6.val()) + 8;
        }
        // Bytes gather in `stage`; a whole word goes into the schedule
        // memory (W[0] also into w0, the last two into wp1/wp2).
        self.word.next =
            (bit_cast::<32, 24>(self.stage.q.val()) << 8) | bit_cast::<32, 8>(self.inbyte.val());
        self.sched.clock.next = self.clock.val();
        // The schedule memory's write, and wp1 / wp2's load: a word's last
        // byte taken, or a round's second cycle. As take = !compressing &&
        // (wr || padding || finish), it is one LUT after the controller's
        // late wr and finish, which count when a word's last byte is next
        // and no compression runs (we_in); registered state alone writes a
        // padding word's last byte or a round's new word (we_any).
        // (we_any / we_in: see the end.)
        self.sched_we.next =
            self.we_any.q.val() || (self.we_in.q.val() && (self.wr.val() || self.finish.val()));
        self.sched.we.next = self.sched_we.val();
        if self.sched_we.val() {
            self.wp2.d.next = self.wp1.q.val();
            self.wp1.d.next = self.word.val();
            if self.compressing.q.val() {
                self.wp1.d.next = self.wnew.val();
            }
        }
        self.sched.waddr.next = self.fill.q.val().get_bits::<4>(2);
        self.sched.wdata.next = self.word.val();
        // Reads for round 0 (issued while the block fills), then round t + 1.
        self.sched.raddr_a.next = 1.into();
        self.sched.raddr_b.next = 9.into();
        if self.compressing.q.val() {
            self.sched.raddr_a.next = self.round.q.val().get_bits::<4>(0) + 2;
            self.sched.raddr_b.next = self.round.q.val().get_bits::<4>(0) + 10;
        }
        // W[0] into w0: loaded whenever byte 3 is next, so that its last
        // load is the cycle that takes byte 3 (fill then moves on), and
        // `take`, late from the controller, is not on its path.
        if self.fill.q.val() == 3 {
            self.w0.d.next = self.word.val();
        }
        if self.take.val() {
            self.stage.d.next = bit_cast::<24, 32>(self.word.val());
            self.fill.d.next = self.fill.q.val() + 1;
            if !self.padding.q.val() && !self.finish.val() {
                // The message length; padding bytes do not count.
                self.count.d.next = self.count.q.val() + 1;
            }
            if self.padding.q.val() {
                self.pad_left.d.next = self.pad_left.q.val() - 1;
                if self.pad_left.q.val() == 1 {
                    self.padding.d.next = false;
                }
            }
        }
        if self.block_full.q.val() {
            // a..h already hold H (see the module comment); round 0's
            // h + K[0] + W[0] (hk0: W[0] came 60 bytes ago).
            self.hkw.d.next = self.hk0.q.val();
            self.compressing.d.next = true;
            self.round.d.next = 0.into();
            self.half.d.next = false;
        }
        // Word 7 - k of H (read in the previous cycle) + a..h's word 7 - k.
        self.fsum.next = self.mem.read_data.val() + self.v[7].q.val();
        self.mem.write_data.next = self.fsum.val();
        if self.clearing.q.val() {
            self.mem.write_data.next = 0.into();
        }
        // The memory's read: in round t, K[t + 2]; from round 63, H's words
        // 7, 6, .., 0 for the state update; idle, the digest word asked for
        // (and K[1] while a byte is taken, for a block it may complete).
        // (H and the IV start at multiples of 8: the word's index is ORed
        // in, not added.)
        self.mem.read_address.next =
            self.hbase.val() | bit_cast::<7, 3>(self.rd_addr.val().get_bits::<3>(2));
        if self.take.val() {
            self.mem.read_address.next = 1.into();
        }
        if self.compressing.q.val() {
            self.mem.read_address.next = self.round.q.val() + 2;
            if self.round.q.val() >= 63 {
                self.mem.read_address.next = self.hbase.val() + 70 - self.round.q.val();
            }
        }
        self.rd_byte.d.next = self.rd_addr.val().get_bits::<2>(0);
        self.rd_data.next =
            self.mem.read_data.val().get_bits::<8>(
                (bits::<5>(24) - (bit_cast::<5, 2>(self.rd_byte.q.val()) << 3)).index(),
            );
        if self.compressing.q.val() {
            self.round.d.next = self.round.q.val() + 1;
            if !self.clearing.q.val() {
                for i in 1..8 {
                    self.v[i].d.next = self.v[i - 1].q.val();
                }
            }
            if self.round.q.val() < 64 {
                if !self.half.q.val() {
                    // The round's first cycle: a..h and the round hold.
                    self.half.d.next = true;
                    self.round.d.next = self.round.q.val();
                    for i in 0..8 {
                        self.v[i].d.next = self.v[i].q.val();
                    }
                    self.t1r.d.next = self.t1.val();
                    self.t2r.d.next = self.t2.val();
                    self.kw.d.next = self.mem.read_data.val() + self.w1.val();
                    self.ps.d.next = self.psx.val() + self.psy.val();
                    self.w0.d.next = self.w1.val();
                } else {
                    self.half.d.next = false;
                    self.v[4].d.next = self.v[3].q.val() + self.t1r.q.val();
                    self.v[0].d.next = self.t1r.q.val() + self.t2r.q.val();
                    self.sched.waddr.next = self.round.q.val().get_bits::<4>(0);
                    self.sched.wdata.next = self.wnew.val();
                }
            } else {
                // H += a..h, a word a cycle: H and a..h rotate together and
                // both take the sum, so both hold the new H after 8 cycles.
                // After an init, the same 8 cycles write zeros over H
                // instead (a..h hold the IV; H reads from the IV's words).
                if !self.clearing.q.val() {
                    self.v[0].d.next = self.fsum.val();
                }
                self.mem.write_enable.next = true;
                if self.round.q.val() == self.last_round.val() {
                    self.compressing.d.next = false;
                    self.fresh.d.next = self.clearing.q.val();
                    self.clearing.d.next = false;
                }
            }
        }
        // Power-on counts as an init, so that H starts as the IV.
        self.ready.d.next = true;
        self.start.next = self.init.val() || !self.ready.q.val();
        if self.start.val() {
            for i in 0..8 {
                self.v[i].d.next = self.iv[i].val();
            }
            self.fresh.d.next = true;
            self.count.d.next = 0.into();
            self.fill.d.next = 0.into();
            self.padding.d.next = false;
            self.compressing.d.next = true;
            self.clearing.d.next = true;
            self.round.d.next = 64.into();
            self.half.d.next = false;
        }
        self.busy.next = self.busy_r.q.val();
        self.ends.next = self.ends_r.q.val();
        self.fills.next = self.fill.q.val() == 63;
        // The registered parts of the schedule write and block completion,
        // for the next cycle: from the final values of its state.
        // (A round's second cycle: half is set only in a round's first
        // cycle, where the round holds below 64 and the core compresses on,
        // so round's and compressing's late next values need not be read.)
        self.we_any.d.next = self.half.d.val()
            || (!self.compressing.d.val()
                && self.padding.d.val()
                && (self.fill.d.val().get_bits::<2>(0) == 3));
        self.we_in.d.next = !self.compressing.d.val() && (self.fill.d.val().get_bits::<2>(0) == 3);
        self.full_any.d.next =
            !self.compressing.d.val() && self.padding.d.val() && (self.fill.d.val() == 63);
        self.full_in.d.next = !self.compressing.d.val() && (self.fill.d.val() == 63);
        self.busy_r.d.next = self.compressing.d.val() || self.padding.d.val();
        self.ends_r.d.next = self.compressing.d.val()
            && (self.round.d.val() == self.last_round.val())
            && !self.padding.d.val();
    }
}

impl Sha256 {
    /// The first flip-flop formed a cycle ahead that disagrees with what
    /// the registered state decodes to now (`busy`: compressing or
    /// padding; `ends`: the last round of a compression with no padding
    /// left); None if all agree. Checked before every clock edge by
    /// `sim_tick` and the device's simulation.
    pub fn flat_state_mismatch(&self) -> Option<&'static str> {
        let compressing = self.compressing.q.val();
        let padding = self.padding.q.val();
        let ends = compressing && self.round.q.val() == self.last_round.val() && !padding;
        let checks = [
            (
                self.busy_r.q.val() == (compressing || padding),
                "SHA-256's busy flag",
            ),
            (self.ends_r.q.val() == ends, "SHA-256's last cycle"),
        ];
        checks.iter().find(|(ok, _)| !ok).map(|(_, what)| *what)
    }
}

/// Driving the core in rust-hdl's simulator, as the controller does (for
/// tests).
impl Sha256 {
    /// One clock cycle (the inputs settle through the logic before the edge).
    pub fn sim_tick(&mut self) {
        assert!(simulate(self, 1000));
        assert_eq!(self.flat_state_mismatch(), None);
        self.clock.next = Clock { clk: true };
        assert!(simulate(self, 1000));
        self.clock.next = Clock { clk: false };
        assert!(simulate(self, 1000));
    }

    /// Ticks until not busy; returns the cycles.
    pub fn sim_wait_idle(&mut self) -> u64 {
        assert!(simulate(self, 1000));
        let mut n = 0;
        while self.busy.val() {
            self.sim_tick();
            n += 1;
        }
        n
    }

    /// Pulses `init` for a cycle.
    pub fn sim_init(&mut self) {
        self.init.next = true;
        self.sim_tick();
        self.init.next = false;
    }

    /// Pulses `finish` for a cycle.
    pub fn sim_finish(&mut self) {
        self.finish.next = true;
        self.sim_tick();
        self.finish.next = false;
    }

    /// Writes `msg` a byte a cycle, waiting while busy; returns the cycles.
    pub fn sim_feed(&mut self, msg: &[u8]) -> u64 {
        let mut cycles = 0;
        let mut i = 0;
        while i < msg.len() {
            assert!(simulate(self, 1000));
            self.wr.next = !self.busy.val();
            if !self.busy.val() {
                self.wdata.next = (msg[i] as u64).into();
                i += 1;
            }
            self.sim_tick();
            cycles += 1;
        }
        self.wr.next = false;
        cycles
    }

    /// Reads the digest a byte a cycle, as the device does.
    pub fn sim_read_digest(&mut self) -> [u8; 32] {
        let mut out = [0u8; 32];
        for (k, b) in out.iter_mut().enumerate() {
            self.rd_addr.next = (k as u64).into();
            self.sim_tick();
            assert!(simulate(self, 1000));
            *b = self.rd_data.val().to_u8();
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// After a hash, `init` writes zeros over each of H's words in the
    /// memory (DEVICE.SCRUB: no digest outlives a SHAINIT).
    #[test]
    fn init_overwrites_every_word_of_h() {
        let mut u = Sha256::default();
        u.connect_all();
        u.sim_tick();
        u.sim_wait_idle();
        u.sim_feed(b"a secret");
        u.sim_finish();
        u.sim_wait_idle();
        u.sim_init();
        let mut zeroed = std::collections::BTreeSet::new();
        assert!(simulate(&mut u, 1000));
        while u.busy.val() {
            if u.mem.write_enable.val() && u.mem.write_data.val() == 0 {
                zeroed.insert(u.mem.write_address.val().index());
            }
            u.sim_tick();
            assert!(simulate(&mut u, 1000));
        }
        assert_eq!(zeroed, (H_AT..H_AT + 8).collect());
    }
}
