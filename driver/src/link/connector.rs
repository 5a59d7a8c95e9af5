//! The connector: accepts connections, runs the session, pumps records,
//! and cuts a connection at the first anomaly with one event.
//!
//! Threads: one accept loop per `[[listen]]` and `[[connect]]` address, one
//! monitor (trust store changes, revocation of open connections, idle
//! time), and per connection one thread each way. Plaintext is read from
//! the local side only once the peer is authenticated, so unauthenticated
//! bytes are never forwarded in either direction.

use super::config::{self, Config, Limits};
use super::events::{fingerprint, Event, EventKind, EventLog};
use super::noise::lock_scu;
use super::session::{establish, record_kind, Acceptance, LinkKey, Session};
use super::trust::{Standing, TrustWatch};
use super::wire::{Receiver, Sender, DATA, END, MAX_CHUNK};
use crate::evidence::Reference;
use crate::types::{Policy, PublicKey};
use std::collections::HashMap;
use std::fmt;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// How often the monitor looks at the trust store and the connections.
const MONITOR_PERIOD: Duration = Duration::from_millis(100);
/// How long accept loops sleep when nobody is waiting.
const ACCEPT_POLL: Duration = Duration::from_millis(10);
/// How long a graceful stop waits for connections to finish.
const DRAIN: Duration = Duration::from_secs(2);

/// Why the connector did not start.
#[derive(Debug, PartialEq, Eq)]
pub struct StartError(pub String);

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StartError {}

/// Called after connections were authenticated (the attestation counter
/// moved): a simulated SCU saves its state.
pub type Persist = Box<dyn FnMut() -> Result<(), String> + Send>;

/// A running connector.
pub struct Connector {
    inner: Arc<Inner>,
    threads: Vec<JoinHandle<()>>,
    monitor: Option<JoinHandle<Option<Persist>>>,
    listen_addrs: Vec<SocketAddr>,
    connect_addrs: Vec<SocketAddr>,
}

struct Inner {
    me: LinkKey,
    trust: TrustWatch,
    reference: Option<Reference>,
    allow_simulated_rng: bool,
    limits: Limits,
    log: EventLog,
    shutdown: AtomicBool,
    next_conn: AtomicU64,
    authenticated: AtomicU64,
    conns: Mutex<HashMap<u64, Arc<Conn>>>,
}

/// One connection, as the monitor and a stop see it.
struct Conn {
    id: u64,
    remote: SocketAddr,
    secure: TcpStream,
    plain: Mutex<Option<TcpStream>>,
    peer: Mutex<Option<(PublicKey, String)>>,
    done: AtomicBool,
    last_active: Mutex<Instant>,
    bytes_out: AtomicU64,
    bytes_in: AtomicU64,
}

impl Conn {
    fn event(&self, kind: EventKind, detail: impl Into<String>) -> Event {
        let mut e = Event::new(kind).detail(detail);
        e.conn = Some(self.id);
        e.remote = Some(self.remote);
        if let Some((id, name)) = &*lock(&self.peer) {
            e.identity = Some(fingerprint(&id.sec1()));
            e.peer = Some(name.clone());
        }
        e.counts
            .push(("bytes_out", self.bytes_out.load(Ordering::Relaxed)));
        e.counts
            .push(("bytes_in", self.bytes_in.load(Ordering::Relaxed)));
        e
    }

    /// Ends the connection at once with one event (the first caller wins).
    fn end(&self, log: &EventLog, e: Event) {
        if !self.done.swap(true, Ordering::SeqCst) {
            let _ = self.secure.shutdown(Shutdown::Both);
            if let Some(p) = &*lock(&self.plain) {
                let _ = p.shutdown(Shutdown::Both);
            }
            log.emit(e);
        }
    }

    fn cut(&self, log: &EventLog, kind: EventKind, detail: impl Into<String>) {
        self.end(log, self.event(kind, detail));
    }

    fn touch(&self) {
        *lock(&self.last_active) = Instant::now();
    }

