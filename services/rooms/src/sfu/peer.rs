//! One participant's media: its publish connection (the client offers, the server answers)
//! and its subscribe connection (the server offers whenever the tracks it carries change).
//!
//! Everything runs in tasks of this participant: the task that owns both connections and
//! handles commands, and one reader per published track, which writes each packet straight to
//! the subscribers' down tracks. A panic in any of them ends this participant only.

use std::collections::{HashMap, HashSet};
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::FutureExt as _;
use rtc::media_stream::MediaStreamTrack;
use rtc::rtp_transceiver::rtp_sender::{
    RTCRtpCodec, RTCRtpCodingParameters, RTCRtpEncodingParameters, RtpCodecKind,
};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use webrtc::media_stream::track_local::static_rtp::TrackLocalStaticRTP;
use webrtc::media_stream::track_local::TrackLocal;
use webrtc::media_stream::track_remote::{TrackRemote, TrackRemoteEvent};
use webrtc::peer_connection::{
    PeerConnection, PeerConnectionEventHandler, RTCIceCandidateInit, RTCIceGatheringState,
    RTCPeerConnectionState, RTCSessionDescription,
};
use webrtc::rtp_transceiver::RtpSender;

use super::client::Gathering;
use super::published::{self, Published, Sink, Source, NO_LAYER};
use super::{extmap_id, Direction, Sfu};

/// Time a connection has to complete ICE before the participant is dropped, unless
/// [`Sfu::set_ice_timeout`] says otherwise.
pub const ICE_TIMEOUT: Duration = Duration::from_secs(30);

/// Which of a participant's two connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Pc {
    /// What the participant sends.
    Publish,
    /// What the participant receives.
    Subscribe,
}

/// What the signalling asks of a participant's media.
pub enum PeerCommand {
    /// The client's offer on the publish connection, with the source of each `mid`.
    PublishOffer {
        /// SDP.
        sdp: String,
        /// mid → source.
        tracks: Vec<(String, Source)>,
    },
    /// The client's answer on the subscribe connection.
    SubscribeAnswer(String),
    /// A candidate of the client.
    Candidate(Pc, Option<RTCIceCandidateInit>),
    /// Restart ICE on the subscribe connection (a new offer follows).
    RestartIce,
    /// Start receiving a track of someone else.
    Subscribe(Arc<Published>),
    /// Stop receiving it.
    Unsubscribe(u64),
    /// The size at which the client shows someone's video.
    VideoSize {
        /// Whose.
        publisher: String,
        /// Which.
        source: Source,
        /// Width, 0 when not shown.
        width: u32,
    },
}

/// What a participant's media tells the signalling.
pub enum PeerEvent {
    /// The answer to the client's publish offer.
    Answer(String),
    /// A new offer on the subscribe connection, with whose media each `mid` carries.
    Offer(String, Vec<(String, String, Source)>),
    /// The participant started publishing a track.
    Published(Arc<Published>),
    /// A track the participant published ended.
    Unpublished(u64),
    /// The participant must be dropped: `failed` (ICE, a panic) or a bad SDP.
    Failed {
        /// Stable code: `failed` or `bad_sdp`.
        code: &'static str,
        /// For logs and people.
        message: String,
    },
}

/// A handle on a participant's media task.
pub struct Peer {
    /// Where to send commands.
    pub commands: mpsc::Sender<PeerCommand>,
    /// The task (its end, by panic or not, ends the participant).
    pub task: JoinHandle<()>,
}

impl Peer {
    /// Starts the media of `participant`, reporting to `events`.
    pub fn start(sfu: Sfu, participant: String, events: mpsc::Sender<PeerEvent>) -> Peer {
        let (commands, inbox) = mpsc::channel(256);
        let task = tokio::spawn(async move {
            let failed = events.clone();
            let mut media = Media::new(sfu, participant, events);
            if AssertUnwindSafe(media.run(inbox))
                .catch_unwind()
                .await
                .is_err()
            {
                let _ = failed
                    .send(PeerEvent::Failed {
                        code: "failed",
                        message: "internal error in the media".into(),
                    })
                    .await;
            }
            // After a panic too: the participant's connections, tasks and subscriptions go.
            media.close().await;
        });
        Peer { commands, task }
    }
}

enum Internal {
    Track(Arc<dyn TrackRemote>),
    State(Direction, RTCPeerConnectionState),
    Failed(String),
}

struct Handler {
    direction: Direction,
    internal: mpsc::UnboundedSender<Internal>,
    gathering: Gathering,
}

#[async_trait::async_trait]
impl PeerConnectionEventHandler for Handler {
    async fn on_ice_gathering_state_change(&self, state: RTCIceGatheringState) {
        self.gathering.update(state);
    }

    async fn on_connection_state_change(&self, state: RTCPeerConnectionState) {
        let _ = self.internal.send(Internal::State(self.direction, state));
    }

    async fn on_track(&self, track: Arc<dyn TrackRemote>) {
        let _ = self.internal.send(Internal::Track(track));
    }
}

struct Connection {
    pc: Arc<dyn PeerConnection>,
    handler: Arc<Handler>,
    estimate: Arc<AtomicU64>,
    /// What its SDP must say for the client to reach it.
    transport: super::Transport,
    connected: bool,
    deadline: Instant,
}

