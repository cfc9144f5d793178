//! A published track (someone's microphone, camera or screen) and the sinks it forwards to.
//! This is the hot path: each RTP packet a publisher sends is looked at once here and handed
//! to the subscribers that want its layer, without locks held across an await.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use futures_util::FutureExt as _;
use serde::{Deserialize, Serialize};
use webrtc::media_stream::track_local::static_rtp::TrackLocalStaticRTP;
use webrtc::media_stream::track_local::TrackLocal as _;
use webrtc::media_stream::track_remote::TrackRemote;

use crate::metrics::RoomsMetrics;

/// What a track carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// A microphone (Opus).
    Microphone,
    /// A camera (VP8, H.264 or VP9, simulcast with rids q, h, f).
    Camera,
    /// A shared screen (one encoding).
    Screen,
}

impl Source {
    /// Its name in the protocol.
    pub fn name(self) -> &'static str {
        match self {
            Source::Microphone => "microphone",
            Source::Camera => "camera",
            Source::Screen => "screen",
        }
    }

    /// Whether it is audio.
    pub fn is_audio(self) -> bool {
        self == Source::Microphone
    }
}

/// Simulcast layers by rid, smallest first; a track without rids is layer 0.
pub const RIDS: [&str; 3] = ["q", "h", "f"];
/// No layer: the sink receives nothing.
pub const NO_LAYER: u8 = u8::MAX;

/// The layer index of a rid.
pub fn layer_of_rid(rid: &str) -> u8 {
    match rid {
        "h" => 1,
        "f" => 2,
        _ => 0,
    }
}

/// A subscriber's interest in a published track: its down track, and how packets are
/// rewritten for it. The publisher's reader writes to it directly (no queue, no task of its
/// own): a look-up of the layer, a header rewrite under an uncontended lock, and a hand-off to
/// the subscriber's connection that never waits.
pub struct Sink {
    /// The subscriber's participant id.
    pub subscriber: String,
    /// Its down track.
    pub slot: u64,
    /// The layer it is forwarded now.
    pub current: AtomicU8,
    /// The layer it switches to at the next keyframe of that layer (`current` when none).
    pub target: AtomicU8,
    pub(crate) track: Arc<TrackLocalStaticRTP>,
    /// The SSRC the subscriber sees.
    pub(crate) ssrc: u32,
    /// The payload type negotiated on the subscriber's connection ([`NO_LAYER`] until known).
    pub(crate) payload_type: AtomicU8,
    /// Whether the client answered an offer carrying it: before, it would drop what is sent
    /// (a keyframe among it), so nothing is forwarded and no layer switch happens.
    pub(crate) negotiated: AtomicBool,
    /// Whether the subscriber's connection is up: nothing is written to it before.
    pub(crate) receiving: Arc<AtomicBool>,
    pub(crate) rewrite: Mutex<Rewrite>,
}

/// Sequence numbers and timestamps as a subscriber sees them: continuous across layer
/// switches.
#[derive(Default)]
pub(crate) struct Rewrite {
    started: bool,
    rebase: bool,
    seq_offset: u16,
    ts_offset: u32,
    last_seq: u16,
    last_ts: u32,
}

