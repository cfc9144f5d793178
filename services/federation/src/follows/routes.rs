//! The REST API of following, for the web UI: `/api/federation/...`. Each route acts as the
//! logged-in user, or as a space (`?space=HANDLE`) that they own or moderate.

use actix_web::{delete, get, post, put, web, HttpResponse};
use maille_accounts::CurrentUser;
use maille_database::{DbConnection, UnixTime};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::activities;
use super::{Direction, FollowRow, FollowState};
use crate::actors::remote::RemoteActorRow;
use crate::actors::{ActorKind, LocalActor, RemoteActor};
use crate::delivery;
use crate::error::{FederationError, Result};
use crate::{keys, Context, Federation};

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(follow)
        .service(unfollow)
        .service(following)
        .service(followers)
        .service(approve)
        .service(reject)
        .service(remove_follower)
        .service(get_profile)
        .service(update_profile);
}

/// Whom to act as.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AsQuery {
    /// A space's handle: act as that space (its owners and moderators only). Absent: as
    /// oneself.
    pub space: Option<String>,
}

/// A follow, as listed.
#[derive(Debug, Serialize, ToSchema)]
pub struct FollowView {
    /// The follow's id (a string: it may exceed JavaScript's safe integers).
    pub id: String,
    /// `@name@host` of the remote actor.
    pub handle: String,
    /// Its name.
    pub display_name: String,
    /// `Person`, `Group`...
    pub actor_type: String,
    /// Its ActivityPub id.
    pub actor_id: String,
    /// Its web page.
    pub url: Option<String>,
    /// Its avatar.
    pub icon: Option<String>,
    /// `pending` or `accepted`.
    pub state: FollowState,
    /// When it was asked.
    pub created_at: UnixTime,
}

impl FollowView {
    fn of(row: &FollowRow, actor: &RemoteActorRow) -> FollowView {
        FollowView {
            id: row.id.to_string(),
            handle: actor.handle(),
            display_name: actor.display_name.clone(),
            actor_type: actor.kind.clone(),
            actor_id: actor.ap_id.clone(),
            url: actor.url.clone(),
            icon: actor.icon.clone(),
            state: if row.state == "accepted" {
                FollowState::Accepted
            } else {
                FollowState::Pending
            },
            created_at: row.created_at,
        }
    }
}

/// Whom to follow.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FollowRequest {
    /// `@name@host` (or `name@host`).
    pub handle: String,
}

/// A local actor's federation profile.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProfileView {
    /// `@name@host`, how others find this actor.
    pub handle: String,
    /// Its ActivityPub id.
    pub actor_id: String,
    /// Whether follow requests wait for approval.
    pub manual_approval: bool,
    /// Accepted followers.
    pub followers: i64,
    /// Accepted follows.
    pub following: i64,
}

/// Changes to the profile.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateProfile {
    /// Whether follow requests wait for approval.
    pub manual_approval: bool,
}

/// The local actor to act as: the user, or a space they own or moderate.
async fn acting_as(
    federation: &Federation,
    user: &CurrentUser,
    query: &AsQuery,
) -> Result<LocalActor> {
    if !federation.context().is_on() {
        return Err(FederationError::Off);
    }
    let context = federation.context().clone();
    let user_id = user.id;
    let username = user.username.clone();
    let space = query.space.clone();
    federation
        .database()
        .run(move |conn| {
            let now = maille_database::now();
            match space {
                None => LocalActor::find(&context, conn, ActorKind::User, &username, now)?
                    .ok_or(FederationError::NotFound),
                Some(handle) => {
                    let actor = LocalActor::find(&context, conn, ActorKind::Space, &handle, now)?
                        .ok_or(FederationError::NotFound)?;
                    let role = context.spaces.role_of_blocking(
                        conn,
                        maille_spaces::SpaceId(actor.local_id),
                        user_id,
                    )?;
                    match role {
                        Some(
                            maille_spaces::SpaceRole::Owner | maille_spaces::SpaceRole::Moderator,
                        ) => Ok(actor),
                        Some(_) => Err(FederationError::Forbidden),
                        None => Err(FederationError::NotFound),
                    }
                }
            }
        })
        .await
}

