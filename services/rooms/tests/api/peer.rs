//! A participant built with the `webrtc` crate, as a browser would be: it joins over the
//! signalling WebSocket, publishes synthetic Opus and VP8 (optionally simulcast) on its
//! publish connection and records every packet it receives on its subscribe connection.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt as _, StreamExt as _};
use maille_rooms::sfu::client::{self, ClientHandler, ClientOptions, HeaderIds, OnTrack};
use rtc::rtp_transceiver::rtp_sender::RtpCodecKind;
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use webrtc::media_stream::track_local::static_rtp::TrackLocalStaticRTP;
use webrtc::media_stream::track_local::TrackLocal;
use webrtc::media_stream::track_remote::{TrackRemote, TrackRemoteEvent};
use webrtc::peer_connection::{PeerConnection, RTCIceServer, RTCSessionDescription};

use crate::helpers::{App, PATIENCE};

/// How a participant connects.
#[derive(Clone, Default)]
pub struct Options {
    /// Send the camera as three simulcast layers (rids q, h, f).
    pub simulcast: bool,
    /// ICE servers (TURN) and relay-only ICE.
    pub ice_servers: Vec<RTCIceServer>,
    /// Use only relayed candidates.
    pub relay_only: bool,
    /// Publish a camera too (audio only otherwise).
    pub camera: bool,
    /// Share a screen too (VP8, one encoding).
    pub screen: bool,
    /// Use the ICE servers the room hands out in `joined`.
    pub room_ice_servers: bool,
    /// Send a video keyframe only when asked (PLI or FIR for that layer's SSRC), deltas
    /// otherwise, as an encoder that is already running does; every packet is a keyframe
    /// otherwise.
    pub keyframes_on_request: bool,
}

