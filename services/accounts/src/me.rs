//! My account: profile, password, email address, sessions, export and deletion.

use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};
use diesel::prelude::*;
use maille_config::Language;
use maille_database::schema::{invites, users};
use maille_mail::Email;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::account_tokens::{self, Purpose};
use crate::error::{AccountsError, Result};
use crate::login::{check_credentials, open_session};
use crate::sessions::{self, CurrentUser, SessionInfo};
use crate::users::{self as accounts_users, Me};
use crate::{password, Accounts};

/// My account.
#[utoipa::path(get, path = "/api/accounts/me", tag = "accounts", responses((status = 200, body = Me)))]
#[get("/api/accounts/me")]
pub async fn get_me(accounts: web::Data<Accounts>, user: CurrentUser) -> Result<HttpResponse> {
    let id = user.id;
    let row = accounts
        .database()
        .run(move |conn| accounts_users::find(conn, id)?.ok_or(AccountsError::NotAuthenticated))
        .await?;
    Ok(HttpResponse::Ok().json(Me::from(&row)))
}

/// Profile changes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMe {
    /// Name shown to others.
    pub display_name: Option<String>,
    /// `fr` or `en`.
    pub language: Option<String>,
}

/// Changes my display name or language.
#[utoipa::path(patch, path = "/api/accounts/me", tag = "accounts", request_body = UpdateMe,
    responses((status = 200, body = Me), (status = 422, body = maille_http::ErrorBody)))]
#[patch("/api/accounts/me")]
pub async fn update_me(
    accounts: web::Data<Accounts>,
    user: CurrentUser,
    body: web::Json<UpdateMe>,
) -> Result<HttpResponse> {
    let body = body.into_inner();
    let display_name = body
        .display_name
        .as_deref()
        .map(accounts_users::check_display_name)
        .transpose()?;
    let language = match body.language.as_deref() {
        Some(code) => Some(
            Language::parse(code)
                .ok_or_else(|| AccountsError::invalid("language", "use fr or en"))?,
        ),
        None => None,
    };
    let id = user.id;
    let now = maille_database::now();
    let row = accounts
        .database()
        .transaction(move |conn| {
            if let Some(name) = display_name {
                diesel::update(users::table.find(id.0))
                    .set((users::display_name.eq(name), users::updated_at.eq(now)))
                    .execute(conn)?;
            }
            if let Some(language) = language {
                diesel::update(users::table.find(id.0))
                    .set((
                        users::language.eq(language.code()),
                        users::updated_at.eq(now),
                    ))
                    .execute(conn)?;
            }
            accounts_users::find(conn, id)?.ok_or(AccountsError::NotAuthenticated)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Me::from(&row)))
}

/// A password change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePassword {
    /// The password in use now.
    pub current_password: String,
    /// The new one.
    pub new_password: String,
}

fn address(req: &HttpRequest) -> Option<std::net::IpAddr> {
    maille_http::ClientAddress::of(req).0
}

/// Changes my password after checking the current one. Every session ends, this one included;
/// a new session replaces it in the answer.
#[utoipa::path(post, path = "/api/accounts/me/password", tag = "accounts", request_body = ChangePassword,
    responses((status = 200, body = crate::login::SessionBody), (status = 401, body = maille_http::ErrorBody),
              (status = 422, body = maille_http::ErrorBody)))]
#[post("/api/accounts/me/password")]
pub async fn change_password(
    accounts: web::Data<Accounts>,
    req: HttpRequest,
    user: CurrentUser,
    body: web::Json<ChangePassword>,
) -> Result<HttpResponse> {
    let body = body.into_inner();
    password::check_policy(&body.new_password, &user.username, &user.email)?;
    let row = check_credentials(
        &accounts,
        address(&req),
        user.username.clone(),
        body.current_password,
    )
    .await?;
    let new_password = body.new_password;
    let hash = password::off_thread(move || password::hash(&new_password)).await??;
    let id = user.id;
    let now = maille_database::now();
    accounts
        .database()
        .transaction(move |conn| {
            diesel::update(users::table.find(id.0))
                .set((users::password_hash.eq(&hash), users::updated_at.eq(now)))
                .execute(conn)?;
            sessions::close_all(conn, id)?;
            Ok::<_, AccountsError>(())
        })
        .await?;
    let settings = accounts.settings();
    accounts.send_later(
        row.email.clone(),
        row.language(settings.default_language),
        Email::PasswordChanged {
            display_name: row.display_name.clone(),
        },
    );
    open_session(&accounts, &req, row).await
}

