//! The feed: public work (and posts) received from the actors that local users follow.
//! `Create` and `Update` of a `Note` (or `Page`, `Article`) addressed to the public store or
//! refresh an item; `Delete` removes it; a space's `Announce` (FEP-1b12) carries its members'
//! activities, embedded; an `Announce` that gives only an id (a boost, or a group's
//! announcement of an activity elsewhere) is fetched from where the id points. Only activities
//! from actors someone here follows are kept. A user's feed is the items that came through the
//! actors they follow. Items older than `federation.feed_days` are pruned by the federation maintenance.

pub mod routes;
mod text;

use diesel::prelude::*;
use maille_database::schema::{federation_feed as t, federation_follows as f};
use maille_database::{DbConnection, UnixTime};
use serde_json::Value;
use url::Url;

use crate::actors::remote::RemoteActorRow;
use crate::actors::{ActorKind, RemoteActor};
use crate::error::Result;
use crate::follows::{Direction, FollowState};
use crate::inbox::Incoming;
use crate::urls::authority;

/// Longest title kept, in characters.
const TITLE_MAX: usize = 200;
/// Longest summary kept, in characters.
const SUMMARY_MAX: usize = 500;

/// An item as stored.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = t)]
pub struct FeedRow {
    /// Row id.
    pub id: i64,
    /// The object's ActivityPub id.
    pub object_id: String,
    /// The followed actor it came through (its author, or a space that announced it).
    pub remote_actor_id: i64,
    /// Its author's id.
    pub author: String,
    /// Its author's `@name@host` when known, else empty.
    pub author_name: String,
    /// `pad`, `room` or `note`.
    pub kind: String,
    /// Title (may be empty).
    pub title: String,
    /// Plain text.
    pub summary: String,
    /// Its web page.
    pub url: String,
    /// When it was published.
    pub published_at: UnixTime,
    /// Its last change.
    pub updated_at: UnixTime,
    /// When it arrived here.
    pub received_at: UnixTime,
}

const PUBLIC_NAMES: [&str; 3] = [
    "https://www.w3.org/ns/activitystreams#Public",
    "as:Public",
    "Public",
];

fn strings(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

/// Whether an object (or activity) is addressed to the public.
fn is_public(object: &Value) -> bool {
    ["to", "cc"]
        .iter()
        .flat_map(|field| strings(object.get(*field)))
        .any(|a| PUBLIC_NAMES.contains(&a.as_str()))
}

/// An id given as a string or as an embedded object.
fn id_of(value: Option<&Value>) -> Option<Url> {
    match value? {
        Value::String(s) => Url::parse(s).ok(),
        Value::Object(map) => map
            .get("id")
            .and_then(Value::as_str)
            .and_then(|s| Url::parse(s).ok()),
        Value::Array(items) => items.iter().find_map(|v| id_of(Some(v))),
        _ => None,
    }
}

/// The web page of an object: its `url` (a string, a Link, or a list), else its id.
fn page_of(object: &Value, id: &Url) -> Url {
    let candidates: Vec<&Value> = match object.get("url") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(other) => vec![other],
        None => Vec::new(),
    };
    candidates
        .into_iter()
        .find_map(|v| match v {
            Value::String(s) => Url::parse(s).ok(),
            Value::Object(map) => map
                .get("href")
                .and_then(Value::as_str)
                .and_then(|s| Url::parse(s).ok()),
            _ => None,
        })
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .unwrap_or_else(|| id.clone())
}

fn date_of(object: &Value, field: &str) -> Option<UnixTime> {
    let text = object.get(field)?.as_str()?;
    chrono::DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|d| d.timestamp())
}

/// What a Maille link points at: `/p/...` a pad, `/rooms/...` a room; anything else a note.
fn kind_of(page: &Url) -> &'static str {
    let path = page.path();
    if path.starts_with("/p/") {
        "pad"
    } else if path.starts_with("/rooms/") {
        "room"
    } else {
        "note"
    }
}

fn truncate(text: &str, max: usize) -> String {
    let text = text.trim();
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max - 1).collect();
    cut.push('…');
    cut
}

/// The author's handle: known actors by their row, others from their id's last segment.
fn author_name(conn: &mut DbConnection, author: &Url) -> Result<String> {
    if let Some(actor) = RemoteActor::find_by_ap_id(conn, author.as_str())? {
        return Ok(actor.handle());
    }
    let name = author
        .path_segments()
        .and_then(|mut s| s.next_back())
        .unwrap_or_default();
    Ok(match authority(author) {
        Some(domain) if !name.is_empty() => format!("@{name}@{domain}"),
        _ => String::new(),
    })
}

/// Whether a local user or space follows `remote` (accepted).
fn is_followed(conn: &mut DbConnection, remote: i64) -> Result<bool> {
    Ok(f::table
        .filter(f::direction.eq("out"))
        .filter(f::remote_actor_id.eq(remote))
        .filter(f::state.eq(FollowState::Accepted.code()))
        .count()
        .get_result::<i64>(conn)?
        > 0)
}

