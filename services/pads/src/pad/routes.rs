//! The pads' REST API: create, list, read, change, trash and restore.

use actix_web::{delete, get, patch, post, web, HttpResponse};
use diesel::prelude::*;
use maille_accounts::{CurrentUser, OptionalUser, UserId};
use maille_database::schema::pads;
use maille_database::UnixTime;
use maille_spaces::SpaceId;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{Access, Opened, Owner, PadId, PadRow, Visibility};
use crate::error::{PadsError, Result};
use crate::Pads;

const TITLE_MAX_CHARS: usize = 200;

/// How long until a pad is deleted for good.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ExpiresIn {
    /// One day.
    Day,
    /// Seven days.
    Week,
    /// Thirty days.
    Month,
    /// 365 days.
    Year,
    /// It never expires.
    Never,
}

impl ExpiresIn {
    /// The expiry time for this choice made at `now`.
    pub fn at(self, now: UnixTime) -> Option<UnixTime> {
        let days = match self {
            ExpiresIn::Day => 1,
            ExpiresIn::Week => 7,
            ExpiresIn::Month => 30,
            ExpiresIn::Year => 365,
            ExpiresIn::Never => return None,
        };
        Some(now.saturating_add(days * 86_400))
    }
}

/// Whom a pad belongs to, as shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum OwnerView {
    /// A user.
    User {
        /// Their username (empty if the account is gone).
        username: String,
    },
    /// A space.
    Space {
        /// Its handle.
        handle: String,
    },
    /// Nobody (an anonymous pad).
    None,
}

/// A pad, as its viewer may see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PadView {
    /// The edit id; null for read-only viewers.
    pub id: Option<String>,
    /// The read-only id.
    pub read_id: String,
    /// Title (may be empty).
    pub title: String,
    /// Who may open it.
    pub visibility: Visibility,
    /// Whom it belongs to.
    pub owner: OwnerView,
    /// Whether it keeps its full history.
    pub history: bool,
    /// Creation time.
    pub created_at: UnixTime,
    /// Last change of its settings or content.
    pub updated_at: UnixTime,
    /// When it is deleted for good, if ever.
    pub expires_at: Option<UnixTime>,
    /// When it went to the trash, if it is there.
    pub deleted_at: Option<UnixTime>,
    /// What the viewer may do with its document.
    pub access: Access,
    /// Whether the viewer may manage it.
    pub can_manage: bool,
}

/// Builds the views of opened pads, looking up their owners' names.
async fn views(pads: &Pads, opened: Vec<Opened>) -> Result<Vec<PadView>> {
    let mut users: Vec<UserId> = Vec::new();
    let mut spaces: Vec<SpaceId> = Vec::new();
    for o in &opened {
        match o.row.owner() {
            Owner::User(u) if !users.contains(&u) => users.push(u),
            Owner::Space(s) if !spaces.contains(&s) => spaces.push(s),
            _ => {}
        }
    }
    let accounts = pads.accounts().clone();
    let names: Vec<(UserId, String)> = pads
        .database()
        .run(move |conn| {
            Ok::<_, PadsError>(
                accounts
                    .users_blocking(conn, &users)?
                    .into_iter()
                    .map(|u| (u.id, u.username))
                    .collect(),
            )
        })
        .await?;
    let mut handles: Vec<(SpaceId, String)> = Vec::new();
    for space in spaces {
        if let Some(info) = pads.spaces().space(space).await? {
            handles.push((space, info.handle));
        }
    }
    Ok(opened
        .into_iter()
        .map(|o| {
            let owner = match o.row.owner() {
                Owner::User(u) => OwnerView::User {
                    username: names
                        .iter()
                        .find(|(id, _)| *id == u)
                        .map(|(_, n)| n.clone())
                        .unwrap_or_default(),
                },
                Owner::Space(s) => OwnerView::Space {
                    handle: handles
                        .iter()
                        .find(|(id, _)| *id == s)
                        .map(|(_, h)| h.clone())
                        .unwrap_or_default(),
                },
                Owner::Nobody => OwnerView::None,
            };
            let row = o.row;
            PadView {
                id: (o.access == Access::Edit).then(|| row.id.clone()),
                read_id: row.read_id,
                title: row.title,
                visibility: Visibility::from_stored(&row.visibility),
                owner,
                history: row.history,
                created_at: row.created_at,
                updated_at: row.updated_at,
                expires_at: row.expires_at,
                deleted_at: row.deleted_at,
                access: o.access,
                can_manage: o.can_manage,
            }
        })
        .collect())
}

async fn view(pads: &Pads, opened: Opened) -> Result<PadView> {
    views(pads, vec![opened])
        .await?
        .pop()
        .ok_or_else(|| PadsError::Internal("a view went missing".into()))
}