/// One of the participant's down tracks: someone else's track, forwarded to it (its track,
/// SSRC and rewriting are in its [`Sink`], which the publisher's reader writes to).
struct DownTrack {
    sender: Arc<dyn RtpSender>,
    published: Arc<Published>,
    sink: Arc<Sink>,
    width: AtomicU64,
    /// Whether the task relaying this subscriber's keyframe requests runs.
    feedback: AtomicBool,
}

type DownTracks = Arc<Mutex<HashMap<u64, Arc<DownTrack>>>>;

struct Media {
    sfu: Sfu,
    participant: String,
    events: mpsc::Sender<PeerEvent>,
    internal_tx: mpsc::UnboundedSender<Internal>,
    publish: Option<Connection>,
    subscribe: Option<Connection>,
    sources: Arc<Mutex<HashMap<String, Source>>>,
    audio_level_id: Arc<AtomicU8>,
    /// The tracks this participant publishes (their readers add and remove them).
    published: Arc<Mutex<Vec<Arc<Published>>>>,
    down: DownTracks,
    /// Media sections of the publish connection the client stopped sending on.
    stopped: Arc<Mutex<HashSet<String>>>,
    /// Media sections of the publish connection an offer already set up to receive simulcast
    /// (by rid): later offers must not make the connection forget their layers (see
    /// [`read_publish_offer`]).
    simulcast: HashSet<String>,
    tasks: Vec<JoinHandle<()>>,
    /// Whether the subscribe connection is up: nothing is written to it before.
    receiving: Arc<AtomicBool>,
    awaiting_answer: bool,
    renegotiate: bool,
    /// The down tracks (slots) the last subscribe offer carried.
    offered: Vec<u64>,
    /// Widths the client asked for, kept for tracks it is not subscribed to yet.
    widths: HashMap<(String, Source), u32>,
}

impl Media {
    fn new(sfu: Sfu, participant: String, events: mpsc::Sender<PeerEvent>) -> Media {
        let (internal_tx, _) = mpsc::unbounded_channel();
        Media {
            sfu,
            participant,
            events,
            internal_tx,
            publish: None,
            subscribe: None,
            sources: Arc::default(),
            audio_level_id: Arc::new(AtomicU8::new(0)),
            published: Arc::default(),
            down: Arc::default(),
            stopped: Arc::default(),
            simulcast: HashSet::new(),
            tasks: Vec::new(),
            receiving: Arc::new(AtomicBool::new(false)),
            awaiting_answer: false,
            renegotiate: false,
            offered: Vec::new(),
            widths: HashMap::new(),
        }
    }

    /// Handles commands and connection events until the signalling goes or something fails;
    /// [`Media::close`] follows.
    async fn run(&mut self, mut commands: mpsc::Receiver<PeerCommand>) {
        let (internal_tx, mut internal) = mpsc::unbounded_channel();
        self.internal_tx = internal_tx;
        self.sfu.metrics().media_sessions.inc();
        let mut tick = tokio::time::interval(Duration::from_millis(500));
        let outcome: Result<(), (&'static str, String)> = loop {
            tokio::select! {
                command = commands.recv() => match command {
                    Some(command) => {
                        if let Err(e) = self.handle(command).await {
                            break Err(e);
                        }
                    }
                    None => break Ok(()),
                },
                Some(event) = internal.recv() => match event {
                    Internal::Track(track) => self.read_track(track),
                    Internal::State(direction, state) => {
                        tracing::debug!(participant = %self.participant, ?direction, %state, "media connection state");
                        let connection = match direction {
                            Direction::Publish => self.publish.as_mut(),
                            Direction::Subscribe => self.subscribe.as_mut(),
                        };
                        if let Some(c) = connection {
                            match state {
                                RTCPeerConnectionState::Connected => {
                                    c.connected = true;
                                    if direction == Direction::Subscribe {
                                        self.receiving.store(true, Ordering::Relaxed);
                                    }
                                }
                                RTCPeerConnectionState::Failed => {
                                    break Err(("failed", "the media connection failed".into()))
                                }
                                _ => {}
                            }
                        }
                    }
                    Internal::Failed(why) => break Err(("failed", why)),
                },
                _ = tick.tick() => {
                    if let Err(e) = self.housekeeping().await {
                        break Err(e);
                    }
                }
            }
        };
        if let Err((code, message)) = outcome {
            let _ = self.events.send(PeerEvent::Failed { code, message }).await;
        }
    }

