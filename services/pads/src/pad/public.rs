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

/// Longest summary, in characters.
const SUMMARY_MAX: usize = 280;

/// The beginning of the pad's text, as stored: what followers read under its title.
fn summary(conn: &mut DbConnection, row: &PadRow) -> Result<String> {
    let stored = crate::live::storage::load(conn, &row.id)?;
    let document = crate::live::Document::load(false, stored.in_order());
    let text = crate::content::render(
        &crate::content::read(document.doc()),
        crate::content::Format::Text,
    );
    Ok(excerpt(&text, &row.title))
}

/// `text` folded to one paragraph of at most [`SUMMARY_MAX`] characters, without a first line
/// that only repeats the title.
fn excerpt(text: &str, title: &str) -> String {
    let mut lines = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .peekable();
    if lines
        .peek()
        .is_some_and(|first| first.trim_start_matches('#').trim() == title.trim())
    {
        lines.next();
    }
    let folded = lines.collect::<Vec<_>>().join(" ");
    if folded.chars().count() <= SUMMARY_MAX {
        return folded;
    }
    let mut cut: String = folded.chars().take(SUMMARY_MAX - 1).collect();
    cut.push('…');
    cut
}

fn event(row: &PadRow, action: WorkAction, summary: String) -> WorkEvent {
    let (owner_user_id, owner_space_id) = WorkEvent::owners(row.owner_user_id, row.owner_space_id);
    WorkEvent {
        action,
        kind: WorkKind::Pad,
        public_id: row.read_id.clone(),
        title: row.title.clone(),
        summary,
        path: format!("/p/{}", row.read_id),
        owner_user_id,
        owner_space_id,
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
    let Some((action, row)) = WorkAction::between(was, is, |old, new| old.title != new.title)
    else {
        return Ok(false);
    };
    let summary = match action {
        WorkAction::Withdrawn => String::new(),
        _ => summary(conn, row)?,
    };
    outbox::publish_work(conn, &event(row, action, summary), now)?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::excerpt;

    #[test]
    fn the_summary_is_the_text_after_the_title() {
        assert_eq!(
            excerpt("# Minutes\n\nPresent: Ann, Bob\n- budget\n", "Minutes"),
            "Present: Ann, Bob - budget"
        );
        assert_eq!(excerpt("Agenda\n", "Minutes"), "Agenda");
        let long = "a".repeat(400);
        assert_eq!(excerpt(&long, "").chars().count(), 280);
        assert!(excerpt(&long, "").ends_with('…'));
    }
}
