//! The SCU device: SPI front end, frame unit, the microcoded device
//! controller with its memories, SHA-256, the RNG's health tests and the
//! engine. The raw random bit comes from outside (`raw_bit`, advanced by
//! `raw_step`): the simulated LFSR in [`crate::scu::ScuSim`], ring
//! oscillators on the FPGA.
//!
//! Timing follows `scu_model::device` (the controller's table), so the RTL
//! and the model agree on every reply byte and busy cycle.

use crate::crc16::Crc16Byte;
use crate::engine::Engine;
use crate::health::HealthTests;
use crate::keep::Keep;
use crate::ram::Ram;
use crate::rom::Rom;
use crate::sha256::Sha256;
use crate::spi::SpiSlave;
use rust_hdl::prelude::*;
use scu_model::device::image::rom;
use scu_model::device::isa::{layout, op, Space};
use scu_model::device::DeviceImage;
use scu_model::isa::err;
use scu_model::protocol::{self, info, slot, slot_mem, status};
use std::collections::BTreeMap;

/// Controller state.
#[derive(Copy, Clone, PartialEq, Eq, Debug, LogicState)]
pub enum CState {
    /// No command running.
    Idle,
    /// Instruction cycle 0.
    Fetch,
    /// Executing.
    Exec,
}

/// Phase within a device instruction.
#[derive(Copy, Clone, PartialEq, Eq, Debug, LogicState)]
pub enum DPhase {
    /// Cycle 1.
    Start,
    /// Second cycle of the three-cycle instructions; CMP's and REQUIRE's
    /// verdict.
    Act,
    /// Byte loop of MOVE and CMP; REQUIRE's comparison.
    Stream,
    /// Collecting raw random bits.
    Raw,
    /// Waiting for the SHA core's last compression.
    WaitSha,
    /// Waiting for the engine.
    WaitEngine,
    /// INC's read-modify-write.
    Inc,
}

fn k<const N: usize>(v: u64) -> Constant<Bits<N>> {
    Constant::new(v.into())
}

/// The source spaces in the order of `src` and `qd` (RX, index 0, is the
/// default: `src[0]` is set when the source is none of the others).
const SOURCES: [Space; 7] = [
    Space::Rx,
    Space::Tx,
    Space::Slot,
    Space::Const,
    Space::Sha,
    Space::Eng,
    Space::Raw,
];

// The slot number's range check is a mask test (c_slot_hi).
const _: () = assert!(slot::COUNT.is_power_of_two() && slot::COUNT <= 256);

fn log2(x: usize) -> u64 {
    assert!(x.is_power_of_two());
    x.trailing_zeros() as u64
}

