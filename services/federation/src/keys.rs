//! Key pairs of local actors (users, spaces, the instance) for HTTP signatures: RSA 2048, made
//! the first time an actor is needed, kept in `federation_local_actors`, never changed.

use base64::Engine as _;
use diesel::prelude::*;
use maille_database::schema::federation_local_actors as t;
use maille_database::{DbConnection, UnixTime};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::{Pkcs1v15Sign, RsaPrivateKey, RsaPublicKey};
use sha2::{Digest, Sha256};

use crate::actors::ActorKind;
use crate::error::{FederationError, Result};

/// A local actor's federation record: its key pair and choices.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = t)]
pub struct LocalActorRow {
    /// `user`, `space` or `instance`.
    pub kind: String,
    /// The user's or space's id; 0 for the instance.
    pub local_id: i64,
    /// Public key (SPKI PEM), published on the actor.
    pub public_key_pem: String,
    /// Private key (PKCS#8 PEM). Never leaves the server.
    pub private_key_pem: String,
    /// Whether follow requests wait for the actor's approval.
    pub manual_approval: bool,
    /// When the keys were made.
    pub created_at: UnixTime,
}

/// The stored record of a local actor, if any.
pub fn find(
    conn: &mut DbConnection,
    kind: ActorKind,
    local_id: i64,
) -> Result<Option<LocalActorRow>> {
    Ok(t::table
        .find((kind.code(), local_id))
        .select(LocalActorRow::as_select())
        .first(conn)
        .optional()?)
}

/// A fresh key pair (public, private PEM). Slow (tens of milliseconds): call it off the executor.
pub fn generate() -> Result<(String, String)> {
    let pair = activitypub_federation::http_signatures::generate_actor_keypair()
        .map_err(|e| FederationError::Internal(format!("key generation: {e}")))?;
    Ok((pair.public_key, pair.private_key))
}

/// The record of a local actor, made with a new key pair when missing. The key pair is made on
/// the caller's connection, inside its transaction when it has one (which then stays open
/// for those tens of milliseconds, once per actor); when two callers race, the first stored
/// wins.
pub fn ensure(
    conn: &mut DbConnection,
    kind: ActorKind,
    local_id: i64,
    now: UnixTime,
) -> Result<LocalActorRow> {
    if let Some(row) = find(conn, kind, local_id)? {
        return Ok(row);
    }
    let (public_key_pem, private_key_pem) = generate()?;
    let row = LocalActorRow {
        kind: kind.code().to_owned(),
        local_id,
        public_key_pem,
        private_key_pem,
        manual_approval: false,
        created_at: now,
    };
    crate::store::insert_new(conn, |c| {
        diesel::insert_into(t::table).values(&row).execute(c)
    })?;
    find(conn, kind, local_id)?.ok_or(FederationError::NotFound)
}

/// Sets whether `kind`/`local_id` approves its followers by hand.
pub fn set_manual_approval(
    conn: &mut DbConnection,
    kind: ActorKind,
    local_id: i64,
    manual: bool,
    now: UnixTime,
) -> Result<()> {
    ensure(conn, kind, local_id, now)?;
    diesel::update(t::table.find((kind.code(), local_id)))
        .set(t::manual_approval.eq(manual))
        .execute(conn)?;
    Ok(())
}

/// Deletes the record of a user or space that is gone.
pub fn forget(conn: &mut DbConnection, kind: ActorKind, local_id: i64) -> Result<()> {
    diesel::delete(t::table.find((kind.code(), local_id))).execute(conn)?;
    Ok(())
}

/// Signs `message` with a PKCS#8 PEM private key (RSASSA-PKCS1-v1_5, SHA-256), in base64: the
/// same scheme as HTTP signatures, for proofs other than HTTP requests (cross-host sign-in).
pub fn sign(private_key_pem: &str, message: &[u8]) -> Result<String> {
    let key = RsaPrivateKey::from_pkcs8_pem(private_key_pem)
        .map_err(|e| FederationError::Internal(format!("private key: {e}")))?;
    let signature = key
        .sign(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(message))
        .map_err(|e| FederationError::Internal(format!("signing: {e}")))?;
    Ok(base64::engine::general_purpose::STANDARD.encode(signature))
}

/// Whether `signature` (base64) is `message` signed by the key whose public PEM is given.
pub fn verify(public_key_pem: &str, message: &[u8], signature: &str) -> bool {
    let Ok(key) = RsaPublicKey::from_public_key_pem(public_key_pem) else {
        return false;
    };
    let Ok(signature) = base64::engine::general_purpose::STANDARD.decode(signature) else {
        return false;
    };
    key.verify(
        Pkcs1v15Sign::new::<Sha256>(),
        &Sha256::digest(message),
        &signature,
    )
    .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_only_with_the_right_key() {
        let (public, private) = generate().unwrap();
        let (other_public, _) = generate().unwrap();
        let signature = sign(&private, b"alice@b.example").unwrap();
        assert!(verify(&public, b"alice@b.example", &signature));
        assert!(!verify(&public, b"mallory@b.example", &signature));
        assert!(!verify(&other_public, b"alice@b.example", &signature));
        assert!(!verify(&public, b"alice@b.example", "not base64!"));
    }
}
