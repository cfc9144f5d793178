//! The rooms' REST API: create, list, read, change and delete rooms.

use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};
use diesel::prelude::*;
use maille_accounts::{OptionalUser, UserId};
use maille_database::schema::{room_moderators, rooms};
use maille_spaces::SpaceId;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{Asker, Owner, RoomId, RoomRow};
use crate::error::{Result, RoomsError};
use crate::Rooms;

const NAME_MAX_CHARS: usize = 100;
const PASSWORD_MAX_CHARS: usize = 128;
/// Header carrying an anonymous room's moderator key.
pub const KEY_HEADER: &str = "x-room-key";

/// Whom a room belongs to, as shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum RoomOwner {
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
    /// Nobody (an anonymous room).
    None,
}

/// A room, as anyone holding its id sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RoomView {
    /// Id (the room's link is `/rooms/{id}`).
    pub id: String,
    /// Name shown.
    pub name: String,
    /// Whom it belongs to.
    pub owner: RoomOwner,
    /// Whether joining needs a password.
    pub has_password: bool,
    /// Whether newcomers wait in a lobby until a moderator admits them.
    pub lobby: bool,
    /// Whether newcomers are refused.
    pub locked: bool,
    /// Whether it is public: announced to the followers of its owner (user or space).
    pub public: bool,
    /// Most participants at once.
    pub max_participants: u32,
    /// Participants in the room now.
    pub participants: u32,
    /// Whether the asker moderates it (may change or delete it).
    pub can_moderate: bool,
    /// Usernames of the moderators the owner named (shown to moderators only).
    pub moderators: Vec<String>,
    /// Creation time.
    pub created_at: i64,
    /// The key that moderates this anonymous room: given once, at creation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub moderator_key: Option<String>,
}

pub(crate) async fn view(rooms: &Rooms, row: RoomRow, asker: &Asker) -> Result<RoomView> {
    let can_moderate = super::is_moderator(&row, asker);
    let room_id = row.room_id();
    let owner = row.owner();
    let accounts = rooms.accounts().clone();
    let (owner_name, moderators, public) = rooms
        .database()
        .run(move |conn| {
            let public = super::public::is_public(conn, room_id.as_str())?;
            let named = super::named_moderators(conn, &room_id)?;
            let mut wanted = named.clone();
            if let Owner::User(u) = owner {
                wanted.push(u);
            }
            let users = accounts.users_blocking(conn, &wanted)?;
            let name_of = |id: UserId| {
                users
                    .iter()
                    .find(|u| u.id == id)
                    .map(|u| u.username.clone())
                    .unwrap_or_default()
            };
            let owner_name = match owner {
                Owner::User(u) => name_of(u),
                _ => String::new(),
            };
            let moderators: Vec<String> = named.into_iter().map(name_of).collect();
            Ok::<_, RoomsError>((owner_name, moderators, public))
        })
        .await?;
    let owner = match owner {
        Owner::User(_) => RoomOwner::User {
            username: owner_name,
        },
        Owner::Space(space) => RoomOwner::Space {
            handle: rooms
                .spaces()
                .space(space)
                .await?
                .map(|s| s.handle)
                .unwrap_or_default(),
        },
        Owner::Nobody => RoomOwner::None,
    };
    let participants = rooms.meetings().participant_count(&row.room_id());
    Ok(RoomView {
        id: row.id,
        name: row.name,
        owner,
        has_password: row.password_hash.is_some(),
        lobby: row.lobby,
        locked: row.locked,
        public,
        max_participants: u32::try_from(row.max_participants).unwrap_or(0),
        participants: u32::try_from(participants).unwrap_or(u32::MAX),
        can_moderate,
        moderators: if can_moderate { moderators } else { Vec::new() },
        created_at: row.created_at,
        moderator_key: None,
    })
}

