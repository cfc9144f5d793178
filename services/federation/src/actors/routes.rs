//! Serving local actors and their collections. With `federation.signed_fetch_required`,
//! everything but the instance actor (whose key verifies the others' signatures) needs a
//! valid HTTP signature from an instance the policy allows.

use actix_web::{get, web, HttpRequest, HttpResponse};
use serde_json::json;

use super::{context as ld_context, ActorKind, LocalActor, RemoteActor};
use crate::error::{FederationError, Result};
use crate::follows::{self, Direction};
use crate::Federation;

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(instance_actor)
        .service(named_actor)
        .service(named_collection);
}

/// The content type of ActivityPub documents.
pub const ACTIVITY_JSON: &str = "application/activity+json; charset=utf-8";

fn activity_response(body: &serde_json::Value) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ACTIVITY_JSON)
        .insert_header(("Vary", "Accept"))
        .json(body)
}

/// Whether the client wants a web page rather than JSON (a browser following a profile link).
fn wants_html(request: &HttpRequest) -> bool {
    request
        .headers()
        .get("accept")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html") && !accept.contains("json"))
}

/// Refuses unsigned requests (401) and requests signed for a refused instance (403) when
/// signed fetches are required.
pub(crate) async fn check_fetch(request: &HttpRequest, federation: &Federation) -> Result<()> {
    if !federation.context().is_on() {
        return Err(FederationError::NotFound);
    }
    if !federation.settings().federation.signed_fetch_required {
        return Ok(());
    }
    if !request.headers().contains_key("signature") {
        tracing::info!(path = request.path(), "federation: unsigned fetch refused");
        return Err(FederationError::Unsigned(
            "signed fetch required".to_owned(),
        ));
    }
    let data = federation.data();
    let signer: RemoteActor = activitypub_federation::actix_web::signing_actor(
        request, None, &data,
    )
    .await
    .map_err(|e| {
        tracing::info!(path = request.path(), error = %e, "federation: badly signed fetch refused");
        match e {
            FederationError::Refused(r) => FederationError::Refused(r),
            other => FederationError::Unsigned(other.to_string()),
        }
    })?;
    federation
        .context()
        .policy
        .check(federation.settings(), &signer.domain)
}

async fn serve_actor(
    request: &HttpRequest,
    federation: &Federation,
    kind: ActorKind,
    name: String,
) -> Result<HttpResponse> {
    if kind != ActorKind::Instance {
        check_fetch(request, federation).await?;
    } else if !federation.context().is_on() {
        return Err(FederationError::NotFound);
    }
    let context = federation.context().clone();
    let actor = federation
        .database()
        .run(move |conn| LocalActor::find(&context, conn, kind, &name, maille_database::now()))
        .await?
        .ok_or(FederationError::NotFound)?;
    let urls = &federation.context().urls;
    if kind != ActorKind::Instance && wants_html(request) {
        return Ok(HttpResponse::SeeOther()
            .insert_header(("Location", urls.profile(kind, &actor.name).to_string()))
            .finish());
    }
    let mut body = serde_json::to_value(actor.to_json(urls))
        .map_err(|e| FederationError::Internal(e.to_string()))?;
    if let Some(map) = body.as_object_mut() {
        map.insert("@context".to_owned(), ld_context());
    }
    Ok(activity_response(&body))
}

#[get("/ap/instance")]
async fn instance_actor(
    request: HttpRequest,
    federation: web::Data<Federation>,
) -> Result<HttpResponse> {
    serve_actor(&request, &federation, ActorKind::Instance, String::new()).await
}

/// `users` or `spaces` in an actor's path (the route's pattern admits no other).
fn kind_in_path(segment: &str) -> ActorKind {
    if segment == "spaces" {
        ActorKind::Space
    } else {
        ActorKind::User
    }
}

#[get("/ap/{kind:users|spaces}/{name}")]
async fn named_actor(
    request: HttpRequest,
    federation: web::Data<Federation>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse> {
    let (kind, name) = path.into_inner();
    serve_actor(&request, &federation, kind_in_path(&kind), name).await
}

#[get("/ap/{kind:users|spaces}/{name}/{collection}")]
async fn named_collection(
    request: HttpRequest,
    federation: web::Data<Federation>,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse> {
    let (kind, name, collection) = path.into_inner();
    serve_collection(
        &request,
        &federation,
        kind_in_path(&kind),
        name,
        &collection,
    )
    .await
}

/// `outbox` (empty for now: announcements come with pads and rooms), `followers` and
/// `following` (their sizes only, as Mastodon shows them by default).
async fn serve_collection(
    request: &HttpRequest,
    federation: &Federation,
    kind: ActorKind,
    name: String,
    collection: &str,
) -> Result<HttpResponse> {
    let direction = match collection {
        "followers" => Some(Direction::In),
        "following" => Some(Direction::Out),
        "outbox" => None,
        _ => return Err(FederationError::NotFound),
    };
    check_fetch(request, federation).await?;
    let context = federation.context().clone();
    let (actor, total) = federation
        .database()
        .run(move |conn| {
            let actor = LocalActor::find(&context, conn, kind, &name, maille_database::now())?
                .ok_or(FederationError::NotFound)?;
            let total = match direction {
                Some(d) => follows::count_accepted(conn, d, (actor.kind, actor.local_id))?,
                None => 0,
            };
            Ok::<_, FederationError>((actor, total))
        })
        .await?;
    let id = federation
        .context()
        .urls
        .actor_part(kind, &actor.name, collection);
    Ok(activity_response(&json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": id,
        "type": "OrderedCollection",
        "totalItems": total,
        "orderedItems": [],
    })))
}
