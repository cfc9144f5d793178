//! The JSON of announcements: the `Note` that stands for a public pad or room, and the
//! `Create`, `Update`, `Delete` and `Announce` activities that carry it.

use maille_database::outbox::{WorkEvent, WorkKind};
use maille_database::UnixTime;
use serde_json::{json, Value};
use url::Url;

use crate::actors::local::escape_html;

/// The audience of everything public.
pub const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// RFC 3339 of a Unix time, as ActivityStreams dates are written.
pub fn date(time: UnixTime) -> String {
    chrono::DateTime::from_timestamp(time, 0)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Who publishes a Note: its author, their followers collection, and the space it was made in.
#[derive(Debug, Clone)]
pub struct Publisher {
    /// The author's id (a user, or a space).
    pub actor: Url,
    /// The author's followers collection.
    pub followers: Url,
    /// The space the work belongs to, when the author is one of its members.
    pub audience: Option<Url>,
}

/// The HTML of a Note: the title as a link, then the summary. Mastodon shows it as a post.
fn content(event: &WorkEvent, link: &Url) -> String {
    let title = if event.title.trim().is_empty() {
        link.as_str()
    } else {
        event.title.trim()
    };
    let label = match event.kind {
        WorkKind::Pad => "📝",
        WorkKind::Room => "🎥",
    };
    let mut html = format!(
        "<p>{label} <a href=\"{}\">{}</a></p>",
        escape_html(link.as_str()),
        escape_html(title)
    );
    if !event.summary.trim().is_empty() {
        html.push_str(&format!("<p>{}</p>", escape_html(event.summary.trim())));
    }
    html
}

/// The Note of a piece of public work.
pub fn note(event: &WorkEvent, id: &Url, link: &Url, by: &Publisher, now: UnixTime) -> Value {
    let mut cc = vec![Value::String(by.followers.to_string())];
    if let Some(space) = &by.audience {
        cc.push(Value::String(space.to_string()));
    }
    let mut note = json!({
        "id": id,
        "type": "Note",
        "attributedTo": by.actor,
        "name": event.title,
        "content": content(event, link),
        "mediaType": "text/html",
        "url": link,
        "published": date(event.created_at),
        "updated": date(now),
        "to": [PUBLIC],
        "cc": cc,
        "sensitive": false,
    });
    if let (Some(space), Some(map)) = (&by.audience, note.as_object_mut()) {
        map.insert("audience".to_owned(), Value::String(space.to_string()));
    }
    note
}

/// `Create` or `Update` of a Note, by its author.
pub fn create_or_update(kind: &str, id: &Url, note: Value, by: &Publisher, now: UnixTime) -> Value {
    json!({
        "id": id,
        "type": kind,
        "actor": by.actor,
        "object": note,
        "published": date(now),
        "to": [PUBLIC],
        "cc": note_cc(&note),
    })
}

fn note_cc(note: &Value) -> Value {
    note.get("cc").cloned().unwrap_or_else(|| json!([]))
}

/// `Delete` of a Note (as a `Tombstone`), by its author.
pub fn delete(id: &Url, note_id: &Url, by: &Publisher, now: UnixTime) -> Value {
    let mut cc = vec![Value::String(by.followers.to_string())];
    if let Some(space) = &by.audience {
        cc.push(Value::String(space.to_string()));
    }
    json!({
        "id": id,
        "type": "Delete",
        "actor": by.actor,
        "object": { "id": note_id, "type": "Tombstone" },
        "published": date(now),
        "to": [PUBLIC],
        "cc": cc,
    })
}

/// A space's `Announce` of an activity of one of its members (FEP-1b12): the activity is
/// embedded whole.
pub fn announce(
    id: &Url,
    space: &Url,
    space_followers: &Url,
    activity: Value,
    now: UnixTime,
) -> Value {
    json!({
        "id": id,
        "type": "Announce",
        "actor": space,
        "object": activity,
        "published": date(now),
        "to": [PUBLIC],
        "cc": [space_followers],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use maille_database::outbox::WorkAction;

    #[test]
    fn a_note_is_a_public_post_with_a_link() {
        let event = WorkEvent {
            action: WorkAction::Published,
            kind: WorkKind::Pad,
            public_id: "r".repeat(22),
            title: "Minutes <draft>".to_owned(),
            summary: String::new(),
            path: "/p/x".to_owned(),
            owner_user_id: Some(1),
            owner_space_id: None,
            author_user_id: Some(1),
            created_at: 0,
        };
        let by = Publisher {
            actor: Url::parse("https://a.example/ap/users/alice").unwrap(),
            followers: Url::parse("https://a.example/ap/users/alice/followers").unwrap(),
            audience: None,
        };
        let link = Url::parse("https://a.example/p/x").unwrap();
        let id = Url::parse("https://a.example/ap/objects/pad/x").unwrap();
        let note = note(&event, &id, &link, &by, 60);
        assert_eq!(note["to"][0], PUBLIC);
        assert_eq!(note["cc"][0], "https://a.example/ap/users/alice/followers");
        assert_eq!(note["published"], "1970-01-01T00:00:00Z");
        let html = note["content"].as_str().unwrap();
        assert!(html.contains("Minutes &lt;draft&gt;"), "{html}");
        assert!(html.contains("href=\"https://a.example/p/x\""), "{html}");
        assert!(
            note.get("summary").is_none(),
            "Mastodon shows a summary as a content warning"
        );
    }
}