fn check_name(name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > NAME_MAX_CHARS {
        return Err(RoomsError::invalid("name", "1 to 100 characters"));
    }
    if name.chars().any(char::is_control) {
        return Err(RoomsError::invalid("name", "no control characters"));
    }
    Ok(name.to_owned())
}

fn check_password(password: &str) -> Result<()> {
    if password.is_empty() || password.chars().count() > PASSWORD_MAX_CHARS {
        return Err(RoomsError::invalid("password", "1 to 128 characters"));
    }
    Ok(())
}

fn check_max(rooms: &Rooms, max: u32) -> Result<i64> {
    let cap = rooms.settings().rooms.max_participants;
    if !(2..=cap).contains(&max) {
        return Err(RoomsError::invalid(
            "max_participants",
            format!("between 2 and {cap}"),
        ));
    }
    Ok(i64::from(max))
}

/// A new room.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRoom {
    /// Name: 1 to 100 characters.
    pub name: String,
    /// Handle of the space that will own it (any member may create one).
    pub space: Option<String>,
    /// A password to join (1 to 128 characters); none by default.
    pub password: Option<String>,
    /// Whether newcomers wait in a lobby until a moderator admits them (default false).
    pub lobby: Option<bool>,
    /// Most participants at once (default 50, at most the instance's `rooms.max_participants`).
    pub max_participants: Option<u32>,
    /// Whether it is public: announced to the followers of its owner (default false; rooms of
    /// a user or a space only).
    pub public: Option<bool>,
}

/// Creates a room, owned by me, by a space of mine, or (not logged in, when the instance
/// allows anonymous rooms) by nobody: then the answer carries the `moderator_key` that
/// moderates it, given only this once.
#[utoipa::path(post, path = "/api/rooms", tag = "rooms", request_body = CreateRoom,
    responses((status = 201, body = RoomView), (status = 401, body = maille_http::ErrorBody),
              (status = 422, body = maille_http::ErrorBody)))]
#[post("/api/rooms")]
pub async fn create_room(
    rooms: web::Data<Rooms>,
    user: OptionalUser,
    body: web::Json<CreateRoom>,
) -> Result<HttpResponse> {
    let body = body.into_inner();
    let name = check_name(&body.name)?;
    if let Some(password) = &body.password {
        check_password(password)?;
    }
    let default_max = rooms.settings().rooms.max_participants.min(50);
    let max_participants = check_max(&rooms, body.max_participants.unwrap_or(default_max))?;
    let user_id = user.0.as_ref().map(|u| u.id);
    let (owner_user_id, owner_space_id) = match (user_id, body.space) {
        (None, Some(_)) => return Err(RoomsError::NotAuthenticated),
        (None, None) if !rooms.settings().rooms.anonymous_rooms => {
            return Err(RoomsError::NotAuthenticated)
        }
        (None, None) => (None, None),
        (Some(me), None) => (Some(me.0), None),
        (Some(me), Some(handle)) => {
            let space = rooms
                .spaces()
                .find_by_handle(&handle)
                .await?
                .ok_or_else(|| RoomsError::invalid("space", "no such space of yours"))?;
            if rooms.spaces().role_of(space.id, me).await?.is_none() {
                return Err(RoomsError::invalid("space", "no such space of yours"));
            }
            (None, Some(space.id.0))
        }
    };
    let password_hash = match body.password {
        Some(password) => Some(
            web::block(move || super::hash_password(&password))
                .await
                .map_err(|e| RoomsError::Internal(e.to_string()))??,
        ),
        None => None,
    };
    let key = (owner_user_id.is_none() && owner_space_id.is_none()).then(super::moderator_key);
    let now = maille_database::now();
    let row = RoomRow {
        id: RoomId::generate().0,
        name,
        owner_user_id,
        owner_space_id,
        created_by: user_id.map(|u| u.0),
        password_hash,
        moderator_key_hash: key.as_ref().map(|(_, digest)| digest.clone()),
        lobby: body.lobby.unwrap_or(false),
        max_participants,
        locked: false,
        created_at: now,
        updated_at: now,
    };
    let public = body.public.unwrap_or(false);
    if public && owner_user_id.is_none() && owner_space_id.is_none() {
        return Err(RoomsError::invalid(
            "public",
            "only rooms of a user or a space can be public",
        ));
    }
    let inserted = row.clone();
    let announced = rooms
        .database()
        .transaction(move |conn| {
            diesel::insert_into(rooms::table)
                .values(&inserted)
                .execute(conn)?;
            if public {
                super::public::set(conn, &inserted.id, true)?;
            }
            super::public::changed(conn, None, Some((&inserted, public)), now)
        })
        .await?;
    if announced {
        rooms.database().notify_outbox();
    }
    tracing::info!(room = %row.room_id().log_tag(), user = ?user_id.map(|u| u.0), "room created");
    let space_role = match (row.owner(), user_id) {
        (Owner::Space(space), Some(me)) => rooms.spaces().role_of(space, me).await?,
        _ => None,
    };
    let asker = Asker {
        user: user_id,
        space_role,
        named: false,
        holds_key: key.is_some(),
    };
    let mut view = view(&rooms, row, &asker).await?;
    view.moderator_key = key.map(|(key, _)| key);
    Ok(HttpResponse::Created().json(view))
}

