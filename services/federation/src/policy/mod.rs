//! Who may federate: the instance's mode (`open`, `allowlist`, `off`) and the admin's domain
//! blocks and allows, applied to incoming activities, outgoing deliveries and fetches (through
//! the crate's [`UrlVerifier`]); the SSRF-safe HTTP client; the per-instance inbox limit.

pub mod cli;
pub mod routes;

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use activitypub_federation::config::UrlVerifier;
use diesel::prelude::*;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use maille_config::{FederationMode, FederationSettings, Settings};
use maille_database::schema::federation_domain_policies as t;
use maille_database::{Database, DbConnection, UnixTime};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::error::{FederationError, Result};
use crate::urls::authority;
use crate::Context;

/// What the admin decided about a domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DomainPolicy {
    /// Nothing is exchanged with it or its subdomains.
    Block,
    /// It may federate in `allowlist` mode.
    Allow,
}

impl DomainPolicy {
    /// Its name in the database and the API.
    pub fn code(self) -> &'static str {
        match self {
            DomainPolicy::Block => "block",
            DomainPolicy::Allow => "allow",
        }
    }

    /// Parses a name.
    pub fn parse(code: &str) -> Option<DomainPolicy> {
        match code {
            "block" => Some(DomainPolicy::Block),
            "allow" => Some(DomainPolicy::Allow),
            _ => None,
        }
    }
}

/// A domain policy as stored.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = t)]
pub struct DomainPolicyRow {
    /// The domain (`host` or `host:port`), lower-case.
    pub domain: String,
    /// `block` or `allow`.
    pub policy: String,
    /// Why (free text from the admin).
    pub reason: String,
    /// When it was decided.
    pub created_at: UnixTime,
}

/// Normalises a domain typed by an admin: lower-case, no scheme, path or trailing dot.
pub fn normalize_domain(raw: &str) -> Result<String> {
    let raw = raw.trim().trim_end_matches('/');
    let raw = raw
        .strip_prefix("https://")
        .or_else(|| raw.strip_prefix("http://"))
        .unwrap_or(raw);
    let domain = raw.trim_end_matches('.').to_ascii_lowercase();
    let ok = !domain.is_empty()
        && domain.len() <= 260
        && domain
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == ':')
        && !domain.starts_with('.')
        && !domain.contains("..");
    if ok {
        Ok(domain)
    } else {
        Err(FederationError::invalid("domain", "not a domain name"))
    }
}

/// Whether a policy entry covers `domain`: the same, the same host on any port, or a
/// subdomain.
fn covers(entry: &str, domain: &str) -> bool {
    if entry == domain {
        return true;
    }
    let host = domain.split(':').next().unwrap_or(domain);
    if entry.contains(':') {
        return false;
    }
    host == entry || host.ends_with(&format!(".{entry}"))
}

/// The domain policies, kept in memory (reloaded after each change in this process and by
/// [`crate::Federation::maintenance`] for changes made by others).
#[derive(Clone, Default)]
pub struct Policy {
    entries: Arc<RwLock<HashMap<String, DomainPolicy>>>,
}

impl Policy {
    /// Loads the stored policies.
    pub async fn load(db: &Database) -> Result<Policy> {
        let policy = Policy::default();
        policy.reload(db).await?;
        Ok(policy)
    }

    /// Reloads the stored policies.
    pub async fn reload(&self, db: &Database) -> Result<()> {
        let rows = db.run(list).await?;
        let map = rows
            .into_iter()
            .filter_map(|r| DomainPolicy::parse(&r.policy).map(|p| (r.domain, p)))
            .collect();
        *self
            .entries
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = map;
        Ok(())
    }

    /// Why `domain` may not federate, if it may not.
    pub fn refusal(&self, settings: &Settings, domain: &str) -> Option<String> {
        let mode = settings.federation.mode;
        if mode == FederationMode::Off {
            return Some("federation is off".to_owned());
        }
        let entries = self
            .entries
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if entries
            .iter()
            .any(|(entry, p)| *p == DomainPolicy::Block && covers(entry, domain))
        {
            return Some(format!("{domain} is blocked"));
        }
        if mode == FederationMode::Allowlist
            && !entries
                .iter()
                .any(|(entry, p)| *p == DomainPolicy::Allow && covers(entry, domain))
        {
            return Some(format!("{domain} is not on the allowlist"));
        }
        None
    }

