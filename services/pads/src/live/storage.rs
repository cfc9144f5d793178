//! A pad's document in the database: a snapshot (the document as of update `last_seq`) and a
//! log of the updates after it. Updates are appended before anyone sees them; compaction
//! folds the log into a new snapshot in one transaction.

use diesel::prelude::*;
use maille_database::schema::{pad_documents, pad_updates, pads};
use maille_database::{DbConnection, UnixTime};

use crate::error::Result;

/// What is stored of a pad's document.
#[derive(Debug, Default)]
pub struct Stored {
    /// The snapshot, if the log was ever compacted.
    pub snapshot: Option<Vec<u8>>,
    /// The log after the snapshot, oldest first.
    pub updates: Vec<Vec<u8>>,
    /// The sequence number of the last update stored (snapshot or log); 0 for none.
    pub last_seq: i64,
}

impl Stored {
    /// Bytes stored, snapshot and log together.
    pub fn bytes(&self) -> usize {
        self.snapshot.as_ref().map_or(0, Vec::len)
            + self.updates.iter().map(Vec::len).sum::<usize>()
    }

    /// Every stored update in the order to apply them.
    pub fn in_order(&self) -> impl Iterator<Item = &[u8]> {
        self.snapshot
            .iter()
            .chain(self.updates.iter())
            .map(Vec::as_slice)
    }
}

/// Reads a pad's stored document.
pub fn load(conn: &mut DbConnection, pad: &str) -> Result<Stored> {
    let snapshot: Option<(Vec<u8>, i64)> = pad_documents::table
        .find(pad)
        .select((pad_documents::state, pad_documents::last_seq))
        .first(conn)
        .optional()?;
    let (snapshot, snapshot_seq) = match snapshot {
        Some((state, seq)) => (Some(state), seq),
        None => (None, 0),
    };
    let log: Vec<(i64, Vec<u8>)> = pad_updates::table
        .filter(pad_updates::pad_id.eq(pad))
        .filter(pad_updates::seq.gt(snapshot_seq))
        .order(pad_updates::seq.asc())
        .select((pad_updates::seq, pad_updates::data))
        .load(conn)?;
    let last_seq = log.last().map_or(snapshot_seq, |(seq, _)| *seq);
    Ok(Stored {
        snapshot,
        updates: log.into_iter().map(|(_, data)| data).collect(),
        last_seq,
    })
}

/// Appends `updates` to a pad's log, numbered from `first_seq`, and notes the change time.
/// Call it inside a transaction.
pub fn append(
    conn: &mut DbConnection,
    pad: &str,
    first_seq: i64,
    updates: &[Vec<u8>],
    now: UnixTime,
) -> Result<()> {
    // One row at a time: batch inserts are not portable across the two backends, and the
    // whole batch is one transaction anyway.
    for (data, seq) in updates.iter().zip(first_seq..) {
        diesel::insert_into(pad_updates::table)
            .values((
                pad_updates::pad_id.eq(pad),
                pad_updates::seq.eq(seq),
                pad_updates::data.eq(data.as_slice()),
                pad_updates::created_at.eq(now),
            ))
            .execute(conn)?;
    }
    diesel::update(pads::table.find(pad))
        .set(pads::updated_at.eq(now))
        .execute(conn)?;
    Ok(())
}

/// Replaces the snapshot with `state` (the document as of update `last_seq`) and removes the
/// log entries it holds. Call it inside a transaction.
pub fn compact(
    conn: &mut DbConnection,
    pad: &str,
    state: &[u8],
    last_seq: i64,
    now: UnixTime,
) -> Result<()> {
    let updated = diesel::update(pad_documents::table.find(pad))
        .set((
            pad_documents::state.eq(state),
            pad_documents::last_seq.eq(last_seq),
            pad_documents::updated_at.eq(now),
        ))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(pad_documents::table)
            .values((
                pad_documents::pad_id.eq(pad),
                pad_documents::state.eq(state),
                pad_documents::last_seq.eq(last_seq),
                pad_documents::updated_at.eq(now),
            ))
            .execute(conn)?;
    }
    diesel::delete(
        pad_updates::table
            .filter(pad_updates::pad_id.eq(pad))
            .filter(pad_updates::seq.le(last_seq)),
    )
    .execute(conn)?;
    Ok(())
}
