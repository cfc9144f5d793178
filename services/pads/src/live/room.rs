//! A loaded pad: one task owns its document and its connections, and handles their messages
//! in batches. For each batch, the updates that changed the document are stored in one
//! transaction, and only then relayed to the other connections and acknowledged.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use actix_web::web::Bytes;
use maille_config::PadsSettings;
use maille_database::Database;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use super::document::{ApplyError, Document};
use super::protocol::{self, AwarenessEntry, ClientMessage};
use super::storage;
use super::Registry;
use crate::error::PadsError;
use crate::pad::Access;

/// Commands a room handles, at most this many per batch.
const BATCH: usize = 256;
/// Messages waiting to be sent to one connection; a connection this far behind is dropped
/// (it reconnects and resynchronises), so that one slow reader never holds up the others.
pub(crate) const OUTBOX: usize = 512;

/// A connection's identifier, unique in the process.
pub(crate) type ConnId = u64;

/// What a room sends a connection.
#[derive(Debug)]
pub(crate) enum Outgoing {
    /// A binary message.
    Message(Bytes),
    /// Close with this code and reason.
    Close(u16, String),
}

/// A connection as its room knows it.
#[derive(Debug)]
pub(crate) struct Member {
    /// Its id.
    pub id: ConnId,
    /// Read or edit.
    pub access: Access,
    /// Whether it asked for acknowledgements.
    pub acks: bool,
    /// Where its messages go.
    pub outbox: mpsc::Sender<Outgoing>,
}

/// What a room is asked to do.
#[derive(Debug)]
pub(crate) enum Command {
    /// A connection joins; the reply says whether it is in (an error when the pad could not
    /// be loaded). A dropped reply means the room was unloading: try again.
    Join(Member, oneshot::Sender<Result<(), String>>),
    /// A connection's message, decoded.
    Message(ConnId, ClientMessage),
    /// A connection closed.
    Leave(ConnId),
    /// Every connection must go (the pad was deleted or its visibility changed).
    Evict(String),
    /// Replace the content with these nodes, as one edit everyone sees (restoring a version,
    /// importing); the reply comes once it is stored.
    Replace(
        Vec<crate::content::Node>,
        oneshot::Sender<Result<(), String>>,
    ),
}

struct Connection {
    member: Member,
    /// Update-carrying messages received from it so far.
    received: u64,
    /// Of those, how many are stored (or changed nothing).
    stored: u64,
    /// `stored` as last acknowledged.
    acknowledged: u64,
    /// Awareness client ids it speaks for.
    clients: HashSet<u64>,
}

/// One batch's effects, carried out once its updates are stored.
#[derive(Default)]
struct Effects {
    /// Updates to store, in order.
    updates: Vec<Vec<u8>>,
    /// (connection, message) to send; `None` sends to every connection but `except`.
    sends: Vec<(Target, Bytes)>,
    /// Connections to close, with code and reason.
    closes: Vec<(ConnId, u16, String)>,
    /// Connections whose messages up to now become stored once this batch is.
    settled: Vec<ConnId>,
    /// Replies due once this batch is stored.
    replies: Vec<oneshot::Sender<Result<(), String>>>,
}

enum Target {
    One(ConnId),
    AllBut(ConnId),
    All,
}

/// What every room of the process shares.
#[derive(Clone)]
pub(crate) struct Shared {
    /// The database.
    pub db: Database,
    /// The `[pads]` settings.
    pub settings: Arc<PadsSettings>,
    /// The loaded pads.
    pub registry: Registry,
    /// Fires when the process stops.
    pub cancel: CancellationToken,
    /// The service's metrics.
    pub metrics: crate::PadsMetrics,
    /// Stores the updates of every pad, together.
    pub writer: super::writer::Writer,
    /// Turns for the snapshots (compactions, automatic versions) of every room: when
    /// thousands of idle pads unload at once, they take turns rather than each holding a
    /// thread of the blocking pool while waiting for the database.
    pub snapshot_turns: Arc<tokio::sync::Semaphore>,
}

