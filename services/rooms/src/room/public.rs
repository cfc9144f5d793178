//! Public rooms: a room of a user or a space may be made public, and is then announced to the
//! followers of its owner. Its becoming public, its renaming while public and its ending (made
//! non-public, deleted) write an event into the outbox in the same transaction as the change
//! (see `maille_database::outbox`); the federation service announces it.

use diesel::prelude::*;
use maille_database::outbox::{self, WorkAction, WorkEvent, WorkKind};
use maille_database::schema::rooms;
use maille_database::{DbConnection, UnixTime};

use super::RoomRow;
use crate::error::Result;

/// Whether the room `id` is public.
pub fn is_public(conn: &mut DbConnection, id: &str) -> Result<bool> {
    Ok(rooms::table
        .find(id)
        .select(rooms::public)
        .first::<bool>(conn)
        .optional()?
        .unwrap_or(false))
}

/// Makes the room `id` public or not.
pub(crate) fn set(conn: &mut DbConnection, id: &str, public: bool) -> Result<()> {
    diesel::update(rooms::table.find(id))
        .set(rooms::public.eq(public))
        .execute(conn)?;
    Ok(())
}

fn event(row: &RoomRow, action: WorkAction) -> WorkEvent {
    let (owner_user_id, owner_space_id) = WorkEvent::owners(row.owner_user_id, row.owner_space_id);
    WorkEvent {
        action,
        kind: WorkKind::Room,
        public_id: row.id.clone(),
        title: row.name.clone(),
        summary: String::new(),
        path: format!("/rooms/{}", row.id),
        owner_user_id,
        owner_space_id,
        author_user_id: row.created_by,
        created_at: row.created_at,
    }
}

/// Writes the event of a room going from `before` to `after` (each with whether it is public;
/// `None`: not there), if any, in the caller's transaction. Returns whether one was written
/// (then call `Database::notify_outbox` after the commit).
pub(crate) fn changed(
    conn: &mut DbConnection,
    before: Option<(&RoomRow, bool)>,
    after: Option<(&RoomRow, bool)>,
    now: UnixTime,
) -> Result<bool> {
    let was = before.filter(|(_, public)| *public).map(|(r, _)| r);
    let is = after.filter(|(_, public)| *public).map(|(r, _)| r);
    let Some((action, row)) = WorkAction::between(was, is, |old, new| old.name != new.name) else {
        return Ok(false);
    };
    outbox::publish_work(conn, &event(row, action), now)?;
    Ok(true)
}
