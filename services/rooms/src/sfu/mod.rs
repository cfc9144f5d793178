//! The SFU: each participant's two peer connections with the server (publish and subscribe),
//! built on the `webrtc` crate, and the forwarding of RTP between them.
//!
//! Each participant's media runs in its own tasks ([`peer`]); a panic there ends that
//! participant only. Forwarding never waits on a subscriber ([`published`]).

pub mod client;
pub mod feedback;
pub mod mux;
pub mod pacing;
pub mod peer;
pub mod published;

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU16, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use maille_config::RoomsSettings;
use webrtc::peer_connection::{
    register_default_interceptors, MediaEngine, PeerConnection, PeerConnectionBuilder,
    PeerConnectionEventHandler, RTCConfigurationBuilder, RTCIceCandidateType, Registry,
    SettingEngineBuilder,
};

use crate::metrics::RoomsMetrics;

pub use peer::{Pc, Peer, PeerCommand, PeerEvent};
pub use published::{Published, Source};

/// The RFC 6464 audio level header extension.
pub const AUDIO_LEVEL_URI: &str = "urn:ietf:params:rtp-hdrext:ssrc-audio-level";

/// The id of the header extension `uri` in `sdp`, if negotiated.
pub fn extmap_id(sdp: &str, uri: &str) -> Option<u8> {
    sdp.lines().find_map(|line| {
        let rest = line.trim().strip_prefix("a=extmap:")?;
        let (id, name) = rest.split_once(' ')?;
        let name = name.split_whitespace().next()?;
        (name == uri)
            .then(|| id.split('/').next()?.parse().ok())
            .flatten()
    })
}

/// The SFU of this process: how to build peer connections, and its counters.
#[derive(Clone)]
pub struct Sfu {
    inner: Arc<Inner>,
}

struct Inner {
    settings: RoomsSettings,
    next_port: AtomicU16,
    next_key: AtomicU64,
    metrics: RoomsMetrics,
    live: std::sync::Mutex<Vec<std::sync::Weak<dyn PeerConnection>>>,
    /// Milliseconds a connection has to complete ICE.
    ice_timeout_ms: AtomicU64,
    /// The shared media port (`rooms.udp_mux_port`), once opened.
    mux: tokio::sync::OnceCell<Arc<mux::Mux>>,
    /// Participants whose media is to panic at its next housekeeping (tests).
    #[cfg(feature = "fault-injection")]
    faults: std::sync::Mutex<std::collections::HashSet<String>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // The shared port's reader holds it: let it end with the SFU.
        if let Some(mux) = self.mux.get() {
            mux.stop();
        }
    }
}

impl std::fmt::Debug for Sfu {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sfu").finish_non_exhaustive()
    }
}

/// Which connection of a participant a peer connection is, for its interceptors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Receives the participant's media.
    Publish,
    /// Sends others' media to the participant; runs congestion control.
    Subscribe,
}

impl Sfu {
    /// The SFU under `settings`.
    pub fn new(settings: RoomsSettings, metrics: RoomsMetrics) -> Sfu {
        Sfu {
            inner: Arc::new(Inner {
                next_port: AtomicU16::new(settings.udp_port_min),
                settings,
                next_key: AtomicU64::new(1),
                metrics,
                live: std::sync::Mutex::new(Vec::new()),
                ice_timeout_ms: AtomicU64::new(duration_ms(peer::ICE_TIMEOUT)),
                mux: tokio::sync::OnceCell::new(),
                #[cfg(feature = "fault-injection")]
                faults: std::sync::Mutex::default(),
            }),
        }
    }

    /// The metrics.
    pub fn metrics(&self) -> &RoomsMetrics {
        &self.inner.metrics
    }

    /// Remembers `pc` weakly, to count the peer connections still alive.
    pub(crate) fn track(&self, pc: &Arc<dyn PeerConnection>) {
        let mut live = self.inner.live.lock().unwrap_or_else(|e| e.into_inner());
        live.retain(|w| w.strong_count() > 0);
        live.push(Arc::downgrade(pc));
    }

    /// Peer connections still in memory: those of participants present, and any a leak
    /// kept alive after its participant left (the leak test checks it returns to zero).
    pub fn live_peer_connections(&self) -> usize {
        let mut live = self.inner.live.lock().unwrap_or_else(|e| e.into_inner());
        live.retain(|w| w.strong_count() > 0);
        live.len()
    }