fn check_title(title: &str) -> Result<String> {
    let title = title.trim();
    if title.chars().count() > TITLE_MAX_CHARS {
        return Err(PadsError::invalid("title", "at most 200 characters"));
    }
    if title.chars().any(char::is_control) {
        return Err(PadsError::invalid("title", "no control characters"));
    }
    Ok(title.to_owned())
}

/// A new pad.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePad {
    /// Title: at most 200 characters.
    pub title: Option<String>,
    /// Who may open it (default `private`; anonymous pads are always `link`).
    pub visibility: Option<Visibility>,
    /// Handle of the space that will own it (any member may create one).
    pub space: Option<String>,
    /// When it is deleted for good (default `never`).
    pub expires_in: Option<ExpiresIn>,
    /// Whether it keeps its full history (default: the instance's `pads.history_default`).
    pub history: Option<bool>,
}

/// Creates a pad, owned by me, by a space of mine, or (not logged in, when the instance
/// allows it) by nobody.
#[utoipa::path(post, path = "/api/pads", tag = "pads", request_body = CreatePad,
    responses((status = 201, body = PadView), (status = 401, body = maille_http::ErrorBody),
              (status = 403, body = maille_http::ErrorBody), (status = 422, body = maille_http::ErrorBody)))]
#[post("/api/pads")]
pub async fn create_pad(
    pads: web::Data<Pads>,
    user: OptionalUser,
    body: web::Json<CreatePad>,
) -> Result<HttpResponse> {
    let body = body.into_inner();
    let title = check_title(body.title.as_deref().unwrap_or(""))?;
    let now = maille_database::now();
    let settings = &pads.settings().pads;
    let user_id = user.0.as_ref().map(|u| u.id);
    let (owner_user_id, owner_space_id, visibility) = match (user_id, body.space) {
        (None, _) if !settings.anonymous_creation => return Err(PadsError::NotAuthenticated),
        (None, Some(_)) => return Err(PadsError::NotAuthenticated),
        (None, None) => (None, None, Visibility::Link),
        (Some(me), None) => (
            Some(me.0),
            None,
            body.visibility.unwrap_or(Visibility::Private),
        ),
        (Some(me), Some(handle)) => {
            let space = pads
                .spaces()
                .find_by_handle(&handle)
                .await?
                .ok_or_else(|| PadsError::invalid("space", "no such space of yours"))?;
            // Not a member: the same answer as no such space, as the spaces service gives.
            if pads.spaces().role_of(space.id, me).await?.is_none() {
                return Err(PadsError::invalid("space", "no such space of yours"));
            }
            (
                None,
                Some(space.id.0),
                body.visibility.unwrap_or(Visibility::Private),
            )
        }
    };
    let row = PadRow {
        id: PadId::generate().0,
        read_id: PadId::generate().0,
        title,
        owner_user_id,
        owner_space_id,
        created_by: user_id.map(|u| u.0),
        visibility: visibility.code().to_owned(),
        history: body.history.unwrap_or(settings.history_default),
        created_at: now,
        updated_at: now,
        expires_at: body.expires_in.and_then(|e| e.at(now)),
        deleted_at: None,
    };
    let inserted = row.clone();
    let announced = pads
        .database()
        .transaction(move |conn| {
            diesel::insert_into(pads::table)
                .values(&inserted)
                .execute(conn)?;
            super::public::changed(conn, None, Some(&inserted), now)
        })
        .await?;
    if announced {
        pads.database().notify_outbox();
    }
    tracing::info!(pad = %super::log_tag(&row.id), user = ?user_id.map(|u| u.0), "pad created");
    let opened = Opened {
        row,
        access: Access::Edit,
        can_manage: true,
    };
    Ok(HttpResponse::Created().json(view(&pads, opened).await?))
}

/// Which pads to list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// A space's pads (members only) rather than mine.
    pub space: Option<String>,
    /// Those in the trash rather than the others.
    pub trash: Option<bool>,
}

/// My pads, or a space's, newest change first; or those in the trash.
#[utoipa::path(get, path = "/api/pads", tag = "pads", params(ListQuery),
    responses((status = 200, body = [PadView]), (status = 401, body = maille_http::ErrorBody),
              (status = 404, body = maille_http::ErrorBody)))]
