//! The device's command programs. The frame unit has already checked the
//! frame (length against the bytes received, CRC); these programs dispatch
//! on the command, check its payload length, slot and policy, move data,
//! run the engine, and finish with a status and a reply length.
//!
//! Every path that placed a secret (private key, nonce, shared secret) in
//! the engine or the SHA unit leaves through `scrub`, which overwrites the
//! engine's variable registers, the controller's row buffer (its last row
//! of zeros) and the SHA state before the response becomes readable (SEC_CM: DEVICE.SCRUB).

use super::asm::at::*;
use super::asm::{DevAsm, DevAsmError, DevProgram};
use super::image::rom;
use super::isa::DevInstr;
use crate::isa::{err, reg};
use crate::microcode::Routine;
use crate::ops::Firmware;
use crate::protocol::{cmd, slot, slot_mem, statement, status};

/// Retries of a random draw that the engine refused (a private key or nonce
/// out of range, or an ECDSA r or s of zero): each has probability below
/// 2^-32 for a working source, so a ninth failure means the source is
/// broken.
pub const DRAW_RETRIES: u8 = 8;

const fn u(x: usize) -> u16 {
    x as u16
}

struct Gen<'a> {
    a: DevAsm,
    engine: &'a Firmware,
}

impl Gen<'_> {
    fn engine(&mut self, r: Routine) {
        let entry = self.engine.entry(r);
        self.a.op(DevInstr::Engine { entry });
    }

    /// 32 conditioned random bytes into an engine register: SHA-256 of 64
    /// raw bytes (512 raw bits). The health tests are checked after the
    /// draw, so that bits that failed them are never used: a source that
    /// fails during this draw ends the command with RNG_FAILURE.
    fn random_into(&mut self, r: crate::isa::Reg) {
        self.a.op(DevInstr::ShaInit);
        self.a.mov(SHA, RAW, 64);
        self.a.op(DevInstr::ShaFinish);
        // SEC_CM: RNG.HEALTH_AFTER_DRAW
        self.a.op(DevInstr::Health);
        self.a.mov(eng(r), SHA, 32);
    }

    /// slot := RX[0], then the policy checks.
    fn slot_with(&mut self, checks: &[(u8, u8, u8)]) {
        self.a.op(DevInstr::Slot { addr: 0 });
        for &(mask, value, st) in checks {
            self.a.op(DevInstr::Require {
                mask,
                value,
                status: st,
            });
        }
    }

    fn scrub(&mut self) {
        // SEC_CM: DEVICE.SCRUB
        self.a.mov(eng(reg::D), konst(u(rom::ZEROS)), 32);
        self.engine(Routine::Clear);
        self.a.op(DevInstr::ShaInit);
    }

    fn dispatch(&mut self) {
        let table = [
            (cmd::INFO, "info"),
            (cmd::SELF_TEST, "self_test"),
            (cmd::KEYGEN, "keygen"),
            (cmd::IMPORT, "import"),
            (cmd::PUBKEY, "pubkey"),
            (cmd::SIGN, "sign"),
            (cmd::ECDH, "ecdh"),
            (cmd::LOCK, "lock"),
            (cmd::ATTEST, "attest"),
        ];
        for (c, l) in table {
            self.a.if_cmd(c, l);
        }
        self.a.done(status::UNKNOWN_COMMAND, 0);
    }

    fn len_check(&mut self, c: u8) {
        let len = crate::protocol::request_len(c).expect("a defined command") as u16;
        self.a.op(DevInstr::LenEq { len });
    }

    fn info(&mut self) {
        use crate::protocol::info;
        self.a.label("info");
        self.len_check(cmd::INFO);
        self.a.mov(tx(0), konst(u(rom::INFO_HEAD)), 4);
        self.a.op(DevInstr::Flags {
            addr: u(info::FLAGS),
        });
        self.a
            .mov(tx(u(info::DEVICE_ID)), slot(u(slot_mem::DEVICE_ID)), 16);
        self.a
            .mov(tx(u(info::MEASUREMENT)), slot(u(slot_mem::MEASUREMENT)), 32);
        self.a
            .mov(tx(u(info::COUNTER)), slot(u(slot_mem::COUNTER)), 4);
        self.a.done(status::OK, u(info::LEN));
    }

    fn self_test(&mut self) {
        self.a.label("self_test");
        self.len_check(cmd::SELF_TEST);
        self.a.op(DevInstr::ShaInit);
        self.a
            .mov(SHA, konst(u(rom::SHA_KAT_MSG)), u(rom::SHA_KAT_LEN));
        self.a.op(DevInstr::ShaFinish);
        let fail = status::SELF_TEST_FAILED;
        self.a.op(DevInstr::Cmp {
            a: SHA,
            b: konst(u(rom::SHA_KAT_DIGEST)),
            len: 32,
            status: fail,
        });
        self.a.mov(eng(reg::D), konst(u(rom::ENGINE_KAT_D)), 32);
        self.engine(Routine::Keygen);
        self.a.on_err("abort");
        self.a.mov(tx(0), eng(reg::OUT0), 32);
        self.a.mov(tx(32), eng(reg::OUT1), 32);
        self.a.op(DevInstr::Cmp {
            a: tx(0),
            b: konst(u(rom::ENGINE_KAT_X)),
            len: 32,
            status: fail,
        });
        self.a.op(DevInstr::Cmp {
            a: tx(32),
            b: konst(u(rom::ENGINE_KAT_Y)),
            len: 32,
            status: fail,
        });
        self.a.op(DevInstr::Health);
        self.scrub();
        self.a.done(status::OK, 0);
    }

    /// KEYGEN and IMPORT share the store.
    fn keygen_import(&mut self) {
        let unlocked = (slot::LOCKED, 0, status::SLOT_LOCKED);
        self.a.label("keygen");
        self.len_check(cmd::KEYGEN);
        self.slot_with(&[unlocked]);
        self.a.op(DevInstr::CheckPolicy { addr: 1 });
        self.a.op(DevInstr::Health);
        self.a.op(DevInstr::SetRetry { n: DRAW_RETRIES });
        self.a.label("keygen_draw");
        self.random_into(reg::D);
        self.engine(Routine::Keygen);
        self.a.retry(1 << err::SCALAR, "keygen_draw", "abort");
        self.a.on_err("abort");
        self.a.jmp("store_key");

        self.a.label("import");
        self.len_check(cmd::IMPORT);
        self.slot_with(&[unlocked]);
        self.a.op(DevInstr::CheckPolicy { addr: 1 });
        self.a.mov(eng(reg::D), rx(2), 32);
        self.engine(Routine::Keygen);
        self.a.on_err("abort");

        self.a.label("store_key");
        self.a.mov(record(u(slot_mem::PRIVATE)), eng(reg::D), 32);
        self.a
            .mov(record(u(slot_mem::PUBLIC_X)), eng(reg::OUT0), 32);
        self.a
            .mov(record(u(slot_mem::PUBLIC_Y)), eng(reg::OUT1), 32);
        self.a.op(DevInstr::SetPolicy { addr: 1 });
        self.a.mov(tx(0), eng(reg::OUT0), 32);
        self.a.mov(tx(32), eng(reg::OUT1), 32);
        self.a.jmp("done_secret_64");
    }

    fn pubkey(&mut self) {
        self.a.label("pubkey");
        self.len_check(cmd::PUBKEY);
        self.slot_with(&[(slot::VALID, slot::VALID, status::SLOT_EMPTY)]);
        self.a.op(DevInstr::PolicyByte { addr: 0 });
        self.a.mov(tx(1), record(u(slot_mem::PUBLIC_X)), 64);
        self.a.done(status::OK, 65);
    }

    fn sign(&mut self) {
        self.a.label("sign");
        self.len_check(cmd::SIGN);
        self.slot_with(&[
            (slot::VALID, slot::VALID, status::SLOT_EMPTY),
            (slot::SIGN, slot::SIGN, status::POLICY),
        ]);
        self.a.op(DevInstr::Health);
        self.a.mov(eng(reg::D), record(u(slot_mem::PRIVATE)), 32);
        self.a.mov(eng(reg::DIGEST), rx(1), 32);
        self.sign_loaded("sign_draw");
        self.a.mov(tx(0), eng(reg::OUT0), 32);
        self.a.mov(tx(32), eng(reg::OUT1), 32);
        self.a.label("done_secret_64");
        self.scrub();
        self.a.done(status::OK, 64);
    }

    /// Draw a nonce and sign D, DIGEST, retrying refused nonces.
    fn sign_loaded(&mut self, draw: &str) {
        self.a.op(DevInstr::SetRetry { n: DRAW_RETRIES });
        self.a.label(draw);
        self.random_into(reg::NONCE);
        self.engine(Routine::Sign);
        self.a
            .retry((1 << err::SCALAR) | (1 << err::RETRY), draw, "abort");
        self.a.on_err("abort");
    }

    fn ecdh(&mut self) {
        self.a.label("ecdh");
        self.len_check(cmd::ECDH);
        self.slot_with(&[
            (slot::VALID, slot::VALID, status::SLOT_EMPTY),
            (slot::ECDH, slot::ECDH, status::POLICY),
        ]);
        // The peer point is validated before the key is touched.
        self.a.mov(eng(reg::XP), rx(1), 32);
        self.a.mov(eng(reg::YP), rx(33), 32);
        self.engine(Routine::CheckPoint);
        self.a.on_err("abort");
        self.a.mov(eng(reg::XP), rx(1), 32);
        self.a.mov(eng(reg::YP), rx(33), 32);
        self.a.mov(eng(reg::D), record(u(slot_mem::PRIVATE)), 32);
        self.engine(Routine::Ecdh);
        self.a.on_err("abort");
        self.a.mov(tx(0), eng(reg::OUT0), 32);
        self.scrub();
        self.a.done(status::OK, 32);
    }

    fn lock(&mut self) {
        self.a.label("lock");
        self.len_check(cmd::LOCK);
        self.slot_with(&[(slot::VALID, slot::VALID, status::SLOT_EMPTY)]);
        self.a.op(DevInstr::OrPolicy { bits: slot::LOCKED });
        self.a.done(status::OK, 0);
    }

    fn attest(&mut self) {
        use statement as st;
        self.a.label("attest");
        self.len_check(cmd::ATTEST);
        self.a.op(DevInstr::SlotImm { n: slot::IDENTITY });
        let need = slot::VALID | slot::ATTEST;
        self.a.op(DevInstr::Require {
            mask: need,
            value: need,
            status: status::SLOT_EMPTY,
        });
        self.a.op(DevInstr::Health);
        self.a.mov(tx(u(st::MAGIC)), konst(u(rom::MAGIC)), 8);
        self.a.mov(tx(u(st::NONCE)), rx(0), 32);
        self.a
            .mov(tx(u(st::DEVICE_ID)), slot(u(slot_mem::DEVICE_ID)), 16);
        self.a
            .mov(tx(u(st::IDENTITY_KEY)), record(u(slot_mem::PUBLIC_X)), 64);
        self.a
            .mov(tx(u(st::MEASUREMENT)), slot(u(slot_mem::MEASUREMENT)), 32);
        self.a.mov(
            tx(u(st::POLICIES)),
            slot(u(slot_mem::POLICIES)),
            slot::COUNT as u16,
        );
        self.a.op(DevInstr::Inc {
            addr: u(slot_mem::COUNTER),
        });
        self.a
            .mov(tx(u(st::COUNTER)), slot(u(slot_mem::COUNTER)), 4);
        self.a
            .mov(tx(u(st::FLAGS)), konst(u(rom::STATEMENT_FLAGS)), 4);
        self.a.op(DevInstr::ShaInit);
        self.a.mov(SHA, tx(0), u(st::LEN));
        self.a.op(DevInstr::ShaFinish);
        self.a.mov(eng(reg::DIGEST), SHA, 32);
        self.a.mov(eng(reg::D), record(u(slot_mem::PRIVATE)), 32);
        self.sign_loaded("attest_draw");
        self.a.mov(tx(u(st::LEN)), eng(reg::OUT0), 32);
        self.a.mov(tx(u(st::LEN) + 32), eng(reg::OUT1), 32);
        self.scrub();
        self.a.done(status::OK, u(st::RESPONSE_LEN));
    }

    fn abort(&mut self) {
        self.a.label("abort");
        self.scrub();
        self.a.op(DevInstr::DoneErr);
    }
}

/// Assembles the device program; entry 0 is the dispatcher.
pub fn build(engine: &Firmware) -> Result<DevProgram, DevAsmError> {
    let mut g = Gen {
        a: DevAsm::new(),
        engine,
    };
    g.dispatch();
    g.info();
    g.self_test();
    g.keygen_import();
    g.pubkey();
    g.sign();
    g.ecdh();
    g.lock();
    g.attest();
    g.abort();
    g.a.finish()
}
