//! Listing members, changing roles, removing members and leaving.

use actix_web::{delete, get, patch, post, web, HttpResponse};
use maille_accounts::CurrentUser;
use serde::Deserialize;
use utoipa::ToSchema;

use super::MemberView;
use crate::error::{Result, SpacesError};
use crate::role::SpaceRole;
use crate::space::{self, SpaceId};
use crate::Spaces;

/// The members of a space I belong to: owners first, then moderators, then members.
#[utoipa::path(get, path = "/api/spaces/{handle}/members", tag = "spaces",
    params(("handle" = String, Path, description = "the space's handle")),
    responses((status = 200, body = [MemberView]), (status = 404, body = maille_http::ErrorBody)))]
#[get("/api/spaces/{handle}/members")]
pub async fn list_members(
    spaces: web::Data<Spaces>,
    user: CurrentUser,
    path: web::Path<String>,
) -> Result<HttpResponse> {
    let handle = path.into_inner();
    let me = user.id;
    let accounts = spaces.accounts().clone();
    let list = spaces
        .database()
        .run(move |conn| {
            let (space, _) = space::access(conn, &handle, me)?;
            super::list(conn, &accounts, SpaceId(space.id))
        })
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// A role change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeRole {
    /// `owner`, `moderator` or `member`.
    #[schema(value_type = SpaceRole)]
    pub role: String,
}

/// Changes a member's role (owners). Several owners may share a space; the last one cannot
/// step down (409 `sole_owner`).
#[utoipa::path(patch, path = "/api/spaces/{handle}/members/{username}", tag = "spaces",
    request_body = ChangeRole,
    params(("handle" = String, Path, description = "the space's handle"),
           ("username" = String, Path, description = "the member's username")),
    responses((status = 200, body = MemberView), (status = 403, body = maille_http::ErrorBody),
              (status = 404, body = maille_http::ErrorBody),
              (status = 409, description = "`sole_owner`", body = maille_http::ErrorBody),
              (status = 422, body = maille_http::ErrorBody)))]
#[patch("/api/spaces/{handle}/members/{username}")]
pub async fn change_role(
    spaces: web::Data<Spaces>,
    user: CurrentUser,
    path: web::Path<(String, String)>,
    body: web::Json<ChangeRole>,
) -> Result<HttpResponse> {
    let (handle, username) = path.into_inner();
    let role = SpaceRole::parse(body.into_inner().role.trim())
        .ok_or_else(|| SpacesError::invalid("role", "use owner, moderator or member"))?;
    let me = user.id;
    let view = spaces
        .database()
        .transaction(move |conn| {
            let (space, my_role) = space::access_locked(conn, &handle, me)?;
            if !my_role.can_change_roles() {
                return Err(SpacesError::Forbidden);
            }
            let space_id = SpaceId(space.id);
            let (target, current) = super::member_by_username(conn, space_id, &username)?;
            super::set_role(conn, space_id, target.user_id(), current, role)?;
            super::view_of(conn, &space, &target)
        })
        .await?;
    tracing::info!(user = %user.id, member = %view.username, role = %view.role, "space role changed");
    Ok(HttpResponse::Ok().json(view))
}

/// Removes someone from a space: owners remove anyone, moderators plain members. Removing
/// oneself is leaving. Pending invitations the removed person made are revoked.
#[utoipa::path(delete, path = "/api/spaces/{handle}/members/{username}", tag = "spaces",
    params(("handle" = String, Path, description = "the space's handle"),
           ("username" = String, Path, description = "the member's username")),
    responses((status = 204), (status = 403, body = maille_http::ErrorBody),
              (status = 404, body = maille_http::ErrorBody),
              (status = 409, description = "`sole_owner`", body = maille_http::ErrorBody)))]
#[delete("/api/spaces/{handle}/members/{username}")]
pub async fn remove_member(
    spaces: web::Data<Spaces>,
    user: CurrentUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse> {
    let (handle, username) = path.into_inner();
    let me = user.id;
    spaces
        .database()
        .transaction(move |conn| {
            let (space, my_role) = space::access_locked(conn, &handle, me)?;
            let space_id = SpaceId(space.id);
            let (target, role) = super::member_by_username(conn, space_id, &username)?;
            if target.user_id() == me {
                return super::remove(conn, space_id, me, role);
            }
            if !my_role.can_remove(role) {
                return Err(SpacesError::Forbidden);
            }
            super::remove(conn, space_id, target.user_id(), role)?;
            super::revoke_invitations_by(conn, space_id, target.user_id())?;
            Ok(())
        })
        .await?;
    tracing::info!(user = %user.id, "space member removed");
    Ok(HttpResponse::NoContent().finish())
}

/// Leaves a space. Its last owner cannot (409 `sole_owner`): they hand it over or delete it.
#[utoipa::path(post, path = "/api/spaces/{handle}/leave", tag = "spaces",
    params(("handle" = String, Path, description = "the space's handle")),
    responses((status = 204), (status = 404, body = maille_http::ErrorBody),
              (status = 409, description = "`sole_owner`", body = maille_http::ErrorBody)))]
#[post("/api/spaces/{handle}/leave")]
pub async fn leave(
    spaces: web::Data<Spaces>,
    user: CurrentUser,
    path: web::Path<String>,
) -> Result<HttpResponse> {
    let handle = path.into_inner();
    let me = user.id;
    spaces
        .database()
        .transaction(move |conn| {
            let (space, role) = space::access_locked(conn, &handle, me)?;
            super::remove(conn, SpaceId(space.id), me, role)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(list_members)
        .service(change_role)
        .service(remove_member)
        .service(leave);
}
