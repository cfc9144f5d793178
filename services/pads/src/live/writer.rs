//! Group commit: the updates of every pad of the process that are waiting to be stored go
//! into one transaction. With many pads each receiving a few updates, one transaction per
//! pad per batch would make the database's commit rate, not the editors, set the pace.
//!
//! A room hands its batch to the writer and waits; the writer takes everything waiting,
//! stores it in one transaction, and answers each room. If that transaction fails, each
//! batch is retried in a transaction of its own, so that one pad's failure (deleted meanwhile)
//! is that pad's alone.

use std::sync::{Arc, OnceLock};

use maille_database::{Database, UnixTime};
use tokio::sync::{mpsc, oneshot};
use tokio_util::task::TaskTracker;

use super::storage;
use crate::error::PadsError;

/// Most batches in one transaction.
const GROUP: usize = 512;

struct Batch {
    pad: String,
    first_seq: i64,
    updates: Vec<Vec<u8>>,
    now: UnixTime,
    done: oneshot::Sender<Result<(), String>>,
}

/// The writer of this process's pads. Cheap to clone; its task starts with the first batch
/// and ends when every clone is gone.
#[derive(Clone)]
pub(crate) struct Writer {
    db: Database,
    tasks: TaskTracker,
    queue: Arc<OnceLock<mpsc::UnboundedSender<Batch>>>,
}

impl Writer {
    pub(crate) fn new(db: Database, tasks: TaskTracker) -> Writer {
        Writer {
            db,
            tasks,
            queue: Arc::new(OnceLock::new()),
        }
    }

    /// Appends `updates` to `pad`'s log from `first_seq`; returns once they are committed.
    pub(crate) async fn append(
        &self,
        pad: String,
        first_seq: i64,
        updates: Vec<Vec<u8>>,
        now: UnixTime,
    ) -> Result<(), PadsError> {
        let queue = self.queue.get_or_init(|| {
            let (sender, receiver) = mpsc::unbounded_channel();
            self.tasks.spawn(run(self.db.clone(), receiver));
            sender
        });
        let (done, answer) = oneshot::channel();
        queue
            .send(Batch {
                pad,
                first_seq,
                updates,
                now,
                done,
            })
            .map_err(|_| PadsError::Internal("the pads writer has stopped".into()))?;
        answer
            .await
            .map_err(|_| PadsError::Internal("the pads writer has stopped".into()))?
            .map_err(PadsError::Internal)
    }
}

async fn run(db: Database, mut queue: mpsc::UnboundedReceiver<Batch>) {
    while let Some(first) = queue.recv().await {
        let mut group = vec![first];
        while group.len() < GROUP {
            match queue.try_recv() {
                Ok(batch) => group.push(batch),
                Err(_) => break,
            }
        }
        let work: Vec<(String, i64, Vec<Vec<u8>>, UnixTime)> = group
            .iter()
            .map(|b| (b.pad.clone(), b.first_seq, b.updates.clone(), b.now))
            .collect();
        let together = db
            .transaction(move |conn| {
                for (pad, first_seq, updates, now) in &work {
                    storage::append(conn, pad, *first_seq, updates, *now)?;
                }
                Ok::<_, PadsError>(())
            })
            .await;
        match together {
            Ok(()) => {
                for batch in group {
                    let _ = batch.done.send(Ok(()));
                }
            }
            Err(_) if group.len() > 1 => {
                for batch in group {
                    let (pad, first_seq, updates, now) = (
                        batch.pad.clone(),
                        batch.first_seq,
                        batch.updates.clone(),
                        batch.now,
                    );
                    let alone = db
                        .transaction(move |conn| {
                            storage::append(conn, &pad, first_seq, &updates, now)
                        })
                        .await;
                    let _ = batch.done.send(alone.map_err(|e| e.to_string()));
                }
            }
            Err(error) => {
                for batch in group {
                    let _ = batch.done.send(Err(error.to_string()));
                }
            }
        }
    }
}
