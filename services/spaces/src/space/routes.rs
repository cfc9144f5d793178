//! Creating, listing, reading, editing and deleting spaces.

use actix_web::{delete, get, patch, post, web, HttpResponse};
use diesel::prelude::*;
use maille_accounts::handles::{self, HandleKind};
use maille_accounts::users::check_display_name;
use maille_accounts::CurrentUser;
use maille_database::random_id;
use maille_database::schema::{space_members, spaces};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{NewMember, NewSpace, SpaceId, SpaceView};
use crate::error::{Result, SpacesError};
use crate::role::SpaceRole;
use crate::Spaces;

/// A new space.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSpace {
    /// Handle: 2 to 30 of `a-z`, `0-9`, `_`; shares one namespace with usernames and is never
    /// given again, even after the space is deleted.
    pub handle: String,
    /// Name shown: 1 to 100 characters.
    pub display_name: String,
    /// What the space is about: at most 2000 characters.
    pub description: Option<String>,
}

/// Creates a space; its creator becomes its owner.
#[utoipa::path(post, path = "/api/spaces", tag = "spaces", request_body = CreateSpace,
    responses((status = 201, body = SpaceView), (status = 401, body = maille_http::ErrorBody),
              (status = 409, description = "`handle_taken`", body = maille_http::ErrorBody),
              (status = 422, body = maille_http::ErrorBody)))]
#[post("/api/spaces")]
pub async fn create_space(
    spaces: web::Data<Spaces>,
    user: CurrentUser,
    body: web::Json<CreateSpace>,
) -> Result<HttpResponse> {
    let body = body.into_inner();
    let handle = super::normalize_handle(&body.handle);
    handles::check_shape("handle", &handle)?;
    let display_name = check_display_name(&body.display_name)?;
    let description = super::check_description(body.description.as_deref().unwrap_or(""))?;
    let now = maille_database::now();
    let creator = user.id;
    let view = spaces
        .database()
        .transaction(move |conn| {
            handles::claim(conn, &handle, HandleKind::Space, now)?;
            let id = random_id();
            diesel::insert_into(spaces::table)
                .values(NewSpace {
                    id,
                    handle: &handle,
                    display_name: &display_name,
                    description: &description,
                    created_at: now,
                    updated_at: now,
                })
                .execute(conn)?;
            diesel::insert_into(space_members::table)
                .values(NewMember {
                    space_id: id,
                    user_id: creator.0,
                    role: SpaceRole::Owner.code(),
                    joined_at: now,
                })
                .execute(conn)?;
            let row = super::find(conn, SpaceId(id))?.ok_or(SpacesError::NotFound)?;
            Ok::<_, SpacesError>(SpaceView::of(&row, SpaceRole::Owner, 1))
        })
        .await?;
    tracing::info!(space = %view.handle, user = %user.id, "space created");
    Ok(HttpResponse::Created().json(view))
}

/// The spaces I belong to, by name.
#[utoipa::path(get, path = "/api/spaces", tag = "spaces",
    responses((status = 200, body = [SpaceView]), (status = 401, body = maille_http::ErrorBody)))]
#[get("/api/spaces")]
pub async fn list_my_spaces(spaces: web::Data<Spaces>, user: CurrentUser) -> Result<HttpResponse> {
    let me = user.id;
    let list = spaces
        .database()
        .run(move |conn| {
            let memberships = super::memberships(conn, me)?;
            let ids: Vec<i64> = memberships.iter().map(|(space, _, _)| space.id).collect();
            let counts = super::member_counts(conn, &ids)?;
            Ok::<_, SpacesError>(
                memberships
                    .iter()
                    .map(|(space, role, _)| {
                        let count = counts.get(&space.id).copied().unwrap_or(0);
                        SpaceView::of(space, *role, count)
                    })
                    .collect::<Vec<_>>(),
            )
        })
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// A space I belong to (404 for anyone else).
#[utoipa::path(get, path = "/api/spaces/{handle}", tag = "spaces",
    params(("handle" = String, Path, description = "the space's handle")),
    responses((status = 200, body = SpaceView), (status = 404, body = maille_http::ErrorBody)))]
