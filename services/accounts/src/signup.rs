//! Sign-up and email verification.

use actix_web::{post, web, HttpRequest, HttpResponse};
use diesel::prelude::*;
use maille_config::{Language, RegistrationMode};
use maille_database::schema::{invites, users};
use maille_database::{random_id, DbConnection, UnixTime};
use maille_mail::Email;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::account_tokens::{self, Purpose};
use crate::error::{AccountsError, Result};
use crate::handles::{self, HandleKind};
use crate::users::{self as accounts_users, NewUser, Role};
use crate::{instance, password, Accounts};

/// A request to open an account.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignUpRequest {
    /// Handle: 2 to 30 of `a-z`, `0-9`, `_`.
    pub username: String,
    /// Email address, to be verified.
    pub email: String,
    /// 12 to 128 characters.
    pub password: String,
    /// Name shown to others (default: the username).
    pub display_name: Option<String>,
    /// `fr` or `en` (default: from the browser).
    pub language: Option<String>,
    /// Needed in the `invite` mode.
    pub invite_code: Option<String>,
    /// Why the person wants to join (shown to admins in the `approval` mode).
    pub reason: Option<String>,
}

/// Where a sign-up or verification stands.
#[derive(Debug, Serialize, ToSchema)]
pub struct SignUpStatus {
    /// `verification_sent`, `verified` or `pending_approval`.
    pub status: &'static str,
}

/// The request's preferred language: the explicit one, else the browser's, else the instance's.
pub(crate) fn request_language(
    req: &HttpRequest,
    explicit: Option<&str>,
    fallback: Language,
) -> Language {
    explicit
        .and_then(Language::parse)
        .or_else(|| {
            req.headers()
                .get("accept-language")
                .and_then(|v| v.to_str().ok())
                .and_then(Language::from_accept_language)
        })
        .unwrap_or(fallback)
}

/// Checks an invite code; `Ok(code)` when it may be used now.
fn check_invite(conn: &mut DbConnection, code: &str, now: UnixTime) -> Result<String> {
    let code = code.trim().to_lowercase();
    let found: Option<(Option<i32>, i32, Option<UnixTime>)> = invites::table
        .find(&code)
        .select((invites::max_uses, invites::uses, invites::expires_at))
        .first(conn)
        .optional()?;
    let Some((max_uses, uses, expires_at)) = found else {
        return Err(AccountsError::InviteInvalid);
    };
    if expires_at.is_some_and(|e| now >= e) || max_uses.is_some_and(|m| uses >= m) {
        return Err(AccountsError::InviteInvalid);
    }
    Ok(code)
}

/// Counts one use of a checked invite code, refusing it if a concurrent sign-up used it up.
fn use_invite(conn: &mut DbConnection, code: &str) -> Result<()> {
    let updated = diesel::update(
        invites::table.find(code).filter(
            invites::max_uses
                .is_null()
                .or(invites::uses.lt(invites::max_uses.assume_not_null())),
        ),
    )
    .set(invites::uses.eq(invites::uses + 1))
    .execute(conn)?;
    if updated == 1 {
        Ok(())
    } else {
        Err(AccountsError::InviteInvalid)
    }
}

enum Outcome {
    Created {
        user: accounts_users::UserId,
        token: String,
    },
    AddressInUse {
        display_name: String,
        language: Language,
    },
}

/// Opens an account and sends the verification email. The answer is the same whether or not
/// the address already has an account (its owner is told by email instead).
#[utoipa::path(post, path = "/api/accounts", tag = "accounts", request_body = SignUpRequest,
    responses((status = 201, body = SignUpStatus), (status = 409, body = maille_http::ErrorBody),
              (status = 403, body = maille_http::ErrorBody), (status = 422, body = maille_http::ErrorBody)))]