    async fn handle(&mut self, command: PeerCommand) -> Result<(), (&'static str, String)> {
        match command {
            PeerCommand::PublishOffer { sdp, tracks } => self.publish_offer(sdp, tracks).await?,
            PeerCommand::SubscribeAnswer(sdp) => {
                let Some(c) = &self.subscribe else {
                    return Err(("bad_sdp", "no subscribe offer to answer".into()));
                };
                let answer = RTCSessionDescription::answer(sdp)
                    .map_err(|e| ("bad_sdp", format!("malformed answer: {e}")))?;
                c.pc.set_remote_description(answer)
                    .await
                    .map_err(|e| ("bad_sdp", format!("answer refused: {e}")))?;
                self.awaiting_answer = false;
                let fresh: Vec<Arc<DownTrack>> = {
                    let down = self.down.lock().unwrap_or_else(|e| e.into_inner());
                    self.offered
                        .iter()
                        .filter_map(|slot| down.get(slot))
                        .filter(|d| !d.sink.negotiated.load(Ordering::Relaxed))
                        .cloned()
                        .collect()
                };
                for d in &fresh {
                    resolve_payload_type(d).await;
                    d.sink.negotiated.store(true, Ordering::Relaxed);
                }
                tracing::debug!(participant = %self.participant, negotiated = fresh.len(), "subscribe answer");
                self.relay_keyframe_requests();
                // What was sent before was dropped: ask for the keyframe it starts with.
                for d in fresh {
                    let target = d.sink.target.load(Ordering::Relaxed);
                    if target != NO_LAYER && !d.published.source.is_audio() {
                        d.published.request_keyframe(target).await;
                    }
                }
                if self.renegotiate {
                    self.offer(false).await?;
                }
            }
            PeerCommand::Candidate(pc, candidate) => {
                let connection = match pc {
                    Pc::Publish => &self.publish,
                    Pc::Subscribe => &self.subscribe,
                };
                if let (Some(c), Some(candidate)) = (connection, candidate) {
                    if let Err(error) = c.pc.add_ice_candidate(candidate).await {
                        tracing::debug!(%error, "ICE candidate refused");
                    }
                }
            }
            PeerCommand::RestartIce => {
                if self.subscribe.is_some() {
                    self.offer(true).await?;
                }
            }
            PeerCommand::Subscribe(published) => self.subscribe_to(published).await?,
            PeerCommand::Unsubscribe(key) => self.unsubscribe(key).await?,
            PeerCommand::VideoSize {
                publisher,
                source,
                width,
            } => {
                if self.widths.len() < 1024 {
                    self.widths.insert((publisher.clone(), source), width);
                }
                let found = self
                    .down
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .values()
                    .find(|d| d.published.participant == publisher && d.published.source == source)
                    .cloned();
                if let Some(down) = found {
                    down.width.store(u64::from(width), Ordering::Relaxed);
                    self.choose_layer(&down).await;
                }
            }
        }
        Ok(())
    }

    async fn connection(&mut self, direction: Direction) -> Result<(), (&'static str, String)> {
        let exists = match direction {
            Direction::Publish => self.publish.is_some(),
            Direction::Subscribe => self.subscribe.is_some(),
        };
        if exists {
            return Ok(());
        }
        let handler = Arc::new(Handler {
            direction,
            internal: self.internal_tx.clone(),
            gathering: Gathering::default(),
        });
        let (pc, estimate, transport) = self
            .sfu
            .peer_connection(direction, handler.clone())
            .await
            .map_err(|e| ("failed", format!("cannot open a media connection: {e}")))?;
        self.sfu.track(&pc);
        let connection = Connection {
            pc,
            handler,
            estimate,
            transport,
            connected: false,
            deadline: Instant::now() + self.sfu.ice_timeout(),
        };
        match direction {
            Direction::Publish => self.publish = Some(connection),
            Direction::Subscribe => self.subscribe = Some(connection),
        }
        Ok(())
    }

    async fn publish_offer(
        &mut self,
        sdp: String,
        tracks: Vec<(String, Source)>,
    ) -> Result<(), (&'static str, String)> {
        let offer = RTCSessionDescription::offer(sdp.clone())
            .map_err(|e| ("bad_sdp", format!("malformed offer: {e}")))?;
        if let Some(id) = extmap_id(&sdp, super::AUDIO_LEVEL_URI) {
            self.audio_level_id.store(id, Ordering::Relaxed);
        }
        {
            let mut sources = self.sources.lock().unwrap_or_else(|e| e.into_inner());
            for (mid, source) in tracks {
                sources.insert(mid, source);
            }
        }
        self.connection(Direction::Publish).await?;
        let Some(c) = &self.publish else {
            return Ok(());
        };
        let PublishOffer {
            offer,
            silent,
            simulcast,
        } = read_publish_offer(offer, &self.simulcast)?;
        c.pc.set_remote_description(offer)
            .await
            .map_err(|e| ("bad_sdp", format!("offer refused: {e}")))?;
        self.simulcast.extend(simulcast);
        self.stop_sections(silent).await;
        let answer =
            c.pc.create_answer(None)
                .await
                .map_err(|e| ("bad_sdp", format!("cannot answer the offer: {e}")))?;
        c.pc.set_local_description(answer)
            .await
            .map_err(|e| ("failed", format!("cannot set the answer: {e}")))?;
        let sdp = local_sdp(c).await;
        let _ = self.events.send(PeerEvent::Answer(sdp)).await;
        Ok(())
    }

