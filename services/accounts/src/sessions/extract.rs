//! Extractors that tell a handler who is asking: [`CurrentUser`] (401 when nobody),
//! [`OptionalUser`], and [`AdminUser`] (403 unless an admin). On state-changing requests they
//! also check the session's CSRF token.

use actix_web::dev::Payload;
use actix_web::http::Method;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use maille_config::Language;
use maille_http::CSRF_HEADER;
use subtle::ConstantTimeEq;

use crate::error::AccountsError;
use crate::users::{Role, UserId, UserRow};
use crate::Accounts;

/// The logged-in user making this request.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    /// Id.
    pub id: UserId,
    /// Handle.
    pub username: String,
    /// Name shown.
    pub display_name: String,
    /// Email.
    pub email: String,
    /// Role.
    pub role: Role,
    /// Interface language.
    pub language: Language,
    /// The session used.
    pub session_id: i64,
    /// The session's CSRF token.
    pub csrf_token: String,
    /// Whether this is someone of another instance, signed in with their home instance
    /// (username `name@host`; see [`crate::remote`]).
    pub remote: bool,
}

impl CurrentUser {
    fn of(user: &UserRow, session_id: i64, csrf_token: String, fallback: Language) -> CurrentUser {
        CurrentUser {
            id: user.user_id(),
            username: user.username.clone(),
            display_name: user.display_name.clone(),
            email: user.email.clone(),
            role: user.role(),
            language: user.language(fallback),
            session_id,
            csrf_token,
            remote: user.is_remote(),
        }
    }

    /// Whether this user administers the instance.
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

/// The session token sent by the client, if any.
pub fn session_token(req: &HttpRequest, accounts: &Accounts) -> Option<String> {
    req.cookie(crate::sessions::cookie_name(accounts.settings()))
        .map(|c| c.value().to_owned())
        .filter(|v| !v.is_empty())
}

fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

async fn authenticate(req: HttpRequest) -> Result<Option<CurrentUser>, AccountsError> {
    let accounts = req
        .app_data::<web::Data<Accounts>>()
        .cloned()
        .ok_or_else(|| AccountsError::Internal("accounts service not mounted".into()))?;
    let Some(token) = session_token(&req, &accounts) else {
        return Ok(None);
    };
    let settings = accounts.settings_arc();
    let now = maille_database::now();
    let found = accounts
        .database()
        .run(move |conn| crate::sessions::resume(conn, &settings, &token, now))
        .await?;
    let Some((session, user)) = found else {
        return Ok(None);
    };
    if changes_state(req.method()) {
        let sent = req
            .headers()
            .get(CSRF_HEADER)
            .map(|v| v.as_bytes())
            .unwrap_or_default();
        if !bool::from(sent.ct_eq(session.csrf_token.as_bytes())) {
            return Err(AccountsError::CsrfFailed);
        }
    }
    Ok(Some(CurrentUser::of(
        &user,
        session.id,
        session.csrf_token,
        accounts.settings().default_language,
    )))
}

impl FromRequest for CurrentUser {
    type Error = AccountsError;
    type Future = LocalBoxFuture<'static, Result<CurrentUser, AccountsError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            authenticate(req)
                .await?
                .ok_or(AccountsError::NotAuthenticated)
        })
    }
}

/// The logged-in user, or `None`, for pages that anyone may see.
#[derive(Debug, Clone)]
pub struct OptionalUser(pub Option<CurrentUser>);

impl FromRequest for OptionalUser {
    type Error = AccountsError;
    type Future = LocalBoxFuture<'static, Result<OptionalUser, AccountsError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { Ok(OptionalUser(authenticate(req).await?)) })
    }
}

/// A logged-in admin of the instance.
#[derive(Debug, Clone)]
pub struct AdminUser(pub CurrentUser);

impl FromRequest for AdminUser {
    type Error = AccountsError;
    type Future = LocalBoxFuture<'static, Result<AdminUser, AccountsError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let user = authenticate(req)
                .await?
                .ok_or(AccountsError::NotAuthenticated)?;
            if user.is_admin() {
                Ok(AdminUser(user))
            } else {
                Err(AccountsError::Forbidden)
            }
        })
    }
}
