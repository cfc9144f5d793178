//! Making, listing and revoking invitations (a space's owners and moderators), and seeing and
//! accepting one (anyone holding its link).

use actix_web::{delete, get, post, web, HttpResponse};
use maille_accounts::users::normalize_email;
use maille_accounts::CurrentUser;
use maille_mail::Email;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{InvitationView, VALIDITY_DAYS};
use crate::error::{Result, SpacesError};
use crate::role::SpaceRole;
use crate::space::{self, SpaceId, SpaceView};
use crate::Spaces;

/// The pending invitations of a space: not expired, and for email invitations not used yet
/// (owners and moderators). Links are not shown again.
#[utoipa::path(get, path = "/api/spaces/{handle}/invitations", tag = "spaces",
    params(("handle" = String, Path, description = "the space's handle")),
    responses((status = 200, body = [InvitationView]), (status = 403, body = maille_http::ErrorBody),
              (status = 404, body = maille_http::ErrorBody)))]
#[get("/api/spaces/{handle}/invitations")]
pub async fn list_invitations(
    spaces: web::Data<Spaces>,
    user: CurrentUser,
    path: web::Path<String>,
) -> Result<HttpResponse> {
    let handle = path.into_inner();
    let me = user.id;
    let now = maille_database::now();
    let list = spaces
        .database()
        .run(move |conn| {
            let (space, role) = space::access(conn, &handle, me)?;
            if !role.can_manage_invitations() {
                return Err(SpacesError::Forbidden);
            }
            let rows = super::pending(conn, SpaceId(space.id), now)?;
            Ok(rows
                .iter()
                .map(|row| InvitationView::of(row, None))
                .collect::<Vec<_>>())
        })
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// A new invitation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateInvitation {
    /// Where to send it. Without it (or empty), the answer's link is the invitation, to share
    /// with as many people as wanted.
    pub email: Option<String>,
    /// `member` (the default) or `moderator` (owners only).
    #[schema(value_type = Option<SpaceRole>)]
    pub role: Option<String>,
}

/// Invites someone by email, or makes a link to share (owners and moderators; only owners
/// invite moderators). The answer's `link` is shown this once.
#[utoipa::path(post, path = "/api/spaces/{handle}/invitations", tag = "spaces",
    request_body = CreateInvitation,
    params(("handle" = String, Path, description = "the space's handle")),
    responses((status = 201, body = InvitationView), (status = 403, body = maille_http::ErrorBody),
              (status = 404, body = maille_http::ErrorBody), (status = 422, body = maille_http::ErrorBody),
              (status = 429, body = maille_http::ErrorBody)))]
#[post("/api/spaces/{handle}/invitations")]
pub async fn create_invitation(
    spaces: web::Data<Spaces>,
    user: CurrentUser,
    path: web::Path<String>,
    body: web::Json<CreateInvitation>,
) -> Result<HttpResponse> {
    let handle = path.into_inner();
    let body = body.into_inner();
    let role = match body.role.as_deref().map(str::trim) {
        None | Some("") => SpaceRole::Member,
        Some(code) => match SpaceRole::parse(code) {
            Some(SpaceRole::Owner) => {
                return Err(SpacesError::invalid(
                    "role",
                    "invite as member or moderator; make owners by changing a member's role",
                ))
            }
            Some(role) => role,
            None => return Err(SpacesError::invalid("role", "use member or moderator")),
        },
    };
    let email = match body.email.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => Some(normalize_email(raw)?),
    };
    let me = user.id;
    let now = maille_database::now();
    let recipient = email.clone();
    let (space, row, token) = spaces
        .database()
        .transaction(move |conn| {
            let (space, my_role) = space::access(conn, &handle, me)?;
            if !my_role.can_invite_as(role) {
                return Err(SpacesError::Forbidden);
            }
            let space_id = SpaceId(space.id);
            super::throttle(conn, space_id, now)?;
            let (row, token) = super::issue(conn, space_id, me, recipient.as_deref(), role, now)?;
            Ok((space, row, token))
        })
        .await?;
    let link = spaces.settings().link(&format!("/join/{token}"));
    if let Some(email) = email {
        spaces.accounts().send_later(
            email,
            user.language,
            Email::SpaceInvitation {
                inviter: user.display_name.clone(),
                space_name: space.display_name.clone(),
                link: link.clone(),
                valid_days: VALIDITY_DAYS,
            },
        );
    }
    tracing::info!(space = %space.handle, user = %user.id, by_email = row.email.is_some(), "space invitation made");
    Ok(HttpResponse::Created().json(InvitationView::of(&row, Some(link))))
}