    /// Unpublishes what arrived on the media sections in `silent`, which the client's last
    /// offer stopped sending on (a stopped screen share): the meeting tells the others and
    /// ends their subscriptions. A section sent on again is published anew by its reader.
    async fn stop_sections(&self, silent: HashSet<String>) {
        let gone: Vec<Arc<Published>> = {
            let mut published = self.published.lock().unwrap_or_else(|e| e.into_inner());
            let gone = published
                .iter()
                .filter(|p| silent.contains(&p.mid))
                .cloned()
                .collect();
            published.retain(|p| !silent.contains(&p.mid));
            gone
        };
        *self.stopped.lock().unwrap_or_else(|e| e.into_inner()) = silent;
        for p in gone {
            tracing::debug!(participant = %self.participant, source = p.source.name(), "track stopped by the client");
            p.close();
            let _ = self.events.send(PeerEvent::Unpublished(p.key)).await;
        }
    }

    async fn offer(&mut self, restart: bool) -> Result<(), (&'static str, String)> {
        let Some(c) = &self.subscribe else {
            return Ok(());
        };
        if self.awaiting_answer && !restart {
            self.renegotiate = true;
            return Ok(());
        }
        if restart {
            if let Err(error) = c.pc.restart_ice().await {
                tracing::debug!(%error, "ICE restart refused");
            }
        }
        c.handler.gathering.restart();
        let offer =
            c.pc.create_offer(None)
                .await
                .map_err(|e| ("failed", format!("cannot make an offer: {e}")))?;
        c.pc.set_local_description(offer)
            .await
            .map_err(|e| ("failed", format!("cannot set the offer: {e}")))?;
        let sdp = local_sdp(c).await;
        let mut tracks = Vec::new();
        for transceiver in c.pc.get_transceivers().await {
            let (Ok(Some(mid)), Ok(Some(sender))) =
                (transceiver.mid().await, transceiver.sender().await)
            else {
                continue;
            };
            let id = sender.track().track_id().await;
            if let Some((participant, source)) = parse_track_id(id.as_ref()) {
                tracks.push((mid, participant, source));
            }
        }
        tracing::debug!(participant = %self.participant, tracks = tracks.len(), "subscribe offer");
        self.offered = self
            .down
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .keys()
            .copied()
            .collect();
        self.awaiting_answer = true;
        self.renegotiate = false;
        let _ = self.events.send(PeerEvent::Offer(sdp, tracks)).await;
        Ok(())
    }

    async fn subscribe_to(
        &mut self,
        published: Arc<Published>,
    ) -> Result<(), (&'static str, String)> {
        if published.participant == self.participant
            || self
                .down
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .values()
                .any(|d| d.published.key == published.key)
        {
            return Ok(());
        }
        self.connection(Direction::Subscribe).await?;
        let Some(c) = &self.subscribe else {
            return Ok(());
        };
        let ssrc: u32 = rand::random();
        let kind = if published.source.is_audio() {
            RtpCodecKind::Audio
        } else {
            RtpCodecKind::Video
        };
        let track_id = format!("{}:{}", published.participant, published.source.name());
        let track = Arc::new(TrackLocalStaticRTP::new(MediaStreamTrack::new(
            published.participant.clone(),
            track_id.clone(),
            track_id,
            kind,
            vec![RTCRtpEncodingParameters {
                rtp_coding_parameters: RTCRtpCodingParameters {
                    ssrc: Some(ssrc),
                    ..Default::default()
                },
                codec: published.codec.clone(),
                ..Default::default()
            }],
        )));
        let sender =
            c.pc.add_track(track.clone() as Arc<dyn TrackLocal>)
                .await
                .map_err(|e| ("failed", format!("cannot add a track: {e}")))?;
        let slot = self.sfu.next_key();
        let initial = if published.source.is_audio() {
            0
        } else {
            NO_LAYER
        };
        let sink = Arc::new(Sink {
            subscriber: self.participant.clone(),
            slot,
            current: AtomicU8::new(initial),
            target: AtomicU8::new(0),
            track,
            ssrc,
            payload_type: AtomicU8::new(NO_LAYER),
            negotiated: AtomicBool::new(false),
            receiving: self.receiving.clone(),
            rewrite: Mutex::default(),
        });
        let down = Arc::new(DownTrack {
            sender,
            published: published.clone(),
            sink: sink.clone(),
            width: AtomicU64::new(
                self.widths
                    .get(&(published.participant.clone(), published.source))
                    .map_or(u64::MAX, |w| u64::from(*w)),
            ),
            feedback: AtomicBool::new(false),
        });
        self.down
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(slot, down);
        published.attach(sink);
        self.offer(false).await?;
        published.request_keyframe(0).await;
        Ok(())
    }

    async fn unsubscribe(&mut self, key: u64) -> Result<(), (&'static str, String)> {
        let removed: Vec<Arc<DownTrack>> = {
            let mut down = self.down.lock().unwrap_or_else(|e| e.into_inner());
            let slots: Vec<u64> = down
                .iter()
                .filter(|(_, d)| d.published.key == key)
                .map(|(slot, _)| *slot)
                .collect();
            slots.iter().filter_map(|s| down.remove(s)).collect()
        };
        if removed.is_empty() {
            return Ok(());
        }
        for down in &removed {
            down.published.detach(&self.participant);
            if let Some(c) = &self.subscribe {
                if let Err(error) = c.pc.remove_track(&down.sender).await {
                    tracing::debug!(%error, "removing a track failed");
                }
            }
        }
        self.offer(false).await
    }

