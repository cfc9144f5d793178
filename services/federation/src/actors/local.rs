//! Local actors: a user, a space or the instance, with their federation record.

use activitypub_federation::protocol::public_key::PublicKey;
use maille_accounts::users;
use maille_database::{DbConnection, UnixTime};
use url::Url;

use super::{ActorJson, ActorKind, Endpoints, SigningActor};
use crate::error::Result;
use crate::keys::{self, LocalActorRow};
use crate::urls::Urls;
use crate::Context;

/// A local actor as published.
#[derive(Debug, Clone)]
pub struct LocalActor {
    /// User, space or instance.
    pub kind: ActorKind,
    /// The user's or space's id; 0 for the instance.
    pub local_id: i64,
    /// The name in `@name@host` (the instance: its domain).
    pub name: String,
    /// Name shown.
    pub display_name: String,
    /// Description.
    pub summary: String,
    /// Keys and choices.
    pub record: LocalActorRow,
}

impl LocalActor {
    /// The user or space called `name`, if it exists and may be shown (a disabled or not yet
    /// approved account may not). Makes its key pair on first use.
    pub fn find(
        context: &Context,
        conn: &mut DbConnection,
        kind: ActorKind,
        name: &str,
        now: UnixTime,
    ) -> Result<Option<LocalActor>> {
        let name = name.to_ascii_lowercase();
        let found = match kind {
            ActorKind::User => users::find_by_username(conn, &name)?.and_then(Found::user),
            ActorKind::Space => context
                .spaces
                .find_by_handle_blocking(conn, &name)?
                .map(Found::space),
            ActorKind::Instance => return Ok(Some(LocalActor::instance(context, conn, now)?)),
        };
        LocalActor::with_record(conn, kind, found, now)
    }

    /// The user or space with this id, on the same terms as [`LocalActor::find`].
    pub fn find_by_id(
        context: &Context,
        conn: &mut DbConnection,
        kind: ActorKind,
        local_id: i64,
        now: UnixTime,
    ) -> Result<Option<LocalActor>> {
        let found = match kind {
            ActorKind::User => {
                users::find(conn, maille_accounts::UserId(local_id))?.and_then(Found::user)
            }
            ActorKind::Space => context
                .spaces
                .space_blocking(conn, maille_spaces::SpaceId(local_id))?
                .map(Found::space),
            ActorKind::Instance => return Ok(Some(LocalActor::instance(context, conn, now)?)),
        };
        LocalActor::with_record(conn, kind, found, now)
    }

    /// The actor `found`, with its federation record (made on first use).
    fn with_record(
        conn: &mut DbConnection,
        kind: ActorKind,
        found: Option<Found>,
        now: UnixTime,
    ) -> Result<Option<LocalActor>> {
        let Some(found) = found else {
            return Ok(None);
        };
        let record = keys::ensure(conn, kind, found.local_id, now)?;
        Ok(Some(LocalActor {
            kind,
            local_id: found.local_id,
            name: found.name,
            display_name: found.display_name,
            summary: found.summary,
            record,
        }))
    }

    /// The instance actor, which signs fetches.
    pub fn instance(
        context: &Context,
        conn: &mut DbConnection,
        now: UnixTime,
    ) -> Result<LocalActor> {
        let record = keys::ensure(conn, ActorKind::Instance, 0, now)?;
        Ok(LocalActor {
            kind: ActorKind::Instance,
            local_id: 0,
            name: context.urls.domain().to_owned(),
            display_name: context.settings().instance_name.clone(),
            summary: String::new(),
            record,
        })
    }

    /// The name used in this actor's addresses (empty for the instance).
    fn path_name(&self) -> &str {
        match self.kind {
            ActorKind::Instance => "",
            _ => &self.name,
        }
    }

    /// Its id.
    pub fn id(&self, urls: &Urls) -> Url {
        urls.actor(self.kind, self.path_name())
    }

    /// Its inbox.
    pub fn inbox(&self, urls: &Urls) -> Url {
        urls.actor_part(self.kind, self.path_name(), "inbox")
    }

    /// Its followers collection (the audience of what it publishes).
    pub fn followers(&self, urls: &Urls) -> Url {
        urls.actor_part(self.kind, self.path_name(), "followers")
    }

    /// What signs its activities.
    pub fn signing_actor(&self, urls: &Urls) -> SigningActor {
        SigningActor {
            id: self.id(urls),
            inbox: self.inbox(urls),
            public_key_pem: self.record.public_key_pem.clone(),
            private_key_pem: self.record.private_key_pem.clone(),
        }
    }

    /// Its document.
    pub fn to_json(&self, urls: &Urls) -> ActorJson {
        let name = self.path_name();
        let id = self.id(urls);
        ActorJson {
            kind: self.kind.activity_type().to_owned(),
            id: id.clone(),
            preferred_username: Some(self.name.clone()),
            name: Some(self.display_name.clone()),
            summary: (!self.summary.is_empty()).then(|| escape_html(&self.summary)),
            inbox: urls.actor_part(self.kind, name, "inbox"),
            outbox: Some(urls.actor_part(self.kind, name, "outbox")),
            followers: Some(urls.actor_part(self.kind, name, "followers")),
            following: Some(urls.actor_part(self.kind, name, "following")),
            endpoints: Some(Endpoints {
                shared_inbox: Some(urls.shared_inbox()),
                maille_home_sign_in: (self.kind == ActorKind::User)
                    .then(|| urls.home_sign_in_authorize()),
            }),
            public_key: PublicKey {
                id: format!("{id}#main-key"),
                owner: id,
                public_key_pem: self.record.public_key_pem.clone(),
            },
            icon: None,
            url: Some(serde_json::Value::String(
                urls.profile(self.kind, name).to_string(),
            )),
            manually_approves_followers: Some(self.record.manual_approval),
            discoverable: Some(self.kind != ActorKind::Instance),
        }
    }
}

/// A user or space as found, before its federation record is read.
struct Found {
    local_id: i64,
    name: String,
    display_name: String,
    summary: String,
}

impl Found {
    /// A user who may be shown (approved, not disabled).
    fn user(user: users::UserRow) -> Option<Found> {
        (user.approved && !user.disabled).then(|| Found {
            local_id: user.id,
            name: user.username,
            display_name: user.display_name,
            summary: String::new(),
        })
    }

    fn space(space: maille_spaces::SpaceInfo) -> Found {
        Found {
            local_id: space.id.0,
            name: space.handle,
            display_name: space.display_name,
            summary: space.description,
        }
    }
}

/// Plain text as HTML text (ActivityPub `summary` is HTML).
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}