pub(crate) struct Room {
    metrics: crate::PadsMetrics,
    pad: String,
    /// What logs call it.
    tag: String,
    history: bool,
    generation: u64,
    db: Database,
    writer: super::writer::Writer,
    snapshot_turns: Arc<tokio::sync::Semaphore>,
    settings: Arc<PadsSettings>,
    registry: Registry,
    document: Document,
    next_seq: i64,
    log_len: usize,
    stored_bytes: usize,
    connections: HashMap<ConnId, Connection>,
    awareness: HashMap<u64, AwarenessEntry>,
    /// When an automatic version is due: set by the first change after the last one.
    version_due: Option<tokio::time::Instant>,
}

async fn load(
    db: &Database,
    pad: &str,
    history: bool,
) -> Result<(Document, storage::Stored), PadsError> {
    let id = pad.to_owned();
    let stored = db.run(move |conn| storage::load(conn, &id)).await?;
    let document = Document::load(history, stored.in_order());
    Ok((document, stored))
}

impl Room {
    /// Loads the pad and serves its connections until it is idle, the process stops, or its
    /// storage fails.
    pub(crate) async fn run(
        pad: String,
        history: bool,
        generation: u64,
        shared: Shared,
        mut commands: mpsc::Receiver<Command>,
    ) {
        let Shared {
            db,
            settings,
            registry,
            cancel,
            metrics,
            writer,
            snapshot_turns,
        } = shared;
        let loaded = load(&db, &pad, history).await;
        let (document, stored) = match loaded {
            Ok(loaded) => loaded,
            Err(error) => {
                tracing::error!(pad = %crate::pad::log_tag(&pad), %error, "a pad could not be loaded");
                registry.remove(&pad, generation);
                commands.close();
                while let Some(command) = commands.recv().await {
                    if let Command::Join(_, reply) = command {
                        let _ = reply.send(Err("the pad could not be loaded".into()));
                    }
                }
                return;
            }
        };
        let mut room = Room {
            metrics,
            tag: crate::pad::log_tag(&pad),
            pad,
            history,
            generation,
            db,
            writer,
            snapshot_turns,
            settings: settings.clone(),
            registry,
            document,
            next_seq: stored.last_seq + 1,
            log_len: stored.updates.len(),
            stored_bytes: stored.bytes(),
            connections: HashMap::new(),
            awareness: HashMap::new(),
            version_due: None,
        };
        let idle = Duration::from_secs(settings.idle_unload_seconds.max(1));
        loop {
            let first = tokio::select! {
                biased;
                _ = cancel.cancelled() => break,
                command = commands.recv() => command,
                _ = tokio::time::sleep(idle), if room.connections.is_empty() => {
                    if room.unload(&mut commands).await {
                        return;
                    }
                    continue;
                }
            };
            let Some(first) = first else { break };
            let mut batch = vec![first];
            while batch.len() < BATCH {
                match commands.try_recv() {
                    Ok(command) => batch.push(command),
                    Err(_) => break,
                }
            }
            if let Err(error) = room.handle(batch).await {
                tracing::error!(pad = %room.tag, %error, "storing a pad's updates failed; its connections are closed");
                room.close_all(1011, "the pad could not be saved; reconnect");
                break;
            }
        }
        // Stopping: everything relayed is stored already; tell the editors and go.
        room.close_all(1001, "the server is stopping");
        room.compact().await;
        room.registry.remove(&room.pad, room.generation);
    }

    /// Unloads the pad if nobody came meanwhile; false when someone did.
    async fn unload(&mut self, commands: &mut mpsc::Receiver<Command>) -> bool {
        if !commands.is_empty() {
            return false;
        }
        // Saved and compacted before the room leaves the registry, so that the next load (by
        // a new room) never races with this one's writes.
        if self.version_due.is_some() {
            self.save_version().await;
        }
        self.compact().await;
        self.registry.remove(&self.pad, self.generation);
        commands.close();
        // Joins that slipped in get their reply dropped, and retry with a new room.
        while commands.try_recv().is_ok() {}
        tracing::debug!(pad = %self.tag, "idle pad unloaded");
        true
    }

