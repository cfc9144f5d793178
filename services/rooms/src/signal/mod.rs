//! Signalling: the WebSocket at `/ws/rooms/{room_id}` ([`connection`]), speaking the JSON
//! protocol of `docs/protocols/rooms.md` ([`protocol`]), and the meetings in progress
//! ([`meeting`]), one task each.

mod connection;
pub mod meeting;
pub mod protocol;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use connection::route as websocket;
use meeting::{Command, Meeting};

use crate::room::{RoomId, RoomRow};
use crate::sfu::Sfu;

struct Entry {
    generation: u64,
    commands: mpsc::Sender<Command>,
    count: Arc<AtomicUsize>,
}

/// The meetings in progress in this process, by room id. Cheap to clone.
#[derive(Clone)]
pub struct Meetings {
    inner: Arc<Inner>,
}

struct Inner {
    rooms: Mutex<HashMap<String, Entry>>,
    next: AtomicU64,
    settings: Arc<maille_config::RoomsSettings>,
    sfu: Sfu,
    tasks: TaskTracker,
    cancel: CancellationToken,
}

impl std::fmt::Debug for Meetings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Meetings").finish_non_exhaustive()
    }
}

impl Meetings {
    /// Meetings run on `tasks` and end when `cancel` fires.
    pub fn new(
        settings: Arc<maille_config::RoomsSettings>,
        sfu: Sfu,
        tasks: TaskTracker,
        cancel: CancellationToken,
    ) -> Meetings {
        Meetings {
            inner: Arc::new(Inner {
                rooms: Mutex::new(HashMap::new()),
                next: AtomicU64::new(1),
                settings,
                sfu,
                tasks,
                cancel,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.inner.rooms.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The SFU.
    pub fn sfu(&self) -> &Sfu {
        &self.inner.sfu
    }

    pub(crate) fn settings(&self) -> &maille_config::RoomsSettings {
        &self.inner.settings
    }

    pub(crate) fn cancelled(&self) -> &CancellationToken {
        &self.inner.cancel
    }

    pub(crate) fn tasks(&self) -> &TaskTracker {
        &self.inner.tasks
    }

    /// A fresh participant id.
    pub(crate) fn participant_id(&self) -> String {
        use base64::Engine as _;
        let bytes: [u8; 9] = rand::random();
        format!(
            "p_{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
        )
    }

    /// How many meetings are in progress.
    pub fn count(&self) -> usize {
        self.lock().len()
    }

    /// How many people are in the meeting of `room` (lobby included).
    pub fn participant_count(&self, room: &RoomId) -> usize {
        self.lock()
            .get(room.as_str())
            .map_or(0, |e| e.count.load(Ordering::Relaxed))
    }

    /// The meeting of `row`, started if needed.
    pub(crate) fn meeting(&self, row: &RoomRow) -> mpsc::Sender<Command> {
        let mut rooms = self.lock();
        if let Some(entry) = rooms.get(&row.id) {
            if !entry.commands.is_closed() {
                return entry.commands.clone();
            }
        }
        let generation = self.inner.next.fetch_add(1, Ordering::Relaxed);
        let (commands, inbox) = mpsc::channel(1024);
        let count = Arc::new(AtomicUsize::new(0));
        rooms.insert(
            row.id.clone(),
            Entry {
                generation,
                commands: commands.clone(),
                count: count.clone(),
            },
        );
        let meeting = Meeting::new(row, self.clone(), generation, count);
        self.inner.tasks.spawn(meeting.run(inbox));
        commands
    }

    /// Forgets meeting `generation` of `room` (not a newer one).
    pub(crate) fn remove(&self, room: &str, generation: u64) {
        let mut rooms = self.lock();
        if rooms.get(room).is_some_and(|e| e.generation == generation) {
            rooms.remove(room);
        }
    }

    fn existing(&self, room: &str) -> Option<mpsc::Sender<Command>> {
        self.lock().get(room).map(|e| e.commands.clone())
    }

    /// Tells a meeting in progress that its room's settings changed.
    pub async fn room_changed(&self, row: &RoomRow) {
        if let Some(commands) = self.existing(&row.id) {
            let _ = commands.send(Command::RoomChanged(row.clone())).await;
        }
    }

    /// Ends the meeting of `room` for everyone (the room was deleted).
    pub async fn end(&self, room: &RoomId) {
        if let Some(commands) = self.existing(room.as_str()) {
            let _ = commands.send(Command::End).await;
        }
    }
}
