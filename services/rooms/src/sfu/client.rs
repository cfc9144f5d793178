//! A synthetic participant's media, built with the `webrtc` crate as a browser's would be:
//! the pieces the rooms tests and `maille loadtest rooms` share (peer connections bound to
//! loopback-friendly UDP, Opus and VP8 tracks, the packets they send, SDP exchanges). The
//! server does not use it, except [`Gathering`], which its connections share.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use rtc::media_stream::MediaStreamTrack;
use rtc::rtp_transceiver::rtp_sender::{
    RTCRtpCodec, RTCRtpCodingParameters, RTCRtpEncodingParameters, RtpCodecKind,
};
use tokio::sync::Notify;
use webrtc::media_stream::track_local::static_rtp::TrackLocalStaticRTP;
use webrtc::media_stream::track_remote::TrackRemote;
use webrtc::peer_connection::{
    register_default_interceptors, MediaEngine, PeerConnection, PeerConnectionBuilder,
    PeerConnectionEventHandler, RTCConfigurationBuilder, RTCIceGatheringState, RTCIceServer,
    RTCIceTransportPolicy, RTCSessionDescription, Registry, SettingEngineBuilder,
};

/// Whether a connection's ICE gathering is complete, to wait for its candidates to be in
/// the SDP before sending it (there is no trickling of the server's candidates).
#[derive(Default)]
pub struct Gathering {
    notify: Notify,
    done: AtomicBool,
}

impl Gathering {
    /// Follows the connection's gathering state.
    pub fn update(&self, state: RTCIceGatheringState) {
        let done = state == RTCIceGatheringState::Complete;
        self.done.store(done, Ordering::SeqCst);
        if done {
            self.notify.notify_waiters();
        }
    }

    /// Forgets a completed gathering (an ICE restart gathers again).
    pub fn restart(&self) {
        self.done.store(false, Ordering::SeqCst);
    }

    /// `pc`'s local description once gathering completed, or after `patience`.
    pub async fn local_sdp(&self, pc: &dyn PeerConnection, patience: Duration) -> Option<String> {
        let notified = self.notify.notified();
        tokio::pin!(notified);
        // Registered before the check: a completion in between is not missed.
        notified.as_mut().enable();
        if !self.done.load(Ordering::SeqCst) {
            let _ = tokio::time::timeout(patience, notified).await;
        }
        pc.local_description().await.map(|d| d.sdp)
    }
}

/// What a participant does with a track it receives.
pub type OnTrack = Arc<dyn Fn(Arc<dyn TrackRemote>) + Send + Sync>;

/// How a synthetic participant connects.
#[derive(Clone, Default)]
pub struct ClientOptions {
    /// Local address its UDP sockets bind to (`127.0.0.1` when empty).
    pub bind: String,
    /// ICE servers (TURN).
    pub ice_servers: Vec<RTCIceServer>,
    /// Use only relayed candidates.
    pub relay_only: bool,
    /// Hand keyframe requests (PLI, FIR) about its tracks to the application.
    pub keyframe_requests: bool,
}

/// A synthetic participant's connection handler: its gathering, and what it does with the
/// tracks it receives.
pub struct ClientHandler {
    /// Its ICE gathering.
    pub gathering: Gathering,
    on_track: Option<OnTrack>,
}

#[async_trait::async_trait]
impl PeerConnectionEventHandler for ClientHandler {
    async fn on_ice_gathering_state_change(&self, state: RTCIceGatheringState) {
        self.gathering.update(state);
    }

    async fn on_track(&self, track: Arc<dyn TrackRemote>) {
        if let Some(on_track) = &self.on_track {
            on_track(track);
        }
    }
}

impl ClientHandler {
    /// `pc`'s local description once its candidates are in (5 s at most).
    pub async fn local_sdp(&self, pc: &dyn PeerConnection) -> String {
        self.gathering
            .local_sdp(pc, Duration::from_secs(5))
            .await
            .unwrap_or_default()
    }
}

/// A peer connection of a synthetic participant with the default codecs and interceptors.
pub async fn connection(
    options: &ClientOptions,
    on_track: Option<OnTrack>,
) -> webrtc::error::Result<(Arc<dyn PeerConnection>, Arc<ClientHandler>)> {
    let mut engine = MediaEngine::default();
    engine.register_default_codecs()?;
    let mut registry = register_default_interceptors(Registry::new(), &mut engine)?;
    if options.keyframe_requests {
        registry = registry.with(
            rtc::interceptor::Slot::from(14_000),
            super::feedback::KeyframeRequests::default(),
        );
    }
    let handler = Arc::new(ClientHandler {
        gathering: Gathering::default(),
        on_track,
    });
    let mut config = RTCConfigurationBuilder::new().with_ice_servers(options.ice_servers.clone());
    if options.relay_only {
        config = config.with_ice_transport_policy(RTCIceTransportPolicy::Relay);
    }
    let bind = if options.bind.is_empty() {
        "127.0.0.1"
    } else {
        &options.bind
    };
    let pc = PeerConnectionBuilder::new()
        .with_configuration(config.build())
        .with_media_engine(engine)
        .with_interceptor_registry(registry)
        .with_setting_engine(
            SettingEngineBuilder::new()
                .with_include_loopback_candidate(true)
                .build(),
        )
        .with_handler(handler.clone())
        .with_udp_addrs(vec![format!("{bind}:0")])
        .build()
        .await?;
    Ok((Arc::new(pc), handler))
}

/// Opus, as browsers send it.
pub fn opus() -> RTCRtpCodec {
    RTCRtpCodec {
        mime_type: "audio/opus".into(),
        clock_rate: 48000,
        channels: 2,
        ..Default::default()
    }
}

