//! Congestion control on subscribe connections: the `webrtc` crate's (Google Congestion
//! Control fed by transport-wide feedback, and its pacer), with the pacer releasing at a
//! multiple of the estimate rather than at the estimate itself.
//!
//! The forwarding already keeps what it sends within the estimate (it picks simulcast layers
//! by it), so the pacer is only there to spread bursts. Pacing at the estimate exactly turns
//! any moment above it (a keyframe, an estimate that has not caught up yet) into a queue that
//! drains slowly, seconds long with many senders in a room; libwebrtc paces at 2.5 times the
//! estimate for the same reason.

use std::time::Instant;

use rtc::interceptor::{
    Attribute, BandwidthEstimator, CongestionControlBuilder, Interceptor, PacerBuilder,
    PacerInterceptor, Registry, Slot, StreamInfo, TaggedPacket, TwccReceiverBuilder,
    TwccSenderBuilder,
};
use rtc::peer_connection::configuration::media_engine::MediaEngine;
use rtc::rtp_transceiver::rtp_sender::{
    RTCPFeedback, RTCRtpHeaderExtensionCapability, RtpCodecKind, TYPE_RTCP_FB_TRANSPORT_CC,
};
use rtc::sansio::Protocol;
use rtc::shared::error::Error;

/// How much faster than the estimate the pacer releases packets.
pub const PACING_FACTOR: f64 = 2.5;

/// What `configure_congestion_control` of the `webrtc` crate does with TWCC feedback, with
/// [`Pacing`] in the pacer's place; `initial` is the estimate's starting point in bits per
/// second.
pub fn configure<E: BandwidthEstimator + 'static>(
    registry: Registry,
    estimator: E,
    initial: f64,
    engine: &mut MediaEngine,
) -> webrtc::error::Result<Registry> {
    for kind in [RtpCodecKind::Video, RtpCodecKind::Audio] {
        engine.register_feedback(
            RTCPFeedback {
                typ: TYPE_RTCP_FB_TRANSPORT_CC.to_owned(),
                parameter: String::new(),
            },
            kind,
        );
        engine.register_header_extension(
            RTCRtpHeaderExtensionCapability {
                uri: rtc::sdp::extmap::TRANSPORT_CC_URI.to_owned(),
            },
            kind,
            None,
        )?;
    }
    let pacer = PacerBuilder::new()
        .with_target_bitrate(initial * PACING_FACTOR)
        .build();
    Ok(registry
        .with(
            Slot::CongestionControl,
            CongestionControlBuilder::new(estimator).build(),
        )
        .with(Slot::Pacer, Pacing { pacer })
        .with(Slot::TwccSender, TwccSenderBuilder::new().build())
        .with(Slot::TwccReceiver, TwccReceiverBuilder::new().build()))
}

/// The crate's pacer, told [`PACING_FACTOR`] times each new estimate.
pub struct Pacing {
    pacer: PacerInterceptor,
}

impl Protocol<TaggedPacket, TaggedPacket, ()> for Pacing {
    type Rout = TaggedPacket;
    type Wout = TaggedPacket;
    type Eout = ();
    type Error = Error;
    type Time = Instant;

    fn handle_read(&mut self, message: TaggedPacket) -> Result<(), Error> {
        // The estimate rides on the feedback packet that produced it (see the crate's pacer).
        let estimate = match message.message.get(&Attribute::TargetBitrateChanged {
            bits_per_second: 0.0,
        }) {
            Some(Attribute::TargetBitrateChanged { bits_per_second }) => Some(*bits_per_second),
            _ => None,
        };
        self.pacer.handle_read(message)?;
        if let Some(bits_per_second) = estimate {
            self.pacer
                .pacer_mut()
                .set_target_bitrate(bits_per_second * PACING_FACTOR);
        }
        Ok(())
    }

    fn poll_read(&mut self) -> Option<TaggedPacket> {
        self.pacer.poll_read()
    }

    fn handle_write(&mut self, message: TaggedPacket) -> Result<(), Error> {
        self.pacer.handle_write(message)
    }

    fn poll_write(&mut self) -> Option<TaggedPacket> {
        self.pacer.poll_write()
    }

    fn handle_timeout(&mut self, now: Instant) -> Result<(), Error> {
        self.pacer.handle_timeout(now)
    }

    fn poll_timeout(&mut self) -> Option<Instant> {
        self.pacer.poll_timeout()
    }
}

impl Interceptor for Pacing {
    fn bind_local_stream(&mut self, info: &StreamInfo) {
        self.pacer.bind_local_stream(info);
    }
    fn unbind_local_stream(&mut self, info: &StreamInfo) {
        self.pacer.unbind_local_stream(info);
    }
    fn bind_remote_stream(&mut self, info: &StreamInfo) {
        self.pacer.bind_remote_stream(info);
    }
    fn unbind_remote_stream(&mut self, info: &StreamInfo) {
        self.pacer.unbind_remote_stream(info);
    }
}