/// The device for an engine of L lanes (see [`Engine`] for the parameters).
#[derive(LogicBlock)]
pub struct Device<
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
    /// SPI clock pin.
    pub sclk: Signal<In, Bit>,
    /// SPI master-out pin.
    pub mosi: Signal<In, Bit>,
    /// SPI chip select, active low.
    pub cs_n: Signal<In, Bit>,
    /// SPI slave-out pin.
    pub miso: Signal<Out, Bit>,
    /// The raw random bit the next `raw_step` consumes.
    pub raw_bit: Signal<In, Bit>,
    /// Consume one raw bit this cycle.
    pub raw_step: Signal<Out, Bit>,
    /// A command is running (observability; the host polls over SPI).
    pub busy: Signal<Out, Bit>,
    /// Trace: a device instruction retired in the previous cycle.
    pub dev_valid: Signal<Out, Bit>,
    /// Trace: its address.
    pub dev_pc: Signal<Out, Bits<8>>,

    engine: Engine<L, CH, SW, W, RB, RSW, AW>,
    sha: Sha256,
    health: HealthTests,
    spi: SpiSlave,
    crc_rx: Crc16Byte,
    crc_tx: Crc16Byte,
    prog: Rom<64, 8>,
    rxm: Ram<8, 7>,
    txm: Ram<8, 8>,
    slots: Ram<8, 10>,
    konst: SyncROM<Bits<8>, 8>,

    // Frame unit.
    op_r: DFF<Bits<8>>,
    nbytes: DFF<Bits<10>>,
    tag_r: DFF<Bits<8>>,
    cmd_r: DFF<Bits<8>>,
    lenh: DFF<Bits<8>>,
    lenl: DFF<Bits<8>>,
    crc_rx_r: DFF<Bits<16>>,
    /// The frame check's verdict on the bytes received (accept, or the
    /// status of a rejected request), registered, and chip select's rise
    /// registered with it: the frame is judged in the cycle after the
    /// rise (no byte arrives in the cycle chip select rises: the SPI front
    /// end takes none while it is high), so no comparison sits before the
    /// response's registers.
    stop_r: DFF<Bit>,
    /// A command ran at some point of this transaction (from chip select's
    /// fall): a request or bad op then is dropped, as the protocol says,
    /// even if the command ended before chip select rose (the payload's
    /// bytes are stored only while idle).
    tr_busy: DFF<Bit>,
    /// `fc_status` is OK: a flip-flop of its own, so that no comparison
    /// sits before the response's enables.
    fc_ok: DFF<Bit>,
    fc_status: DFF<Bits<8>>,
    resp_status: DFFWithInit<Bits<8>>,
    resp_tag: DFF<Bits<8>>,
    resp_len: DFF<Bits<9>>,
    run_tag: DFF<Bits<8>>,
    rx_len: DFF<Bits<9>>,
    /// Whether the request's payload length equals the instruction's
    /// length field, registered (both hold from Fetch on), so that no
    /// comparison sits before the length check's retirement in Start.
    len_eq: DFF<Bit>,
    /// Whether the instruction's length field is 0, registered likewise
    /// (a MOVE of no bytes retires in Start).
    len_zero: DFF<Bit>,
    /// Whether Start retires the instruction on its word alone (and the
    /// lengths), registered from the Fetch cycle's decode, so that only
    /// the RNG health flag sits before Start's retirement.
    ret_fixed: DFF<Bit>,
    rd_status: DFF<Bits<8>>,
    rd_tag: DFF<Bits<8>>,
    rd_len: DFF<Bits<9>>,
    txb: DFFWithInit<Bits<8>>,
    tx_idx: DFF<Bits<10>>,
    tx_fetch: DFF<Bit>,
    crc_tx_r: DFF<Bits<16>>,
    // Controller.
    cstate: DFF<CState>,
    phase: DFF<DPhase>,
    pc: DFF<Bits<8>>,
    i: DFF<Bits<9>>,
    r: DFF<Bits<4>>,
    bitc: DFF<Bits<3>>,
    rawsr: DFF<Bits<8>>,
    slot_r: DFF<Bits<3>>,
    retries: DFF<Bits<8>>,
    eng_err: DFF<Bits<8>>,
    status_reg: DFF<Bits<8>>,
    eq: DFF<Bit>,
    carry: DFF<Bit>,
    rowbuf: DFF<Bits<RB>>,
    eng_off: DFF<Bits<9>>,
    /// A row written into the engine's register file goes in a cycle
    /// after its last byte (registered: the write enable is late after
    /// SHA-256's busy flag; the next instruction's Fetch keeps a read of
    /// the row after the write).
    ew_we: DFF<Bit>,
    ew_addr: DFF<Bits<AW>>,
    ew_data: DFF<Bits<RB>>,
    t_valid: DFF<Bit>,
    t_pc: DFF<Bits<8>>,
    /// The instruction's opcode, one flag per opcode, registered: the
    /// program ROM is read with the next pc, so its word is there a cycle
    /// before the instruction's first cycle.
    opd: [DFF<Bit>; 24],
    /// The source space, one flag per space, registered like `opd`
    /// (RX, TX, slots, constants, SHA-256, engine, raw; RX for any other
    /// code): the source byte is ORed from the spaces' bytes ANDed with
    /// them, with no decode before it.
    src: [DFF<Bit>; 7],
    qd: [Signal<Local, Bits<8>>; 7],

    // Decode.
    ir: Signal<Local, Bits<64>>,
    opc: Signal<Local, Bits<5>>,
    dsp: Signal<Local, Bits<3>>,
    drel: Signal<Local, Bit>,
    dadr: Signal<Local, Bits<11>>,
    ssp: Signal<Local, Bits<3>>,
    srel: Signal<Local, Bit>,
    sadr: Signal<Local, Bits<11>>,
    ilen: Signal<Local, Bits<9>>,
    target: Signal<Local, Bits<10>>,
    imm: Signal<Local, Bits<10>>,
    // Datapath.
    base: DFF<Bits<11>>,
    dbase: Signal<Local, Bits<11>>,
    sbase: Signal<Local, Bits<11>>,
    p_up: Signal<Local, Bits<12>>,
    q_up: Signal<Local, Bits<12>>,
    q_at_i: Signal<Local, Bits<11>>,
    to_sha: Signal<Local, Bit>,
    i_inc: Signal<Local, Bit>,
    i_rd: Signal<Local, Bits<9>>,
    i_p1: Signal<Local, Bits<9>>,
    row_at_i1: Signal<Local, Bits<4>>,
    p_rd: Signal<Local, Bits<11>>,
    q_rd: Signal<Local, Bits<11>>,
    p_wr: Signal<Local, Bits<11>>,
    p_data: Signal<Local, Bits<8>>,
    q_data: Signal<Local, Bits<8>>,
    do_write: Signal<Local, Bit>,
    k_sha_wr: Keep<Bit>,
    // The strobes to SHA-256 and the engine, registered from the next
    // state (see the end of update).
    st_move: DFF<Bit>,
    st_stream_mv: DFF<Bit>,
    st_not_start: DFF<Bit>,
    st_raw8: DFF<Bit>,
    st_to_sha: DFF<Bit>,
    /// The next cycle is an Exec cycle in phase Start (an instruction's
    /// first); the four strobes after it are that and their opcode.
    start_n: Signal<Local, Bit>,
    st_sha_fin: DFF<Bit>,
    st_sha_init: DFF<Bit>,
    st_eng_start: DFF<Bit>,
    /// FLAGS' write into TX (not at the end of Start's priority chain,
    /// before the memory's write data).
    st_flags: DFF<Bit>,
    i_n: Signal<Local, Bits<9>>,
    stall: Signal<Local, Bit>,
    // The last byte is written this cycle: a MOVE streaming, a raw byte's
    // 8th bit (the instruction then retires, or waits for SHA-256 if the
    // byte fills its block).
    mv_last: Signal<Local, Bit>,
    raw_last: Signal<Local, Bit>,
    last: DFF<Bit>,
    last_next: Signal<Local, Bit>,
    q_reg: Signal<Local, Bits<5>>,
    p_reg: Signal<Local, Bits<5>>,
    row_rd: Signal<Local, Bits<4>>,
    row_wr: Signal<Local, Bits<4>>,
    row_in: Signal<Local, Bits<RB>>,
    /// INC's read address in the slot memory, counted down from Fetch
    /// (the counter's byte dadr + 3 in Start, then dadr + 2 - r in Inc
    /// byte r), so that no adder sits between the instruction word and
    /// the memory's address.
    inc_rd: DFF<Bits<10>>,
    /// A branch's outcome, decided in Fetch from the instruction word and
    /// registers no instruction changes before the branch's Start, for
    /// the program memory's next address: the target (ONERR, RETRY, JMP,
    /// CMDIS taken), or RETRY's exhausted address (dadr).
    br_tgt: DFF<Bit>,
    br_dadr: DFF<Bit>,
    br_hit: Signal<Local, Bit>,
    inc_sum: Signal<Local, Bits<8>>,
    /// The instruction retires in this cycle (Act's retirement, which
    /// waits on its checks, is added at the end of Retirement).
    retire: Signal<Local, Bit>,
    /// An instruction that retires in Start (at most one opcode flag holds).
    ret_start: Signal<Local, Bit>,
    finish: Signal<Local, Bit>,
    fin_status: Signal<Local, Bits<8>>,
    fin_len: Signal<Local, Bits<9>>,
    next_pc: Signal<Local, Bits<8>>,
    pc_n: Signal<Local, Bits<8>>,
    leaving: Signal<Local, Bit>,
    in_act: Signal<Local, Bit>,
    act_fail: Signal<Local, Bit>,
    err_status: Signal<Local, Bits<8>>,
    pol_addr: Signal<Local, Bits<10>>,
    slot_early: Signal<Local, Bits<10>>,
    slot_use_early: Signal<Local, Bit>,
    slot_use_p: Signal<Local, Bit>,
    /// A request frame's full length, its payload length + 7 (10 bits,
    /// as the frame check compares it), set with the length bytes: the
    /// check at the frame's end then starts from a register, not an adder.
    full_len: DFF<Bits<10>>,
    /// The length bytes once this cycle's byte is in.
    len_hi: Signal<Local, Bits<8>>,
    len_lo: Signal<Local, Bits<8>>,
    req_len: Signal<Local, Bits<16>>,
    tx_next: Signal<Local, Bits<8>>,

    c_sp_rx: Constant<Bits<3>>,
    c_sp_tx: Constant<Bits<3>>,
    c_sp_slot: Constant<Bits<3>>,
    c_sp_const: Constant<Bits<3>>,
    c_sp_eng: Constant<Bits<3>>,
    c_sp_sha: Constant<Bits<3>>,
    c_op: [Constant<Bits<5>>; 24],
    c_src: [Constant<Bits<3>>; 7],
    c_f_op: Constant<Bits<7>>,
    c_f_dsp: Constant<Bits<7>>,
    c_f_drel: Constant<Bits<7>>,
    c_f_dadr: Constant<Bits<7>>,
    c_f_ssp: Constant<Bits<7>>,
    c_f_srel: Constant<Bits<7>>,
    c_f_sadr: Constant<Bits<7>>,
    c_f_len: Constant<Bits<7>>,
    c_f_target: Constant<Bits<7>>,
    c_f_imm: Constant<Bits<7>>,
    c_records: Constant<Bits<11>>,
    /// The bits a slot number may not have (slot::COUNT is a power of two,
    /// so the range check is a mask test, not a comparison's carry chain).
    c_slot_hi: Constant<Bits<8>>,
    c_requestable: Constant<Bits<8>>,
    c_valid: Constant<Bits<8>>,
    c_static_flags: Constant<Bits<8>>,
    c_flag_rng_failed: Constant<Bits<8>>,
    c_log2r: Constant<Bits<4>>,
    c_last_row: Constant<Bits<4>>,
    c_log2_row_bytes: Constant<Bits<4>>,
    c_row_byte_mask: Constant<Bits<9>>,
    c_last_byte_off: Constant<Bits<9>>,
    c_err_illegal: Constant<Bits<8>>,
    c_err_point: Constant<Bits<8>>,
    c_err_scalar: Constant<Bits<8>>,
    c_op_request: Constant<Bits<8>>,
    c_op_response: Constant<Bits<8>>,
    c_max_payload: Constant<Bits<16>>,
    s_ok: Constant<Bits<8>>,
    s_busy: Constant<Bits<8>>,
    s_truncated: Constant<Bits<8>>,
    s_oversize: Constant<Bits<8>>,
    s_bad_length: Constant<Bits<8>>,
    s_bad_crc: Constant<Bits<8>>,
    s_bad_op: Constant<Bits<8>>,
    s_bad_slot: Constant<Bits<8>>,
    s_bad_policy: Constant<Bits<8>>,
    s_rng_failure: Constant<Bits<8>>,
    s_engine_fault: Constant<Bits<8>>,
    s_invalid_point: Constant<Bits<8>>,
    s_invalid_scalar: Constant<Bits<8>>,
}

fn bytes_map<const N: usize>(b: &[u8]) -> BTreeMap<Bits<N>, Bits<8>> {
    b.iter()
        .enumerate()
        .map(|(i, v)| ((i as u64).into(), (*v as u64).into()))
        .collect()
}