/// Applies a `Create`, `Update`, `Delete` or `Announce` received from `sender` (already
/// checked and signed) to the feed, in the caller's transaction. Activities of actors that
/// nobody here follows, and objects that are not public Notes, are ignored.
pub fn receive(
    conn: &mut DbConnection,
    activity: &Incoming,
    sender: &RemoteActorRow,
    now: UnixTime,
) -> Result<()> {
    if !is_followed(conn, sender.id)? {
        tracing::debug!(actor = %sender.ap_id, kind = %activity.kind, "federation: activity of an actor nobody follows ignored");
        return Ok(());
    }
    if activity.kind == "Announce" {
        return announced(conn, activity, sender, now);
    }
    apply(
        conn,
        &activity.kind,
        &activity.actor,
        &activity.object,
        sender,
        now,
    )
}

/// Applies what an `Announce` carries. What it embeds is trusted as far as it is on the
/// announcer's instance; what was fetched ([`fetch_announced`]) as far as it is on the instance
/// it was fetched from, where its id points.
fn announced(
    conn: &mut DbConnection,
    activity: &Incoming,
    sender: &RemoteActorRow,
    now: UnixTime,
) -> Result<()> {
    let inner = &activity.object;
    let trusted = if activity.fetched {
        id_of(Some(inner)).as_ref().and_then(authority)
    } else {
        authority(&activity.actor)
    }
    .unwrap_or_default();
    let inner_kind = inner
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let inner_actor = id_of(inner.get("actor"));
    let inner_object = id_of(inner.get("object"));
    let same_instance = |u: &Option<Url>| {
        !trusted.is_empty() && u.as_ref().and_then(authority).as_deref() == Some(trusted.as_str())
    };
    match inner_kind {
        // FEP-1b12: the activity of a member of the announcing group, on its instance
        // (an embedded activity from elsewhere would need fetching to be trusted).
        "Create" | "Update" | "Delete"
            if same_instance(&inner_actor) && same_instance(&inner_object) =>
        {
            let author = inner_actor.unwrap_or_else(|| activity.actor.clone());
            apply(conn, inner_kind, &author, &inner["object"], sender, now)
        }
        // A Note (a boost): shown as published by its author, on the Note's instance.
        "Note" | "Page" | "Article" if same_instance(&id_of(Some(inner))) => {
            let Some(author) = id_of(inner.get("attributedTo")) else {
                return Ok(());
            };
            if !same_instance(&Some(author.clone())) {
                return Ok(());
            }
            apply(conn, "Create", &author, inner, sender, now)
        }
        _ => {
            tracing::info!(activity = %activity.id, fetched = activity.fetched,
                "federation: Announce of something unknown, or embedded from another instance, ignored");
            Ok(())
        }
    }
}

/// The object of an `Announce` that gives only its id, fetched from where the id points
/// (signed, through the SSRF-safe client and the admin's policy, the answer's id checked to be
/// where it was fetched from). `None` when it gives more than an id, when nobody here follows
/// the announcer (nothing is fetched for them), or when the fetch fails (logged: the
/// announcement is then remembered and ignored).
pub async fn fetch_announced(
    data: &activitypub_federation::config::Data<crate::Context>,
    activity: &Incoming,
) -> Result<Option<Value>> {
    let Value::String(id) = &activity.object else {
        return Ok(None);
    };
    let Ok(url) = Url::parse(id) else {
        return Ok(None);
    };
    if data.app_data().urls.is_local(&url) {
        return Ok(None);
    }
    let announcer = activity.actor.to_string();
    let followed = data
        .database()
        .run(
            move |conn| match RemoteActor::find_by_ap_id(conn, &announcer)? {
                Some(actor) => is_followed(conn, actor.id),
                None => Ok(false),
            },
        )
        .await?;
    if !followed {
        return Ok(None);
    }
    match activitypub_federation::fetch::fetch_object_http::<crate::Context, Value>(&url, data)
        .await
    {
        Ok(fetched) => Ok(Some(fetched.object)),
        Err(error) => {
            tracing::info!(activity = %activity.id, object = %url, %error,
                "federation: the object of an Announce could not be fetched");
            Ok(None)
        }
    }
}

/// Forgets the feed items whose last change (and arrival) is older than `before`; returns
/// how many.
pub fn prune(conn: &mut DbConnection, before: UnixTime) -> Result<usize> {
    Ok(diesel::delete(
        t::table
            .filter(t::updated_at.lt(before))
            .filter(t::received_at.lt(before)),
    )
    .execute(conn)?)
}

