//! The scalar-multiplication engine: sequencer, microcode ROM, register
//! file and field arithmetic unit in one block, cycle for cycle the machine
//! whose timing `scu_model::timing` states.
//!
//! Datapath (L lanes, rows of W words, R = 16/W rows, C = 16/L chunks):
//!
//! ```text
//!   ROM[pc] -> decode -> sequencer (phase, pass, chunk, row counters)
//!   RegFile (2 read ports, 1 write port, W words a row)
//!      port A: a rows / host reads      port B: b rows
//!   Breg (16 words): B, rotated a chunk a cycle; ADD/SUB t; MUL t - m
//!   Treg (16 words) + Ttop: the Montgomery accumulator; ADD/SUB s
//!   lanes[L]: P = a_j * B chunk (or q * n chunk, or t0 * n'), registered;
//!             P + m * p' words
//!   chunk sum S = window + sum(lanes) + carry -> new chunk, carry
//!   RowAlu (W words): ADD/SUB/TEST chains     RowDigest: trace digest
//! ```
//!
//! Multiplication mod p fuses each Montgomery reduction into the next
//! pass: pass j computes (T >> 16) + T0 p' + a_j B (p' = (p + 1) / 2^16),
//! 16 such passes and a final one with a = 0 that also computes T - p. Mod n
//! each row is a multiply pass (T >> 16) + a_i B, a quotient cycle
//! q = t0 n' and a reduce pass T + q n, then a final shift pass.
//!
//! For the clock, the datapath's selects come from flip-flops: the decode
//! is registered (the ROM is read with the next pc, a cycle early), the
//! sequencer's predicates and the modulus words are computed a cycle ahead
//! from its next state, the final pass's T - m runs a chunk behind the sum
//! (its last chunk in the first write), and the reduce pass's last chunk
//! takes Ttop into its window, above the chunk, so that its carry out is
//! the new Ttop without an adder after the chunk sum. At L <= 4 the window
//! itself is registered, read off Treg as it will be, and its words are
//! added to the lanes' products in their DSPs, a carry-save level fewer
//! before the chunk sum's chain. The lanes' products
//! are registered, so no multiplier (nor the register file's read before
//! it) is on the chunk sum's path: each cycle feeds the lanes the next
//! cycle's operands, which the reads and Breg's rotation provide a cycle
//! early (pass 0 reads B's rows from MUL's Start on; mod n, q = t0 n' is
//! formed in the multiply pass's last chunk, from the new t0 one chunk up
//! Treg). None of this changes a cycle count. With the wide rows of L >= 4, ADD and SUB also take their last
//! row's carries from flip-flops, a cycle after its read (one cycle more
//! each, `scu_model::timing::Lanes::late_carries`), and TEST does so at
//! every L, so no row-wide carry chain lies between a register-file read
//! and a write, the flag or the error bits.

use crate::digest::RowDigest;
use crate::keep::Keep;
use crate::lane::Lane;
use crate::regfile::RegFile;
use crate::rom::Rom;
use crate::rowalu::RowAlu;
use rust_hdl::prelude::*;
use scu_model::consts;
use scu_model::isa::{err, layout, opcode, FIRST_CONST, STACK_DEPTH};
use scu_model::timing::Lanes;
use scu_model::words::U256;
use std::collections::BTreeMap;

/// The engine's top-level state.
#[derive(Copy, Clone, PartialEq, Eq, Debug, LogicState)]
pub enum EngState {
    /// Waiting for `start`; the host owns the register file.
    Idle,
    /// Instruction cycle 0: the ROM reads the word at pc.
    Fetch,
    /// Executing the instruction.
    Exec,
}

/// The phase within an instruction.
#[derive(Copy, Clone, PartialEq, Eq, Debug, LogicState)]
pub enum Phase {
    /// Cycle 1: first reads; control instructions execute.
    Start,
    /// Streaming rows in (ADD, SUB, COPY, TEST, CSWAP).
    Stream,
    /// Writing the destination (MUL, ADD, SUB).
    WriteA,
    /// Writing CSWAP's second register (its first is written while streaming).
    WriteB,
    /// A multiply pass (mod p), a multiply pass (mod n), or the final pass.
    Pass,
    /// The reduce pass of a row mod n.
    PassR,
    /// The quotient cycle of a row mod n.
    Quot,
    /// FLAG's and TEST's evaluation cycle.
    FlagEval,
}

/// Decoded opcode.
#[derive(Copy, Clone, PartialEq, Eq, Debug, LogicState)]
pub enum Op {
    /// HALT.
    Halt,
    /// MUL.
    Mul,
    /// ADD.
    Add,
    /// SUB.
    Sub,
    /// COPY.
    Copy,
    /// CSWAP.
    Cswap,
    /// FLAG.
    Flag,
    /// TEST.
    Test,
    /// SETCNT.
    SetCnt,
    /// DJNZ.
    Djnz,
    /// JMP.
    Jmp,
    /// CALL.
    Call,
    /// RET.
    Ret,
    /// Anything undefined.
    Illegal,
}

/// Ttop's bits in the reduce pass's window. Mod n, T < 2^274 throughout
/// (a row takes T < X to below X / 2^16 + 2^16 2^256 + 2^16 n), so Ttop <
/// 2^18; the window then stays within the lanes' width and the chunk sum's
/// chain no longer than theirs needs. (Mod p, Ttop is 0 or 1.)
const TTOP_N: usize = 18;

/// The chunk sum's carry out (and so Ttop) in bits. A pass's chunk sum is
/// the window (below 2^(CH+18): Ttop < 2^18 above the chunk in the reduce
/// pass, below 2^(CH+8) otherwise, Ttop < 2^24 one word under the chunk's
/// top), the carry (below 2^24 <= 2^(CH+8)) and the lanes' P + red
/// (each below 2^33, at 16 l: together below 1.00002 2^(CH+17)), so it is
/// below 2^(CH+19) and its carry out below 2^19. The sum's bits above
/// are always 0; taking none of them ends its carry chain there.
/// (`Engine::flat_state_mismatch` checks the bound in every pass cycle.)
const CARRY_N: usize = 19;

fn k<const N: usize>(v: u64) -> Constant<Bits<N>> {
    Constant::new(v.into())
}

fn k256(v: &U256) -> Constant<Bits<256>> {
    let mut b: Bits<256> = Bits::default();
    for i in 0..16 {
        let w: Bits<256> = (v.word(i) as u64).into();
        b = b | (w << ((16 * i) as u64));
    }
    Constant::new(b)
}

fn log2(x: usize) -> u64 {
    assert!(x.is_power_of_two());
    x.trailing_zeros() as u64
}

/// The engine for L lanes. The other parameters are derived widths (Rust's
/// const generics cannot compute them): CH = 16L chunk bits, SW >= 16L + 24
/// sum bits, W = L row words, RB = 16W row bits, RSW = RB + 4, AW =
/// 5 + log2(16 / W) address bits. Use the aliases in [`crate::config`].
#[derive(LogicBlock)]
pub struct Engine<
    const L: usize,
    const CH: usize,
    const SW: usize,
    const W: usize,
    const RB: usize,
    const RSW: usize,
    const AW: usize,