    /// The time a participant's connection has to complete ICE before the participant is
    /// dropped ([`peer::ICE_TIMEOUT`] unless set).
    pub fn ice_timeout(&self) -> Duration {
        Duration::from_millis(self.inner.ice_timeout_ms.load(Ordering::Relaxed))
    }

    /// Sets the time connections opened from now on have to complete ICE (tests shorten it).
    pub fn set_ice_timeout(&self, timeout: Duration) {
        self.inner
            .ice_timeout_ms
            .store(duration_ms(timeout), Ordering::Relaxed);
    }

    /// Makes the media of `participant` panic at its next housekeeping (within half a
    /// second), to check that a panic ends that participant only. Only with the
    /// `fault-injection` feature, which the tests enable.
    #[cfg(feature = "fault-injection")]
    pub fn inject_fault(&self, participant: &str) {
        self.inner
            .faults
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(participant.to_owned());
    }

    /// Whether a fault was injected for `participant` (and forgets it).
    #[cfg(feature = "fault-injection")]
    pub(crate) fn take_fault(&self, participant: &str) -> bool {
        self.inner
            .faults
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(participant)
    }

    pub(crate) fn next_key(&self) -> u64 {
        self.inner.next_key.fetch_add(1, Ordering::Relaxed)
    }

    /// The codecs and header extensions of a connection: every codec the crate knows for
    /// subscribe connections; for publish connections, those a browser sends (see
    /// [`publish_codecs`]), without retransmission streams.
    fn media_engine(direction: Direction) -> webrtc::error::Result<MediaEngine> {
        use rtc::rtp_transceiver::rtp_sender::{RTCRtpHeaderExtensionCapability, RtpCodecKind};
        let mut engine = MediaEngine::default();
        match direction {
            Direction::Subscribe => engine.register_default_codecs()?,
            Direction::Publish => {
                for (codec, kind) in publish_codecs() {
                    engine.register_codec(codec, kind)?;
                }
            }
        }
        engine.register_header_extension(
            RTCRtpHeaderExtensionCapability {
                uri: AUDIO_LEVEL_URI.to_owned(),
            },
            RtpCodecKind::Audio,
            None,
        )?;
        Ok(engine)
    }

    /// Opens the shared media port when one is configured, so that a port already taken
    /// stops the start of the process that serves rooms (and only that one: in a split
    /// deployment, the others build the SFU without using it). Runs inside the tokio runtime
    /// that keeps the port's reader.
    pub fn start(&self) -> Result<(), String> {
        if self.inner.settings.udp_mux_port == 0 || self.inner.mux.initialized() {
            return Ok(());
        }
        let _ = self.inner.mux.set(self.open_mux()?);
        Ok(())
    }

    fn open_mux(&self) -> Result<Arc<mux::Mux>, String> {
        let settings = &self.inner.settings;
        let address = SocketAddr::new(settings.udp_address, settings.udp_mux_port);
        let bound = std::net::UdpSocket::bind(address)
            .map_err(|error| format!("cannot bind rooms.udp_mux_port ({address}): {error}"))?;
        let advertised = if settings.public_ips.is_empty() {
            vec![settings.udp_address]
        } else {
            settings.public_ips.clone()
        };
        mux::Mux::start(bound, advertised).map_err(|e| format!("rooms.udp_mux_port: {e}"))
    }

    /// The shared media port (opened now if [`Sfu::start`] was not called); `None` when the
    /// range is used.
    async fn mux(&self) -> webrtc::error::Result<Option<Arc<mux::Mux>>> {
        if self.inner.settings.udp_mux_port == 0 {
            return Ok(None);
        }
        let mux = self
            .inner
            .mux
            .get_or_try_init(|| async { self.open_mux().map_err(webrtc::error::Error::Other) })
            .await?;
        Ok(Some(mux.clone()))
    }

