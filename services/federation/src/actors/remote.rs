//! Actors of other instances, as last fetched, and the local actor that signs a request.

use activitypub_federation::config::Data;
use activitypub_federation::protocol::public_key::PublicKey;
use activitypub_federation::traits::{Actor, Object};
use diesel::prelude::*;
use maille_database::schema::federation_remote_actors as t;
use maille_database::{DbConnection, UnixTime};
use url::Url;

use super::{first_url, ActorJson, Endpoints};
use crate::error::{FederationError, Result};
use crate::urls::authority;
use crate::Context;

/// An actor of another instance, with its id parsed.
#[derive(Debug, Clone)]
pub struct RemoteActor {
    /// As stored.
    pub row: RemoteActorRow,
    /// Its id.
    pub ap_url: Url,
}

impl std::ops::Deref for RemoteActor {
    type Target = RemoteActorRow;
    fn deref(&self) -> &RemoteActorRow {
        &self.row
    }
}

impl TryFrom<RemoteActorRow> for RemoteActor {
    type Error = FederationError;
    fn try_from(row: RemoteActorRow) -> Result<RemoteActor> {
        Ok(RemoteActor {
            ap_url: Url::parse(&row.ap_id)?,
            row,
        })
    }
}

/// An actor of another instance, as stored.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = t)]
pub struct RemoteActorRow {
    /// Row id.
    pub id: i64,
    /// ActivityPub id.
    pub ap_id: String,
    /// `Person`, `Group`, `Application`, `Service` or `Organization`.
    pub kind: String,
    /// The name in `@name@domain`.
    pub username: String,
    /// Its instance: `host` or `host:port`.
    pub domain: String,
    /// Name shown.
    pub display_name: String,
    /// Description (HTML as sent; never rendered as HTML by Maille).
    pub summary: String,
    /// Its inbox.
    pub inbox: String,
    /// Its server's shared inbox.
    pub shared_inbox: Option<String>,
    /// Its web page.
    pub url: Option<String>,
    /// Its avatar.
    pub icon: Option<String>,
    /// Its public key (PEM).
    pub public_key_pem: String,
    /// When it was last fetched.
    pub fetched_at: UnixTime,
}

/// Actor types Maille follows and accepts follows from.
const ACTOR_TYPES: [&str; 5] = ["Person", "Group", "Application", "Service", "Organization"];

impl RemoteActorRow {
    /// Where to deliver to it: its server's shared inbox, else its own.
    pub fn delivery_inbox(&self) -> Result<Url> {
        Ok(Url::parse(
            self.shared_inbox.as_deref().unwrap_or(&self.inbox),
        )?)
    }

    /// `@username@domain`.
    pub fn handle(&self) -> String {
        format!("@{}@{}", self.username, self.domain)
    }
}

impl RemoteActor {
    /// The stored actor with this ActivityPub id.
    pub fn find_by_ap_id(conn: &mut DbConnection, ap_id: &str) -> Result<Option<RemoteActor>> {
        t::table
            .filter(t::ap_id.eq(ap_id))
            .select(RemoteActorRow::as_select())
            .first(conn)
            .optional()?
            .map(RemoteActor::try_from)
            .transpose()
    }

    /// The stored actor known as `@username@domain`.
    pub fn find_by_handle(
        conn: &mut DbConnection,
        username: &str,
        domain: &str,
    ) -> Result<Option<RemoteActor>> {
        t::table
            .filter(t::domain.eq(domain.to_ascii_lowercase()))
            .filter(t::username.eq(username))
            .select(RemoteActorRow::as_select())
            .first(conn)
            .optional()?
            .map(RemoteActor::try_from)
            .transpose()
    }

    /// The stored actor with this row id.
    pub fn find(conn: &mut DbConnection, id: i64) -> Result<Option<RemoteActor>> {
        t::table
            .find(id)
            .select(RemoteActorRow::as_select())
            .first(conn)
            .optional()?
            .map(RemoteActor::try_from)
            .transpose()
    }