    /// Saves the document as an automatic version.
    async fn save_version(&mut self) {
        self.version_due = None;
        let state = match self.document.encode() {
            Ok(state) => state,
            Err(error) => {
                tracing::error!(pad = %self.tag, %error, "a pad could not be encoded for its history");
                return;
            }
        };
        let _turn = self.snapshot_turns.acquire().await;
        let pad = self.pad.clone();
        let keep = self.settings.automatic_versions_kept;
        let now = maille_database::now();
        let saved = self
            .db
            .transaction(move |conn| {
                crate::history::save(conn, &pad, "", true, &state, None, now, keep)
            })
            .await;
        if let Err(error) = saved {
            tracing::error!(pad = %self.tag, %error, "an automatic version could not be saved");
        }
    }

    async fn compact(&mut self) {
        if self.log_len == 0 {
            return;
        }
        let _turn = self.snapshot_turns.acquire().await;
        let state = match self.document.encode() {
            Ok(state) => state,
            Err(error) => {
                tracing::error!(pad = %self.tag, %error, "a pad could not be encoded for compaction");
                return;
            }
        };
        let pad = self.pad.clone();
        let last_seq = self.next_seq - 1;
        let now = maille_database::now();
        let size = state.len();
        let result = self
            .db
            .transaction(move |conn| storage::compact(conn, &pad, &state, last_seq, now))
            .await;
        match result {
            Ok(()) => {
                self.log_len = 0;
                self.stored_bytes = size;
            }
            Err(error) => tracing::error!(pad = %self.tag, %error, "compacting a pad failed"),
        }
    }

    fn close_all(&mut self, code: u16, reason: &str) {
        for (_, connection) in self.connections.drain() {
            let _ = connection
                .member
                .outbox
                .try_send(Outgoing::Close(code, reason.to_owned()));
        }
        self.awareness.clear();
    }

    async fn handle(&mut self, batch: Vec<Command>) -> Result<(), PadsError> {
        let mut effects = Effects::default();
        for command in batch {
            match command {
                Command::Join(member, reply) => self.join(member, reply, &mut effects),
                Command::Leave(id) => self.leave(id, &mut effects),
                Command::Evict(reason) => {
                    let ids: Vec<ConnId> = self.connections.keys().copied().collect();
                    for id in ids {
                        effects.closes.push((id, 4403, reason.clone()));
                    }
                }
                Command::Replace(nodes, reply) => match self.document.replace_content(&nodes) {
                    Ok(Some(update)) => {
                        effects
                            .sends
                            .push((Target::All, Bytes::from(protocol::update(&update))));
                        effects.updates.push(update);
                        effects.replies.push(reply);
                    }
                    Ok(None) => effects.replies.push(reply),
                    Err(error) => {
                        let _ = reply.send(Err(error.to_string()));
                        tracing::error!(pad = %self.tag, %error, "replacing a pad's content failed; reloading it");
                        self.reload(&mut effects).await?;
                    }
                },
                Command::Message(id, message) => {
                    if let Err(broken) = self.message(id, message, &mut effects) {
                        // The document may be damaged: keep what is good, reload it.
                        tracing::warn!(pad = %self.tag, conn = id, error = %broken, "an update broke the document; reloading it");
                        self.reload(&mut effects).await?;
                    }
                }
            }
        }
        let changed = !effects.updates.is_empty();
        self.store(&mut effects).await?;
        for reply in effects.replies.drain(..) {
            let _ = reply.send(Ok(()));
        }
        self.deliver(effects);
        if changed && self.history {
            let interval = Duration::from_secs(self.settings.version_interval_minutes.max(1) * 60);
            let due = *self
                .version_due
                .get_or_insert_with(|| tokio::time::Instant::now() + interval);
            if tokio::time::Instant::now() >= due {
                self.save_version().await;
            }
        }
        if self.log_len >= self.settings.compaction_threshold.max(1) as usize {
            self.compact().await;
        }
        Ok(())
    }

    /// Keeps what is good (stores the batch's updates so far) and reloads the document from
    /// storage, after the CRDT library failed on it.
    async fn reload(&mut self, effects: &mut Effects) -> Result<(), PadsError> {
        self.store(effects).await?;
        let (document, stored) = load(&self.db, &self.pad, self.history).await?;
        self.document = document;
        self.log_len = stored.updates.len();
        self.stored_bytes = stored.bytes();
        Ok(())
    }