    /// Picks the layer `down` should get: the smallest at least as wide as the client shows
    /// it, within this subscriber's share of its estimated bandwidth.
    async fn choose_layer(&self, down: &Arc<DownTrack>) {
        let published = &down.published;
        if published.source.is_audio() {
            return;
        }
        let width = down.width.load(Ordering::Relaxed);
        let layers = published.seen_layers();
        let chosen = if width == 0 {
            NO_LAYER
        } else if !published.simulcast.load(Ordering::Relaxed) || layers.len() <= 1 {
            layers.first().map_or(0, |l| l.0)
        } else {
            let videos = self
                .down
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .values()
                .filter(|d| !d.published.source.is_audio())
                .count()
                .max(1) as u64;
            let budget = self
                .subscribe
                .as_ref()
                .map_or(u64::MAX, |c| c.estimate.load(Ordering::Relaxed))
                / videos;
            pick_layer(&layers, width, budget)
        };
        let target = down.sink.target.swap(chosen, Ordering::Relaxed);
        let current = down.sink.current.load(Ordering::Relaxed);
        if chosen != target && chosen != current && chosen != NO_LAYER {
            published.request_keyframe(chosen).await;
        }
        if chosen == NO_LAYER {
            down.sink.current.store(NO_LAYER, Ordering::Relaxed);
        }
    }

    async fn housekeeping(&mut self) -> Result<(), (&'static str, String)> {
        let now = Instant::now();
        for c in [&self.publish, &self.subscribe].into_iter().flatten() {
            if !c.connected && now > c.deadline {
                let limit = self.sfu.ice_timeout().as_secs_f64();
                return Err(("failed", format!("ICE did not complete within {limit} s")));
            }
        }
        #[cfg(feature = "fault-injection")]
        if self.sfu.take_fault(&self.participant) {
            #[allow(clippy::panic)]
            {
                panic!("a fault injected into the media of {}", self.participant);
            }
        }
        let published: Vec<Arc<Published>> = self
            .published
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        for published in &published {
            for layer in &published.layers {
                let bytes = layer.bytes.swap(0, Ordering::Relaxed);
                layer.bitrate.store(bytes * 8 * 2, Ordering::Relaxed);
            }
            tracing::trace!(participant = %self.participant, source = published.source.name(), layers = ?published.layers.iter().map(|l| l.bitrate.load(Ordering::Relaxed)).collect::<Vec<_>>(), "bitrates");
        }
        let downs: Vec<Arc<DownTrack>> = self
            .down
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .cloned()
            .collect();
        for down in downs {
            if down.sink.negotiated.load(Ordering::Relaxed)
                && down.sink.payload_type.load(Ordering::Relaxed) == NO_LAYER
            {
                resolve_payload_type(&down).await;
            }
            self.choose_layer(&down).await;
            let target = down.sink.target.load(Ordering::Relaxed);
            if target != NO_LAYER && target != down.sink.current.load(Ordering::Relaxed) {
                down.published.request_keyframe(target).await;
            }
        }
        Ok(())
    }

    /// Relays the keyframe requests of the client about each of its down tracks to the
    /// publisher (once a track is negotiated, it can be read).
    ///
    /// The `webrtc` crate hands a compound RTCP packet to the track named by the first SSRC
    /// in it: a browser's receiver report comes first, and its first report block is often
    /// another track's (the microphone's). So whichever down track a request arrives on, it
    /// is sent on to the down track whose SSRC it names.
    fn relay_keyframe_requests(&mut self) {
        let downs: Vec<Arc<DownTrack>> = self
            .down
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .filter(|d| !d.feedback.swap(true, Ordering::Relaxed))
            .cloned()
            .collect();
        for down in downs {
            let failed = self.internal_tx.clone();
            let all = self.down.clone();
            self.tasks.push(tokio::spawn(async move {
                let relay = async move {
                    while let Some(event) = down.sink.track.poll().await {
                        let webrtc::media_stream::track_local::TrackLocalEvent::OnRtcpPacket(
                            packets,
                        ) = event
                        else {
                            continue;
                        };
                        let ssrcs: Vec<u32> = packets
                            .iter()
                            .flat_map(|p| super::feedback::keyframe_requested(p.as_ref()))
                            .collect();
                        if ssrcs.is_empty() {
                            continue;
                        }
                        let asked: Vec<Arc<DownTrack>> = {
                            let all = all.lock().unwrap_or_else(|e| e.into_inner());
                            all.values()
                                .filter(|d| ssrcs.contains(&d.sink.ssrc))
                                .cloned()
                                .collect()
                        };
                        for d in asked {
                            let mut layer = d.sink.current.load(Ordering::Relaxed);
                            if layer == NO_LAYER {
                                layer = d.sink.target.load(Ordering::Relaxed);
                            }
                            if layer != NO_LAYER {
                                d.published.request_keyframe(layer).await;
                            }
                        }
                    }
                    // Unbound: the next answer starts it again if the track is still there.
                    down.feedback.store(false, Ordering::Relaxed);
                };
                if AssertUnwindSafe(relay).catch_unwind().await.is_err() {
                    let _ = failed.send(Internal::Failed("relaying feedback panicked".into()));
                }
            }));
        }
    }

