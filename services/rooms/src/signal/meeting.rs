//! A meeting in progress: who is in the room and who waits in its lobby, their state, the
//! chat, the active speaker, and the moderators' commands. One task per meeting owns all of
//! it; connections talk to it through [`Command`]s.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use super::protocol::{
    Action, ChatLine, ClientMessage, ParticipantView, RoomInfo, ServerMessage, Waiting,
};
use super::Meetings;
use crate::room::RoomRow;
use crate::sfu::{PeerCommand, Published, Source};

/// Chat lines kept for newcomers.
const CHAT_KEPT: usize = 500;
/// Loudness (0 to 127) above which someone counts as speaking.
const SPEAKING: u8 = 40;

/// What a connection receives from its meeting.
#[derive(Debug)]
pub enum Outgoing {
    /// A message to send as it is.
    Text(String),
    /// Out of the lobby and in the room: start the media.
    Admitted,
    /// Close with this code and reason.
    Close(u16, String),
}

/// Someone knocking.
pub struct Newcomer {
    /// Their participant id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Whether they moderate the room.
    pub moderator: bool,
    /// Where their messages go.
    pub outbox: mpsc::Sender<Outgoing>,
}

/// Why someone may not come in.
#[derive(Debug, Clone)]
pub struct Refused {
    /// Stable code.
    pub code: &'static str,
    /// WebSocket close code.
    pub close: u16,
    /// For people.
    pub message: &'static str,
}

/// What a meeting is told.
pub enum Command {
    /// Someone knocks; the reply says whether they came in (true) or wait in the lobby.
    Join(Newcomer, oneshot::Sender<Result<bool, Refused>>),
    /// Their media is up: they can be sent others' tracks.
    Ready(String, mpsc::Sender<PeerCommand>),
    /// They left, with a reason (`left`, `disconnected`, `failed`).
    Leave(String, &'static str),
    /// A message of theirs for the room.
    Act(String, ClientMessage),
    /// They publish a track.
    Published(String, Arc<Published>),
    /// A track of theirs ended.
    Unpublished(String, u64),
    /// The room's settings changed.
    RoomChanged(RoomRow),
    /// The room was deleted: end the meeting.
    End,
}

struct Person {
    id: String,
    name: String,
    moderator: bool,
    outbox: mpsc::Sender<Outgoing>,
    peer: Option<mpsc::Sender<PeerCommand>>,
    audio_muted: bool,
    video_muted: bool,
    screen: bool,
    hand: bool,
    published: Vec<Arc<Published>>,
}

impl Person {
    fn view(&self) -> ParticipantView {
        ParticipantView {
            id: self.id.clone(),
            name: self.name.clone(),
            role: if self.moderator {
                "moderator"
            } else {
                "participant"
            },
            audio_muted: self.audio_muted,
            video_muted: self.video_muted,
            screen: self.screen,
            hand: self.hand,
        }
    }

    fn send(&self, text: String) {
        // A connection this far behind is closed by its own task; nothing waits for it.
        let _ = self.outbox.try_send(Outgoing::Text(text));
    }
}

/// A meeting's state, owned by its task.
pub struct Meeting {
    room: RoomInfo,
    meetings: Meetings,
    generation: u64,
    count: Arc<AtomicUsize>,
    people: Vec<Person>,
    lobby: Vec<Person>,
    chat: VecDeque<ChatLine>,
    speaker: Option<String>,
}

impl Meeting {
    pub(crate) fn new(
        row: &RoomRow,
        meetings: Meetings,
        generation: u64,
        count: Arc<AtomicUsize>,
    ) -> Meeting {
        Meeting {
            room: room_info(row),
            meetings,
            generation,
            count,
            people: Vec::new(),
            lobby: Vec::new(),
            chat: VecDeque::new(),
            speaker: None,
        }
    }