impl Sink {
    /// Writes `packet` of `layer` of `published` to the subscriber: switches simulcast layers
    /// at keyframes and keeps sequence numbers and timestamps continuous. Never waits: when the
    /// subscriber's connection has no room, the packet is dropped (and counted).
    fn write(&self, published: &Published, layer: u8, mut packet: rtc::rtp::Packet) {
        if !self.receiving.load(Ordering::Relaxed) || !self.negotiated.load(Ordering::Relaxed) {
            return;
        }
        let pt = self.payload_type.load(Ordering::Relaxed);
        if pt == NO_LAYER {
            return;
        }
        {
            let current = self.current.load(Ordering::Relaxed);
            let target = self.target.load(Ordering::Relaxed);
            let mut rewrite = self.rewrite.lock().unwrap_or_else(|e| e.into_inner());
            if layer == target && target != current {
                if published.source.is_audio()
                    || is_keyframe(&published.codec.mime_type, &packet.payload)
                {
                    self.current.store(target, Ordering::Relaxed);
                    tracing::debug!(publisher = %published.participant, source = published.source.name(), layer, "layer switched at a keyframe");
                    rewrite.rebase = true;
                    published.metrics.layer_switches.inc();
                } else {
                    return;
                }
            } else if layer != current {
                return;
            }
            let header = &mut packet.header;
            if !rewrite.started || rewrite.rebase {
                // Continue where the subscriber's stream left off (or start anywhere).
                let next_seq = rewrite.last_seq.wrapping_add(1);
                let next_ts = rewrite.last_ts.wrapping_add(1);
                rewrite.seq_offset = next_seq.wrapping_sub(header.sequence_number);
                rewrite.ts_offset = next_ts.wrapping_sub(header.timestamp);
                rewrite.started = true;
                rewrite.rebase = false;
            }
            header.sequence_number = header.sequence_number.wrapping_add(rewrite.seq_offset);
            header.timestamp = header.timestamp.wrapping_add(rewrite.ts_offset);
            if header.sequence_number.wrapping_sub(rewrite.last_seq) < 0x8000 {
                rewrite.last_seq = header.sequence_number;
                rewrite.last_ts = header.timestamp;
            }
            header.ssrc = self.ssrc;
            header.payload_type = pt;
        }
        // `write_rtp` only hands the packet to the connection's driver (a lock nobody holds
        // while forwarding, then a bounded channel, neither tied to a runtime's budget): polled
        // once, it is done, or that channel is full and the packet is dropped rather than
        // awaited, so one slow subscriber never holds up the publisher's other subscribers.
        match self.track.write_rtp(packet).now_or_never() {
            Some(Ok(())) => {
                published.metrics.packets_out.inc();
            }
            // Not bound (any more): the subscriber is renegotiating or leaving.
            Some(Err(_)) => {}
            None => {
                published.metrics.packets_dropped.inc();
            }
        }
    }
}

/// The measured state of one simulcast layer.
#[derive(Default)]
pub struct Layer {
    /// Its SSRC, once seen.
    pub ssrc: AtomicU32,
    /// Width and height from its last keyframe (VP8), 0 when unknown.
    pub size: AtomicU32,
    /// Bytes received, for the bitrate estimate.
    pub bytes: AtomicU64,
    /// Bits per second measured over the last second.
    pub bitrate: AtomicU64,
}

/// A track published by a participant, forwarded to everyone else who subscribes to it.
pub struct Published {
    /// Unique in the process.
    pub key: u64,
    /// The publisher's participant id.
    pub participant: String,
    /// What it carries.
    pub source: Source,
    /// Its codec, as the publisher negotiated it.
    pub codec: rtc::rtp_transceiver::rtp_sender::RTCRtpCodec,
    /// The media section (`mid`) of the publisher's connection it arrives on.
    pub mid: String,
    /// Whether it ended (the publisher stopped it or left): it forwards nothing any more.
    pub closed: AtomicBool,
    /// Whether it has several layers.
    pub simulcast: AtomicBool,
    /// Whether it is forwarded (a moderator's mute stops it).
    pub enabled: AtomicBool,
    /// Simulcast layers (index by [`layer_of_rid`]).
    pub layers: [Layer; 3],
    /// The RFC 6464 audio level of the last packets, 0 (silent) to 127 (loudest).
    pub loudness: AtomicU8,
    pub(crate) sinks: RwLock<Arc<Vec<Arc<Sink>>>>,
    pub(crate) track: Mutex<Option<Arc<dyn TrackRemote>>>,
    pub(crate) metrics: RoomsMetrics,
}

impl Published {
    pub(crate) fn new(
        key: u64,
        participant: String,
        source: Source,
        codec: rtc::rtp_transceiver::rtp_sender::RTCRtpCodec,
        mid: String,
        track: Arc<dyn TrackRemote>,
        metrics: RoomsMetrics,
    ) -> Published {
        Published {
            key,
            participant,
            source,
            codec,
            mid,
            closed: AtomicBool::new(false),
            simulcast: AtomicBool::new(false),
            enabled: AtomicBool::new(true),
            layers: Default::default(),
            loudness: AtomicU8::new(0),
            sinks: RwLock::new(Arc::new(Vec::new())),
            track: Mutex::new(Some(track)),
            metrics,
        }
    }

