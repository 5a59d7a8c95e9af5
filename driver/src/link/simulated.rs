//! Simulated SCUs for connectors in tests, benchmarks and demos (the
//! reference model; its RNG is a seeded simulation, not entropy).

use super::config::{Config, ConfigError};
use super::noise::SharedScu;
use super::session::LinkKey;
use crate::backend::{model_scu, Shared};
use crate::ops::{ScuError, ScuOps};
use crate::types::{Policy, PublicKey};
use scu_model::device::image::Personalisation;
use scu_model::device::{Device, DeviceImage};
use scu_model::protocol::slot;
use scu_model::timing::Lanes;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// A simulated SCU personalised from `seed`, with a new ECDH key in
/// `link_slot`: its link key, its identity key, and the device (for cycle
/// reports).
pub fn simulated_scu(
    seed: &[u8],
    lanes: Lanes,
    link_slot: u8,
) -> Result<(LinkKey, PublicKey, Shared<Device>), ScuError> {
    let (mut s, dev) = model_scu(Device::new(DeviceImage::new(
        lanes,
        &Personalisation::derive(seed),
    )));
    let static_public = s.keygen(link_slot, Policy::ECDH)?;
    let (_, identity) = s.pubkey(slot::IDENTITY)?;
    let scu: SharedScu = Arc::new(Mutex::new(Box::new(s) as Box<dyn ScuOps>));
    Ok((
        LinkKey {
            scu,
            slot: link_slot,
            static_public,
        },
        identity,
        dev,
    ))
}

/// A configuration for connectors between simulated SCUs: the trust store
/// at `store`, simulated RNGs accepted, and `sections` (`[[listen]]`,
/// `[[connect]]`, `[limits]` ... as TOML text).
pub fn simulated_config(store: &Path, sections: &str) -> Result<Config, ConfigError> {
    Config::parse(&format!(
        "[trust]\nstore = {:?}\nallow_simulated_rng = true\n{sections}",
        store.display().to_string()
    ))
}
