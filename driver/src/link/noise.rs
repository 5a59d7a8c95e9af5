//! Noise on P-256 through `snow`, with the static key inside the SCU.
//!
//! The handshake is `Noise_XX_P256_ChaChaPoly_SHA256`: snow parses P-256
//! and its default resolver supplies SHA-256, ChaCha20-Poly1305 and the
//! random source; this resolver supplies the DH objects. The static one
//! never holds a private key: snow is given a *handle* naming the SCU slot
//! (see [`static_handle`]), and every DH with the static key is an ECDH
//! command on the SCU, which also validates the other side's point. The
//! ephemeral keys are made and used on the host with the `p256` crate, as
//! is usual for ephemeral keys; they are zeroised when dropped.

use crate::ops::{ScuError, ScuOps};
use crate::types::PublicKey;
use p256::elliptic_curve::sec1::ToEncodedPoint;
use snow::params::{CipherChoice, DHChoice, HashChoice};
use snow::resolvers::{CryptoResolver, DefaultResolver};
use snow::types::{Cipher, Dh, Hash, Random};
use std::sync::{Arc, Mutex};
use zeroize::Zeroize;

/// The handshake.
pub const PATTERN: &str = "Noise_XX_P256_ChaChaPoly_SHA256";

/// One SCU shared by every connection of a connector.
pub type SharedScu = Arc<Mutex<Box<dyn ScuOps>>>;

/// Locks the SCU (a panic elsewhere does not leave it in a state a later
/// command could misuse: each command is one transaction).
pub fn lock_scu(scu: &SharedScu) -> std::sync::MutexGuard<'_, Box<dyn ScuOps>> {
    scu.lock().unwrap_or_else(|p| p.into_inner())
}

const HANDLE_TAG: &[u8; 16] = b"SCU static slot:";

/// What snow is given as the "private key" of the static DH: a tag and the
/// slot number. Not a secret.
pub fn static_handle(slot: u8) -> [u8; 32] {
    let mut h = [0u8; 32];
    h[..16].copy_from_slice(HANDLE_TAG);
    h[16] = slot;
    h
}

/// The last SCU failure inside a handshake (snow only says "DH failed").
pub type FailureSlot = Arc<Mutex<Option<ScuError>>>;

/// Resolves P-256 DH to [`LinkDh`], the rest to snow's defaults.
pub struct ScuResolver {
    scu: SharedScu,
    slot: u8,
    static_public: [u8; 65],
    failure: FailureSlot,
}

impl ScuResolver {
    /// A resolver whose static key is `static_public`, held in `slot`.
    pub fn new(
        scu: SharedScu,
        slot: u8,
        static_public: &PublicKey,
        failure: FailureSlot,
    ) -> ScuResolver {
        ScuResolver {
            scu,
            slot,
            static_public: static_public.sec1(),
            failure,
        }
    }
}

impl CryptoResolver for ScuResolver {
    fn resolve_rng(&self) -> Option<Box<dyn Random>> {
        DefaultResolver.resolve_rng()
    }

    fn resolve_dh(&self, choice: &DHChoice) -> Option<Box<dyn Dh>> {
        match choice {
            DHChoice::P256 => Some(Box::new(LinkDh {
                key: Key::Empty,
                scu: self.scu.clone(),
                slot: self.slot,
                static_public: self.static_public,
                failure: self.failure.clone(),
            })),
            _ => None,
        }
    }

    fn resolve_hash(&self, choice: &HashChoice) -> Option<Box<dyn Hash>> {
        DefaultResolver.resolve_hash(choice)
    }

    fn resolve_cipher(&self, choice: &CipherChoice) -> Option<Box<dyn Cipher>> {
        DefaultResolver.resolve_cipher(choice)
    }
}

enum Key {
    Empty,
    /// An ephemeral key on the host.
    Host {
        secret: [u8; 32],
        public: [u8; 65],
    },
    /// The static key in the SCU.
    Scu {
        handle: [u8; 32],
    },
}

impl Drop for Key {
    fn drop(&mut self) {
        if let Key::Host { secret, .. } = self {
            secret.zeroize();
        }
    }
}

/// A P-256 DH object: host ephemeral or SCU static.
pub struct LinkDh {
    key: Key,
    scu: SharedScu,
    slot: u8,
    static_public: [u8; 65],
    failure: FailureSlot,
}

fn host_key(secret: [u8; 32]) -> Option<Key> {
    let sk = p256::SecretKey::from_bytes(&secret.into()).ok()?;
    let mut public = [0u8; 65];
    public.copy_from_slice(sk.public_key().to_encoded_point(false).as_bytes());
    Some(Key::Host { secret, public })
}