    /// `Ok` when `domain` may federate; else the refusal, logged with its reason.
    pub fn check(&self, settings: &Settings, domain: &str) -> Result<()> {
        match self.refusal(settings, domain) {
            None => Ok(()),
            Some(reason) => {
                tracing::info!(domain, reason = %reason, "federation: refused");
                Err(FederationError::Refused(reason))
            }
        }
    }

    /// [`Policy::check`] for the instance of a URL.
    pub fn check_url(&self, settings: &Settings, url: &Url) -> Result<()> {
        let domain = authority(url)
            .ok_or_else(|| FederationError::BadActivity(format!("{url} has no host")))?;
        self.check(settings, &domain)
    }
}

/// The crate's hook on every URL it fetches, sends to or receives an activity id from.
#[derive(Clone)]
pub struct Verifier(pub Context);

#[async_trait::async_trait]
impl UrlVerifier for Verifier {
    async fn verify(&self, url: &Url) -> Result<(), activitypub_federation::error::Error> {
        self.0
            .policy
            .check_url(self.0.settings(), url)
            .map_err(|e| activitypub_federation::error::Error::Other(format!("refused: {e}")))
    }
}

/// The stored policies, by domain.
pub fn list(conn: &mut DbConnection) -> Result<Vec<DomainPolicyRow>> {
    Ok(t::table
        .order(t::domain)
        .select(DomainPolicyRow::as_select())
        .load(conn)?)
}