/// Which rooms to list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// A space's rooms (members only) rather than mine.
    pub space: Option<String>,
}

/// My rooms (those I own or was named moderator of), or a space's, newest first.
#[utoipa::path(get, path = "/api/rooms", tag = "rooms", params(ListQuery),
    responses((status = 200, body = [RoomView]), (status = 401, body = maille_http::ErrorBody),
              (status = 404, body = maille_http::ErrorBody)))]
#[get("/api/rooms")]
pub async fn list_rooms(
    rooms: web::Data<Rooms>,
    user: maille_accounts::CurrentUser,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse> {
    let me = user.id;
    let space: Option<SpaceId> = match &query.space {
        Some(handle) => {
            let space = rooms
                .spaces()
                .find_by_handle(handle)
                .await?
                .ok_or(RoomsError::NotFound)?;
            rooms
                .spaces()
                .role_of(space.id, me)
                .await?
                .ok_or(RoomsError::NotFound)?;
            Some(space.id)
        }
        None => None,
    };
    let spaces = rooms.spaces().clone();
    let found: Vec<(RoomRow, Asker)> = rooms
        .database()
        .run(move |conn| {
            let rows: Vec<RoomRow> = match space {
                Some(space) => rooms::table
                    .filter(rooms::owner_space_id.eq(space.0))
                    .select(RoomRow::as_select())
                    .order(rooms::created_at.desc())
                    .load(conn)?,
                None => {
                    let named = room_moderators::table
                        .filter(room_moderators::user_id.eq(me.0))
                        .select(room_moderators::room_id);
                    rooms::table
                        .filter(
                            rooms::owner_user_id
                                .eq(me.0)
                                .and(rooms::owner_space_id.is_null())
                                .or(rooms::id.eq_any(named)),
                        )
                        .select(RoomRow::as_select())
                        .order(rooms::created_at.desc())
                        .load(conn)?
                }
            };
            rows.into_iter()
                .map(|row| {
                    let asker = super::asker(conn, &spaces, &row, Some(me), None)?;
                    Ok((row, asker))
                })
                .collect::<Result<Vec<_>>>()
        })
        .await?;
    let mut views = Vec::with_capacity(found.len());
    for (row, asker) in found {
        views.push(view(&rooms, row, &asker).await?);
    }
    Ok(HttpResponse::Ok().json(views))
}

/// The room `id` and who `user` (with the request's moderator key) is to it.
pub(crate) async fn open(
    rooms: &Rooms,
    id: &str,
    user: Option<UserId>,
    key: Option<String>,
) -> Result<(RoomRow, Asker)> {
    let id = RoomId::parse(id).ok_or(RoomsError::NotFound)?;
    let spaces = rooms.spaces().clone();
    rooms
        .database()
        .run(move |conn| {
            let row = super::find(conn, &id)?.ok_or(RoomsError::NotFound)?;
            let asker = super::asker(conn, &spaces, &row, user, key.as_deref())?;
            Ok((row, asker))
        })
        .await
}

fn key_of(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get(KEY_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// A room's public information: anyone holding its id may see it (to show the pre-join
/// screen).
#[utoipa::path(get, path = "/api/rooms/{id}", tag = "rooms",
    params(("id" = String, Path, description = "the room's id")),
    responses((status = 200, body = RoomView), (status = 404, body = maille_http::ErrorBody)))]
#[get("/api/rooms/{id}")]
pub async fn get_room(
    rooms: web::Data<Rooms>,
    user: OptionalUser,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse> {
    let (row, asker) = open(&rooms, &path, user.0.map(|u| u.id), key_of(&req)).await?;
    Ok(HttpResponse::Ok().json(view(&rooms, row, &asker).await?))
}

/// Changes to a room. `password`: a new one, or `""` to remove it.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateRoom {
    /// Name: 1 to 100 characters.
    pub name: Option<String>,
    /// A new password, or an empty string to remove it.
    pub password: Option<String>,
    /// Whether newcomers wait in a lobby.
    pub lobby: Option<bool>,
    /// Whether newcomers are refused.
    pub locked: Option<bool>,
    /// Most participants at once.
    pub max_participants: Option<u32>,
    /// Usernames of the moderators named by the owner (replaces the list; owner and space
    /// moderators only).
    pub moderators: Option<Vec<String>>,
    /// Whether it is public: announced to the followers of its owner (rooms of a user or a
    /// space only).
    pub public: Option<bool>,
}

/// Changes a room (its moderators; for an anonymous room, whoever sends its key in the
/// `X-Room-Key` header). People in the meeting see the change at once.
#[utoipa::path(patch, path = "/api/rooms/{id}", tag = "rooms", request_body = UpdateRoom,
    params(("id" = String, Path, description = "the room's id")),
    responses((status = 200, body = RoomView), (status = 403, body = maille_http::ErrorBody),
              (status = 404, body = maille_http::ErrorBody), (status = 422, body = maille_http::ErrorBody)))]
