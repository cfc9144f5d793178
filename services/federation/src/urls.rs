//! The addresses of this instance's ActivityPub documents. Every local actor lives under
//! `/ap/`: `/ap/users/{name}`, `/ap/spaces/{handle}` and `/ap/instance`, each with `/inbox`,
//! `/outbox`, `/followers` and `/following`; activities under `/ap/activities/{id}`; the
//! shared inbox is `/inbox`.

use url::Url;

use crate::actors::ActorKind;

/// Builds and reads the addresses of local ActivityPub documents.
#[derive(Debug, Clone)]
pub struct Urls {
    base: Url,
    origin: String,
    domain: String,
}

impl Urls {
    /// Over the instance's public URL.
    pub fn new(public_url: &Url) -> Urls {
        let mut base = public_url.clone();
        base.set_path("/");
        base.set_query(None);
        base.set_fragment(None);
        Urls {
            base,
            origin: public_url.origin().ascii_serialization(),
            domain: authority(public_url).unwrap_or_default(),
        }
    }

    /// `host` or `host:port` as in `acct:name@domain` (the port only when the URL has one).
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// `https://host` without a trailing slash.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    fn url(&self, path: &str) -> Url {
        let mut url = self.base.clone();
        url.set_path(path);
        url
    }

    /// A local actor's id.
    pub fn actor(&self, kind: ActorKind, name: &str) -> Url {
        match kind {
            ActorKind::User => self.url(&format!("/ap/users/{name}")),
            ActorKind::Space => self.url(&format!("/ap/spaces/{name}")),
            ActorKind::Instance => self.url("/ap/instance"),
        }
    }

    /// A local actor's collection or inbox: `inbox`, `outbox`, `followers`, `following`.
    pub fn actor_part(&self, kind: ActorKind, name: &str, part: &str) -> Url {
        let mut url = self.actor(kind, name);
        let path = format!("{}/{part}", url.path());
        url.set_path(&path);
        url
    }

    /// The public key's id: the actor's id with `#main-key`.
    pub fn key_id(&self, kind: ActorKind, name: &str) -> Url {
        let mut url = self.actor(kind, name);
        url.set_fragment(Some("main-key"));
        url
    }

    /// The shared inbox.
    pub fn shared_inbox(&self) -> Url {
        self.url("/inbox")
    }

    /// A new activity id.
    pub fn new_activity(&self) -> Url {
        use rand::Rng;
        let token: u128 = rand::thread_rng().gen();
        self.url(&format!("/ap/activities/{token:032x}"))
    }

    /// The web page of a user or a space.
    pub fn profile(&self, kind: ActorKind, name: &str) -> Url {
        match kind {
            ActorKind::User => self.url(&format!("/u/{name}")),
            ActorKind::Space => self.url(&format!("/s/{name}")),
            ActorKind::Instance => self.url("/"),
        }
    }

    /// The page where a user of this instance confirms signing in to another instance with
    /// their account here (published as `mailleHomeSignIn` in their actor's `endpoints`).
    pub fn home_sign_in_authorize(&self) -> Url {
        self.url("/home-sign-in/authorize")
    }

    /// The page of this instance where a sign-in with a home instance comes back.
    pub fn home_sign_in_finish(&self) -> Url {
        self.url("/home-sign-in/finish")
    }

    /// Whether `url` is on this instance.
    pub fn is_local(&self, url: &Url) -> bool {
        authority(url).as_deref() == Some(self.domain.as_str())
    }

    /// The local actor an id names, if it names one: (kind, name).
    pub fn parse_actor(&self, url: &Url) -> Option<(ActorKind, String)> {
        if !self.is_local(url) || url.query().is_some() {
            return None;
        }
        let path = url.path();
        if path == "/ap/instance" {
            return Some((ActorKind::Instance, String::new()));
        }
        let (kind, rest) = if let Some(rest) = path.strip_prefix("/ap/users/") {
            (ActorKind::User, rest)
        } else {
            (ActorKind::Space, path.strip_prefix("/ap/spaces/")?)
        };
        (!rest.is_empty() && !rest.contains('/')).then(|| (kind, rest.to_owned()))
    }
}

/// `host` or `host:port` of a URL, lower-case, without a trailing dot: what identifies an
/// instance (the port counts, so that two test instances on localhost differ).
pub fn authority(url: &Url) -> Option<String> {
    let host = url.host_str()?.trim_end_matches('.').to_ascii_lowercase();
    Some(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actors_round_trip() {
        let urls = Urls::new(&Url::parse("https://maille.example.org").unwrap());
        assert_eq!(urls.domain(), "maille.example.org");
        let alice = urls.actor(ActorKind::User, "alice");
        assert_eq!(alice.as_str(), "https://maille.example.org/ap/users/alice");
        assert_eq!(
            urls.parse_actor(&alice),
            Some((ActorKind::User, "alice".to_owned()))
        );
        let inbox = urls.actor_part(ActorKind::Space, "club", "inbox");
        assert_eq!(
            inbox.as_str(),
            "https://maille.example.org/ap/spaces/club/inbox"
        );
        assert_eq!(urls.parse_actor(&inbox), None);
        let elsewhere = Url::parse("https://other.example/ap/users/alice").unwrap();
        assert_eq!(urls.parse_actor(&elsewhere), None);
    }

    #[test]
    fn ports_count_in_the_domain() {
        let urls = Urls::new(&Url::parse("http://localhost:4000").unwrap());
        assert_eq!(urls.domain(), "localhost:4000");
        assert!(!urls.is_local(&Url::parse("http://localhost:4001/ap/instance").unwrap()));
    }
}
