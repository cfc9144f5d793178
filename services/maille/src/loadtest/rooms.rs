//! `maille loadtest rooms`: synthetic participants built on the `webrtc` crate, as browsers
//! would be. In each room, `--publishers` send a microphone (Opus-sized packets every 20 ms)
//! and a simulcast camera (three layers, VP8 keyframe-shaped packets every 20 ms), and
//! `--subscribers` only receive, showing every camera at 640 pixels (the middle layer).
//!
//! Every payload carries its send time, so the receiver measures the latency from end to end
//! (loopback has none of its own to speak of, but the tool's own reading and decrypting
//! counts); with `--wire-interface`, the latency the server adds is also measured on the wire
//! (see [`super::wire`]). Loss is what was expected minus what arrived.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context as _};
use clap::Args;
use futures_util::{SinkExt as _, StreamExt as _};
use maille_rooms::sfu::client::{self, ClientHandler, ClientOptions, HeaderIds, OnTrack};
use rtc::rtp_transceiver::rtp_sender::RtpCodecKind;
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use webrtc::media_stream::track_local::static_rtp::TrackLocalStaticRTP;
use webrtc::media_stream::track_local::TrackLocal;
use webrtc::media_stream::track_remote::{TrackRemote, TrackRemoteEvent};
use webrtc::peer_connection::{PeerConnection, RTCSessionDescription};

use super::process;
use super::wire::{self, Forwarded};

/// What to run.
#[derive(Debug, Args)]
pub struct RoomsArgs {
    /// The server, e.g. http://127.0.0.1:8080 (rooms are created through its API).
    #[arg(long)]
    url: String,
    /// Number of rooms.
    #[arg(long, default_value_t = 1)]
    rooms: usize,
    /// Participants sending a microphone and a simulcast camera, per room.
    #[arg(long, default_value_t = 2)]
    publishers: usize,
    /// Participants only receiving, per room.
    #[arg(long, default_value_t = 2)]
    subscribers: usize,
    /// Seconds of sending (after everyone connected).
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// A session token (to create rooms when anonymous rooms are not allowed).
    #[arg(long)]
    token: Option<String>,
    /// Local address the synthetic participants bind their UDP sockets to.
    #[arg(long, default_value = "127.0.0.1")]
    bind: String,
    /// Process id of the server, when it runs on this machine: its CPU time and memory are
    /// reported.
    #[arg(long)]
    server_pid: Option<u32>,
    /// Also measure the latency the server adds on the wire: capture this interface (`lo`
    /// when everything runs on this machine) with `tcpdump`, which needs root.
    #[arg(long)]
    wire_interface: Option<String>,
    /// Every publisher sends at the same instant of each 20 ms period (the worst case: the
    /// whole room's packets in one burst) instead of at its own moment.
    #[arg(long)]
    aligned: bool,
}

/// Sizes of the synthetic payloads: audio, then the q, h and f layers.
const SIZES: [usize; 4] = [120, 300, 700, 1100];
const RIDS: [&str; 3] = ["q", "h", "f"];

/// A track sent, with the rid (empty for audio) and SSRC of each of its encodings.
type SentTrack = (Arc<TrackLocalStaticRTP>, Vec<(String, u32)>);

#[derive(Default)]
struct Counters {
    sent_audio: AtomicU64,
    sent_video_h: AtomicU64,
    received: AtomicU64,
    /// Every packet that carried its stamp, as it arrived.
    arrivals: Mutex<Vec<Arrival>>,
    connected: AtomicU64,
    errors: AtomicU64,
}

/// What a payload starts with (after the VP8 header, for video): the send time in
/// microseconds since the epoch, then the SSRC and sequence number the publisher sent it with.
const STAMP: usize = 8 + 4 + 2;

fn write_stamp(payload: &mut Vec<u8>, ssrc: u32, seq: u16) {
    payload.extend_from_slice(&now_micros().to_be_bytes());
    payload.extend_from_slice(&ssrc.to_be_bytes());
    payload.extend_from_slice(&seq.to_be_bytes());
}