fn parse_id(raw: &str) -> Result<i64> {
    raw.parse().map_err(|_| FederationError::NotFound)
}

/// Runs `change` (which queues activities) in one transaction, then wakes the delivery
/// workers.
async fn queue<T, F>(federation: &Federation, change: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConnection, &Context, UnixTime) -> Result<T> + Send + 'static,
{
    let context = federation.context().clone();
    let out = federation
        .database()
        .transaction(move |conn| change(conn, &context, maille_database::now()))
        .await?;
    federation.wake_delivery();
    Ok(out)
}

#[utoipa::path(post, path = "/api/federation/follows", tag = "federation", params(AsQuery),
    request_body = FollowRequest,
    responses((status = 201, body = FollowView), (status = 401, body = maille_http::ErrorBody),
              (status = 403, body = maille_http::ErrorBody), (status = 422, body = maille_http::ErrorBody),
              (status = 502, body = maille_http::ErrorBody)))]
#[post("/api/federation/follows")]
pub async fn follow(
    federation: web::Data<Federation>,
    user: CurrentUser,
    query: web::Query<AsQuery>,
    body: web::Json<FollowRequest>,
) -> Result<HttpResponse> {
    let local = acting_as(&federation, &user, &query).await?;
    let (name, domain) = crate::home_sign_in::split_handle(&body.handle)?;
    if domain == federation.context().urls.domain() {
        return Err(FederationError::invalid(
            "handle",
            "this account is on this instance",
        ));
    }
    federation
        .context()
        .policy
        .check(federation.settings(), &domain)?;
    let handle = format!("{name}@{domain}");
    // An actor known already is followed without asking its instance again: the Follow is
    // queued even while that instance is down.
    let known = federation
        .database()
        .run(move |conn| RemoteActor::find_by_handle(conn, &name, &domain))
        .await?;
    let data = federation.data();
    let remote: RemoteActor = match known {
        Some(actor) => actor,
        None => activitypub_federation::fetch::webfinger::webfinger_resolve_actor(&handle, &data)
            .await
            .map_err(|e| match e {
                FederationError::NotFound => {
                    FederationError::invalid("handle", "no such account on that instance")
                }
                other => other,
            })?,
    };
    let view = queue(&federation, move |conn, context, now| {
        let urls = &context.urls;
        let actor_id = local.id(urls);
        let existing = super::find(
            conn,
            Direction::Out,
            (local.kind, local.local_id),
            remote.id,
        )?;
        let activity_id = match &existing {
            Some(row) => row.follow_activity_id.clone(),
            None => urls.new_activity().to_string(),
        };
        let row = super::upsert(
            conn,
            Direction::Out,
            (local.kind, local.local_id),
            remote.id,
            FollowState::Pending,
            &activity_id,
            now,
        )?;
        let activity = activities::follow(&activity_id, &actor_id, &remote.ap_url);
        delivery::enqueue_to(conn, context, &local, &activity, &remote, now)?;
        Ok(FollowView::of(&row, &remote.row))
    })
    .await?;
    Ok(HttpResponse::Created().json(view))
}

#[utoipa::path(delete, path = "/api/federation/follows/{id}", tag = "federation", params(AsQuery,
    ("id" = String, Path, description = "the follow's id")),
    responses((status = 204), (status = 404, body = maille_http::ErrorBody)))]