    /// Stores the batch's updates so far; afterwards they may be relayed and acknowledged.
    async fn store(&mut self, effects: &mut Effects) -> Result<(), PadsError> {
        if !effects.updates.is_empty() {
            let updates = std::mem::take(&mut effects.updates);
            let count = updates.len();
            let bytes: usize = updates.iter().map(Vec::len).sum();
            let pad = self.pad.clone();
            let first = self.next_seq;
            let now = maille_database::now();
            self.writer.append(pad, first, updates, now).await?;
            self.next_seq += count as i64;
            self.metrics.updates_stored.inc_by(count as u64);
            self.log_len += count;
            self.stored_bytes += bytes;
        }
        for id in effects.settled.drain(..) {
            if let Some(connection) = self.connections.get_mut(&id) {
                connection.stored = connection.received;
            }
        }
        Ok(())
    }

    fn deliver(&mut self, effects: Effects) {
        let mut gone: Vec<ConnId> = Vec::new();
        for (target, bytes) in effects.sends {
            for (id, connection) in &self.connections {
                let wanted = match target {
                    Target::One(one) => *id == one,
                    Target::AllBut(except) => *id != except,
                    Target::All => true,
                };
                if wanted
                    && connection
                        .member
                        .outbox
                        .try_send(Outgoing::Message(bytes.clone()))
                        .is_err()
                {
                    gone.push(*id);
                }
            }
        }
        for connection in self.connections.values_mut() {
            if connection.member.acks && connection.stored > connection.acknowledged {
                connection.acknowledged = connection.stored;
                let ack = Bytes::from(protocol::ack(connection.stored));
                if connection
                    .member
                    .outbox
                    .try_send(Outgoing::Message(ack))
                    .is_err()
                {
                    gone.push(connection.member.id);
                }
            }
        }
        for (id, code, reason) in effects.closes {
            if let Some(connection) = self.connections.get(&id) {
                let _ = connection
                    .member
                    .outbox
                    .try_send(Outgoing::Close(code, reason));
            }
            gone.push(id);
        }
        if gone.is_empty() {
            return;
        }
        // Too slow, or closed: remove them and tell the others they left.
        let mut more = Effects::default();
        gone.sort_unstable();
        gone.dedup();
        for id in gone {
            if let Some(connection) = self.connections.get(&id) {
                let _ = connection
                    .member
                    .outbox
                    .try_send(Outgoing::Close(1008, "too far behind".into()));
            }
            self.leave(id, &mut more);
        }
        if !more.sends.is_empty() {
            self.deliver(more);
        }
    }

    fn join(
        &mut self,
        member: Member,
        reply: oneshot::Sender<Result<(), String>>,
        effects: &mut Effects,
    ) {
        let id = member.id;
        let state_vector = match self.document.state_vector() {
            Ok(sv) => sv,
            Err(error) => {
                let _ = reply.send(Err(error.to_string()));
                return;
            }
        };
        if reply.send(Ok(())).is_err() {
            return;
        }
        self.connections.insert(
            id,
            Connection {
                member,
                received: 0,
                stored: 0,
                acknowledged: 0,
                clients: HashSet::new(),
            },
        );
        effects.sends.push((
            Target::One(id),
            Bytes::from(protocol::sync_step_1(&state_vector)),
        ));
        if !self.awareness.is_empty() {
            let encoded = protocol::encode_awareness(self.awareness.values());
            effects
                .sends
                .push((Target::One(id), Bytes::from(protocol::awareness(&encoded))));
        }
    }

    fn leave(&mut self, id: ConnId, effects: &mut Effects) {
        let Some(connection) = self.connections.remove(&id) else {
            return;
        };
        let removed: Vec<AwarenessEntry> = connection
            .clients
            .iter()
            .filter_map(|client| self.awareness.remove(client))
            .map(|entry| AwarenessEntry {
                client: entry.client,
                clock: entry.clock + 1,
                state: "null".to_owned(),
            })
            .collect();
        if !removed.is_empty() {
            let encoded = protocol::encode_awareness(&removed);
            effects
                .sends
                .push((Target::All, Bytes::from(protocol::awareness(&encoded))));
        }
    }