    /// Adds a sink.
    pub(crate) fn attach(&self, sink: Arc<Sink>) {
        let mut sinks = self.sinks.write().unwrap_or_else(|e| e.into_inner());
        let mut next: Vec<Arc<Sink>> = sinks.iter().cloned().collect();
        next.push(sink);
        *sinks = Arc::new(next);
    }

    /// Removes the sinks of `subscriber`.
    pub(crate) fn detach(&self, subscriber: &str) {
        let mut sinks = self.sinks.write().unwrap_or_else(|e| e.into_inner());
        if sinks.iter().any(|s| s.subscriber == subscriber) {
            let next: Vec<Arc<Sink>> = sinks
                .iter()
                .filter(|s| s.subscriber != subscriber)
                .cloned()
                .collect();
            *sinks = Arc::new(next);
        }
    }

    /// Drops every sink and the remote track (the publisher left).
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::Relaxed);
        *self.sinks.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(Vec::new());
        *self.track.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// How many subscribers it has.
    pub fn sink_count(&self) -> usize {
        self.sinks.read().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Hands `packet` of `layer` to every sink that wants that layer. Never waits: a
    /// subscriber too slow to keep up loses packets (and asks for them again by NACK or a
    /// keyframe), it never slows the others.
    ///
    /// The publisher's header extensions are dropped here, once (they are ids negotiated on
    /// its connection, meaningless on a subscriber's): the copy each sink gets then costs no
    /// allocation, only a reference count on the payload. Each sink is written to here, on the
    /// publisher's reader: no queue or task per subscriber in between.
    pub(crate) fn forward(&self, layer: u8, mut packet: rtc::rtp::Packet) {
        if !self.enabled.load(Ordering::Relaxed) || self.closed.load(Ordering::Relaxed) {
            return;
        }
        let sinks = self.sinks.read().unwrap_or_else(|e| e.into_inner()).clone();
        let header = &mut packet.header;
        header.extension = false;
        header.extension_profile = 0;
        header.extensions.clear();
        header.extensions_padding = 0;
        for sink in sinks.iter() {
            let current = sink.current.load(Ordering::Relaxed);
            let target = sink.target.load(Ordering::Relaxed);
            if layer != current && layer != target {
                continue;
            }
            sink.write(self, layer, packet.clone());
        }
    }

    /// Asks the publisher for a keyframe of `layer` (PLI).
    pub(crate) async fn request_keyframe(&self, layer: u8) {
        use rtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
        if self.source.is_audio() {
            return;
        }
        let Some(ssrc) = self
            .layers
            .get(usize::from(layer))
            .map(|l| l.ssrc.load(Ordering::Relaxed))
            .filter(|s| *s != 0)
        else {
            return;
        };
        let track = self.track.lock().unwrap_or_else(|e| e.into_inner()).clone();
        if let Some(track) = track {
            let pli = PictureLossIndication {
                sender_ssrc: 0,
                media_ssrc: ssrc,
            };
            let sent = track.write_rtcp(vec![Box::new(pli)]).await.is_ok();
            tracing::debug!(participant = %self.participant, source = self.source.name(), layer, ssrc, sent, "keyframe requested");
            if sent {
                self.metrics.keyframe_requests.inc();
            }
        }
    }

    /// The layers seen so far, as (index, width, bitrate); only those that flow when some do
    /// (a browser pauses its upper layers when short of bandwidth or CPU: a subscriber
    /// waiting for a keyframe of one of those would wait for ever).
    pub fn seen_layers(&self) -> Vec<(u8, u32, u64)> {
        let seen: Vec<(u8, u32, u64)> = self
            .layers
            .iter()
            .enumerate()
            .filter(|(_, l)| l.ssrc.load(Ordering::Relaxed) != 0)
            .map(|(i, l)| {
                (
                    u8::try_from(i).unwrap_or(0),
                    l.size.load(Ordering::Relaxed) >> 16,
                    l.bitrate.load(Ordering::Relaxed),
                )
            })
            .collect();
        if seen.iter().any(|l| l.2 > 0) {
            seen.into_iter().filter(|l| l.2 > 0).collect()
        } else {
            seen
        }
    }
}