    /// Stores (or refreshes) an actor fetched from `json`; its id and key were checked.
    pub fn upsert(conn: &mut DbConnection, json: &ActorJson, now: UnixTime) -> Result<RemoteActor> {
        let domain = authority(&json.id)
            .ok_or_else(|| FederationError::BadActivity("actor id without a host".to_owned()))?;
        let username = json
            .preferred_username
            .clone()
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| {
                json.id
                    .path_segments()
                    .and_then(|mut s| s.next_back().map(str::to_owned))
                    .unwrap_or_default()
            });
        let clip = |s: &str, n: usize| s.chars().take(n).collect::<String>();
        let row = RemoteActorRow {
            id: maille_database::random_id(),
            ap_id: json.id.to_string(),
            kind: json.kind.clone(),
            username: clip(&username, 100),
            domain,
            display_name: clip(json.name.as_deref().unwrap_or(&username), 200),
            summary: clip(json.summary.as_deref().unwrap_or_default(), 2000),
            inbox: json.inbox.to_string(),
            shared_inbox: json
                .endpoints
                .as_ref()
                .and_then(|e| e.shared_inbox.as_ref())
                .map(ToString::to_string),
            url: json.url.as_ref().and_then(first_url).map(|u| u.to_string()),
            icon: json
                .icon
                .as_ref()
                .and_then(first_url)
                .map(|u| u.to_string()),
            public_key_pem: json.public_key.public_key_pem.clone(),
            fetched_at: now,
        };
        let inserted = match RemoteActor::find_by_ap_id(conn, &row.ap_id)? {
            Some(_) => false,
            None => crate::store::insert_new(conn, |c| {
                diesel::insert_into(t::table).values(&row).execute(c)
            })?,
        };
        if !inserted {
            diesel::update(t::table.filter(t::ap_id.eq(&row.ap_id)))
                .set((
                    t::kind.eq(&row.kind),
                    t::username.eq(&row.username),
                    t::display_name.eq(&row.display_name),
                    t::summary.eq(&row.summary),
                    t::inbox.eq(&row.inbox),
                    t::shared_inbox.eq(&row.shared_inbox),
                    t::url.eq(&row.url),
                    t::icon.eq(&row.icon),
                    t::public_key_pem.eq(&row.public_key_pem),
                    t::fetched_at.eq(row.fetched_at),
                ))
                .execute(conn)?;
        }
        RemoteActor::find_by_ap_id(conn, &row.ap_id)?.ok_or(FederationError::NotFound)
    }
}

/// The checks on an actor document before it is stored: same instance as where it was
/// fetched, its key owned by itself and published on its own instance, a known actor type,
/// and an instance the admin allows.
pub fn check_actor(json: &ActorJson, expected: &Url, context: &Context) -> Result<()> {
    check_actor_document(json, expected)?;
    if let Some(domain) = authority(&json.id) {
        context.policy.check(context.settings(), &domain)?;
    }
    Ok(())
}

/// The checks of [`check_actor`] on the document alone, without the admin's policy.
pub fn check_actor_document(json: &ActorJson, expected: &Url) -> Result<()> {
    let domain = authority(&json.id);
    if domain != authority(expected) {
        return Err(FederationError::BadActivity(format!(
            "actor {} served from another instance",
            json.id
        )));
    }
    if json.public_key.owner != json.id {
        return Err(FederationError::BadActivity(format!(
            "the key of {} belongs to {}",
            json.id, json.public_key.owner
        )));
    }
    let key_domain = Url::parse(&json.public_key.id)
        .ok()
        .as_ref()
        .and_then(authority);
    if key_domain != domain {
        return Err(FederationError::BadActivity(format!(
            "the key of {} is on another instance",
            json.id
        )));
    }
    if authority(&json.inbox) != domain {
        return Err(FederationError::BadActivity(format!(
            "the inbox of {} is on another instance",
            json.id
        )));
    }
    if !ACTOR_TYPES.contains(&json.kind.as_str()) {
        return Err(FederationError::BadActivity(format!(
            "{} is a {}, not an actor",
            json.id, json.kind
        )));
    }
    Ok(())
}