/// Sets the policy of `domain` (replacing any earlier one).
pub fn set(
    conn: &mut DbConnection,
    domain: &str,
    policy: DomainPolicy,
    reason: &str,
    now: UnixTime,
) -> Result<()> {
    let row = DomainPolicyRow {
        domain: normalize_domain(domain)?,
        policy: policy.code().to_owned(),
        reason: reason.chars().take(500).collect(),
        created_at: now,
    };
    let exists = t::table.find(&row.domain).count().get_result::<i64>(conn)? > 0;
    if exists
        || !crate::store::insert_new(conn, |c| {
            diesel::insert_into(t::table).values(&row).execute(c)
        })?
    {
        diesel::update(t::table.find(&row.domain))
            .set((
                t::policy.eq(&row.policy),
                t::reason.eq(&row.reason),
                t::created_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Removes the policy of `domain` if it is `policy`; returns whether one was removed.
pub fn remove(conn: &mut DbConnection, domain: &str, policy: Option<DomainPolicy>) -> Result<bool> {
    let domain = normalize_domain(domain)?;
    let query = t::table.filter(t::domain.eq(&domain));
    let removed = match policy {
        Some(p) => diesel::delete(query.filter(t::policy.eq(p.code()))).execute(conn)?,
        None => diesel::delete(query).execute(conn)?,
    };
    Ok(removed > 0)
}

/// Adds the configuration's blocked and allowed domains that are not stored yet; returns how
/// many were added.
pub fn seed(
    conn: &mut DbConnection,
    settings: &FederationSettings,
    now: UnixTime,
) -> Result<usize> {
    let mut added = 0;
    for (list, policy) in [
        (&settings.blocked_domains, DomainPolicy::Block),
        (&settings.allowed_domains, DomainPolicy::Allow),
    ] {
        for domain in list {
            let row = DomainPolicyRow {
                domain: normalize_domain(domain)?,
                policy: policy.code().to_owned(),
                reason: "from the configuration".to_owned(),
                created_at: now,
            };
            if crate::store::insert_new(conn, |c| {
                diesel::insert_into(t::table).values(&row).execute(c)
            })? {
                added += 1;
            }
        }
    }
    Ok(added)
}

/// The HTTP client for every request to another instance: no automatic redirects (the crate
/// follows one itself, checking it again), timeouts, and a DNS resolver that refuses private,
/// loopback and link-local addresses at connection time, which also defeats DNS rebinding.
/// Only `federation.allow_insecure_http` (tests) lifts the address check.
pub fn http_client(
    insecure: bool,
    timeout: Duration,
    settings: &Settings,
) -> Result<reqwest_middleware::ClientWithMiddleware> {
    use activitypub_federation::resolver::ValidatingDnsResolver;
    install_tls_provider();
    let client = reqwest_federation::Client::builder()
        .redirect(reqwest_federation::redirect::Policy::none())
        .timeout(timeout)
        .connect_timeout(timeout)
        .pool_max_idle_per_host(4)
        .user_agent(format!(
            "Maille/{} (+{})",
            env!("CARGO_PKG_VERSION"),
            settings.public_origin()
        ))
        .dns_resolver(Arc::new(ValidatingDnsResolver::new(Vec::new(), !insecure)))
        .build()
        .map_err(|e| FederationError::Internal(format!("HTTP client: {e}")))?;
    Ok(client.into())
}

/// Makes ring the process's TLS provider (as for the rest of Maille) unless one was chosen
/// already; reqwest 0.13 needs one before it builds a client.
pub fn install_tls_provider() {
    // Err means one is installed already, which is as good.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Limits the activities accepted from each instance, so that a flood from one does not
/// affect the others.
#[derive(Clone)]
pub struct InboxLimiter {
    limiter: Arc<DefaultKeyedRateLimiter<String>>,
}

impl InboxLimiter {
    /// With the configured rate and burst.
    pub fn new(settings: &FederationSettings) -> InboxLimiter {
        let rate =
            NonZeroU32::new(settings.inbox_per_second_per_instance).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(settings.inbox_burst_per_instance).unwrap_or(NonZeroU32::MIN);
        InboxLimiter {
            limiter: Arc::new(RateLimiter::keyed(
                Quota::per_second(rate).allow_burst(burst),
            )),
        }
    }

    /// Counts one activity from `domain`; `Err` (logged) when it is over its limit.
    pub fn check(&self, domain: &str) -> Result<()> {
        if self.limiter.check_key(&domain.to_owned()).is_ok() {
            Ok(())
        } else {
            tracing::warn!(domain, "federation: refused, inbox rate limit exceeded");
            Err(FederationError::RateLimited(domain.to_owned()))
        }
    }

    /// Forgets instances that are back under their limit.
    pub fn shrink(&self) {
        self.limiter.retain_recent();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_cover_subdomains_and_ports() {
        assert!(covers("bad.example", "bad.example"));
        assert!(covers("bad.example", "social.bad.example"));
        assert!(covers("bad.example", "bad.example:8443"));
        assert!(!covers("bad.example", "notbad.example"));
        assert!(covers("localhost:4000", "localhost:4000"));
        assert!(!covers("localhost:4000", "localhost:4001"));
    }

    #[test]
    fn domains_are_normalised() {
        assert_eq!(
            normalize_domain(" https://Bad.Example./ ").unwrap(),
            "bad.example"
        );
        assert!(normalize_domain("bad example").is_err());
        assert!(normalize_domain("").is_err());
        assert!(normalize_domain("a..b").is_err());
    }

    /// The client refuses to connect to a name that resolves to a loopback address (as a
    /// rebinding attacker's name would), unless the test-only setting is on.
    #[tokio::test]
    async fn the_client_never_reaches_loopback_by_name() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            use std::io::{Read, Write};
            for mut stream in listener.incoming().flatten() {
                let mut buffer = [0u8; 1024];
                let _ = stream.read(&mut buffer);
                let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok");
            }
        });
        let settings = Settings::default();
        let url = format!("http://localhost:{port}/");
        let safe = http_client(false, Duration::from_secs(5), &settings).unwrap();
        let error = safe.get(&url).send().await.unwrap_err();
        assert!(
            format!("{error:?}").contains("ResolveInternalIpError"),
            "{error:?}"
        );
        let insecure = http_client(true, Duration::from_secs(5), &settings).unwrap();
        assert_eq!(
            insecure.get(&url).send().await.unwrap().status().as_u16(),
            200
        );
    }

    #[test]
    fn modes_decide() {
        let policy = Policy::default();
        policy.entries.write().unwrap().extend([
            ("bad.example".to_owned(), DomainPolicy::Block),
            ("friend.example".to_owned(), DomainPolicy::Allow),
        ]);
        let mut settings = Settings::default();
        assert!(policy.refusal(&settings, "any.example").is_none());
        assert!(policy.refusal(&settings, "x.bad.example").is_some());
        settings.federation.mode = FederationMode::Allowlist;
        assert!(policy.refusal(&settings, "any.example").is_some());
        assert!(policy.refusal(&settings, "friend.example").is_none());
        settings.federation.mode = FederationMode::Off;
        assert!(policy.refusal(&settings, "friend.example").is_some());
    }
}