/// A participant in a room.
pub struct Client {
    /// Its participant id.
    pub id: String,
    /// Every payload received from others.
    pub received: Arc<Mutex<Vec<Bytes>>>,
    /// Signalling messages other than SDP.
    pub messages: mpsc::UnboundedReceiver<Value>,
    outgoing: mpsc::UnboundedSender<Value>,
    publish: Arc<dyn PeerConnection>,
    audio: Arc<TrackLocalStaticRTP>,
    video: Option<Arc<TrackLocalStaticRTP>>,
    /// The shared screen, its SSRC, and whether it is being sent.
    screen: Option<(Arc<TrackLocalStaticRTP>, u32, bool)>,
    ssrcs: Vec<(String, u32)>,
    mid_ids: HeaderIds,
    /// The source of each mid of the publish connection.
    sources: Vec<(String, &'static str)>,
    answered: mpsc::Receiver<String>,
    /// The server's first answer to the publish offer.
    pub answer: String,
    seq: u16,
    /// SSRCs of the layers a keyframe was asked for (with `keyframes_on_request`).
    keyframe_requests: Option<Arc<Mutex<HashSet<u32>>>>,
    tracks: Arc<Mutex<Vec<Arc<dyn TrackRemote>>>>,
    subscribe: Arc<Mutex<Option<Arc<dyn PeerConnection>>>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Client {
    /// Joins `room` as `name` and starts publishing (nothing is sent until [`Client::send`]).
    pub async fn join(app: &App, room: &str, name: &str, options: Options) -> Client {
        let url = format!(
            "{}/ws/rooms/{room}",
            app.server.address.replacen("http", "ws", 1)
        );
        let (ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
        let (mut sink, mut stream) = ws.split();
        sink.send(Message::text(
            json!({"type": "join", "name": name}).to_string(),
        ))
        .await
        .unwrap();
        let joined: Value = loop {
            let frame = tokio::time::timeout(PATIENCE, stream.next()).await.unwrap();
            let Some(Ok(Message::Text(text))) = frame else {
                panic!("{name}: no joined but {frame:?}");
            };
            let m: Value = serde_json::from_str(&text).unwrap();
            if m["type"] == "joined" {
                break m;
            }
        };
        let id = joined["participant_id"].as_str().unwrap().to_owned();
        let mut options = options;
        if options.room_ice_servers {
            options.ice_servers = joined["ice_servers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| RTCIceServer {
                    urls: serde_json::from_value(s["urls"].clone()).unwrap(),
                    username: s["username"].as_str().unwrap().to_owned(),
                    credential: s["credential"].as_str().unwrap().to_owned(),
                })
                .collect();
        }
        let received = Arc::new(Mutex::new(Vec::new()));
        let remote_tracks: Arc<Mutex<Vec<Arc<dyn TrackRemote>>>> = Arc::default();
        let client_options = ClientOptions {
            bind: String::new(),
            ice_servers: options.ice_servers.clone(),
            relay_only: options.relay_only,
            keyframe_requests: true,
        };
        let (publish, publish_handler) = client::connection(&client_options, None).await.unwrap();

        let mut ssrcs = Vec::new();
        let audio_ssrc: u32 = rand::random();
        ssrcs.push(("audio".to_owned(), audio_ssrc));
        let audio = client::local_track(
            format!("{name}-stream"),
            format!("{name}-audio"),
            RtpCodecKind::Audio,
            &client::opus(),
            &[(String::new(), audio_ssrc)],
        );
        publish
            .add_track(audio.clone() as Arc<dyn TrackLocal>)
            .await
            .unwrap();
        let video = if options.camera {
            let rids: &[&str] = if options.simulcast {
                &["q", "h", "f"]
            } else {
                &[""]
            };
            let layers: Vec<(String, u32)> = rids
                .iter()
                .map(|rid| (rid.to_string(), rand::random()))
                .collect();
            ssrcs.extend(layers.iter().cloned());
            let video = client::local_track(
                format!("{name}-stream"),
                format!("{name}-video"),
                RtpCodecKind::Video,
                &client::vp8(),
                &layers,
            );
            publish
                .add_track(video.clone() as Arc<dyn TrackLocal>)
                .await
                .unwrap();
            Some(video)
        } else {
            None
        };
        let screen = if options.screen {
            let ssrc: u32 = rand::random();
            let track = client::local_track(
                format!("{name}-stream"),
                format!("{name}-screen"),
                RtpCodecKind::Video,
                &client::vp8(),
                &[(String::new(), ssrc)],
            );
            publish
                .add_track(track.clone() as Arc<dyn TrackLocal>)
                .await
                .unwrap();
            Some((track, ssrc, true))
        } else {
            None
        };
        let (sdp, _) = client::publish_offer(publish.as_ref(), &publish_handler)
            .await
            .unwrap();
        // Each media section's source, told by the track it sends (transceivers do not always
        // come in the order the tracks were added).
        let mut sources: Vec<(String, &'static str)> = Vec::new();
        for transceiver in publish.get_transceivers().await {
            let (Ok(Some(mid)), Ok(Some(sender))) =
                (transceiver.mid().await, transceiver.sender().await)
            else {
                continue;
            };
            let id = sender.track().track_id().await;
            let source = if id.ends_with("-screen") {
                "screen"
            } else if id.ends_with("-video") {
                "camera"
            } else {
                "microphone"
            };
            sources.push((mid, source));
        }
        let tracks: Vec<Value> = sources
            .iter()
            .map(|(mid, source)| json!({"mid": mid, "source": source}))
            .collect();
        sink.send(Message::text(
            json!({"type": "offer", "pc": "publish", "sdp": sdp, "tracks": tracks}).to_string(),
        ))
        .await
        .unwrap();

        // One task speaks for this participant: SDP to its connections, the rest to the test.
        let (messages_tx, messages) = mpsc::unbounded_channel();
        let (outgoing, mut outgoing_rx) = mpsc::unbounded_channel::<Value>();
        let subscribe: Arc<Mutex<Option<Arc<dyn PeerConnection>>>> = Arc::default();
        let (answered_tx, mut answered) = mpsc::channel::<String>(1);
        let task = {
            let publish = publish.clone();
            let subscribe = subscribe.clone();
            let received = received.clone();
            let remote_tracks = remote_tracks.clone();
            let client_options = client_options.clone();
            tokio::spawn(async move {
                let mut subscribed: Option<(Arc<dyn PeerConnection>, Arc<ClientHandler>)> = None;
                loop {
                    tokio::select! {
                        out = outgoing_rx.recv() => match out {
                            Some(out) => {
                                if sink.send(Message::text(out.to_string())).await.is_err() {
                                    break;
                                }
                            }
                            None => {
                                let _ = sink.close().await;
                                break;
                            }
                        },
                        frame = stream.next() => {
                            let Some(Ok(frame)) = frame else { break };
                            let Message::Text(text) = frame else {
                                if let Message::Close(c) = frame {
                                    let _ = messages_tx.send(json!({"type": "ws_closed", "code": c.map(|c| u16::from(c.code))}));
                                }
                                continue;
                            };
                            let m: Value = serde_json::from_str(&text).unwrap();
                            match (m["type"].as_str(), m["pc"].as_str()) {
                                (Some("answer"), Some("publish")) => {
                                    let sdp = m["sdp"].as_str().unwrap().to_owned();
                                    publish
                                        .set_remote_description(RTCSessionDescription::answer(sdp.clone()).unwrap())
                                        .await
                                        .unwrap();
                                    let _ = answered_tx.try_send(sdp);
                                }
                                (Some("offer"), Some("subscribe")) => {
                                    let sdp = m["sdp"].as_str().unwrap().to_owned();
                                    let on_track = || Some(record(received.clone(), remote_tracks.clone()));
                                    let sdp = client::answer_subscribe_offer(&mut subscribed, &client_options, on_track, sdp)
                                        .await
                                        .unwrap();
                                    if let Some((pc, _)) = &subscribed {
                                        *subscribe.lock().unwrap() = Some(pc.clone());
                                    }
                                    let answer = json!({"type": "answer", "pc": "subscribe", "sdp": sdp});
                                    if sink.send(Message::text(answer.to_string())).await.is_err() {
                                        break;
                                    }
                                    let _ = messages_tx.send(m);
                                }
                                _ => {
                                    let _ = messages_tx.send(m);
                                }
                            }
                        }
                    }
                }
            })
        };
        let answer = tokio::time::timeout(PATIENCE, answered.recv())
            .await
            .expect("a publish answer in time")
            .unwrap();
        let mut tasks = vec![task];
        let keyframe_requests = match (&video, options.keyframes_on_request) {
            (Some(video), true) => {
                let requests: Arc<Mutex<HashSet<u32>>> = Arc::default();
                let (video, requested) = (video.clone(), requests.clone());
                tasks.push(tokio::spawn(async move {
                    use rtc::rtcp::payload_feedbacks::full_intra_request::FullIntraRequest;
                    use rtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
                    use webrtc::media_stream::track_local::TrackLocalEvent;
                    while let Some(TrackLocalEvent::OnRtcpPacket(packets)) = video.poll().await {
                        for packet in packets {
                            let any = packet.as_any();
                            if let Some(pli) = any.downcast_ref::<PictureLossIndication>() {
                                requested.lock().unwrap().insert(pli.media_ssrc);
                            } else if let Some(fir) = any.downcast_ref::<FullIntraRequest>() {
                                let mut requested = requested.lock().unwrap();
                                requested.extend(fir.fir.iter().map(|e| e.ssrc));
                            }
                        }
                    }
                }));
                Some(requests)
            }
            _ => None,
        };
        let mid_ids = HeaderIds::of(&answer);
        Client {
            answer: answer.clone(),
            id,
            received,
            messages,
            outgoing,
            publish,
            audio,
            video,
            screen,
            ssrcs,
            mid_ids,
            sources,
            answered,
            seq: 0,
            keyframe_requests,
            tracks: remote_tracks,
            subscribe,
            tasks,
        }
    }

    /// Sends a signalling message.
    pub fn signal(&self, message: Value) {
        let _ = self.outgoing.send(message);
    }

    /// The payload of audio packet `seq` of `name`.
    pub fn audio_payload(name: &str, seq: u16) -> Bytes {
        Bytes::from(format!("opus:{name}:{seq}"))
    }

    /// The payload of video packet `seq` of layer `rid` of `name`: a VP8 keyframe start of
    /// that layer's size, followed by a tag.
    pub fn video_payload(name: &str, rid: &str, seq: u16) -> Bytes {
        let (w, h) = client::layer_size(rid);
        let mut payload = client::vp8_keyframe_start(w, h).to_vec();
        payload.extend_from_slice(format!("vp8:{name}:{rid}:{seq}").as_bytes());
        Bytes::from(payload)
    }

    /// The payload of a video packet that is not a keyframe (frame tag bit 0 set).
    pub fn video_delta_payload(name: &str, rid: &str, seq: u16) -> Bytes {
        let mut payload = vec![0x10, 0x01, 0x00, 0x00];
        payload.extend_from_slice(format!("vp8:{name}:{rid}:{seq}").as_bytes());
        Bytes::from(payload)
    }

    /// Whether a received video payload is a keyframe.
    pub fn is_keyframe(payload: &[u8]) -> bool {
        payload.get(4..7) == Some(&[0x9d, 0x01, 0x2a][..])
    }

    /// The payload of screen packet `seq` of `name`: a VP8 keyframe start, then a tag.
    pub fn screen_payload(name: &str, seq: u16) -> Bytes {
        let mut payload = client::vp8_keyframe_start(1280, 720).to_vec();
        payload.extend_from_slice(format!("screen:{name}:{seq}").as_bytes());
        Bytes::from(payload)
    }

    /// From now on, sends video without the mid and rid header extensions, as a browser does
    /// once the server's receiver reports have acknowledged each layer's SSRC: the server must
    /// then know each layer by its SSRC alone.
    pub fn stop_stream_ids(&mut self) {
        self.mid_ids = HeaderIds::default();
    }

    /// Stops or resumes sharing the screen as the web client does: the screen's transceiver
    /// turns `inactive` (or `sendonly` again), then a new publish offer, answered.
    pub async fn share_screen(&mut self, sharing: bool) {
        use webrtc::rtp_transceiver::RTCRtpTransceiverDirection;
        let mid = self
            .sources
            .iter()
            .find(|(_, source)| *source == "screen")
            .map(|(mid, _)| mid.clone())
            .unwrap();
        if let Some(screen) = &mut self.screen {
            screen.2 = sharing;
        }
        for t in self.publish.get_transceivers().await {
            if t.mid().await.unwrap().as_deref() == Some(mid.as_str()) {
                let direction = if sharing {
                    RTCRtpTransceiverDirection::Sendonly
                } else {
                    RTCRtpTransceiverDirection::Inactive
                };
                t.set_direction(direction).await.unwrap();
            }
        }
        let offer = self.publish.create_offer(None).await.unwrap();
        self.publish.set_local_description(offer).await.unwrap();
        let sdp = self.publish.local_description().await.unwrap().sdp;
        let tracks: Vec<Value> = self
            .sources
            .iter()
            .map(|(mid, source)| json!({"mid": mid, "source": source}))
            .collect();
        self.signal(json!({"type": "offer", "pc": "publish", "sdp": sdp, "tracks": tracks}));
        tokio::time::timeout(PATIENCE, self.answered.recv())
            .await
            .expect("a publish answer in time")
            .unwrap();
    }

    /// The next signalling message that satisfies `test` (others are skipped).
    pub async fn expect(&mut self, what: &str, test: impl Fn(&Value) -> bool) -> Value {
        loop {
            let message = tokio::time::timeout(PATIENCE, self.messages.recv())
                .await
                .unwrap_or_else(|_| panic!("no {what} in time"))
                .unwrap_or_else(|| panic!("the signalling ended before {what}"));
            if test(&message) {
                return message;
            }
        }
    }

    /// Sends one audio packet and one video packet per layer (and one of the screen while
    /// it is shared).
    pub async fn send(&mut self, name: &str) {
        self.seq = self.seq.wrapping_add(1);
        let seq = self.seq;
        let mid_of = |wanted: &str| {
            self.sources
                .iter()
                .find(|(_, source)| *source == wanted)
                .map(|(mid, _)| mid.clone())
                .unwrap_or_default()
        };
        let packet = client::audio_packet(self.ssrcs[0].1, seq, Self::audio_payload(name, seq));
        let _ = self.audio.write_rtp(packet).await;
        if let Some(video) = &self.video {
            let mid = mid_of("camera");
            for (rid, ssrc) in self.ssrcs.iter().skip(1) {
                let payload = match &self.keyframe_requests {
                    Some(requested) if !requested.lock().unwrap().remove(ssrc) => {
                        Self::video_delta_payload(name, rid, seq)
                    }
                    _ => Self::video_payload(name, rid, seq),
                };
                let packet = client::video_packet(*ssrc, seq, self.mid_ids, &mid, rid, payload);
                let _ = video.write_rtp(packet).await;
            }
        }
        if let Some((screen, ssrc, true)) = &self.screen {
            let mid = mid_of("screen");
            let payload = Self::screen_payload(name, seq);
            let packet = client::video_packet(*ssrc, seq, self.mid_ids, &mid, "", payload);
            let _ = screen.write_rtp(packet).await;
        }
    }

    /// Asks for a keyframe of `publisher`'s camera as a browser does: a PLI behind a receiver
    /// report whose first block is about its microphone.
    pub async fn ask_keyframe(&self, publisher: &str) {
        let tracks = self.tracks.lock().unwrap().clone();
        let mut camera = None;
        let mut microphone = None;
        for track in tracks {
            let id = track.track_id().await;
            if id == format!("{publisher}:camera") {
                camera = Some(track);
            } else if id == format!("{publisher}:microphone") {
                microphone = Some(track);
            }
        }
        let (camera, microphone) = (camera.unwrap(), microphone.unwrap());
        let report = |ssrc| rtc::rtcp::reception_report::ReceptionReport {
            ssrc,
            ..Default::default()
        };
        let mut reports = Vec::new();
        for ssrc in microphone.ssrcs().await {
            reports.push(report(ssrc));
        }
        let video = camera.ssrcs().await;
        reports.extend(video.iter().map(|s| report(*s)));
        let mut packets: Vec<Box<dyn rtc::rtcp::Packet>> =
            vec![Box::new(rtc::rtcp::receiver_report::ReceiverReport {
                ssrc: 1,
                reports,
                ..Default::default()
            })];
        for ssrc in video {
            packets.push(Box::new(
                rtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication {
                    sender_ssrc: 1,
                    media_ssrc: ssrc,
                },
            ));
        }
        camera.write_rtcp(packets).await.unwrap();
    }

    /// How many received payloads satisfy `test`.
    pub fn count(&self, test: impl Fn(&[u8]) -> bool) -> usize {
        self.received
            .lock()
            .unwrap()
            .iter()
            .filter(|p| test(p))
            .count()
    }

    /// Leaves: closes the WebSocket and both connections.
    pub async fn leave(self) {
        self.signal(json!({"type": "leave"}));
        drop(self.outgoing);
        let _ = self.publish.close().await;
        let subscribe = self.subscribe.lock().unwrap().take();
        if let Some(pc) = subscribe {
            let _ = pc.close().await;
        }
        for task in self.tasks {
            let _ = tokio::time::timeout(Duration::from_secs(5), task).await;
        }
    }
}

/// Whether `payload` is one of the payloads `name` sent on `rid` ("" for audio), intact.
pub fn is_from(payload: &[u8], name: &str, kind: &str) -> bool {
    let text = String::from_utf8_lossy(payload);
    text.contains(&format!("{kind}:{name}:"))
}

/// Records each track received, and every payload it carries.
fn record(
    received: Arc<Mutex<Vec<Bytes>>>,
    tracks: Arc<Mutex<Vec<Arc<dyn TrackRemote>>>>,
) -> OnTrack {
    Arc::new(move |track: Arc<dyn TrackRemote>| {
        tracks.lock().unwrap().push(track.clone());
        let received = received.clone();
        tokio::spawn(async move {
            while let Some(event) = track.poll().await {
                if let TrackRemoteEvent::OnRtpPacket(packet) = event {
                    received.lock().unwrap().push(packet.payload.clone());
                }
            }
        });
    })
}
