//! Live editing: the WebSocket at `/ws/pads/{id}`, speaking y-websocket, and the loaded pads
//! (rooms) it connects to. See `docs/protocols/pads.md`.

mod connection;
pub(crate) mod document;
pub mod fuzzing;
pub mod protocol;
mod room;
pub(crate) mod storage;
mod writer;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use maille_config::PadsSettings;
use maille_database::Database;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use connection::route as websocket;
pub use document::{ApplyError, Document};

use crate::pad::{Access, PadId};
use room::{Command, Member, Outgoing, Room};

/// Commands waiting for a room; senders wait when it is this far behind.
const ROOM_INBOX: usize = 1024;
/// Snapshots (compactions, automatic versions) written at the same time, by all rooms.
const SNAPSHOT_TURNS: usize = 2;

struct Entry {
    generation: u64,
    commands: mpsc::Sender<Command>,
}

/// The loaded pads of this process, by edit id.
#[derive(Clone, Default)]
pub(crate) struct Registry {
    rooms: Arc<Mutex<HashMap<String, Entry>>>,
}

impl Registry {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.rooms
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Forgets the room `generation` of `pad` (not a newer one).
    pub(crate) fn remove(&self, pad: &str, generation: u64) {
        let mut rooms = self.lock();
        if rooms.get(pad).is_some_and(|e| e.generation == generation) {
            rooms.remove(pad);
        }
    }
}

/// The live side of the pads service. Cheap to clone.
#[derive(Clone)]
pub struct Live {
    registry: Registry,
    db: Database,
    settings: Arc<PadsSettings>,
    tasks: TaskTracker,
    cancel: CancellationToken,
    next_id: Arc<AtomicU64>,
    metrics: crate::PadsMetrics,
    writer: writer::Writer,
    snapshot_turns: Arc<tokio::sync::Semaphore>,
}

impl std::fmt::Debug for Live {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Live").finish_non_exhaustive()
    }
}

/// A connection's place in a room.
pub(crate) struct Joined {
    pub id: room::ConnId,
    pub commands: mpsc::Sender<Command>,
    pub outbox: mpsc::Receiver<Outgoing>,
}

impl Live {
    /// Rooms run on `tasks` and stop, closing their connections, when `cancel` fires.
    pub fn new(
        db: Database,
        settings: Arc<PadsSettings>,
        tasks: TaskTracker,
        cancel: CancellationToken,
    ) -> Live {
        Live {
            registry: Registry::default(),
            writer: writer::Writer::new(db.clone(), tasks.clone()),
            db,
            settings,
            tasks,
            cancel,
            next_id: Arc::new(AtomicU64::new(1)),
            metrics: crate::PadsMetrics::default(),
            snapshot_turns: Arc::new(tokio::sync::Semaphore::new(SNAPSHOT_TURNS)),
        }
    }

    /// How many pads are loaded.
    pub fn loaded(&self) -> usize {
        self.registry.lock().len()
    }

    /// The room of `pad`, started if needed.
    fn room(&self, pad: &PadId, history: bool) -> mpsc::Sender<Command> {
        let mut rooms = self.registry.lock();
        if let Some(entry) = rooms.get(pad.as_str()) {
            if !entry.commands.is_closed() {
                return entry.commands.clone();
            }
        }
        let generation = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (commands, inbox) = mpsc::channel(ROOM_INBOX);
        rooms.insert(
            pad.0.clone(),
            Entry {
                generation,
                commands: commands.clone(),
            },
        );
        let shared = room::Shared {
            db: self.db.clone(),
            settings: self.settings.clone(),
            registry: self.registry.clone(),
            cancel: self.cancel.clone(),
            metrics: self.metrics.clone(),
            writer: self.writer.clone(),
            snapshot_turns: self.snapshot_turns.clone(),
        };
        let room = Room::run(pad.0.clone(), history, generation, shared, inbox);
        self.tasks.spawn(room);
        commands
    }

    /// Joins the pad's room with `access`.
    pub(crate) async fn join(
        &self,
        pad: &PadId,
        history: bool,
        access: Access,
        acks: bool,
    ) -> Result<Joined, String> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        // A room that is unloading drops the join; a new one is started then.
        for _ in 0..5 {
            let commands = self.room(pad, history);
            let (outbox_tx, outbox) = mpsc::channel(room::OUTBOX);
            let (reply_tx, reply) = oneshot::channel();
            let member = Member {
                id,
                access,
                acks,
                outbox: outbox_tx,
            };
            if commands
                .send(Command::Join(member, reply_tx))
                .await
                .is_err()
            {
                continue;
            }
            match reply.await {
                Ok(Ok(())) => {
                    return Ok(Joined {
                        id,
                        commands,
                        outbox,
                    })
                }
                Ok(Err(error)) => return Err(error),
                Err(_) => continue,
            }
        }
        Err("the pad is busy; try again".to_owned())
    }

    /// Closes every connection to `pad` with `reason` (they may reconnect, and are checked
    /// again then).
    pub async fn evict(&self, pad: &PadId, reason: &str) {
        let commands = self
            .registry
            .lock()
            .get(pad.as_str())
            .map(|e| e.commands.clone());
        if let Some(commands) = commands {
            let _ = commands.send(Command::Evict(reason.to_owned())).await;
        }
    }

    /// Replaces the content of `pad` with `nodes` as one edit that every connected editor
    /// receives (the pad is loaded for it if needed); returns once it is stored.
    pub async fn replace(
        &self,
        pad: &PadId,
        history: bool,
        nodes: Vec<crate::content::Node>,
    ) -> crate::Result<()> {
        // A room that is unloading (or whose storage just failed) drops the command unapplied
        // or unstored; a new room is started then.
        for _ in 0..5 {
            let commands = self.room(pad, history);
            let (reply_tx, reply) = oneshot::channel();
            if commands
                .send(Command::Replace(nodes.clone(), reply_tx))
                .await
                .is_err()
            {
                continue;
            }
            match reply.await {
                Ok(Ok(())) => return Ok(()),
                Ok(Err(error)) => return Err(crate::PadsError::Internal(error)),
                Err(_) => continue,
            }
        }
        Err(crate::PadsError::Internal("the pad is busy".into()))
    }

    /// The service's metrics.
    pub fn metrics(&self) -> &crate::PadsMetrics {
        &self.metrics
    }

    pub(crate) fn settings(&self) -> &PadsSettings {
        &self.settings
    }

    pub(crate) fn cancelled(&self) -> &CancellationToken {
        &self.cancel
    }
}

/// The text of the root `Y.Text` called `name` in a pad's stored document (snapshot and log),
/// read without loading the pad: for checks and tools.
pub fn stored_text(
    conn: &mut maille_database::DbConnection,
    pad: &str,
    name: &str,
) -> crate::Result<String> {
    use yrs::{GetString, Transact};
    let stored = storage::load(conn, pad)?;
    let document = Document::load(false, stored.in_order());
    let text = document.doc().get_or_insert_text(name);
    let txn = document.doc().transact();
    Ok(text.get_string(&txn))
}

/// A pad's document as stored (everything ever relayed is in it).
pub(crate) fn stored_document(
    conn: &mut maille_database::DbConnection,
    pad: &str,
    history: bool,
) -> crate::Result<Document> {
    let stored = storage::load(conn, pad)?;
    Ok(Document::load(history, stored.in_order()))
}