/// The send time and (SSRC, sequence number) of [`write_stamp`], from `STAMP` bytes.
fn read_stamp(stamp: &[u8]) -> Option<(u64, (u32, u16))> {
    let sent = u64::from_be_bytes(stamp.get(..8)?.try_into().ok()?);
    let ssrc = u32::from_be_bytes(stamp.get(8..12)?.try_into().ok()?);
    let seq = u16::from_be_bytes(stamp.get(12..STAMP)?.try_into().ok()?);
    Some((sent, (ssrc, seq)))
}

/// A packet a subscriber received: microseconds since its publisher sent it, and which
/// packet of the publisher it is a copy of.
struct Arrival {
    delay: u32,
    copy: Forwarded,
}

fn now_micros() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

/// Counts every packet received and measures its latency from the send time it carries.
fn measure(counters: Arc<Counters>) -> OnTrack {
    Arc::new(move |track: Arc<dyn TrackRemote>| {
        let counters = counters.clone();
        tokio::spawn(async move {
            let mut local: Vec<Arrival> = Vec::new();
            let flush = |local: &mut Vec<Arrival>| {
                counters
                    .arrivals
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .append(local);
            };
            while let Some(event) = track.poll().await {
                if let TrackRemoteEvent::OnRtpPacket(packet) = event {
                    let p = &packet.payload;
                    // Video payloads start with an 11-byte VP8 keyframe header.
                    let at = if p.len() > 19 && p[0] == 0x10 { 11 } else { 0 };
                    if let Some((sent, from)) = p.get(at..).and_then(read_stamp) {
                        let delay = now_micros().saturating_sub(sent);
                        local.push(Arrival {
                            delay: u32::try_from(delay).unwrap_or(u32::MAX),
                            copy: Forwarded {
                                out: (packet.header.ssrc, packet.header.sequence_number),
                                from,
                            },
                        });
                    }
                    counters.received.fetch_add(1, Ordering::Relaxed);
                    if local.len() >= 256 {
                        flush(&mut local);
                    }
                }
            }
            flush(&mut local);
        });
    })
}

struct Participant {
    ws_url: String,
    publisher: bool,
    bind: String,
    start: Instant,
    stop: Instant,
    aligned: bool,
    counters: Arc<Counters>,
}

impl Participant {
    async fn run(self) {
        if let Err(error) = self.session().await {
            self.counters.errors.fetch_add(1, Ordering::Relaxed);
            eprintln!("participant: {error:#}");
        }
    }