#[get("/api/pads")]
pub async fn list_pads(
    pads: web::Data<Pads>,
    user: CurrentUser,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse> {
    let query = query.into_inner();
    let trash = query.trash.unwrap_or(false);
    let me = user.id;
    let (space, role) = match query.space {
        Some(handle) => {
            let space = pads
                .spaces()
                .find_by_handle(&handle)
                .await?
                .ok_or(PadsError::NotFound)?;
            let role = pads
                .spaces()
                .role_of(space.id, me)
                .await?
                .ok_or(PadsError::NotFound)?;
            (Some(space.id), Some(role))
        }
        None => (None, None),
    };
    let now = maille_database::now();
    let rows: Vec<PadRow> = pads
        .database()
        .run(move |conn| {
            let mut q = pads::table.select(PadRow::as_select()).into_boxed();
            q = match space {
                Some(space) => q.filter(pads::owner_space_id.eq(space.0)),
                None => q
                    .filter(pads::owner_user_id.eq(me.0))
                    .filter(pads::owner_space_id.is_null()),
            };
            q = if trash {
                q.filter(pads::deleted_at.is_not_null())
            } else {
                q.filter(pads::deleted_at.is_null())
            };
            q = q.filter(pads::expires_at.is_null().or(pads::expires_at.gt(now)));
            Ok::<_, PadsError>(q.order(pads::updated_at.desc()).load(conn)?)
        })
        .await?;
    let viewer = super::Viewer {
        user: Some(super::SignedIn::from(&user)),
        space_role: role,
    };
    let opened: Vec<Opened> = rows
        .into_iter()
        .filter_map(|row| {
            let access = super::rules::access(&row, super::Via::EditId, &viewer, now)?;
            let can_manage = super::rules::can_manage(&row, access, &viewer);
            // Only managers see (and can restore) what is in the trash.
            (!trash || can_manage).then_some(Opened {
                row,
                access,
                can_manage,
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(views(&pads, opened).await?))
}

/// Opens a pad for one of its managers; 403 `forbidden` for those who may only open it.
pub(crate) async fn open_to_manage(
    pads: &Pads,
    id: &str,
    user: Option<&CurrentUser>,
    include_trashed: bool,
) -> Result<Opened> {
    let opened = open(pads, id, user, include_trashed).await?;
    if opened.can_manage {
        Ok(opened)
    } else {
        Err(PadsError::Forbidden)
    }
}

/// Opens a pad for someone who may edit it; 403 `forbidden` for read-only callers.
pub(crate) async fn open_to_edit(
    pads: &Pads,
    id: &str,
    user: Option<&CurrentUser>,
) -> Result<Opened> {
    let opened = open(pads, id, user, false).await?;
    if opened.access == Access::Edit {
        Ok(opened)
    } else {
        Err(PadsError::Forbidden)
    }
}

/// Opens a pad by edit or read id, for whoever may.
pub(crate) async fn open(
    pads: &Pads,
    id: &str,
    user: Option<&CurrentUser>,
    include_trashed: bool,
) -> Result<Opened> {
    let id = PadId::parse(id).ok_or(PadsError::NotFound)?;
    let user = user.map(super::SignedIn::from);
    let spaces = pads.spaces().clone();
    let now = maille_database::now();
    pads.database()
        .run(move |conn| super::open(conn, &spaces, &id, user, now, include_trashed))
        .await?
        .ok_or(PadsError::NotFound)
}

/// A pad, by its edit id or read id, with what I may do with it.
#[utoipa::path(get, path = "/api/pads/{id}", tag = "pads",
    params(("id" = String, Path, description = "the pad's edit id or read id")),
    responses((status = 200, body = PadView), (status = 404, body = maille_http::ErrorBody)))]
#[get("/api/pads/{id}")]
pub async fn get_pad(
    pads: web::Data<Pads>,
    user: OptionalUser,
    path: web::Path<String>,
) -> Result<HttpResponse> {
    let opened = open(&pads, &path, user.0.as_ref(), true).await?;
    Ok(HttpResponse::Ok().json(view(&pads, opened).await?))
}

/// Changes to a pad.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdatePad {
    /// Title: at most 200 characters.
    pub title: Option<String>,
    /// Who may open it.
    pub visibility: Option<Visibility>,
    /// When it is deleted for good, counted from now.
    pub expires_in: Option<ExpiresIn>,
    /// Whether it keeps its full history from now on.
    pub history: Option<bool>,
}

/// Renames a pad, or changes its visibility, expiry or history (its managers).
#[utoipa::path(patch, path = "/api/pads/{id}", tag = "pads", request_body = UpdatePad,
    params(("id" = String, Path, description = "the pad's edit id or read id")),
    responses((status = 200, body = PadView), (status = 403, body = maille_http::ErrorBody),
              (status = 404, body = maille_http::ErrorBody), (status = 422, body = maille_http::ErrorBody)))]
