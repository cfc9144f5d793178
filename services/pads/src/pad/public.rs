//! Public pads announced: when a pad of a user or a space becomes public, changes its title
//! while public, or stops being public, an event goes into the outbox in the same transaction
//! (see `maille_database::outbox`); the federation service announces it to the owner's
//! followers.

use maille_database::outbox::{self, WorkAction, WorkEvent, WorkKind};
use maille_database::{DbConnection, UnixTime};

use super::{PadRow, Visibility};
use crate::error::Result;

/// Whether `row` is listed publicly under someone's name.
fn is_public(row: &PadRow) -> bool {
    row.visibility() == Visibility::Public
        && row.deleted_at.is_none()
        && (row.owner_user_id.is_some() || row.owner_space_id.is_some())
}

fn event(row: &PadRow, action: WorkAction) -> WorkEvent {
    WorkEvent {
        action,
        kind: WorkKind::Pad,
        public_id: row.read_id.clone(),
        title: row.title.clone(),
        summary: String::new(),
        path: format!("/p/{}", row.read_id),
        owner_user_id: row
            .owner_space_id
            .is_none()
            .then_some(row.owner_user_id)
            .flatten(),
        owner_space_id: row.owner_space_id,
        author_user_id: row.created_by,
        created_at: row.created_at,
    }
}

/// Writes the event of a pad going from `before` to `after` (`None`: not there), if any, in
/// the caller's transaction. Returns whether one was written (then call
/// `Database::notify_outbox` after the commit).
pub(crate) fn changed(
    conn: &mut DbConnection,
    before: Option<&PadRow>,
    after: Option<&PadRow>,
    now: UnixTime,
) -> Result<bool> {
    let was = before.filter(|r| is_public(r));
    let is = after.filter(|r| is_public(r));
    let event = match (was, is) {
        (None, Some(row)) => event(row, WorkAction::Published),
        (Some(row), None) => event(row, WorkAction::Withdrawn),
        (Some(old), Some(row)) if old.title != row.title => event(row, WorkAction::Updated),
        _ => return Ok(false),
    };
    outbox::publish_work(conn, &event, now)?;
    Ok(true)
}
