//! One signalling WebSocket: the join (password, lobby, limits), then the client's messages
//! checked and passed to its media or its meeting, and the meeting's and media's messages
//! written back, with keep-alive pings. Bad input closes this connection only.

use std::time::{Duration, Instant};

use actix_web::{get, web, HttpRequest, HttpResponse};
use actix_ws::{AggregatedMessage, CloseCode, CloseReason, ProtocolError, Session};
use futures_util::StreamExt as _;
use maille_accounts::{Accounts, UserId};
use maille_http::TokenBucket;
use serde::Deserialize;
use tokio::sync::{mpsc, oneshot};

use super::meeting::{Command, Newcomer, Outgoing};
use super::protocol::{self, ClientMessage, ServerMessage, SubscribedTrack};
use crate::room::{self, RoomId};
use crate::sfu::{Pc, Peer, PeerCommand, PeerEvent};
use crate::Rooms;

/// Messages per second a client may send on average, and in a burst.
const RATE: u32 = 20;
const BURST: u32 = 50;
/// Keep-alive ping interval; three without an answer close the connection.
const PING: Duration = Duration::from_secs(15);
/// Time to send `join` after connecting.
const JOIN_TIMEOUT: Duration = Duration::from_secs(30);

/// The WebSocket's query parameters.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ConnectQuery {
    /// A session token, for clients that cannot send the cookie.
    pub token: Option<String>,
}

struct Who {
    user: UserId,
    display_name: String,
}

/// The logged-in user: by the `token` parameter, or by the session cookie when the request
/// comes from this instance's pages (or from no page at all).
async fn who(rooms: &Rooms, req: &HttpRequest, token: Option<String>) -> Option<Who> {
    let accounts: &Accounts = rooms.accounts();
    let own_origin = rooms.settings().public_origin();
    let same_site = req
        .headers()
        .get("origin")
        .and_then(|o| o.to_str().ok())
        .is_none_or(|origin| origin == own_origin);
    let token = token.filter(|t| !t.is_empty()).or_else(|| {
        same_site
            .then(|| maille_accounts::sessions::extract_token(req, accounts))
            .flatten()
    })?;
    let settings = std::sync::Arc::new(rooms.settings().clone());
    let now = maille_database::now();
    let found = accounts
        .database()
        .run(move |conn| maille_accounts::sessions::resume(conn, &settings, &token, now))
        .await;
    match found {
        Ok(found) => found.map(|(_, user)| Who {
            user: user.user_id(),
            display_name: user.display_name,
        }),
        Err(error) => {
            tracing::warn!(%error, "a room connection's session could not be checked");
            None
        }
    }
}

/// A room's signalling (see `docs/protocols/rooms.md`).
#[get("/ws/rooms/{id}")]
pub async fn route(
    rooms: web::Data<Rooms>,
    req: HttpRequest,
    body: web::Payload,
    path: web::Path<String>,
    query: web::Query<ConnectQuery>,
) -> actix_web::Result<HttpResponse> {
    let who = who(&rooms, &req, query.into_inner().token).await;
    let (response, session, stream) = actix_ws::handle(&req, body)?;
    let stream = stream
        .max_frame_size(protocol::MAX_MESSAGE_BYTES)
        .aggregate_continuations()
        .max_continuation_size(protocol::MAX_MESSAGE_BYTES);
    let rooms = rooms.get_ref().clone();
    let id = path.into_inner();
    rooms.clone().meetings().tasks().spawn_local(async move {
        Connection {
            rooms,
            room_id: id,
            who,
            session,
            bucket: TokenBucket::per_second(RATE, BURST, Instant::now()),
        }
        .serve(stream)
        .await;
    });
    Ok(response)
}

struct Connection {
    rooms: Rooms,
    room_id: String,
    who: Option<Who>,
    session: Session,
    bucket: TokenBucket,
}

/// How a connection ends.
struct End {
    code: u16,
    reason: String,
    /// Told to the meeting: `left`, `disconnected`, `failed`.
    left: &'static str,
    /// An error message sent first.
    error: Option<(&'static str, String)>,
}

impl End {
    fn refused(code: u16, error: &'static str, message: impl Into<String>) -> End {
        let message = message.into();
        End {
            code,
            reason: message.clone(),
            left: "disconnected",
            error: Some((error, message)),
        }
    }