#[patch("/api/rooms/{id}")]
pub async fn update_room(
    rooms: web::Data<Rooms>,
    user: OptionalUser,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Json<UpdateRoom>,
) -> Result<HttpResponse> {
    let body = body.into_inner();
    let (mut row, asker) = open(&rooms, &path, user.0.map(|u| u.id), key_of(&req)).await?;
    if !super::is_moderator(&row, &asker) {
        return Err(RoomsError::Forbidden);
    }
    if let Some(name) = &body.name {
        row.name = check_name(name)?;
    }
    if let Some(max) = body.max_participants {
        row.max_participants = check_max(&rooms, max)?;
    }
    if let Some(lobby) = body.lobby {
        row.lobby = lobby;
    }
    if let Some(locked) = body.locked {
        row.locked = locked;
    }
    match body.password {
        Some(password) if password.is_empty() => row.password_hash = None,
        Some(password) => {
            check_password(&password)?;
            row.password_hash = Some(
                web::block(move || super::hash_password(&password))
                    .await
                    .map_err(|e| RoomsError::Internal(e.to_string()))??,
            );
        }
        None => {}
    }
    let moderators = match body.moderators {
        Some(names) => {
            // Named moderators may not name others: only the owner and space moderators.
            let named_only = asker.named
                && !super::is_moderator(
                    &row,
                    &Asker {
                        named: false,
                        ..asker.clone()
                    },
                );
            if named_only || row.owner() == Owner::Nobody {
                return Err(RoomsError::Forbidden);
            }
            if names.len() > 50 {
                return Err(RoomsError::invalid("moderators", "at most 50"));
            }
            let mut ids = Vec::with_capacity(names.len());
            for name in names {
                let found = rooms
                    .accounts()
                    .user_by_username(name.trim().to_lowercase())
                    .await?
                    .ok_or_else(|| RoomsError::invalid("moderators", format!("no user {name}")))?;
                if !ids.contains(&found.id) {
                    ids.push(found.id);
                }
            }
            Some(ids)
        }
        None => None,
    };
    if body.public == Some(true) && row.owner() == Owner::Nobody {
        return Err(RoomsError::invalid(
            "public",
            "only rooms of a user or a space can be public",
        ));
    }
    let now = maille_database::now();
    row.updated_at = now;
    let stored = row.clone();
    let public = body.public;
    let announced = rooms
        .database()
        .transaction(move |conn| {
            let before = super::find(conn, &stored.room_id())?;
            let was_public = super::public::is_public(conn, &stored.id)?;
            diesel::update(rooms::table.find(&stored.id))
                .set((
                    rooms::name.eq(&stored.name),
                    rooms::password_hash.eq(&stored.password_hash),
                    rooms::lobby.eq(stored.lobby),
                    rooms::locked.eq(stored.locked),
                    rooms::max_participants.eq(stored.max_participants),
                    rooms::updated_at.eq(stored.updated_at),
                ))
                .execute(conn)?;
            if let Some(ids) = moderators {
                diesel::delete(
                    room_moderators::table.filter(room_moderators::room_id.eq(&stored.id)),
                )
                .execute(conn)?;
                for id in ids {
                    diesel::insert_into(room_moderators::table)
                        .values((
                            room_moderators::room_id.eq(&stored.id),
                            room_moderators::user_id.eq(id.0),
                        ))
                        .execute(conn)?;
                }
            }
            let is_public = public.unwrap_or(was_public);
            if is_public != was_public {
                super::public::set(conn, &stored.id, is_public)?;
            }
            let before = before.as_ref().map(|r| (r, was_public));
            super::public::changed(conn, before, Some((&stored, is_public)), now)
        })
        .await?;
    if announced {
        rooms.database().notify_outbox();
    }
    rooms.meetings().room_changed(&row).await;
    Ok(HttpResponse::Ok().json(view(&rooms, row, &asker).await?))
}

