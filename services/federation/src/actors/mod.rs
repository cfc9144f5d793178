//! Actors: local users (`Person`), spaces (`Group`, as FEP-1b12 groups) and the instance
//! (`Application`, which signs fetches), and the remote actors this instance knows.

pub mod local;
pub mod remote;
pub mod routes;

use serde::{Deserialize, Serialize};
use url::Url;

pub use local::LocalActor;
pub use remote::{RemoteActor, SigningActor};

/// Which kind of local actor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ActorKind {
    /// A user: a `Person`.
    User,
    /// A space: a `Group`.
    Space,
    /// The instance itself: an `Application`.
    Instance,
}

impl ActorKind {
    /// Its name in the database and the API.
    pub fn code(self) -> &'static str {
        match self {
            ActorKind::User => "user",
            ActorKind::Space => "space",
            ActorKind::Instance => "instance",
        }
    }

    /// Parses a name.
    pub fn parse(code: &str) -> Option<ActorKind> {
        match code {
            "user" => Some(ActorKind::User),
            "space" => Some(ActorKind::Space),
            "instance" => Some(ActorKind::Instance),
            _ => None,
        }
    }

    /// Its ActivityStreams type.
    pub fn activity_type(self) -> &'static str {
        match self {
            ActorKind::User => "Person",
            ActorKind::Space => "Group",
            ActorKind::Instance => "Application",
        }
    }
}

/// An actor document, as Maille publishes it and as it reads other servers' (Mastodon,
/// PeerTube, Mobilizon, Lemmy): only the fields Maille uses, unknown ones ignored.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActorJson {
    /// `Person`, `Group`, `Application`, `Service` or `Organization`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The actor's id.
    pub id: Url,
    /// The name in `@name@host`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_username: Option<String>,
    /// Name shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Short description (HTML in Mastodon's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// Where activities for this actor are posted.
    pub inbox: Url,
    /// Activities it published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outbox: Option<Url>,
    /// Who follows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub followers: Option<Url>,
    /// Whom it follows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub following: Option<Url>,
    /// The shared inbox, when its server has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoints: Option<Endpoints>,
    /// The key its HTTP signatures verify with.
    pub public_key: activitypub_federation::protocol::public_key::PublicKey,
    /// Avatar: an `Image` (or a list of them, or a bare URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon: Option<serde_json::Value>,
    /// Web page of the actor: a URL (or a `Link`, or a list).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<serde_json::Value>,
    /// Whether follows wait for the actor's approval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manually_approves_followers: Option<bool>,
    /// Whether it may be listed in directories.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discoverable: Option<bool>,
}

/// `endpoints` of an actor.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Endpoints {
    /// The server's shared inbox.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shared_inbox: Option<Url>,
    /// Maille's: the page where this person confirms signing in to another instance with
    /// their account here (`mailleHomeSignIn`; see `docs/federation.md`, "Signing in with
    /// one's home instance"). Only on users of Maille instances.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maille_home_sign_in: Option<Url>,
}

/// The first URL in a value that may be a URL, a `Link` or `Image` object, or a list of them.
pub fn first_url(value: &serde_json::Value) -> Option<Url> {
    match value {
        serde_json::Value::String(s) => Url::parse(s).ok(),
        serde_json::Value::Array(items) => items.iter().find_map(first_url),
        serde_json::Value::Object(map) => map
            .get("href")
            .or_else(|| map.get("url"))
            .and_then(first_url),
        _ => None,
    }
}

/// The JSON-LD `@context` of Maille's documents.
pub fn context() -> serde_json::Value {
    serde_json::json!([
        "https://www.w3.org/ns/activitystreams",
        "https://w3id.org/security/v1",
        {
            "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
            "toot": "http://joinmastodon.org/ns#",
            "discoverable": "toot:discoverable",
            "maille": "https://maille.invalid/ns#",
            "mailleHomeSignIn": { "@id": "maille:homeSignIn", "@type": "@id" }
        }
    ])
}
