//! Activities received. The crate verifies the body digest and the HTTP signature against
//! the actor's key (fetching the actor when unknown); Maille then checks that the activity
//! and what it is about belong to the actor's instance, and applies it in one transaction
//! with the record of its id, so that a repeat is ignored.
//!
//! Accepted: `Follow`, `Accept` and `Reject` (of a `Follow`), `Undo` (of a `Follow`), and
//! `Delete` of the sending actor itself; `Create`, `Update`, `Delete` and `Announce` of public
//! work go to the feed ([`crate::feed`]). Other types (`Like`...) are checked the same way,
//! remembered, and otherwise ignored.

pub mod routes;

use activitypub_federation::config::Data;
use activitypub_federation::traits::Activity;
use diesel::prelude::*;
use maille_database::schema::federation_received as received;
use maille_database::{DbConnection, UnixTime};
use serde::Deserialize;
use serde_json::Value;
use url::Url;

use crate::actors::{ActorKind, LocalActor, RemoteActor};
use crate::delivery::{self, instances};
use crate::error::{FederationError, Result};
use crate::follows::{self, activities, Direction, FollowState};
use crate::urls::authority;
use crate::Context;

/// Any activity received in an inbox.
#[derive(Debug, Clone, Deserialize)]
pub struct Incoming {
    /// Its id.
    pub id: Url,
    /// Who sent it.
    pub actor: Url,
    /// Its type.
    #[serde(rename = "type")]
    pub kind: String,
    /// What it is about: an id, or an embedded object.
    #[serde(default)]
    pub object: Value,
    /// Whether `object` was fetched from its own instance (an `Announce` that gave only its
    /// id), rather than embedded by the sender.
    #[serde(skip)]
    pub fetched: bool,
}

/// The id of an object given as an id or embedded.
fn object_id(value: &Value) -> Option<Url> {
    match value {
        Value::String(s) => Url::parse(s).ok(),
        Value::Object(map) => map
            .get("id")
            .and_then(Value::as_str)
            .and_then(|s| Url::parse(s).ok()),
        _ => None,
    }
}

/// A field of an embedded object that is a URL (`actor`, `object`), given as an id or embedded.
fn embedded_url(value: &Value, field: &str) -> Option<Url> {
    value.get(field).and_then(object_id)
}

fn bad(message: impl Into<String>) -> FederationError {
    FederationError::BadActivity(message.into())
}

impl Incoming {
    fn actor_domain(&self) -> Result<String> {
        authority(&self.actor).ok_or_else(|| bad("actor without a host"))
    }

