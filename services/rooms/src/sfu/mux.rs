//! One UDP port for the media of every participant (`rooms.udp_mux_port`), as Jitsi's
//! videobridge has: the firewall opens one port instead of a range.
//!
//! The `webrtc` crate binds a socket of its own for each peer connection; it has no shared
//! socket. It takes its sockets from the async runtime it is given, though, so each peer
//! connection gets a [`MuxRuntime`]: the tokio runtime, except that the socket it is handed
//! to wrap (bound by the crate to a loopback placeholder port, which only names it) is
//! replaced by a [`MuxSocket`] that sends from the shared port and receives what the shared
//! port's reader routes to it.
//!
//! Routing: a datagram from an address already known goes to the connection that address
//! belongs to. Otherwise only a STUN message can open a route: its USERNAME starts with the
//! server's ICE user fragment, which names the connection ([`Port::advertise`] learns it from
//! the SDP the server sends). An address keeps the connection it was first routed to for as
//! long as that connection lives, so a forged STUN message cannot steal someone's route;
//! anything else from an unknown address is dropped. The connection's own ICE checks
//! (MESSAGE-INTEGRITY with its password) still decide what is valid.
//!
//! Clients must be told the shared port, not the placeholder: [`Port::advertise`] rewrites
//! the server's candidates in each SDP it sends.

use std::collections::HashMap;
use std::future::Future;
use std::io::{self, IoSliceMut};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use webrtc::runtime::{
    AsyncInterval, AsyncTcpListener, AsyncTcpStream, AsyncUdpSocket, JoinHandle, RecvMeta, Runtime,
    TokioRuntime, Transmit,
};

/// The address the crate binds its placeholder sockets to.
pub const PLACEHOLDER_IP: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// Datagrams waiting for one connection's driver; more are dropped, as a full socket buffer
/// would.
const INBOX: usize = 1024;
/// Client addresses one connection may be reached from (host, reflexive and relayed
/// candidates of a client, over IPv4 and IPv6): a cap on what forged STUN can make us keep.
const MAX_REMOTES: usize = 16;
/// ICE user fragments remembered per connection (one more at each ICE restart).
const MAX_UFRAGS: usize = 4;
/// Largest datagram read: WebRTC keeps below the path MTU.
const DATAGRAM: usize = 2048;

/// The shared port and its routes.
pub struct Mux {
    socket: tokio::net::UdpSocket,
    /// Ends the reader (when the SFU that started it is gone).
    stop: tokio_util::sync::CancellationToken,
    port: u16,
    /// What clients are told to send to: these addresses, on `port`.
    advertised: Vec<IpAddr>,
    routes: Mutex<Routes>,
}

#[derive(Default)]
struct Routes {
    by_ufrag: HashMap<String, Weak<Port>>,
    by_remote: HashMap<SocketAddr, Weak<Port>>,
}

impl std::fmt::Debug for Mux {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mux").field("port", &self.port).finish()
    }
}

impl Mux {
    /// Starts serving `socket` (bound already), telling clients `advertised` addresses. Must
    /// run inside a tokio runtime, which keeps the reader task until [`Mux::stop`].
    pub fn start(socket: std::net::UdpSocket, advertised: Vec<IpAddr>) -> io::Result<Arc<Mux>> {
        socket.set_nonblocking(true)?;
        let port = socket.local_addr()?.port();
        let mux = Arc::new(Mux {
            socket: tokio::net::UdpSocket::from_std(socket)?,
            stop: tokio_util::sync::CancellationToken::new(),
            port,
            advertised,
            routes: Mutex::default(),
        });
        tokio::spawn(read(mux.clone()));
        Ok(mux)
    }

    /// Stops reading the port; it closes once the last connection on it is gone.
    pub fn stop(&self) {
        self.stop.cancel();
    }

    /// A new connection's share of the port.
    pub fn port_for_connection(self: &Arc<Mux>) -> Arc<Port> {
        Arc::new(Port {
            mux: self.clone(),
            state: Mutex::default(),
        })
    }