/// An email change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeEmail {
    /// The password in use now.
    pub current_password: String,
    /// The new address.
    pub new_email: String,
}

/// Asks to change my address: a confirmation link goes to the new one, which takes effect when
/// the link is opened.
#[utoipa::path(post, path = "/api/accounts/me/email", tag = "accounts", request_body = ChangeEmail,
    responses((status = 202), (status = 401, body = maille_http::ErrorBody), (status = 422, body = maille_http::ErrorBody)))]
#[post("/api/accounts/me/email")]
pub async fn change_email(
    accounts: web::Data<Accounts>,
    req: HttpRequest,
    user: CurrentUser,
    body: web::Json<ChangeEmail>,
) -> Result<HttpResponse> {
    let body = body.into_inner();
    let new_email = accounts_users::normalize_email(&body.new_email)?;
    let row = check_credentials(
        &accounts,
        address(&req),
        user.username.clone(),
        body.current_password,
    )
    .await?;
    let settings = accounts.settings_arc();
    let validity =
        i64::try_from(settings.accounts.email_verification_validity_hours * 3600).unwrap_or(86_400);
    let now = maille_database::now();
    let id = user.id;
    let target = new_email.clone();
    let token = accounts
        .database()
        .transaction(move |conn| {
            // An address already in use gets no link, and the answer stays the same.
            if accounts_users::find_by_email(conn, &target)?.is_some() {
                return Ok::<_, AccountsError>(None);
            }
            Ok(Some(account_tokens::issue(
                conn,
                id,
                Purpose::ChangeEmail,
                &target,
                validity,
                now,
            )?))
        })
        .await?;
    if let Some(token) = token {
        accounts.send_later(
            new_email,
            row.language(settings.default_language),
            Email::ConfirmEmailChange {
                display_name: row.display_name.clone(),
                link: settings.link(&format!("/confirm-email?token={token}")),
                valid_hours: settings.accounts.email_verification_validity_hours,
            },
        );
    }
    Ok(HttpResponse::Accepted().finish())
}

/// Confirms a new address with the link sent to it.
#[utoipa::path(post, path = "/api/accounts/confirm-email", tag = "accounts", request_body = crate::signup::TokenRequest,
    responses((status = 200, body = Me), (status = 400, body = maille_http::ErrorBody), (status = 409, body = maille_http::ErrorBody)))]
#[post("/api/accounts/confirm-email")]
pub async fn confirm_email(
    accounts: web::Data<Accounts>,
    body: web::Json<crate::signup::TokenRequest>,
) -> Result<HttpResponse> {
    let token = body.into_inner().token;
    let now = maille_database::now();
    let row = accounts
        .database()
        .transaction(move |conn| {
            let redeemed = account_tokens::redeem(conn, &token, Purpose::ChangeEmail, now)?;
            if accounts_users::find_by_email(conn, &redeemed.email)?.is_some() {
                return Err(AccountsError::EmailTaken);
            }
            diesel::update(users::table.find(redeemed.user.0))
                .set((
                    users::email.eq(&redeemed.email),
                    users::email_verified.eq(true),
                    users::updated_at.eq(now),
                ))
                .execute(conn)?;
            accounts_users::find(conn, redeemed.user)?.ok_or(AccountsError::InvalidToken)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Me::from(&row)))
}