#[delete("/api/federation/follows/{id}")]
pub async fn unfollow(
    federation: web::Data<Federation>,
    user: CurrentUser,
    query: web::Query<AsQuery>,
    path: web::Path<String>,
) -> Result<HttpResponse> {
    let local = acting_as(&federation, &user, &query).await?;
    let id = parse_id(&path)?;
    queue(&federation, move |conn, context, now| {
        let existing = super::find_by_id(conn, id, Direction::Out, (local.kind, local.local_id))?
            .ok_or(FederationError::NotFound)?;
        let remote =
            RemoteActor::find(conn, existing.remote_actor_id)?.ok_or(FederationError::NotFound)?;
        let actor_id = local.id(&context.urls);
        let embedded = activities::follow(&existing.follow_activity_id, &actor_id, &remote.ap_url);
        let activity = activities::undo(&context.urls.new_activity(), &actor_id, embedded);
        super::remove(conn, id)?;
        delivery::enqueue_to(conn, context, &local, &activity, &remote, now)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn list(
    federation: &Federation,
    user: &CurrentUser,
    query: &AsQuery,
    direction: Direction,
) -> Result<HttpResponse> {
    let local = acting_as(federation, user, query).await?;
    let rows = federation
        .database()
        .run(move |conn| super::list(conn, direction, (local.kind, local.local_id)))
        .await?;
    let views: Vec<FollowView> = rows.iter().map(|(f, a)| FollowView::of(f, a)).collect();
    Ok(HttpResponse::Ok().json(views))
}

#[utoipa::path(get, path = "/api/federation/following", tag = "federation", params(AsQuery),
    responses((status = 200, body = [FollowView]), (status = 401, body = maille_http::ErrorBody)))]
#[get("/api/federation/following")]
pub async fn following(
    federation: web::Data<Federation>,
    user: CurrentUser,
    query: web::Query<AsQuery>,
) -> Result<HttpResponse> {
    list(&federation, &user, &query, Direction::Out).await
}

#[utoipa::path(get, path = "/api/federation/followers", tag = "federation", params(AsQuery),
    responses((status = 200, body = [FollowView]), (status = 401, body = maille_http::ErrorBody)))]
#[get("/api/federation/followers")]
pub async fn followers(
    federation: web::Data<Federation>,
    user: CurrentUser,
    query: web::Query<AsQuery>,
) -> Result<HttpResponse> {
    list(&federation, &user, &query, Direction::In).await
}

/// What to do with a follower.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Decision {
    Approve,
    Reject,
    Remove,
}

async fn decide(
    federation: &Federation,
    user: &CurrentUser,
    query: &AsQuery,
    raw_id: &str,
    decision: Decision,
) -> Result<HttpResponse> {
    let local = acting_as(federation, user, query).await?;
    let id = parse_id(raw_id)?;
    queue(federation, move |conn, context, now| {
        let existing = super::find_by_id(conn, id, Direction::In, (local.kind, local.local_id))?
            .ok_or(FederationError::NotFound)?;
        if decision == Decision::Approve && existing.state == FollowState::Accepted.code() {
            return Ok(());
        }
        let remote =
            RemoteActor::find(conn, existing.remote_actor_id)?.ok_or(FederationError::NotFound)?;
        let actor_id = local.id(&context.urls);
        let embedded = activities::follow(&existing.follow_activity_id, &remote.ap_url, &actor_id);
        let new_id = context.urls.new_activity();
        let activity = if decision == Decision::Approve {
            super::accept(conn, id, now)?;
            activities::accept(&new_id, &actor_id, embedded)
        } else {
            super::remove(conn, id)?;
            activities::reject(&new_id, &actor_id, embedded)
        };
        delivery::enqueue_to(conn, context, &local, &activity, &remote, now)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(post, path = "/api/federation/followers/{id}/approve", tag = "federation", params(AsQuery,
    ("id" = String, Path, description = "the follow's id")),
    responses((status = 204), (status = 404, body = maille_http::ErrorBody)))]
#[post("/api/federation/followers/{id}/approve")]
pub async fn approve(
    federation: web::Data<Federation>,
    user: CurrentUser,
    query: web::Query<AsQuery>,
    path: web::Path<String>,
) -> Result<HttpResponse> {
    decide(&federation, &user, &query, &path, Decision::Approve).await
}

#[utoipa::path(post, path = "/api/federation/followers/{id}/reject", tag = "federation", params(AsQuery,
    ("id" = String, Path, description = "the follow's id")),
    responses((status = 204), (status = 404, body = maille_http::ErrorBody)))]