    pub(crate) async fn run(mut self, mut inbox: mpsc::Receiver<Command>) {
        let metrics = self.meetings.sfu().metrics().clone();
        metrics.meetings.inc();
        let mut speakers = tokio::time::interval(Duration::from_millis(400));
        loop {
            tokio::select! {
                command = inbox.recv() => {
                    let Some(command) = command else { break };
                    if !self.handle(command) {
                        break;
                    }
                    self.count
                        .store(self.people.len() + self.lobby.len(), Ordering::Relaxed);
                    if self.people.is_empty() && self.lobby.is_empty() {
                        break;
                    }
                }
                _ = speakers.tick() => self.active_speaker(),
                _ = self.meetings.cancelled().cancelled() => {
                    for p in self.people.iter().chain(self.lobby.iter()) {
                        let _ = p.outbox.try_send(Outgoing::Close(1001, "the server is stopping".into()));
                    }
                    break;
                }
            }
        }
        self.meetings.remove(&self.room.id, self.generation);
        // Those who knocked while it was closing are told to knock again.
        inbox.close();
        while let Ok(command) = inbox.try_recv() {
            if let Command::Join(newcomer, _) = command {
                let _ = newcomer
                    .outbox
                    .try_send(Outgoing::Close(1012, "try again".into()));
            }
        }
        metrics
            .participants
            .dec_by(i64::try_from(self.people.len() + self.lobby.len()).unwrap_or(0));
        metrics.meetings.dec();
    }

    /// Handles one command; false when the meeting is over.
    fn handle(&mut self, command: Command) -> bool {
        match command {
            Command::Join(newcomer, reply) => {
                let outcome = self.join(newcomer);
                let _ = reply.send(outcome);
            }
            Command::Ready(id, peer) => {
                let published: Vec<Arc<Published>> = self
                    .people
                    .iter()
                    .filter(|p| p.id != id)
                    .flat_map(|p| p.published.iter().cloned())
                    .collect();
                for p in published {
                    let _ = peer.try_send(PeerCommand::Subscribe(p));
                }
                if let Some(person) = self.people.iter_mut().find(|p| p.id == id) {
                    person.peer = Some(peer);
                }
            }
            Command::Leave(id, reason) => self.leave(&id, reason),
            Command::Act(id, message) => return self.act(&id, message),
            Command::Published(id, published) => {
                let Some(person) = self.people.iter_mut().find(|p| p.id == id) else {
                    published.close();
                    return true;
                };
                match published.source {
                    Source::Microphone => person.audio_muted = false,
                    Source::Camera => person.video_muted = false,
                    Source::Screen => person.screen = true,
                }
                person.published.push(published.clone());
                let view = person.view();
                for other in self.people.iter().filter(|p| p.id != id) {
                    if let Some(peer) = &other.peer {
                        let _ = peer.try_send(PeerCommand::Subscribe(published.clone()));
                    }
                }
                self.broadcast(&ServerMessage::ParticipantUpdated { participant: view });
            }
            Command::Unpublished(id, key) => {
                if let Some(person) = self.people.iter_mut().find(|p| p.id == id) {
                    if let Some(at) = person.published.iter().position(|p| p.key == key) {
                        let gone = person.published.remove(at);
                        if gone.source == Source::Screen {
                            person.screen = false;
                        }
                        let view = person.view();
                        self.unsubscribe_all(&id, key);
                        self.broadcast(&ServerMessage::ParticipantUpdated { participant: view });
                    }
                }
            }
            Command::RoomChanged(row) => {
                let before = self.room.lobby;
                self.room = room_info(&row);
                self.broadcast(&ServerMessage::RoomUpdated { room: &self.room });
                if before && !self.room.lobby {
                    // No lobby any more: everyone waiting comes in.
                    let waiting: Vec<String> = self.lobby.iter().map(|p| p.id.clone()).collect();
                    for id in waiting {
                        self.admit(&id);
                    }
                }
            }
            Command::End => {
                self.end();
                return false;
            }
        }
        true
    }

    fn join(&mut self, newcomer: Newcomer) -> Result<bool, Refused> {
        if self.room.locked && !newcomer.moderator {
            return Err(Refused {
                code: "locked",
                close: 4409,
                message: "the room is locked",
            });
        }
        if self.full() {
            return Err(Refused {
                code: "room_full",
                close: 4409,
                message: "the room is full",
            });
        }
        let person = Person {
            id: newcomer.id,
            name: newcomer.name,
            moderator: newcomer.moderator,
            outbox: newcomer.outbox,
            peer: None,
            audio_muted: true,
            video_muted: true,
            screen: false,
            hand: false,
            published: Vec::new(),
        };
        self.meetings.sfu().metrics().participants.inc();
        if self.room.lobby && !person.moderator {
            person.send(ServerMessage::Lobby {}.to_text());
            self.lobby.push(person);
            self.lobby_changed();
            return Ok(false);
        }
        self.enter(person);
        Ok(true)
    }

    fn full(&self) -> bool {
        u32::try_from(self.people.len()).unwrap_or(u32::MAX) >= self.room.max_participants
    }