/// VP8.
pub fn vp8() -> RTCRtpCodec {
    RTCRtpCodec {
        mime_type: "video/VP8".into(),
        clock_rate: 90000,
        ..Default::default()
    }
}

/// A track to send, with one encoding per (rid, SSRC) (rid empty: no simulcast).
pub fn local_track(
    stream: String,
    id: String,
    kind: RtpCodecKind,
    codec: &RTCRtpCodec,
    encodings: &[(String, u32)],
) -> Arc<TrackLocalStaticRTP> {
    let codings = encodings
        .iter()
        .map(|(rid, ssrc)| RTCRtpEncodingParameters {
            rtp_coding_parameters: RTCRtpCodingParameters {
                rid: rid.clone(),
                ssrc: Some(*ssrc),
                ..Default::default()
            },
            codec: codec.clone(),
            ..Default::default()
        })
        .collect();
    Arc::new(TrackLocalStaticRTP::new(MediaStreamTrack::new(
        stream,
        id.clone(),
        id,
        kind,
        codings,
    )))
}

/// The start of a VP8 keyframe of `width` x `height`: payload descriptor (S bit) and frame
/// header.
pub fn vp8_keyframe_start(width: u16, height: u16) -> [u8; 11] {
    let [w0, w1] = width.to_le_bytes();
    let [h0, h1] = height.to_le_bytes();
    [0x10, 0x00, 0x00, 0x00, 0x9d, 0x01, 0x2a, w0, w1, h0, h1]
}

/// The size browsers send simulcast layer `rid` at.
pub fn layer_size(rid: &str) -> (u16, u16) {
    match rid {
        "q" => (320, 180),
        "h" => (640, 360),
        _ => (1280, 720),
    }
}

/// The ids the server's publish answer gives the mid and rid header extensions.
#[derive(Debug, Clone, Copy, Default)]
pub struct HeaderIds {
    /// `urn:ietf:params:rtp-hdrext:sdes:mid`.
    pub mid: Option<u8>,
    /// `urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id`.
    pub rid: Option<u8>,
}

impl HeaderIds {
    /// Read from an answer.
    pub fn of(sdp: &str) -> HeaderIds {
        HeaderIds {
            mid: super::extmap_id(sdp, "urn:ietf:params:rtp-hdrext:sdes:mid"),
            rid: super::extmap_id(sdp, "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"),
        }
    }
}

/// Audio packet `seq` (Opus, 20 ms frames). Audio is announced by its SSRC in the offer:
/// no mid extension.
pub fn audio_packet(ssrc: u32, seq: u16, payload: Bytes) -> rtc::rtp::Packet {
    rtc::rtp::Packet {
        header: rtc::rtp::Header {
            version: 2,
            payload_type: 111,
            sequence_number: seq,
            timestamp: u32::from(seq).wrapping_mul(960),
            ssrc,
            marker: true,
            ..Default::default()
        },
        payload,
    }
}

/// Video packet `seq` (VP8 at 30 frames a second) of the layer `rid` ("" without
/// simulcast), carrying the mid and rid extensions as a browser's do.
pub fn video_packet(
    ssrc: u32,
    seq: u16,
    ids: HeaderIds,
    mid: &str,
    rid: &str,
    payload: Bytes,
) -> rtc::rtp::Packet {
    let mut header = rtc::rtp::Header {
        version: 2,
        payload_type: 96,
        sequence_number: seq,
        timestamp: u32::from(seq).wrapping_mul(3000),
        ssrc,
        marker: true,
        extension: true,
        extension_profile: 0xBEDE,
        ..Default::default()
    };
    if let Some(id) = ids.mid {
        let _ = header.set_extension(id, Bytes::copy_from_slice(mid.as_bytes()));
    }
    if let (Some(id), false) = (ids.rid, rid.is_empty()) {
        let _ = header.set_extension(id, Bytes::copy_from_slice(rid.as_bytes()));
    }
    rtc::rtp::Packet { header, payload }
}

/// Makes the publish offer of `pc`: its SDP, with the mid and kind of each track.
pub async fn publish_offer(
    pc: &dyn PeerConnection,
    handler: &ClientHandler,
) -> webrtc::error::Result<(String, Vec<(String, RtpCodecKind)>)> {
    let offer = pc.create_offer(None).await?;
    pc.set_local_description(offer).await?;
    let sdp = handler.local_sdp(pc).await;
    let mut mids = Vec::new();
    for t in pc.get_transceivers().await {
        let (Ok(Some(mid)), Ok(Some(sender))) = (t.mid().await, t.sender().await) else {
            continue;
        };
        mids.push((mid, sender.track().kind().await));
    }
    Ok((sdp, mids))
}

/// The source a track of `kind` is announced as (a synthetic camera or microphone).
pub fn source_of(kind: RtpCodecKind) -> &'static str {
    if kind == RtpCodecKind::Audio {
        "microphone"
    } else {
        "camera"
    }
}

/// Answers the server's subscribe offer `sdp`, opening the subscribe connection on the
/// first one (with `on_track`); returns the answer's SDP.
pub async fn answer_subscribe_offer(
    subscribe: &mut Option<(Arc<dyn PeerConnection>, Arc<ClientHandler>)>,
    options: &ClientOptions,
    on_track: impl FnOnce() -> Option<OnTrack>,
    sdp: String,
) -> webrtc::error::Result<String> {
    let (pc, handler) = match subscribe {
        Some(existing) => existing.clone(),
        None => {
            let opened = connection(options, on_track()).await?;
            *subscribe = Some(opened.clone());
            opened
        }
    };
    pc.set_remote_description(RTCSessionDescription::offer(sdp)?)
        .await?;
    let answer = pc.create_answer(None).await?;
    pc.set_local_description(answer).await?;
    Ok(handler.local_sdp(pc.as_ref()).await)
}