/// Whether a VP8 payload starts a keyframe; with its width and height when it does.
pub fn vp8_keyframe(payload: &[u8]) -> Option<(u16, u16)> {
    // RFC 7741 payload descriptor: X bit, then optional I/L/T/K bytes.
    let first = *payload.first()?;
    let start_of_partition = first & 0x10 != 0 && first & 0x0f == 0;
    if !start_of_partition {
        return None;
    }
    let mut at = 1;
    if first & 0x80 != 0 {
        let ext = *payload.get(at)?;
        at += 1;
        if ext & 0x80 != 0 {
            let picture_id = *payload.get(at)?;
            at += if picture_id & 0x80 != 0 { 2 } else { 1 };
        }
        if ext & 0x40 != 0 {
            at += 1;
        }
        if ext & 0x30 != 0 {
            at += 1;
        }
    }
    let header = payload.get(at..at + 10)?;
    // Frame tag: bit 0 is 0 for a keyframe, then the start code 9d 01 2a.
    if header[0] & 0x01 != 0 || header[3..6] != [0x9d, 0x01, 0x2a] {
        return None;
    }
    let width = u16::from_le_bytes([header[6], header[7]]) & 0x3fff;
    let height = u16::from_le_bytes([header[8], header[9]]) & 0x3fff;
    Some((width, height))
}

/// Whether a payload of `mime` starts a keyframe (H.264 and VP9 are judged loosely: a
/// switch on them waits for the next packet that looks like one).
pub fn is_keyframe(mime: &str, payload: &[u8]) -> bool {
    // Per packet while a layer switch waits: compared in place, not lowercased into a copy.
    let is = |codec: &str| {
        mime.len()
            .checked_sub(codec.len())
            .and_then(|at| mime.as_bytes().get(at..))
            .is_some_and(|end| end.eq_ignore_ascii_case(codec.as_bytes()))
    };
    if is("vp8") {
        return vp8_keyframe(payload).is_some();
    }
    if is("vp9") {
        // RFC 9628: P bit clear and B bit set: the start of an intra frame.
        return payload
            .first()
            .is_some_and(|b| b & 0x40 == 0 && b & 0x08 != 0);
    }
    if is("h264") {
        let nal = |b: u8| b & 0x1f;
        return match payload.first().map(|b| nal(*b)) {
            Some(5 | 7) => true,
            // STAP-A: first aggregated unit's type.
            Some(24) => payload.get(3).is_some_and(|b| matches!(nal(*b), 5 | 7)),
            // FU-A with the start bit.
            Some(28) => payload
                .get(1)
                .is_some_and(|b| b & 0x80 != 0 && matches!(nal(*b), 5 | 7)),
            _ => false,
        };
    }
    true
}

/// The audio level in an RFC 6464 extension byte, as loudness 0 (silent) to 127 (loudest).
pub fn loudness(extension: &[u8]) -> Option<u8> {
    extension.first().map(|b| 127 - (b & 0x7f))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vp8_keyframes_and_their_size_are_recognised() {
        // Descriptor with S bit, then a keyframe header 640x360.
        let mut key = vec![0x10, 0x00, 0x00, 0x00, 0x9d, 0x01, 0x2a];
        key.extend_from_slice(&640u16.to_le_bytes());
        key.extend_from_slice(&360u16.to_le_bytes());
        assert_eq!(vp8_keyframe(&key), Some((640, 360)));
        assert!(is_keyframe("video/VP8", &key));
        let mut delta = key.clone();
        delta[1] = 0x01;
        assert_eq!(vp8_keyframe(&delta), None);
        assert_eq!(vp8_keyframe(&[]), None);
        assert_eq!(vp8_keyframe(&[0x90, 0x80]), None);
    }

    #[test]
    fn audio_levels_read_as_loudness() {
        assert_eq!(loudness(&[0x80 | 127]), Some(0));
        assert_eq!(loudness(&[0]), Some(127));
        assert_eq!(loudness(&[]), None);
    }
}
