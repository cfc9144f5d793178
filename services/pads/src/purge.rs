//! Deleting for good: expired pads, and pads in the trash for longer than the trash keeps them.

use diesel::prelude::*;
use maille_database::schema::pads;
use maille_database::{DbConnection, UnixTime};

use crate::error::Result;
use crate::pad::PadRow;

/// Deletes, with their documents and history, the pads expired at `now` and those trashed
/// more than `trash_days` days before it; returns their edit ids.
pub fn purge(conn: &mut DbConnection, trash_days: u32, now: UnixTime) -> Result<Vec<String>> {
    let trashed_before = now - i64::from(trash_days) * 86_400;
    let rows: Vec<PadRow> = pads::table
        .filter(
            pads::expires_at
                .le(now)
                .or(pads::deleted_at.le(trashed_before)),
        )
        .select(PadRow::as_select())
        .load(conn)?;
    for row in &rows {
        // An expired public pad leaves the followers' feeds (trashed ones left already).
        crate::pad::public::changed(conn, Some(row), None, now)?;
    }
    let doomed: Vec<String> = rows.into_iter().map(|r| r.id).collect();
    if !doomed.is_empty() {
        // Their documents, log and versions go with them: ON DELETE CASCADE.
        diesel::delete(pads::table.filter(pads::id.eq_any(&doomed))).execute(conn)?;
    }
    Ok(doomed)
}