/// Deletes a room (its moderators): a meeting in it ends for everyone.
#[utoipa::path(delete, path = "/api/rooms/{id}", tag = "rooms",
    params(("id" = String, Path, description = "the room's id")),
    responses((status = 204), (status = 403, body = maille_http::ErrorBody),
              (status = 404, body = maille_http::ErrorBody)))]
#[delete("/api/rooms/{id}")]
pub async fn delete_room(
    rooms: web::Data<Rooms>,
    user: OptionalUser,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse> {
    let (row, asker) = open(&rooms, &path, user.0.map(|u| u.id), key_of(&req)).await?;
    if !super::is_moderator(&row, &asker) {
        return Err(RoomsError::Forbidden);
    }
    let id = row.id.clone();
    let gone = row.clone();
    let announced = rooms
        .database()
        .transaction(move |conn| {
            let was_public = super::public::is_public(conn, &id)?;
            diesel::delete(rooms::table.find(&id)).execute(conn)?;
            super::public::changed(
                conn,
                Some((&gone, was_public)),
                None,
                maille_database::now(),
            )
        })
        .await?;
    if announced {
        rooms.database().notify_outbox();
    }
    rooms.meetings().end(&row.room_id()).await;
    tracing::info!(room = %row.room_id().log_tag(), "room deleted");
    Ok(HttpResponse::NoContent().finish())
}

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(create_room)
        .service(list_rooms)
        .service(get_room)
        .service(update_room)
        .service(delete_room);
}