    async fn session(&self) -> anyhow::Result<()> {
        let (ws, _) = tokio_tungstenite::connect_async(&self.ws_url)
            .await
            .context("connecting the signalling WebSocket")?;
        let (mut sink, mut stream) = ws.split();
        sink.send(Message::text(
            json!({"type": "join", "name": if self.publisher { "publisher" } else { "subscriber" }})
                .to_string(),
        ))
        .await?;
        loop {
            let Some(Ok(frame)) = stream.next().await else {
                bail!("the server closed before joined");
            };
            if let Message::Text(text) = frame {
                let m: Value = serde_json::from_str(&text)?;
                if m["type"] == "joined" {
                    break;
                }
                if m["type"] == "error" {
                    bail!("refused: {}", m["message"]);
                }
            }
        }
        self.counters.connected.fetch_add(1, Ordering::Relaxed);
        let options = ClientOptions {
            bind: self.bind.clone(),
            ..ClientOptions::default()
        };
        let (publish, publish_handler) = client::connection(&options, None).await?;
        let mut tracks: Vec<SentTrack> = Vec::new();
        let mut video_mid = String::new();
        if self.publisher {
            let audio_layers = vec![(String::new(), rand::random())];
            let audio = client::local_track(
                "load".into(),
                "load-audio".into(),
                RtpCodecKind::Audio,
                &client::opus(),
                &audio_layers,
            );
            publish
                .add_track(audio.clone() as Arc<dyn TrackLocal>)
                .await?;
            tracks.push((audio, audio_layers));
            let layers: Vec<(String, u32)> = RIDS
                .iter()
                .map(|rid| ((*rid).to_owned(), rand::random()))
                .collect();
            let video = client::local_track(
                "load".into(),
                "load-video".into(),
                RtpCodecKind::Video,
                &client::vp8(),
                &layers,
            );
            publish
                .add_track(video.clone() as Arc<dyn TrackLocal>)
                .await?;
            tracks.push((video, layers));
            let (sdp, mids) = client::publish_offer(publish.as_ref(), &publish_handler).await?;
            let mut described = Vec::new();
            for (mid, kind) in mids {
                described.push(json!({"mid": mid, "source": client::source_of(kind)}));
                if kind != RtpCodecKind::Audio {
                    video_mid = mid;
                }
            }
            sink.send(Message::text(
                json!({"type": "offer", "pc": "publish", "sdp": sdp, "tracks": described})
                    .to_string(),
            ))
            .await?;
        }
        let mut subscribe: Option<(Arc<dyn PeerConnection>, Arc<ClientHandler>)> = None;
        let mut ext_ids = HeaderIds::default();
        // Each publisher sends at its own moment of the 20 ms period, as cameras and
        // microphones that were not started together do. Sending all at the same instant
        // would measure the queue of a burst no real room has (every packet of the room at
        // once), not the time the server takes for one.
        let phase = if self.aligned {
            Duration::ZERO
        } else {
            Duration::from_micros(rand::random::<u64>() % 20_000)
        };
        let mut sending = tokio::time::interval_at(
            tokio::time::Instant::from_std(self.start + phase),
            Duration::from_millis(20),
        );
        let mut seq: u16 = 0;
        let stop = tokio::time::sleep_until(tokio::time::Instant::from_std(self.stop));
        tokio::pin!(stop);
        let (sizes_tx, mut sizes) = mpsc::unbounded_channel::<String>();
        loop {
            tokio::select! {
                frame = stream.next() => {
                    let Some(Ok(frame)) = frame else { bail!("the signalling closed") };
                    let Message::Text(text) = frame else { continue };
                    let m: Value = serde_json::from_str(&text)?;
                    match (m["type"].as_str(), m["pc"].as_str()) {
                        (Some("answer"), Some("publish")) => {
                            let sdp = m["sdp"].as_str().unwrap_or_default().to_owned();
                            ext_ids = HeaderIds::of(&sdp);
                            publish.set_remote_description(RTCSessionDescription::answer(sdp)?).await?;
                        }
                        (Some("offer"), Some("subscribe")) => {
                            let sdp = m["sdp"].as_str().unwrap_or_default().to_owned();
                            let on_track = || Some(measure(self.counters.clone()));
                            let sdp = client::answer_subscribe_offer(&mut subscribe, &options, on_track, sdp).await?;
                            sink.send(Message::text(json!({"type": "answer", "pc": "subscribe", "sdp": sdp}).to_string())).await?;
                            for t in m["tracks"].as_array().into_iter().flatten() {
                                if t["source"] == "camera" {
                                    if let Some(p) = t["participant_id"].as_str() {
                                        let _ = sizes_tx.send(p.to_owned());
                                    }
                                }
                            }
                        }
                        _ => {}
                    }
                }
                Some(publisher) = sizes.recv() => {
                    sink.send(Message::text(json!({"type": "video_size", "participant_id": publisher,
                        "source": "camera", "width": 640, "height": 360}).to_string())).await?;
                }
                _ = sending.tick(), if self.publisher => {
                    if Instant::now() < self.start {
                        continue;
                    }
                    seq = seq.wrapping_add(1);
                    self.send(&tracks, seq, ext_ids, &video_mid).await;
                }
                _ = &mut stop => break,
            }
        }
        let _ = sink
            .send(Message::text(json!({"type": "leave"}).to_string()))
            .await;
        let _ = publish.close().await;
        if let Some((pc, _)) = subscribe {
            let _ = pc.close().await;
        }
        Ok(())
    }