#[post("/api/federation/followers/{id}/reject")]
pub async fn reject(
    federation: web::Data<Federation>,
    user: CurrentUser,
    query: web::Query<AsQuery>,
    path: web::Path<String>,
) -> Result<HttpResponse> {
    decide(&federation, &user, &query, &path, Decision::Reject).await
}

#[utoipa::path(delete, path = "/api/federation/followers/{id}", tag = "federation", params(AsQuery,
    ("id" = String, Path, description = "the follow's id")),
    responses((status = 204), (status = 404, body = maille_http::ErrorBody)))]
#[delete("/api/federation/followers/{id}")]
pub async fn remove_follower(
    federation: web::Data<Federation>,
    user: CurrentUser,
    query: web::Query<AsQuery>,
    path: web::Path<String>,
) -> Result<HttpResponse> {
    decide(&federation, &user, &query, &path, Decision::Remove).await
}

async fn profile_of(federation: &Federation, local: LocalActor) -> Result<ProfileView> {
    let context = federation.context().clone();
    federation
        .database()
        .run(move |conn| {
            let key = (local.kind, local.local_id);
            Ok(ProfileView {
                handle: format!("@{}@{}", local.name, context.urls.domain()),
                actor_id: local.id(&context.urls).to_string(),
                manual_approval: local.record.manual_approval,
                followers: super::count_accepted(conn, Direction::In, key)?,
                following: super::count_accepted(conn, Direction::Out, key)?,
            })
        })
        .await
}

#[utoipa::path(get, path = "/api/federation/profile", tag = "federation", params(AsQuery),
    responses((status = 200, body = ProfileView), (status = 401, body = maille_http::ErrorBody)))]
#[get("/api/federation/profile")]
pub async fn get_profile(
    federation: web::Data<Federation>,
    user: CurrentUser,
    query: web::Query<AsQuery>,
) -> Result<HttpResponse> {
    let local = acting_as(&federation, &user, &query).await?;
    Ok(HttpResponse::Ok().json(profile_of(&federation, local).await?))
}

#[utoipa::path(put, path = "/api/federation/profile", tag = "federation", params(AsQuery),
    request_body = UpdateProfile,
    responses((status = 200, body = ProfileView), (status = 401, body = maille_http::ErrorBody)))]
#[put("/api/federation/profile")]
pub async fn update_profile(
    federation: web::Data<Federation>,
    user: CurrentUser,
    query: web::Query<AsQuery>,
    body: web::Json<UpdateProfile>,
) -> Result<HttpResponse> {
    let mut local = acting_as(&federation, &user, &query).await?;
    let manual = body.manual_approval;
    let (kind, id) = (local.kind, local.local_id);
    local.record.manual_approval = manual;
    // Followers learn of the change with an `Update` of the actor, as Mastodon sends one.
    let actor = local.clone();
    queue(&federation, move |conn, context, now| {
        keys::set_manual_approval(conn, kind, id, manual, now)?;
        let inboxes = super::follower_inboxes(conn, (kind, id))?;
        if !inboxes.is_empty() {
            let urls = &context.urls;
            let document = serde_json::to_value(actor.to_json(urls))
                .map_err(|e| FederationError::Internal(e.to_string()))?;
            let update = serde_json::json!({
                "id": urls.new_activity(),
                "type": "Update",
                "actor": actor.id(urls),
                "to": ["https://www.w3.org/ns/activitystreams#Public"],
                "cc": [actor.followers(urls)],
                "object": document,
            });
            delivery::enqueue(conn, context, (kind, id), &update, &inboxes, now)?;
        }
        Ok(())
    })
    .await?;
    Ok(HttpResponse::Ok().json(profile_of(&federation, local).await?))
}