#[post("/api/accounts")]
pub async fn sign_up(
    accounts: web::Data<Accounts>,
    req: HttpRequest,
    body: web::Json<SignUpRequest>,
) -> Result<HttpResponse> {
    let body = body.into_inner();
    accounts
        .throttle()
        .sign_up(
            maille_http::ClientAddress::of(&req).0,
            std::time::Instant::now(),
        )
        .map_err(|retry_after| AccountsError::Throttled { retry_after })?;
    let username = body.username.trim().to_lowercase();
    handles::check_shape("username", &username)?;
    let email = accounts_users::normalize_email(&body.email)?;
    let recipient = email.clone();
    password::check_policy(&body.password, &username, &email)?;
    let display_name =
        accounts_users::check_display_name(body.display_name.as_deref().unwrap_or(&username))?;
    let reason: String = body
        .reason
        .unwrap_or_default()
        .trim()
        .chars()
        .take(1000)
        .collect();
    let settings = accounts.settings_arc();
    let language = request_language(&req, body.language.as_deref(), settings.default_language);

    // Hash first, whatever happens next, so that timing tells nothing.
    let pw = body.password;
    let hash = password::off_thread(move || password::hash(&pw)).await??;

    let now = maille_database::now();
    let validity =
        i64::try_from(settings.accounts.email_verification_validity_hours * 3600).unwrap_or(86_400);
    let invite_code = body.invite_code;
    let greeting = display_name.clone();
    let outcome = accounts
        .database()
        .transaction(move |conn| -> Result<Outcome> {
            let mode = instance::registration_mode(conn, settings.accounts.registration)?;
            let invite = match mode {
                RegistrationMode::Closed => return Err(AccountsError::RegistrationClosed),
                RegistrationMode::Invite => match invite_code.as_deref().map(str::trim) {
                    Some(code) if !code.is_empty() => Some(check_invite(conn, code, now)?),
                    _ => return Err(AccountsError::InviteRequired),
                },
                RegistrationMode::Open | RegistrationMode::Approval => None,
            };
            // An address in use gets an email instead; the invite is not spent on it.
            if let Some(existing) = accounts_users::find_by_email(conn, &email)? {
                return Ok(Outcome::AddressInUse {
                    display_name: existing.display_name.clone(),
                    language: existing.language(settings.default_language),
                });
            }
            if let Some(code) = &invite {
                use_invite(conn, code)?;
            }
            handles::claim(conn, &username, HandleKind::User, now)?;
            let id = random_id();
            diesel::insert_into(users::table)
                .values(NewUser {
                    id,
                    username: &username,
                    email: &email,
                    email_verified: false,
                    display_name: &display_name,
                    password_hash: &hash,
                    language: language.code(),
                    role: Role::User.code(),
                    approved: mode != RegistrationMode::Approval,
                    disabled: false,
                    registration_reason: &reason,
                    created_at: now,
                    updated_at: now,
                })
                .execute(conn)?;
            let token = account_tokens::issue(
                conn,
                accounts_users::UserId(id),
                Purpose::VerifyEmail,
                &email,
                validity,
                now,
            )?;
            Ok(Outcome::Created {
                user: accounts_users::UserId(id),
                token,
            })
        })
        .await;
    let settings = accounts.settings();
    match outcome {
        Ok(Outcome::Created { user, token }) => {
            tracing::info!(%user, "account created, verification sent");
            accounts.send_later(
                recipient,
                language,
                Email::VerifyEmail {
                    display_name: greeting,
                    link: settings.link(&format!("/verify-email?token={token}")),
                    valid_hours: settings.accounts.email_verification_validity_hours,
                },
            );
        }
        Ok(Outcome::AddressInUse {
            display_name,
            language,
        }) => {
            accounts.send_later(
                recipient,
                language,
                Email::SignupWithExistingAddress {
                    display_name,
                    login_link: settings.link("/login"),
                    reset_link: settings.link("/forgot-password"),
                },
            );
        }
        Err(error) => return Err(error),
    }
    Ok(HttpResponse::Created().json(SignUpStatus {
        status: "verification_sent",
    }))
}

/// A verification token from an email.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    /// The token from the link.
    pub token: String,
}

/// Confirms an address with the link sent at sign-up.
#[utoipa::path(post, path = "/api/accounts/verify-email", tag = "accounts", request_body = TokenRequest,
    responses((status = 200, body = SignUpStatus), (status = 400, body = maille_http::ErrorBody)))]
#[post("/api/accounts/verify-email")]
pub async fn verify_email(
    accounts: web::Data<Accounts>,
    body: web::Json<TokenRequest>,
) -> Result<HttpResponse> {
    let now = maille_database::now();
    let token = body.into_inner().token;
    let (user, admins) = accounts
        .database()
        .transaction(move |conn| {
            let redeemed = account_tokens::redeem(conn, &token, Purpose::VerifyEmail, now)?;
            diesel::update(users::table.find(redeemed.user.0))
                .set((users::email_verified.eq(true), users::updated_at.eq(now)))
                .execute(conn)?;
            let user =
                accounts_users::find(conn, redeemed.user)?.ok_or(AccountsError::InvalidToken)?;
            let admins = if user.approved {
                Vec::new()
            } else {
                accounts_users::admins(conn)?
            };
            Ok::<_, AccountsError>((user, admins))
        })
        .await?;
    let settings = accounts.settings();
    for admin in &admins {
        accounts.send_later(
            admin.email.clone(),
            admin.language(settings.default_language),
            Email::ApprovalRequested {
                username: user.username.clone(),
                reason: user.registration_reason.clone(),
                link: settings.link("/admin"),
            },
        );
    }
    let status = if user.approved {
        "verified"
    } else {
        "pending_approval"
    };
    Ok(HttpResponse::Ok().json(SignUpStatus { status }))
}

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(sign_up).service(verify_email);
}