    fn identity(&self) -> Option<PublicKey> {
        lock(&self.peer).as_ref().map(|p| p.0)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Connector {
    /// Checks the SCU and the trust store, binds every address and starts
    /// serving.
    pub fn start(
        cfg: &Config,
        me: LinkKey,
        log: EventLog,
        persist: Option<Persist>,
    ) -> Result<Connector, StartError> {
        let err = |m: String| StartError(m);
        let slot = me.slot;
        let (policy, q) = lock_scu(&me.scu).pubkey(slot).map_err(|e| {
            err(format!(
                "SCU slot {slot} has no link key ({e}); create one with `scu keygen --slot {slot} --use ecdh`"
            ))
        })?;
        if !policy.allows(Policy::ECDH) {
            return Err(err(format!(
                "SCU slot {slot} may not do ECDH (policy {policy}); use a slot made with `--use ecdh`"
            )));
        }
        if q != me.static_public {
            return Err(err(format!(
                "SCU slot {slot} holds another key than the one given"
            )));
        }
        let (_, own_identity) = lock_scu(&me.scu)
            .pubkey(scu_model::protocol::slot::IDENTITY)
            .map_err(|e| err(format!("the SCU has no identity key ({e})")))?;
        let trust = TrustWatch::new(&cfg.trust.store).map_err(|e| err(e.to_string()))?;
        let reference = match &cfg.trust.reference {
            Some(p) => Some(load_reference(p)?),
            None => None,
        };
        let bind = |what: &str, a: &str| -> Result<TcpListener, StartError> {
            let addr = config::socket_addr(what, a).map_err(|e| err(e.0))?;
            let l = TcpListener::bind(addr)
                .map_err(|e| err(format!("cannot listen on {addr} ({what}): {e}")))?;
            l.set_nonblocking(true)
                .map_err(|e| err(format!("{addr}: {e}")))?;
            Ok(l)
        };
        let listeners: Vec<_> = cfg
            .listen
            .iter()
            .map(|l| bind("[[listen]] bind", &l.bind))
            .collect::<Result<_, _>>()?;
        let clients: Vec<_> = cfg
            .connect
            .iter()
            .map(|c| bind("[[connect]] bind", &c.bind))
            .collect::<Result<_, _>>()?;
        let addr_of = |l: &TcpListener| l.local_addr().map_err(|e| err(e.to_string()));
        let listen_addrs = listeners
            .iter()
            .map(addr_of)
            .collect::<Result<Vec<_>, _>>()?;
        let connect_addrs = clients.iter().map(addr_of).collect::<Result<Vec<_>, _>>()?;

        let inner = Arc::new(Inner {
            me,
            trust,
            reference,
            allow_simulated_rng: cfg.trust.allow_simulated_rng,
            limits: cfg.limits.clone(),
            log,
            shutdown: AtomicBool::new(false),
            next_conn: AtomicU64::new(1),
            authenticated: AtomicU64::new(0),
            conns: Mutex::new(HashMap::new()),
        });
        let mut threads = Vec::new();
        for (l, c) in listeners.into_iter().zip(&cfg.listen) {
            let (i, forward) = (inner.clone(), c.forward.clone());
            threads.push(thread::spawn(move || {
                accept_loop(&i, l, move |i, s, a| serve_peer(i, s, a, &forward))
            }));
        }
        for (l, c) in clients.into_iter().zip(&cfg.connect) {
            let (i, c) = (inner.clone(), c.clone());
            threads.push(thread::spawn(move || {
                accept_loop(&i, l, move |i, s, a| {
                    serve_client(i, s, a, &c.peer, c.peer_name.as_deref())
                })
            }));
        }
        let m = inner.clone();
        let monitor = Some(thread::spawn(move || monitor(&m, persist)));
        let mut e = Event::new(EventKind::Started).detail(format!(
            "listening for peers on {:?}, for local clients on {:?}",
            listen_addrs, connect_addrs
        ));
        e.identity = Some(fingerprint(&own_identity.sec1()));
        inner.log.emit(e);
        Ok(Connector {
            inner,
            threads,
            monitor,
            listen_addrs,
            connect_addrs,
        })
    }

    /// The addresses peers connect to, in `[[listen]]` order.
    pub fn listen_addrs(&self) -> &[SocketAddr] {
        &self.listen_addrs
    }

    /// The addresses local clients connect to, in `[[connect]]` order.
    pub fn connect_addrs(&self) -> &[SocketAddr] {
        &self.connect_addrs
    }

    /// Open connections.
    pub fn connections(&self) -> usize {
        lock(&self.inner.conns).len()
    }

    /// Graceful stop: no new connections; each open one stops reading its
    /// local side, sends END and gets `DRAIN` to finish; then the rest
    /// are closed.
    pub fn stop(mut self) {
        let i = &self.inner;
        i.shutdown.store(true, Ordering::SeqCst);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
        let persist = self.monitor.take().and_then(|m| m.join().ok()).flatten();
        for c in lock(&i.conns).values() {
            match &*lock(&c.plain) {
                Some(p) if c.identity().is_some() => {
                    let _ = p.shutdown(Shutdown::Read);
                }
                _ => c.cut(&i.log, EventKind::Closed, "the connector is stopping"),
            }
        }
        let until = Instant::now() + DRAIN;
        while !lock(&i.conns).is_empty() && Instant::now() < until {
            thread::sleep(Duration::from_millis(10));
        }
        for c in lock(&i.conns).values() {
            c.cut(
                &i.log,
                EventKind::Closed,
                "the connector stopped before the peer finished",
            );
        }
        if let Some(mut p) = persist {
            if let Err(e) = p() {
                i.log.emit(
                    Event::new(EventKind::ScuFailure).detail(format!("saving the SCU state: {e}")),
                );
            }
        }
        i.log.emit(Event::new(EventKind::Stopped));
    }
}

fn load_reference(p: &std::path::Path) -> Result<Reference, StartError> {
    let t = std::fs::read_to_string(p)
        .map_err(|e| StartError(format!("reference values {}: {e}", p.display())))?;
    let r: Reference = serde_json::from_str(&t).map_err(|e| {
        StartError(format!(
            "reference values {} are not usable: {e}",
            p.display()
        ))
    })?;
    if r.format != crate::evidence::REFERENCE_FORMAT {
        return Err(StartError(format!(
            "reference values {}: format {:?}",
            p.display(),
            r.format
        )));
    }
    Ok(r)
}

impl Drop for Connector {
    fn drop(&mut self) {
        // A connector dropped without stop() still stops its threads.
        self.inner.shutdown.store(true, Ordering::SeqCst);
        for c in lock(&self.inner.conns).values() {
            c.cut(
                &self.inner.log,
                EventKind::Closed,
                "the connector was dropped",
            );
        }
    }
}

fn accept_loop(
    i: &Arc<Inner>,
    l: TcpListener,
    serve: impl Fn(&Arc<Inner>, TcpStream, SocketAddr) + Send + Clone + 'static,
) {
    while !i.shutdown.load(Ordering::SeqCst) {
        match l.accept() {
            Ok((s, a)) => {
                if s.set_nonblocking(false).is_err() {
                    continue;
                }
                let _ = s.set_nodelay(true);
                let (i, serve) = (i.clone(), serve.clone());
                thread::spawn(move || serve(&i, s, a));
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => thread::sleep(ACCEPT_POLL),
            Err(_) => thread::sleep(ACCEPT_POLL),
        }
    }
}

impl Inner {
    fn acceptance(&self) -> Acceptance<'_> {
        Acceptance {
            trust: &self.trust,
            reference: self.reference.as_ref(),
            allow_simulated_rng: self.allow_simulated_rng,
            rekey_records: self.limits.rekey_records,
            timeout: self.limits.handshake_timeout(),
        }
    }

    /// Registers a connection; `None` (and an event) over the limit.
    fn register(&self, secure: &TcpStream, remote: SocketAddr) -> Option<Arc<Conn>> {
        let mut t = lock(&self.conns);
        if t.len() >= self.limits.max_connections {
            let mut e = Event::new(EventKind::ConnectionLimit).detail(format!(
                "{} connections open; raise [limits] max_connections",
                t.len()
            ));
            e.remote = Some(remote);
            self.log.emit(e);
            return None;
        }
        let id = self.next_conn.fetch_add(1, Ordering::SeqCst);
        let c = Arc::new(Conn {
            id,
            remote,
            secure: secure.try_clone().ok()?,
            plain: Mutex::new(None),
            peer: Mutex::new(None),
            done: AtomicBool::new(false),
            last_active: Mutex::new(Instant::now()),
            bytes_out: AtomicU64::new(0),
            bytes_in: AtomicU64::new(0),
        });
        t.insert(id, c.clone());
        Some(c)
    }

    fn forget(&self, c: &Conn) {
        lock(&self.conns).remove(&c.id);
    }

    /// Runs the session; on failure cuts with its event.
    fn secure(&self, c: &Conn, s: &TcpStream, initiator: bool) -> Option<Session> {
        match establish(s, initiator, &self.me, &self.acceptance()) {
            Ok(session) => {
                *lock(&c.peer) = Some((session.identity, session.peer.name.clone()));
                self.authenticated.fetch_add(1, Ordering::SeqCst);
                Some(session)
            }
            Err(e) => {
                let mut ev = c.event(e.kind(), e.to_string());
                ev.identity = e.identity().map(|i| fingerprint(&i.sec1()));
                ev.peer = e.peer_name().map(str::to_owned);
                c.end(&self.log, ev);
                None
            }
        }
    }
}

/// A peer connected to a `[[listen]]` address.
fn serve_peer(i: &Arc<Inner>, s: TcpStream, remote: SocketAddr, forward: &str) {
    let Some(c) = i.register(&s, remote) else {
        return;
    };
    if let Some(session) = i.secure(&c, &s, false) {
        let plain = config::resolve(forward)
            .and_then(|a| TcpStream::connect_timeout(&a, i.limits.handshake_timeout()));
        match plain {
            Ok(p) => {
                *lock(&c.plain) = p.try_clone().ok();
                run(i, &c, s, p, session)
            }
            Err(e) => c.cut(
                &i.log,
                EventKind::Unreachable,
                format!("local endpoint {forward}: {e}"),
            ),
        }
    }
    i.forget(&c);
}

/// A local client connected to a `[[connect]]` address.
fn serve_client(
    i: &Arc<Inner>,
    plain: TcpStream,
    client: SocketAddr,
    peer: &str,
    peer_name: Option<&str>,
) {
    let s = config::resolve(peer)
        .and_then(|a| TcpStream::connect_timeout(&a, i.limits.handshake_timeout()));
    let s = match s {
        Ok(s) => s,
        Err(e) => {
            let mut ev =
                Event::new(EventKind::Unreachable).detail(format!("peer connector {peer}: {e}"));
            ev.remote = Some(client);
            i.log.emit(ev);
            return;
        }
    };
    let _ = s.set_nodelay(true);
    let remote = s.peer_addr().unwrap_or(client);
    let Some(c) = i.register(&s, remote) else {
        return;
    };
    *lock(&c.plain) = plain.try_clone().ok();
    if let Some(session) = i.secure(&c, &s, true) {
        match peer_name {
            Some(n) if n != session.peer.name => c.cut(
                &i.log,
                EventKind::UnknownPeer,
                format!(
                    "{peer} is registered peer {:?}, not {n:?} as configured",
                    session.peer.name
                ),
            ),
            _ => run(i, &c, s, plain, session),
        }
    }
    i.forget(&c);
}

/// Forwards both ways until both directions ended or the connection is cut.
/// The local socket is already in `c.plain`, so that a cut reaches it.
fn run(i: &Arc<Inner>, c: &Arc<Conn>, secure: TcpStream, plain: TcpStream, session: Session) {
    if c.done.load(Ordering::SeqCst) {
        // Cut (revoked, stopping) while the local side was being connected.
        let _ = plain.shutdown(Shutdown::Both);
        return;
    }
    c.touch();
    let mut e = c.event(
        EventKind::Authenticated,
        format!("rekey every {} records", session.rekey_records),
    );
    e.counts.clear();
    i.log.emit(e);
    let (Ok(s2), Ok(p2)) = (secure.try_clone(), plain.try_clone()) else {
        c.cut(
            &i.log,
            EventKind::ProtocolError,
            "cannot share the sockets between threads",
        );
        return;
    };
    let Session {
        sender, receiver, ..
    } = session;
    let (i2, c2) = (i.clone(), c.clone());
    let inbound = thread::spawn(move || records_to_plain(&i2, &c2, s2, p2, receiver));
    let outbound_ok = plain_to_records(i, c, plain, secure, sender);
    let inbound_ok = inbound.join().unwrap_or(false);
    if outbound_ok && inbound_ok {
        c.end(&i.log, c.event(EventKind::Closed, "both sides finished"));
    }
}

/// Local plaintext to DATA records, then END.
fn plain_to_records(
    i: &Inner,
    c: &Conn,
    mut plain: TcpStream,
    mut secure: TcpStream,
    mut tx: Sender,
) -> bool {
    let mut buf = vec![0u8; MAX_CHUNK];
    loop {
        let n = match plain.read(&mut buf) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) if c.done.load(Ordering::SeqCst) => return false,
            Err(e) => {
                c.cut(
                    &i.log,
                    EventKind::Closed,
                    format!("the local side failed: {e}"),
                );
                return false;
            }
        };
        if c.done.load(Ordering::SeqCst) {
            return false;
        }
        let (kind, body) = if n == 0 {
            (END, &[][..])
        } else {
            (DATA, &buf[..n])
        };
        if let Err(e) = tx.send(&mut secure, kind, body) {
            if !c.done.load(Ordering::SeqCst) {
                c.cut(
                    &i.log,
                    EventKind::ProtocolError,
                    format!("sending to the peer failed: {e}"),
                );
            }
            return false;
        }
        if n == 0 {
            return true;
        }
        c.bytes_out.fetch_add(n as u64, Ordering::Relaxed);
        c.touch();
    }
}

