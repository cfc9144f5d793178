//! Discovery: WebFinger (`acct:name@host` for users and spaces, as Mastodon resolves them and
//! checks back) and NodeInfo 2.1.

use actix_web::{get, web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use crate::actors::{ActorKind, LocalActor};
use crate::error::{FederationError, Result};
use crate::Federation;

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(webfinger)
        .service(nodeinfo_links)
        .service(nodeinfo);
}

#[derive(Debug, Deserialize)]
struct WebfingerQuery {
    resource: String,
}

/// The local user or space a WebFinger resource names: `acct:name@host` (with or without
/// `acct:`), or an actor id.
fn parse_resource(federation: &Federation, resource: &str) -> Option<(Option<ActorKind>, String)> {
    let urls = &federation.context().urls;
    if resource.starts_with("https://") || resource.starts_with("http://") {
        let url = url::Url::parse(resource).ok()?;
        let (kind, name) = urls.parse_actor(&url)?;
        return Some((Some(kind), name));
    }
    let acct = resource.strip_prefix("acct:").unwrap_or(resource);
    let acct = acct.strip_prefix('@').unwrap_or(acct);
    let (name, domain) = acct.rsplit_once('@')?;
    if !domain.eq_ignore_ascii_case(urls.domain()) || name.is_empty() {
        return None;
    }
    Some((None, name.to_ascii_lowercase()))
}

#[get("/.well-known/webfinger")]
async fn webfinger(
    federation: web::Data<Federation>,
    query: web::Query<WebfingerQuery>,
) -> Result<HttpResponse> {
    if !federation.context().is_on() {
        return Err(FederationError::NotFound);
    }
    let (kind, name) =
        parse_resource(&federation, &query.resource).ok_or(FederationError::NotFound)?;
    let context = federation.context().clone();
    let actor = federation
        .database()
        .run(move |conn| {
            let now = maille_database::now();
            // User names and space handles share one namespace: a name is one or the other.
            let kinds = match kind {
                Some(kind) => vec![kind],
                None if name == context.urls.domain() => vec![ActorKind::Instance],
                None => vec![ActorKind::User, ActorKind::Space],
            };
            for kind in kinds {
                if let Some(actor) = LocalActor::find(&context, conn, kind, &name, now)? {
                    return Ok(Some(actor));
                }
            }
            Ok::<_, FederationError>(None)
        })
        .await?
        .ok_or(FederationError::NotFound)?;
    let urls = &federation.context().urls;
    let id = actor.id(urls);
    let mut links = vec![json!({
        "rel": "self",
        "type": "application/activity+json",
        "href": id,
    })];
    let mut aliases = vec![json!(id)];
    if actor.kind != ActorKind::Instance {
        let profile = urls.profile(actor.kind, &actor.name);
        links.push(json!({
            "rel": "http://webfinger.net/rel/profile-page",
            "type": "text/html",
            "href": profile,
        }));
        aliases.push(json!(profile));
    }
    let body = json!({
        "subject": format!("acct:{}@{}", actor.name, urls.domain()),
        "aliases": aliases,
        "links": links,
    });
    Ok(HttpResponse::Ok()
        .content_type("application/jrd+json; charset=utf-8")
        .insert_header(("Access-Control-Allow-Origin", "*"))
        .json(body))
}

#[get("/.well-known/nodeinfo")]
async fn nodeinfo_links(federation: web::Data<Federation>) -> HttpResponse {
    let href = format!("{}/nodeinfo/2.1", federation.context().urls.origin());
    HttpResponse::Ok()
        .insert_header(("Access-Control-Allow-Origin", "*"))
        .json(json!({
            "links": [{
                "rel": "http://nodeinfo.diaspora.software/ns/schema/2.1",
                "href": href,
            }]
        }))
}

#[get("/nodeinfo/2.1")]
async fn nodeinfo(federation: web::Data<Federation>) -> Result<HttpResponse> {
    let accounts = federation.context().accounts().clone();
    let usage = federation
        .database()
        .run(move |conn| {
            accounts
                .usage_blocking(conn, maille_database::now())
                .map_err(FederationError::from)
        })
        .await?;
    let settings = federation.settings();
    let body = json!({
        "version": "2.1",
        "software": {
            "name": "maille",
            "version": env!("CARGO_PKG_VERSION"),
            "repository": env!("CARGO_PKG_REPOSITORY"),
        },
        "protocols": ["activitypub"],
        "services": { "inbound": [], "outbound": [] },
        "openRegistrations": usage.open_registrations,
        "usage": {
            "users": {
                "total": usage.total,
                "activeMonth": usage.active_month,
                "activeHalfyear": usage.active_halfyear,
            },
            "localPosts": 0,
        },
        "metadata": {
            "nodeName": settings.instance_name,
            "federation": settings.federation.mode.code(),
        },
    });
    Ok(HttpResponse::Ok()
        .content_type(
            "application/json; profile=\"http://nodeinfo.diaspora.software/ns/schema/2.1#\"",
        )
        .insert_header(("Access-Control-Allow-Origin", "*"))
        .json(body))
}
