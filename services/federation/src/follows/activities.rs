//! The activities Maille sends about follows, as JSON (see `docs/federation.md`).

use serde_json::{json, Value};
use url::Url;

/// `Follow`: `actor` asks to follow `object`.
pub fn follow(id: &str, actor: &Url, object: &Url) -> Value {
    json!({ "id": id, "type": "Follow", "actor": actor, "object": object })
}

/// `Accept` of a `Follow` (embedded whole, as Mastodon expects).
pub fn accept(id: &Url, actor: &Url, follow: Value) -> Value {
    json!({ "id": id, "type": "Accept", "actor": actor, "object": follow })
}

/// `Reject` of a `Follow`: a refused request, or a follower removed.
pub fn reject(id: &Url, actor: &Url, follow: Value) -> Value {
    json!({ "id": id, "type": "Reject", "actor": actor, "object": follow })
}

/// `Undo` of a `Follow`: unfollowing.
pub fn undo(id: &Url, actor: &Url, follow: Value) -> Value {
    json!({ "id": id, "type": "Undo", "actor": actor, "object": follow })
}
