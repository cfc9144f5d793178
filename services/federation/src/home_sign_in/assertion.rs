//! The proof a home instance gives that one of its users signs in elsewhere: a small JSON
//! payload (subject, audience, nonce, times) signed with that user's actor key.
//!
//! Wire form: `BASE64URL(payload JSON) "." BASE64URL(signature)`, no padding. The signature
//! is RSASSA-PKCS1-v1_5 with SHA-256 (as HTTP signatures use) over the bytes of
//! `maille-home-sign-in-v1.` followed by the first part; the prefix keeps a key from ever
//! being tricked into signing something that reads as another kind of message.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use maille_database::UnixTime;
use serde::{Deserialize, Serialize};

use crate::error::{FederationError, Result};
use crate::keys;

/// What the signature covers, before the encoded payload.
const DOMAIN_SEPARATION: &str = "maille-home-sign-in-v1.";

/// Longest lifetime an assertion may claim, in seconds.
pub const MAX_LIFETIME: i64 = 300;

/// Lifetime of the assertions this instance makes, in seconds.
pub const LIFETIME: i64 = 120;

/// Clock difference tolerated between two instances, in seconds.
const CLOCK_SKEW: i64 = 60;

/// Longest assertion accepted, in bytes.
pub const MAX_LENGTH: usize = 8 * 1024;

/// The signed claims.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Claims {
    /// The home instance's origin (`https://host`).
    pub iss: String,
    /// The ActivityPub id of the user's actor on the home instance.
    pub sub: String,
    /// The origin of the instance signed in to.
    pub aud: String,
    /// The nonce that instance sent.
    pub nonce: String,
    /// When it was made (Unix seconds).
    pub iat: UnixTime,
    /// When it stops being valid (Unix seconds).
    pub exp: UnixTime,
}

fn refused(reason: impl Into<String>) -> FederationError {
    FederationError::SignInRefused(reason.into())
}

/// Encodes and signs `claims` with a PKCS#8 PEM private key.
pub fn sign(claims: &Claims, private_key_pem: &str) -> Result<String> {
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims)?);
    let signature = keys::sign(private_key_pem, signed_bytes(&payload).as_bytes())?;
    let raw = STANDARD
        .decode(signature)
        .map_err(|e| FederationError::Internal(format!("signature encoding: {e}")))?;
    Ok(format!("{payload}.{}", URL_SAFE_NO_PAD.encode(raw)))
}

fn signed_bytes(payload: &str) -> String {
    format!("{DOMAIN_SEPARATION}{payload}")
}

/// An assertion as received: its claims, read but not yet trusted.
#[derive(Debug, Clone)]
pub struct Unverified {
    /// The claims, as the sender wrote them.
    pub claims: Claims,
    payload: String,
    signature: Vec<u8>,
}

/// Reads an assertion's claims without trusting them yet.
pub fn read(token: &str) -> Result<Unverified> {
    if token.len() > MAX_LENGTH {
        return Err(refused("assertion too long"));
    }
    let (payload, signature) = token
        .split_once('.')
        .ok_or_else(|| refused("assertion without a signature"))?;
    let json = URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|_| refused("assertion payload is not base64url"))?;
    let claims: Claims =
        serde_json::from_slice(&json).map_err(|e| refused(format!("assertion payload: {e}")))?;
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| refused("assertion signature is not base64url"))?;
    Ok(Unverified {
        claims,
        payload: payload.to_owned(),
        signature,
    })
}

impl Unverified {
    /// Checks the signature against the public key (PEM) of the subject's actor, as its home
    /// instance publishes it.
    pub fn verify_signature(&self, public_key_pem: &str) -> Result<()> {
        let signature = STANDARD.encode(&self.signature);
        if keys::verify(
            public_key_pem,
            signed_bytes(&self.payload).as_bytes(),
            &signature,
        ) {
            Ok(())
        } else {
            Err(refused(format!(
                "the signature of {} does not verify",
                self.claims.sub
            )))
        }
    }

    /// Checks the claims that need no key: made for `audience`, not expired at `now`, not
    /// made in the future, not claiming a long life.
    pub fn check_times_and_audience(&self, audience: &str, now: UnixTime) -> Result<()> {
        let c = &self.claims;
        if c.aud != audience {
            return Err(refused(format!("assertion made for {}", c.aud)));
        }
        if now >= c.exp {
            return Err(refused("assertion expired"));
        }
        if c.iat > now + CLOCK_SKEW || c.exp - c.iat > MAX_LIFETIME || c.exp < c.iat {
            return Err(refused("assertion times out of bounds"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(now: UnixTime) -> Claims {
        Claims {
            iss: "https://b.example".to_owned(),
            sub: "https://b.example/ap/users/alice".to_owned(),
            aud: "https://a.example".to_owned(),
            nonce: "n0nce".to_owned(),
            iat: now,
            exp: now + LIFETIME,
        }
    }

    #[test]
    fn a_signed_assertion_verifies_with_its_key_only() {
        let (public, private) = keys::generate().unwrap();
        let (other_public, _) = keys::generate().unwrap();
        let token = sign(&claims(1000), &private).unwrap();
        let read = read(&token).unwrap();
        assert_eq!(read.claims, claims(1000));
        read.verify_signature(&public).unwrap();
        assert!(read.verify_signature(&other_public).is_err());
        read.check_times_and_audience("https://a.example", 1001)
            .unwrap();
    }

    #[test]
    fn tampered_expired_or_misdirected_assertions_are_refused() {
        let (public, private) = keys::generate().unwrap();
        let token = sign(&claims(1000), &private).unwrap();
        // Another subject with the same signature.
        let mut forged = claims(1000);
        forged.sub = "https://b.example/ap/users/mallory".to_owned();
        let forged_payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&forged).unwrap());
        let signature = token.split_once('.').unwrap().1;
        let tampered = read(&format!("{forged_payload}.{signature}")).unwrap();
        assert!(tampered.verify_signature(&public).is_err());

        let read = read(&token).unwrap();
        assert!(read
            .check_times_and_audience("https://c.example", 1001)
            .is_err());
        assert!(read
            .check_times_and_audience("https://a.example", 1000 + LIFETIME)
            .is_err());
        let mut long = claims(1000);
        long.exp = 1000 + MAX_LIFETIME + 1;
        let long = super::read(&sign(&long, &private).unwrap()).unwrap();
        assert!(long
            .check_times_and_audience("https://a.example", 1001)
            .is_err());
        assert!(long.verify_signature(&public).is_ok());

        assert!(super::read("no-dot").is_err());
        assert!(super::read("!!!.???").is_err());
        assert!(super::read(&"a".repeat(MAX_LENGTH + 1)).is_err());
    }
}
