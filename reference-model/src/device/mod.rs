//! The whole SCU device at SPI-transaction level: the frame unit, the
//! device controller running [`firmware`] on its memories, the engine (the
//! instruction-set simulator), SHA-256 and the random source. It predicts
//! every reply byte and the number of cycles each command keeps the device
//! busy; the RTL is held to both.
//!
//! # Controller timing (cycles, fetch included)
//!
//! | instruction | cycles |
//! |---|---|
//! | MOVE between byte memories, or to or from an engine register | 2 + len |
//! | MOVE from RAW | 2 + 8 len |
//! | any MOVE into SHA | + 136 per block it completes |
//! | ENGINE | engine cycles + 3 |
//! | SHAINIT | 10 (the core overwrites its H words) |
//! | SHAFIN | 1 + padding bytes + 136 per block |
//! | SLOT, CHKPOL, SETPOL, ORPOL, POLICY | 3 |
//! | REQUIRE | 4 (the verdict takes a cycle of its own) |
//! | CMP | 3 + len (the verdict takes a cycle of its own) |
//! | INC | 6 |
//! | others | 2 |
//!
//! An engine register is a byte memory to MOVE: its rows are read and
//! written through the engine's host port as the bytes pass (the
//! controller buffers one row's bytes). A byte into SHA that completes a
//! block makes the core compress (`SHA_COMPRESS_CYCLES`) before the next
//! byte; when it is the instruction's last byte, the instruction ends with
//! the compression.

pub mod asm;
pub mod firmware;
pub mod image;
pub mod isa;
pub mod rng;
pub mod sha;
#[cfg(feature = "reference")]
pub mod suite;

use crate::isa::{err, Reg};
use crate::iss::Engine;
use crate::ops::Firmware;
use crate::protocol::{self, slot, slot_mem, status};
use crate::timing::Lanes;
use crate::words::U256;
use alloc::vec;
use alloc::vec::Vec;
use asm::DevProgram;
use image::Personalisation;
use isa::{At, DevInstr, Space, SHA_COMPRESS_CYCLES, SHA_INIT_CYCLES};
use rng::RawSource;
use sha::ShaUnit;

/// Upper bound on instructions of one command (the longest retires ~200).
pub const MAX_DEV_STEPS: u64 = 100_000;

/// The status an engine error register maps to (highest priority first:
/// illegal, point, scalar, then identity, fault and retry as faults).
pub fn engine_status(e: u8) -> u8 {
    let has = |b: u8| e & (1 << b) != 0;
    if has(err::ILLEGAL) {
        status::ENGINE_FAULT
    } else if has(err::POINT) {
        status::INVALID_POINT
    } else if has(err::SCALAR) {
        status::INVALID_SCALAR
    } else {
        status::ENGINE_FAULT
    }
}

/// Everything a device is built from: firmware and personalisation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceImage {
    /// Engine lanes (the build).
    pub lanes: Lanes,
    /// Engine microcode.
    pub engine: Firmware,
    /// Device program.
    pub program: DevProgram,
    /// Constant ROM.
    pub const_rom: [u8; image::rom::SIZE],
    /// Initial slot memory.
    pub slots: Vec<u8>,
    /// Seed of the simulated raw source.
    pub rng_seed: u32,
    /// Where the build's raw random bits come from.
    pub rng: image::RngSource,
}

impl DeviceImage {
    /// Builds the image of a device. Panics only if the built-in programs
    /// do not assemble, which the tests rule out.
    pub fn new(lanes: Lanes, p: &Personalisation) -> DeviceImage {
        DeviceImage::with_rng(lanes, image::RngSource::Simulated, p)
    }

    /// The image of a device whose raw random bits come from `rng`.
    pub fn with_rng(lanes: Lanes, rng: image::RngSource, p: &Personalisation) -> DeviceImage {
        let engine = Firmware::new();
        let program = firmware::build(&engine).expect("built-in device program assembles");
        let measurement = image::measurement(lanes, rng, engine.rom(), &program.words);
        DeviceImage {
            lanes,
            rng,
            const_rom: image::const_rom(lanes, rng),
            slots: image::initial_slots(p, &measurement),
            rng_seed: p.rng_seed,
            engine,
            program,
        }
    }

    /// The image reporting `measurement` instead of its firmware
    /// measurement: an FPGA build's, the hash of its template bitstream.
    pub fn with_measurement(mut self, measurement: [u8; 32]) -> DeviceImage {
        self.slots[Self::MEASUREMENT].copy_from_slice(&measurement);
        self
    }