> {
    /// System clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset to Idle (the register file keeps its contents).
    pub rst: Signal<In, Bit>,
    /// Start the routine at `entry` (sampled while idle).
    pub start: Signal<In, Bit>,
    /// Microcode entry address.
    pub entry: Signal<In, Bits<10>>,
    /// Host write enable (idle only; writes to constant registers are ignored).
    pub host_we: Signal<In, Bit>,
    /// Host row address to read: register * R + row.
    pub host_addr: Signal<In, Bits<AW>>,
    /// Host row address to write (a port of its own: the device forms its
    /// read address late, from SHA-256's busy flag).
    pub host_waddr: Signal<In, Bits<AW>>,
    /// Host write data.
    pub host_wdata: Signal<In, Bits<RB>>,
    /// Host read data: the row at the previous cycle's `host_addr`.
    pub host_rdata: Signal<Out, Bits<RB>>,
    /// Running.
    pub busy: Signal<Out, Bit>,
    /// One-cycle pulse after HALT retires.
    pub done: Signal<Out, Bit>,
    /// The error register.
    pub err: Signal<Out, Bits<8>>,
    /// Trace: an instruction retired in the previous cycle.
    pub tr_valid: Signal<Out, Bit>,
    /// Trace: its microcode address.
    pub tr_pc: Signal<Out, Bits<10>>,
    /// Trace: the register it wrote, or 0xff.
    pub tr_dest: Signal<Out, Bits<8>>,
    /// Trace: its digest (see `scu_model::trace::TraceEvent`).
    pub tr_digest: Signal<Out, Bits<16>>,

    rf: RegFile<RB, AW>,
    rom: Rom<32, 10>,
    lanes: [Lane<SW>; L],
    alu: RowAlu<RB, RSW>,
    fold: RowDigest<W, RB>,

    state: DFF<EngState>,
    phase: DFF<Phase>,
    pc: DFF<Bits<10>>,
    /// pc + 1, from the cycle after pc changes: pc changes only as an
    /// instruction retires (or at start), and the next retirement is at
    /// least two cycles later (Fetch, then Exec), so no retirement sees a
    /// stale pc1 and the ROM's next address needs no adder.
    pc1: DFF<Bits<10>>,
    cnt: DFF<Bits<9>>,
    /// cnt + 1, set with cnt (FLAG's second bit index without an adder).
    cnt_up: DFF<Bits<10>>,
    /// cnt == 1, set with cnt: DJNZ's branch test without a subtraction.
    cnt_one: DFF<Bit>,
    flag: DFF<Bit>,
    errs: DFF<Bits<8>>,
    stack: [DFF<Bits<10>>; STACK_DEPTH],
    // The top of the stack (RET's return address).
    tos: Signal<Local, Bits<10>>,
    // The microcode's next address's selects, registered from the next
    // state (see the end): a control instruction's retirement goes to its
    // target (JMP, CALL, DJNZ taken) or to the top of the stack (RET).
    ra_tgt: DFF<Bit>,
    ra_ret: DFF<Bit>,
    sp: DFF<Bits<3>>,
    row: DFF<Bits<4>>,
    chunk: DFF<Bits<5>>,
    pass: DFF<Bits<5>>,
    breg: DFF<Bits<256>>,
    treg: DFF<Bits<256>>,
    /// Treg's next value, when it changes.
    treg_next: Signal<Local, Bits<256>>,
    /// Treg changes (ADD, SUB and CSWAP streaming, the writes, the passes,
    /// MUL's Start).
    treg_ce: DFF<Bit>,
    ttop: DFF<Bits<24>>,
    carry: DFF<Bits<24>>,
    mreg: DFF<Bits<16>>,
    mff: DFF<Bits<32>>,
    mword: Signal<Local, Bits<32>>,
    dborrow: DFF<Bit>,
    use_alt: DFF<Bit>,
    c1: DFF<Bit>,
    c2: DFF<Bit>,
    /// The row ALU's s chain carry in, as its adder takes it.
    cin1_r: DFF<Bit>,
    eqacc: DFF<Bit>,
    dig: DFF<Bits<16>>,
    t_valid: DFF<Bit>,
    t_pc: DFF<Bits<10>>,
    t_dest: DFF<Bits<8>>,
    t_digest: DFF<Bits<16>>,
    done_r: DFF<Bit>,
    // Registered control: predicates and operands of the next cycle, so
    // that the datapath's selects come straight from flip-flops.
    lastc: DFF<Bit>,
    lastr: DFF<Bit>,
    pass16: DFF<Bit>,
    pass15: DFF<Bit>,
    opk_r: DFF<Op>,
    modn_r: DFF<Bit>,
    add_r: DFF<Bit>,
    addsub_r: DFF<Bit>,
    tvs_r: DFF<Bit>,
    cswf_r: DFF<Bit>,
    mrow: DFF<Bits<RB>>,
    mchunk: DFF<Bits<CH>>,
    mprev: DFF<Bits<CH>>,
    wfirst: DFF<Bit>,
    in_stream: DFF<Bit>,
    in_pass0: DFF<Bit>,
    in_passr: DFF<Bit>,
    in_quot: DFF<Bit>,
    near_end: DFF<Bit>,
    // The pass predicates the next phase's flat tests share, registered
    // from the next state (see the end): a multiply pass but the final
    // (mp_r); one that an Exec cycle continues (mpc_r: not its last
    // chunk, or a last chunk into the next multiply pass); the reduce
    // pass but pass 15's (prc_r); MUL's Start (ms_r, with state Exec).
    mp_r: DFF<Bit>,
    mpc_r: DFF<Bit>,
    prc_r: DFF<Bit>,
    ms_r: DFF<Bit>,

    // Decode.
    ir: Signal<Local, Bits<32>>,
    opc: Signal<Local, Bits<4>>,
    opk: Signal<Local, Op>,
    modn: Signal<Local, Bit>,
    rd: Signal<Local, Bits<5>>,
    ra: Signal<Local, Bits<5>>,
    rb: Signal<Local, Bits<5>>,
    fmode: Signal<Local, Bits<2>>,
    tcond: Signal<Local, Bits<2>>,
    t_raise: Signal<Local, Bit>,
    t_vsmod: Signal<Local, Bit>,
    t_ebit: Signal<Local, Bits<3>>,
    count: Signal<Local, Bits<9>>,
    target: Signal<Local, Bits<10>>,
    // Addressing.
    a_reg: Signal<Local, Bits<5>>,
    a_row: Signal<Local, Bits<5>>,
    b_reg: Signal<Local, Bits<5>>,
    b_row: Signal<Local, Bits<5>>,
    w_reg: Signal<Local, Bits<5>>,
    w_en: Signal<Local, Bit>,
    w_data: Signal<Local, Bits<RB>>,
    w_row: Signal<Local, Bits<4>>,
    // The register a host write addresses (while idle).
    host_reg: Signal<Local, Bits<5>>,
    use_alt_now: Signal<Local, Bit>,
    addsub: Signal<Local, Bit>,
    // Next state.
    phase_n: Signal<Local, Phase>,
    pass_n: Signal<Local, Bits<5>>,
    chunk_n: Signal<Local, Bits<5>>,
    row_n: Signal<Local, Bits<4>>,
    pc_n: Signal<Local, Bits<10>>,
    swap: Signal<Local, Bit>,
    alt_x: Keep<Bit>,
    alt_y: Keep<Bit>,
    // Kept wires of the write-data choice (see Keep).
    k_p: Keep<Bits<RB>>,
    k_q: Keep<Bits<RB>>,
    k_p1: Keep<Bits<RB>>,
    k_q1: Keep<Bits<RB>>,
    k_y: Keep<Bits<RB>>,
    k_take: Keep<Bit>,
    k_d: Keep<Bit>,
    // The write data's early sources, one-hot selects registered from the
    // next state (host: inverted, so that power-up selects it).
    ws_host_n: DFF<Bit>,
    ws_breg: DFF<Bit>,
    ws_b: DFF<Bit>,
    ws_a: DFF<Bit>,
    ws_t: DFF<Bit>,
    ws_late: DFF<Bit>,
    // An instruction writes the register file in this cycle (its write
    // enable, write-protect table included, registered from the next state
    // so that neither the phase logic nor the table sits before the block
    // RAM's write clock enable; the host's writes while idle are apart).
    we_x: DFF<Bit>,
    // The instruction's registers rd / ra / rb are writable.
    wr_rd: Signal<Local, Bit>,
    wr_ra: Signal<Local, Bit>,
    wr_rb: Signal<Local, Bit>,
    g_host: Signal<Local, Bits<RB>>,
    g_breg: Signal<Local, Bits<RB>>,
    g_b: Signal<Local, Bits<RB>>,
    g_a: Signal<Local, Bits<RB>>,
    g_t: Signal<Local, Bits<RB>>,
    g_p: Signal<Local, Bits<RB>>,
    g_ts: Signal<Local, Bits<RB>>,
    w_common: Signal<Local, Bits<RB>>,
    verdict: Signal<Local, Bit>,
    status_retire: Signal<Local, Bit>,
    tside: Signal<Local, Bits<RB>>,
    pside: Signal<Local, Bits<RB>>,
    wx: Signal<Local, Bits<RB>>,
    wy: Signal<Local, Bits<RB>>,
    // Retirement.
    retire: Signal<Local, Bit>,
    halt: Signal<Local, Bit>,
    next_pc: Signal<Local, Bits<10>>,
    r_dest: Signal<Local, Bits<8>>,
    r_digest: Signal<Local, Bits<16>>,
    // Arithmetic.
    modv: Signal<Local, Bits<256>>,
    row_off: Signal<Local, Bits<9>>,
    chunk_off: Signal<Local, Bits<9>>,
    mod_row: Signal<Local, Bits<RB>>,
    mod_chunk: Signal<Local, Bits<CH>>,
    last_row: Signal<Local, Bit>,
    last_chunk: Signal<Local, Bit>,
    aword_off: Signal<Local, Bits<9>>,
    a_word: Signal<Local, Bits<16>>,
    nx_mulpass: Signal<Local, Bit>,
    // The lanes' x operand's sources, each under its (exclusive) phase.
    x_mul: Signal<Local, Bits<16>>,
    x_red: Signal<Local, Bits<16>>,
    x_quot: Signal<Local, Bits<16>>,
    nx_passr: Signal<Local, Bit>,
    nx_quot: Signal<Local, Bit>,
    nx_pass0: Signal<Local, Bit>,
    seq_exec: Signal<Local, Bit>,
    seq_hold: Signal<Local, Bit>,
    mul_start: Signal<Local, Bit>,
    nx_chunk0: Signal<Local, Bit>,
    in_passes: Signal<Local, Bit>,
    nx_chunkup: Signal<Local, Bit>,
    nx_chunk: Signal<Local, Bits<5>>,
    chunk_p1: Signal<Local, Bits<5>>,
    chunk_p2: Signal<Local, Bits<5>>,
    mchunk_idx: Signal<Local, Bits<5>>,
    mchunk_off: Signal<Local, Bits<9>>,
    b_chunk: Signal<Local, Bits<CH>>,
    lane_x: Signal<Local, Bits<16>>,
    lane_y: Signal<Local, Bits<CH>>,
    red_on: Signal<Local, Bit>,
    sel_gate: Signal<Local, Bit>,
    pw: Signal<Local, Bits<16>>,
    // The lanes' reduction selects, registered from the next chunk. For
    // registered lanes, p' is 1 / 0xffff in the chunk after the current one
    // (so that the selects for the next cycle are a LUT or two after
    // flip-flops, not after the next chunk's logic and the table); else
    // the current cycle's selects.
    sel_one: [DFF<Bit>; L],
    sel_ffff: [DFF<Bit>; L],
    win_comb: Signal<Local, Bits<SW>>,
    window_r: DFF<Bits<SW>>,
    nx_lastc: Signal<Local, Bit>,
    sum: Signal<Local, Bits<SW>>,
    cs_carry: Signal<Local, Bits<SW>>,
    cs_w: Signal<Local, Bits<SW>>,
    cs_s: Signal<Local, Bits<SW>>,
    cs_c: Signal<Local, Bits<SW>>,
    part: [Signal<Local, Bits<SW>>; L],
    new_chunk: Signal<Local, Bits<CH>>,
    carry_out: Signal<Local, Bits<24>>,
    dfull: Signal<Local, Bits<SW>>,
    chunk_borrow: Signal<Local, Bit>,
    not_alt_y: Signal<Local, Bit>,
    next_pass: Signal<Local, Bits<5>>,
    outcome: Signal<Local, Bit>,
    lt: Signal<Local, Bit>,
    eq: Signal<Local, Bit>,
    new_flag: Signal<Local, Bit>,
    new_errs: Signal<Local, Bits<8>>,
    bit_a: Signal<Local, Bit>,
    bit_b: Signal<Local, Bit>,
    new_cnt: Signal<Local, Bits<9>>,

    // Constants (numbers that depend on the parameters or come from scu-model).
    c_p: Constant<Bits<256>>,
    c_n: Constant<Bits<256>>,
    c_pprime: Constant<Bits<256>>,
    // The p' table the selects' registers read (a chunk on for registered
    // lanes).
    c_pprime_sel: Constant<Bits<256>>,
    // The lanes register their reduction term (L <= 4).
    c_lanes_reg: Constant<Bit>,
    c_nprime: Constant<Bits<16>>,
    c_ch: Constant<Bits<9>>,
    c_ch1: Constant<Bits<9>>,
    c_ch2: Constant<Bits<9>>,
    c_rb: Constant<Bits<9>>,
    c_top_ch: Constant<Bits<9>>,
    c_top_rb: Constant<Bits<9>>,
    c_log2r: Constant<Bits<4>>,
    c_log2w: Constant<Bits<4>>,
    c_log2rb: Constant<Bits<4>>,
    c_log2ch: Constant<Bits<4>>,
    c_last_row: Constant<Bits<4>>,
    c_last_chunk: Constant<Bits<5>>,
    c_near_end: Constant<Bits<5>>,
    /// ADD and SUB use the last row's carries a cycle after its read
    /// (`Lanes::late_carries`).
    c_late_carries: Constant<Bit>,
    c_wmask: Constant<Bits<5>>,
    c_rbmask: Constant<Bits<9>>,
    c_win_mask: Constant<Bits<CH>>,
    /// The window is registered (C >= 3: the next window is read off Treg
    /// before the new chunk can reach it).
    c_win_reg: Constant<Bit>,
    /// Bit CH + 16: where the word after the next window starts.
    c_win_next: Constant<Bits<9>>,
    c_top_lane: Constant<Bits<9>>,
    c_writable: Constant<Bits<32>>,
    c_err_illegal: Constant<Bits<8>>,
    c_f_op: Constant<Bits<5>>,
    c_f_mod: Constant<Bits<5>>,
    c_f_d: Constant<Bits<5>>,
    c_f_a: Constant<Bits<5>>,
    c_f_b: Constant<Bits<5>>,
    c_f_vsmod: Constant<Bits<5>>,
    c_f_cond: Constant<Bits<5>>,
    c_f_act: Constant<Bits<5>>,
    c_f_err: Constant<Bits<5>>,
    c_f_mode: Constant<Bits<5>>,
    c_f_count: Constant<Bits<5>>,
    c_f_target: Constant<Bits<5>>,
    c_mode_xor: Constant<Bits<2>>,
    c_mode_bit: Constant<Bits<2>>,
    c_mode_not: Constant<Bits<2>>,
    c_cond_eq: Constant<Bits<2>>,
    c_cond_ne: Constant<Bits<2>>,
    c_cond_lt: Constant<Bits<2>>,
    c_op_halt: Constant<Bits<4>>,
    c_op_mul: Constant<Bits<4>>,
    c_op_add: Constant<Bits<4>>,
    c_op_sub: Constant<Bits<4>>,
    c_op_copy: Constant<Bits<4>>,
    c_op_cswap: Constant<Bits<4>>,
    c_op_flag: Constant<Bits<4>>,
    c_op_test: Constant<Bits<4>>,
    c_op_setcnt: Constant<Bits<4>>,
    c_op_djnz: Constant<Bits<4>>,
    c_op_jmp: Constant<Bits<4>>,
    c_op_call: Constant<Bits<4>>,
    c_op_ret: Constant<Bits<4>>,
    c_stack_depth: Constant<Bits<3>>,
}