    fn quietly(code: u16, reason: &str, left: &'static str) -> End {
        End {
            code,
            reason: reason.to_owned(),
            left,
            error: None,
        }
    }
}

enum Incoming {
    Message(ClientMessage),
    Nothing,
}

impl Connection {
    async fn send(&mut self, message: &ServerMessage<'_>) -> bool {
        self.session.text(message.to_text()).await.is_ok()
    }

    /// Reads the next client message, enforcing size, shape and rate.
    fn decode(
        &mut self,
        incoming: Option<Result<AggregatedMessage, ProtocolError>>,
    ) -> Result<Incoming, End> {
        let message = match incoming {
            None | Some(Ok(AggregatedMessage::Close(_))) => {
                return Err(End::quietly(1000, "bye", "disconnected"))
            }
            Some(Ok(message)) => message,
            Some(Err(error)) => {
                return Err(End::refused(
                    4400,
                    "bad_message",
                    format!("protocol error: {error}"),
                ))
            }
        };
        let text = match message {
            AggregatedMessage::Text(text) => text,
            AggregatedMessage::Binary(_) => {
                return Err(End::refused(4400, "bad_message", "text messages only"))
            }
            AggregatedMessage::Ping(_) | AggregatedMessage::Pong(_) => {
                return Ok(Incoming::Nothing)
            }
            AggregatedMessage::Close(_) => return Err(End::quietly(1000, "bye", "disconnected")),
        };
        if !self.bucket.take(Instant::now()) {
            return Err(End::refused(4429, "too_many_messages", "too many messages"));
        }
        protocol::decode(&text)
            .map(Incoming::Message)
            .map_err(|refusal| End::refused(4400, "bad_message", refusal.0))
    }

    async fn serve(mut self, mut stream: actix_ws::AggregatedMessageStream) {
        let metrics = self.rooms.metrics().clone();
        let end = self.run(&mut stream).await;
        if matches!(end.code, 4400 | 4429) {
            metrics.connections_refused.inc();
        }
        if let Some((code, message)) = &end.error {
            let _ = self
                .session
                .text(
                    ServerMessage::Error {
                        code,
                        message,
                        fatal: true,
                    }
                    .to_text(),
                )
                .await;
        }
        let _ = self
            .session
            .close(Some(CloseReason {
                code: CloseCode::from(end.code),
                description: Some(end.reason.chars().take(120).collect()),
            }))
            .await;
    }

    async fn run(&mut self, stream: &mut actix_ws::AggregatedMessageStream) -> End {
        // The join comes first.
        let deadline = tokio::time::sleep(JOIN_TIMEOUT);
        tokio::pin!(deadline);
        let (name, password, key) = loop {
            tokio::select! {
                incoming = stream.next() => match self.decode(incoming) {
                    Ok(Incoming::Message(ClientMessage::Join { name, password, moderator_key })) => {
                        break (name, password, moderator_key)
                    }
                    Ok(Incoming::Message(ClientMessage::Ping {})) => {
                        if !self.send(&ServerMessage::Pong {}).await {
                            return End::quietly(1000, "gone", "disconnected");
                        }
                    }
                    Ok(Incoming::Message(_)) => {
                        return End::refused(4400, "bad_message", "join first")
                    }
                    Ok(Incoming::Nothing) => {}
                    Err(end) => return end,
                },
                _ = &mut deadline => return End::quietly(4400, "no join", "disconnected"),
            }
        };
        let Some(room_id) = RoomId::parse(&self.room_id) else {
            return End::refused(4404, "not_found", "no such room");
        };
        let user = self.who.as_ref().map(|w| w.user);
        let spaces = self.rooms.spaces().clone();
        let found = self
            .rooms
            .database()
            .run(move |conn| {
                let Some(row) = room::find(conn, &room_id)? else {
                    return Ok(None);
                };
                let asker = room::asker(conn, &spaces, &row, user, key.as_deref())?;
                Ok::<_, crate::RoomsError>(Some((row, asker)))
            })
            .await;
        let (row, asker) = match found {
            Ok(Some(found)) => found,
            Ok(None) => return End::refused(4404, "not_found", "no such room"),
            Err(error) => {
                tracing::error!(%error, "a room connection could not be checked");
                return End::refused(1011, "unavailable", "try again later");
            }
        };
        let moderator = room::is_moderator(&row, &asker);
        let default_name = self.who.as_ref().map(|w| w.display_name.clone());
        let Some(name) = name
            .or(default_name)
            .as_deref()
            .and_then(protocol::display_name)
        else {
            return End::refused(4400, "bad_message", "name: 1 to 64 characters");
        };
        if let (Some(hash), false) = (row.password_hash.clone(), moderator) {
            let given = password.unwrap_or_default();
            let ok = web::block(move || room::verify_password(&given, &hash))
                .await
                .unwrap_or(false);
            if !ok {
                return End::refused(4401, "wrong_password", "wrong password");
            }
        }
        let id = self.rooms.meetings().participant_id();
        let tag = row.room_id().log_tag();
        let (outbox_tx, mut outbox) = mpsc::channel(512);
        let mut meeting = None;
        for _ in 0..5 {
            let commands = self.rooms.meetings().meeting(&row);
            let (reply_tx, reply) = oneshot::channel();
            let newcomer = Newcomer {
                id: id.clone(),
                name: name.clone(),
                moderator,
                outbox: outbox_tx.clone(),
            };
            if commands
                .send(Command::Join(newcomer, reply_tx))
                .await
                .is_err()
            {
                continue;
            }
            match reply.await {
                Ok(Ok(_)) => {
                    meeting = Some(commands);
                    break;
                }
                Ok(Err(refused)) => {
                    return End::refused(refused.close, refused.code, refused.message)
                }
                Err(_) => continue,
            }
        }
        let Some(meeting) = meeting else {
            return End::refused(1013, "unavailable", "the room is busy; try again");
        };
        drop(outbox_tx);
        tracing::debug!(room = %tag, participant = %id, moderator, "participant connected");
        let end = self.in_meeting(stream, &meeting, &id, &mut outbox).await;
        tracing::debug!(room = %tag, participant = %id, code = end.code, "participant gone");
        end
    }