    fn routes(&self) -> std::sync::MutexGuard<'_, Routes> {
        self.routes.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The connection a datagram from `from` goes to, if any (opening the route when it is
    /// a STUN message naming a connection's user fragment).
    ///
    /// Locks are taken in one order everywhere: a connection's state, then the routes
    /// ([`Port::advertise`] does the same), and the datagram is parsed under neither.
    fn route(&self, from: SocketAddr, datagram: &[u8]) -> Option<Arc<Port>> {
        {
            let mut routes = self.routes();
            if let Some(port) = routes.by_remote.get(&from) {
                match port.upgrade() {
                    Some(port) => return Some(port),
                    None => {
                        routes.by_remote.remove(&from);
                    }
                }
            }
        }
        let ufrag = stun_ufrag(datagram)?;
        let port = self.routes().by_ufrag.get(&ufrag)?.upgrade()?;
        let mut state = port.state();
        if state.remotes.len() >= MAX_REMOTES {
            return None;
        }
        let mut routes = self.routes();
        // Another datagram from that address may have opened its route meanwhile: the first
        // keeps it.
        if let Some(first) = routes.by_remote.get(&from).and_then(Weak::upgrade) {
            return Some(first);
        }
        state.remotes.push(from);
        routes.by_remote.insert(from, Arc::downgrade(&port));
        drop(routes);
        drop(state);
        Some(port)
    }
}

/// Reads the shared port and hands each datagram to its connection, until stopped.
async fn read(mux: Arc<Mux>) {
    let mut buf = vec![0u8; DATAGRAM];
    let stopped = mux.stop.cancelled();
    tokio::pin!(stopped);
    loop {
        let received = tokio::select! {
            r = mux.socket.recv_from(&mut buf) => r,
            () = &mut stopped => return,
        };
        match received {
            Ok((n, from)) => {
                let datagram = &buf[..n];
                // Whatever anyone sends, the port keeps serving everyone else: a panic in
                // reading one datagram (the STUN parser is the crate's) drops that datagram.
                let routed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    mux.route(from, datagram)
                }));
                match routed {
                    Ok(Some(port)) => port.deliver(datagram.to_vec(), from),
                    Ok(None) => {}
                    Err(_) => {
                        tracing::warn!(%from, "rooms UDP port: a datagram made the reader panic; dropped")
                    }
                }
            }
            // ICMP errors of earlier sends (port unreachable) surface here: not ours to stop.
            Err(error) => tracing::trace!(%error, "rooms UDP port: receive error"),
        }
    }
}

/// The user fragment of the server a STUN message is for: the part of its USERNAME before
/// the colon. `None` for anything that is not a STUN message with one.
fn stun_ufrag(datagram: &[u8]) -> Option<String> {
    use rtc::stun::attributes::ATTR_USERNAME;
    use rtc::stun::message::Message;
    use rtc::stun::textattrs::TextAttribute;
    // RFC 7983: STUN starts with 0-3, and carries the magic cookie.
    if datagram.len() < 20 || datagram[0] > 3 || datagram[4..8] != [0x21, 0x12, 0xa4, 0x42] {
        return None;
    }
    let mut message = Message::new();
    message.unmarshal_binary(datagram).ok()?;
    let username = TextAttribute::get_from_as(&message, ATTR_USERNAME)
        .ok()?
        .text;
    let (ours, _) = username.split_once(':')?;
    (!ours.is_empty()).then(|| ours.to_owned())
}

/// One peer connection's share of the shared port.
pub struct Port {
    mux: Arc<Mux>,
    state: Mutex<PortState>,
}

#[derive(Default)]
struct PortState {
    /// Where datagrams for the connection's current socket go.
    inbox: Option<mpsc::Sender<(Vec<u8>, SocketAddr)>>,
    /// The loopback address the crate bound, which its candidates name.
    placeholder: Option<SocketAddr>,
    ufrags: Vec<String>,
    remotes: Vec<SocketAddr>,
}

impl std::fmt::Debug for Port {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Port").finish_non_exhaustive()
    }
}

impl Drop for Port {
    fn drop(&mut self) {
        let this: *const Port = self;
        let state = self.state.get_mut().unwrap_or_else(|e| e.into_inner());
        let mut routes = self.mux.routes();
        // Only the entries that are still this connection's: once it could no longer be
        // reached, another may have taken an address it had.
        for ufrag in &state.ufrags {
            if routes
                .by_ufrag
                .get(ufrag)
                .is_some_and(|w| w.as_ptr() == this)
            {
                routes.by_ufrag.remove(ufrag);
            }
        }
        for remote in &state.remotes {
            if routes
                .by_remote
                .get(remote)
                .is_some_and(|w| w.as_ptr() == this)
            {
                routes.by_remote.remove(remote);
            }
        }
    }
}

