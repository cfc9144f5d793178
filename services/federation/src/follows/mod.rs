//! Follows between local and remote actors, both directions: `in` (a remote actor follows a
//! local one) and `out` (a local actor follows a remote one), each `pending` or `accepted`.

pub mod activities;
pub mod routes;

use diesel::prelude::*;
use maille_database::schema::{federation_follows as t, federation_remote_actors as r};
use maille_database::{DbConnection, UnixTime};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::actors::remote::RemoteActorRow;
use crate::actors::ActorKind;
use crate::error::Result;

/// Which way a follow goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// A remote actor follows a local one.
    In,
    /// A local actor follows a remote one.
    Out,
}

impl Direction {
    /// Its name in the database.
    pub fn code(self) -> &'static str {
        match self {
            Direction::In => "in",
            Direction::Out => "out",
        }
    }
}

/// Where a follow stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum FollowState {
    /// Waiting for the followed actor's approval.
    Pending,
    /// In effect.
    Accepted,
}

impl FollowState {
    /// Its name in the database and the API.
    pub fn code(self) -> &'static str {
        match self {
            FollowState::Pending => "pending",
            FollowState::Accepted => "accepted",
        }
    }
}

/// A follow as stored.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = t)]
pub struct FollowRow {
    /// Row id.
    pub id: i64,
    /// `in` or `out`.
    pub direction: String,
    /// Kind of the local actor.
    pub local_kind: String,
    /// Its id.
    pub local_id: i64,
    /// The remote actor.
    pub remote_actor_id: i64,
    /// `pending` or `accepted`.
    pub state: String,
    /// The `Follow` activity's id (ours for `out`, theirs for `in`).
    pub follow_activity_id: String,
    /// When it was asked.
    pub created_at: UnixTime,
    /// Last change.
    pub updated_at: UnixTime,
}

/// Records a follow (or refreshes the activity id of an existing one, keeping its state when
/// it was accepted already). Returns the row.
pub fn upsert(
    conn: &mut DbConnection,
    direction: Direction,
    local: (ActorKind, i64),
    remote_actor_id: i64,
    state: FollowState,
    follow_activity_id: &str,
    now: UnixTime,
) -> Result<FollowRow> {
    if let Some(existing) = find(conn, direction, local, remote_actor_id)? {
        let state = if existing.state == FollowState::Accepted.code() {
            FollowState::Accepted
        } else {
            state
        };
        diesel::update(t::table.find(existing.id))
            .set((
                t::state.eq(state.code()),
                t::follow_activity_id.eq(follow_activity_id),
                t::updated_at.eq(now),
            ))
            .execute(conn)?;
    } else {
        diesel::insert_into(t::table)
            .values(&FollowRow {
                id: maille_database::random_id(),
                direction: direction.code().to_owned(),
                local_kind: local.0.code().to_owned(),
                local_id: local.1,
                remote_actor_id,
                state: state.code().to_owned(),
                follow_activity_id: follow_activity_id.to_owned(),
                created_at: now,
                updated_at: now,
            })
            .execute(conn)?;
    }
    find(conn, direction, local, remote_actor_id)?.ok_or(crate::FederationError::NotFound)
}

/// The follow between these two actors in this direction.
pub fn find(
    conn: &mut DbConnection,
    direction: Direction,
    local: (ActorKind, i64),
    remote_actor_id: i64,
) -> Result<Option<FollowRow>> {
    Ok(t::table
        .filter(t::direction.eq(direction.code()))
        .filter(t::local_kind.eq(local.0.code()))
        .filter(t::local_id.eq(local.1))
        .filter(t::remote_actor_id.eq(remote_actor_id))
        .select(FollowRow::as_select())
        .first(conn)
        .optional()?)
}