    async fn in_meeting(
        &mut self,
        stream: &mut actix_ws::AggregatedMessageStream,
        meeting: &mpsc::Sender<Command>,
        id: &str,
        outbox: &mut mpsc::Receiver<Outgoing>,
    ) -> End {
        let (events_tx, mut events) = mpsc::channel(256);
        let mut peer: Option<Peer> = None;
        let mut pings = tokio::time::interval_at(tokio::time::Instant::now() + PING, PING);
        let mut heard = Instant::now();
        let cancel = self.rooms.meetings().cancelled().clone();
        let end = loop {
            tokio::select! {
                // The outbox first: `joined` and the `Admitted` that starts the media are
                // queued together, and the client's first offer (its answer to `joined`)
                // must not be read before the media it is for exists.
                biased;
                out = outbox.recv() => match out {
                    Some(Outgoing::Text(text)) => {
                        if self.session.text(text).await.is_err() {
                            break End::quietly(1000, "gone", "disconnected");
                        }
                    }
                    Some(Outgoing::Admitted) => {
                        if peer.is_none() {
                            let p = Peer::start(self.rooms.meetings().sfu().clone(), id.to_owned(), events_tx.clone());
                            let _ = meeting.send(Command::Ready(id.to_owned(), p.commands.clone())).await;
                            peer = Some(p);
                        }
                    }
                    Some(Outgoing::Close(code, reason)) => {
                        break End::quietly(code, &reason, "disconnected")
                    }
                    None => break End::quietly(1012, "the meeting ended", "disconnected"),
                },
                incoming = stream.next() => {
                    heard = Instant::now();
                    let message = match self.decode(incoming) {
                        Ok(Incoming::Message(m)) => m,
                        Ok(Incoming::Nothing) => continue,
                        Err(end) => break end,
                    };
                    if let Err(end) = self.client_message(message, meeting, id, peer.as_ref()).await {
                        break end;
                    }
                }
                Some(event) = events.recv() => {
                    if let Err(end) = self.media_event(event, meeting, id).await {
                        break end;
                    }
                }
                joined = async { match peer.as_mut() { Some(p) => (&mut p.task).await, None => std::future::pending().await } } => {
                    peer = None;
                    if let Err(error) = joined {
                        tracing::warn!(participant = %id, %error, "a participant's media task died");
                    }
                    // Its Failed event, if any, is still queued: it says why.
                    let mut said = None;
                    while let Ok(event) = events.try_recv() {
                        if let Err(end) = self.media_event(event, meeting, id).await {
                            said = Some(end);
                            break;
                        }
                    }
                    if let Some(end) = said {
                        break end;
                    }
                    let message = "the media stopped".to_owned();
                    self.rooms.metrics().media_failures.inc();
                    break End { code: 1011, reason: message.clone(), left: "failed", error: Some(("failed", message)) };
                }
                _ = pings.tick() => {
                    if heard.elapsed() > PING * 3 {
                        break End::quietly(1001, "no answer to pings", "disconnected");
                    }
                    if self.session.ping(b"").await.is_err() {
                        break End::quietly(1000, "gone", "disconnected");
                    }
                }
                _ = cancel.cancelled() => break End::quietly(1001, "the server is stopping", "disconnected"),
            }
        };
        // The meeting forgets them first: it holds their media's commands too.
        let _ = meeting.send(Command::Leave(id.to_owned(), end.left)).await;
        if let Some(peer) = peer {
            // Dropping the command sender ends the media task, which closes its connections.
            let Peer { commands, task } = peer;
            drop(commands);
            let _ = tokio::time::timeout(Duration::from_secs(5), task).await;
        }
        end
    }

