//! What can go wrong in the federation service, and how each case is answered over HTTP.
//! Refusals of other instances' requests are logged with their reason where they are decided.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use maille_accounts::AccountsError;
use maille_database::DatabaseError;
use maille_http::ApiError;
use maille_spaces::SpacesError;

/// A federation error. Each variant has a stable `code` and status; internal causes are logged,
/// never sent.
#[derive(Debug, thiserror::Error)]
pub enum FederationError {
    /// No such actor or object (or one that may not be shown).
    #[error("not found")]
    NotFound,
    /// Log in first.
    #[error("log in first")]
    NotAuthenticated,
    /// The asker may not do this.
    #[error("forbidden")]
    Forbidden,
    /// A request from another instance without a valid HTTP signature.
    #[error("signature: {0}")]
    Unsigned(String),
    /// Another instance's request refused by the admin's choices (mode, blocked domain).
    #[error("federation refused: {0}")]
    Refused(String),
    /// Another instance's document is malformed or breaks a rule (id on another domain...).
    #[error("bad activity: {0}")]
    BadActivity(String),
    /// A document larger than the limit.
    #[error("activity too large")]
    TooLarge,
    /// A document of a type that is not ActivityPub JSON.
    #[error("unsupported content type")]
    UnsupportedContentType,
    /// Too many activities from one instance.
    #[error("too many activities from {0}")]
    RateLimited(String),
    /// An activity already received (answered as a success: the sender must stop retrying).
    #[error("duplicate activity")]
    Duplicate,
    /// A field of a request to the REST API is invalid.
    #[error("{field}: {message}")]
    Invalid {
        /// The field at fault.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
    /// Federation is turned off on this instance.
    #[error("federation is turned off on this instance")]
    Off,
    /// A sign-in with a home instance whose proof does not hold (bad or missing signature,
    /// wrong audience, expired, unknown or used nonce, another browser...). The reason is
    /// logged, never sent.
    #[error("home sign-in refused: {0}")]
    SignInRefused(String),
    /// Another instance could not be reached or answered nonsense.
    #[error("remote instance: {0}")]
    Remote(String),
    /// The accounts service refused or failed.
    #[error(transparent)]
    Accounts(AccountsError),
    /// The database failed.
    #[error(transparent)]
    Database(#[from] DatabaseError),
    /// Something else failed inside the server.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<diesel::result::Error> for FederationError {
    fn from(error: diesel::result::Error) -> Self {
        FederationError::Database(DatabaseError::Query(error))
    }
}

impl From<AccountsError> for FederationError {
    fn from(error: AccountsError) -> Self {
        match error {
            AccountsError::NotFound => FederationError::NotFound,
            AccountsError::NotAuthenticated => FederationError::NotAuthenticated,
            AccountsError::Database(cause) => FederationError::Database(cause),
            other => FederationError::Accounts(other),
        }
    }
}

impl From<SpacesError> for FederationError {
    fn from(error: SpacesError) -> Self {
        match error {
            SpacesError::NotFound => FederationError::NotFound,
            SpacesError::Forbidden => FederationError::Forbidden,
            SpacesError::Invalid { field, message } => FederationError::Invalid { field, message },
            SpacesError::Database(cause) => FederationError::Database(cause),
            SpacesError::Accounts(cause) => FederationError::from(cause),
            other => FederationError::Internal(other.to_string()),
        }
    }
}

impl From<serde_json::Error> for FederationError {
    fn from(error: serde_json::Error) -> Self {
        FederationError::BadActivity(error.to_string())
    }
}

impl From<url::ParseError> for FederationError {
    fn from(error: url::ParseError) -> Self {
        FederationError::BadActivity(format!("bad URL: {error}"))
    }
}

impl From<activitypub_federation::error::Error> for FederationError {
    fn from(error: activitypub_federation::error::Error) -> Self {
        use activitypub_federation::error::Error as E;
        match error {
            E::NotFound => FederationError::NotFound,
            E::ActivityBodyDigestInvalid => {
                FederationError::Unsigned("body digest missing or wrong".to_owned())
            }
            E::ActivitySignatureInvalid => {
                FederationError::Unsigned("signature does not verify".to_owned())
            }
            E::UrlVerificationError(reason) => FederationError::BadActivity(reason.to_owned()),
            E::DomainResolveError(domain) => {
                FederationError::Refused(format!("{domain} resolves to a private address"))
            }
            E::ResolveInternalIpError(host, ip) => {
                FederationError::Refused(format!("{host} resolves to the private address {ip}"))
            }
            E::ParseReceivedActivity { err, .. } => FederationError::BadActivity(err.to_string()),
            E::Other(message) if message.starts_with("refused: ") => {
                FederationError::Refused(message.trim_start_matches("refused: ").to_owned())
            }
            E::Other(message) if message.contains("ignature") || message.contains("header") => {
                FederationError::Unsigned(message)
            }
            other => FederationError::Remote(other.to_string()),
        }
    }
}

impl FederationError {
    /// A validation error on `field`.
    pub fn invalid(field: &'static str, message: impl Into<String>) -> FederationError {
        FederationError::Invalid {
            field,
            message: message.into(),
        }
    }

    /// The answer to the client.
    pub fn to_api_error(&self) -> ApiError {
        use FederationError as E;
        match self {
            E::NotFound => ApiError::not_found(),
            E::NotAuthenticated => ApiError::not_authenticated(),
            E::Forbidden => ApiError::forbidden(),
            E::Unsigned(_) => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "signature_required",
                "a valid HTTP signature is required",
            ),
            E::Refused(_) => ApiError::new(
                StatusCode::FORBIDDEN,
                "federation_refused",
                "this instance does not federate with yours",
            ),
            E::Off => ApiError::new(
                StatusCode::FORBIDDEN,
                "federation_off",
                "federation is turned off on this instance",
            ),
            E::SignInRefused(_) => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "sign_in_refused",
                "the sign-in with your home instance could not be verified; start again",
            ),
            E::BadActivity(message) => {
                ApiError::new(StatusCode::BAD_REQUEST, "bad_activity", message.clone())
            }
            E::TooLarge => ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "the activity is too large",
            ),
            E::UnsupportedContentType => ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send application/activity+json",
            ),
            E::RateLimited(_) => ApiError::too_many_requests(10),
            E::Duplicate => ApiError::new(StatusCode::OK, "duplicate", "already received"),
            E::Invalid { field, message } => ApiError::validation(field, message.clone()),
            E::Remote(message) => ApiError::new(
                StatusCode::BAD_GATEWAY,
                "remote_unreachable",
                format!("the other instance could not be reached: {message}"),
            ),
            E::Accounts(error) => error.to_api_error(),
            E::Database(DatabaseError::Pool(cause)) => {
                ApiError::unavailable("database pool exhausted", cause)
            }
            E::Database(cause) => ApiError::internal("federation: database error", cause),
            E::Internal(cause) => ApiError::internal("federation: internal error", cause),
        }
    }
}

impl ResponseError for FederationError {
    fn status_code(&self) -> StatusCode {
        use FederationError as E;
        match self {
            E::NotFound => StatusCode::NOT_FOUND,
            E::NotAuthenticated | E::Unsigned(_) | E::SignInRefused(_) => StatusCode::UNAUTHORIZED,
            E::Forbidden | E::Refused(_) | E::Off => StatusCode::FORBIDDEN,
            E::BadActivity(_) => StatusCode::BAD_REQUEST,
            E::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            E::UnsupportedContentType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            E::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            E::Duplicate => StatusCode::OK,
            E::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            E::Remote(_) => StatusCode::BAD_GATEWAY,
            E::Accounts(error) => error.status_code(),
            E::Database(DatabaseError::Pool(_)) => StatusCode::SERVICE_UNAVAILABLE,
            E::Database(_) | E::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        self.to_api_error().error_response()
    }
}

/// Result of the federation service.
pub type Result<T, E = FederationError> = std::result::Result<T, E>;
