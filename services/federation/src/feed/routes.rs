//! `GET /api/federation/feed`: the public pads, rooms and posts of whom I follow.

use actix_web::{get, web, HttpResponse};
use maille_accounts::CurrentUser;
use maille_database::UnixTime;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::actors::ActorKind;
use crate::error::{FederationError, Result};
use crate::Federation;

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(feed);
}

/// Which page of the feed.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct FeedQuery {
    /// Only items published before this time (Unix seconds): the `published_at` of the last
    /// item of the previous page.
    pub before: Option<UnixTime>,
    /// How many items, 1 to 100 (default 30).
    pub limit: Option<i64>,
}

/// An actor, as the feed names it.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeedActor {
    /// Its ActivityPub id.
    pub id: String,
    /// `@name@host`, when known.
    pub handle: String,
    /// Its name, when known.
    pub display_name: String,
    /// Its web page, when known.
    pub url: Option<String>,
}

/// An item of the feed.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeedItemView {
    /// The object's ActivityPub id.
    pub id: String,
    /// `pad`, `room` or `note` (a post from elsewhere).
    pub kind: String,
    /// Title (may be empty).
    pub title: String,
    /// Plain text (never HTML).
    pub summary: String,
    /// Where to open it.
    pub url: String,
    /// Who made it.
    pub author: FeedActor,
    /// The space that re-shared it, when it came that way.
    pub via: Option<FeedActor>,
    /// When it was published (Unix seconds).
    pub published_at: UnixTime,
    /// Its last change.
    pub updated_at: UnixTime,
}

/// The public pads, rooms and posts of the accounts and spaces I follow, on any instance,
/// newest first.
#[utoipa::path(get, path = "/api/federation/feed", tag = "federation", params(FeedQuery),
    responses((status = 200, body = [FeedItemView]), (status = 401, body = maille_http::ErrorBody),
              (status = 422, body = maille_http::ErrorBody)))]
#[get("/api/federation/feed")]
pub async fn feed(
    federation: web::Data<Federation>,
    user: CurrentUser,
    query: web::Query<FeedQuery>,
) -> Result<HttpResponse> {
    let limit = query.limit.unwrap_or(30);
    if !(1..=100).contains(&limit) {
        return Err(FederationError::invalid("limit", "from 1 to 100"));
    }
    let before = query.before;
    let me = user.id.0;
    let items = federation
        .database()
        .run(move |conn| super::list(conn, (ActorKind::User, me), before, limit))
        .await?;
    let views: Vec<FeedItemView> = items
        .into_iter()
        .map(|(row, via)| {
            let by_via = row.author == via.ap_id;
            FeedItemView {
                id: row.object_id,
                kind: row.kind,
                title: row.title,
                summary: row.summary,
                url: row.url,
                author: if by_via {
                    FeedActor {
                        id: via.ap_id.clone(),
                        handle: via.handle(),
                        display_name: via.display_name.clone(),
                        url: via.url.clone(),
                    }
                } else {
                    FeedActor {
                        id: row.author,
                        handle: row.author_name,
                        display_name: String::new(),
                        url: None,
                    }
                },
                via: (!by_via).then(|| FeedActor {
                    id: via.ap_id.clone(),
                    handle: via.handle(),
                    display_name: via.display_name.clone(),
                    url: via.url.clone(),
                }),
                published_at: row.published_at,
                updated_at: row.updated_at,
            }
        })
        .collect();
    Ok(HttpResponse::Ok().json(views))
}