/// My sessions.
#[utoipa::path(get, path = "/api/accounts/me/sessions", tag = "accounts", responses((status = 200, body = [SessionInfo])))]
#[get("/api/accounts/me/sessions")]
pub async fn list_sessions(
    accounts: web::Data<Accounts>,
    user: CurrentUser,
) -> Result<HttpResponse> {
    let id = user.id;
    let rows = accounts
        .database()
        .run(move |conn| sessions::list(conn, id))
        .await?;
    let list: Vec<SessionInfo> = rows
        .into_iter()
        .map(|s| SessionInfo {
            id: s.id.to_string(),
            created_at: s.created_at,
            last_seen_at: s.last_seen_at,
            user_agent: s.user_agent,
            ip: s.address,
            current: s.id == user.session_id,
        })
        .collect();
    Ok(HttpResponse::Ok().json(list))
}

/// Ends one of my sessions.
#[utoipa::path(delete, path = "/api/accounts/me/sessions/{id}", tag = "accounts",
    params(("id" = String, Path, description = "session id")),
    responses((status = 204), (status = 404, body = maille_http::ErrorBody)))]
#[delete("/api/accounts/me/sessions/{id}")]
pub async fn revoke_session(
    accounts: web::Data<Accounts>,
    user: CurrentUser,
    path: web::Path<i64>,
) -> Result<HttpResponse> {
    let id = user.id;
    let session = path.into_inner();
    let found = accounts
        .database()
        .run(move |conn| sessions::revoke(conn, id, session))
        .await?;
    if found {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(AccountsError::NotFound)
    }
}

/// Everything Maille holds about me, as one JSON document (GDPR articles 15 and 20).
#[utoipa::path(get, path = "/api/accounts/me/export", tag = "accounts", responses((status = 200, description = "JSON export")))]
#[get("/api/accounts/me/export")]
pub async fn export(accounts: web::Data<Accounts>, user: CurrentUser) -> Result<HttpResponse> {
    let id = user.id;
    let sources = accounts.personal_data_sources();
    let now = maille_database::now();
    let document = accounts
        .database()
        .run(move |conn| {
            let me = accounts_users::find(conn, id)?.ok_or(AccountsError::NotAuthenticated)?;
            let sessions: Vec<serde_json::Value> = sessions::list(conn, id)?
                .into_iter()
                .map(|s| {
                    serde_json::json!({
                        "created_at": s.created_at, "last_seen_at": s.last_seen_at,
                        "expires_at": s.expires_at, "user_agent": s.user_agent, "address": s.address,
                    })
                })
                .collect();
            let my_invites: Vec<(String, i32, Option<i32>, i64)> = invites::table
                .filter(invites::created_by.eq(id.0))
                .select((invites::code, invites::uses, invites::max_uses, invites::created_at))
                .load(conn)?;
            let mut document = serde_json::json!({
                "format": "maille-personal-data/1",
                "exported_at": now,
                "account": {
                    "id": me.id.to_string(), "username": me.username, "email": me.email,
                    "email_verified": me.email_verified, "display_name": me.display_name,
                    "language": me.language, "role": me.role, "approved": me.approved,
                    "disabled": me.disabled, "registration_reason": me.registration_reason,
                    "created_at": me.created_at, "updated_at": me.updated_at,
                    "last_login_at": me.last_login_at,
                    "password": "stored only as an argon2id hash, not exported",
                },
                "sessions": sessions,
                "invites_created": my_invites.into_iter().map(|(code, uses, max_uses, created_at)| {
                    serde_json::json!({"code": code, "uses": uses, "max_uses": max_uses, "created_at": created_at})
                }).collect::<Vec<_>>(),
            });
            for source in &sources {
                document[source.section()] = source.export(conn, id)?;
            }
            Ok::<_, AccountsError>(document)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"maille-{}.json\"", user.username),
        ))
        .insert_header(("Cache-Control", "no-store"))
        .json(document))
}

/// Confirmation of a deletion.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteMe {
    /// My password (an account of this instance).
    #[serde(default)]
    pub password: Option<String>,
    /// My handle, `name@host`, typed again (someone of another instance, who has no password
    /// here: their sign-in with their home instance must be recent instead).
    #[serde(default)]
    pub confirm: Option<String>,
}