/// The follow with this row id, if it belongs to `local` and goes in `direction`.
pub fn find_by_id(
    conn: &mut DbConnection,
    id: i64,
    direction: Direction,
    local: (ActorKind, i64),
) -> Result<Option<FollowRow>> {
    Ok(t::table
        .find(id)
        .filter(t::direction.eq(direction.code()))
        .filter(t::local_kind.eq(local.0.code()))
        .filter(t::local_id.eq(local.1))
        .select(FollowRow::as_select())
        .first(conn)
        .optional()?)
}

/// The follow of `remote_actor_id` in `direction` whose `Follow` activity had this id.
pub fn find_by_activity(
    conn: &mut DbConnection,
    direction: Direction,
    remote_actor_id: i64,
    follow_activity_id: &str,
) -> Result<Option<FollowRow>> {
    Ok(t::table
        .filter(t::direction.eq(direction.code()))
        .filter(t::remote_actor_id.eq(remote_actor_id))
        .filter(t::follow_activity_id.eq(follow_activity_id))
        .select(FollowRow::as_select())
        .first(conn)
        .optional()?)
}

/// Marks a follow accepted.
pub fn accept(conn: &mut DbConnection, id: i64, now: UnixTime) -> Result<()> {
    diesel::update(t::table.find(id))
        .set((
            t::state.eq(FollowState::Accepted.code()),
            t::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Deletes a follow.
pub fn remove(conn: &mut DbConnection, id: i64) -> Result<()> {
    diesel::delete(t::table.find(id)).execute(conn)?;
    Ok(())
}

/// A follow with its remote actor.
pub type FollowWithActor = (FollowRow, RemoteActorRow);

/// The follows of `local` in `direction`, newest first, with their remote actors.
pub fn list(
    conn: &mut DbConnection,
    direction: Direction,
    local: (ActorKind, i64),
) -> Result<Vec<FollowWithActor>> {
    Ok(t::table
        .inner_join(r::table)
        .filter(t::direction.eq(direction.code()))
        .filter(t::local_kind.eq(local.0.code()))
        .filter(t::local_id.eq(local.1))
        .order(t::created_at.desc())
        .select((FollowRow::as_select(), RemoteActorRow::as_select()))
        .load(conn)?)
}

/// How many accepted follows `local` has in `direction`.
pub fn count_accepted(
    conn: &mut DbConnection,
    direction: Direction,
    local: (ActorKind, i64),
) -> Result<i64> {
    Ok(t::table
        .filter(t::direction.eq(direction.code()))
        .filter(t::local_kind.eq(local.0.code()))
        .filter(t::local_id.eq(local.1))
        .filter(t::state.eq(FollowState::Accepted.code()))
        .count()
        .get_result(conn)?)
}

/// Where to deliver what `local` publishes to its followers: the accepted followers' shared
/// inboxes (else their own inboxes), each once. For the announcements of pads and rooms.
pub fn follower_inboxes(conn: &mut DbConnection, local: (ActorKind, i64)) -> Result<Vec<Url>> {
    let rows: Vec<(String, Option<String>)> = t::table
        .inner_join(r::table)
        .filter(t::direction.eq(Direction::In.code()))
        .filter(t::local_kind.eq(local.0.code()))
        .filter(t::local_id.eq(local.1))
        .filter(t::state.eq(FollowState::Accepted.code()))
        .select((r::inbox, r::shared_inbox))
        .load(conn)?;
    let mut seen = std::collections::BTreeSet::new();
    Ok(rows
        .into_iter()
        .filter_map(|(inbox, shared)| Url::parse(shared.as_deref().unwrap_or(&inbox)).ok())
        .filter(|u| seen.insert(u.to_string()))
        .collect())
}

/// Deletes every follow of a local user or space that is gone.
pub fn forget_local(conn: &mut DbConnection, local: (ActorKind, i64)) -> Result<usize> {
    Ok(diesel::delete(
        t::table
            .filter(t::local_kind.eq(local.0.code()))
            .filter(t::local_id.eq(local.1)),
    )
    .execute(conn)?)
}