impl Port {
    fn state(&self) -> std::sync::MutexGuard<'_, PortState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn deliver(&self, datagram: Vec<u8>, from: SocketAddr) {
        let inbox = self.state().inbox.clone();
        if let Some(inbox) = inbox {
            // Full: dropped, as the kernel drops what a slow reader leaves in its buffer.
            let _ = inbox.try_send((datagram, from));
        }
    }

    /// `sdp` as clients must see it: the server's candidates on the shared port and the
    /// advertised addresses instead of the placeholder. Also learns the ICE user fragment
    /// it carries, so that the client's checks find this connection.
    pub fn advertise(self: &Arc<Port>, sdp: &str) -> String {
        for ufrag in sdp
            .lines()
            .filter_map(|l| l.trim().strip_prefix("a=ice-ufrag:"))
            .map(str::trim)
        {
            self.learn_ufrag(ufrag);
        }
        let Some(placeholder) = self.state().placeholder else {
            return sdp.to_owned();
        };
        rewrite_candidates(sdp, placeholder, &self.mux.advertised, self.mux.port)
    }

    fn learn_ufrag(self: &Arc<Port>, ufrag: &str) {
        let mut state = self.state();
        if ufrag.is_empty() || state.ufrags.iter().any(|u| u == ufrag) {
            return;
        }
        let mut routes = self.mux.routes();
        if state.ufrags.len() >= MAX_UFRAGS {
            let oldest = state.ufrags.remove(0);
            routes.by_ufrag.remove(&oldest);
        }
        state.ufrags.push(ufrag.to_owned());
        routes
            .by_ufrag
            .insert(ufrag.to_owned(), Arc::downgrade(self));
    }
}

/// Rewrites the UDP candidates of `sdp` on `placeholder` to one candidate per `advertised`
/// address on `port`, and the default address of each media section likewise.
fn rewrite_candidates(
    sdp: &str,
    placeholder: SocketAddr,
    advertised: &[IpAddr],
    port: u16,
) -> String {
    let ip = placeholder.ip().to_string();
    let old_port = placeholder.port().to_string();
    let new_port = port.to_string();
    let mut out = String::with_capacity(sdp.len() + 64);
    for line in sdp.split_inclusive('\n') {
        let body = line.trim_end_matches(['\r', '\n']);
        let ending = &line[body.len()..];
        if let Some(candidate) = body.strip_prefix("a=candidate:") {
            let fields: Vec<&str> = candidate.split(' ').collect();
            let ours = fields.len() >= 6
                && fields[2].eq_ignore_ascii_case("udp")
                && fields[4] == ip
                && fields[5] == old_port;
            if ours {
                for (n, address) in advertised.iter().enumerate() {
                    let mut f = fields.clone();
                    // A different base address is a different foundation (RFC 8445 5.1.1.3).
                    let foundation = format!("{}{n}", fields[0]);
                    let address = address.to_string();
                    f[0] = &foundation;
                    f[4] = &address;
                    f[5] = &new_port;
                    out.push_str("a=candidate:");
                    out.push_str(&f.join(" "));
                    out.push_str(ending);
                }
                continue;
            }
        } else if let Some(rest) = body.strip_prefix("m=") {
            let mut fields: Vec<&str> = rest.split(' ').collect();
            if fields.get(1) == Some(&old_port.as_str()) {
                fields[1] = &new_port;
                out.push_str("m=");
                out.push_str(&fields.join(" "));
                out.push_str(ending);
                continue;
            }
        } else if let Some(family) = body.strip_prefix("c=IN ") {
            if let (Some(address), Some(first)) = (family.split(' ').nth(1), advertised.first()) {
                if address == ip {
                    let kind = if first.is_ipv4() { "IP4" } else { "IP6" };
                    out.push_str(&format!("c=IN {kind} {first}{ending}"));
                    continue;
                }
            }
        }
        out.push_str(line);
    }
    out
}

/// The tokio runtime, with the sockets of one peer connection on the shared port.
#[derive(Debug)]
pub struct MuxRuntime {
    port: Arc<Port>,
}

