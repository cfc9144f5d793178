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
            ActorKind::User => users::find_by_username(conn, &name)?
                .filter(|u| u.approved && !u.disabled)
                .map(|u| (u.id, u.username, u.display_name, String::new())),
            ActorKind::Space => context
                .spaces
                .find_by_handle_blocking(conn, &name)?
                .map(|s| (s.id.0, s.handle, s.display_name, s.description)),
            ActorKind::Instance => return Ok(Some(LocalActor::instance(context, conn, now)?)),
        };
        let Some((local_id, name, display_name, summary)) = found else {
            return Ok(None);
        };
        let record = keys::ensure(conn, kind, local_id, now)?;
        Ok(Some(LocalActor {
            kind,
            local_id,
            name,
            display_name,
            summary,
            record,
        }))
    }

    /// The user or space with this id.
    pub fn find_by_id(
        context: &Context,
        conn: &mut DbConnection,
        kind: ActorKind,
        local_id: i64,
        now: UnixTime,
    ) -> Result<Option<LocalActor>> {
        let name = match kind {
            ActorKind::User => {
                users::find(conn, maille_accounts::UserId(local_id))?.map(|u| u.username)
            }
            ActorKind::Space => context
                .spaces
                .space_blocking(conn, maille_spaces::SpaceId(local_id))?
                .map(|s| s.handle),
            ActorKind::Instance => Some(String::new()),
        };
        match name {
            Some(name) => LocalActor::find(context, conn, kind, &name, now),
            None => Ok(None),
        }
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
