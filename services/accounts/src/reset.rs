//! Forgotten passwords: a single-use link by email, valid at most an hour.

use actix_web::{post, web, HttpResponse};
use diesel::prelude::*;
use maille_database::schema::users;
use maille_mail::Email;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::account_tokens::{self, Purpose};
use crate::error::{AccountsError, Result};
use crate::{password, sessions, users as accounts_users, Accounts};

/// Who forgot.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetRequest {
    /// The account's email address.
    pub email: String,
}

/// The new password, with the token from the link.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetConfirm {
    /// The token from the link.
    pub token: String,
    /// The new password.
    pub password: String,
}

/// Sends a reset link if the address has an account. The answer is always 202, sent before
/// any email, so that neither it nor its timing tells whether the account exists.
#[utoipa::path(post, path = "/api/accounts/password-reset", tag = "accounts", request_body = ResetRequest,
    responses((status = 202)))]
#[post("/api/accounts/password-reset")]
pub async fn request_reset(
    accounts: web::Data<Accounts>,
    req: actix_web::HttpRequest,
    body: web::Json<ResetRequest>,
) -> Result<HttpResponse> {
    let Ok(email) = accounts_users::normalize_email(&body.email) else {
        return Ok(HttpResponse::Accepted().finish());
    };
    accounts
        .throttle()
        .reset_request(
            &email,
            maille_http::ClientAddress::of(&req).0,
            std::time::Instant::now(),
        )
        .map_err(|retry_after| AccountsError::Throttled { retry_after })?;
    let settings = accounts.settings_arc();
    let minutes = settings.accounts.password_reset_validity_minutes.min(60);
    let now = maille_database::now();
    let issued = accounts
        .database()
        .transaction(move |conn| {
            let Some(user) = accounts_users::find_by_email(conn, &email)? else {
                return Ok::<_, AccountsError>(None);
            };
            if user.disabled {
                return Ok(None);
            }
            let validity = i64::try_from(minutes * 60).unwrap_or(3600);
            let token = account_tokens::issue(
                conn,
                user.user_id(),
                Purpose::ResetPassword,
                &user.email,
                validity,
                now,
            )?;
            Ok(Some((user, token)))
        })
        .await?;
    if let Some((user, token)) = issued {
        let settings = accounts.settings();
        accounts.send_later(
            user.email.clone(),
            user.language(settings.default_language),
            Email::PasswordReset {
                display_name: user.display_name.clone(),
                link: settings.link(&format!("/reset-password?token={token}")),
                valid_minutes: minutes,
            },
        );
    }
    Ok(HttpResponse::Accepted().finish())
}

/// Sets a new password with a reset link. Every session of the account ends. An unknown, used
/// or expired link changes nothing and answers 400 `invalid_token`.
#[utoipa::path(post, path = "/api/accounts/password-reset/confirm", tag = "accounts", request_body = ResetConfirm,
    responses((status = 200), (status = 400, body = maille_http::ErrorBody), (status = 422, body = maille_http::ErrorBody)))]
#[post("/api/accounts/password-reset/confirm")]
pub async fn confirm_reset(
    accounts: web::Data<Accounts>,
    body: web::Json<ResetConfirm>,
) -> Result<HttpResponse> {
    let body = body.into_inner();
    if body.password.chars().count() < 12 || body.password.chars().count() > 128 {
        // Checked fully below, once the account is known; this avoids hashing absurd input.
        password::check_policy(&body.password, "", "")?;
    }
    let pw = body.password.clone();
    let hash = password::off_thread(move || password::hash(&pw)).await??;
    let now = maille_database::now();
    let token = body.token;
    let new_password = body.password;
    let user = accounts
        .database()
        .transaction(move |conn| {
            let redeemed = account_tokens::redeem(conn, &token, Purpose::ResetPassword, now)?;
            let user =
                accounts_users::find(conn, redeemed.user)?.ok_or(AccountsError::InvalidToken)?;
            password::check_policy(&new_password, &user.username, &user.email)?;
            diesel::update(users::table.find(user.id))
                .set((users::password_hash.eq(&hash), users::updated_at.eq(now)))
                .execute(conn)?;
            sessions::close_all(conn, user.user_id())?;
            Ok::<_, AccountsError>(user)
        })
        .await?;
    tracing::info!(user = %user.user_id(), "password reset");
    let settings = accounts.settings();
    accounts.send_later(
        user.email.clone(),
        user.language(settings.default_language),
        Email::PasswordChanged {
            display_name: user.display_name.clone(),
        },
    );
    Ok(HttpResponse::Ok().json(serde_json::json!({"status": "password_changed"})))
}

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(request_reset).service(confirm_reset);
}