/// Revokes an invitation (owners and moderators): its link stops working.
#[utoipa::path(delete, path = "/api/spaces/{handle}/invitations/{id}", tag = "spaces",
    params(("handle" = String, Path, description = "the space's handle"),
           ("id" = String, Path, description = "the invitation's id")),
    responses((status = 204), (status = 403, body = maille_http::ErrorBody), (status = 404, body = maille_http::ErrorBody)))]
#[delete("/api/spaces/{handle}/invitations/{id}")]
pub async fn revoke_invitation(
    spaces: web::Data<Spaces>,
    user: CurrentUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse> {
    let (handle, id) = path.into_inner();
    let id: i64 = id.parse().map_err(|_| SpacesError::NotFound)?;
    let me = user.id;
    spaces
        .database()
        .transaction(move |conn| {
            let (space, role) = space::access(conn, &handle, me)?;
            if !role.can_manage_invitations() {
                return Err(SpacesError::Forbidden);
            }
            if super::revoke(conn, SpaceId(space.id), id)? {
                Ok(())
            } else {
                Err(SpacesError::NotFound)
            }
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The space an invitation leads to, as shown before joining.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvitedSpace {
    /// Handle.
    pub handle: String,
    /// Name shown.
    pub display_name: String,
    /// What the space is about.
    pub description: String,
}

/// What an invitation offers, for the page its link opens.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationPreview {
    /// The space.
    pub space: InvitedSpace,
    /// Who invites, by name; `null` when their account no longer exists.
    pub inviter: Option<String>,
    /// The role it gives.
    pub role: SpaceRole,
}

/// What an invitation offers. Anyone holding the link may see it, logged in or not, so that
/// the page can ask them to log in or sign up first.
#[utoipa::path(get, path = "/api/invitations/{token}", tag = "spaces",
    params(("token" = String, Path, description = "the token of the invitation's link")),
    responses((status = 200, body = InvitationPreview),
              (status = 404, description = "`invalid_token`", body = maille_http::ErrorBody)))]
#[get("/api/invitations/{token}")]
pub async fn preview_invitation(
    spaces: web::Data<Spaces>,
    path: web::Path<String>,
) -> Result<HttpResponse> {
    let token = path.into_inner();
    let now = maille_database::now();
    let accounts = spaces.accounts().clone();
    let preview = spaces
        .database()
        .run(move |conn| {
            let invitation = super::find_usable(conn, &token, now)?;
            let space = space::find(conn, SpaceId(invitation.space_id))?
                .ok_or(SpacesError::InvalidToken)?;
            let inviter = match invitation.created_by {
                Some(id) => accounts
                    .users_blocking(conn, &[maille_accounts::UserId(id)])?
                    .into_iter()
                    .next()
                    .map(|person| person.display_name),
                None => None,
            };
            Ok::<_, SpacesError>(InvitationPreview {
                space: InvitedSpace {
                    handle: space.handle,
                    display_name: space.display_name,
                    description: space.description,
                },
                inviter,
                role: SpaceRole::from_stored(&invitation.role),
            })
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(preview))
}

/// Joins the space of an invitation. An email invitation works once; a link works for anyone
/// until it expires or is revoked. Someone already a member just gets the space back.
#[utoipa::path(post, path = "/api/invitations/{token}/accept", tag = "spaces",
    params(("token" = String, Path, description = "the token of the invitation's link")),
    responses((status = 200, body = SpaceView), (status = 401, body = maille_http::ErrorBody),
              (status = 404, description = "`invalid_token`", body = maille_http::ErrorBody)))]
#[post("/api/invitations/{token}/accept")]
pub async fn accept_invitation(
    spaces: web::Data<Spaces>,
    user: CurrentUser,
    path: web::Path<String>,
) -> Result<HttpResponse> {
    let token = path.into_inner();
    let me = user.id;
    let now = maille_database::now();
    let view = spaces
        .database()
        .transaction(move |conn| {
            let (space, role) = super::accept(conn, &token, me, now)?;
            space::view(conn, &space, role)
        })
        .await?;
    tracing::info!(space = %view.handle, user = %user.id, "space invitation accepted");
    Ok(HttpResponse::Ok().json(view))
}

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(list_invitations)
        .service(create_invitation)
        .service(revoke_invitation)
        .service(preview_invitation)
        .service(accept_invitation);
}