    const MEASUREMENT: core::ops::Range<usize> = slot_mem::MEASUREMENT..slot_mem::MEASUREMENT + 32;

    /// The measurement INFO and attestation report: what the image's slot
    /// memory holds.
    pub fn measurement(&self) -> [u8; 32] {
        let mut m = [0u8; 32];
        m.copy_from_slice(&self.slots[Self::MEASUREMENT]);
        m
    }

    /// The measurement every device of the `lanes` build reports: it covers
    /// the firmware and constant template, not the personalisation, so a
    /// verifier computes its reference value from the build alone.
    pub fn build_measurement(lanes: Lanes) -> [u8; 32] {
        DeviceImage::build_measurement_with(lanes, image::RngSource::Simulated)
    }

    /// The measurement of the `lanes` build with the `rng` source.
    pub fn build_measurement_with(lanes: Lanes, rng: image::RngSource) -> [u8; 32] {
        let engine = Firmware::new();
        let program = firmware::build(&engine).expect("built-in device program assembles");
        image::measurement(lanes, rng, engine.rom(), &program.words)
    }
}

/// What the last accepted command did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CommandReport {
    /// Command code.
    pub command: u8,
    /// Tag.
    pub tag: u8,
    /// Final status.
    pub status: u8,
    /// Cycles the device was busy.
    pub busy_cycles: u64,
    /// Of those, cycles the engine ran.
    pub engine_cycles: u64,
    /// Device instructions retired.
    pub retired: u64,
}

/// One retired device instruction (for diagnosing the RTL).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DevTraceEvent {
    /// Cycle it retired on, from the command's start.
    pub cycle: u64,
    /// Its address.
    pub pc: u16,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Reply {
    status: u8,
    tag: u8,
    len: u16,
}

enum Flow {
    Next,
    Jump(u16),
    Done(u8, u16),
}

/// A simulated SCU.
#[derive(Clone, Debug)]
pub struct Device {
    image: DeviceImage,
    engine: Engine,
    rx: [u8; protocol::MAX_REQUEST_PAYLOAD],
    tx: [u8; protocol::MAX_RESPONSE_PAYLOAD],
    slots: Vec<u8>,
    sha: ShaUnit,
    raw: RawSource,
    /// An engine register in transit (a MOVE reads or writes it whole).
    staging: [u8; 32],
    command: u8,
    tag: u8,
    rx_len: u16,
    slot: u8,
    retries: u8,
    eng_err: u8,
    status_reg: u8,
    reply: Reply,
    now: u64,
    busy_until: u64,
    running_tag: u8,
    last: Option<CommandReport>,
    accepted: u64,
    busy_total: u64,
    engine_total: u64,
    trace: Vec<DevTraceEvent>,
}

impl Device {
    /// A device fresh from configuration.
    pub fn new(image: DeviceImage) -> Device {
        Device {
            engine: Engine::new(image.lanes),
            rx: [0; protocol::MAX_REQUEST_PAYLOAD],
            tx: [0; protocol::MAX_RESPONSE_PAYLOAD],
            slots: image.slots.clone(),
            sha: ShaUnit::default(),
            raw: RawSource::new(image.rng_seed),
            staging: [0; 32],
            command: 0,
            tag: 0,
            rx_len: 0,
            slot: 0,
            retries: 0,
            eng_err: 0,
            status_reg: 0,
            reply: Reply {
                status: status::NO_RESPONSE,
                tag: 0,
                len: 0,
            },
            now: 0,
            busy_until: 0,
            running_tag: 0,
            last: None,
            accepted: 0,
            busy_total: 0,
            engine_total: 0,
            trace: Vec::new(),
            image,
        }
    }

    /// The device's image.
    pub fn image(&self) -> &DeviceImage {
        &self.image
    }

    /// Slot memory (policies, counter, key records).
    pub fn slot_memory(&self) -> &[u8] {
        &self.slots
    }

    /// The raw random source's state.
    pub fn rng_snapshot(&self) -> rng::RawSnapshot {
        self.raw.snapshot()
    }

    /// Restores a persisted device state: slot memory and the random
    /// source. The device id and measurement stay the image's (they are
    /// personalisation, not state). False (and nothing changed) if the slot
    /// memory has the wrong size.
    pub fn restore(&mut self, slots: &[u8], raw: &rng::RawSnapshot) -> bool {
        match image::restored_slots(slots, &self.image.slots) {
            Some(m) => self.slots = m,
            None => return false,
        }
        self.raw = RawSource::restore(raw);
        true
    }