#[get("/api/spaces/{handle}")]
pub async fn get_space(
    spaces: web::Data<Spaces>,
    user: CurrentUser,
    path: web::Path<String>,
) -> Result<HttpResponse> {
    let handle = path.into_inner();
    let me = user.id;
    let view = spaces
        .database()
        .run(move |conn| {
            let (space, role) = super::access(conn, &handle, me)?;
            super::view(conn, &space, role)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Changes to a space.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSpace {
    /// Name shown: 1 to 100 characters.
    pub display_name: Option<String>,
    /// What the space is about: at most 2000 characters.
    pub description: Option<String>,
}

/// Changes a space's name or description (owners and moderators).
#[utoipa::path(patch, path = "/api/spaces/{handle}", tag = "spaces", request_body = UpdateSpace,
    params(("handle" = String, Path, description = "the space's handle")),
    responses((status = 200, body = SpaceView), (status = 403, body = maille_http::ErrorBody),
              (status = 404, body = maille_http::ErrorBody), (status = 422, body = maille_http::ErrorBody)))]
#[patch("/api/spaces/{handle}")]
pub async fn update_space(
    spaces: web::Data<Spaces>,
    user: CurrentUser,
    path: web::Path<String>,
    body: web::Json<UpdateSpace>,
) -> Result<HttpResponse> {
    let handle = path.into_inner();
    let body = body.into_inner();
    let display_name = body
        .display_name
        .as_deref()
        .map(check_display_name)
        .transpose()?;
    let description = body
        .description
        .as_deref()
        .map(super::check_description)
        .transpose()?;
    let now = maille_database::now();
    let me = user.id;
    let view = spaces
        .database()
        .transaction(move |conn| {
            let (space, role) = super::access(conn, &handle, me)?;
            if !role.can_edit() {
                return Err(SpacesError::Forbidden);
            }
            let target = spaces::table.find(space.id);
            if let Some(name) = display_name {
                diesel::update(target)
                    .set((spaces::display_name.eq(name), spaces::updated_at.eq(now)))
                    .execute(conn)?;
            }
            if let Some(description) = description {
                diesel::update(target)
                    .set((
                        spaces::description.eq(description),
                        spaces::updated_at.eq(now),
                    ))
                    .execute(conn)?;
            }
            let space = super::find(conn, SpaceId(space.id))?.ok_or(SpacesError::NotFound)?;
            super::view(conn, &space, role)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Deletes a space with its memberships and invitations (its owners). The handle stays
/// claimed, so that nobody can take over the name of a space people knew.
#[utoipa::path(delete, path = "/api/spaces/{handle}", tag = "spaces",
    params(("handle" = String, Path, description = "the space's handle")),
    responses((status = 204), (status = 403, body = maille_http::ErrorBody), (status = 404, body = maille_http::ErrorBody)))]
#[delete("/api/spaces/{handle}")]
pub async fn delete_space(
    spaces: web::Data<Spaces>,
    user: CurrentUser,
    path: web::Path<String>,
) -> Result<HttpResponse> {
    let handle = path.into_inner();
    let me = user.id;
    let deleted = spaces
        .database()
        .transaction(move |conn| {
            let (space, role) = super::access_locked(conn, &handle, me)?;
            if !role.can_delete_space() {
                return Err(SpacesError::Forbidden);
            }
            // Memberships and invitations go with it: ON DELETE CASCADE.
            diesel::delete(spaces::table.find(space.id)).execute(conn)?;
            Ok::<_, SpacesError>(space.handle)
        })
        .await?;
    tracing::info!(space = %deleted, user = %user.id, "space deleted");
    Ok(HttpResponse::NoContent().finish())
}

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(create_space)
        .service(list_my_spaces)
        .service(get_space)
        .service(update_space)
        .service(delete_space);
}