/// Records from the peer to local plaintext, until END.
fn records_to_plain(
    i: &Inner,
    c: &Conn,
    mut secure: TcpStream,
    mut plain: TcpStream,
    mut rx: Receiver,
) -> bool {
    loop {
        let r = rx.recv(&mut secure);
        if c.done.load(Ordering::SeqCst) {
            return false;
        }
        match r {
            Ok(Some((DATA, body))) => {
                if let Err(e) = plain.write_all(&body) {
                    c.cut(
                        &i.log,
                        EventKind::Closed,
                        format!("the local side failed: {e}"),
                    );
                    return false;
                }
                c.bytes_in.fetch_add(body.len() as u64, Ordering::Relaxed);
                c.touch();
            }
            Ok(Some((END, _))) => {
                let _ = plain.shutdown(Shutdown::Write);
                return true;
            }
            Ok(Some((t, _))) => {
                c.cut(
                    &i.log,
                    EventKind::ProtocolError,
                    format!("unexpected record type {t}"),
                );
                return false;
            }
            Ok(None) => {
                c.cut(
                    &i.log,
                    EventKind::ProtocolError,
                    "the peer's stream ended without END (truncation?)",
                );
                return false;
            }
            Err(e) => {
                c.cut(&i.log, record_kind(&e), e.to_string());
                return false;
            }
        }
    }
}

