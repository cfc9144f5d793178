//! Refuses cross-site state changes: a POST, PUT, PATCH or DELETE under `/api/` whose `Origin`
//! (or, failing that, `Sec-Fetch-Site`) shows another site is answered 403 `csrf_failed`.
//! The session's CSRF token, checked by the accounts service, is the second lock on the door.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::web;

use crate::ApiError;

/// The instance's own origin (`https://host`), app data for [`OriginCheck::middleware`].
#[derive(Debug, Clone)]
pub struct OriginCheck {
    origin: String,
}

impl OriginCheck {
    /// Accepts state changes from `origin` only.
    pub fn new(origin: String) -> OriginCheck {
        OriginCheck { origin }
    }

    /// Whether a request with these headers may change state.
    pub fn allows(&self, origin: Option<&str>, fetch_site: Option<&str>) -> bool {
        match origin {
            Some("null") => false,
            Some(origin) => origin == self.origin,
            None => !matches!(fetch_site, Some("cross-site") | Some("same-site")),
        }
    }

    /// The middleware: `App::new().wrap(from_fn(OriginCheck::middleware))` with an
    /// `OriginCheck` in app data.
    pub async fn middleware(
        req: ServiceRequest,
        next: Next<impl MessageBody>,
    ) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
        let unsafe_method = !matches!(
            *req.method(),
            Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
        );
        if unsafe_method && req.path().starts_with("/api/") {
            let header = |name: &str| {
                req.headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned)
            };
            let allowed = match req.app_data::<web::Data<OriginCheck>>() {
                Some(check) => check.allows(
                    header("origin").as_deref(),
                    header("sec-fetch-site").as_deref(),
                ),
                None => true,
            };
            if !allowed {
                // The path is not logged: it may carry a token.
                tracing::warn!(method = %req.method(), "cross-site request refused");
                let error = ApiError::new(
                    StatusCode::FORBIDDEN,
                    "csrf_failed",
                    "this request came from another site and was refused",
                );
                return Ok(req.error_response(error).map_into_right_body());
            }
        }
        next.call(req)
            .await
            .map(ServiceResponse::map_into_left_body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_own_origin_may_change_state() {
        let check = OriginCheck::new("https://pads.example.org".into());
        assert!(check.allows(Some("https://pads.example.org"), None));
        assert!(!check.allows(Some("https://evil.example"), Some("same-origin")));
        assert!(!check.allows(Some("null"), None));
        assert!(!check.allows(None, Some("cross-site")));
        assert!(check.allows(None, Some("same-origin")));
        // Non-browser clients send neither header.
        assert!(check.allows(None, None));
    }
}