    fn read_track(&mut self, track: Arc<dyn TrackRemote>) {
        tracing::debug!(participant = %self.participant, "remote track");
        let Some(c) = &self.publish else {
            return;
        };
        let reader = Reader {
            pc: c.pc.clone(),
            track,
            sources: self.sources.clone(),
            audio_level_id: self.audio_level_id.clone(),
            participant: self.participant.clone(),
            events: self.events.clone(),
            sfu: self.sfu.clone(),
            published: self.published.clone(),
            stopped: self.stopped.clone(),
        };
        let failed = self.internal_tx.clone();
        self.tasks.push(tokio::spawn(async move {
            if AssertUnwindSafe(reader.run()).catch_unwind().await.is_err() {
                let _ = failed.send(Internal::Failed("reading a track panicked".into()));
            }
        }));
    }

    async fn close(&mut self) {
        // Readers first, so that none publishes again what is being closed.
        for task in self.tasks.drain(..) {
            task.abort();
        }
        let down: Vec<Arc<DownTrack>> = self
            .down
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .drain()
            .map(|(_, d)| d)
            .collect();
        for d in down {
            d.published.detach(&self.participant);
        }
        let published: Vec<Arc<Published>> = self
            .published
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .drain(..)
            .collect();
        self.stopped
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(published.iter().map(|p| p.mid.clone()));
        for published in published {
            published.close();
        }
        for c in [self.publish.take(), self.subscribe.take()]
            .into_iter()
            .flatten()
        {
            if let Err(error) = c.pc.close().await {
                tracing::debug!(%error, "closing a media connection failed");
            }
        }
        self.sfu.metrics().media_sessions.dec();
    }
}

/// The smallest layer at least `width` wide that fits `budget` bits per second; layers are
/// (index, width or 0 when unknown, bitrate), smallest first.
fn pick_layer(layers: &[(u8, u32, u64)], width: u64, budget: u64) -> u8 {
    let largest = layers.last().map_or(0, |l| l.0);
    // Unknown widths: each layer is twice as wide as the one below, the largest 1280.
    let width_of = |l: &(u8, u32, u64)| -> u64 {
        if l.1 > 0 {
            u64::from(l.1)
        } else {
            1280 >> (2 - u64::from(l.0.min(2)))
        }
    };
    let mut chosen = layers
        .iter()
        .find(|l| width_of(l) >= width)
        .map_or(largest, |l| l.0);
    while chosen > 0 {
        let rate = layers.iter().find(|l| l.0 == chosen).map_or(0, |l| l.2);
        if rate <= budget {
            break;
        }
        chosen -= 1;
    }
    chosen
}

async fn local_sdp(c: &Connection) -> String {
    // Host candidates come at once (no STUN): wait for them to be in the SDP.
    let sdp = c
        .handler
        .gathering
        .local_sdp(c.pc.as_ref(), Duration::from_secs(2))
        .await
        .unwrap_or_default();
    c.transport.advertise(sdp)
}

fn parse_track_id(id: &str) -> Option<(String, Source)> {
    let (participant, source) = id.rsplit_once(':')?;
    let source = match source {
        "microphone" => Source::Microphone,
        "camera" => Source::Camera,
        "screen" => Source::Screen,
        _ => return None,
    };
    Some((participant.to_owned(), source))
}

/// Reads one published track and hands its packets to the sinks.
struct Reader {
    pc: Arc<dyn PeerConnection>,
    track: Arc<dyn TrackRemote>,
    sources: Arc<Mutex<HashMap<String, Source>>>,
    audio_level_id: Arc<AtomicU8>,
    participant: String,
    events: mpsc::Sender<PeerEvent>,
    sfu: Sfu,
    /// The participant's published tracks, for its bitrate measurements.
    published: Arc<Mutex<Vec<Arc<Published>>>>,
    /// Media sections the client stopped sending on.
    stopped: Arc<Mutex<HashSet<String>>>,
}

/// What a track is, once its first stream opened: what publishing it (again) needs.
struct Origin {
    mid: String,
    source: Source,
    codec: RTCRtpCodec,
    /// SSRC of each simulcast layer seen (0: not yet).
    ssrcs: [u32; 3],
    simulcast: bool,
}