/// How recent the sign-in of someone of another instance must be for them to delete their
/// account here: their home instance's confirmation stands for the password they do not have.
pub const REMOTE_DELETION_SIGN_IN_SECONDS: i64 = 15 * 60;

/// Deletes my account and what Maille holds about me (GDPR article 17). Refused with 409
/// `sole_owner` while I am the only owner of a space. My username stays reserved so that
/// nobody can take it over; someone of another instance confirms with their handle and a
/// sign-in of the last 15 minutes (401 `sign_in_again` otherwise), and their `name@host`
/// is released, since only their home instance can vouch for that name.
#[utoipa::path(delete, path = "/api/accounts/me", tag = "accounts", request_body = DeleteMe,
    responses((status = 204), (status = 422, body = maille_http::ErrorBody),
        (status = 401, body = maille_http::ErrorBody), (status = 409, body = maille_http::ErrorBody)))]
#[delete("/api/accounts/me")]
pub async fn delete_me(
    accounts: web::Data<Accounts>,
    req: HttpRequest,
    user: CurrentUser,
    body: web::Json<DeleteMe>,
) -> Result<HttpResponse> {
    let body = body.into_inner();
    if user.remote {
        let typed = body.confirm.unwrap_or_default();
        if !typed
            .trim()
            .trim_start_matches('@')
            .eq_ignore_ascii_case(&user.username)
        {
            return Err(AccountsError::invalid(
                "confirm",
                "type your handle, name@host, to confirm",
            ));
        }
        let session = user.session_id;
        let signed_in_at: i64 = accounts
            .database()
            .run(move |conn| {
                Ok::<_, AccountsError>(
                    maille_database::schema::sessions::table
                        .find(session)
                        .select(maille_database::schema::sessions::created_at)
                        .first(conn)?,
                )
            })
            .await?;
        if maille_database::now() - signed_in_at > REMOTE_DELETION_SIGN_IN_SECONDS {
            return Err(AccountsError::SignInAgain);
        }
    } else {
        let Some(password) = body.password else {
            return Err(AccountsError::invalid(
                "password",
                "your password is needed",
            ));
        };
        check_credentials(&accounts, address(&req), user.username.clone(), password).await?;
    }
    delete_account(&accounts, user.id).await?;
    tracing::info!(user = %user.id, "account deleted by its owner");
    Ok(HttpResponse::NoContent()
        .cookie(sessions::removal_cookie(accounts.settings()))
        .finish())
}

/// Deletes an account and every service's data about it, in one transaction.
pub(crate) async fn delete_account(accounts: &Accounts, id: crate::UserId) -> Result<()> {
    let sources = accounts.personal_data_sources();
    accounts
        .database()
        .transaction(move |conn| {
            let mut blockers = Vec::new();
            for source in &sources {
                blockers.extend(source.deletion_blockers(conn, id)?);
            }
            if !blockers.is_empty() {
                return Err(AccountsError::SoleOwner(blockers));
            }
            for source in &sources {
                source.delete(conn, id)?;
            }
            diesel::update(invites::table.filter(invites::created_by.eq(id.0)))
                .set(invites::created_by.eq(None::<i64>))
                .execute(conn)?;
            // Someone of another instance: their `name@host` is theirs by their home
            // instance's word, not ours to keep reserved; they may come back.
            let (username, remote_actor): (String, Option<String>) = users::table
                .find(id.0)
                .select((users::username, users::remote_actor_id))
                .first(conn)?;
            diesel::delete(users::table.find(id.0)).execute(conn)?;
            if remote_actor.is_some() {
                diesel::delete(
                    maille_database::schema::handles::table
                        .filter(maille_database::schema::handles::handle.eq(&username)),
                )
                .execute(conn)?;
            }
            Ok(())
        })
        .await
}

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(get_me)
        .service(update_me)
        .service(change_password)
        .service(change_email)
        .service(confirm_email)
        .service(list_sessions)
        .service(revoke_session)
        .service(export)
        .service(delete_me);
}