#[async_trait::async_trait]
impl Object for RemoteActor {
    type DataType = Context;
    type Kind = ActorJson;
    type Error = FederationError;

    fn id(&self) -> &Url {
        &self.ap_url
    }

    fn last_refreshed_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        chrono::DateTime::from_timestamp(self.fetched_at, 0)
    }

    async fn read_from_id(object_id: Url, data: &Data<Context>) -> Result<Option<Self>> {
        let id = object_id.to_string();
        data.database()
            .run(move |conn| RemoteActor::find_by_ap_id(conn, &id))
            .await
    }

    async fn into_json(self, _data: &Data<Context>) -> Result<ActorJson> {
        let id = self.ap_url.clone();
        Ok(ActorJson {
            kind: self.kind.clone(),
            id: id.clone(),
            preferred_username: Some(self.username.clone()),
            name: Some(self.display_name.clone()),
            summary: Some(self.summary.clone()),
            inbox: Url::parse(&self.inbox)?,
            outbox: None,
            followers: None,
            following: None,
            endpoints: Some(Endpoints {
                shared_inbox: self
                    .shared_inbox
                    .as_deref()
                    .and_then(|s| Url::parse(s).ok()),
                maille_home_sign_in: None,
            }),
            public_key: PublicKey {
                id: format!("{id}#main-key"),
                owner: id,
                public_key_pem: self.public_key_pem.clone(),
            },
            icon: self.icon.clone().map(serde_json::Value::String),
            url: self.url.clone().map(serde_json::Value::String),
            manually_approves_followers: None,
            discoverable: None,
        })
    }

    async fn verify(json: &ActorJson, expected_domain: &Url, data: &Data<Context>) -> Result<()> {
        check_actor(json, expected_domain, data.app_data())
    }

    async fn from_json(json: ActorJson, data: &Data<Context>) -> Result<Self> {
        data.database()
            .transaction(move |conn| RemoteActor::upsert(conn, &json, maille_database::now()))
            .await
    }
}

impl Actor for RemoteActor {
    fn public_key_pem(&self) -> &str {
        &self.public_key_pem
    }

    fn private_key_pem(&self) -> Option<String> {
        None
    }

    fn inbox(&self) -> Url {
        Url::parse(&self.inbox).unwrap_or_else(|_| self.ap_url.clone())
    }

    fn shared_inbox(&self) -> Option<Url> {
        self.shared_inbox
            .as_deref()
            .and_then(|s| Url::parse(s).ok())
    }
}

/// A local actor as the crate needs it to sign a request: id, inbox and key pair.
#[derive(Debug, Clone)]
pub struct SigningActor {
    /// The actor's id.
    pub id: Url,
    /// Its inbox.
    pub inbox: Url,
    /// Public key (PEM).
    pub public_key_pem: String,
    /// Private key (PKCS#8 PEM).
    pub private_key_pem: String,
}

#[async_trait::async_trait]
impl Object for SigningActor {
    type DataType = Context;
    type Kind = ActorJson;
    type Error = FederationError;

    fn id(&self) -> &Url {
        &self.id
    }

    async fn read_from_id(_object_id: Url, _data: &Data<Context>) -> Result<Option<Self>> {
        Ok(None)
    }

    async fn into_json(self, _data: &Data<Context>) -> Result<ActorJson> {
        Err(FederationError::Internal(
            "a signing actor is not published".to_owned(),
        ))
    }

    async fn verify(_json: &ActorJson, _expected: &Url, _data: &Data<Context>) -> Result<()> {
        Err(FederationError::Internal(
            "a signing actor is never received".to_owned(),
        ))
    }

    async fn from_json(_json: ActorJson, _data: &Data<Context>) -> Result<Self> {
        Err(FederationError::Internal(
            "a signing actor is never received".to_owned(),
        ))
    }
}

impl Actor for SigningActor {
    fn public_key_pem(&self) -> &str {
        &self.public_key_pem
    }

    fn private_key_pem(&self) -> Option<String> {
        Some(self.private_key_pem.clone())
    }

    fn inbox(&self) -> Url {
        self.inbox.clone()
    }
}
