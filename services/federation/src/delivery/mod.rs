//! Durable delivery. An outgoing activity is written to `federation_deliveries` — one row per
//! destination inbox — in the same transaction as the change that caused it ([`enqueue`]).
//! A dispatcher starts one worker per destination instance; each sends its instance's rows
//! one by one in queue order, signed with the crate's HTTP signatures, and deletes a row only
//! once the instance answered (2xx, or a 4xx that retrying cannot change). A failure stops
//! that instance's worker until its next attempt, after an exponential backoff (30 s doubling
//! up to 6 h); an instance failing for `federation.delivery_retry_days` is marked dead, its
//! old rows are dropped, and it is tried again once a day. Activity ids are stable, so a row
//! sent again after a crash is recognised by the receiver as a repeat.

pub mod instances;
mod send;
mod worker;

use std::sync::atomic::{AtomicI64, Ordering};

use diesel::prelude::*;
use maille_database::schema::federation_deliveries as t;
use maille_database::{DbConnection, UnixTime};
use url::Url;

use crate::actors::remote::RemoteActorRow;
use crate::actors::{ActorKind, LocalActor};
use crate::error::{FederationError, Result};
use crate::urls::authority;
use crate::Context;

pub(crate) use worker::start;

/// A queued delivery.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = t)]
pub struct DeliveryRow {
    /// Row id.
    pub id: i64,
    /// The destination instance (`host` or `host:port`).
    pub domain: String,
    /// Queue order within the instance.
    pub seq: i64,
    /// The destination inbox.
    pub inbox: String,
    /// The activity's id (stable across retries).
    pub activity_id: String,
    /// Kind of the local actor who signs it.
    pub actor_kind: String,
    /// Its id.
    pub actor_local_id: i64,
    /// The activity, as JSON.
    pub body: String,
    /// Failed attempts so far.
    pub attempts: i32,
    /// The last failure.
    pub last_error: String,
    /// When it was queued.
    pub created_at: UnixTime,
}

/// A queue position: microseconds since the epoch, strictly increasing within the process,
/// so that rows keep the order in which they were queued, across restarts too.
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

/// Queues `activity`, signed by `local`, for the one remote actor `to` (its shared inbox, else
/// its own), in the caller's transaction: [`enqueue`] for an answer or a follow.
pub fn enqueue_to(
    conn: &mut DbConnection,
    context: &Context,
    local: &LocalActor,
    activity: &serde_json::Value,
    to: &RemoteActorRow,
    now: UnixTime,
) -> Result<()> {
    let inbox = to.delivery_inbox()?;
    enqueue(
        conn,
        context,
        (local.kind, local.local_id),
        activity,
        &[inbox],
        now,
    )?;
    Ok(())
}

/// Queues `activity`, signed by the local actor `actor` (kind, id), for each of `inboxes`, in
/// the caller's transaction. Local inboxes and inboxes of instances the policy refuses are
/// skipped (the latter logged); an inbox already queued for this activity id is not queued
/// twice. Returns how many rows were queued. After the commit, call
/// [`crate::Federation::wake_delivery`] (or let the workers find them within seconds).
pub fn enqueue(
    conn: &mut DbConnection,
    context: &Context,
    actor: (ActorKind, i64),
    activity: &serde_json::Value,
    inboxes: &[Url],
    now: UnixTime,
) -> Result<usize> {
    let activity_id = activity
        .get("id")
        .and_then(serde_json::Value::as_str)
        .ok_or_else(|| FederationError::Internal("an activity without an id".to_owned()))?
        .to_owned();
    let mut body = activity.clone();
    if let Some(map) = body.as_object_mut() {
        if !map.contains_key("@context") {
            let mut with_context = serde_json::Map::new();
            with_context.insert("@context".to_owned(), crate::actors::context());
            with_context.extend(std::mem::take(map));
            *map = with_context;
        }
    }
    let body = serde_json::to_string(&body)
        .map_err(|e| FederationError::Internal(format!("activity JSON: {e}")))?;
    let mut seen = std::collections::HashSet::new();
    let mut queued = 0;
    for inbox in inboxes {
        if context.urls.is_local(inbox) || !seen.insert(inbox.as_str()) {
            continue;
        }
        let Some(domain) = authority(inbox) else {
            continue;
        };
        if let Some(reason) = context.policy.refusal(context.settings(), &domain) {
            tracing::info!(domain, inbox = %inbox, reason = %reason, activity = %activity_id,
                "federation: delivery not queued");
            continue;
        }
        let row = DeliveryRow {
            id: maille_database::random_id(),
            domain,
            seq: next_seq(),
            inbox: inbox.to_string(),
            activity_id: activity_id.clone(),
            actor_kind: actor.0.code().to_owned(),
            actor_local_id: actor.1,
            body: body.clone(),
            attempts: 0,
            last_error: String::new(),
            created_at: now,
        };
        if crate::store::insert_new(conn, |c| {
            diesel::insert_into(t::table).values(&row).execute(c)
        })? {
            queued += 1;
        }
    }
    Ok(queued)
}

/// How many deliveries wait, in all.
pub fn pending(conn: &mut DbConnection) -> Result<i64> {
    Ok(t::table.count().get_result(conn)?)
}

/// The next rows of `domain`, in queue order.
pub(crate) fn next_of(
    conn: &mut DbConnection,
    domain: &str,
    limit: i64,
) -> Result<Vec<DeliveryRow>> {
    Ok(t::table
        .filter(t::domain.eq(domain))
        .order(t::seq)
        .limit(limit)
        .select(DeliveryRow::as_select())
        .load(conn)?)
}

/// Removes a row that was delivered (or given up).
pub(crate) fn done(conn: &mut DbConnection, id: i64) -> Result<()> {
    diesel::delete(t::table.find(id)).execute(conn)?;
    Ok(())
}

/// Records a failed attempt on a row.
pub(crate) fn failed(conn: &mut DbConnection, id: i64, error: &str) -> Result<()> {
    diesel::update(t::table.find(id))
        .set((
            t::attempts.eq(t::attempts + 1),
            t::last_error.eq(error.chars().take(500).collect::<String>()),
        ))
        .execute(conn)?;
    Ok(())
}

/// The instances that have rows waiting.
pub(crate) fn domains_waiting(conn: &mut DbConnection) -> Result<Vec<String>> {
    Ok(t::table.select(t::domain).distinct().load(conn)?)
}

/// Drops the rows of `domain` queued before `before`; returns how many.
pub(crate) fn drop_older(conn: &mut DbConnection, domain: &str, before: UnixTime) -> Result<usize> {
    Ok(diesel::delete(
        t::table
            .filter(t::domain.eq(domain))
            .filter(t::created_at.lt(before)),
    )
    .execute(conn)?)
}

#[cfg(test)]
mod tests {
    #[test]
    fn queue_positions_increase() {
        let a = super::next_seq();
        let b = super::next_seq();
        assert!(b > a);
    }
}