impl MuxRuntime {
    /// The runtime of the connection that owns `port`.
    pub fn new(port: Arc<Port>) -> MuxRuntime {
        MuxRuntime { port }
    }
}

impl Runtime for MuxRuntime {
    fn spawn(&self, future: Pin<Box<dyn Future<Output = ()> + Send>>) -> Box<dyn JoinHandle> {
        TokioRuntime.spawn(future)
    }

    fn spawn_reactor(
        &self,
        reactor_pool_size: usize,
        future: Pin<Box<dyn Future<Output = ()> + Send>>,
    ) -> Box<dyn JoinHandle> {
        TokioRuntime.spawn_reactor(reactor_pool_size, future)
    }

    fn wrap_udp_socket(&self, socket: std::net::UdpSocket) -> io::Result<Arc<dyn AsyncUdpSocket>> {
        let local = socket.local_addr()?;
        if local.ip() != PLACEHOLDER_IP {
            // Not a media socket (the crate's multicast DNS one): as tokio would.
            return TokioRuntime.wrap_udp_socket(socket);
        }
        let (tx, rx) = mpsc::channel(INBOX);
        {
            let mut state = self.port.state();
            state.inbox = Some(tx);
            state.placeholder = Some(local);
        }
        Ok(Arc::new(MuxSocket {
            mux: self.port.mux.clone(),
            placeholder: local,
            inbox: Mutex::new(rx),
            _reserved: socket,
        }))
    }

    fn wrap_tcp_listener(
        &self,
        listener: std::net::TcpListener,
    ) -> io::Result<Arc<dyn AsyncTcpListener>> {
        TokioRuntime.wrap_tcp_listener(listener)
    }

    fn connect_tcp<'a>(
        &'a self,
        remote_addr: SocketAddr,
    ) -> Pin<Box<dyn Future<Output = io::Result<Arc<dyn AsyncTcpStream>>> + Send + 'a>> {
        TokioRuntime.connect_tcp(remote_addr)
    }

    fn resolve_host<'a>(
        &'a self,
        host: &'a str,
    ) -> Pin<Box<dyn Future<Output = io::Result<Vec<SocketAddr>>> + Send + 'a>> {
        Box::pin(async move { TokioRuntime.resolve_host(host).await })
    }

    fn now(&self) -> Instant {
        TokioRuntime.now()
    }

    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + 'static>> {
        TokioRuntime.sleep(duration)
    }

    fn interval(&self, period: Duration) -> Box<dyn AsyncInterval> {
        TokioRuntime.interval(period)
    }

    fn block_on(&self, future: Pin<Box<dyn Future<Output = ()> + '_>>) {
        TokioRuntime.block_on(future);
    }

    fn yield_now(&self) -> Pin<Box<dyn Future<Output = ()> + Send + 'static>> {
        TokioRuntime.yield_now()
    }

    fn name(&self) -> &'static str {
        "tokio, one UDP port"
    }
}

/// A peer connection's socket on the shared port.
struct MuxSocket {
    mux: Arc<Mux>,
    placeholder: SocketAddr,
    inbox: Mutex<mpsc::Receiver<(Vec<u8>, SocketAddr)>>,
    /// The placeholder stays bound while the connection uses its name.
    _reserved: std::net::UdpSocket,
}

impl std::fmt::Debug for MuxSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MuxSocket")
            .field("port", &self.mux.port)
            .field("placeholder", &self.placeholder)
            .finish()
    }
}

