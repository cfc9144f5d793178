//! TURN credentials in coturn's REST-API scheme (`use-auth-secret`): the username is
//! `expiry:participant`, the credential base64(HMAC-SHA1(shared secret, username)). coturn
//! recomputes it from the same secret and refuses it after the expiry, so nothing is stored.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use maille_config::RoomsSettings;
use secrecy::ExposeSecret;
use serde::Serialize;

/// One entry of the `iceServers` a client gives its `RTCPeerConnection`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IceServer {
    /// `turn:` / `turns:` URLs.
    pub urls: Vec<String>,
    /// `expiry:participant`.
    pub username: String,
    /// base64(HMAC-SHA1(secret, username)).
    pub credential: String,
}

/// The credential coturn expects for `username` under `secret`.
pub fn credential(secret: &str, username: &str) -> String {
    // HMAC accepts keys of any length: new_from_slice cannot fail for it.
    let Ok(mut mac) = Hmac::<sha1::Sha1>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(username.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// The ICE servers to hand `participant` at `now` (Unix seconds): Maille's TURN servers with
/// fresh credentials, or none when no TURN is configured (never a third-party STUN server).
pub fn ice_servers(settings: &RoomsSettings, participant: &str, now: i64) -> Vec<IceServer> {
    let secret = settings.turn_secret.expose_secret();
    if settings.turn_urls.is_empty() || secret.is_empty() {
        return Vec::new();
    }
    let ttl = i64::try_from(settings.turn_credential_ttl_seconds).unwrap_or(86_400);
    let username = format!("{}:{participant}", now.saturating_add(ttl));
    vec![IceServer {
        urls: settings.turn_urls.clone(),
        credential: credential(secret, &username),
        username,
    }]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_follow_coturns_rest_api_scheme() {
        // Computed independently: printf '1700000000:p_x' | openssl dgst -sha1 -hmac
        // 'northbound-train' -binary | base64
        assert_eq!(
            credential("northbound-train", "1700000000:p_x"),
            "KZW9nfOJRVjnEPFEw+pKwAd/BOc="
        );
        let mut settings = RoomsSettings::default();
        assert!(ice_servers(&settings, "p_x", 1_699_913_600).is_empty());
        settings.turn_urls = vec!["turn:turn.example.org:3478?transport=udp".into()];
        settings.turn_secret = "northbound-train".to_owned().into();
        settings.turn_credential_ttl_seconds = 86_400;
        let servers = ice_servers(&settings, "p_x", 1_699_913_600);
        assert_eq!(servers.len(), 1);
        assert_eq!(servers[0].username, "1700000000:p_x");
        assert_eq!(servers[0].credential, "KZW9nfOJRVjnEPFEw+pKwAd/BOc=");
    }
}