    async fn send(&self, tracks: &[SentTrack], seq: u16, ids: HeaderIds, video_mid: &str) {
        for (index, (track, layers)) in tracks.iter().enumerate() {
            for (layer, (rid, ssrc)) in layers.iter().enumerate() {
                let video = index > 0;
                let size = SIZES[if video { layer + 1 } else { 0 }];
                let mut payload = Vec::with_capacity(size);
                if video {
                    let (w, h) = client::layer_size(rid);
                    payload.extend_from_slice(&client::vp8_keyframe_start(w, h));
                }
                write_stamp(&mut payload, *ssrc, seq);
                payload.resize(size, 0xa5);
                let packet = if video {
                    client::video_packet(*ssrc, seq, ids, video_mid, rid, payload.into())
                } else {
                    client::audio_packet(*ssrc, seq, payload.into())
                };
                if track.write_rtp(packet).await.is_ok() {
                    if !video {
                        self.counters.sent_audio.fetch_add(1, Ordering::Relaxed);
                    } else if rid == "h" {
                        self.counters.sent_video_h.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }
    }
}

/// The server's count of RTP packets forwarded (`maille_rooms_rtp_packets_out`), when its metrics
/// answer this address.
async fn forwarded_by_server(base: &str) -> Option<u64> {
    let text = reqwest::get(format!("{base}/metrics"))
        .await
        .ok()?
        .error_for_status()
        .ok()?
        .text()
        .await
        .ok()?;
    text.lines()
        .find_map(|line| line.strip_prefix("maille_rooms_rtp_packets_out_total "))
        .and_then(|value| value.trim().parse::<f64>().ok())
        .map(|value| value as u64)
}

async fn create_rooms(
    base: &str,
    token: Option<&str>,
    count: usize,
) -> anyhow::Result<Vec<String>> {
    let client = reqwest::Client::new();
    let mut csrf = None;
    if let Some(token) = token {
        let session: Value = client
            .get(format!("{base}/api/session"))
            .header(
                "Cookie",
                format!("maille_session={token}; __Host-maille_session={token}"),
            )
            .send()
            .await?
            .error_for_status()
            .context("the token is not a live session")?
            .json()
            .await?;
        csrf = session["csrf_token"].as_str().map(str::to_owned);
    }
    let mut ids = Vec::with_capacity(count);
    for n in 0..count {
        let mut request = client
            .post(format!("{base}/api/rooms"))
            .header("Origin", base)
            .json(&json!({"name": format!("loadtest {n}"), "max_participants": 50}));
        if let (Some(token), Some(csrf)) = (token, &csrf) {
            request = request
                .header(
                    "Cookie",
                    format!("maille_session={token}; __Host-maille_session={token}"),
                )
                .header("X-CSRF-Token", csrf);
        }
        let room: Value = request
            .send()
            .await?
            .error_for_status()
            .context("creating a room (give a --token, or allow anonymous rooms)")?
            .json()
            .await?;
        ids.push(room["id"].as_str().context("no id in the room")?.to_owned());
    }
    Ok(ids)
}

/// Runs the load and prints the report.
pub async fn run(args: RoomsArgs) -> anyhow::Result<()> {
    if args.rooms == 0 || args.publishers == 0 {
        bail!("--rooms and --publishers must be at least 1");
    }
    let base = args.url.trim_end_matches('/').to_owned();
    let rooms = create_rooms(&base, args.token.as_deref(), args.rooms).await?;
    let capture = match &args.wire_interface {
        Some(interface) => Some(wire::Capture::start(interface)?),
        None => None,
    };
    let counters = Arc::new(Counters::default());
    let people = args.rooms * (args.publishers + args.subscribers);
    let ramp = Duration::from_millis(2000 + 20 * people as u64);
    let start = Instant::now() + ramp;
    let stop = start + Duration::from_secs(args.duration);
    let ws_base = base.replacen("http", "ws", 1);
    let mut tasks = Vec::new();
    for room in &rooms {
        for n in 0..args.publishers + args.subscribers {
            let mut ws_url = format!("{ws_base}/ws/rooms/{room}");
            if let Some(token) = &args.token {
                ws_url.push_str(&format!("?token={token}"));
            }
            tasks.push(tokio::spawn(
                Participant {
                    ws_url,
                    publisher: n < args.publishers,
                    bind: args.bind.clone(),
                    start,
                    stop,
                    aligned: args.aligned,
                    counters: counters.clone(),
                }
                .run(),
            ));
        }
    }
    tokio::time::sleep_until(tokio::time::Instant::from_std(start)).await;
    let began = Instant::now();
    let before = args.server_pid.and_then(process::sample);
    let sent_at_start = forwarded_by_server(&base).await;
    let received_at_start = counters.received.load(Ordering::Relaxed);
    tokio::time::sleep_until(tokio::time::Instant::from_std(stop)).await;
    let elapsed = began.elapsed().as_secs_f64().max(0.001);
    let after = args.server_pid.and_then(process::sample);
    let sent_at_stop = forwarded_by_server(&base).await;
    let received = counters.received.load(Ordering::Relaxed) - received_at_start;
    // What the server says it forwarded, when its metrics can be read from here: what the
    // subscribers received is less when the load tool cannot keep up.
    let forwarded = match (sent_at_start, sent_at_stop) {
        (Some(a), Some(b)) if b > a => b - a,
        _ => received,
    };
    for task in tasks {
        let _ = task.await;
    }
    let arrivals =
        std::mem::take(&mut *counters.arrivals.lock().unwrap_or_else(|e| e.into_inner()));
    let mut latencies: Vec<u32> = arrivals.iter().map(|a| a.delay).collect();
    latencies.sort_unstable();
    // Each audio packet goes to every other participant of its room; each camera, at the
    // middle layer, too.
    let receivers = (args.publishers + args.subscribers - 1) as u64;
    let expected = (counters.sent_audio.load(Ordering::Relaxed)
        + counters.sent_video_h.load(Ordering::Relaxed))
        * receivers;
    let received_total = counters.received.load(Ordering::Relaxed);
    let loss = if expected > 0 {
        100.0 * (1.0 - received_total as f64 / expected as f64).max(0.0)
    } else {
        f64::NAN
    };
    let pct = |p: f64| super::pads::percentile(&latencies, p);
    let on_wire = match capture {
        Some(capture) => {
            let copies: Vec<Forwarded> = arrivals.iter().map(|a| a.copy).collect();
            let (mut wire, unpaired) = capture.finish(&copies)?;
            wire.sort_unstable();
            Some((wire, unpaired))
        }
        None => None,
    };
    let mut rows: Vec<(String, String)> = vec![
        (
            "rooms x (publishers + subscribers)".into(),
            format!(
                "{} x ({} + {})",
                rooms.len(),
                args.publishers,
                args.subscribers
            ),
        ),
        (
            "participants joined".into(),
            counters.connected.load(Ordering::Relaxed).to_string(),
        ),
        (
            "packets forwarded per second".into(),
            format!("{:.0}", forwarded as f64 / elapsed),
        ),
        (
            "packets received per second".into(),
            format!("{:.0}", received as f64 / elapsed),
        ),
        ("loss".into(), format!("{loss:.2} %")),
        (
            "latency end to end p50 / p99 / max".into(),
            format!("{:.2} / {:.2} / {:.2} ms", pct(50.0), pct(99.0), pct(100.0)),
        ),
        (
            "errors (participants that failed)".into(),
            counters.errors.load(Ordering::Relaxed).to_string(),
        ),
    ];
    if let Some((wire, unpaired)) = on_wire {
        let pct = |p: f64| super::pads::percentile(&wire, p);
        rows.push((
            "added by the server, on the wire p50 / p99 / max".into(),
            format!("{:.2} / {:.2} / {:.2} ms", pct(50.0), pct(99.0), pct(100.0)),
        ));
        rows.push((
            "packets paired on the wire".into(),
            format!(
                "{} ({unpaired} not: retransmitted, or missed by the capture)",
                wire.len()
            ),
        ));
    }
    if let (Some(before), Some(after)) = (before, after) {
        let cpu = after.cpu_seconds - before.cpu_seconds;
        rows.push((
            "server CPU (cores busy)".into(),
            format!("{:.2}", cpu / elapsed),
        ));
        if forwarded > 0 {
            rows.push((
                "server CPU per forwarded packet".into(),
                format!("{:.1} us", cpu * 1e6 / forwarded as f64),
            ));
        }
        rows.push((
            "server resident memory".into(),
            format!("{:.1} MB", after.resident_bytes as f64 / 1_048_576.0),
        ));
    }
    if counters.connected.load(Ordering::Relaxed) == 0 {
        bail!("no participant could join at {}", args.url);
    }
    let width = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
    println!("maille loadtest rooms — {elapsed:.0} s of media");
    for (name, value) in rows {
        println!("{name:<width$}  {value}");
    }
    Ok(())
}