    async fn client_message(
        &mut self,
        message: ClientMessage,
        meeting: &mpsc::Sender<Command>,
        id: &str,
        peer: Option<&Peer>,
    ) -> Result<(), End> {
        let media = |peer: Option<&Peer>| {
            peer.map(|p| p.commands.clone())
                .ok_or_else(|| End::refused(4400, "bad_message", "not in the room yet"))
        };
        match message {
            ClientMessage::Ping {} => {
                if !self.send(&ServerMessage::Pong {}).await {
                    return Err(End::quietly(1000, "gone", "disconnected"));
                }
            }
            ClientMessage::Leave {} => return Err(End::quietly(1000, "left", "left")),
            ClientMessage::Join { .. } => {
                return Err(End::refused(4400, "bad_message", "already joined"))
            }
            ClientMessage::Offer { sdp, tracks, .. } => {
                let tracks = tracks.into_iter().map(|t| (t.mid, t.source)).collect();
                let _ = media(peer)?
                    .send(PeerCommand::PublishOffer { sdp, tracks })
                    .await;
            }
            ClientMessage::Answer { sdp, .. } => {
                let _ = media(peer)?.send(PeerCommand::SubscribeAnswer(sdp)).await;
            }
            ClientMessage::Candidate { pc, candidate } => {
                let init = candidate.map(|c| c.to_init());
                let _ = media(peer)?.send(PeerCommand::Candidate(pc, init)).await;
            }
            ClientMessage::RestartIce {} => {
                let _ = media(peer)?.send(PeerCommand::RestartIce).await;
            }
            ClientMessage::VideoSize {
                participant_id,
                source,
                width,
                ..
            } => {
                let _ = media(peer)?
                    .send(PeerCommand::VideoSize {
                        publisher: participant_id,
                        source,
                        width,
                    })
                    .await;
            }
            other @ (ClientMessage::Mute { .. }
            | ClientMessage::Hand { .. }
            | ClientMessage::Chat { .. }
            | ClientMessage::Moderate { .. }) => {
                if peer.is_none() {
                    return Err(End::refused(4400, "bad_message", "not in the room yet"));
                }
                let _ = meeting.send(Command::Act(id.to_owned(), other)).await;
            }
        }
        Ok(())
    }

    async fn media_event(
        &mut self,
        event: PeerEvent,
        meeting: &mpsc::Sender<Command>,
        id: &str,
    ) -> Result<(), End> {
        let sent = match event {
            PeerEvent::Answer(sdp) => {
                self.send(&ServerMessage::Answer {
                    pc: Pc::Publish,
                    sdp: &sdp,
                })
                .await
            }
            PeerEvent::Offer(sdp, tracks) => {
                let tracks: Vec<SubscribedTrack> = tracks
                    .into_iter()
                    .map(|(mid, participant_id, source)| SubscribedTrack {
                        mid,
                        participant_id,
                        source,
                    })
                    .collect();
                self.send(&ServerMessage::Offer {
                    pc: Pc::Subscribe,
                    sdp: &sdp,
                    tracks: &tracks,
                })
                .await
            }
            PeerEvent::Published(published) => {
                let _ = meeting
                    .send(Command::Published(id.to_owned(), published))
                    .await;
                true
            }
            PeerEvent::Unpublished(key) => {
                let _ = meeting.send(Command::Unpublished(id.to_owned(), key)).await;
                true
            }
            PeerEvent::Failed { code, message } => {
                self.rooms.metrics().media_failures.inc();
                let close = if code == "bad_sdp" { 4400 } else { 1011 };
                return Err(End {
                    code: close,
                    reason: message.clone(),
                    left: "failed",
                    error: Some((code, message)),
                });
            }
        };
        if sent {
            Ok(())
        } else {
            Err(End::quietly(1000, "gone", "disconnected"))
        }
    }
}
