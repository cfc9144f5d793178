//! Sessions: random opaque tokens in a cookie, stored hashed, with idle and absolute timeouts.

mod extract;

use actix_web::cookie::{Cookie, SameSite};
use diesel::prelude::*;
use maille_config::Settings;
use maille_database::schema::{sessions, users};
use maille_database::{random_id, DbConnection, UnixTime};
use serde::Serialize;
use utoipa::ToSchema;

pub use extract::{session_token as extract_token, AdminUser, CurrentUser, OptionalUser};

use crate::error::Result;
use crate::secret_token;
use crate::users::{UserId, UserRow};

/// Name of the session cookie: `__Host-` prefixed (Secure, whole host, no Domain) when the
/// instance is served over https; plain on a development instance over http, where browsers
/// refuse `__Host-` cookies.
pub fn cookie_name(settings: &Settings) -> &'static str {
    if settings.is_https() {
        "__Host-maille_session"
    } else {
        "maille_session"
    }
}

/// The cookie carrying a new session's token.
pub fn cookie(settings: &Settings, token: &str) -> Cookie<'static> {
    let mut cookie = Cookie::build(cookie_name(settings), token.to_owned())
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(settings.is_https())
        .finish();
    cookie.set_max_age(actix_web::cookie::time::Duration::days(
        i64::try_from(settings.accounts.session_absolute_timeout_days).unwrap_or(30),
    ));
    cookie
}

/// A cookie that removes the session cookie.
pub fn removal_cookie(settings: &Settings) -> Cookie<'static> {
    let mut cookie = cookie(settings, "");
    cookie.make_removal();
    cookie
}

/// A session as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sessions)]
pub struct SessionRow {
    /// Id (shown in "my sessions").
    pub id: i64,
    /// SHA-256 of the token.
    pub token_hash: String,
    /// Whose.
    pub user_id: i64,
    /// Token the client must echo in `X-CSRF-Token`.
    pub csrf_token: String,
    /// Login time.
    pub created_at: UnixTime,
    /// Last use.
    pub last_seen_at: UnixTime,
    /// Absolute end.
    pub expires_at: UnixTime,
    /// Browser, as it described itself (shortened).
    pub user_agent: String,
    /// Client address at login (truncated by default).
    pub address: String,
}

/// A session in "my sessions".
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SessionInfo {
    /// Id, as a string.
    pub id: String,
    /// Login time.
    pub created_at: UnixTime,
    /// Last use.
    pub last_seen_at: UnixTime,
    /// Browser.
    pub user_agent: String,
    /// Address at login.
    pub ip: String,
    /// Whether this is the session making the request.
    pub current: bool,
}

/// A newly opened session: the token goes into the cookie, the CSRF token to the client.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// The secret for the cookie.
    pub token: String,
    /// The CSRF token.
    pub csrf_token: String,
}

/// Opens a session for `user`.
pub fn open(
    conn: &mut DbConnection,
    settings: &Settings,
    user: UserId,
    user_agent: &str,
    address: &str,
    now: UnixTime,
) -> Result<NewSession> {
    let token = secret_token::generate();
    let csrf_token = secret_token::generate();
    let lifetime = i64::try_from(
        settings
            .accounts
            .session_absolute_timeout_days
            .saturating_mul(86_400),
    )
    .unwrap_or(i64::MAX / 2);
    let user_agent: String = user_agent.chars().take(200).collect();
    diesel::insert_into(sessions::table)
        .values((
            sessions::id.eq(random_id()),
            sessions::token_hash.eq(secret_token::digest(&token)),
            sessions::user_id.eq(user.0),
            sessions::csrf_token.eq(&csrf_token),
            sessions::created_at.eq(now),
            sessions::last_seen_at.eq(now),
            sessions::expires_at.eq(now.saturating_add(lifetime)),
            sessions::user_agent.eq(user_agent),
            sessions::address.eq(address),
        ))
        .execute(conn)?;
    Ok(NewSession { token, csrf_token })
}

/// The live session and user for a cookie token, if any; touches `last_seen_at` (at most once a
/// minute, to spare the database).
pub fn resume(
    conn: &mut DbConnection,
    settings: &Settings,
    token: &str,
    now: UnixTime,
) -> Result<Option<(SessionRow, UserRow)>> {
    let found: Option<(SessionRow, UserRow)> = sessions::table
        .inner_join(users::table)
        .filter(sessions::token_hash.eq(secret_token::digest(token)))
        .select((SessionRow::as_select(), UserRow::as_select()))
        .first(conn)
        .optional()?;
    let Some((session, user)) = found else {
        return Ok(None);
    };
    let idle = i64::try_from(
        settings
            .accounts
            .session_idle_timeout_hours
            .saturating_mul(3600),
    )
    .unwrap_or(i64::MAX / 2);
    let expired = now >= session.expires_at || now >= session.last_seen_at.saturating_add(idle);
    if expired || user.disabled {
        diesel::delete(sessions::table.find(session.id)).execute(conn)?;
        return Ok(None);
    }
    if now - session.last_seen_at >= 60 {
        diesel::update(sessions::table.find(session.id))
            .set(sessions::last_seen_at.eq(now))
            .execute(conn)?;
    }
    Ok(Some((session, user)))
}

/// Ends one session by token (logout).
pub fn close(conn: &mut DbConnection, token: &str) -> Result<()> {
    diesel::delete(sessions::table.filter(sessions::token_hash.eq(secret_token::digest(token))))
        .execute(conn)?;
    Ok(())
}

/// Ends every session of `user` (password change, disable, delete).
pub fn close_all(conn: &mut DbConnection, user: UserId) -> Result<usize> {
    Ok(diesel::delete(sessions::table.filter(sessions::user_id.eq(user.0))).execute(conn)?)
}

/// `user`'s sessions, newest first.
pub fn list(conn: &mut DbConnection, user: UserId) -> Result<Vec<SessionRow>> {
    Ok(sessions::table
        .filter(sessions::user_id.eq(user.0))
        .order(sessions::last_seen_at.desc())
        .select(SessionRow::as_select())
        .load(conn)?)
}

/// Ends one of `user`'s sessions by id; false when there was none.
pub fn revoke(conn: &mut DbConnection, user: UserId, id: i64) -> Result<bool> {
    let deleted = diesel::delete(
        sessions::table
            .filter(sessions::id.eq(id))
            .filter(sessions::user_id.eq(user.0)),
    )
    .execute(conn)?;
    Ok(deleted > 0)
}

/// Deletes sessions past their timeouts and forgets addresses older than the log retention.
pub fn purge(conn: &mut DbConnection, settings: &Settings, now: UnixTime) -> Result<usize> {
    let idle = i64::try_from(
        settings
            .accounts
            .session_idle_timeout_hours
            .saturating_mul(3600),
    )
    .unwrap_or(i64::MAX / 2);
    let removed = diesel::delete(
        sessions::table.filter(
            sessions::expires_at
                .le(now)
                .or(sessions::last_seen_at.le(now - idle)),
        ),
    )
    .execute(conn)?;
    let retention = i64::from(settings.logging.retention_days) * 86_400;
    diesel::update(
        sessions::table
            .filter(sessions::created_at.le(now - retention))
            .filter(sessions::address.ne("")),
    )
    .set(sessions::address.eq(""))
    .execute(conn)?;
    Ok(removed)
}