#[patch("/api/pads/{id}")]
pub async fn update_pad(
    pads: web::Data<Pads>,
    user: OptionalUser,
    path: web::Path<String>,
    body: web::Json<UpdatePad>,
) -> Result<HttpResponse> {
    let body = body.into_inner();
    let title = body.title.as_deref().map(check_title).transpose()?;
    let opened = open_to_manage(&pads, &path, user.0.as_ref(), false).await?;
    if let Some(visibility) = body.visibility {
        let ownerless = opened.row.owner() == Owner::Nobody;
        if ownerless && matches!(visibility, Visibility::Private | Visibility::Instance) {
            return Err(PadsError::invalid(
                "visibility",
                "a pad that belongs to nobody can only be link or public",
            ));
        }
    }
    let now = maille_database::now();
    let mut row = opened.row.clone();
    if let Some(title) = title {
        row.title = title;
    }
    let visibility_changed = body
        .visibility
        .is_some_and(|v| v.code() != opened.row.visibility);
    if let Some(visibility) = body.visibility {
        row.visibility = visibility.code().to_owned();
    }
    if let Some(expires_in) = body.expires_in {
        row.expires_at = expires_in.at(now);
    }
    if let Some(history) = body.history {
        row.history = history;
    }
    row.updated_at = now;
    let stored = row.clone();
    let before = opened.row.clone();
    let announced = pads
        .database()
        .transaction(move |conn| {
            diesel::update(pads::table.find(&stored.id))
                .set((
                    pads::title.eq(&stored.title),
                    pads::visibility.eq(&stored.visibility),
                    pads::expires_at.eq(stored.expires_at),
                    pads::history.eq(stored.history),
                    pads::updated_at.eq(stored.updated_at),
                ))
                .execute(conn)?;
            super::public::changed(conn, Some(&before), Some(&stored), now)
        })
        .await?;
    if announced {
        pads.database().notify_outbox();
    }
    if visibility_changed {
        // Connections were allowed under the old rules: they reconnect under the new ones.
        pads.live()
            .evict(&row.pad_id(), "the pad's visibility changed")
            .await;
    }
    let opened = Opened { row, ..opened };
    Ok(HttpResponse::Ok().json(view(&pads, opened).await?))
}

/// Moves a pad to the trash (its managers): nobody can open it until it is restored, and it
/// is deleted for good after `pads.trash_days` days.
#[utoipa::path(delete, path = "/api/pads/{id}", tag = "pads",
    params(("id" = String, Path, description = "the pad's edit id or read id")),
    responses((status = 204), (status = 403, body = maille_http::ErrorBody),
              (status = 404, body = maille_http::ErrorBody)))]
#[delete("/api/pads/{id}")]
pub async fn delete_pad(
    pads: web::Data<Pads>,
    user: OptionalUser,
    path: web::Path<String>,
) -> Result<HttpResponse> {
    let opened = open_to_manage(&pads, &path, user.0.as_ref(), false).await?;
    let now = maille_database::now();
    let id = opened.row.id.clone();
    let before = opened.row.clone();
    let announced = pads
        .database()
        .transaction(move |conn| {
            diesel::update(pads::table.find(&id))
                .set(pads::deleted_at.eq(now))
                .execute(conn)?;
            super::public::changed(conn, Some(&before), None, now)
        })
        .await?;
    if announced {
        pads.database().notify_outbox();
    }
    pads.live()
        .evict(&opened.row.pad_id(), "the pad was deleted")
        .await;
    tracing::info!(pad = %super::log_tag(&opened.row.id), "pad moved to the trash");
    Ok(HttpResponse::NoContent().finish())
}

/// Takes a pad out of the trash (its managers, with its edit id).
#[utoipa::path(post, path = "/api/pads/{id}/restore", tag = "pads",
    params(("id" = String, Path, description = "the pad's edit id")),
    responses((status = 200, body = PadView), (status = 403, body = maille_http::ErrorBody),
              (status = 404, body = maille_http::ErrorBody)))]
#[post("/api/pads/{id}/restore")]
pub async fn restore_pad(
    pads: web::Data<Pads>,
    user: OptionalUser,
    path: web::Path<String>,
) -> Result<HttpResponse> {
    let opened = open_to_manage(&pads, &path, user.0.as_ref(), true).await?;
    let now = maille_database::now();
    let id = opened.row.id.clone();
    let mut row = opened.row.clone();
    row.deleted_at = None;
    row.updated_at = now;
    let restored = row.clone();
    let announced = pads
        .database()
        .transaction(move |conn| {
            diesel::update(pads::table.find(&id))
                .set((
                    pads::deleted_at.eq(None::<UnixTime>),
                    pads::updated_at.eq(now),
                ))
                .execute(conn)?;
            super::public::changed(conn, None, Some(&restored), now)
        })
        .await?;
    if announced {
        pads.database().notify_outbox();
    }
    let opened = Opened { row, ..opened };
    Ok(HttpResponse::Ok().json(view(&pads, opened).await?))
}

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(create_pad)
        .service(list_pads)
        .service(get_pad)
        .service(update_pad)
        .service(delete_pad)
        .service(restore_pad);
}