impl Reader {
    async fn run(self) {
        let metrics = self.sfu.metrics().clone();
        let mut published: Option<Arc<Published>> = None;
        let mut origin: Option<Origin> = None;
        while let Some(event) = self.track.poll().await {
            match event {
                TrackRemoteEvent::OnOpen(init) => {
                    let layer = init.rid.as_deref().map_or(0, published::layer_of_rid);
                    if origin.is_none() {
                        let Some((mid, source)) = self.source_of(init.receiver_id).await else {
                            tracing::debug!("a track with no source named; ignored");
                            continue;
                        };
                        let Some(codec) = self.track.codec(init.ssrc).await else {
                            continue;
                        };
                        origin = Some(Origin {
                            mid,
                            source,
                            codec,
                            ssrcs: [0; 3],
                            simulcast: false,
                        });
                    }
                    let Some(o) = origin.as_mut() else { continue };
                    o.simulcast |= init.rid.is_some();
                    o.ssrcs[usize::from(layer.min(2))] = init.ssrc;
                    match &published {
                        Some(p) => {
                            p.simulcast.store(o.simulcast, Ordering::Relaxed);
                            if let Some(l) = p.layers.get(usize::from(layer)) {
                                l.ssrc.store(init.ssrc, Ordering::Relaxed);
                            }
                        }
                        None => published = Some(self.publish(o).await),
                    }
                }
                TrackRemoteEvent::OnRtpPacket(packet) => {
                    if published
                        .as_ref()
                        .is_some_and(|p| p.closed.load(Ordering::Relaxed))
                    {
                        // The client's last offer stopped it (the others were told).
                        published = None;
                    }
                    let Some(o) = &origin else { continue };
                    if published.is_none() {
                        // Sent again: published anew once an offer resumed its section.
                        let resumed = !self
                            .stopped
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .contains(&o.mid);
                        if !resumed {
                            continue;
                        }
                        published = Some(self.publish(o).await);
                    }
                    let Some(p) = &published else { continue };
                    metrics.packets_in.inc();
                    let layer = o
                        .ssrcs
                        .iter()
                        .position(|s| *s == packet.header.ssrc)
                        .map_or(0, |i| i as u8);
                    if let Some(l) = p.layers.get(usize::from(layer)) {
                        l.bytes
                            .fetch_add(packet.payload.len() as u64, Ordering::Relaxed);
                        if !p.source.is_audio() {
                            if let Some((w, h)) = published::vp8_keyframe(&packet.payload) {
                                tracing::trace!(participant = %self.participant, layer, w, h, "keyframe received");
                                l.size
                                    .store((u32::from(w) << 16) | u32::from(h), Ordering::Relaxed);
                            }
                        }
                    }
                    if p.source.is_audio() {
                        let id = self.audio_level_id.load(Ordering::Relaxed);
                        if id != 0 {
                            if let Some(level) = packet
                                .header
                                .get_extension(id)
                                .and_then(|e| published::loudness(&e))
                            {
                                p.loudness.fetch_max(level, Ordering::Relaxed);
                            }
                        }
                    }
                    p.forward(layer, packet);
                }
                TrackRemoteEvent::OnEnded => break,
                _ => {}
            }
        }
        if let Some(p) = published.filter(|p| !p.closed.load(Ordering::Relaxed)) {
            self.published
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .retain(|q| q.key != p.key);
            let _ = self.events.send(PeerEvent::Unpublished(p.key)).await;
            p.close();
        }
    }

    /// Publishes the track: the meeting subscribes the others to it.
    async fn publish(&self, o: &Origin) -> Arc<Published> {
        let p = Arc::new(Published::new(
            self.sfu.next_key(),
            self.participant.clone(),
            o.source,
            o.codec.clone(),
            o.mid.clone(),
            self.track.clone(),
            self.sfu.metrics().clone(),
        ));
        p.simulcast.store(o.simulcast, Ordering::Relaxed);
        for (layer, ssrc) in p.layers.iter().zip(o.ssrcs) {
            if ssrc != 0 {
                layer.ssrc.store(ssrc, Ordering::Relaxed);
            }
        }
        tracing::debug!(participant = %self.participant, source = ?o.source, "track published");
        self.published
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(p.clone());
        let _ = self.events.send(PeerEvent::Published(p.clone())).await;
        p
    }

    /// The mid of `receiver`'s media section and the source the client named for it.
    async fn source_of(
        &self,
        receiver: rtc::rtp_transceiver::RTCRtpReceiverId,
    ) -> Option<(String, Source)> {
        for transceiver in self.pc.get_transceivers().await {
            let Ok(Some(r)) = transceiver.receiver().await else {
                continue;
            };
            if r.id() != receiver {
                continue;
            }
            let mid = transceiver.mid().await.ok().flatten()?;
            let source = self
                .sources
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(&mid)
                .copied()?;
            return Some((mid, source));
        }
        None
    }
}

/// What the publish connection takes from a client's offer, read in one pass.
struct PublishOffer {
    /// The offer to apply (see [`read_publish_offer`]).
    offer: RTCSessionDescription,
    /// The mids of the media sections the client does not send on (`recvonly`, `inactive`,
    /// or rejected with port 0): a source it stopped, such as a screen share.
    silent: HashSet<String>,
    /// The mids of the media sections the client sends simulcast on (with `a=rid`).
    simulcast: HashSet<String>,
}