    /// The device clock.
    pub fn now(&self) -> u64 {
        self.now
    }

    /// Lets `cycles` pass.
    pub fn advance(&mut self, cycles: u64) {
        self.now = self.now.saturating_add(cycles);
    }

    /// A command is running.
    pub fn busy(&self) -> bool {
        self.now < self.busy_until
    }

    /// Cycles until the running command finishes.
    pub fn busy_remaining(&self) -> u64 {
        self.busy_until.saturating_sub(self.now)
    }

    /// The last accepted command.
    pub fn last_command(&self) -> Option<CommandReport> {
        self.last
    }

    /// Busy cycles of every command accepted so far.
    pub fn busy_total(&self) -> u64 {
        self.busy_total
    }

    /// Engine cycles of every command accepted so far.
    pub fn engine_total(&self) -> u64 {
        self.engine_total
    }

    /// How many requests the device has accepted (and run).
    pub fn accepted(&self) -> u64 {
        self.accepted
    }

    /// The device instructions the last command retired.
    pub fn last_trace(&self) -> &[DevTraceEvent] {
        &self.trace
    }

    /// One chip-select-low transaction: the bytes clocked out for `mosi`.
    pub fn transaction(&mut self, mosi: &[u8]) -> Vec<u8> {
        let mut miso = vec![protocol::IDLE_BYTE; mosi.len()];
        let Some(&op) = mosi.first() else { return miso };
        let busy = self.busy();
        match op {
            protocol::OP_RESPONSE => {
                let frame = self.response_frame(busy);
                for (m, b) in miso.iter_mut().skip(1).zip(frame) {
                    *m = b;
                }
            }
            protocol::OP_REQUEST if !busy => self.request(mosi),
            _ if !busy => {
                self.reply = Reply {
                    status: status::BAD_OP,
                    tag: 0,
                    len: 0,
                }
            }
            _ => {}
        }
        miso
    }

    fn response_frame(&self, busy: bool) -> Vec<u8> {
        let r = if busy {
            Reply {
                status: status::BUSY,
                tag: self.running_tag,
                len: 0,
            }
        } else {
            self.reply
        };
        let mut f = vec![r.status, r.tag, (r.len >> 8) as u8, r.len as u8];
        f.extend_from_slice(&self.tx[..r.len as usize]);
        let crc = protocol::crc16(&f);
        f.extend_from_slice(&crc.to_be_bytes());
        f
    }

    /// The frame unit: store the payload as it arrives, check the frame at
    /// chip-select rise, run the command or record the frame error.
    fn request(&mut self, mosi: &[u8]) {
        for (i, &b) in mosi.iter().enumerate().skip(1 + protocol::REQUEST_HEADER) {
            if let Some(r) = self.rx.get_mut(i - 1 - protocol::REQUEST_HEADER) {
                *r = b;
            }
        }
        let n = mosi.len();
        let tag = if n >= 2 { mosi[1] } else { 0 };
        let fail = |d: &mut Device, s: u8| {
            d.reply = Reply {
                status: s,
                tag,
                len: 0,
            }
        };
        if n < 1 + protocol::REQUEST_HEADER {
            return fail(self, status::TRUNCATED);
        }
        let len = ((mosi[3] as usize) << 8) | mosi[4] as usize;
        let full = 1 + protocol::REQUEST_HEADER + len + 2;
        if len > protocol::MAX_REQUEST_PAYLOAD {
            fail(self, status::OVERSIZE)
        } else if n < full {
            fail(self, status::TRUNCATED)
        } else if n > full {
            fail(self, status::BAD_LENGTH)
        } else if protocol::crc16(&mosi[1..n]) != 0 {
            fail(self, status::BAD_CRC)
        } else {
            self.command = mosi[2];
            self.tag = tag;
            self.rx_len = len as u16;
            self.run_command();
        }
    }