impl<
        const L: usize,
        const CH: usize,
        const SW: usize,
        const W: usize,
        const RB: usize,
        const RSW: usize,
        const AW: usize,
    > Engine<L, CH, SW, W, RB, RSW, AW>
{
    /// An engine running `rom` (at most 1024 words).
    pub fn new(rom: &[u32]) -> Self {
        assert!(matches!(L, 1 | 2 | 4 | 8), "lanes");
        assert_eq!(CH, 16 * L);
        assert!(SW >= 16 * L + 24);
        assert_eq!(W, L);
        assert_eq!(RB, 16 * W);
        assert_eq!(RSW, RB + 4);
        let rows = 16 / W;
        assert_eq!(AW as u64, 5 + log2(rows));
        assert!(rom.len() <= 1024);
        let rom_words: BTreeMap<Bits<10>, Bits<32>> = rom
            .iter()
            .enumerate()
            .map(|(i, &w)| ((i as u64).into(), (w as u64).into()))
            .collect();
        let pprime = consts::P.adc(&U256::ONE).0; // p + 1, then shifted by a word
        let mut pp = [0u16; 16];
        pp[..15].copy_from_slice(&pprime.0[1..16]);
        // The lanes register their reduction term where it pays: at L = 8
        // its 256 flip-flops cost the ECP5's clock (lane.rs).
        let lanes_reg = L <= 4;
        // The table the selects' flip-flops read at the next chunk: p' a
        // chunk on for registered lanes (the words of the chunk after it).
        let mut pp_sel = pp;
        if lanes_reg {
            pp_sel = [0u16; 16];
            pp_sel[..16 - L].copy_from_slice(&pp[L..]);
        }
        // After a pass's last chunk, where m is loaded, the next chunk is
        // chunk 0: registered lanes take no reduction term there, so none
        // needs m before its register (p' has words only at 5, 11, 13, 14).
        assert!(
            !lanes_reg || pp[..L].iter().all(|&w| w == 0),
            "a registered lane with a word of p' in chunk 0"
        );
        // With the registered window, its bits above the chunk (Ttop's, in a
        // last chunk) share a carry-save input with lane 0's reduction term
        // (chunk_sum): at L = 1 they overlap it, so lane 0 must take no
        // term in the last chunk.
        let win_reg = L <= 4;
        assert!(
            !win_reg || L > 1 || pp[15] == 0,
            "lane 0 with a word of p' in the last chunk at L = 1"
        );
        let win_mask: Bits<CH> = if L == 1 {
            0u64.into()
        } else {
            Bits::<CH>::mask() >> 16u64
        };
        Self {
            clock: Default::default(),
            rst: Default::default(),
            start: Default::default(),
            entry: Default::default(),
            host_we: Default::default(),
            host_addr: Default::default(),
            host_waddr: Default::default(),
            host_wdata: Default::default(),
            host_rdata: Default::default(),
            busy: Default::default(),
            done: Default::default(),
            err: Default::default(),
            tr_valid: Default::default(),
            tr_pc: Default::default(),
            tr_dest: Default::default(),
            tr_digest: Default::default(),
            rf: RegFile::new(),
            rom: Rom::new(rom_words),
            lanes: array_init::array_init(|l| Lane::new(l, lanes_reg)),
            alu: RowAlu::new(),
            fold: RowDigest::new(),
            state: Default::default(),
            phase: Default::default(),
            pc: Default::default(),
            pc1: Default::default(),
            cnt: Default::default(),
            cnt_up: Default::default(),
            cnt_one: Default::default(),
            flag: Default::default(),
            errs: Default::default(),
            stack: array_init::array_init(|_| Default::default()),
            tos: Default::default(),
            ra_tgt: Default::default(),
            ra_ret: Default::default(),
            sp: Default::default(),
            row: Default::default(),
            chunk: Default::default(),
            pass: Default::default(),
            breg: Default::default(),
            treg: Default::default(),
            treg_next: Default::default(),
            treg_ce: Default::default(),
            ttop: Default::default(),
            carry: Default::default(),
            mreg: Default::default(),
            mff: Default::default(),
            mword: Default::default(),
            dborrow: Default::default(),
            use_alt: Default::default(),
            c1: Default::default(),
            c2: Default::default(),
            cin1_r: Default::default(),
            eqacc: Default::default(),
            dig: Default::default(),
            t_valid: Default::default(),
            t_pc: Default::default(),
            t_dest: Default::default(),
            t_digest: Default::default(),
            done_r: Default::default(),
            lastc: Default::default(),
            lastr: Default::default(),
            pass16: Default::default(),
            pass15: Default::default(),
            mp_r: Default::default(),
            mpc_r: Default::default(),
            prc_r: Default::default(),
            ms_r: Default::default(),
            opk_r: Default::default(),
            modn_r: Default::default(),
            add_r: Default::default(),
            addsub_r: Default::default(),
            tvs_r: Default::default(),
            cswf_r: Default::default(),
            mrow: Default::default(),
            mchunk: Default::default(),
            mprev: Default::default(),
            wfirst: Default::default(),
            in_stream: Default::default(),
            in_pass0: Default::default(),
            in_passr: Default::default(),
            in_quot: Default::default(),
            near_end: Default::default(),
            phase_n: Default::default(),
            pass_n: Default::default(),
            chunk_n: Default::default(),
            row_n: Default::default(),
            pc_n: Default::default(),
            swap: Default::default(),
            alt_x: Default::default(),
            alt_y: Default::default(),
            k_p: Default::default(),
            k_q: Default::default(),
            k_p1: Default::default(),
            k_q1: Default::default(),
            k_y: Default::default(),
            k_take: Default::default(),
            k_d: Default::default(),
            ws_host_n: Default::default(),
            ws_breg: Default::default(),
            ws_b: Default::default(),
            ws_a: Default::default(),
            ws_t: Default::default(),
            ws_late: Default::default(),
            we_x: Default::default(),
            wr_rd: Default::default(),
            wr_ra: Default::default(),
            wr_rb: Default::default(),
            g_host: Default::default(),
            g_breg: Default::default(),
            g_b: Default::default(),
            g_a: Default::default(),
            g_t: Default::default(),
            g_p: Default::default(),
            g_ts: Default::default(),
            w_common: Default::default(),
            verdict: Default::default(),
            status_retire: Default::default(),
            tside: Default::default(),
            pside: Default::default(),
            wx: Default::default(),
            wy: Default::default(),
            pw: Default::default(),
            sel_one: array_init::array_init(|_| Default::default()),
            sel_ffff: array_init::array_init(|_| Default::default()),
            ir: Default::default(),
            opc: Default::default(),
            opk: Default::default(),
            modn: Default::default(),
            rd: Default::default(),
            ra: Default::default(),
            rb: Default::default(),
            fmode: Default::default(),
            tcond: Default::default(),
            t_raise: Default::default(),
            t_vsmod: Default::default(),
            t_ebit: Default::default(),
            count: Default::default(),
            target: Default::default(),
            a_reg: Default::default(),
            a_row: Default::default(),
            b_reg: Default::default(),
            b_row: Default::default(),
            w_reg: Default::default(),
            w_en: Default::default(),
            w_data: Default::default(),
            w_row: Default::default(),
            use_alt_now: Default::default(),
            addsub: Default::default(),
            retire: Default::default(),
            halt: Default::default(),
            next_pc: Default::default(),
            r_dest: Default::default(),
            r_digest: Default::default(),
            modv: Default::default(),
            row_off: Default::default(),
            chunk_off: Default::default(),
            mod_row: Default::default(),
            mod_chunk: Default::default(),
            last_row: Default::default(),
            last_chunk: Default::default(),
            aword_off: Default::default(),
            a_word: Default::default(),
            nx_mulpass: Default::default(),
            x_mul: Default::default(),
            x_red: Default::default(),
            x_quot: Default::default(),
            nx_passr: Default::default(),
            nx_quot: Default::default(),
            nx_pass0: Default::default(),
            seq_exec: Default::default(),
            seq_hold: Default::default(),
            mul_start: Default::default(),
            nx_chunk0: Default::default(),
            in_passes: Default::default(),
            nx_chunkup: Default::default(),
            nx_chunk: Default::default(),
            chunk_p1: Default::default(),
            chunk_p2: Default::default(),
            mchunk_idx: Default::default(),
            mchunk_off: Default::default(),
            b_chunk: Default::default(),
            lane_x: Default::default(),
            lane_y: Default::default(),
            red_on: Default::default(),
            sel_gate: Default::default(),
            win_comb: Default::default(),
            window_r: Default::default(),
            nx_lastc: Default::default(),
            sum: Default::default(),
            cs_carry: Default::default(),
            cs_w: Default::default(),
            cs_s: Default::default(),
            cs_c: Default::default(),
            part: array_init::array_init(|_| Default::default()),
            new_chunk: Default::default(),
            carry_out: Default::default(),
            dfull: Default::default(),
            chunk_borrow: Default::default(),
            not_alt_y: Default::default(),
            next_pass: Default::default(),
            outcome: Default::default(),
            lt: Default::default(),
            eq: Default::default(),
            new_flag: Default::default(),
            new_errs: Default::default(),
            bit_a: Default::default(),
            bit_b: Default::default(),
            new_cnt: Default::default(),
            c_p: k256(&consts::P),
            c_n: k256(&consts::N),
            c_pprime: k256(&U256(pp)),
            c_pprime_sel: k256(&U256(pp_sel)),
            c_lanes_reg: Constant::new(lanes_reg),
            c_nprime: k(consts::N_NEG_INV as u64),
            c_ch: k(CH as u64),
            c_ch1: k(CH as u64 + 1),
            c_ch2: k(CH as u64 + 2),
            c_rb: k(RB as u64),
            c_top_ch: k((256 - CH) as u64),
            c_top_rb: k((256 - RB) as u64),
            c_log2r: k(log2(rows)),
            c_log2w: k(log2(W)),
            c_log2rb: k(log2(RB)),
            c_log2ch: k(log2(CH)),
            c_last_row: k((rows - 1) as u64),
            c_last_chunk: k((16 / L - 1) as u64),
            c_near_end: k((16 / L - 2) as u64),
            c_late_carries: Constant::new(
                Lanes::new(L as u32)
                    .expect("a supported lane count (asserted above)")
                    .late_carries(),
            ),
            c_wmask: k((W - 1) as u64),
            c_rbmask: k((RB - 1) as u64),
            c_win_mask: Constant::new(win_mask),
            c_win_reg: Constant::new(win_reg),
            c_win_next: k((CH + 16) as u64),
            c_top_lane: k((16 * (L - 1)) as u64),
            c_writable: k((1u64 << FIRST_CONST) - 1),
            host_reg: Default::default(),
            c_err_illegal: k(1 << err::ILLEGAL),
            c_f_op: k(layout::OPCODE as u64),
            c_f_mod: k(layout::MODULUS as u64),
            c_f_d: k(layout::D as u64),
            c_f_a: k(layout::A as u64),
            c_f_b: k(layout::B as u64),
            c_f_vsmod: k(layout::TEST_VS_MODULUS as u64),
            c_f_cond: k(layout::TEST_COND as u64),
            c_f_act: k(layout::TEST_ACTION as u64),
            c_f_err: k(layout::TEST_ERR as u64),
            c_f_mode: k(layout::FLAG_MODE as u64),
            c_f_count: k(layout::COUNT as u64),
            c_f_target: k(layout::TARGET as u64),
            c_mode_xor: k(layout::MODE_XOR_NEXT as u64),
            c_mode_bit: k(layout::MODE_BIT as u64),
            c_mode_not: k(layout::MODE_NOT_BIT as u64),
            c_cond_eq: k(layout::COND_EQ as u64),
            c_cond_ne: k(layout::COND_NE as u64),
            c_cond_lt: k(layout::COND_LT as u64),
            c_op_halt: k(opcode::HALT as u64),
            c_op_mul: k(opcode::MUL as u64),
            c_op_add: k(opcode::ADD as u64),
            c_op_sub: k(opcode::SUB as u64),
            c_op_copy: k(opcode::COPY as u64),
            c_op_cswap: k(opcode::CSWAP as u64),
            c_op_flag: k(opcode::FLAG as u64),
            c_op_test: k(opcode::TEST as u64),
            c_op_setcnt: k(opcode::SETCNT as u64),
            c_op_djnz: k(opcode::DJNZ as u64),
            c_op_jmp: k(opcode::JMP as u64),
            c_op_call: k(opcode::CALL as u64),
            c_op_ret: k(opcode::RET as u64),
            c_stack_depth: k(STACK_DEPTH as u64),
        }
    }

    /// For the simulations' checks, read once the logic has settled before
    /// a clock edge: which of the states the engine forms flat from its
    /// registers, for the clock, disagrees with the sequencer's next state
    /// (or the registered window with the one formed in the cycle, or the
    /// write data's registered selects with the registered state's
    /// decode), or whether a pass's chunk sum breaks `CARRY_N`'s bound, if
    /// any. The results would show a disagreement only when it reached
    /// data.
    pub fn flat_state_mismatch(&self) -> Option<&'static str> {
        let phase_n = self.phase_n.val();
        let pass_n = self.pass_n.val();
        let into_pass = phase_n == Phase::Pass;
        let exec = self.state.q.val() == EngState::Exec;
        let in_pass = matches!(self.phase.q.val(), Phase::Pass | Phase::PassR);
        // The write data's selects, decoded from the registered state.
        let idle = self.state.q.val() == EngState::Idle;
        let phase = self.phase.q.val();
        let late =
            exec && ((phase == Phase::Stream && self.addsub_r.q.val()) || phase == Phase::WriteA);
        let from_breg = !idle && phase == Phase::WriteB && !self.flag.q.val();
        let streams = !idle && !late && phase == Phase::Stream;
        let selects = [
            (!self.ws_host_n.q.val(), idle),
            (self.ws_late.q.val(), late),
            (self.ws_breg.q.val(), from_breg),
            (self.ws_b.q.val(), streams && self.cswf_r.q.val()),
            (self.ws_a.q.val(), streams && !self.cswf_r.q.val()),
            (
                self.ws_t.q.val(),
                !idle && !late && phase != Phase::Stream && !from_breg,
            ),
        ];
        let mp = phase == Phase::Pass && !self.pass16.q.val();
        let lastc = self.lastc.q.val();
        let pass15 = self.pass15.q.val();
        let pass_predicates = [
            (self.mp_r.q.val(), mp),
            (
                self.mpc_r.q.val(),
                mp && (!lastc || (!self.modn_r.q.val() && !pass15)),
            ),
            (self.prc_r.q.val(), self.in_passr.q.val() && !pass15),
            (
                self.ms_r.q.val(),
                phase == Phase::Start && self.opk_r.q.val() == Op::Mul,
            ),
        ];
        let sum = self.sum.val();
        let rom_address = if idle {
            self.entry.val()
        } else {
            self.next_pc.val()
        };
        let checks = [
            (
                !(idle || self.retire.val()) || self.rom.address.val() == rom_address,
                "the microcode's next address",
            ),
            (
                pass_predicates.iter().all(|(reg, decoded)| reg == decoded),
                "the registered pass predicates",
            ),
            (
                !exec || !in_pass || (CH + CARRY_N..SW).all(|i| !sum.get_bit(i)),
                "the chunk sum's bound (CARRY_N)",
            ),
            (
                selects.iter().all(|(reg, decoded)| reg == decoded),
                "the write data's selects",
            ),
            (
                self.we_x.q.val()
                    == (self.w_en.val() && self.c_writable.val().get_bit(self.w_reg.val().index())),
                "the registered write enable",
            ),
            (self.nx_chunk.val() == self.chunk_n.val(), "the next chunk"),
            (
                self.nx_passr.val() == (phase_n == Phase::PassR),
                "the next reduce pass",
            ),
            (
                self.nx_quot.val() == (phase_n == Phase::Quot),
                "the next quotient cycle",
            ),
            (
                self.nx_pass0.val() == (into_pass && pass_n == 0),
                "the next pass 0",
            ),
            (
                self.nx_mulpass.val() == (into_pass && pass_n != 16),
                "the next multiply pass",
            ),
            (
                !exec || self.red_on.val() == (into_pass && !self.modn.val() && pass_n != 0),
                "the next reduction",
            ),
            (
                !exec
                    || (0..L).all(|l| {
                        let off = self.chunk_n.val().index() * CH + 16 * l;
                        let w = self.c_pprime.val().get_bits::<16>(off);
                        let on = self.red_on.val();
                        let (one, ffff) = if self.c_lanes_reg.val() {
                            (self.lanes[l].one.val(), self.lanes[l].ffff.val())
                        } else {
                            (self.sel_one[l].d.val(), self.sel_ffff[l].d.val())
                        };
                        one == (on && w == 1) && ffff == (on && w == 0xffff)
                    }),
                "the next reduction term's selects",
            ),
            (
                !exec
                    || !(into_pass || phase_n == Phase::PassR)
                    || self.nx_lastc.val() == (self.chunk_n.val() == self.c_last_chunk.val()),
                "the next last chunk",
            ),
            (
                self.lastc.d.val() == (self.chunk_n.val() == self.c_last_chunk.val()),
                "the next cycle's last-chunk flag",
            ),
            (
                !self.c_win_reg.val()
                    || !exec
                    || !in_pass
                    || self.window_r.q.val() == self.win_comb.val(),
                "the registered window",
            ),
            (
                self.treg_ce.q.val()
                    == (exec
                        && (matches!(
                            phase,
                            Phase::WriteA | Phase::WriteB | Phase::Pass | Phase::PassR
                        ) || (phase == Phase::Stream
                            && (self.addsub_r.q.val() || self.opk_r.q.val() == Op::Cswap))
                            || self.ms_r.q.val())),
                "Treg's registered enable",
            ),
            (
                self.cin1_r.q.val()
                    == (self.alu.en.val() && (self.c1.q.val() ^ self.alu.sub.val())),
                "the s chain's registered carry in",
            ),
            (
                phase != Phase::Stream
                    || self.use_alt_now.val()
                        == (self.alu.c1_out.val()
                            || (self.add_r.q.val() && !self.alu.c2_out.val())),
                "the choice from the ALU's carries",
            ),
        ];
        checks.iter().find(|(ok, _)| !ok).map(|(_, what)| *what)
    }
}

