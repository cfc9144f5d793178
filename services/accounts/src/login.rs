//! Logging in and out, and the current session.

use std::net::IpAddr;
use std::time::Instant;

use actix_web::{delete, get, post, web, HttpRequest, HttpResponse};
use diesel::prelude::*;
use maille_database::schema::users;
use maille_http::ClientAddress;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{AccountsError, Result};
use crate::sessions::{self, CurrentUser};
use crate::users::{self as accounts_users, Me, UserRow};
use crate::{password, Accounts};

/// Credentials.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// Username or email address.
    pub login: String,
    /// Password.
    pub password: String,
}

/// A session as the client sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionBody {
    /// Who is logged in.
    pub user: Me,
    /// Send it back in `X-CSRF-Token` on every state-changing request.
    pub csrf_token: String,
}

/// The client's address as stored in session records.
pub(crate) fn record_address(req: &HttpRequest) -> String {
    ClientAddress::record_of(req)
}

pub(crate) fn user_agent(req: &HttpRequest) -> String {
    req.headers()
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned()
}

/// Checks a password for `login` off the executor, throttled per account and address;
/// unknown logins cost the same time as known ones.
pub(crate) async fn check_credentials(
    accounts: &Accounts,
    address: Option<IpAddr>,
    login: String,
    password_given: String,
) -> Result<UserRow> {
    let lookup = login.clone();
    let found = accounts
        .database()
        .run(move |conn| accounts_users::find_by_login(conn, &lookup))
        .await?;
    // The throttle's key is the account, however it was named (username or address).
    let key = match &found {
        Some(user) => format!("user:{}", user.id),
        None => format!("login:{}", login.trim().to_lowercase()),
    };
    let now = Instant::now();
    accounts
        .throttle()
        .check(&key, address, now)
        .map_err(|retry_after| AccountsError::Throttled { retry_after })?;
    let outcome = password::off_thread(move || match found {
        Some(user) if password::verify(&password_given, &user.password_hash) => Ok(user),
        Some(_) => Err(AccountsError::InvalidCredentials),
        None => {
            password::verify_dummy(&password_given);
            Err(AccountsError::InvalidCredentials)
        }
    })
    .await?;
    if matches!(outcome, Err(AccountsError::InvalidCredentials)) {
        accounts.throttle().failed(&key, address, Instant::now());
    }
    outcome
}

/// Opens a session for `user` and answers with it and its cookie.
pub(crate) async fn open_session(
    accounts: &Accounts,
    req: &HttpRequest,
    user: UserRow,
) -> Result<HttpResponse> {
    let (cookie, body) = start_session(accounts, req, user).await?;
    Ok(HttpResponse::Ok()
        .cookie(cookie)
        .insert_header(("Cache-Control", "no-store"))
        .json(body))
}

/// Opens a session for `user`: its cookie and what the client is told.
pub(crate) async fn start_session(
    accounts: &Accounts,
    req: &HttpRequest,
    user: UserRow,
) -> Result<(actix_web::cookie::Cookie<'static>, SessionBody)> {
    let settings = accounts.settings_arc();
    let agent = user_agent(req);
    let address = record_address(req);
    let now = maille_database::now();
    let id = user.user_id();
    let new = accounts
        .database()
        .run(move |conn| {
            let new = sessions::open(conn, &settings, id, &agent, &address, now)?;
            diesel::update(users::table.find(id.0))
                .set(users::last_login_at.eq(now))
                .execute(conn)?;
            Ok::<_, AccountsError>(new)
        })
        .await?;
    Ok((
        sessions::cookie(accounts.settings(), &new.token),
        SessionBody {
            user: Me::from(&user),
            csrf_token: new.csrf_token,
        },
    ))
}

/// Logs in. Whether the account exists is never told: an unknown login and a wrong password
/// get the same answer in the same time. Throttled per account and per client address.
#[utoipa::path(post, path = "/api/session", tag = "accounts", request_body = LoginRequest,
    responses((status = 200, body = SessionBody), (status = 401, body = maille_http::ErrorBody),
              (status = 403, body = maille_http::ErrorBody), (status = 429, body = maille_http::ErrorBody)))]
#[post("/api/session")]
pub async fn log_in(
    accounts: web::Data<Accounts>,
    req: HttpRequest,
    body: web::Json<LoginRequest>,
) -> Result<HttpResponse> {
    let body = body.into_inner();
    let login = body.login.trim().to_lowercase();
    if login.is_empty() || login.len() > 254 || body.password.len() > 1024 {
        return Err(AccountsError::InvalidCredentials);
    }
    let address = ClientAddress::of(&req).0;
    let user = match check_credentials(&accounts, address, login, body.password).await {
        Ok(user) => user,
        Err(error) => {
            match &error {
                AccountsError::InvalidCredentials => {
                    tracing::info!(client = %record_address(&req), "failed login")
                }
                AccountsError::Throttled { .. } => {
                    tracing::warn!(client = %record_address(&req), "login throttled")
                }
                _ => {}
            }
            return Err(error);
        }
    };
    if user.disabled {
        return Err(AccountsError::AccountDisabled);
    }
    if !user.email_verified {
        return Err(AccountsError::EmailNotVerified);
    }
    if !user.approved {
        return Err(AccountsError::PendingApproval);
    }
    open_session(&accounts, &req, user).await
}

/// The current session.
#[utoipa::path(get, path = "/api/session", tag = "accounts",
    responses((status = 200, body = SessionBody), (status = 401, body = maille_http::ErrorBody)))]
#[get("/api/session")]
pub async fn get_session(accounts: web::Data<Accounts>, user: CurrentUser) -> Result<HttpResponse> {
    let id = user.id;
    let row = accounts
        .database()
        .run(move |conn| accounts_users::find(conn, id)?.ok_or(AccountsError::NotAuthenticated))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(SessionBody {
            user: Me::from(&row),
            csrf_token: user.csrf_token,
        }))
}

/// Logs out: ends this session and removes the cookie.
#[utoipa::path(delete, path = "/api/session", tag = "accounts", responses((status = 204)))]
#[delete("/api/session")]
pub async fn log_out(
    accounts: web::Data<Accounts>,
    req: HttpRequest,
    _user: CurrentUser,
) -> Result<HttpResponse> {
    if let Some(token) = sessions::extract_token(&req, &accounts) {
        accounts
            .database()
            .run(move |conn| sessions::close(conn, &token))
            .await?;
    }
    Ok(HttpResponse::NoContent()
        .cookie(sessions::removal_cookie(accounts.settings()))
        .finish())
}

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(log_in).service(get_session).service(log_out);
}