impl<
        const L: usize,
        const CH: usize,
        const SW: usize,
        const W: usize,
        const RB: usize,
        const RSW: usize,
        const AW: usize,
    > Device<L, CH, SW, W, RB, RSW, AW>
{
    /// A device built from `image` (its lanes must be L).
    pub fn new(image: &DeviceImage) -> Self {
        assert_eq!(
            image.lanes.get() as usize,
            L,
            "image built for another lane count"
        );
        assert!(image.program.words.len() <= 256);
        let rows = 16 / W;
        let prog: BTreeMap<Bits<8>, Bits<64>> = image
            .program
            .words
            .iter()
            .enumerate()
            .map(|(i, w)| ((i as u64).into(), (*w).into()))
            .collect();
        let ops = [
            0,
            op::MOVE,
            op::ENGINE,
            op::DONE,
            op::SLOT,
            op::SLOT_IMM,
            op::REQUIRE,
            op::CHECK_POLICY,
            op::SET_POLICY,
            op::OR_POLICY,
            op::SHA_INIT,
            op::SHA_FINISH,
            op::ON_ERR,
            op::RETRY,
            op::SET_RETRY,
            op::JMP,
            op::IF_CMD,
            op::LEN_EQ,
            op::CMP,
            op::HEALTH,
            op::INC,
            op::FLAGS,
            op::POLICY_BYTE,
            op::DONE_ERR,
        ];
        for (i, o) in ops.iter().enumerate().skip(1) {
            assert_eq!(*o as usize, i, "device opcodes are numbered densely");
        }
        Self {
            clock: Default::default(),
            sclk: Default::default(),
            mosi: Default::default(),
            cs_n: Default::default(),
            miso: Default::default(),
            raw_bit: Default::default(),
            raw_step: Default::default(),
            busy: Default::default(),
            dev_valid: Default::default(),
            dev_pc: Default::default(),
            engine: Engine::new(image.engine.rom()),
            sha: Default::default(),
            health: Default::default(),
            spi: Default::default(),
            crc_rx: Default::default(),
            crc_tx: Default::default(),
            prog: Rom::new(prog),
            rxm: Default::default(),
            txm: Default::default(),
            slots: Ram::new(bytes_map(&image.slots)),
            konst: SyncROM::new(bytes_map(&image.const_rom)),
            op_r: Default::default(),
            nbytes: Default::default(),
            tag_r: Default::default(),
            cmd_r: Default::default(),
            lenh: Default::default(),
            lenl: Default::default(),
            crc_rx_r: Default::default(),
            stop_r: Default::default(),
            tr_busy: Default::default(),
            fc_ok: Default::default(),
            fc_status: Default::default(),
            resp_status: DFFWithInit::new((status::NO_RESPONSE as u64).into()),
            resp_tag: Default::default(),
            resp_len: Default::default(),
            run_tag: Default::default(),
            rx_len: Default::default(),
            len_eq: Default::default(),
            len_zero: Default::default(),
            ret_fixed: Default::default(),
            rd_status: Default::default(),
            rd_tag: Default::default(),
            rd_len: Default::default(),
            txb: DFFWithInit::new((protocol::IDLE_BYTE as u64).into()),
            tx_idx: Default::default(),
            tx_fetch: Default::default(),
            crc_tx_r: Default::default(),
            cstate: Default::default(),
            phase: Default::default(),
            pc: Default::default(),
            i: Default::default(),
            r: Default::default(),
            bitc: Default::default(),
            rawsr: Default::default(),
            slot_r: Default::default(),
            retries: Default::default(),
            eng_err: Default::default(),
            status_reg: Default::default(),
            eq: Default::default(),
            carry: Default::default(),
            rowbuf: Default::default(),
            ew_we: Default::default(),
            ew_addr: Default::default(),
            ew_data: Default::default(),
            eng_off: Default::default(),
            t_valid: Default::default(),
            t_pc: Default::default(),
            opd: array_init::array_init(|_| Default::default()),
            src: array_init::array_init(|_| Default::default()),
            qd: array_init::array_init(|_| Default::default()),
            ir: Default::default(),
            opc: Default::default(),
            dsp: Default::default(),
            drel: Default::default(),
            dadr: Default::default(),
            ssp: Default::default(),
            srel: Default::default(),
            sadr: Default::default(),
            ilen: Default::default(),
            target: Default::default(),
            imm: Default::default(),
            base: Default::default(),
            dbase: Default::default(),
            sbase: Default::default(),
            p_up: Default::default(),
            q_up: Default::default(),
            q_at_i: Default::default(),
            to_sha: Default::default(),
            i_inc: Default::default(),
            i_rd: Default::default(),
            i_p1: Default::default(),
            row_at_i1: Default::default(),
            p_rd: Default::default(),
            q_rd: Default::default(),
            p_wr: Default::default(),
            p_data: Default::default(),
            q_data: Default::default(),
            do_write: Default::default(),
            k_sha_wr: Default::default(),
            st_move: Default::default(),
            st_stream_mv: Default::default(),
            st_not_start: Default::default(),
            st_raw8: Default::default(),
            st_to_sha: Default::default(),
            start_n: Default::default(),
            st_sha_fin: Default::default(),
            st_sha_init: Default::default(),
            st_eng_start: Default::default(),
            st_flags: Default::default(),
            i_n: Default::default(),
            stall: Default::default(),
            mv_last: Default::default(),
            raw_last: Default::default(),
            last: Default::default(),
            last_next: Default::default(),
            q_reg: Default::default(),
            p_reg: Default::default(),
            row_rd: Default::default(),
            row_wr: Default::default(),
            row_in: Default::default(),
            inc_rd: Default::default(),
            br_tgt: Default::default(),
            br_dadr: Default::default(),
            br_hit: Default::default(),
            inc_sum: Default::default(),
            retire: Default::default(),
            ret_start: Default::default(),
            finish: Default::default(),
            fin_status: Default::default(),
            fin_len: Default::default(),
            next_pc: Default::default(),
            pc_n: Default::default(),
            leaving: Default::default(),
            in_act: Default::default(),
            act_fail: Default::default(),
            err_status: Default::default(),
            pol_addr: Default::default(),
            slot_early: Default::default(),
            slot_use_early: Default::default(),
            slot_use_p: Default::default(),
            full_len: Default::default(),
            len_hi: Default::default(),
            len_lo: Default::default(),
            req_len: Default::default(),
            tx_next: Default::default(),
            c_sp_rx: k(Space::Rx.code()),
            c_sp_tx: k(Space::Tx.code()),
            c_sp_slot: k(Space::Slot.code()),
            c_sp_const: k(Space::Const.code()),
            c_sp_eng: k(Space::Eng.code()),
            c_sp_sha: k(Space::Sha.code()),
            c_op: array_init::array_init(|i| k(ops[i])),
            c_src: array_init::array_init(|i| k(SOURCES[i].code())),
            c_f_op: k(layout::OP as u64),
            c_f_dsp: k(layout::DST_SPACE as u64),
            c_f_drel: k(layout::DST_REL as u64),
            c_f_dadr: k(layout::DST_ADDR as u64),
            c_f_ssp: k(layout::SRC_SPACE as u64),
            c_f_srel: k(layout::SRC_REL as u64),
            c_f_sadr: k(layout::SRC_ADDR as u64),
            c_f_len: k(layout::LEN as u64),
            c_f_target: k(layout::TARGET as u64),
            c_f_imm: k(layout::IMM as u64),
            c_records: k(slot_mem::RECORDS as u64),
            c_slot_hi: k((!(slot::COUNT - 1) & 0xff) as u64),
            c_requestable: k(slot::REQUESTABLE as u64),
            c_valid: k(slot::VALID as u64),
            c_static_flags: k(image.const_rom[rom::INFO_HEAD + info::FLAGS] as u64),
            c_flag_rng_failed: k(info::FLAG_RNG_FAILED as u64),
            c_log2r: k(log2(rows)),
            c_last_row: k((rows - 1) as u64),
            c_log2_row_bytes: k(log2(RB / 8)),
            c_row_byte_mask: k((RB / 8 - 1) as u64),
            c_last_byte_off: k((RB - 8) as u64),
            c_err_illegal: k(1 << err::ILLEGAL),
            c_err_point: k(1 << err::POINT),
            c_err_scalar: k(1 << err::SCALAR),
            c_op_request: k(protocol::OP_REQUEST as u64),
            c_op_response: k(protocol::OP_RESPONSE as u64),
            c_max_payload: k(protocol::MAX_REQUEST_PAYLOAD as u64),
            s_ok: k(status::OK as u64),
            s_busy: k(status::BUSY as u64),
            s_truncated: k(status::TRUNCATED as u64),
            s_oversize: k(status::OVERSIZE as u64),
            s_bad_length: k(status::BAD_LENGTH as u64),
            s_bad_crc: k(status::BAD_CRC as u64),
            s_bad_op: k(status::BAD_OP as u64),
            s_bad_slot: k(status::BAD_SLOT as u64),
            s_bad_policy: k(status::BAD_POLICY as u64),
            s_rng_failure: k(status::RNG_FAILURE as u64),
            s_engine_fault: k(status::ENGINE_FAULT as u64),
            s_invalid_point: k(status::INVALID_POINT as u64),
            s_invalid_scalar: k(status::INVALID_SCALAR as u64),
        }
    }

    /// The frame check's verdict on the registered count, length and CRC
    /// (accepted, and the status), as the controller decides it when chip
    /// select rises.
    fn frame_verdict(&self) -> (bool, Bits<8>) {
        let nbytes = self.nbytes.q.val();
        let full_len = self.full_len.q.val();
        let verdict = if nbytes < 5 {
            Some(self.s_truncated.val())
        } else if self.req_len.val() > self.c_max_payload.val() {
            Some(self.s_oversize.val())
        } else if nbytes < full_len {
            Some(self.s_truncated.val())
        } else if nbytes > full_len {
            Some(self.s_bad_length.val())
        } else if self.crc_rx_r.q.val() != 0 {
            Some(self.s_bad_crc.val())
        } else {
            None
        };
        (verdict.is_none(), verdict.unwrap_or(self.s_ok.val()))
    }

    /// Whether Start retires the instruction on its registered decode and
    /// length tests alone (all but HEALTH's check of the RNG), as `ret_fixed`
    /// should hold it.
    fn ret_fixed_decode(&self) -> bool {
        let op = |k: usize| self.opd[k].q.val();
        (op(1) && self.len_zero.q.val())
            || [5, 12, 13, 14, 15, 16, 21].into_iter().any(op)
            || (op(17) && self.len_eq.q.val())
    }

    /// Whether a state formed a cycle ahead disagrees with what the
    /// registered state decodes to now (the engine's, SHA-256's, the
    /// strobes to SHA-256 and the engine, the source flags, the next
    /// addresses, the length test, the frame check's verdict); None if all
    /// agree. For the simulation harness, before each clock edge.
    pub fn flat_state_mismatch(&self) -> Option<&'static str> {
        if let Some(what) = self.engine.flat_state_mismatch() {
            return Some(what);
        }
        if let Some(what) = self.sha.flat_state_mismatch() {
            return Some(what);
        }
        let exec = self.cstate.q.val() == CState::Exec;
        let phase = self.phase.q.val();
        let first = exec && phase == DPhase::Start;
        let moving = exec && phase == DPhase::Stream && self.opd[1].q.val();
        let raw8 = exec && phase == DPhase::Raw && self.bitc.q.val() == 7;
        let to_sha = self.dsp.val() == self.c_sp_sha.val();
        let write = (moving || raw8) && to_sha;
        let (fc_ok, fc_status) = self.frame_verdict();
        let counter_byte = self.dadr.val() + 3 - bit_cast::<11, 4>(self.r.q.val());
        let inc_rd = match phase {
            DPhase::Start => Some(counter_byte),
            DPhase::Inc => Some(counter_byte - 1),
            _ => None,
        };
        let prog_address = if self.cstate.q.val() == CState::Idle {
            0.into()
        } else {
            self.next_pc.val()
        };
        let ssp = self.ssp.val();
        let others = &self.c_src[1..];
        let src_ok = self.src[0].q.val() != others.iter().any(|code| code.val() == ssp)
            && others
                .iter()
                .zip(&self.src[1..])
                .all(|(code, flag)| flag.q.val() == (ssp == code.val()));
        let checks = [
            (!exec || src_ok, "the source space's flags"),
            (
                !first || self.len_eq.q.val() == (self.rx_len.q.val() == self.ilen.val()),
                "the payload length's test",
            ),
            (
                !first || self.len_zero.q.val() == (self.ilen.val() == 0),
                "the length field's zero test",
            ),
            (
                self.ret_fixed.q.val() == self.ret_fixed_decode(),
                "Start's registered retirement",
            ),
            (
                !(self.cstate.q.val() == CState::Idle || self.leaving.val())
                    || self.prog.address.val() == prog_address,
                "the program's next address",
            ),
            (
                !(exec && self.opd[20].q.val())
                    || inc_rd.is_none_or(|a| self.inc_rd.q.val() == bit_cast::<10, 11>(a)),
                "INC's read address",
            ),
            (
                !self.stop_r.q.val()
                    || (self.fc_ok.q.val() == fc_ok && self.fc_status.q.val() == fc_status),
                "the frame check's verdict",
            ),
            (self.st_move.q.val() == moving, "MOVE's streaming"),
            (self.st_raw8.q.val() == raw8, "a raw byte's 8th bit"),
            (
                !(moving || raw8) || self.st_to_sha.q.val() == to_sha,
                "the destination SHA-256",
            ),
            (
                self.st_stream_mv.q.val() == (phase == DPhase::Stream && self.opd[1].q.val()),
                "MOVE's stream phase",
            ),
            (
                self.st_not_start.q.val() == (phase != DPhase::Start),
                "a phase after Start",
            ),
            (self.k_sha_wr.q.val() == write, "SHA-256's write strobe"),
            (
                self.st_sha_fin.q.val() == (first && self.opd[11].q.val()),
                "SHA-256's finish strobe",
            ),
            (
                self.st_flags.q.val() == (first && self.opd[21].q.val()),
                "FLAGS' write strobe",
            ),
            (
                self.st_sha_init.q.val() == (first && self.opd[10].q.val()),
                "SHA-256's init strobe",
            ),
            (
                self.st_eng_start.q.val() == (first && self.opd[2].q.val()),
                "the engine's start strobe",
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
    > Logic for Device<L, CH, SW, W, RB, RSW, AW>
{
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            op_r,
            nbytes,
            tag_r,
            cmd_r,
            lenh,
            lenl,
            full_len,
            crc_rx_r,
            stop_r,
            tr_busy,
            fc_ok,
            fc_status,
            resp_status,
            resp_tag,
            resp_len,
            run_tag,
            rx_len,
            len_eq,
            len_zero,
            ret_fixed,
            rd_status,
            rd_tag,
            rd_len,
            tx_idx,
            tx_fetch,
            crc_tx_r,
            cstate,
            phase,
            pc,
            i,
            last,
            r,
            bitc,
            rawsr,
            slot_r,
            retries,
            eng_err,
            status_reg,
            eq,
            carry,
            rowbuf,
            eng_off,
            inc_rd,
            br_tgt,
            br_dadr,
            ew_we,
            ew_addr,
            ew_data,
            t_valid,
            t_pc,
            base,
            st_move,
            st_stream_mv,
            st_not_start,
            st_raw8,
            st_to_sha,
            st_sha_fin,
            st_flags,
            st_sha_init,
            st_eng_start
        );
        clock!(self, clock, engine, sha, health, spi);
        self.txb.clock.next = self.clock.val();
        self.txb.d.next = self.txb.q.val();
        self.prog.clock.next = self.clock.val();
        self.konst.clock.next = self.clock.val();
        self.rxm.clock.next = self.clock.val();
        self.txm.clock.next = self.clock.val();
        self.slots.clock.next = self.clock.val();

        // ---- Decode (the word from the Fetch cycle on, opd from the first Exec cycle) ----
        self.ir.next = self.prog.data.val();
        self.opc.next = self.ir.val().get_bits::<5>(self.c_f_op.val().index());
        for k in 0..7 {
            self.src[k].clock.next = self.clock.val();
        }
        for k in 0..24 {
            self.opd[k].clock.next = self.clock.val();
            self.opd[k].d.next = self.opc.val() == self.c_op[k].val();
        }
        self.pc_n.next = self.pc.q.val();
        // While idle the program is read at address 0, so an accepted
        // frame's Fetch finds word 0 without the frame check on the
        // program memory's address.
        if self.cstate.q.val() == CState::Idle {
            self.pc_n.next = 0.into();
        }
        self.dsp.next = self.ir.val().get_bits::<3>(self.c_f_dsp.val().index());
        self.drel.next = self.ir.val().get_bit(self.c_f_drel.val().index());
        self.dadr.next = self.ir.val().get_bits::<11>(self.c_f_dadr.val().index());
        self.ssp.next = self.ir.val().get_bits::<3>(self.c_f_ssp.val().index());
        self.srel.next = self.ir.val().get_bit(self.c_f_srel.val().index());
        self.sadr.next = self.ir.val().get_bits::<11>(self.c_f_sadr.val().index());
        self.ilen.next = self.ir.val().get_bits::<9>(self.c_f_len.val().index());
        self.target.next = self.ir.val().get_bits::<10>(self.c_f_target.val().index());
        self.imm.next = self.ir.val().get_bits::<10>(self.c_f_imm.val().index());

        // ---- Addresses and data of the byte datapath ----
        // The current slot's record: 64 + 96 slot = 64 + 64 slot + 32 slot
        // (registered: a slot is chosen at least a Fetch cycle before use).
        self.base.d.next = self.c_records.val()
            + (bit_cast::<11, 3>(self.slot_r.q.val()) << 6)
            + (bit_cast::<11, 3>(self.slot_r.q.val()) << 5);
        // A MOVE into SHA waits while the core compresses; its next read
        // stays on the byte not yet written. (Phase, opcode and destination
        // from flip-flops set a cycle ahead, so SHA's late busy flag meets
        // one LUT before i_inc, and the program word's decode stays off the
        // retirement's path: a MOVE streams from its second Exec cycle on,
        // when st_to_sha holds its own word's decode.)
        self.to_sha.next = self.dsp.val() == self.c_sp_sha.val();
        self.stall.next =
            self.st_stream_mv.q.val() && self.st_to_sha.q.val() && self.sha.busy.val();
        self.mv_last.next = self.st_stream_mv.q.val() && self.last.q.val() && !self.stall.val();
        self.raw_last.next = (self.phase.q.val() == DPhase::Raw)
            && !self.sha.busy.val()
            && (self.bitc.q.val() == 7)
            && self.last.q.val();
        // The read index: 0 in the first cycle (Fetch clears i), else i + 1
        // (i on a stall).
        self.i_inc.next = !self.stall.val() && self.st_not_start.q.val();
        // (i_inc, late after SHA's busy flag, only picks between i and
        // i + 1, between the addresses they give, and between the engine
        // rows they fall in, below.)
        self.i_p1.next = self.i.q.val() + 1;
        self.i_rd.next = self.i.q.val();
        if self.i_inc.val() {
            self.i_rd.next = self.i_p1.val();
        }
        self.dbase.next = self.dadr.val();
        if self.drel.val() {
            self.dbase.next = self.dadr.val() + self.base.q.val();
        }
        self.sbase.next = self.sadr.val();
        if self.srel.val() {
            self.sbase.next = self.sadr.val() + self.base.q.val();
        }
        // Each read address at i and at i + 1 (base + i + 1 as one carry
        // chain: the 1 enters below bit 0 of both operands), i_inc
        // picking one.
        self.p_wr.next = self.dbase.val() + bit_cast::<11, 9>(self.i.q.val());
        self.q_at_i.next = self.sbase.val() + bit_cast::<11, 9>(self.i.q.val());
        self.p_up.next = ((bit_cast::<12, 11>(self.dbase.val()) << 1) | 1)
            + ((bit_cast::<12, 9>(self.i.q.val()) << 1) | 1);
        self.q_up.next = ((bit_cast::<12, 11>(self.sbase.val()) << 1) | 1)
            + ((bit_cast::<12, 9>(self.i.q.val()) << 1) | 1);
        self.p_rd.next = self.p_wr.val();
        self.q_rd.next = self.q_at_i.val();
        if self.i_inc.val() {
            self.p_rd.next = self.p_up.val().get_bits::<11>(1);
            self.q_rd.next = self.q_up.val().get_bits::<11>(1);
        }
        self.p_reg.next = self.dadr.val().get_bits::<5>(5);
        self.q_reg.next = self.sadr.val().get_bits::<5>(5);
        self.pol_addr.next = bit_cast::<10, 3>(self.slot_r.q.val());
        // Byte read from each operand's space (one cycle after its address).
        for k in 1..7 {
            self.src[k].d.next = self.ssp.val() == self.c_src[k].val();
        }
        self.src[0].d.next = !(self.src[1].d.val()
            || self.src[2].d.val()
            || self.src[3].d.val()
            || self.src[4].d.val()
            || self.src[5].d.val()
            || self.src[6].d.val());
        self.qd[0].next = self.rxm.read_data.val();
        self.qd[1].next = self.txm.read_data.val();
        self.qd[2].next = self.slots.read_data.val();
        self.qd[3].next = self.konst.data.val();
        self.qd[4].next = self.sha.rd_data.val();
        self.qd[5].next = self
            .engine
            .host_rdata
            .val()
            .get_bits::<8>(self.eng_off.q.val().index());
        self.qd[6].next = (self.rawsr.q.val() << 1) | bit_cast::<8, 1>(self.raw_bit.val().into());
        for k in 0..7 {
            if !self.src[k].q.val() {
                self.qd[k].next = 0.into();
            }
        }
        self.q_data.next = self.qd[0].val()
            | self.qd[1].val()
            | self.qd[2].val()
            | self.qd[3].val()
            | self.qd[4].val()
            | self.qd[5].val()
            | self.qd[6].val();
        self.p_data.next = self.rxm.read_data.val();
        if self.dsp.val() == self.c_sp_tx.val() {
            self.p_data.next = self.txm.read_data.val();
        }
        if self.dsp.val() == self.c_sp_slot.val() {
            self.p_data.next = self.slots.read_data.val();
        }
        if self.dsp.val() == self.c_sp_const.val() {
            self.p_data.next = self.konst.data.val();
        }
        if self.dsp.val() == self.c_sp_sha.val() {
            self.p_data.next = self.sha.rd_data.val();
        }
        // The SHA digest is a byte memory like the RAMs (read one cycle after
        // its address).
        self.sha.rd_addr.next = self.q_rd.val().get_bits::<5>(0);
        if self.opd[18].q.val() && (self.dsp.val() == self.c_sp_sha.val()) {
            self.sha.rd_addr.next = self.p_rd.val().get_bits::<5>(0);
        }
        // Engine error -> status (scu_model::device::engine_status).
        self.err_status.next = self.s_engine_fault.val();
        if (self.eng_err.q.val() & self.c_err_scalar.val()) != 0 {
            self.err_status.next = self.s_invalid_scalar.val();
        }
        if (self.eng_err.q.val() & self.c_err_point.val()) != 0 {
            self.err_status.next = self.s_invalid_point.val();
        }
        if (self.eng_err.q.val() & self.c_err_illegal.val()) != 0 {
            self.err_status.next = self.s_engine_fault.val();
        }

        // ---- Defaults ----
        self.rxm.read_address.next = bit_cast::<7, 11>(self.q_rd.val());
        self.txm.read_address.next = bit_cast::<8, 11>(self.q_rd.val());
        self.konst.address.next = bit_cast::<8, 11>(self.q_rd.val());
        self.rxm.write_enable.next = false;
        self.rxm.write_address.next = 0.into();
        self.rxm.write_data.next = self.spi.rx_byte.val();
        self.txm.write_enable.next = false;
        self.txm.write_address.next = bit_cast::<8, 11>(self.p_wr.val());
        self.txm.write_data.next = self.q_data.val();
        self.slots.write_enable.next = false;
        self.slots.write_address.next = bit_cast::<10, 11>(self.p_wr.val());
        self.slots.write_data.next = self.q_data.val();
        self.sha.wr.next = false;
        self.sha.wdata.next = self.q_data.val();
        self.sha.finish.next = false;
        self.health.valid.next = false;
        self.health.sample.next = self.raw_bit.val();
        self.raw_step.next = false;
        self.engine.entry.next = self.target.val();
        self.ew_we.d.next = false;
        // An engine register as a byte memory: byte i (big-endian) is byte
        // i mod RB/8 (from the top) of row R - 1 - i / (RB/8). Reads at
        // i_rd like the RAMs; a write collects a row's bytes in `rowbuf` and
        // writes the row with its last byte.
        self.row_wr.next =
            self.c_last_row.val() - bit_cast::<4, 9>(self.i.q.val() >> self.c_log2_row_bytes.val());
        self.row_at_i1.next = self.c_last_row.val()
            - bit_cast::<4, 9>(self.i_p1.val() >> self.c_log2_row_bytes.val());
        self.row_rd.next = self.row_wr.val();
        if self.i_inc.val() {
            self.row_rd.next = self.row_at_i1.val();
        }
        self.eng_off.d.next =
            self.c_last_byte_off.val() - ((self.i_rd.val() & self.c_row_byte_mask.val()) << 3);
        self.row_in.next = (self.rowbuf.q.val() << 8) | bit_cast::<RB, 8>(self.q_data.val());
        self.engine.host_addr.next = (bit_cast::<AW, 5>(self.q_reg.val()) << self.c_log2r.val())
            | bit_cast::<AW, 4>(self.row_rd.val());
        self.ew_addr.d.next = (bit_cast::<AW, 5>(self.p_reg.val()) << self.c_log2r.val())
            | bit_cast::<AW, 4>(self.row_wr.val());
        self.ew_data.d.next = self.row_in.val();
        self.engine.host_waddr.next = self.ew_addr.q.val();
        self.engine.host_wdata.next = self.ew_data.q.val();
        self.engine.host_we.next = self.ew_we.q.val();
        self.engine.rst.next = false;
        self.act_fail.next = false;
        self.finish.next = false;
        self.fin_status.next = self.s_ok.val();
        self.fin_len.next = 0.into();
        self.next_pc.next = self.pc.q.val() + 1;
        self.br_hit.next = false;
        self.br_tgt.d.next = false;
        self.br_dadr.d.next = false;
        self.do_write.next = false;
        self.i_n.next = self.i.q.val();
        // Whether byte i + 1 is the last (for `last` where i advances).
        self.last_next.next = (self.i.q.val() + 2) == self.ilen.val();
        self.inc_rd.d.next = self.inc_rd.q.val() - 1;
        self.inc_sum.next =
            self.slots.read_data.val() + bit_cast::<8, 1>(self.carry.q.val().into());
        self.t_valid.d.next = false;
        self.len_eq.d.next = self.rx_len.q.val() == self.ilen.val();
        self.len_zero.d.next = self.ilen.val() == 0;

        // ---- Controller ----
        // (When each phase retires is under Retirement, below.)
        match self.cstate.q.val() {
            CState::Idle => {}
            CState::Fetch => {
                self.cstate.d.next = CState::Exec;
                self.phase.d.next = DPhase::Start;
                self.i_n.next = 0.into();
                self.last.d.next = self.ilen.val() == 1;
                self.r.d.next = 0.into();
                self.bitc.d.next = 0.into();
                self.inc_rd.d.next = bit_cast::<10, 11>(self.dadr.val() + 3);
                // The branches below, decided a cycle early (see br_tgt).
                self.br_hit.next = (self.eng_err.q.val() & bit_cast::<8, 10>(self.imm.val())) != 0;
                self.br_tgt.d.next = ((self.opc.val() == self.c_op[12].val())
                    && (self.eng_err.q.val() != 0))
                    || ((self.opc.val() == self.c_op[13].val())
                        && self.br_hit.val()
                        && (self.retries.q.val() != 0))
                    || (self.opc.val() == self.c_op[15].val())
                    || ((self.opc.val() == self.c_op[16].val())
                        && (self.cmd_r.q.val() == bit_cast::<8, 10>(self.imm.val())));
                self.br_dadr.d.next = (self.opc.val() == self.c_op[13].val())
                    && self.br_hit.val()
                    && (self.retries.q.val() == 0);
            }
            CState::Exec => match self.phase.q.val() {
                DPhase::Start => {
                    if self.opd[1].q.val() {
                        // MOVE
                        if !self.len_zero.q.val() {
                            self.phase.d.next = DPhase::Stream;
                            if self.src[6].q.val() {
                                self.phase.d.next = DPhase::Raw;
                            }
                        }
                    } else if self.opd[18].q.val() {
                        // CMP: the bytes, then the verdict in Act.
                        self.eq.d.next = true;
                        self.phase.d.next = DPhase::Stream;
                        if self.len_zero.q.val() {
                            self.phase.d.next = DPhase::Act;
                        }
                    } else if self.opd[2].q.val() {
                        // (The engine's start strobe is set below.)
                        self.phase.d.next = DPhase::WaitEngine;
                    } else if self.opd[3].q.val() {
                        self.finish.next = true;
                        self.fin_status.next = bit_cast::<8, 10>(self.imm.val());
                        self.fin_len.next = self.ilen.val();
                    } else if self.opd[23].q.val() {
                        self.finish.next = true;
                        self.fin_status.next = self.status_reg.q.val();
                    } else if self.opd[4].q.val() || self.opd[7].q.val() || self.opd[8].q.val() {
                        // SLOT, CHKPOL, SETPOL read RX (the src address).
                        self.phase.d.next = DPhase::Act;
                    } else if self.opd[6].q.val() {
                        // REQUIRE reads the slot's policy byte (the slot
                        // memory's read address is set below), compares it
                        // in Stream and gives the verdict in Act.
                        self.phase.d.next = DPhase::Stream;
                    } else if self.opd[9].q.val() || self.opd[22].q.val() {
                        // ORPOL, POLICY read the slot's policy byte.
                        self.phase.d.next = DPhase::Act;
                    } else if self.opd[5].q.val() {
                        self.slot_r.d.next = bit_cast::<3, 10>(self.imm.val());
                    } else if self.opd[10].q.val() {
                        // The core then overwrites H (busy until `ends`;
                        // SHA's init strobe is set below).
                        self.phase.d.next = DPhase::WaitSha;
                    } else if self.opd[11].q.val() {
                        // (SHA's finish strobe is set below.)
                        self.phase.d.next = DPhase::WaitSha;
                    } else if self.opd[12].q.val() {
                        // ONERR
                        if self.eng_err.q.val() != 0 {
                            self.status_reg.d.next = self.err_status.val();
                            self.next_pc.next = bit_cast::<8, 10>(self.target.val());
                        }
                    } else if self.opd[13].q.val() {
                        // RETRY
                        if (self.eng_err.q.val() & bit_cast::<8, 10>(self.imm.val())) != 0 {
                            if self.retries.q.val() != 0 {
                                self.retries.d.next = self.retries.q.val() - 1;
                                self.next_pc.next = bit_cast::<8, 10>(self.target.val());
                            } else {
                                self.status_reg.d.next = self.s_rng_failure.val();
                                self.next_pc.next = bit_cast::<8, 11>(self.dadr.val());
                            }
                        }
                    } else if self.opd[14].q.val() {
                        self.retries.d.next = bit_cast::<8, 10>(self.imm.val());
                    } else if self.opd[15].q.val() {
                        self.next_pc.next = bit_cast::<8, 10>(self.target.val());
                    } else if self.opd[16].q.val() {
                        if self.cmd_r.q.val() == bit_cast::<8, 10>(self.imm.val()) {
                            self.next_pc.next = bit_cast::<8, 10>(self.target.val());
                        }
                    } else if self.opd[17].q.val() {
                        if !self.len_eq.q.val() {
                            self.finish.next = true;
                            self.fin_status.next = self.s_bad_length.val();
                        }
                    } else if self.opd[19].q.val() {
                        if self.health.failed.val() {
                            self.finish.next = true;
                            self.fin_status.next = self.s_rng_failure.val();
                        }
                    } else if self.opd[20].q.val() {
                        // INC: read the least significant byte first.
                        self.carry.d.next = true;
                        self.phase.d.next = DPhase::Inc;
                    } else if self.opd[21].q.val() {
                        // FLAGS (its write is below, on st_flags).
                    } else {
                        // SEC_CM: DECODE.ILLEGAL_HALTS
                        self.finish.next = true;
                        self.fin_status.next = self.s_engine_fault.val();
                    }
                }
                DPhase::Act => {
                    // (It retires below, unless a check here fails.)
                    // CMP's and REQUIRE's verdict, from the registered
                    // equality: the compare stays off the retirement's path.
                    if (self.opd[18].q.val() || self.opd[6].q.val()) && !self.eq.q.val() {
                        self.act_fail.next = true;
                        self.finish.next = true;
                        self.fin_status.next = bit_cast::<8, 10>(self.imm.val());
                    }
                    if self.opd[4].q.val() {
                        if (self.rxm.read_data.val() & self.c_slot_hi.val()) != 0 {
                            self.act_fail.next = true;
                            self.finish.next = true;
                            self.fin_status.next = self.s_bad_slot.val();
                        } else {
                            self.slot_r.d.next = bit_cast::<3, 8>(self.rxm.read_data.val());
                        }
                    }
                    if self.opd[7].q.val()
                        && ((self.rxm.read_data.val() & !self.c_requestable.val()) != 0)
                    {
                        self.act_fail.next = true;
                        self.finish.next = true;
                        self.fin_status.next = self.s_bad_policy.val();
                    }
                    if self.opd[8].q.val() {
                        self.slots.write_enable.next = true;
                        self.slots.write_address.next = self.pol_addr.val();
                        self.slots.write_data.next = (self.rxm.read_data.val()
                            & self.c_requestable.val())
                            | self.c_valid.val();
                    }
                    if self.opd[9].q.val() {
                        self.slots.write_enable.next = true;
                        self.slots.write_address.next = self.pol_addr.val();
                        self.slots.write_data.next =
                            self.slots.read_data.val() | bit_cast::<8, 10>(self.imm.val());
                    }
                    if self.opd[22].q.val() {
                        self.txm.write_enable.next = true;
                        self.txm.write_address.next = bit_cast::<8, 11>(self.dadr.val());
                        self.txm.write_data.next = self.slots.read_data.val();
                    }
                }
                DPhase::Stream => {
                    if self.opd[18].q.val() {
                        self.eq.d.next =
                            self.eq.q.val() && (self.p_data.val() == self.q_data.val());
                        self.i_n.next = self.i.q.val() + 1;
                        self.last.d.next = self.last_next.val();
                        if self.last.q.val() {
                            self.phase.d.next = DPhase::Act;
                        }
                    } else if self.opd[6].q.val() {
                        // REQUIRE: mask in len, value in target, status in imm.
                        self.eq.d.next = (self.slots.read_data.val()
                            & bit_cast::<8, 9>(self.ilen.val()))
                            == bit_cast::<8, 10>(self.target.val());
                        self.phase.d.next = DPhase::Act;
                    } else {
                        // MOVE byte i (read one cycle earlier), unless SHA is busy.
                        if !self.stall.val() {
                            self.do_write.next = true;
                            self.i_n.next = self.i.q.val() + 1;
                            self.last.d.next = self.last_next.val();
                            if self.mv_last.val() && self.st_to_sha.q.val() && self.sha.fills.val()
                            {
                                self.phase.d.next = DPhase::WaitSha;
                            }
                        }
                    }
                }
                DPhase::Raw => {
                    // One raw bit a cycle while SHA can take bytes.
                    if !self.sha.busy.val() {
                        self.raw_step.next = true;
                        self.health.valid.next = true;
                        self.rawsr.d.next = self.q_data.val();
                        self.bitc.d.next = self.bitc.q.val() + 1;
                        if self.bitc.q.val() == 7 {
                            self.do_write.next = true;
                            self.i_n.next = self.i.q.val() + 1;
                            self.last.d.next = self.last_next.val();
                            if self.raw_last.val() && self.sha.fills.val() {
                                self.phase.d.next = DPhase::WaitSha;
                            }
                        }
                    }
                }
                DPhase::WaitSha => {}
                DPhase::WaitEngine => {
                    if self.engine.done.val() {
                        self.eng_err.d.next = self.engine.err.val();
                    }
                }
                DPhase::Inc => {
                    self.slots.write_enable.next = true;
                    // (The byte read in the previous cycle.)
                    self.slots.write_address.next = self.inc_rd.q.val() + 1;
                    self.slots.write_data.next = self.inc_sum.val();
                    self.carry.d.next = self.carry.q.val() && (self.slots.read_data.val() == 0xff);
                    self.r.d.next = self.r.q.val() + 1;
                }
            },
            _ => {
                self.cstate.d.next = CState::Idle;
            }
        }

        // ---- SHA-256's strobes, then the byte write of MOVE ----
        // The strobes to SHA-256 and the engine come from flip-flops set a
        // cycle ahead from the next state (the end of update), not through
        // the priority chains above. The write, a MOVE streaming or a raw
        // byte's 8th bit into SHA, is a kept wire one LUT after them, so
        // that the core's `take` is one LUT after it. The write does not
        // wait for the stall: the core takes no byte while busy (exactly
        // when the stall holds the MOVE back), so its busy flag need not go
        // round through the controller to its input.
        self.k_sha_wr.d.next =
            (self.st_move.q.val() || self.st_raw8.q.val()) && self.st_to_sha.q.val();
        self.sha.wr.next = self.k_sha_wr.q.val();
        // SHA_FINISH, SHA_INIT and ENGINE in their first cycle.
        self.sha.finish.next = self.st_sha_fin.q.val();
        self.sha.init.next = self.st_sha_init.q.val();
        self.engine.start.next = self.st_eng_start.q.val();
        if self.st_flags.q.val() {
            self.txm.write_enable.next = true;
            self.txm.write_address.next = bit_cast::<8, 11>(self.dadr.val());
            self.txm.write_data.next = self.c_static_flags.val();
            if self.health.failed.val() {
                self.txm.write_data.next = self.c_static_flags.val() | self.c_flag_rng_failed.val();
            }
        }
        if self.do_write.val() {
            if self.dsp.val() == self.c_sp_tx.val() {
                self.txm.write_enable.next = true;
            }
            if self.dsp.val() == self.c_sp_slot.val() {
                self.slots.write_enable.next = true;
            }
            if self.dsp.val() == self.c_sp_eng.val() {
                self.rowbuf.d.next = self.row_in.val();
                if (self.i.q.val() & self.c_row_byte_mask.val()) == self.c_row_byte_mask.val() {
                    self.ew_we.d.next = true;
                }
            }
        }
        // MOVE reads: the source at i_rd (set above, held on a stall). CMP
        // reads both operands at i_rd, each from its own memory.
        if (self.phase.q.val() == DPhase::Start) || (self.phase.q.val() == DPhase::Stream) {
            if self.opd[18].q.val() {
                if self.dsp.val() == self.c_sp_rx.val() {
                    self.rxm.read_address.next = bit_cast::<7, 11>(self.p_rd.val());
                }
                if self.dsp.val() == self.c_sp_tx.val() {
                    self.txm.read_address.next = bit_cast::<8, 11>(self.p_rd.val());
                }
                if self.dsp.val() == self.c_sp_const.val() {
                    self.konst.address.next = bit_cast::<8, 11>(self.p_rd.val());
                }
            } else {
                self.rxm.read_address.next = bit_cast::<7, 11>(self.q_rd.val());
                self.txm.read_address.next = bit_cast::<8, 11>(self.q_rd.val());
                self.konst.address.next = bit_cast::<8, 11>(self.q_rd.val());
            }
        }

        // The slot memory's read address, as one two-level choice (it is on
        // the clock's critical path): a MOVE or CMP whose destination is the
        // slot memory reads at p_rd; REQUIRE, ORPOL and POLICY read the
        // slot's policy byte, INC its counter's bytes from the least
        // significant (addresses known a cycle early); else q_rd.
        self.slot_early.next = self.pol_addr.val();
        if self.opd[20].q.val() || (self.phase.q.val() == DPhase::Inc) {
            self.slot_early.next = self.inc_rd.q.val();
        }
        self.slot_use_early.next = (self.cstate.q.val() == CState::Exec)
            && (((self.phase.q.val() == DPhase::Start)
                && (self.opd[6].q.val()
                    || self.opd[9].q.val()
                    || self.opd[22].q.val()
                    || self.opd[20].q.val()))
                || (self.phase.q.val() == DPhase::Inc));
        self.slot_use_p.next = ((self.phase.q.val() == DPhase::Start)
            || (self.phase.q.val() == DPhase::Stream))
            && self.opd[18].q.val()
            && (self.dsp.val() == self.c_sp_slot.val());
        self.slots.read_address.next = bit_cast::<10, 11>(self.q_rd.val());
        if self.slot_use_early.val() {
            self.slots.read_address.next = self.slot_early.val();
        }
        if self.slot_use_p.val() {
            self.slots.read_address.next = bit_cast::<10, 11>(self.p_rd.val());
        }

        // ---- Retirement ----
        // Each phase's condition for retiring, ANDed with its phase test
        // (registers) and ORed, rather than from the controller's priority
        // chain: SHA-256's and the engine's flags (flip-flops) then sit a
        // few LUTs before the program's read enable and the pc.
        self.ret_fixed.d.next = (self.opd[1].d.val() && self.len_zero.d.val())
            || self.opd[5].d.val()
            || self.opd[12].d.val()
            || self.opd[13].d.val()
            || self.opd[14].d.val()
            || self.opd[15].d.val()
            || self.opd[16].d.val()
            || (self.opd[17].d.val() && self.len_eq.d.val())
            || self.opd[21].d.val();
        self.ret_start.next =
            self.ret_fixed.q.val() || (self.opd[19].q.val() && !self.health.failed.val());
        self.retire.next = (self.cstate.q.val() == CState::Exec)
            && (((self.phase.q.val() == DPhase::Start) && self.ret_start.val())
                || (self.mv_last.val() && !(self.st_to_sha.q.val() && self.sha.fills.val()))
                || (self.raw_last.val() && !self.sha.fills.val())
                || ((self.phase.q.val() == DPhase::WaitSha) && self.sha.ends.val())
                || ((self.phase.q.val() == DPhase::WaitEngine) && self.engine.done.val())
                || ((self.phase.q.val() == DPhase::Inc) && (self.r.q.val() == 3)));
        // Act always ends the instruction, retiring it or finishing the
        // command (when the pc no longer matters: idle reads address 0), so
        // the pc moves on there whatever the outcome, which stays off the
        // program memory's address.
        self.in_act.next =
            (self.cstate.q.val() == CState::Exec) && (self.phase.q.val() == DPhase::Act);
        self.leaving.next = self.retire.val() || self.in_act.val();
        if self.leaving.val() {
            self.pc_n.next = self.next_pc.val();
        }
        // Act's checks decide only whether it retires or finishes: not
        // whether the pc moves on (retire above holds the other phases' only).
        if self.in_act.val() && !self.act_fail.val() {
            self.retire.next = true;
        }
        if self.retire.val() {
            self.cstate.d.next = CState::Fetch;
            self.t_valid.d.next = true;
            self.t_pc.d.next = self.pc.q.val();
        }
        if self.finish.val() {
            self.cstate.d.next = CState::Idle;
            self.resp_status.d.next = self.fin_status.val();
            self.resp_tag.d.next = self.run_tag.q.val();
            self.resp_len.d.next = self.fin_len.val();
            self.t_valid.d.next = true;
            self.t_pc.d.next = self.pc.q.val();
        }

        // ---- Frame unit ----
        self.spi.sclk.next = self.sclk.val();
        self.spi.mosi.next = self.mosi.val();
        self.spi.cs_n.next = self.cs_n.val();
        self.spi.tx_byte.next = self.txb.q.val();
        self.crc_rx.crc_in.next = self.crc_rx_r.q.val();
        self.crc_rx.data.next = self.spi.rx_byte.val();
        self.crc_tx.crc_in.next = self.crc_tx_r.q.val();
        self.crc_tx.data.next = self.txb.q.val();
        self.req_len.next =
            (bit_cast::<16, 8>(self.lenh.q.val()) << 8) | bit_cast::<16, 8>(self.lenl.q.val());
        self.len_hi.next = self.lenh.q.val();
        self.len_lo.next = self.lenl.q.val();
        if self.spi.start.val() {
            // Byte 0 (0xff) is loaded now.
            self.nbytes.d.next = 0.into();
            self.crc_rx_r.d.next = 0xffff.into();
            self.crc_tx_r.d.next = 0xffff.into();
            self.tx_idx.d.next = 1.into();
        }
        if self.spi.rx_valid.val() {
            if self.nbytes.q.val() != 1023 {
                self.nbytes.d.next = self.nbytes.q.val() + 1;
            }
            if self.nbytes.q.val() != 0 {
                self.crc_rx_r.d.next = self.crc_rx.crc_out.val();
            }
            if self.nbytes.q.val() == 0 {
                self.op_r.d.next = self.spi.rx_byte.val();
                // The response a read transaction returns, fixed at its start.
                self.rd_status.d.next = self.resp_status.q.val();
                self.rd_tag.d.next = self.resp_tag.q.val();
                self.rd_len.d.next = self.resp_len.q.val();
                if self.cstate.q.val() != CState::Idle {
                    self.rd_status.d.next = self.s_busy.val();
                    self.rd_tag.d.next = self.run_tag.q.val();
                    self.rd_len.d.next = 0.into();
                }
                if self.spi.rx_byte.val() == self.c_op_response.val() {
                    self.txb.d.next = self.resp_status.q.val();
                    if self.cstate.q.val() != CState::Idle {
                        self.txb.d.next = self.s_busy.val();
                    }
                }
            }
            if self.nbytes.q.val() == 1 {
                self.tag_r.d.next = self.spi.rx_byte.val();
            }
            // (Not while a command runs: CMDIS reads it.)
            if (self.nbytes.q.val() == 2) && (self.cstate.q.val() == CState::Idle) {
                self.cmd_r.d.next = self.spi.rx_byte.val();
            }
            if self.nbytes.q.val() == 3 {
                self.lenh.d.next = self.spi.rx_byte.val();
                self.len_hi.next = self.spi.rx_byte.val();
            }
            if self.nbytes.q.val() == 4 {
                self.lenl.d.next = self.spi.rx_byte.val();
                self.len_lo.next = self.spi.rx_byte.val();
            }
            if (self.nbytes.q.val() == 3) || (self.nbytes.q.val() == 4) {
                self.full_len.d.next = ((bit_cast::<10, 8>(self.len_hi.val()) << 8)
                    | bit_cast::<10, 8>(self.len_lo.val()))
                    + 7;
            }
            if (self.nbytes.q.val() >= 5)
                && (self.nbytes.q.val() < 133)
                && (self.op_r.q.val() == self.c_op_request.val())
                && (self.cstate.q.val() == CState::Idle)
            {
                self.rxm.write_enable.next = true;
                self.rxm.write_address.next = bit_cast::<7, 10>(self.nbytes.q.val() - 5);
            }
        }
        // The next byte of a response transaction (index tx_idx + 1).
        self.tx_next.next = 0xff.into();
        if self.tx_idx.q.val() == 1 {
            self.tx_next.next = self.rd_tag.q.val();
        }
        if self.tx_idx.q.val() == 2 {
            self.tx_next.next = bit_cast::<8, 9>(self.rd_len.q.val() >> 8);
        }
        if self.tx_idx.q.val() == 3 {
            self.tx_next.next = bit_cast::<8, 9>(self.rd_len.q.val());
        }
        if bit_cast::<10, 9>(self.rd_len.q.val()) + 4 == self.tx_idx.q.val() {
            self.tx_next.next = self.crc_tx.crc_out.val().get_bits::<8>(8);
        }
        if bit_cast::<10, 9>(self.rd_len.q.val()) + 5 == self.tx_idx.q.val() {
            self.tx_next.next = self.crc_tx_r.q.val().get_bits::<8>(0);
        }
        // While idle the frame unit owns TX's read port: the payload byte
        // after the one last loaded (index tx_idx + 1, TX address tx_idx - 4).
        if self.cstate.q.val() == CState::Idle {
            self.txm.read_address.next = bit_cast::<8, 10>(self.tx_idx.q.val() - 4);
        }
        self.tx_fetch.d.next = false;
        if self.tx_fetch.q.val() {
            self.txb.d.next = self.txm.read_data.val();
        }
        if self.spi.tx_load.val() && !self.spi.start.val() {
            self.tx_idx.d.next = self.tx_idx.q.val() + 1;
            if (self.tx_idx.q.val() >= 1)
                && (self.tx_idx.q.val() <= bit_cast::<10, 9>(self.rd_len.q.val()) + 4)
            {
                self.crc_tx_r.d.next = self.crc_tx.crc_out.val();
            }
            self.txb.d.next = 0xff.into();
            if (self.op_r.q.val() == self.c_op_response.val()) && (self.tx_idx.q.val() >= 1) {
                self.txb.d.next = self.tx_next.val();
                // Payload bytes come from TX: read at tx_idx + 1 - 5 next cycle.
                if (self.tx_idx.q.val() >= 4)
                    && (self.tx_idx.q.val() < bit_cast::<10, 9>(self.rd_len.q.val()) + 4)
                {
                    self.tx_fetch.d.next = true;
                }
            }
        }
        if self.spi.stop.val() {
            self.txb.d.next = 0xff.into();
        }
        // The frame check's verdict on the registered count, length and
        // CRC (see stop_r).
        self.fc_ok.d.next = false;
        if self.nbytes.q.val() < 5 {
            self.fc_status.d.next = self.s_truncated.val();
        } else if self.req_len.val() > self.c_max_payload.val() {
            self.fc_status.d.next = self.s_oversize.val();
        } else if self.nbytes.q.val() < self.full_len.q.val() {
            self.fc_status.d.next = self.s_truncated.val();
        } else if self.nbytes.q.val() > self.full_len.q.val() {
            self.fc_status.d.next = self.s_bad_length.val();
        } else if self.crc_rx_r.q.val() != 0 {
            self.fc_status.d.next = self.s_bad_crc.val();
        } else {
            self.fc_status.d.next = self.s_ok.val();
            self.fc_ok.d.next = true;
        }
        self.stop_r.d.next = self.spi.stop.val();
        if self.cstate.q.val() != CState::Idle {
            self.tr_busy.d.next = true;
        }
        if self.spi.start.val() {
            self.tr_busy.d.next = self.cstate.q.val() != CState::Idle;
        }
        if self.stop_r.q.val()
            && (self.nbytes.q.val() != 0)
            && (self.cstate.q.val() == CState::Idle)
            && !self.tr_busy.q.val()
        {
            if self.op_r.q.val() == self.c_op_request.val() {
                self.resp_tag.d.next = 0.into();
                if self.nbytes.q.val() >= 2 {
                    self.resp_tag.d.next = self.tag_r.q.val();
                }
                self.resp_len.d.next = 0.into();
                self.resp_status.d.next = self.fc_status.q.val();
                if self.fc_ok.q.val() {
                    // Accept: the controller runs the command from address 0.
                    self.resp_tag.d.next = self.resp_tag.q.val();
                    self.resp_status.d.next = self.resp_status.q.val();
                    self.resp_len.d.next = self.resp_len.q.val();
                    self.run_tag.d.next = self.tag_r.q.val();
                    self.rx_len.d.next = bit_cast::<9, 16>(self.req_len.val());
                    self.cstate.d.next = CState::Fetch;
                }
            } else if self.op_r.q.val() != self.c_op_response.val() {
                self.resp_status.d.next = self.s_bad_op.val();
                self.resp_tag.d.next = 0.into();
                self.resp_len.d.next = 0.into();
            }
        }

        self.pc.d.next = self.pc_n.val();
        // The program is read at pc_n (see hdl/src/rom.rs): the next pc
        // (0 while idle) under an enable, so that the late retirement is
        // the enable and not a multiplexer before the address. Nor is the
        // address read off next_pc (the end of the controller's priority
        // chain): the branch's outcome, registered in Fetch, chooses it
        // (the word read matters only under the enable).
        self.prog.address.next = 0.into();
        if self.cstate.q.val() != CState::Idle {
            self.prog.address.next = self.pc.q.val() + 1;
            if self.br_tgt.q.val() {
                self.prog.address.next = bit_cast::<8, 10>(self.target.val());
            }
            if self.br_dadr.q.val() {
                self.prog.address.next = bit_cast::<8, 11>(self.dadr.val());
            }
        }
        self.prog.read_enable.next = (self.cstate.q.val() == CState::Idle) || self.leaving.val();
        // Byte i is the instruction's last, registered a cycle ahead from i's
        // next value (the instruction word, and so its length, stays from
        // Fetch to retirement; only Stream and Raw read it): set in Fetch
        // (i = 0) and wherever i advances, from a test of registers made
        // before it is known whether i advances; it holds with i.
        self.i.d.next = self.i_n.val();

        // ---- The strobes of the next cycle ----
        // From the final values of the state's inputs (so after all their
        // assignments): the strobes above, each what its decode of the
        // registered state would give (`Device::flat_state_mismatch`
        // checks it every cycle). The space is the instruction's from
        // Fetch to retirement, and the strobes only come after Fetch, so
        // the one registered from this cycle's decode is the next cycle's.
        self.st_move.d.next = (self.cstate.d.val() == CState::Exec)
            && (self.phase.d.val() == DPhase::Stream)
            && self.opd[1].d.val();
        self.st_raw8.d.next = (self.cstate.d.val() == CState::Exec)
            && (self.phase.d.val() == DPhase::Raw)
            && (self.bitc.d.val() == 7);
        self.st_to_sha.d.next = self.to_sha.val();
        // The stall's and the read index's phase tests (any state).
        self.st_stream_mv.d.next = (self.phase.d.val() == DPhase::Stream) && self.opd[1].d.val();
        self.st_not_start.d.next = self.phase.d.val() != DPhase::Start;
        self.start_n.next =
            (self.cstate.d.val() == CState::Exec) && (self.phase.d.val() == DPhase::Start);
        self.st_sha_fin.d.next = self.start_n.val() && self.opd[11].d.val();
        self.st_sha_init.d.next = self.start_n.val() && self.opd[10].d.val();
        self.st_eng_start.d.next = self.start_n.val() && self.opd[2].d.val();
        self.st_flags.d.next = self.start_n.val() && self.opd[21].d.val();
        // ---- Outputs ----
        self.miso.next = self.spi.miso.val();
        self.busy.next = self.cstate.q.val() != CState::Idle;
        self.dev_valid.next = self.t_valid.q.val();
        self.dev_pc.next = self.t_pc.q.val();
    }
}
