//! The SCU connector: a bump-in-the-wire TCP forwarder that turns an
//! untrusted network link into an authenticated, encrypted one.
//!
//! * [`config`]: the configuration file.
//! * [`trust`]: the registered peers (the trust store).
//! * [`noise`]: Noise XX on P-256 through `snow`, the static DH on the SCU.
//! * [`session`]: handshake plus attestation bound to it, checked against
//!   the trust store.
//! * [`wire`]: frames and records (counters, AEAD, rekeying).
//! * [`connector`]: listeners, per-connection forwarding, the monitor that
//!   revokes open connections, graceful stop.
//! * [`events`]: one JSON line per event; anomalies cut the connection.
//!
//! The protocol and its threat model are described in `docs/LINK.md`.

pub mod config;
pub mod connector;
pub mod events;
pub mod noise;
pub mod session;
pub mod simulated;
pub mod trust;
pub mod wire;

pub use config::Config;
pub use connector::{Connector, StartError};
pub use events::{Event, EventKind, EventLog};
pub use session::LinkKey;
pub use trust::{TrustStore, TrustWatch};