    /// The connections that speak for the awareness client `client`.
    fn connections_speaking_for(&self, client: u64) -> impl Iterator<Item = ConnId> + '_ {
        self.connections
            .values()
            .filter(move |c| c.clients.contains(&client))
            .map(|c| c.member.id)
    }

    /// Handles one message; an error means the document may be damaged.
    fn message(
        &mut self,
        id: ConnId,
        message: ClientMessage,
        effects: &mut Effects,
    ) -> Result<(), ApplyError> {
        if effects.closes.iter().any(|(closing, _, _)| *closing == id) {
            return Ok(());
        }
        let Some(connection) = self.connections.get_mut(&id) else {
            return Ok(());
        };
        match message {
            ClientMessage::SyncStep1(state_vector) => match self.document.diff(&state_vector) {
                Ok(diff) => effects
                    .sends
                    .push((Target::One(id), Bytes::from(protocol::sync_step_2(&diff)))),
                Err(ApplyError::Invalid(error)) => {
                    tracing::info!(pad = %self.tag, conn = id, %error, "invalid state vector; connection closed");
                    effects
                        .closes
                        .push((id, 1007, "invalid state vector".into()));
                }
                Err(broken) => return Err(broken),
            },
            ClientMessage::SyncStep2(update) | ClientMessage::Update(update) => {
                connection.received += 1;
                if connection.member.access != Access::Edit {
                    tracing::debug!(pad = %self.tag, conn = id, "update from a read-only connection refused");
                    return Ok(());
                }
                if self.stored_bytes + update.len() > self.settings.max_pad_bytes {
                    tracing::info!(pad = %self.tag, conn = id, "pad is full; update refused");
                    effects.closes.push((id, 1009, "the pad is full".into()));
                    return Ok(());
                }
                match self.document.apply(&update) {
                    Ok(Some(changed)) => {
                        effects
                            .sends
                            .push((Target::AllBut(id), Bytes::from(protocol::update(&changed))));
                        effects.updates.push(changed);
                        effects.settled.push(id);
                    }
                    Ok(None) => effects.settled.push(id),
                    Err(ApplyError::Invalid(error)) => {
                        tracing::info!(pad = %self.tag, conn = id, %error, "invalid update; connection closed");
                        effects.closes.push((id, 1007, "invalid update".into()));
                    }
                    Err(broken) => {
                        effects.closes.push((id, 1007, "invalid update".into()));
                        return Err(broken);
                    }
                }
            }
            ClientMessage::Awareness(encoded) => match protocol::decode_awareness(&encoded) {
                Ok(entries) => {
                    let all = entries.len();
                    // A connection speaks only for its own clients: an entry about a client
                    // another connection speaks for (a forged "left", say) is dropped.
                    let entries: Vec<AwarenessEntry> = entries
                        .into_iter()
                        .filter(|e| {
                            !self
                                .connections_speaking_for(e.client)
                                .any(|other| other != id)
                        })
                        .collect();
                    if entries.is_empty() {
                        return Ok(());
                    }
                    let relayed = if entries.len() == all {
                        encoded
                    } else {
                        protocol::encode_awareness(&entries)
                    };
                    let Some(connection) = self.connections.get_mut(&id) else {
                        return Ok(());
                    };
                    for entry in entries {
                        let newer = self
                            .awareness
                            .get(&entry.client)
                            .is_none_or(|known| known.clock < entry.clock || entry.state == "null");
                        if !newer {
                            continue;
                        }
                        if entry.state == "null" {
                            connection.clients.remove(&entry.client);
                            self.awareness.remove(&entry.client);
                        } else {
                            connection.clients.insert(entry.client);
                            self.awareness.insert(entry.client, entry);
                        }
                    }
                    effects
                        .sends
                        .push((Target::All, Bytes::from(protocol::awareness(&relayed))));
                }
                Err(error) => {
                    tracing::info!(pad = %self.tag, conn = id, %error, "invalid awareness update; connection closed");
                    effects
                        .closes
                        .push((id, 1007, "invalid awareness update".into()));
                }
            },
            ClientMessage::QueryAwareness => {
                if !self.awareness.is_empty() {
                    let encoded = protocol::encode_awareness(self.awareness.values());
                    effects
                        .sends
                        .push((Target::One(id), Bytes::from(protocol::awareness(&encoded))));
                }
            }
        }
        Ok(())
    }
}