/// Reads `offer`'s media sections, and makes it the offer the publish connection is to
/// apply: the simulcast sections an earlier offer set up (`learnt`) lose their track
/// description (`a=msid`, `a=ssrc`, `a=ssrc-group`), the rest is unchanged.
///
/// The `rtc` crate learns the SSRC of each simulcast layer from the mid and rid header
/// extensions of its first packets, and rebuilds the receiver of every media section whose
/// track a remote description describes, each time one is applied: the SSRCs it learnt are
/// forgotten. Browsers stop sending those extensions once the server's receiver reports have
/// acknowledged an SSRC, so after any renegotiation (a screen share started or stopped, an ICE
/// restart) the camera's packets matched no layer and were dropped: nobody received it any
/// more, and a keyframe request answered by the browser reached no one. A media section
/// without a track description is left as it is, with the layers it learnt; a layer that comes
/// back with a new SSRC names its rid again and is learnt anew.
fn read_publish_offer(
    offer: RTCSessionDescription,
    learnt: &HashSet<String>,
) -> Result<PublishOffer, (&'static str, String)> {
    let malformed = |e: rtc::shared::error::Error| ("bad_sdp", format!("malformed offer: {e}"));
    let mut parsed = offer.unmarshal().map_err(malformed)?;
    let mut silent = HashSet::new();
    let mut simulcast = HashSet::new();
    let mut changed = false;
    for m in &mut parsed.media_descriptions {
        let Some(mid) = m.attribute("mid").flatten().map(str::to_owned) else {
            continue;
        };
        let sending = m.media_name.port.value != 0
            && !m.has_attribute("recvonly")
            && !m.has_attribute("inactive");
        let rid = m.has_attribute("rid");
        if rid && learnt.contains(&mid) {
            let before = m.attributes.len();
            m.attributes
                .retain(|a| !matches!(a.key.as_str(), "msid" | "ssrc" | "ssrc-group"));
            changed |= m.attributes.len() != before;
        }
        if !sending {
            silent.insert(mid);
        } else if rid {
            simulcast.insert(mid);
        }
    }
    let offer = if changed {
        RTCSessionDescription::offer(parsed.marshal()).map_err(malformed)?
    } else {
        offer
    };
    Ok(PublishOffer {
        offer,
        silent,
        simulcast,
    })
}

/// Reads the payload type `down`'s codec got on the subscriber's connection (once answered).
async fn resolve_payload_type(down: &DownTrack) {
    let Ok(parameters) = down.sender.get_parameters().await else {
        return;
    };
    let mime = &down.published.codec.mime_type;
    if let Some(codec) = parameters
        .rtp_parameters
        .codecs
        .iter()
        .find(|c| c.rtp_codec.mime_type.eq_ignore_ascii_case(mime))
    {
        down.sink
            .payload_type
            .store(codec.payload_type, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layers_are_chosen_by_size_then_bandwidth() {
        let layers = [(0, 320, 150_000), (1, 640, 500_000), (2, 1280, 1_500_000)];
        assert_eq!(pick_layer(&layers, 200, u64::MAX), 0);
        assert_eq!(pick_layer(&layers, 320, u64::MAX), 0);
        assert_eq!(pick_layer(&layers, 500, u64::MAX), 1);
        assert_eq!(pick_layer(&layers, 1920, u64::MAX), 2);
        assert_eq!(pick_layer(&layers, 1920, 600_000), 1);
        assert_eq!(pick_layer(&layers, 1920, 10), 0);
        // Unknown sizes: q, h, f are taken for 320, 640, 1280.
        let unknown = [(0, 0, 0), (1, 0, 0), (2, 0, 0)];
        assert_eq!(pick_layer(&unknown, 300, u64::MAX), 0);
        assert_eq!(pick_layer(&unknown, 600, u64::MAX), 1);
        assert_eq!(pick_layer(&unknown, 1000, u64::MAX), 2);
    }

    #[test]
    fn a_renegotiated_simulcast_section_keeps_its_learnt_layers() {
        let sdp = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n\
                   m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\na=sendonly\r\n\
                   a=msid:- mic\r\na=ssrc:11 cname:x\r\n\
                   m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:1\r\na=sendonly\r\n\
                   a=msid:- cam\r\na=rid:q send\r\na=rid:h send\r\na=simulcast:send q;h\r\n\
                   m=video 0 UDP/TLS/RTP/SAVPF 96\r\na=mid:2\r\na=inactive\r\n";
        let offer = RTCSessionDescription::offer(sdp.to_owned()).unwrap();
        // The first offer sets everything up as it is.
        let first = read_publish_offer(offer.clone(), &HashSet::new()).unwrap();
        assert_eq!(first.simulcast, HashSet::from(["1".to_owned()]));
        assert_eq!(first.silent, HashSet::from(["2".to_owned()]));
        assert_eq!(first.offer.sdp, sdp);
        // A later one leaves the simulcast section's receiver alone: no track described there;
        // the microphone's, which is known by its SSRC, is described as before.
        let later = read_publish_offer(offer, &HashSet::from(["1".to_owned()])).unwrap();
        assert!(
            !later.offer.sdp.contains("a=msid:- cam"),
            "{}",
            later.offer.sdp
        );
        for kept in [
            "a=msid:- mic",
            "a=ssrc:11 cname:x",
            "a=rid:h send",
            "a=simulcast:send q;h",
        ] {
            assert!(
                later.offer.sdp.contains(kept),
                "{kept} missing: {}",
                later.offer.sdp
            );
        }
    }

    #[test]
    fn extmap_ids_are_read_from_the_sdp() {
        let sdp = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\na=extmap:3/sendrecv http://x\r\n";
        assert_eq!(extmap_id(sdp, super::super::AUDIO_LEVEL_URI), Some(1));
        assert_eq!(extmap_id(sdp, "http://x"), Some(3));
        assert_eq!(extmap_id(sdp, "nope"), None);
        assert_eq!(
            parse_track_id("p_ab:c:camera"),
            Some(("p_ab:c".into(), Source::Camera))
        );
        assert_eq!(parse_track_id("junk"), None);
    }
}