impl Dh for LinkDh {
    fn name(&self) -> &'static str {
        "P256"
    }
    fn pub_len(&self) -> usize {
        65
    }
    fn priv_len(&self) -> usize {
        32
    }
    fn dh_len(&self) -> usize {
        32
    }

    fn set(&mut self, privkey: &[u8]) {
        self.key =
            if privkey.len() == 32 && privkey[..16] == HANDLE_TAG[..] && privkey[16] == self.slot {
                let mut handle = [0u8; 32];
                handle.copy_from_slice(privkey);
                Key::Scu { handle }
            } else {
                // Only the static handle is ever set; anything else leaves no
                // key, and every DH with it fails.
                Key::Empty
            };
    }

    fn generate(&mut self, rng: &mut dyn Random) -> Result<(), snow::Error> {
        // Rejection sampling: a draw of 0 or >= n is redrawn.
        for _ in 0..64 {
            let mut s = [0u8; 32];
            rng.try_fill_bytes(&mut s)?;
            if let Some(k) = host_key(s) {
                self.key = k;
                return Ok(());
            }
            s.zeroize();
        }
        Err(snow::Error::Rng)
    }

    fn pubkey(&self) -> &[u8] {
        match &self.key {
            Key::Host { public, .. } => public,
            Key::Scu { .. } => &self.static_public,
            Key::Empty => &[],
        }
    }

    fn privkey(&self) -> &[u8] {
        match &self.key {
            Key::Host { secret, .. } => secret,
            Key::Scu { handle } => handle,
            Key::Empty => &[],
        }
    }

    fn dh(&self, pubkey: &[u8], out: &mut [u8]) -> Result<(), snow::Error> {
        match &self.key {
            Key::Host { secret, .. } => {
                let sk =
                    p256::SecretKey::from_bytes(&(*secret).into()).map_err(|_| snow::Error::Dh)?;
                let pk = p256::PublicKey::from_sec1_bytes(pubkey).map_err(|_| snow::Error::Dh)?;
                let z = p256::ecdh::diffie_hellman(sk.to_nonzero_scalar(), pk.as_affine());
                out[..32].copy_from_slice(&z.raw_secret_bytes()[..]);
                Ok(())
            }
            Key::Scu { .. } => {
                if pubkey.len() != 65 || pubkey[0] != 4 {
                    return Err(snow::Error::Dh);
                }
                let peer = PublicKey::from_xy(&pubkey[1..]).ok_or(snow::Error::Dh)?;
                match lock_scu(&self.scu).ecdh(self.slot, &peer) {
                    Ok(z) => {
                        out[..32].copy_from_slice(&z);
                        Ok(())
                    }
                    Err(e) => {
                        *self.failure.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                        Err(snow::Error::Dh)
                    }
                }
            }
            Key::Empty => Err(snow::Error::Dh),
        }
    }
}

/// A handshake state for one side, with the SCU holding the static key.
pub fn handshake(
    scu: &SharedScu,
    slot: u8,
    static_public: &PublicKey,
    initiator: bool,
    failure: &FailureSlot,
) -> Result<snow::HandshakeState, snow::Error> {
    let params = PATTERN.parse()?;
    let handle = static_handle(slot);
    let b = snow::Builder::with_resolver(
        params,
        Box::new(ScuResolver::new(
            scu.clone(),
            slot,
            static_public,
            failure.clone(),
        )),
    )
    .local_private_key(&handle)?;
    if initiator {
        b.build_initiator()
    } else {
        b.build_responder()
    }
}

#[cfg(all(test, feature = "model"))]
mod tests {
    use super::*;
    use crate::backend::model_scu;
    use crate::types::Policy;
    use scu_model::device::suite::test_image;
    use scu_model::device::Device;
    use scu_model::timing::Lanes;

    fn scu_with_key() -> (SharedScu, PublicKey) {
        let (mut s, _) = model_scu(Device::new(test_image(Lanes::FAST)));
        let q = s.keygen(1, Policy::ECDH).expect("keygen");
        (Arc::new(Mutex::new(Box::new(s) as Box<dyn ScuOps>)), q)
    }

    #[test]
    fn xx_between_two_scus_agrees_and_keeps_keys_inside() {
        let (a, qa) = scu_with_key();
        let (b, qb) = scu_with_key();
        let (fa, fb) = (FailureSlot::default(), FailureSlot::default());
        let mut i = handshake(&a, 1, &qa, true, &fa).expect("initiator");
        let mut r = handshake(&b, 1, &qb, false, &fb).expect("responder");
        let (mut m, mut p) = ([0u8; 1024], [0u8; 1024]);
        let n = i.write_message(&[], &mut m).expect("-> e");
        r.read_message(&m[..n], &mut p).expect("read");
        let n = r.write_message(&[], &mut m).expect("<- e, ee, s, es");
        i.read_message(&m[..n], &mut p).expect("read");
        let n = i.write_message(&[], &mut m).expect("-> s, se");
        r.read_message(&m[..n], &mut p).expect("read");
        assert!(i.is_handshake_finished() && r.is_handshake_finished());
        assert_eq!(i.get_handshake_hash(), r.get_handshake_hash());
        assert_eq!(
            i.get_remote_static(),
            Some(&qb.sec1()[..]),
            "the SCU's key is the static key"
        );
        assert_eq!(r.get_remote_static(), Some(&qa.sec1()[..]));
        let ti = i.into_stateless_transport_mode().expect("transport");
        let tr = r.into_stateless_transport_mode().expect("transport");
        let n = ti.write_message(0, b"hello", &mut m).expect("encrypt");
        let k = tr.read_message(0, &m[..n], &mut p).expect("decrypt");
        assert_eq!(&p[..k], b"hello");
    }

    #[test]
    fn an_invalid_point_fails_on_the_scu() {
        let (a, qa) = scu_with_key();
        let f = FailureSlot::default();
        let mut d = ScuResolver::new(a, 1, &qa, f.clone())
            .resolve_dh(&DHChoice::P256)
            .expect("dh");
        d.set(&static_handle(1));
        assert_eq!(d.pubkey(), &qa.sec1()[..]);
        let mut bad = qa.sec1();
        bad[64] ^= 1;
        let mut out = [0u8; 32];
        assert!(d.dh(&bad, &mut out).is_err());
        assert_eq!(
            *f.lock().expect("lock"),
            Some(ScuError::Device(crate::types::DeviceError::InvalidPoint))
        );
        d.set(&[7; 32]);
        assert!(
            d.dh(&qa.sec1(), &mut out).is_err(),
            "a raw key is never taken as the static key"
        );
    }
}