    /// A new peer connection bound to a port of the configured range (or on the shared
    /// port), reporting to `handler`, plus (for subscribe connections) the bandwidth estimate
    /// it keeps up to date, and what its SDP must say for clients to reach it.
    pub(crate) async fn peer_connection(
        &self,
        direction: Direction,
        handler: Arc<dyn PeerConnectionEventHandler>,
    ) -> webrtc::error::Result<(Arc<dyn PeerConnection>, Arc<AtomicU64>, Transport)> {
        let settings = &self.inner.settings;
        let estimate = Arc::new(AtomicU64::new(0));
        let mux = self.mux().await?;
        let attempts = self.port_attempts();
        let mut last_error = None;
        for _ in 0..attempts {
            let mut engine = Self::media_engine(direction)?;
            let registry = match direction {
                Direction::Publish => register_default_interceptors(Registry::new(), &mut engine)?,
                Direction::Subscribe => {
                    // The defaults without their TWCC receiver: congestion control brings its
                    // own TWCC sender and receiver, and two receivers on one chain replace each
                    // other's state.
                    use rtc::peer_connection::configuration::interceptor_registry::{
                        configure_nack, configure_rtcp_reports,
                        configure_simulcast_extension_headers,
                    };
                    let estimator = estimate::Reporting::new(estimate.clone());
                    let registry = pacing::configure(
                        Registry::new(),
                        estimator,
                        estimate::INITIAL as f64,
                        &mut engine,
                    )?;
                    let registry = configure_nack(registry, &mut engine);
                    configure_simulcast_extension_headers(&mut engine)?;
                    configure_rtcp_reports(registry).with(
                        rtc::interceptor::Slot::from(14_000),
                        feedback::KeyframeRequests::default(),
                    )
                }
            };
            let mut setting = SettingEngineBuilder::new();
            if let Some(mux) = &mux {
                // The crate binds a loopback placeholder that only names the connection's
                // socket on the shared port (see `mux`); its candidates are rewritten.
                let port = mux.port_for_connection();
                let built = PeerConnectionBuilder::new()
                    .with_configuration(RTCConfigurationBuilder::new().build())
                    .with_media_engine(engine)
                    .with_interceptor_registry(registry)
                    .with_setting_engine(setting.with_include_loopback_candidate(true).build())
                    .with_handler(handler.clone())
                    .with_runtime(Arc::new(mux::MuxRuntime::new(port.clone())))
                    .with_udp_addrs(vec![SocketAddr::new(mux::PLACEHOLDER_IP, 0)])
                    .build()
                    .await?;
                return Ok((Arc::new(built), estimate, Transport(Some(port))));
            }
            if !settings.public_ips.is_empty() {
                setting = setting.with_nat_1to1_ips(
                    settings
                        .public_ips
                        .iter()
                        .map(|ip| ip.to_string())
                        .collect(),
                    RTCIceCandidateType::Host,
                );
            }
            if settings.udp_address.is_loopback() {
                setting = setting.with_include_loopback_candidate(true);
            }
            let address = SocketAddr::new(settings.udp_address, self.next_port());
            let built = PeerConnectionBuilder::new()
                .with_configuration(RTCConfigurationBuilder::new().build())
                .with_media_engine(engine)
                .with_interceptor_registry(registry)
                .with_setting_engine(setting.build())
                .with_handler(handler.clone())
                .with_udp_addrs(vec![address])
                .build()
                .await;
            match built {
                Ok(pc) => return Ok((Arc::new(pc), estimate, Transport::default())),
                Err(error) => last_error = Some(error),
            }
        }
        Err(last_error.unwrap_or_else(|| {
            webrtc::error::Error::Other("no UDP port free in rooms.udp_port_min..max".into())
        }))
    }

    fn port_attempts(&self) -> u32 {
        let s = &self.inner.settings;
        if s.udp_port_min == 0 {
            1
        } else {
            u32::from(s.udp_port_max - s.udp_port_min + 1).min(64)
        }
    }

    /// The next port of the range, round robin (0: the system picks).
    fn next_port(&self) -> u16 {
        let s = &self.inner.settings;
        if s.udp_port_min == 0 {
            return 0;
        }
        let span = s.udp_port_max - s.udp_port_min + 1;
        let n = self.inner.next_port.fetch_add(1, Ordering::Relaxed);
        s.udp_port_min + n.wrapping_sub(s.udp_port_min) % span
    }

    /// The address media binds to.
    pub fn udp_address(&self) -> IpAddr {
        self.inner.settings.udp_address
    }
}

