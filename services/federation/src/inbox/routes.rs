//! The inboxes: the shared one (`/inbox`) and each actor's. They all do the same.

use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use serde::Deserialize;
use url::Url;

use super::Incoming;
use crate::actors::RemoteActor;
use crate::error::{FederationError, Result};
use crate::urls::authority;
use crate::Federation;

/// The inboxes' paths: the shared one, then each kind of actor's.
const INBOXES: [&str; 4] = [
    "/inbox",
    "/ap/users/{name}/inbox",
    "/ap/spaces/{name}/inbox",
    "/ap/instance/inbox",
];

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    for path in INBOXES {
        cfg.route(path, web::post().to(inbox));
    }
}

async fn inbox(
    request: HttpRequest,
    payload: web::Payload,
    federation: web::Data<Federation>,
) -> HttpResponse {
    answer(receive(&request, payload, &federation).await)
}

/// What went wrong with a received activity, for the log line.
struct Refusal {
    error: FederationError,
    domain: Option<String>,
    activity: Option<String>,
}

fn answer(result: std::result::Result<(), Refusal>) -> HttpResponse {
    match result {
        Ok(()) => HttpResponse::Accepted().finish(),
        Err(Refusal {
            error: FederationError::Duplicate,
            domain,
            activity,
        }) => {
            tracing::debug!(domain, activity, "federation: repeated activity ignored");
            HttpResponse::Accepted().finish()
        }
        Err(refusal) => {
            let reason = refusal.error.to_string();
            let level_warn = matches!(
                refusal.error,
                FederationError::Unsigned(_)
                    | FederationError::BadActivity(_)
                    | FederationError::TooLarge
                    | FederationError::UnsupportedContentType
            );
            if level_warn {
                tracing::warn!(domain = refusal.domain, activity = refusal.activity, %reason,
                    "federation: activity refused");
            } else {
                tracing::info!(domain = refusal.domain, activity = refusal.activity, %reason,
                    "federation: activity refused");
            }
            actix_web::ResponseError::error_response(&refusal.error)
        }
    }
}

/// The ActivityPub content types.
pub(crate) fn is_activity_json(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        "application/activity+json" => true,
        // JSON-LD only with the ActivityStreams profile, or none.
        "application/ld+json" => {
            let lower = content_type.to_ascii_lowercase();
            !lower.contains("profile=") || lower.contains("https://www.w3.org/ns/activitystreams")
        }
        _ => false,
    }
}

async fn read_limited(payload: &mut web::Payload, limit: usize) -> Result<web::Bytes> {
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| FederationError::BadActivity(format!("body: {e}")))?;
        if body.len() + chunk.len() > limit {
            return Err(FederationError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

#[derive(Deserialize)]
struct Peek {
    id: Option<Url>,
    actor: Option<serde_json::Value>,
}

async fn receive(
    request: &HttpRequest,
    mut payload: web::Payload,
    federation: &Federation,
) -> std::result::Result<(), Refusal> {
    let refuse = |error, domain: Option<&str>, activity: Option<&Url>| Refusal {
        error,
        domain: domain.map(str::to_owned),
        activity: activity.map(Url::to_string),
    };
    let context = federation.context();
    if !context.is_on() {
        return Err(refuse(FederationError::Off, None, None));
    }
    let content_type = request
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !is_activity_json(content_type) {
        return Err(refuse(FederationError::UnsupportedContentType, None, None));
    }
    let limit = federation.settings().federation.max_activity_bytes;
    let declared = request
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(refuse(FederationError::TooLarge, None, None));
    }
    let body = read_limited(&mut payload, limit)
        .await
        .map_err(|e| refuse(e, None, None))?;
    let peek: Peek = serde_json::from_slice(&body)
        .map_err(|e| refuse(FederationError::BadActivity(e.to_string()), None, None))?;
    let actor = peek
        .actor
        .as_ref()
        .and_then(|a| {
            a.as_str()
                .map(str::to_owned)
                .or_else(|| a.get("id")?.as_str().map(str::to_owned))
        })
        .and_then(|a| Url::parse(&a).ok());
    let (Some(id), Some(actor)) = (peek.id, actor) else {
        return Err(refuse(
            FederationError::BadActivity("no id or actor".to_owned()),
            None,
            None,
        ));
    };
    let domain = authority(&actor).unwrap_or_default();
    let fail = |error| refuse(error, Some(&domain), Some(&id));
    if !request.headers().contains_key("signature") {
        return Err(fail(FederationError::Unsigned(
            "no Signature header".to_owned(),
        )));
    }
    context
        .policy
        .check(federation.settings(), &domain)
        .map_err(fail)?;
    context.limiter.check(&domain).map_err(fail)?;
    // A repeat is recognised when its id is recorded, in the transaction that applies it.
    let data = federation.data();
    activitypub_federation::actix_web::inbox::receive_activity::<
        Incoming,
        RemoteActor,
        crate::Context,
    >(request.clone(), body, &data)
    .await
    .map(|_| ())
    .map_err(fail)
}

#[cfg(test)]
mod tests {
    #[test]
    fn activity_content_types() {
        use super::is_activity_json;
        assert!(is_activity_json("application/activity+json"));
        assert!(is_activity_json("application/activity+json; charset=utf-8"));
        assert!(is_activity_json(
            "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\""
        ));
        assert!(!is_activity_json("application/json"));
        assert!(!is_activity_json("text/html"));
        assert!(!is_activity_json(""));
    }
}
