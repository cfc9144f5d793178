//! Signing in with one's home instance: someone with an account on instance B works on this
//! instance A under their own identity, `name@B`, proved by a signature of their actor's key
//! on B that A checks against the key B publishes. See `docs/federation.md`, "Signing in
//! with one's home instance", for the whole flow.
//!
//! On A (where the person wants to work): [`routes::start`] resolves `@name@B` by WebFinger,
//! reads the `mailleHomeSignIn` endpoint from the actor's `endpoints`, stores a single-use
//! nonce bound to this browser by a cookie and sends the browser to B; [`routes::finish`]
//! takes the assertion back, checks it, and opens a session on a remote account.
//!
//! On B (the home instance): [`routes::preview_authorization`] and [`routes::authorize`]
//! back the confirmation page, where the logged-in user agrees, and sign the assertion.
//!
//! [`routes::add_remote_member`] adds `@name@B` to a space here, before their first visit.

pub mod assertion;
pub mod routes;

use activitypub_federation::config::Data;
use actix_web::cookie::{Cookie, SameSite};
use diesel::prelude::*;
use maille_accounts::remote::RemoteIdentity;
use maille_config::Settings;
use maille_database::schema::federation_sign_in_requests as t;
use maille_database::{DbConnection, UnixTime};
use url::Url;

use crate::actors::remote::check_actor;
use crate::actors::ActorJson;
use crate::error::{FederationError, Result};
use crate::urls::authority;
use crate::{Context, Federation, RemoteActor};

/// Seconds a sign-in may take from the start on this instance to the return from the home
/// instance (the person may have to log in there first).
pub const REQUEST_LIFETIME: i64 = 15 * 60;

/// Name of the cookie that binds a sign-in under way to the browser that started it.
pub fn browser_cookie_name(settings: &Settings) -> &'static str {
    if settings.is_https() {
        "__Host-maille_home_sign_in"
    } else {
        "maille_home_sign_in"
    }
}

/// The cookie binding a new sign-in to this browser.
pub(crate) fn browser_cookie(settings: &Settings, secret: &str) -> Cookie<'static> {
    let mut cookie = Cookie::build(browser_cookie_name(settings), secret.to_owned())
        .path("/")
        .http_only(true)
        // Lax: sent when the home instance sends the browser back here by a top-level link.
        .same_site(SameSite::Lax)
        .secure(settings.is_https())
        .finish();
    cookie.set_max_age(actix_web::cookie::time::Duration::seconds(REQUEST_LIFETIME));
    cookie
}

/// Splits `@name@host` (the first `@` optional) into name and host, refusing this
/// instance's own accounts and anything that is not a handle.
pub(crate) fn parse_handle(raw: &str, own_domain: &str) -> Result<(String, String)> {
    let (name, domain) = split_handle(raw)?;
    if domain == own_domain {
        return Err(FederationError::invalid(
            "handle",
            "this account is on this instance: log in with its password",
        ));
    }
    Ok((name, domain))
}

/// Splits `@name@host` (the first `@` optional) into name and host (lower case), refusing
/// anything that is not a handle.
pub(crate) fn split_handle(raw: &str) -> Result<(String, String)> {
    let handle = raw.trim().trim_start_matches('@');
    let invalid = || FederationError::invalid("handle", "write it as @name@host");
    let (name, domain) = handle.split_once('@').ok_or_else(invalid)?;
    if name.is_empty()
        || domain.is_empty()
        || handle.len() > 300
        || domain.contains(['/', '@', '?', '#', '\\'])
        || name.contains(['/', '?', '#', '\\'])
        || handle.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(invalid());
    }
    Ok((name.to_owned(), domain.to_ascii_lowercase()))
}

/// Fetches an actor's document afresh from its instance, through the policy-checked,
/// SSRF-safe client, and runs the usual checks on it (same instance, own key, allowed
/// domain); only a `Person` may sign in.
pub(crate) async fn fetch_person(data: &Data<Context>, id: &Url) -> Result<ActorJson> {
    let fetched =
        activitypub_federation::fetch::fetch_object_http::<Context, ActorJson>(id, data).await?;
    let json = fetched.object;
    check_actor(&json, id, data.app_data())?;
    if json.id != *id {
        return Err(FederationError::BadActivity(format!(
            "{id} answered with the document of {}",
            json.id
        )));
    }
    if json.kind != "Person" {
        return Err(FederationError::invalid(
            "handle",
            "only a person's account can sign in",
        ));
    }
    Ok(json)
}