    /// Brings `person` into the room.
    fn enter(&mut self, person: Person) {
        let ice_servers =
            crate::turn::ice_servers(self.meetings.settings(), &person.id, maille_database::now());
        let joined = ServerMessage::Joined {
            participant_id: &person.id,
            role: if person.moderator {
                "moderator"
            } else {
                "participant"
            },
            room: &self.room,
            participants: self.people.iter().map(Person::view).collect(),
            ice_servers: &ice_servers,
            chat: self.chat.iter().collect(),
        };
        person.send(joined.to_text());
        let _ = person.outbox.try_send(Outgoing::Admitted);
        self.broadcast(&ServerMessage::ParticipantJoined {
            participant: person.view(),
        });
        let moderator = person.moderator;
        self.people.push(person);
        if moderator && !self.lobby.is_empty() {
            self.lobby_changed();
        }
    }

    fn admit(&mut self, id: &str) {
        let Some(at) = self.lobby.iter().position(|p| p.id == id) else {
            return;
        };
        if self.full() {
            return;
        }
        let person = self.lobby.remove(at);
        self.enter(person);
        self.lobby_changed();
    }

    fn leave(&mut self, id: &str, reason: &str) {
        if let Some(at) = self.lobby.iter().position(|p| p.id == id) {
            self.lobby.remove(at);
            self.meetings.sfu().metrics().participants.dec();
            self.lobby_changed();
            return;
        }
        let Some(at) = self.people.iter().position(|p| p.id == id) else {
            return;
        };
        let person = self.people.remove(at);
        self.meetings.sfu().metrics().participants.dec();
        for published in &person.published {
            self.unsubscribe_all(id, published.key);
            published.close();
        }
        if self.speaker.as_deref() == Some(id) {
            self.speaker = None;
        }
        self.broadcast(&ServerMessage::ParticipantLeft {
            participant_id: id,
            reason,
        });
    }

    fn unsubscribe_all(&self, publisher: &str, key: u64) {
        for other in self.people.iter().filter(|p| p.id != publisher) {
            if let Some(peer) = &other.peer {
                let _ = peer.try_send(PeerCommand::Unsubscribe(key));
            }
        }
    }

    fn act(&mut self, id: &str, message: ClientMessage) -> bool {
        let Some(at) = self.people.iter().position(|p| p.id == id) else {
            return true;
        };
        match message {
            ClientMessage::Mute { source, muted } => {
                let person = &mut self.people[at];
                match source {
                    Source::Microphone => person.audio_muted = muted,
                    Source::Camera => person.video_muted = muted,
                    Source::Screen => person.screen = !muted,
                }
                if !muted {
                    // Unmuting oneself undoes a moderator's mute.
                    for p in person.published.iter().filter(|p| p.source == source) {
                        p.enabled.store(true, Ordering::Relaxed);
                    }
                }
                let view = person.view();
                self.broadcast(&ServerMessage::ParticipantUpdated { participant: view });
            }
            ClientMessage::Hand { raised } => {
                self.people[at].hand = raised;
                let view = self.people[at].view();
                self.broadcast(&ServerMessage::ParticipantUpdated { participant: view });
            }
            ClientMessage::Chat { text } => {
                let line = ChatLine {
                    from: id.to_owned(),
                    name: self.people[at].name.clone(),
                    text: text.trim().to_owned(),
                    at: now_rfc3339(),
                };
                self.broadcast(&ServerMessage::Chat(&line));
                if self.chat.len() >= CHAT_KEPT {
                    self.chat.pop_front();
                }
                self.chat.push_back(line);
            }
            ClientMessage::Moderate {
                action,
                participant_id,
                source,
            } => {
                if !self.people[at].moderator {
                    self.people[at].send(
                        ServerMessage::Error {
                            code: "forbidden",
                            message: "only moderators may do this",
                            fatal: false,
                        }
                        .to_text(),
                    );
                    return true;
                }
                return self.moderate(at, action, participant_id, source);
            }
            _ => {}
        }
        true
    }