impl AsyncUdpSocket for MuxSocket {
    fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.placeholder)
    }

    fn poll_send(&self, cx: &mut Context<'_>, transmit: &Transmit<'_>) -> Poll<io::Result<usize>> {
        // One datagram per call: `max_gso_segments` is 1, so no segment size comes here.
        self.mux
            .socket
            .poll_send_to(cx, transmit.contents, transmit.destination)
    }

    fn poll_recv(
        &self,
        cx: &mut Context<'_>,
        bufs: &mut [IoSliceMut<'_>],
        meta: &mut [RecvMeta],
    ) -> Poll<io::Result<usize>> {
        let capacity = bufs.len().min(meta.len());
        if capacity == 0 {
            return Poll::Ready(Ok(0));
        }
        let mut inbox = self.inbox.lock().unwrap_or_else(|e| e.into_inner());
        let mut n = 0;
        while n < capacity {
            let next = if n == 0 {
                match inbox.poll_recv(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(next) => next,
                }
            } else {
                inbox.try_recv().ok()
            };
            let Some((datagram, from)) = next else {
                if n == 0 {
                    // A newer socket of the same connection took over (ICE restart).
                    return Poll::Ready(Err(io::ErrorKind::NotConnected.into()));
                }
                break;
            };
            let len = datagram.len().min(bufs[n].len());
            bufs[n][..len].copy_from_slice(&datagram[..len]);
            let mut m = RecvMeta::default();
            m.addr = from;
            m.len = len;
            m.stride = len.max(1);
            meta[n] = m;
            n += 1;
        }
        Poll::Ready(Ok(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binding_request(username: &str) -> Vec<u8> {
        use rtc::stun::attributes::ATTR_USERNAME;
        use rtc::stun::message::{Message, Setter as _, BINDING_REQUEST};
        use rtc::stun::textattrs::TextAttribute;
        let mut m = Message::new();
        m.set_type(BINDING_REQUEST);
        m.new_transaction_id().unwrap();
        TextAttribute::new(ATTR_USERNAME, username.to_owned())
            .add_to(&mut m)
            .unwrap();
        m.write_header();
        m.raw.clone()
    }

    #[test]
    fn the_server_ufrag_is_read_from_stun_and_nothing_else() {
        assert_eq!(
            stun_ufrag(&binding_request("srvUfrag:clientUfrag")),
            Some("srvUfrag".into())
        );
        assert_eq!(stun_ufrag(&binding_request("nocolon")), None);
        assert_eq!(stun_ufrag(&binding_request(":client")), None);
        // DTLS, RTP, garbage, a truncated STUN header.
        assert_eq!(
            stun_ufrag(&[22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
            None
        );
        assert_eq!(stun_ufrag(&[0x80; 40]), None);
        let mut cut = binding_request("a:b");
        cut.truncate(24);
        assert_eq!(stun_ufrag(&cut), None);
        assert_eq!(stun_ufrag(&[]), None);
    }

    #[test]
    fn candidates_and_default_addresses_name_the_shared_port() {
        let sdp = "v=0\r\nm=audio 54321 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 127.0.0.1\r\n\
                   a=ice-ufrag:abc\r\n\
                   a=candidate:1 1 udp 2130706431 127.0.0.1 54321 typ host\r\n\
                   a=candidate:2 1 udp 2130706431 192.0.2.9 50000 typ host\r\n\
                   m=video 0 UDP/TLS/RTP/SAVPF 96\r\n";
        let advertised = [
            "203.0.113.10".parse().unwrap(),
            "2001:db8::1".parse().unwrap(),
        ];
        let out = rewrite_candidates(sdp, "127.0.0.1:54321".parse().unwrap(), &advertised, 10000);
        assert_eq!(
            out,
            "v=0\r\nm=audio 10000 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 203.0.113.10\r\n\
             a=ice-ufrag:abc\r\n\
             a=candidate:10 1 udp 2130706431 203.0.113.10 10000 typ host\r\n\
             a=candidate:11 1 udp 2130706431 2001:db8::1 10000 typ host\r\n\
             a=candidate:2 1 udp 2130706431 192.0.2.9 50000 typ host\r\n\
             m=video 0 UDP/TLS/RTP/SAVPF 96\r\n"
        );
    }

    #[tokio::test]
    async fn stun_opens_a_route_that_a_forgery_cannot_steal_and_that_ends_with_its_connection() {
        let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let mux = Mux::start(socket, vec![PLACEHOLDER_IP]).unwrap();
        let ana = mux.port_for_connection();
        let bruno = mux.port_for_connection();
        ana.advertise("a=ice-ufrag:ana1\r\n");
        bruno.advertise("a=ice-ufrag:bruno1\r\n");
        let from: SocketAddr = "192.0.2.1:5000".parse().unwrap();
        let other: SocketAddr = "192.0.2.2:5000".parse().unwrap();

        // Nothing from an unknown address but STUN naming a connection.
        assert!(mux.route(from, &[0x80, 96, 0, 1]).is_none());
        assert!(mux.route(from, &binding_request("nobody:x")).is_none());
        let routed = mux.route(from, &binding_request("ana1:c")).unwrap();
        assert!(Arc::ptr_eq(&routed, &ana));
        // Then everything from that address, STUN or not, goes to Ana's connection...
        assert!(Arc::ptr_eq(
            &mux.route(from, &[0x80, 96, 0, 1]).unwrap(),
            &ana
        ));
        // ...even a STUN message naming Bruno's: the route is not stolen.
        assert!(Arc::ptr_eq(
            &mux.route(from, &binding_request("bruno1:c")).unwrap(),
            &ana
        ));
        assert!(Arc::ptr_eq(
            &mux.route(other, &binding_request("bruno1:c")).unwrap(),
            &bruno
        ));

        // Ana's connection ends: her user fragment and addresses lead nowhere any more.
        drop(routed);
        drop(ana);
        assert!(mux.route(from, &[0x80, 96, 0, 1]).is_none());
        assert!(mux.route(from, &binding_request("ana1:c")).is_none());
        assert!(!mux.routes().by_remote.contains_key(&from));
    }

    proptest::proptest! {
        /// Hostile datagrams: anything at all, and anything behind a valid STUN header.
        #[test]
        fn no_datagram_makes_the_stun_reader_panic(
            bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..600),
            length in 0u16..700,
        ) {
            let _ = stun_ufrag(&bytes);
            let mut stun = vec![0x00, 0x01];
            stun.extend_from_slice(&length.to_be_bytes());
            stun.extend_from_slice(&[0x21, 0x12, 0xa4, 0x42]);
            stun.extend_from_slice(&[9; 12]);
            stun.extend_from_slice(&bytes);
            let _ = stun_ufrag(&stun);
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn routing_and_learning_user_fragments_at_once_do_not_deadlock() {
        let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let mux = Mux::start(socket, vec![PLACEHOLDER_IP]).unwrap();
        let ana = mux.port_for_connection();
        ana.advertise("a=ice-ufrag:ana0\r\n");
        let (done, finished) = std::sync::mpsc::channel();
        let routing = {
            let (mux, done) = (mux.clone(), done.clone());
            std::thread::spawn(move || {
                let request = binding_request("ana0:c");
                for n in 0..20_000u32 {
                    let from = SocketAddr::from(([192, 0, 2, (n % 200) as u8], 5000));
                    let _ = mux.route(from, &request);
                }
                let _ = done.send(());
            })
        };
        let learning = {
            let ana = ana.clone();
            std::thread::spawn(move || {
                for n in 0..20_000u32 {
                    ana.advertise(&format!("a=ice-ufrag:ana{}\r\n", n % 6));
                }
                let _ = done.send(());
            })
        };
        // A guard against a deadlock, never a timing: both finish, or the test fails.
        for _ in 0..2 {
            finished
                .recv_timeout(Duration::from_secs(60))
                .expect("routing and learning deadlocked");
        }
        routing.join().unwrap();
        learning.join().unwrap();
    }

    #[tokio::test]
    async fn a_stopped_mux_frees_its_port_once_its_connections_are_gone() {
        let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let address = socket.local_addr().unwrap();
        let mux = Mux::start(socket, vec![PLACEHOLDER_IP]).unwrap();
        let connection = mux.port_for_connection();
        mux.stop();
        drop(mux);
        // A connection still on it keeps the port bound.
        tokio::task::yield_now().await;
        assert!(std::net::UdpSocket::bind(address).is_err());
        drop(connection);
        // The reader ends at its next turn; a guard against a hang, not a timing.
        let mut freed = false;
        for _ in 0..2000 {
            if std::net::UdpSocket::bind(address).is_ok() {
                freed = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert!(freed, "the port stayed bound");
    }

    #[tokio::test]
    async fn forged_stun_from_many_addresses_is_capped_per_connection() {
        let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let mux = Mux::start(socket, vec![PLACEHOLDER_IP]).unwrap();
        let ana = mux.port_for_connection();
        ana.advertise("a=ice-ufrag:ana1\r\n");
        let request = binding_request("ana1:c");
        let routed = (0..100u16)
            .filter(|n| {
                let from = SocketAddr::from(([192, 0, 2, 1], 6000 + n));
                mux.route(from, &request).is_some()
            })
            .count();
        assert_eq!(routed, MAX_REMOTES);
        assert_eq!(mux.routes().by_remote.len(), MAX_REMOTES);
    }
}