    fn run_command(&mut self) {
        self.trace.clear();
        let (mut pc, mut cycles, mut engine_cycles, mut retired) = (0u16, 0u64, 0u64, 0u64);
        let (st, len) = loop {
            let word = self
                .image
                .program
                .words
                .get(pc as usize)
                .copied()
                .unwrap_or(0);
            let (dur, flow, eng) = match DevInstr::decode(word) {
                Ok(i) => self.exec(&i),
                // SEC_CM: DECODE.ILLEGAL_HALTS
                Err(_) => (2, Flow::Done(status::ENGINE_FAULT, 0), 0),
            };
            cycles += dur;
            engine_cycles += eng;
            retired += 1;
            self.trace.push(DevTraceEvent {
                cycle: cycles - 1,
                pc,
            });
            match flow {
                Flow::Next => pc = (pc + 1) % asm::ROM_WORDS as u16,
                Flow::Jump(t) => pc = t,
                Flow::Done(s, l) => break (s, l),
            }
            if retired >= MAX_DEV_STEPS {
                break (status::ENGINE_FAULT, 0);
            }
        };
        self.reply = Reply {
            status: st,
            tag: self.tag,
            len,
        };
        self.running_tag = self.tag;
        self.busy_until = self.now + cycles;
        self.accepted += 1;
        self.busy_total += cycles;
        self.engine_total += engine_cycles;
        self.last = Some(CommandReport {
            command: self.command,
            tag: self.tag,
            status: st,
            busy_cycles: cycles,
            engine_cycles,
            retired,
        });
    }

    fn record_base(&self) -> usize {
        slot_mem::record(self.slot as usize)
    }

    fn read(&mut self, a: At, i: usize) -> u8 {
        let addr = a.addr as usize + i;
        match a.space {
            Space::Rx => self.rx[addr % protocol::MAX_REQUEST_PAYLOAD],
            Space::Tx => self.tx[addr % protocol::MAX_RESPONSE_PAYLOAD],
            Space::Slot => {
                let base = if a.rel { self.record_base() } else { 0 };
                self.slots[(base + addr) % slot_mem::SIZE]
            }
            Space::Const => self.image.const_rom[addr % image::rom::SIZE],
            Space::Sha => self.sha.digest_byte(addr % 32),
            Space::Raw => self.raw.byte(),
            Space::Eng => self.staging[i % 32],
        }
    }

    fn write(&mut self, a: At, i: usize, b: u8) -> u64 {
        let addr = a.addr as usize + i;
        match a.space {
            Space::Tx => self.tx[addr % protocol::MAX_RESPONSE_PAYLOAD] = b,
            Space::Slot => {
                let base = if a.rel { self.record_base() } else { 0 };
                self.slots[(base + addr) % slot_mem::SIZE] = b;
            }
            Space::Sha => return self.sha.write(b) as u64,
            Space::Eng => self.staging[i % 32] = b,
            Space::Rx | Space::Const | Space::Raw => {}
        }
        0
    }

    fn eng_reg(a: At) -> Reg {
        Reg((a.addr / 32) as u8)
    }