/// Resolves `name@domain` by WebFinger to a person, and reads where they confirm sign-ins.
pub(crate) async fn resolve(
    federation: &Federation,
    name: &str,
    domain: &str,
) -> Result<(RemoteActor, ActorJson)> {
    federation
        .context()
        .policy
        .check(federation.settings(), domain)?;
    let data = federation.data();
    let handle = format!("{name}@{domain}");
    let actor: RemoteActor =
        activitypub_federation::fetch::webfinger::webfinger_resolve_actor(&handle, &data)
            .await
            .map_err(|e| match e {
                FederationError::NotFound => {
                    FederationError::invalid("handle", "no such account on that instance")
                }
                other => other,
            })?;
    if authority(&actor.ap_url).as_deref() != Some(domain) {
        return Err(FederationError::invalid(
            "handle",
            "that account lives on another instance than its address says",
        ));
    }
    let json = fetch_person(&data, &actor.ap_url).await?;
    Ok((actor, json))
}

/// Who an actor document says its person is, for their account here.
pub(crate) fn identity_of(json: &ActorJson) -> Result<RemoteIdentity> {
    let domain = authority(&json.id)
        .ok_or_else(|| FederationError::BadActivity("actor id without a host".to_owned()))?;
    let name = json
        .preferred_username
        .clone()
        .filter(|u| !u.is_empty())
        .ok_or_else(|| FederationError::BadActivity(format!("{} has no username", json.id)))?;
    Ok(RemoteIdentity {
        actor_id: json.id.to_string(),
        display_name: json.name.clone().unwrap_or_else(|| name.clone()),
        name,
        domain,
    })
}

/// A sign-in under way, as stored.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = t)]
pub(crate) struct SignInRequest {
    /// SHA-256 of the nonce sent to the home instance.
    pub nonce_hash: String,
    /// SHA-256 of the browser cookie's secret.
    pub browser_hash: String,
    /// The actor expected to sign.
    pub actor_id: String,
    /// The path to open once signed in.
    pub return_to: String,
    /// When it started.
    pub created_at: UnixTime,
    /// When it can no longer finish.
    pub expires_at: UnixTime,
}

/// Stores a new sign-in under way and forgets expired ones.
pub(crate) fn store_request(conn: &mut DbConnection, request: &SignInRequest) -> Result<()> {
    diesel::delete(t::table.filter(t::expires_at.le(request.created_at))).execute(conn)?;
    diesel::insert_into(t::table)
        .values(request)
        .execute(conn)?;
    Ok(())
}

/// Takes (deletes) the sign-in under way with this nonce, started by this browser and not
/// expired: each nonce finishes at most one sign-in.
pub(crate) fn take_request(
    conn: &mut DbConnection,
    nonce: &str,
    browser_secret: &str,
    now: UnixTime,
) -> Result<SignInRequest> {
    let nonce_hash = maille_accounts::token_digest(nonce);
    let browser_hash = maille_accounts::token_digest(browser_secret);
    let found: Option<SignInRequest> = t::table
        .find(&nonce_hash)
        .filter(t::browser_hash.eq(&browser_hash))
        .select(SignInRequest::as_select())
        .first(conn)
        .optional()?;
    let Some(request) = found else {
        return Err(FederationError::SignInRefused(
            "unknown or used nonce, or another browser".to_owned(),
        ));
    };
    let deleted = diesel::delete(
        t::table
            .find(&nonce_hash)
            .filter(t::browser_hash.eq(&browser_hash)),
    )
    .execute(conn)?;
    if deleted != 1 {
        return Err(FederationError::SignInRefused(
            "nonce already used".to_owned(),
        ));
    }
    if now >= request.expires_at {
        return Err(FederationError::SignInRefused(
            "sign-in started too long ago".to_owned(),
        ));
    }
    Ok(request)
}

/// A path on this instance to come back to: it must start with one `/` (not `//` nor `/\`,
/// which browsers read as another host); anything else becomes `/`.
pub(crate) fn safe_return_to(raw: Option<&str>) -> String {
    match raw {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.starts_with("/\\")
                && path.len() <= 2000
                && !path.chars().any(char::is_control) =>
        {
            path.to_owned()
        }
        _ => "/".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_are_checked() {
        assert_eq!(
            parse_handle(" @Alice@B.example ", "a.example").unwrap(),
            ("Alice".to_owned(), "b.example".to_owned())
        );
        assert_eq!(
            parse_handle("alice@localhost:4001", "localhost:4000")
                .unwrap()
                .1,
            "localhost:4001"
        );
        for bad in [
            "alice",
            "@alice",
            "alice@",
            "alice@b/x",
            "a b@c",
            "alice@a.example",
            "x@y@z",
        ] {
            assert!(parse_handle(bad, "a.example").is_err(), "{bad}");
        }
    }

    #[test]
    fn return_paths_stay_on_this_instance() {
        assert_eq!(safe_return_to(Some("/p/abc?x=1")), "/p/abc?x=1");
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "https://evil.example",
            "",
            "p/abc",
        ] {
            assert_eq!(safe_return_to(Some(bad)), "/", "{bad}");
        }
        assert_eq!(safe_return_to(None), "/");
    }
}