/// Applies one `Create`, `Update` or `Delete` by `author`, which came through `via`.
fn apply(
    conn: &mut DbConnection,
    kind: &str,
    author: &Url,
    object: &Value,
    via: &RemoteActorRow,
    now: UnixTime,
) -> Result<()> {
    let Some(object_id) = id_of(Some(object)) else {
        return Ok(());
    };
    if kind == "Delete" {
        let removed =
            diesel::delete(t::table.filter(t::object_id.eq(object_id.as_str()))).execute(conn)?;
        if removed > 0 {
            tracing::info!(object = %object_id, "federation: feed item deleted");
        }
        return Ok(());
    }
    let object_type = object
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !matches!(object_type, "Note" | "Page" | "Article") || !is_public(object) {
        return Ok(());
    }
    if let Some(attributed) = id_of(object.get("attributedTo")) {
        if authority(&attributed) != authority(author) {
            tracing::info!(object = %object_id, "federation: Note attributed to another instance ignored");
            return Ok(());
        }
    }
    let page = page_of(object, &object_id);
    let title = truncate(
        object
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default(),
        TITLE_MAX,
    );
    let mut summary = text::plain(
        object
            .get("content")
            .and_then(Value::as_str)
            .unwrap_or_default(),
    );
    // Maille's Notes start with their title: the summary is what follows.
    if !title.is_empty() {
        if let Some(rest) = summary
            .trim_start_matches(['📝', '🎥', ' '])
            .strip_prefix(title.as_str())
        {
            summary = rest.trim().to_owned();
        }
    }
    let summary = truncate(&summary, SUMMARY_MAX);
    let published = date_of(object, "published").unwrap_or(now);
    let updated = date_of(object, "updated").unwrap_or(published);
    let kind_name = kind_of(&page).to_owned();
    // A change reaches every copy (it may have come through an author and a space).
    let changed = diesel::update(t::table.filter(t::object_id.eq(object_id.as_str())))
        .set((
            t::title.eq(&title),
            t::summary.eq(&summary),
            t::url.eq(page.as_str()),
            t::kind.eq(&kind_name),
            t::updated_at.eq(updated),
        ))
        .execute(conn)?;
    let exists = t::table
        .filter(t::object_id.eq(object_id.as_str()))
        .filter(t::remote_actor_id.eq(via.id))
        .count()
        .get_result::<i64>(conn)?
        > 0;
    if !exists {
        let row = FeedRow {
            id: maille_database::random_id(),
            object_id: object_id.to_string(),
            remote_actor_id: via.id,
            author: author.to_string(),
            author_name: author_name(conn, author)?,
            kind: kind_name,
            title,
            summary,
            url: page.to_string(),
            published_at: published,
            updated_at: updated,
            received_at: now,
        };
        crate::store::insert_new(conn, |c| {
            diesel::insert_into(t::table).values(&row).execute(c)
        })?;
    }
    tracing::info!(object = %object_id, kind, new = !exists, updated = changed, "federation: feed item received");
    Ok(())
}

/// A feed item with the actor it came through.
pub type FeedItem = (FeedRow, RemoteActorRow);

/// The feed of a local actor: items from the actors it follows, newest first, each object
/// once; `before` a publication time to page back.
pub fn list(
    conn: &mut DbConnection,
    local: (ActorKind, i64),
    before: Option<UnixTime>,
    limit: i64,
) -> Result<Vec<FeedItem>> {
    use maille_database::schema::federation_remote_actors as r;
    let followed = f::table
        .filter(f::direction.eq(Direction::Out.code()))
        .filter(f::local_kind.eq(local.0.code()))
        .filter(f::local_id.eq(local.1))
        .filter(f::state.eq(FollowState::Accepted.code()))
        .select(f::remote_actor_id);
    let mut query = t::table
        .inner_join(r::table)
        .filter(t::remote_actor_id.eq_any(followed))
        .select((FeedRow::as_select(), RemoteActorRow::as_select()))
        .order((t::published_at.desc(), t::id.desc()))
        .limit(limit.saturating_mul(2))
        .into_boxed();
    if let Some(before) = before {
        query = query.filter(t::published_at.lt(before));
    }
    let rows: Vec<FeedItem> = query.load(conn)?;
    let mut seen = std::collections::HashSet::new();
    Ok(rows
        .into_iter()
        .filter(|(row, _)| seen.insert(row.object_id.clone()))
        .take(usize::try_from(limit).unwrap_or(0))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_and_pages_are_read_in_their_several_shapes() {
        assert!(is_public(&serde_json::json!({"to": "as:Public"})));
        assert!(is_public(
            &serde_json::json!({"cc": ["x", "https://www.w3.org/ns/activitystreams#Public"]})
        ));
        assert!(!is_public(
            &serde_json::json!({"to": ["https://a.example/users/x/followers"]})
        ));
        let id = Url::parse("https://a.example/notes/1").unwrap();
        let link =
            serde_json::json!({"url": [{"type": "Link", "href": "https://a.example/p/abc"}]});
        assert_eq!(page_of(&link, &id).as_str(), "https://a.example/p/abc");
        assert_eq!(
            page_of(&serde_json::json!({"url": "javascript:alert(1)"}), &id),
            id
        );
        assert_eq!(
            kind_of(&Url::parse("https://a.example/rooms/x").unwrap()),
            "room"
        );
        assert_eq!(
            kind_of(&Url::parse("https://m.example/@alice/1").unwrap()),
            "note"
        );
        assert_eq!(truncate("abcdef", 4), "abc…");
    }
}