impl<
        const L: usize,
        const CH: usize,
        const SW: usize,
        const W: usize,
        const RB: usize,
        const RSW: usize,
        const AW: usize,
    > Logic for Engine<L, CH, SW, W, RB, RSW, AW>
{
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, state, phase, pc, pc1, cnt, cnt_up, cnt_one, flag, errs, sp, row, chunk,
            pass, breg, treg, treg_ce, ttop, carry, mreg, mff, dborrow, use_alt, c1, c2, cin1_r,
            eqacc, dig, t_valid, t_pc, t_dest, t_digest, done_r, lastc, lastr, pass16, pass15,
            opk_r, modn_r, add_r, addsub_r, tvs_r, mrow, mchunk, mprev, wfirst, in_stream,
            in_pass0, in_passr, in_quot, near_end, window_r, cswf_r, ws_host_n, ws_breg, ws_b,
            ws_a, ws_t, ws_late, we_x, mp_r, mpc_r, prc_r, ms_r, ra_tgt, ra_ret
        );
        for i in 0..STACK_DEPTH {
            self.stack[i].clock.next = self.clock.val();
            self.stack[i].d.next = self.stack[i].q.val();
        }
        for l in 0..L {
            self.sel_one[l].clock.next = self.clock.val();
            self.sel_ffff[l].clock.next = self.clock.val();
        }
        self.rf.clock.next = self.clock.val();
        self.rom.clock.next = self.clock.val();
        // The ROM is read with the next pc (see the end), so an instruction's
        // word is there from its Fetch cycle and its registered decode from
        // its first Exec cycle.
        self.pc_n.next = self.pc.q.val();

        // ---- Decode (valid from the first Exec cycle on) ----
        self.ir.next = self.rom.data.val();
        self.opc.next = self.ir.val().get_bits::<4>(self.c_f_op.val().index());
        self.modn.next = self.ir.val().get_bit(self.c_f_mod.val().index());
        self.rd.next = self.ir.val().get_bits::<5>(self.c_f_d.val().index());
        self.ra.next = self.ir.val().get_bits::<5>(self.c_f_a.val().index());
        self.rb.next = self.ir.val().get_bits::<5>(self.c_f_b.val().index());
        self.fmode.next = self.ir.val().get_bits::<2>(self.c_f_mode.val().index());
        self.tcond.next = self.ir.val().get_bits::<2>(self.c_f_cond.val().index());
        self.t_raise.next = self.ir.val().get_bit(self.c_f_act.val().index());
        self.t_vsmod.next = self.ir.val().get_bit(self.c_f_vsmod.val().index());
        self.t_ebit.next = self.ir.val().get_bits::<3>(self.c_f_err.val().index());
        self.count.next = self.ir.val().get_bits::<9>(self.c_f_count.val().index());
        self.target.next = self.ir.val().get_bits::<10>(self.c_f_target.val().index());
        self.opk.next = Op::Illegal;
        if self.opc.val() == self.c_op_halt.val() {
            self.opk.next = Op::Halt;
        }
        if self.opc.val() == self.c_op_mul.val() {
            self.opk.next = Op::Mul;
        }
        if self.opc.val() == self.c_op_add.val() {
            self.opk.next = Op::Add;
        }
        if self.opc.val() == self.c_op_sub.val() {
            self.opk.next = Op::Sub;
        }
        if self.opc.val() == self.c_op_copy.val() {
            self.opk.next = Op::Copy;
        }
        if self.opc.val() == self.c_op_cswap.val() {
            self.opk.next = Op::Cswap;
        }
        if (self.opc.val() == self.c_op_flag.val())
            && ((self.fmode.val() == self.c_mode_xor.val())
                || (self.fmode.val() == self.c_mode_bit.val())
                || (self.fmode.val() == self.c_mode_not.val()))
        {
            self.opk.next = Op::Flag;
        }
        if self.opc.val() == self.c_op_test.val() {
            self.opk.next = Op::Test;
        }
        if self.opc.val() == self.c_op_setcnt.val() {
            self.opk.next = Op::SetCnt;
        }
        if self.opc.val() == self.c_op_djnz.val() {
            self.opk.next = Op::Djnz;
        }
        if self.opc.val() == self.c_op_jmp.val() {
            self.opk.next = Op::Jmp;
        }
        if self.opc.val() == self.c_op_call.val() {
            self.opk.next = Op::Call;
        }
        if self.opc.val() == self.c_op_ret.val() {
            self.opk.next = Op::Ret;
        }

        // ---- Shared datapath values ----
        // Outside an instruction's first cycle the datapath reads registered
        // copies of the decode and of the sequencer's predicates, which the
        // end of this block computes from the next state.
        self.mod_row.next = self.mrow.q.val();
        self.mod_chunk.next = self.mchunk.q.val();
        self.last_row.next = self.lastr.q.val();
        self.last_chunk.next = self.lastc.q.val();

        // Row ALU: ADD/SUB use their own mode, TEST subtracts. TEST against
        // the modulus adds with the ALU disabled, so that its t chain forms
        // a - m and no multiplexer puts m into b, a LUT before the chain.
        self.alu.a.next = self.rf.rdata_a.val();
        self.alu.b.next = self.rf.rdata_b.val();
        self.alu.eq_b.next = self.rf.rdata_b.val();
        if self.tvs_r.q.val() {
            self.alu.eq_b.next = self.mod_row.val();
        }
        self.alu.m.next = self.mod_row.val();
        self.alu.sub.next = !self.add_r.q.val() && !self.tvs_r.q.val();
        self.alu.en.next = self.in_stream.q.val() && !self.tvs_r.q.val();
        self.alu.c1_chain.next = self.cin1_r.q.val();
        self.alu.c2_in.next = self.c2.q.val();

        // The chunk window: T >> 16 (Ttop as the last word), or in the
        // reduce pass T (Ttop above the last chunk, where T + q n carries
        // into it). (Pass 0's is zero: MUL's Start clears Treg and Ttop.)
        self.win_comb.next = bit_cast::<SW, CH>(self.treg.q.val().get_bits::<CH>(16));
        if self.last_chunk.val() {
            self.win_comb.next =
                bit_cast::<SW, CH>(self.treg.q.val().get_bits::<CH>(16) & self.c_win_mask.val())
                    | (bit_cast::<SW, 24>(self.ttop.q.val()) << self.c_top_lane.val());
        }
        if self.in_passr.q.val() {
            self.win_comb.next = bit_cast::<SW, CH>(self.treg.q.val().get_bits::<CH>(0));
            if self.last_chunk.val() {
                self.win_comb.next = bit_cast::<SW, CH>(self.treg.q.val().get_bits::<CH>(0))
                    | (bit_cast::<SW, TTOP_N>(self.ttop.q.val().get_bits::<TTOP_N>(0))
                        << self.c_ch.val());
            }
        }
        // The window, the carry and lane 0's product, all from flip-flops,
        // in a carry-save step of their own; lane 0's reduction term (a
        // register of the lane, or a multiplexer after flip-flops) enters
        // the last carry-save level before the chain (yosys' own tree of the
        // four put it first). The registered window's words are in the
        // lanes' products already (each lane's DSP added its word, see the
        // lanes' w), so only its bits above the chunk are left, and they
        // take lane 0's term's place in the one carry-save level: the two
        // never overlap in a cycle (asserted in new()).
        self.cs_carry.next = bit_cast::<SW, 24>(self.carry.q.val());
        self.cs_w.next = self.win_comb.val();
        if self.c_win_reg.val() {
            self.cs_w.next = ((self.window_r.q.val() >> self.c_ch.val()) << self.c_ch.val())
                | self.lanes[0].out_r.val();
        }
        self.cs_s.next = self.cs_w.val() ^ self.cs_carry.val() ^ self.lanes[0].out_p.val();
        self.cs_c.next = ((self.cs_w.val() & self.cs_carry.val())
            | (self.cs_w.val() & self.lanes[0].out_p.val())
            | (self.cs_carry.val() & self.lanes[0].out_p.val()))
            << 1;
        self.part[0].next = self.cs_s.val() + self.cs_c.val() + self.lanes[0].out_r.val();
        if self.c_win_reg.val() {
            self.part[0].next = self.cs_s.val() + self.cs_c.val();
        }
        for l in 1..L {
            self.part[l].next =
                self.part[l - 1].val() + self.lanes[l].out_p.val() + self.lanes[l].out_r.val();
        }
        for l in 0..L {
            self.sum.next = self.part[l].val();
        }
        self.new_chunk.next = self.sum.val().get_bits::<CH>(0);
        self.mword.next =
            bit_cast::<32, 16>(self.treg.q.val().get_bits::<16>(self.c_ch.val().index()));
        self.carry_out.next =
            bit_cast::<24, CARRY_N>(self.sum.val().get_bits::<CARRY_N>(self.c_ch.val().index()));
        // T - m of the final pass, a chunk at a time and a cycle behind: the
        // chunk the previous cycle put on top of Treg, less the modulus chunk
        // it was compared with. The last chunk's comes in the first write.
        //
        // MUL's choice D comes with that last chunk, in its first write:
        // T - m when T >= m (a carry out of T, or no borrow). T < 2^256 + m
        // for any operands (scu_model::field::mont_mul), so Ttop is 0 or 1
        // and its bit 0 is the carry (one input, where a 24-bit test would
        // let yosys bury the late borrow under an OR tree). D is kept in
        // use_alt for the writes after the first. D = alt_x || (alt_y && no
        // borrow), with alt_x the carry (after the first write, use_alt)
        // and alt_y the first write without it, is formed by the chain
        // itself in two bits above the chunk: m gets !alt_y at bit CH and T
        // alt_x at bit CH + 1, so the difference is X - 2^CH !alt_y +
        // 2^(CH+1) alt_x for X = T - m - borrow in [-2^CH, 2^CH): its bit
        // CH + 1 is (!alt_y || borrow), its bit CH + 2 that and !alt_x, !D,
        // and its bit CH the chunk's borrow out, inverted when !alt_y.
        // alt_x and alt_y are kept wires, so that abc cannot fold their
        // registered inputs in after the late borrow.
        self.alt_x.d.next = !self.in_stream.q.val()
            && ((self.wfirst.q.val() && self.ttop.q.val().get_bit(0))
                || (!self.wfirst.q.val() && self.use_alt.q.val()));
        self.alt_y.d.next =
            !self.in_stream.q.val() && self.wfirst.q.val() && !self.ttop.q.val().get_bit(0);
        // (not_alt_y is a signal of its own: Verilog would widen alt_y
        // before inverting it.)
        self.not_alt_y.next = !self.alt_y.q.val();
        self.dfull.next = (bit_cast::<SW, CH>(
            self.treg
                .q
                .val()
                .get_bits::<CH>(self.c_top_ch.val().index()),
        ) | (bit_cast::<SW, 1>(self.alt_x.q.val().into()) << self.c_ch1.val()))
            - (bit_cast::<SW, CH>(self.mprev.q.val())
                | (bit_cast::<SW, 1>(self.not_alt_y.val().into()) << self.c_ch.val()))
            - bit_cast::<SW, 1>(self.dborrow.q.val().into());
        self.chunk_borrow.next =
            self.dfull.val().get_bit(self.c_ch.val().index()) == self.alt_y.q.val();

        // FLAG: bits cnt and cnt + 1 of the scalar (bit 256 reads as 0).
        self.bit_a.next = self
            .rf
            .rdata_a
            .val()
            .get_bit((bit_cast::<9, 9>(self.cnt.q.val()) & self.c_rbmask.val()).index());
        self.bit_b.next = false;
        if self.cnt_up.q.val() < 256 {
            self.bit_b.next =
                self.rf.rdata_b.val().get_bit(
                    (bit_cast::<9, 10>(self.cnt_up.q.val()) & self.c_rbmask.val()).index(),
                );
        }

        // TEST's outcome in the cycle after the last row (FlagEval), from
        // the registered borrow (the t chain's against the modulus) and
        // equality.
        self.lt.next = self.c1.q.val();
        if self.tvs_r.q.val() {
            self.lt.next = self.c2.q.val();
        }
        self.eq.next = self.eqacc.q.val();
        self.outcome.next = !self.lt.val();
        if self.tcond.val() == self.c_cond_eq.val() {
            self.outcome.next = self.eq.val();
        }
        if self.tcond.val() == self.c_cond_ne.val() {
            self.outcome.next = !self.eq.val();
        }
        if self.tcond.val() == self.c_cond_lt.val() {
            self.outcome.next = self.lt.val();
        }

        // ADD and SUB write t (s -/+ m) instead of s when the carries out of
        // the last row say so; that row's read is the cycle of the first
        // write, or (c_late_carries) the cycle before it.
        self.addsub.next = self.addsub_r.q.val();
        // The choice is c1 (the instruction's carry or borrow out of s), or
        // in ADD c1 || !c2 (s >= m), which `take` gives in one bit when the
        // writes start in the cycle of the last read (add_take is on while
        // ADD streams): c1_raw ^ sub, or c1_raw || c2_raw = c1 || !c2.
        self.use_alt_now.next = self.alu.take.val() ^ self.alu.sub.val();
        if self.c_late_carries.val() {
            self.use_alt_now.next = self.alu.c1_out.val();
            if self.add_r.q.val() {
                self.use_alt_now.next = self.alu.c1_out.val() || !self.alu.c2_out.val();
            }
        }
        // The row written this cycle: COPY streams port A; CSWAP streams a's
        // new rows (b's when F is set) and then writes b's from the buffers;
        // MUL writes T (Treg's first row) or T - m (Breg's second row); ADD
        // and SUB write s or t from the buffers' second row (their first
        // write comes before the last row shifts in), or with the late
        // choice from their first row (all rows are in). The choice that waits
        // for the carries comes last (below); while idle the host's data is
        // written. The sources are ANDed with one-hot selects registered
        // from the next state (see the end) and ORed, so no decode sits
        // before them.
        self.tside.next = self.treg.q.val().get_bits::<RB>(self.c_rb.val().index());
        self.pside.next = self.breg.q.val().get_bits::<RB>(self.c_rb.val().index());
        if !self.addsub.val() || self.c_late_carries.val() {
            self.tside.next = self.treg.q.val().get_bits::<RB>(0);
        }
        if self.addsub.val() && self.c_late_carries.val() {
            self.pside.next = self.breg.q.val().get_bits::<RB>(0);
        }
        self.g_host.next = 0.into();
        if !self.ws_host_n.q.val() {
            self.g_host.next = self.host_wdata.val();
        }
        self.g_breg.next = 0.into();
        if self.ws_breg.q.val() {
            self.g_breg.next = self.breg.q.val().get_bits::<RB>(0);
        }
        self.g_b.next = 0.into();
        if self.ws_b.q.val() {
            self.g_b.next = self.rf.rdata_b.val();
        }
        self.g_a.next = 0.into();
        if self.ws_a.q.val() {
            self.g_a.next = self.rf.rdata_a.val();
        }
        self.g_t.next = 0.into();
        if self.ws_t.q.val() {
            self.g_t.next = self.treg.q.val().get_bits::<RB>(0);
        }
        self.g_p.next = 0.into();
        self.g_ts.next = 0.into();
        if self.ws_late.q.val() {
            self.g_p.next = self.pside.val();
            self.g_ts.next = self.tside.val();
        }
        self.w_common.next = self.g_host.val()
            | self.g_breg.val()
            | self.g_b.val()
            | self.g_a.val()
            | self.g_t.val();
        self.wx.next = self.w_common.val() | self.g_p.val();
        self.wy.next = self.w_common.val() | self.g_ts.val();
        // The late choice, built so that each late signal enters as few
        // LUTs as it can (kept wires, see Keep): P (wx) is taken when the
        // choice says alt, Q (wy) otherwise. With P1 / Q1, P / Q swapped
        // while SUB streams (its c1 is the inverted raw carry), the write
        // is (take ? P1 : Y), Y = (D ? P1 : Q1). take is the ALU's: its raw
        // c1, or while ADD streams its raw t carry (no borrow: s >= m; ADD
        // does not swap, so P1 is P); the ALU is disabled outside
        // streaming, so take is 0 there. D is the choice outside streaming
        // (MUL's late borrow in its first write, else use_alt), 0 while
        // streaming.
        self.k_p.d.next = self.wx.val();
        self.k_q.d.next = self.wy.val();
        self.swap.next = self.in_stream.q.val() && !self.add_r.q.val();
        self.k_p1.d.next = self.k_p.q.val();
        self.k_q1.d.next = self.k_q.q.val();
        if self.swap.val() {
            self.k_p1.d.next = self.k_q.q.val();
            self.k_q1.d.next = self.k_p.q.val();
        }
        // D comes out of T - m's chain itself (see dfull).
        self.k_d.d.next = !self.dfull.val().get_bit(self.c_ch2.val().index());
        self.k_y.d.next = self.k_q1.q.val();
        if self.k_d.q.val() {
            self.k_y.d.next = self.k_p1.q.val();
        }
        self.alu.add_take.next = self.in_stream.q.val() && self.add_r.q.val();
        self.k_take.d.next = self.alu.take.val();
        if self.c_late_carries.val() {
            // Nothing is written while ADD / SUB stream; use_alt holds the
            // choice. (No add_take: it would put a LUT on c2's path there.)
            self.alu.add_take.next = false;
            self.k_take.d.next = false;
        }
        self.w_data.next = self.k_y.q.val();
        if self.k_take.q.val() {
            self.w_data.next = self.k_p1.q.val();
        }
        self.fold.d_in.next = self.dig.q.val();
        self.fold.row.next = self.w_data.val();

        // ---- Defaults ----
        // Treg's next value when it changes (treg_ce): WriteA and WriteB
        // rotate it by a row.
        self.treg_next.next = (self.treg.q.val() >> self.c_rb.val())
            | (bit_cast::<256, RB>(self.treg.q.val().get_bits::<RB>(0)) << self.c_top_rb.val());
        self.a_reg.next = self.ra.val();
        self.a_row.next = 0.into();
        self.b_reg.next = self.rb.val();
        self.b_row.next = 0.into();
        self.w_reg.next = self.rd.val();
        self.w_en.next = false;
        self.w_row.next = self.row.q.val();
        self.retire.next = false;
        self.verdict.next = false;
        self.status_retire.next = false;
        self.halt.next = false;
        self.pc1.d.next = self.pc.q.val() + 1;
        self.tos.next = 0.into();
        for i in 0..STACK_DEPTH {
            if self.sp.q.val().index() == i + 1 {
                self.tos.next = self.stack[i].q.val();
            }
        }
        self.next_pc.next = self.pc1.q.val();
        self.r_dest.next = 0xff.into();
        self.r_digest.next = self.fold.d_out.val();
        self.new_flag.next = self.flag.q.val();
        self.new_errs.next = self.errs.q.val();
        self.new_cnt.next = self.cnt.q.val();
        self.next_pass.next = self.pass.q.val() + 1;
        self.t_valid.d.next = false;
        self.done_r.d.next = false;
        self.wfirst.d.next = false;
        self.phase_n.next = self.phase.q.val();
        self.pass_n.next = self.pass.q.val();
        self.chunk_n.next = self.chunk.q.val();
        self.row_n.next = self.row.q.val();
        self.mul_start.next = (self.state.q.val() == EngState::Exec) && self.ms_r.q.val();

        // ---- Sequencer ----
        match self.state.q.val() {
            EngState::Idle => {
                if self.start.val() {
                    self.pc_n.next = self.entry.val();
                    self.state.d.next = EngState::Fetch;
                    self.errs.d.next = 0.into();
                    self.cnt.d.next = 0.into();
                    self.cnt_up.d.next = 1.into();
                    self.cnt_one.d.next = false;
                    self.flag.d.next = false;
                    self.sp.d.next = 0.into();
                }
            }
            EngState::Fetch => {
                self.state.d.next = EngState::Exec;
                self.phase_n.next = Phase::Start;
            }
            EngState::Exec => match self.phase.q.val() {
                Phase::Start => {
                    self.row_n.next = 0.into();
                    self.chunk_n.next = 0.into();
                    self.pass_n.next = 0.into();
                    self.carry.d.next = 0.into();
                    self.dborrow.d.next = false;
                    self.c1.d.next = false;
                    self.c2.d.next = false;
                    self.eqacc.d.next = true;
                    self.dig.d.next = 0.into();
                    // SEC_CM: CTRL.NO_DATA_BRANCH (only DJNZ below looks at a value: the counter)
                    match self.opk_r.q.val() {
                        Op::Mul => {
                            self.phase_n.next = Phase::Pass;
                            // The row of B's chunk 1 (chunk 0's was read in Fetch).
                            self.b_row.next = 1.into();
                        }
                        Op::Add => {
                            self.phase_n.next = Phase::Stream;
                        }
                        Op::Sub => {
                            self.phase_n.next = Phase::Stream;
                        }
                        Op::Copy => {
                            self.phase_n.next = Phase::Stream;
                        }
                        Op::Cswap => {
                            self.phase_n.next = Phase::Stream;
                        }
                        Op::Test => {
                            self.phase_n.next = Phase::Stream;
                        }
                        Op::Flag => {
                            self.a_row.next =
                                bit_cast::<5, 9>(self.cnt.q.val() >> self.c_log2rb.val());
                            self.b_reg.next = self.ra.val();
                            self.b_row.next =
                                bit_cast::<5, 10>(self.cnt_up.q.val() >> self.c_log2rb.val());
                            self.phase_n.next = Phase::FlagEval;
                        }
                        Op::SetCnt => {
                            self.new_cnt.next = self.count.val();
                            self.cnt.d.next = self.count.val();
                            self.cnt_up.d.next = bit_cast::<10, 9>(self.count.val()) + 1;
                            self.cnt_one.d.next = self.count.val() == 1;
                            self.retire.next = true;
                            self.r_digest.next = bit_cast::<16, 9>(self.count.val());
                        }
                        Op::Djnz => {
                            self.new_cnt.next = self.cnt.q.val() - 1;
                            self.cnt.d.next = self.new_cnt.val();
                            self.cnt_up.d.next = bit_cast::<10, 9>(self.cnt.q.val());
                            self.cnt_one.d.next = self.cnt.q.val() == 2;
                            // new_cnt != 0, i.e. cnt != 1
                            if !self.cnt_one.q.val() {
                                self.next_pc.next = self.target.val();
                            }
                            self.retire.next = true;
                            self.r_digest.next = bit_cast::<16, 9>(self.new_cnt.val());
                        }
                        Op::Jmp => {
                            self.next_pc.next = self.target.val();
                            self.retire.next = true;
                            self.r_digest.next = bit_cast::<16, 9>(self.cnt.q.val());
                        }
                        Op::Call => {
                            self.r_digest.next = bit_cast::<16, 9>(self.cnt.q.val());
                            self.retire.next = true;
                            if self.sp.q.val() == self.c_stack_depth.val() {
                                self.new_errs.next = self.errs.q.val() | self.c_err_illegal.val();
                                self.halt.next = true;
                            } else {
                                for i in 0..STACK_DEPTH {
                                    if self.sp.q.val().index() == i {
                                        self.stack[i].d.next = self.pc.q.val() + 1;
                                    }
                                }
                                self.sp.d.next = self.sp.q.val() + 1;
                                self.next_pc.next = self.target.val();
                            }
                        }
                        Op::Ret => {
                            self.r_digest.next = bit_cast::<16, 9>(self.cnt.q.val());
                            self.retire.next = true;
                            if self.sp.q.val() == 0 {
                                self.new_errs.next = self.errs.q.val() | self.c_err_illegal.val();
                                self.halt.next = true;
                            } else {
                                self.next_pc.next = self.tos.val();
                                self.sp.d.next = self.sp.q.val() - 1;
                            }
                        }
                        Op::Halt => {
                            self.retire.next = true;
                            self.halt.next = true;
                            self.r_digest.next = bit_cast::<16, 8>(self.errs.q.val());
                        }
                        _ => {
                            // Illegal: raise and stop. SEC_CM: DECODE.ILLEGAL_HALTS
                            self.new_errs.next = self.errs.q.val() | self.c_err_illegal.val();
                            self.retire.next = true;
                            self.halt.next = true;
                            self.r_digest.next = bit_cast::<16, 8>(self.new_errs.val());
                        }
                    }
                }
                Phase::Stream => {
                    self.a_row.next = bit_cast::<5, 4>(self.row.q.val()) + 1;
                    self.b_row.next = bit_cast::<5, 4>(self.row.q.val()) + 1;
                    self.row_n.next = self.row.q.val() + 1;
                    self.c1.d.next = self.alu.c1_out.val();
                    self.c2.d.next = self.alu.c2_out.val();
                    self.eqacc.d.next = self.eqacc.q.val() && self.alu.eq.val();
                    if self.opk_r.q.val() == Op::Copy {
                        self.w_en.next = true;
                        self.dig.d.next = self.fold.d_out.val();
                        if self.last_row.val() {
                            self.retire.next = true;
                            self.r_dest.next = bit_cast::<8, 5>(self.rd.val());
                        }
                    }
                    // (t goes into Breg at the end, for the clock.)
                    if self.addsub_r.q.val() {
                        self.treg_next.next = (self.treg.q.val() >> self.c_rb.val())
                            | (bit_cast::<256, RB>(self.alu.s.val()) << self.c_top_rb.val());
                    }
                    if self.opk_r.q.val() == Op::Cswap {
                        // a's new row now (SEC_CM: LADDER.CSWAP_DATA: both
                        // registers rewritten, F only selects data).
                        self.w_en.next = true;
                        self.w_reg.next = self.ra.val();
                        self.dig.d.next = self.fold.d_out.val();
                        self.treg_next.next = (self.treg.q.val() >> self.c_rb.val())
                            | (bit_cast::<256, RB>(self.rf.rdata_a.val()) << self.c_top_rb.val());
                        self.breg.d.next = (self.breg.q.val() >> self.c_rb.val())
                            | (bit_cast::<256, RB>(self.rf.rdata_b.val()) << self.c_top_rb.val());
                    }
                    if self.last_row.val() {
                        self.row_n.next = 0.into();
                        self.phase_n.next = Phase::WriteA;
                        self.use_alt.d.next = self.use_alt_now.val();
                        if self.addsub.val() && !self.c_late_carries.val() {
                            // Row 0 now; rows 1 .. R - 1 in WriteA.
                            self.w_en.next = true;
                            self.w_row.next = 0.into();
                            self.dig.d.next = self.fold.d_out.val();
                            self.row_n.next = 1.into();
                        }
                        if self.opk_r.q.val() == Op::Cswap {
                            self.phase_n.next = Phase::WriteB;
                        }
                        if self.opk_r.q.val() == Op::Test {
                            self.phase_n.next = Phase::FlagEval;
                        }
                    }
                }
                Phase::WriteA => {
                    self.row_n.next = self.row.q.val() + 1;
                    self.w_en.next = true;
                    self.dig.d.next = self.fold.d_out.val();
                    self.breg.d.next = (self.breg.q.val() >> self.c_rb.val())
                        | (bit_cast::<256, RB>(self.breg.q.val().get_bits::<RB>(0))
                            << self.c_top_rb.val());
                    if self.wfirst.q.val() {
                        // MUL: the last chunk of T - m joins the rest (a row is a chunk).
                        self.use_alt.d.next = self.k_d.q.val();
                        self.breg.d.next = (self.breg.q.val() >> self.c_rb.val())
                            | (bit_cast::<256, CH>(self.dfull.val().get_bits::<CH>(0))
                                << self.c_top_ch.val());
                    }
                    if self.last_row.val() {
                        self.retire.next = true;
                        self.r_dest.next = bit_cast::<8, 5>(self.rd.val());
                    }
                }
                Phase::WriteB => {
                    self.row_n.next = self.row.q.val() + 1;
                    self.w_en.next = true;
                    self.w_reg.next = self.rb.val();
                    self.dig.d.next = self.fold.d_out.val();
                    self.breg.d.next = (self.breg.q.val() >> self.c_rb.val())
                        | (bit_cast::<256, RB>(self.breg.q.val().get_bits::<RB>(0))
                            << self.c_top_rb.val());
                    if self.last_row.val() {
                        self.retire.next = true;
                        self.r_dest.next = bit_cast::<8, 5>(self.ra.val());
                    }
                }
                Phase::FlagEval => {
                    if self.opk_r.q.val() == Op::Test {
                        // The last row's carries, registered.
                        self.verdict.next = true;
                    } else {
                        self.new_flag.next = self.bit_a.val() ^ self.bit_b.val();
                        if self.fmode.val() == self.c_mode_bit.val() {
                            self.new_flag.next = self.bit_a.val();
                        }
                        if self.fmode.val() == self.c_mode_not.val() {
                            self.new_flag.next = !self.bit_a.val();
                        }
                        self.status_retire.next = true;
                    }
                }
                Phase::Pass => {
                    // Multiply pass (mod p fused, or mod n), or the final pass (pass 16).
                    self.chunk_n.next = self.chunk.q.val() + 1;
                    self.carry.d.next = self.carry_out.val();
                    self.treg_next.next = (self.treg.q.val() >> self.c_ch.val())
                        | (bit_cast::<256, CH>(self.new_chunk.val()) << self.c_top_ch.val());
                    if self.pass16.q.val() {
                        self.breg.d.next = (self.breg.q.val() >> self.c_ch.val())
                            | (bit_cast::<256, CH>(self.dfull.val().get_bits::<CH>(0))
                                << self.c_top_ch.val());
                        if self.chunk.q.val() != 0 {
                            self.dborrow.d.next = self.chunk_borrow.val();
                        }
                    }
                    // Reads, for the products of the cycle after next: the
                    // B row of chunk c + 2 (pass 0; a row is a chunk) and
                    // the A row of that cycle's pass (mod n, the reduce
                    // pass reads the next A row).
                    self.b_row.next = self.chunk.q.val() + 2;
                    self.a_row.next = self.pass.q.val() >> self.c_log2w.val();
                    if self.near_end.q.val() && !self.modn_r.q.val() {
                        self.a_row.next = self.next_pass.val() >> self.c_log2w.val();
                    }
                    if self.last_chunk.val() {
                        self.chunk_n.next = 0.into();
                        self.carry.d.next = 0.into();
                        self.ttop.d.next = self.carry_out.val();
                        if !self.modn_r.q.val() {
                            // m for the next pass: the new word 0, now at position L of Treg.
                            self.mreg.d.next = bit_cast::<16, 32>(self.mword.val());
                            self.mff.d.next = (self.mword.val() << 16) - self.mword.val();
                        }
                        if self.pass16.q.val() {
                            self.phase_n.next = Phase::WriteA;
                            self.row_n.next = 0.into();
                            self.wfirst.d.next = true;
                        } else if self.modn_r.q.val() {
                            self.phase_n.next = Phase::Quot;
                        } else {
                            self.pass_n.next = self.next_pass.val();
                        }
                    }
                }
                Phase::Quot => {
                    self.a_row.next = self.pass.q.val() >> self.c_log2w.val();
                    // (mff is not needed: there is no p' reduction mod n.)
                    self.mreg.d.next = self.lanes[0].product.val().get_bits::<16>(0);
                    self.phase_n.next = Phase::PassR;
                    self.chunk_n.next = 0.into();
                    self.carry.d.next = 0.into();
                }
                Phase::PassR => {
                    self.chunk_n.next = self.chunk.q.val() + 1;
                    self.carry.d.next = self.carry_out.val();
                    self.treg_next.next = (self.treg.q.val() >> self.c_ch.val())
                        | (bit_cast::<256, CH>(self.new_chunk.val()) << self.c_top_ch.val());
                    self.a_row.next = self.pass.q.val() >> self.c_log2w.val();
                    if self.near_end.q.val() {
                        self.a_row.next = self.next_pass.val() >> self.c_log2w.val();
                    }
                    if self.last_chunk.val() {
                        self.chunk_n.next = 0.into();
                        self.carry.d.next = 0.into();
                        // Ttop was in the window: the carry out is the new Ttop.
                        self.ttop.d.next = self.carry_out.val();
                        self.phase_n.next = Phase::Pass;
                        self.pass_n.next = self.next_pass.val();
                    }
                }
            },
            _ => {
                self.state.d.next = EngState::Idle;
            }
        }
        // MUL's Start clears T, so pass 0's window is zero without a case
        // of its own in the chunk sum's multiplexer (Treg is otherwise
        // shifted out). Assigned last: the flip-flops' synchronous reset,
        // not a LUT a bit.
        // Treg's enable is registered (treg_ce), not the OR of the cases
        // above: its 256 flip-flops reach it through a global buffer.
        if self.treg_ce.q.val() {
            self.treg.d.next = self.treg_next.val();
            if self.mul_start.val() {
                self.treg.d.next = 0.into();
            }
        }
        if self.mul_start.val() {
            self.ttop.d.next = 0.into();
        }
        // TEST's outcome sets the flag or raises an error bit.
        if self.verdict.val() {
            if self.t_raise.val() {
                self.new_errs.next = self.errs.q.val()
                    | (bit_cast::<8, 1>(self.outcome.val().into()) << self.t_ebit.val());
            } else {
                self.new_flag.next = self.outcome.val();
            }
            self.status_retire.next = true;
        }
        // FLAG and TEST retire with the status digest: errors, then the flag.
        if self.status_retire.val() {
            self.retire.next = true;
            self.r_digest.next = (bit_cast::<16, 8>(self.new_errs.val()) << 1)
                | bit_cast::<16, 1>(self.new_flag.val().into());
        }

        // ---- Registered control for the next cycle ----
        self.phase.d.next = self.phase_n.val();
        self.pass.d.next = self.pass_n.val();
        self.chunk.d.next = self.chunk_n.val();
        self.row.d.next = self.row_n.val();
        self.lastr.d.next = self.row_n.val() == self.c_last_row.val();
        self.pass16.d.next = self.pass_n.val() == 16;
        self.near_end.d.next = self.chunk_n.val() >= self.c_near_end.val();
        self.pass15.d.next = self.pass_n.val() == 15;
        // The next cycle's phase predicates select the lanes' operands and
        // Breg's load, so they are not read off phase_n / pass_n (the end
        // of the sequencer's priority chains) but formed flat from
        // registered state, case by case as the sequencer above sets
        // them: outside Fetch and Exec the phase holds; in Exec, MUL's
        // Start enters pass 0, a pass's last chunk ends it (into the next
        // pass, the quotient cycle mod n, or after pass 16 the writes),
        // the quotient cycle enters the reduce pass, and the reduce
        // pass's last chunk the next multiply pass. (in_pass0, in_passr and
        // in_quot hold the same tests of the current phase; in_stream,
        // which no datapath select waits for, is read off phase_n.)
        self.seq_exec.next = self.state.q.val() == EngState::Exec;
        self.seq_hold.next =
            (self.state.q.val() != EngState::Exec) && (self.state.q.val() != EngState::Fetch);
        self.nx_mulpass.next = (self.seq_hold.val() && self.mp_r.q.val())
            || (self.seq_exec.val()
                && (self.ms_r.q.val()
                    || self.mpc_r.q.val()
                    || (self.prc_r.q.val() && self.lastc.q.val())));
        self.nx_passr.next = (self.seq_hold.val() && self.in_passr.q.val())
            || (self.seq_exec.val()
                && (self.in_quot.q.val() || (self.in_passr.q.val() && !self.lastc.q.val())));
        self.nx_quot.next = (self.seq_hold.val() && self.in_quot.q.val())
            || (self.seq_exec.val()
                && self.mp_r.q.val()
                && self.lastc.q.val()
                && self.modn_r.q.val());
        self.nx_pass0.next = (self.seq_hold.val() && self.in_pass0.q.val())
            || (self.seq_exec.val()
                && (self.mul_start.val() || (self.in_pass0.q.val() && !self.lastc.q.val())));
        self.in_pass0.d.next = self.nx_pass0.val();
        self.in_passr.d.next = self.nx_passr.val();
        self.in_stream.d.next = self.phase_n.val() == Phase::Stream;
        self.in_quot.d.next = self.nx_quot.val();
        self.opk_r.d.next = self.opk.val();
        self.modn_r.d.next = self.modn.val();
        self.add_r.d.next = self.opk.val() == Op::Add;
        self.addsub_r.d.next = (self.opk.val() == Op::Add) || (self.opk.val() == Op::Sub);
        self.tvs_r.d.next = (self.opk.val() == Op::Test) && self.t_vsmod.val();
        // CSWAP with F set (F does not change from the cycle the decode is
        // registered until the instruction retires).
        self.cswf_r.d.next = (self.opk.val() == Op::Cswap) && self.flag.q.val();
        // The s chain's next carry in, as its adder will take it (the ALU
        // enabled, the borrow inverted when it subtracts): registered, so
        // that the chain starts at a flip-flop.
        self.cin1_r.d.next = self.in_stream.d.val()
            && !self.tvs_r.d.val()
            && (self.c1.d.val() ^ !self.add_r.d.val());
        self.modv.next = self.c_p.val();
        if self.modn.val() {
            self.modv.next = self.c_n.val();
        }
        self.row_off.next = bit_cast::<9, 4>(self.row_n.val()) << self.c_log2rb.val();
        self.mrow.d.next = self.modv.val().get_bits::<RB>(self.row_off.val().index());
        // The modulus chunk of the next cycle's step (the final pass's
        // T - m), but in the reduce pass mod n that of the step after it,
        // whose product (q times it) the lanes form a cycle ahead. Its
        // index is not read off chunk_n either: the next chunk is formed
        // flat too (in Exec, a Start, the quotient cycle and a pass's last
        // chunk restart it, a pass's other chunks step it on; else it
        // holds), choosing between chunk + 1 and + 2 from the register.
        self.in_passes.next = (self.phase.q.val() == Phase::Pass) || self.in_passr.q.val();
        self.nx_chunkup.next = self.seq_exec.val() && self.in_passes.val() && !self.lastc.q.val();
        self.nx_chunk0.next = self.seq_exec.val()
            && ((self.phase.q.val() == Phase::Start)
                || self.in_quot.q.val()
                || (self.in_passes.val() && self.lastc.q.val()));
        self.chunk_p1.next = (self.chunk.q.val() + 1) & self.c_last_chunk.val();
        self.chunk_p2.next = (self.chunk.q.val() + 2) & self.c_last_chunk.val();
        self.nx_chunk.next = self.chunk.q.val();
        if self.nx_chunkup.val() {
            self.nx_chunk.next = self.chunk_p1.val();
        }
        if self.nx_chunk0.val() {
            self.nx_chunk.next = 0.into();
        }
        self.mchunk_idx.next = self.nx_chunk.val();
        if self.nx_passr.val() {
            self.mchunk_idx.next = self.chunk_p1.val();
            if self.nx_chunkup.val() {
                self.mchunk_idx.next = self.chunk_p2.val();
            }
            if self.nx_chunk0.val() {
                self.mchunk_idx.next = 1.into();
            }
        }
        if self.nx_quot.val() {
            self.mchunk_idx.next = 0.into();
        }
        // The registered window (c_win_reg): the next cycle's, read off
        // Treg as it will be (a pass shifts it a chunk down; the quotient
        // cycle holds it; MUL's Start clears it), where the next cycle is a
        // multiply pass's chunk (T >> 16), or a reduce pass's (T). Ttop does
        // not change in the cycle before a last chunk (C >= 3).
        self.nx_lastc.next = self.nx_chunkup.val() && (self.chunk.q.val() == self.c_near_end.val());
        // The next cycle's last-chunk flag, flat too (it selects the pass
        // predicates below): a chunk stepped on to the last, or held there.
        self.lastc.d.next = self.nx_lastc.val()
            || (!self.nx_chunkup.val() && !self.nx_chunk0.val() && self.lastc.q.val());
        self.window_r.d.next = bit_cast::<SW, CH>(
            self.treg
                .q
                .val()
                .get_bits::<CH>(self.c_win_next.val().index()),
        );
        if self.nx_lastc.val() {
            self.window_r.d.next = bit_cast::<SW, CH>(
                self.treg
                    .q
                    .val()
                    .get_bits::<CH>(self.c_win_next.val().index())
                    & self.c_win_mask.val(),
            ) | (bit_cast::<SW, 24>(self.ttop.q.val())
                << self.c_top_lane.val());
        }
        if self.nx_passr.val() {
            self.window_r.d.next =
                bit_cast::<SW, CH>(self.treg.q.val().get_bits::<CH>(self.c_ch.val().index()));
            if self.in_quot.q.val() {
                self.window_r.d.next = bit_cast::<SW, CH>(self.treg.q.val().get_bits::<CH>(0));
            }
            if self.nx_lastc.val() {
                self.window_r.d.next =
                    bit_cast::<SW, CH>(self.treg.q.val().get_bits::<CH>(self.c_ch.val().index()))
                        | (bit_cast::<SW, TTOP_N>(self.ttop.q.val().get_bits::<TTOP_N>(0))
                            << self.c_ch.val());
            }
        }
        if self.mul_start.val() {
            self.window_r.d.next = 0.into();
        }
        self.mchunk_off.next = bit_cast::<9, 5>(self.mchunk_idx.val()) << self.c_log2ch.val();
        self.mchunk.d.next = self
            .modv
            .val()
            .get_bits::<CH>(self.mchunk_off.val().index());
        self.mprev.d.next = self.mchunk.q.val();

        // ---- Multiplier inputs, for the next cycle's step ----
        // The lanes register their products, so each cycle feeds the
        // operands of the next cycle's chunk (from the next state above).
        // a_j is word (j mod W) of the A row, which the reads keep on port A
        // from the cycle before the pass's first chunk. B's chunk comes
        // straight from the register file for pass 0 (read a chunk ahead),
        // else from Breg's chunk 0. Breg takes each chunk fed to the lanes
        // in a multiply pass at its top: pass 0 loads B (from MUL's Start),
        // later passes rotate it. So within a pass Breg runs a chunk ahead
        // of the sum, and between passes (mod n: the quotient and reduce
        // pass) it holds B with chunk 0 first; the final pass loads T - m.
        self.aword_off.next = bit_cast::<9, 5>(self.pass_n.val() & self.c_wmask.val()) << 4;
        self.a_word.next = self
            .rf
            .rdata_a
            .val()
            .get_bits::<16>(self.aword_off.val().index());
        self.b_chunk.next = self.breg.q.val().get_bits::<CH>(0);
        if self.nx_pass0.val() {
            self.b_chunk.next = self.rf.rdata_b.val().get_bits::<CH>(0);
        }
        if self.nx_mulpass.val() {
            self.breg.d.next = (self.breg.q.val() >> self.c_ch.val())
                | (bit_cast::<256, CH>(self.b_chunk.val()) << self.c_top_ch.val());
        }
        // ADD / SUB shift t into Breg as they stream (s into Treg, above):
        // assigned last, so that the row ALU's latest sums pass a single
        // multiplexer on their way (in_stream and addsub_r are both set
        // only then).
        if self.in_stream.q.val() && self.addsub_r.q.val() {
            self.breg.d.next = (self.breg.q.val() >> self.c_rb.val())
                | (bit_cast::<256, RB>(self.alu.t.val()) << self.c_top_rb.val());
        }
        // x: a multiply pass's A word; in the reduce pass mod n, q (from
        // Quot's product until it is in mreg) times the modulus chunk; in
        // the quotient cycle (lane 0, below) Treg's chunk. The phases
        // exclude each other, so the sources are ANDed with their
        // predicates and ORed: each predicate meets one LUT before the
        // multiplier, and none meets the other's multiplexer.
        self.x_mul.next = 0.into();
        if self.nx_mulpass.val() {
            self.x_mul.next = self.a_word.val();
        }
        self.x_red.next = 0.into();
        if self.nx_passr.val() {
            self.x_red.next = self.mreg.q.val();
            if self.in_quot.q.val() {
                self.x_red.next = self.lanes[0].product.val().get_bits::<16>(0);
            }
        }
        self.x_quot.next = 0.into();
        if self.nx_quot.val() {
            self.x_quot.next = self.treg.q.val().get_bits::<16>(self.c_ch.val().index());
        }
        self.lane_x.next = self.x_mul.val() | self.x_red.val();
        self.lane_y.next = self.b_chunk.val();
        if self.nx_passr.val() {
            self.lane_y.next = self.mod_chunk.val();
        }
        // Reduction mod p is on in the next cycle if it is a multiply pass
        // but pass 0, read off registered state like the phase predicates
        // (a pass's chunk but the last goes on in the same pass, a last
        // chunk but pass 16's into pass 1 or later), at the flat next chunk.
        self.red_on.next = !self.modn_r.q.val()
            && (self.phase.q.val() == Phase::Pass)
            && ((self.seq_exec.val()
                && ((!self.lastc.q.val() && !self.in_pass0.q.val())
                    || (self.lastc.q.val() && !self.pass16.q.val())))
                || (self.seq_hold.val() && !self.in_pass0.q.val()));
        self.chunk_off.next = bit_cast::<9, 5>(self.nx_chunk.val()) << self.c_log2ch.val();
        // Registered lanes' selects are p' a chunk on, gated later with the
        // reduction they come into; the others' are gated here.
        self.sel_gate.next = self.c_lanes_reg.val() || self.red_on.val();
        for l in 0..L {
            self.lanes[l].clock.next = self.clock.val();
            self.lanes[l].x.next = self.lane_x.val();
            self.lanes[l].y.next = self.lane_y.val().get_bits::<16>(16 * l);
            // The sparse reduction words p'_w at the lane's position: in the
            // multiply passes mod p but pass 0. Registered lanes take the
            // next cycle's: with reduction on, the next chunk is the one
            // after this (sel_*) or, after a last chunk, chunk 0, where
            // they take no term (asserted in new()). The others take this
            // cycle's, registered at the last edge.
            self.pw.next = self
                .c_pprime_sel
                .val()
                .get_bits::<16>(self.chunk_off.val().index() + 16 * l);
            self.sel_one[l].d.next = self.sel_gate.val() && (self.pw.val() == 1);
            self.sel_ffff[l].d.next = self.sel_gate.val() && (self.pw.val() == 0xffff);
            self.lanes[l].one.next = self.sel_one[l].q.val();
            self.lanes[l].ffff.next = self.sel_ffff[l].q.val();
            if self.c_lanes_reg.val() {
                self.lanes[l].one.next =
                    self.red_on.val() && !self.lastc.q.val() && self.sel_one[l].q.val();
                self.lanes[l].ffff.next =
                    self.red_on.val() && !self.lastc.q.val() && self.sel_ffff[l].q.val();
            }
            // (m holds through a pass: the registered lanes' next m is this
            // one but after a last chunk, where they take no term.)
            self.lanes[l].m.next = self.mreg.q.val();
            self.lanes[l].mff.next = self.mff.q.val();
            // The registered window's next word l, added to the lane's next
            // product in its DSP (chunk sum); not before the quotient cycle,
            // which reads lane 0's product alone.
            self.lanes[l].w.next = 0.into();
            if self.c_win_reg.val() && !self.nx_quot.val() {
                self.lanes[l].w.next = self.window_r.d.val().get_bits::<16>(16 * l);
            }
        }
        // The quotient step mod n: q = t0 n' in lane 0 (reduction is off mod
        // n), fed in the multiply pass's last chunk, where the new T's chunk
        // 0 is Treg's chunk 1 (C >= 2).
        self.lanes[0].x.next = self.lane_x.val() | self.x_quot.val();
        if self.nx_quot.val() {
            self.lanes[0].y.next = self.c_nprime.val();
        }

        // ---- Retirement ----
        if self.retire.val() {
            self.t_valid.d.next = true;
            self.t_pc.d.next = self.pc.q.val();
            self.t_dest.d.next = self.r_dest.val();
            self.t_digest.d.next = self.r_digest.val();
            self.pc_n.next = self.next_pc.val();
            self.state.d.next = EngState::Fetch;
            if self.halt.val() {
                self.state.d.next = EngState::Idle;
                self.done_r.d.next = true;
            }
        }
        self.flag.d.next = self.new_flag.val();
        self.errs.d.next = self.new_errs.val();
        if (self.state.q.val() == EngState::Idle) && self.start.val() {
            self.errs.d.next = 0.into();
            self.flag.d.next = false;
        }

        self.pc.d.next = self.pc_n.val();
        // The microcode is read at pc_n (see hdl/src/rom.rs): the next pc
        // (the entry while idle) under an enable, so that the late start
        // and retirement are the enable and not a multiplexer before the
        // address. Nor is the address read off next_pc (the end of the
        // sequencer's priority chain): registered selects choose the entry
        // while idle, a control instruction's target or return address,
        // else pc + 1 (the word read matters only under the enable).
        self.rom.address.next = self.entry.val();
        if self.ws_host_n.q.val() {
            self.rom.address.next = self.pc1.q.val();
            if self.ra_tgt.q.val() {
                self.rom.address.next = self.target.val();
            }
            if self.ra_ret.q.val() {
                self.rom.address.next = self.tos.val();
            }
        }
        self.rom.read_enable.next =
            ((self.state.q.val() == EngState::Idle) && self.start.val()) || self.retire.val();

        // ---- Register file ports ----
        self.rf.raddr_a.next = (bit_cast::<AW, 5>(self.a_reg.val()) << self.c_log2r.val())
            | bit_cast::<AW, 5>(self.a_row.val());
        self.rf.raddr_b.next = (bit_cast::<AW, 5>(self.b_reg.val()) << self.c_log2r.val())
            | bit_cast::<AW, 5>(self.b_row.val());
        self.rf.waddr.next = (bit_cast::<AW, 5>(self.w_reg.val()) << self.c_log2r.val())
            | bit_cast::<AW, 4>(self.w_row.val());
        self.rf.wdata.next = self.w_data.val();
        // SEC_CM: CONST.WRITE_PROTECT (a table of the writable registers,
        // applied in we_x's next state: a comparison would become a carry
        // chain on the write enable).
        self.rf.we.next = self.we_x.q.val();
        self.host_reg.next = bit_cast::<5, AW>(self.host_waddr.val() >> self.c_log2r.val());
        if self.state.q.val() == EngState::Idle {
            self.rf.raddr_a.next = self.host_addr.val();
            self.rf.waddr.next = self.host_waddr.val();
            self.rf.we.next =
                self.host_we.val() && self.c_writable.val().get_bit(self.host_reg.val().index());
        }
        if self.rst.val() {
            self.state.d.next = EngState::Idle;
        }
        // The write data's selects for the next cycle, from its state (the
        // final values of the state's, phase's and the decode's inputs, so
        // after all their assignments): idle, the host's data; the late
        // choice (ADD / SUB streaming, WriteA); WriteB without F, Breg;
        // streaming, port B with CSWAP's F, else port A; else Treg. (F is
        // read from its register, not its late next value: WriteB is
        // CSWAP's, and F holds from its decode to its retirement.)
        self.ws_host_n.d.next = self.state.d.val() != EngState::Idle;
        self.ws_late.d.next = (self.state.d.val() == EngState::Exec)
            && (((self.phase.d.val() == Phase::Stream) && self.addsub_r.d.val())
                || (self.phase.d.val() == Phase::WriteA));
        self.ws_breg.d.next = (self.state.d.val() != EngState::Idle)
            && (self.phase.d.val() == Phase::WriteB)
            && !self.flag.q.val();
        self.ws_b.d.next = (self.state.d.val() != EngState::Idle)
            && (self.phase.d.val() == Phase::Stream)
            && !self.ws_late.d.val()
            && self.cswf_r.d.val();
        self.ws_a.d.next = (self.state.d.val() != EngState::Idle)
            && (self.phase.d.val() == Phase::Stream)
            && !self.ws_late.d.val()
            && !self.cswf_r.d.val();
        self.ws_t.d.next = (self.state.d.val() != EngState::Idle)
            && !self.ws_late.d.val()
            && (self.phase.d.val() != Phase::Stream)
            && ((self.phase.d.val() != Phase::WriteB) || self.flag.q.val());
        // The write enable, likewise: as the phases set w_en and w_reg
        // (the instruction word, so rd / ra / rb, holds from Fetch to the
        // retirement, and the next cycle is in Exec only from Fetch or Exec).
        self.wr_rd.next = self.c_writable.val().get_bit(self.rd.val().index());
        self.wr_ra.next = self.c_writable.val().get_bit(self.ra.val().index());
        self.wr_rb.next = self.c_writable.val().get_bit(self.rb.val().index());
        self.we_x.d.next = (self.state.d.val() == EngState::Exec)
            && (((self.phase.d.val() == Phase::Stream)
                && (((self.opk_r.d.val() == Op::Copy) && self.wr_rd.val())
                    || ((self.opk_r.d.val() == Op::Cswap) && self.wr_ra.val())
                    || (self.lastr.d.val()
                        && self.addsub_r.d.val()
                        && !self.c_late_carries.val()
                        && self.wr_rd.val())))
                || ((self.phase.d.val() == Phase::WriteA) && self.wr_rd.val())
                || ((self.phase.d.val() == Phase::WriteB) && self.wr_rb.val()));
        // The microcode address's selects, likewise (see their fields;
        // Start's decode of the instruction).
        self.ra_tgt.d.next = (self.state.d.val() == EngState::Exec)
            && (self.phase.d.val() == Phase::Start)
            && ((self.opk_r.d.val() == Op::Jmp)
                || ((self.opk_r.d.val() == Op::Djnz) && !self.cnt_one.d.val())
                || ((self.opk_r.d.val() == Op::Call)
                    && (self.sp.d.val() != self.c_stack_depth.val())));
        self.ra_ret.d.next = (self.state.d.val() == EngState::Exec)
            && (self.phase.d.val() == Phase::Start)
            && (self.opk_r.d.val() == Op::Ret)
            && (self.sp.d.val() != 0);
        // The pass predicates, likewise (see their fields).
        self.mp_r.d.next = (self.phase.d.val() == Phase::Pass) && !self.pass16.d.val();
        self.mpc_r.d.next = self.mp_r.d.val()
            && (!self.lastc.d.val() || (!self.modn_r.d.val() && !self.pass15.d.val()));
        self.prc_r.d.next = self.in_passr.d.val() && !self.pass15.d.val();
        self.ms_r.d.next = (self.phase.d.val() == Phase::Start) && (self.opk_r.d.val() == Op::Mul);
        // Treg's enable, likewise (the cases that set treg_next, and MUL's
        // Start).
        self.treg_ce.d.next = (self.state.d.val() == EngState::Exec)
            && ((self.phase.d.val() == Phase::WriteA)
                || (self.phase.d.val() == Phase::WriteB)
                || (self.phase.d.val() == Phase::Pass)
                || (self.phase.d.val() == Phase::PassR)
                || ((self.phase.d.val() == Phase::Stream)
                    && (self.addsub_r.d.val() || (self.opk_r.d.val() == Op::Cswap)))
                || self.ms_r.d.val());

        // ---- Outputs ----
        self.host_rdata.next = self.rf.rdata_a.val();
        self.busy.next = self.state.q.val() != EngState::Idle;
        self.done.next = self.done_r.q.val();
        self.err.next = self.errs.q.val();
        self.tr_valid.next = self.t_valid.q.val();
        self.tr_pc.next = self.t_pc.q.val();
        self.tr_dest.next = self.t_dest.q.val();
        self.tr_digest.next = self.t_digest.q.val();
    }
}