    /// Maille's checks, before anything is stored: the activity and what it is about belong
    /// to the actor's instance (answers: to a Follow of ours).
    pub fn check(&self, urls: &crate::urls::Urls) -> Result<()> {
        let domain = self.actor_domain()?;
        if authority(&self.id).as_deref() != Some(domain.as_str()) {
            return Err(bad(format!(
                "activity {} is not on the actor's instance {domain}",
                self.id
            )));
        }
        match self.kind.as_str() {
            "Follow" => {
                let target =
                    object_id(&self.object).ok_or_else(|| bad("Follow without an object"))?;
                match urls.parse_actor(&target) {
                    Some((ActorKind::User | ActorKind::Space, _)) => Ok(()),
                    _ => Err(FederationError::NotFound),
                }
            }
            "Accept" | "Reject" => {
                let follow =
                    object_id(&self.object).ok_or_else(|| bad("answer without an object"))?;
                if let Some(follower) = embedded_url(&self.object, "actor") {
                    if !urls.is_local(&follower) {
                        return Err(bad("an answer to someone else's Follow"));
                    }
                    if embedded_url(&self.object, "object").as_ref() != Some(&self.actor) {
                        return Err(bad("an answer to a Follow of someone else"));
                    }
                } else if !urls.is_local(&follow) {
                    return Err(bad("an answer to a Follow that is not ours"));
                }
                Ok(())
            }
            "Undo" => {
                let undone =
                    object_id(&self.object).ok_or_else(|| bad("Undo without an object"))?;
                if authority(&undone).as_deref() != Some(domain.as_str()) {
                    return Err(bad("an Undo of another instance's activity"));
                }
                if let Some(actor) = embedded_url(&self.object, "actor") {
                    if actor != self.actor {
                        return Err(bad("an Undo of another actor's activity"));
                    }
                }
                Ok(())
            }
            "Create" | "Update" | "Delete" => {
                let object = object_id(&self.object).ok_or_else(|| bad("no object"))?;
                if authority(&object).as_deref() != Some(domain.as_str()) {
                    return Err(bad(format!(
                        "{} of {object}, which is not on the actor's instance",
                        self.kind
                    )));
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

#[async_trait::async_trait]
impl Activity for Incoming {
    type DataType = Context;
    type Error = FederationError;

    fn id(&self) -> &Url {
        &self.id
    }

    fn actor(&self) -> &Url {
        &self.actor
    }

    async fn verify(&self, data: &Data<Context>) -> Result<()> {
        self.check(&data.app_data().urls)
    }

    async fn receive(mut self, data: &Data<Context>) -> Result<()> {
        if self.kind == "Announce" {
            if let Some(object) = crate::feed::fetch_announced(data, &self).await? {
                self.object = object;
                self.fetched = true;
            }
        }
        let context = data.app_data().clone();
        let queued = data
            .database()
            .transaction(move |conn| apply(conn, &context, &self, maille_database::now()))
            .await?;
        if queued {
            data.app_data().wake.notify_one();
        }
        Ok(())
    }
}

/// Whether an activity with this id was received already.
pub fn was_received(conn: &mut DbConnection, id: &str) -> Result<bool> {
    Ok(received::table.find(id).count().get_result::<i64>(conn)? > 0)
}

/// Forgets the ids of activities received before `before`.
pub fn forget_received(conn: &mut DbConnection, before: UnixTime) -> Result<usize> {
    Ok(diesel::delete(received::table.filter(received::received_at.lt(before))).execute(conn)?)
}

/// The follow (in `direction`, with `remote`) that `follow_id` names; else the one between
/// `remote` and the local actor named in the embedded Follow's `local_field` (`actor` for one
/// of ours, `object` for one of theirs).
fn follow_of(
    conn: &mut DbConnection,
    context: &Context,
    (direction, remote, follow_id): (Direction, &RemoteActor, &Url),
    embedded: &Value,
    local_field: &str,
    now: UnixTime,
) -> Result<Option<follows::FollowRow>> {
    if let Some(follow) = follows::find_by_activity(conn, direction, remote.id, follow_id.as_str())?
    {
        return Ok(Some(follow));
    }
    let Some((kind, name)) = embedded_url(embedded, local_field)
        .as_ref()
        .and_then(|a| context.urls.parse_actor(a))
    else {
        return Ok(None);
    };
    match LocalActor::find(context, conn, kind, &name, now)? {
        Some(local) => follows::find(conn, direction, (local.kind, local.local_id), remote.id),
        None => Ok(None),
    }
}

/// Applies an activity (checked, signed) in the caller's transaction; `Ok(true)` when an
/// answer was queued.
fn apply(
    conn: &mut DbConnection,
    context: &Context,
    activity: &Incoming,
    now: UnixTime,
) -> Result<bool> {
    let inserted = crate::store::insert_new(conn, |c| {
        diesel::insert_into(received::table)
            .values((
                received::activity_id.eq(activity.id.as_str()),
                received::received_at.eq(now),
            ))
            .execute(c)
    })?;
    if !inserted {
        return Err(FederationError::Duplicate);
    }
    let domain = activity.actor_domain()?;
    if instances::revive(conn, &domain, now)? {
        tracing::info!(
            domain,
            "federation: an instance that failed deliveries is back"
        );
    }
    let remote = RemoteActor::find_by_ap_id(conn, activity.actor.as_str())?
        .ok_or(FederationError::NotFound)?;
    let urls = &context.urls;
    match activity.kind.as_str() {
        "Follow" => {
            let target =
                object_id(&activity.object).ok_or_else(|| bad("Follow without an object"))?;
            let (kind, name) = urls.parse_actor(&target).ok_or(FederationError::NotFound)?;
            let local = LocalActor::find(context, conn, kind, &name, now)?
                .ok_or(FederationError::NotFound)?;
            let state = if local.record.manual_approval {
                FollowState::Pending
            } else {
                FollowState::Accepted
            };
            let row = follows::upsert(
                conn,
                Direction::In,
                (local.kind, local.local_id),
                remote.id,
                state,
                activity.id.as_str(),
                now,
            )?;
            tracing::info!(follower = %remote.handle(), followed = %local.name, state = %row.state,
                "federation: follow received");
            if row.state == FollowState::Accepted.code() {
                let actor_id = local.id(urls);
                let embedded = activities::follow(activity.id.as_str(), &activity.actor, &actor_id);
                let accept = activities::accept(&urls.new_activity(), &actor_id, embedded);
                delivery::enqueue_to(conn, context, &local, &accept, &remote, now)?;
                return Ok(true);
            }
            Ok(false)
        }
        "Accept" | "Reject" => {
            let follow_id =
                object_id(&activity.object).ok_or_else(|| bad("answer without an object"))?;
            // Some servers answer with a Follow of their own making: matched by actors.
            let follow = follow_of(
                conn,
                context,
                (Direction::Out, &remote, &follow_id),
                &activity.object,
                "actor",
                now,
            )?;
            let Some(follow) = follow else {
                tracing::info!(activity = %activity.id, "federation: answer to an unknown follow ignored");
                return Ok(false);
            };
            if activity.kind == "Accept" {
                follows::accept(conn, follow.id, now)?;
            } else {
                follows::remove(conn, follow.id)?;
            }
            tracing::info!(followed = %remote.handle(), answer = %activity.kind, "federation: follow answered");
            Ok(false)
        }
        "Undo" => {
            let undone_type = activity.object.get("type").and_then(Value::as_str);
            if !matches!(undone_type, Some("Follow") | None) {
                return Ok(false);
            }
            let undone =
                object_id(&activity.object).ok_or_else(|| bad("Undo without an object"))?;
            let follow = follow_of(
                conn,
                context,
                (Direction::In, &remote, &undone),
                &activity.object,
                "object",
                now,
            )?;
            if let Some(follow) = follow {
                follows::remove(conn, follow.id)?;
                tracing::info!(follower = %remote.handle(), "federation: unfollowed");
            }
            Ok(false)
        }
        "Delete" if object_id(&activity.object).as_ref() == Some(&activity.actor) => {
            use maille_database::schema::federation_remote_actors as r;
            diesel::delete(r::table.find(remote.id)).execute(conn)?;
            tracing::info!(actor = %remote.handle(), "federation: remote actor deleted");
            Ok(false)
        }
        "Create" | "Update" | "Delete" | "Announce" => {
            crate::feed::receive(conn, activity, &remote, now)?;
            Ok(false)
        }
        _ => Ok(false),
    }
}