/// Every [`MONITOR_PERIOD`]: reload the trust store when it changed, cut
/// connections whose peer is no longer trusted or that sat idle too long,
/// and persist the SCU after new sessions. Returns the persist hook for the
/// final save.
fn monitor(i: &Inner, mut persist: Option<Persist>) -> Option<Persist> {
    let mut saved = 0;
    while !i.shutdown.load(Ordering::SeqCst) {
        thread::sleep(MONITOR_PERIOD);
        if let Some(e) = i.trust.refresh() {
            i.log.emit(
                Event::new(EventKind::TrustStoreError)
                    .detail(format!("{e}; every peer is refused until it is fixed")),
            );
        }
        let conns: Vec<Arc<Conn>> = lock(&i.conns).values().cloned().collect();
        for c in conns {
            let Some(id) = c.identity() else { continue };
            match i.trust.standing(&id) {
                Standing::Trusted(_) => {}
                Standing::Revoked(p) => c.cut(
                    &i.log,
                    EventKind::RevokedPeer,
                    format!(
                        "peer {:?} was revoked {}",
                        p.name,
                        p.revoked.as_deref().unwrap_or("")
                    ),
                ),
                Standing::Unknown => c.cut(
                    &i.log,
                    EventKind::UnknownPeer,
                    "the peer is no longer in the trust store",
                ),
            }
            if let Some(limit) = i.limits.idle_timeout() {
                if lock(&c.last_active).elapsed() > limit {
                    c.cut(
                        &i.log,
                        EventKind::Timeout,
                        format!("idle for more than {} ms", limit.as_millis()),
                    );
                }
            }
        }
        let n = i.authenticated.load(Ordering::SeqCst);
        if n != saved {
            saved = n;
            if let Some(p) = persist.as_mut() {
                if let Err(e) = p() {
                    i.log.emit(
                        Event::new(EventKind::ScuFailure)
                            .detail(format!("saving the SCU state: {e}")),
                    );
                }
            }
        }
    }
    persist
}