/// What publish connections accept: Opus, VP8, VP9, H.264 and AV1 as browsers send them,
/// with NACK and keyframe requests but **no RTX** (RFC 4588 retransmission streams).
///
/// A browser sends the retransmissions of a simulcast layer on an RTX stream that only its
/// `repaired-rtp-stream-id` header extension ties to the layer, and the `rtc` crate (0.21)
/// cannot tie them yet: it dropped every one. Then nothing repaired a packet lost between a
/// publisher and the server; the server kept asking, the browser kept resending (measured:
/// retransmissions grew to two thirds of what it sent at 3 % loss), and every subscriber's
/// picture froze until the next keyframe. Without RTX negotiated, browsers resend a lost packet
/// as itself, on the layer's own stream, which the server receives and forwards like any other.
/// Subscribe connections keep RTX: the server's retransmissions to subscribers use it.
fn publish_codecs() -> Vec<(
    rtc::rtp_transceiver::rtp_sender::RTCRtpCodecParameters,
    rtc::rtp_transceiver::rtp_sender::RtpCodecKind,
)> {
    use rtc::rtp_transceiver::rtp_sender::{
        RTCPFeedback, RTCRtpCodec, RTCRtpCodecParameters, RtpCodecKind,
    };
    let feedback = |typ: &str, parameter: &str| RTCPFeedback {
        typ: typ.to_owned(),
        parameter: parameter.to_owned(),
    };
    let video_feedback = vec![
        feedback("goog-remb", ""),
        feedback("ccm", "fir"),
        feedback("nack", ""),
        feedback("nack", "pli"),
    ];
    let codec = |mime: &str, clock_rate: u32, channels: u16, fmtp: &str, payload_type: u8| {
        let audio = mime.starts_with("audio/");
        (
            RTCRtpCodecParameters {
                rtp_codec: RTCRtpCodec {
                    mime_type: mime.to_owned(),
                    clock_rate,
                    channels,
                    sdp_fmtp_line: fmtp.to_owned(),
                    rtcp_feedback: if audio {
                        vec![]
                    } else {
                        video_feedback.clone()
                    },
                },
                payload_type,
            },
            if audio {
                RtpCodecKind::Audio
            } else {
                RtpCodecKind::Video
            },
        )
    };
    let h264 = |mode: u8, profile: &str| {
        format!("level-asymmetry-allowed=1;packetization-mode={mode};profile-level-id={profile}")
    };
    vec![
        codec("audio/opus", 48000, 2, "minptime=10;useinbandfec=1", 111),
        codec("video/VP8", 90000, 0, "", 96),
        codec("video/VP9", 90000, 0, "profile-id=0", 98),
        codec("video/VP9", 90000, 0, "profile-id=1", 100),
        codec("video/H264", 90000, 0, &h264(1, "42001f"), 102),
        codec("video/H264", 90000, 0, &h264(0, "42001f"), 127),
        codec("video/H264", 90000, 0, &h264(1, "42e01f"), 125),
        codec("video/H264", 90000, 0, &h264(0, "42e01f"), 108),
        codec("video/H264", 90000, 0, &h264(1, "640032"), 123),
        codec("video/AV1", 90000, 0, "profile-id=0", 41),
    ]
}

/// How clients reach a peer connection: on its own port of the range, as its SDP says, or
/// on the shared port, which its SDP must be made to say.
#[derive(Debug, Clone, Default)]
pub struct Transport(Option<Arc<mux::Port>>);

impl Transport {
    /// `sdp` (of the connection) as it is to be sent to the client.
    pub fn advertise(&self, sdp: String) -> String {
        match &self.0 {
            Some(port) => port.advertise(&sdp),
            None => sdp,
        }
    }
}

fn duration_ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// The bandwidth estimator of subscribe connections: Google Congestion Control, publishing
/// its target bitrate where the forwarding can read it.
mod estimate {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;
    use std::time::Instant;

    use rtc::interceptor::{BandwidthEstimator, EstimatorStats, Gcc, PacketReport};

    /// Bits per second the estimate starts at, and its bounds.
    pub const INITIAL: u64 = 2_500_000;
    const MIN: u64 = 100_000;
    const MAX: u64 = 50_000_000;

    pub struct Reporting {
        inner: Gcc,
        target: Arc<AtomicU64>,
    }

    impl Reporting {
        pub fn new(target: Arc<AtomicU64>) -> Reporting {
            let inner = Gcc::new(INITIAL as f64, MIN as f64, MAX as f64);
            target.store(INITIAL, Ordering::Relaxed);
            Reporting { inner, target }
        }

        fn publish(&self) {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let bps = self.inner.target_bitrate().max(0.0) as u64;
            self.target.store(bps, Ordering::Relaxed);
        }
    }

    impl BandwidthEstimator for Reporting {
        fn on_reports(&mut self, now: Instant, reports: &[PacketReport]) {
            self.inner.on_reports(now, reports);
            self.publish();
        }
        fn target_bitrate(&self) -> f64 {
            self.inner.target_bitrate()
        }
        fn handle_timeout(&mut self, now: Instant) {
            self.inner.handle_timeout(now);
            self.publish();
        }
        fn poll_timeout(&self) -> Option<Instant> {
            self.inner.poll_timeout()
        }
        fn stats(&self) -> EstimatorStats {
            self.inner.stats()
        }
    }
}
