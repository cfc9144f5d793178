//! The transactional outbox: events that one service tells another, written in the same
//! transaction as the change that caused them, and taken by the consumer in the transaction
//! where it acts on them. Nothing is lost if a process dies between the two, and nothing is
//! acted on twice. [`Database::notify_outbox`](crate::Database::notify_outbox) wakes the
//! consumer at once when it runs in the same process; otherwise it looks every few seconds.
//!
//! Today's only topic is [`PUBLIC_WORK`]: pads and rooms made public, renamed or withdrawn,
//! which the federation service announces to the followers of their owner.

use std::sync::atomic::{AtomicI64, Ordering};

use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::schema::outbox_events as t;
use crate::{DbConnection, UnixTime};

/// The topic of [`WorkEvent`]s.
pub const PUBLIC_WORK: &str = "public_work";

/// An event as stored.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = t)]
pub struct OutboxEvent {
    /// Row id.
    pub id: i64,
    /// Order of the events: microseconds, strictly increasing within a process.
    pub seq: i64,
    /// What kind of event it is, and so who consumes it.
    pub topic: String,
    /// The event, as JSON.
    pub payload: String,
    /// When it was written.
    pub created_at: UnixTime,
}

/// What happened to a piece of public work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WorkAction {
    /// It became public (created public, made public, restored from the trash).
    Published,
    /// Its title changed while it stayed public.
    Updated,
    /// It is no longer public: made non-public, moved to the trash, deleted or expired.
    Withdrawn,
}

/// What kind of work it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WorkKind {
    /// A pad.
    Pad,
    /// A video room.
    Room,
}

/// A pad or room owned by a user or a space that was published, changed or withdrawn.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkEvent {
    /// What happened.
    pub action: WorkAction,
    /// Pad or room.
    pub kind: WorkKind,
    /// Its public id (a pad's read id, a room's id): stable, it names the announcement.
    pub public_id: String,
    /// Its title.
    pub title: String,
    /// A short plain-text summary (may be empty).
    pub summary: String,
    /// Its web page, as a path on this instance (`/p/{read_id}`, `/rooms/{id}`).
    pub path: String,
    /// The owning user, for a user's work.
    pub owner_user_id: Option<i64>,
    /// The owning space, for a space's work.
    pub owner_space_id: Option<i64>,
    /// Who made it, while their account exists (the author of a space's work).
    pub author_user_id: Option<i64>,
    /// When it was first made.
    pub created_at: UnixTime,
}

impl WorkAction {
    /// What a change of a work announces: `was` and `is` are the work before and after while it
    /// is public (`None`: not there, or not public), `renamed` whether its title changed. Returns
    /// the action and the state to announce; `None` when there is nothing to announce.
    pub fn between<T>(
        was: Option<T>,
        is: Option<T>,
        renamed: impl FnOnce(&T, &T) -> bool,
    ) -> Option<(WorkAction, T)> {
        match (was, is) {
            (None, Some(now)) => Some((WorkAction::Published, now)),
            (Some(then), None) => Some((WorkAction::Withdrawn, then)),
            (Some(then), Some(now)) if renamed(&then, &now) => Some((WorkAction::Updated, now)),
            _ => None,
        }
    }
}

impl WorkEvent {
    /// The owners an event names: the space for a space's work (the user who made it is then
    /// only its author), else the user.
    pub fn owners(user: Option<i64>, space: Option<i64>) -> (Option<i64>, Option<i64>) {
        (user.filter(|_| space.is_none()), space)
    }
}

/// A queue position (see [`OutboxEvent::seq`]).
fn next_seq() -> i64 {
    static LAST: AtomicI64 = AtomicI64::new(0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    let mut last = LAST.load(Ordering::Relaxed);
    loop {
        let next = now.max(last + 1);
        match LAST.compare_exchange(last, next, Ordering::SeqCst, Ordering::Relaxed) {
            Ok(_) => return next,
            Err(current) => last = current,
        }
    }
}

/// Writes an event about public work, in the caller's transaction. Work that belongs to
/// nobody (anonymous pads) has no one to announce it and is not written.
pub fn publish_work(conn: &mut DbConnection, event: &WorkEvent, now: UnixTime) -> QueryResult<()> {
    if event.owner_user_id.is_none() && event.owner_space_id.is_none() {
        return Ok(());
    }
    let payload = serde_json::to_string(event)
        .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
    diesel::insert_into(t::table)
        .values(&OutboxEvent {
            id: crate::random_id(),
            seq: next_seq(),
            topic: PUBLIC_WORK.to_owned(),
            payload,
            created_at: now,
        })
        .execute(conn)?;
    Ok(())
}

/// The oldest `limit` events of `topic`, in order. The consumer deletes each with [`remove`]
/// in the transaction where it acts on it.
pub fn next(conn: &mut DbConnection, topic: &str, limit: i64) -> QueryResult<Vec<OutboxEvent>> {
    t::table
        .filter(t::topic.eq(topic))
        .order((t::seq, t::id))
        .limit(limit)
        .select(OutboxEvent::as_select())
        .load(conn)
}

/// Removes an event that was acted on. `Ok(false)` when another consumer took it first.
pub fn remove(conn: &mut DbConnection, id: i64) -> QueryResult<bool> {
    Ok(diesel::delete(t::table.find(id)).execute(conn)? > 0)
}

/// How many events of `topic` wait.
pub fn waiting(conn: &mut DbConnection, topic: &str) -> QueryResult<i64> {
    t::table.filter(t::topic.eq(topic)).count().get_result(conn)
}

impl WorkEvent {
    /// Reads an event's payload.
    pub fn parse(payload: &str) -> Option<WorkEvent> {
        serde_json::from_str(payload).ok()
    }
}

#[cfg(test)]
mod rule_tests {
    use super::*;

    #[test]
    fn a_change_announces_publishing_renaming_and_withdrawal_only() {
        let renamed = |a: &&str, b: &&str| a != b;
        assert_eq!(
            WorkAction::between(None, Some("a"), renamed),
            Some((WorkAction::Published, "a"))
        );
        assert_eq!(
            WorkAction::between(Some("a"), None, renamed),
            Some((WorkAction::Withdrawn, "a"))
        );
        assert_eq!(
            WorkAction::between(Some("a"), Some("b"), renamed),
            Some((WorkAction::Updated, "b"))
        );
        assert_eq!(WorkAction::between(Some("a"), Some("a"), renamed), None);
        assert_eq!(WorkAction::between(None::<&str>, None, renamed), None);
        // A space's work names the space; a user's, the user.
        assert_eq!(WorkEvent::owners(Some(1), Some(2)), (None, Some(2)));
        assert_eq!(WorkEvent::owners(Some(1), None), (Some(1), None));
    }
}