    /// Executes one instruction: (cycles, flow, engine cycles).
    fn exec(&mut self, i: &DevInstr) -> (u64, Flow, u64) {
        let policy_at = self.slot as usize % slot::COUNT + slot_mem::POLICIES;
        let done = |s: u8| Flow::Done(s, 0);
        match *i {
            DevInstr::Move { dst, src, len } => {
                if src.space == Space::Eng {
                    let v = self.engine.read(Self::eng_reg(src)).unwrap_or(U256::ZERO);
                    self.staging = v.to_be_bytes();
                }
                let mut blocks = 0;
                for k in 0..len as usize {
                    let b = self.read(src, k);
                    blocks += self.write(dst, k, b);
                }
                if dst.space == Space::Eng {
                    // Constant registers are refused by the assembler; the
                    // hardware ignores writes to them, as the model does.
                    let _ = self
                        .engine
                        .load(Self::eng_reg(dst), U256::from_be_bytes(&self.staging));
                }
                let base = if src.space == Space::Raw {
                    2 + rng::BITS_PER_BYTE * len as u64
                } else {
                    2 + len as u64
                };
                (base + SHA_COMPRESS_CYCLES * blocks, Flow::Next, 0)
            }
            DevInstr::Engine { entry } => {
                match self.engine.run(self.image.engine.rom(), entry, |_| {}) {
                    Ok(s) => {
                        self.eng_err = s.err;
                        (s.cycles + 3, Flow::Next, s.cycles)
                    }
                    Err(_) => (3, done(status::ENGINE_FAULT), 0),
                }
            }
            DevInstr::Done { status, len } => (2, Flow::Done(status, len), 0),
            DevInstr::DoneErr => (2, done(self.status_reg), 0),
            DevInstr::Slot { addr } => {
                let s = self.rx[addr as usize % protocol::MAX_REQUEST_PAYLOAD];
                if s as usize >= slot::COUNT {
                    (3, done(status::BAD_SLOT), 0)
                } else {
                    self.slot = s;
                    (3, Flow::Next, 0)
                }
            }
            DevInstr::SlotImm { n } => {
                self.slot = n % slot::COUNT as u8;
                (2, Flow::Next, 0)
            }
            DevInstr::Require {
                mask,
                value,
                status,
            } => {
                let ok = self.slots[policy_at] & mask == value;
                (4, if ok { Flow::Next } else { done(status) }, 0)
            }
            DevInstr::CheckPolicy { addr } => {
                let p = self.rx[addr as usize % protocol::MAX_REQUEST_PAYLOAD];
                (
                    3,
                    if p & !slot::REQUESTABLE == 0 {
                        Flow::Next
                    } else {
                        done(status::BAD_POLICY)
                    },
                    0,
                )
            }
            DevInstr::SetPolicy { addr } => {
                let p = self.rx[addr as usize % protocol::MAX_REQUEST_PAYLOAD];
                self.slots[policy_at] = (p & slot::REQUESTABLE) | slot::VALID;
                (3, Flow::Next, 0)
            }
            DevInstr::OrPolicy { bits } => {
                self.slots[policy_at] |= bits;
                (3, Flow::Next, 0)
            }
            DevInstr::PolicyByte { addr } => {
                self.tx[addr as usize % protocol::MAX_RESPONSE_PAYLOAD] = self.slots[policy_at];
                (3, Flow::Next, 0)
            }
            DevInstr::ShaInit => {
                self.sha.init();
                (SHA_INIT_CYCLES, Flow::Next, 0)
            }
            DevInstr::ShaFinish => {
                let (pad, blocks) = self.sha.finish();
                (1 + pad + SHA_COMPRESS_CYCLES * blocks, Flow::Next, 0)
            }
            DevInstr::OnErr { target } => {
                if self.eng_err != 0 {
                    self.status_reg = engine_status(self.eng_err);
                    (2, Flow::Jump(target), 0)
                } else {
                    (2, Flow::Next, 0)
                }
            }
            DevInstr::Retry {
                mask,
                target,
                abort,
            } => {
                if self.eng_err & mask == 0 {
                    (2, Flow::Next, 0)
                } else if self.retries > 0 {
                    self.retries -= 1;
                    (2, Flow::Jump(target), 0)
                } else {
                    self.status_reg = status::RNG_FAILURE;
                    (2, Flow::Jump(abort), 0)
                }
            }
            DevInstr::SetRetry { n } => {
                self.retries = n;
                (2, Flow::Next, 0)
            }
            DevInstr::Jmp { target } => (2, Flow::Jump(target), 0),
            DevInstr::IfCmd { command, target } => (
                2,
                if self.command == command {
                    Flow::Jump(target)
                } else {
                    Flow::Next
                },
                0,
            ),
            DevInstr::LenEq { len } => (
                2,
                if self.rx_len == len {
                    Flow::Next
                } else {
                    done(status::BAD_LENGTH)
                },
                0,
            ),
            DevInstr::Cmp { a, b, len, status } => {
                let mut same = true;
                for k in 0..len as usize {
                    same &= self.read(a, k) == self.read(b, k);
                }
                (
                    3 + len as u64,
                    if same { Flow::Next } else { done(status) },
                    0,
                )
            }
            DevInstr::Health => (
                2,
                if self.raw.failed() {
                    done(status::RNG_FAILURE)
                } else {
                    Flow::Next
                },
                0,
            ),
            DevInstr::Inc { addr } => {
                let a = addr as usize % slot_mem::SIZE;
                let mut v = [0u8; 4];
                for (k, b) in v.iter_mut().enumerate() {
                    *b = self.slots[(a + k) % slot_mem::SIZE];
                }
                let n = u32::from_be_bytes(v).wrapping_add(1).to_be_bytes();
                for (k, b) in n.iter().enumerate() {
                    self.slots[(a + k) % slot_mem::SIZE] = *b;
                }
                (6, Flow::Next, 0)
            }
            DevInstr::Flags { addr } => {
                let f = self.image.const_rom[image::rom::INFO_HEAD + protocol::info::FLAGS]
                    | if self.raw.failed() {
                        protocol::info::FLAG_RNG_FAILED
                    } else {
                        0
                    };
                self.tx[addr as usize % protocol::MAX_RESPONSE_PAYLOAD] = f;
                (2, Flow::Next, 0)
            }
        }
    }

    /// Forces the raw source's health tests to fail (tests of RNG_FAILURE).
    pub fn inject_rng_failure(&mut self) {
        for _ in 0..rng::RCT_CUTOFF {
            self.raw.test(true);
        }
    }
}