    fn moderate(
        &mut self,
        by: usize,
        action: Action,
        target: Option<String>,
        source: Option<Source>,
    ) -> bool {
        let target = target.unwrap_or_default();
        let not_here = |meeting: &Meeting| {
            meeting.people[by].send(
                ServerMessage::Error {
                    code: "not_found",
                    message: "no such participant",
                    fatal: false,
                }
                .to_text(),
            );
        };
        match action {
            Action::Mute => {
                let source = source.unwrap_or(Source::Microphone);
                let Some(person) = self.people.iter_mut().find(|p| p.id == target) else {
                    not_here(self);
                    return true;
                };
                for p in person.published.iter().filter(|p| p.source == source) {
                    p.enabled.store(false, Ordering::Relaxed);
                }
                match source {
                    Source::Microphone => person.audio_muted = true,
                    Source::Camera => person.video_muted = true,
                    Source::Screen => person.screen = false,
                }
                person.send(ServerMessage::MutedByModerator { source }.to_text());
                let view = person.view();
                self.broadcast(&ServerMessage::ParticipantUpdated { participant: view });
            }
            Action::Remove => {
                let Some(person) = self.people.iter().find(|p| p.id == target) else {
                    not_here(self);
                    return true;
                };
                person.send(ServerMessage::Closed { reason: "removed" }.to_text());
                let _ = person
                    .outbox
                    .try_send(Outgoing::Close(4403, "removed by a moderator".into()));
                self.leave(&target, "removed");
            }
            Action::Lock | Action::Unlock => {
                self.room.locked = action == Action::Lock;
                self.broadcast(&ServerMessage::RoomUpdated { room: &self.room });
            }
            Action::Admit => {
                if !self.lobby.iter().any(|p| p.id == target) {
                    not_here(self);
                    return true;
                }
                if self.full() {
                    self.people[by].send(
                        ServerMessage::Error {
                            code: "room_full",
                            message: "the room is full",
                            fatal: false,
                        }
                        .to_text(),
                    );
                    return true;
                }
                self.admit(&target);
            }
            Action::Refuse => {
                let Some(at) = self.lobby.iter().position(|p| p.id == target) else {
                    not_here(self);
                    return true;
                };
                let person = self.lobby.remove(at);
                self.meetings.sfu().metrics().participants.dec();
                person.send(
                    ServerMessage::Error {
                        code: "refused",
                        message: "a moderator did not let you in",
                        fatal: true,
                    }
                    .to_text(),
                );
                let _ = person
                    .outbox
                    .try_send(Outgoing::Close(4403, "refused".into()));
                self.lobby_changed();
            }
            Action::End => {
                self.end();
                return false;
            }
        }
        true
    }

    fn end(&mut self) {
        let closed = ServerMessage::Closed { reason: "ended" }.to_text();
        for p in self.people.iter().chain(self.lobby.iter()) {
            p.send(closed.clone());
            let _ = p
                .outbox
                .try_send(Outgoing::Close(4410, "the meeting ended".into()));
        }
        for p in &self.people {
            for published in &p.published {
                published.close();
            }
        }
    }

    fn broadcast(&self, message: &ServerMessage<'_>) {
        let text = message.to_text();
        for p in &self.people {
            p.send(text.clone());
        }
    }

    fn lobby_changed(&self) {
        let waiting: Vec<Waiting> = self
            .lobby
            .iter()
            .map(|p| Waiting {
                id: p.id.clone(),
                name: p.name.clone(),
            })
            .collect();
        let text = ServerMessage::LobbyWaiting { waiting: &waiting }.to_text();
        for p in self.people.iter().filter(|p| p.moderator) {
            p.send(text.clone());
        }
    }

    fn active_speaker(&mut self) {
        let mut loudest: Option<(&str, u8)> = None;
        for person in &self.people {
            for p in person
                .published
                .iter()
                .filter(|p| p.source == Source::Microphone)
            {
                let level = p.loudness.swap(0, Ordering::Relaxed);
                if p.enabled.load(Ordering::Relaxed)
                    && level >= SPEAKING
                    && loudest.is_none_or(|(_, l)| level > l)
                {
                    loudest = Some((&person.id, level));
                }
            }
        }
        let Some((id, _)) = loudest else { return };
        if self.speaker.as_deref() != Some(id) {
            let id = id.to_owned();
            self.broadcast(&ServerMessage::ActiveSpeaker {
                participant_id: &id,
            });
            self.speaker = Some(id);
        }
    }
}

fn room_info(row: &RoomRow) -> RoomInfo {
    RoomInfo {
        id: row.id.clone(),
        name: row.name.clone(),
        locked: row.locked,
        lobby: row.lobby,
        max_participants: u32::try_from(row.max_participants).unwrap_or(0),
    }
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}
