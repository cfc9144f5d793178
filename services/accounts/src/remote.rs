//! Accounts of people from other instances, who sign in here with their home instance (the
//! federation service checks who they are; see `docs/federation.md`).
//!
//! Such an account is an ordinary row of `users`, so that every permission check of every
//! service works for it unchanged, with three differences: its username is `name@domain`
//! (a handle no local account can have, since local handles never contain `@`), it has no
//! password (it cannot log in by password, change a password or an email address), and its
//! email address is a placeholder under the reserved `.invalid` domain that is never written
//! to. It is not counted among the instance's users in NodeInfo, and sign-up rules
//! (registration mode, invite codes, approval) do not apply to it: the person is a guest
//! whose home instance vouches for them.

use diesel::prelude::*;
use maille_database::schema::users;
use maille_database::{random_id, DbConnection, UnixTime};

use crate::error::{AccountsError, Result};
use crate::handles::{self, HandleKind};
use crate::users::{NewUser, Role, UserRow};

/// The domain of remote accounts' placeholder addresses (RFC 2606: never delivered).
pub const PLACEHOLDER_EMAIL_DOMAIN: &str = "remote.invalid";

/// Someone of another instance, as their home instance published them.
#[derive(Debug, Clone)]
pub struct RemoteIdentity {
    /// Their actor's ActivityPub id on their home instance.
    pub actor_id: String,
    /// The name in `@name@domain`.
    pub name: String,
    /// Their home instance: `host` or `host:port`.
    pub domain: String,
    /// The name they show.
    pub display_name: String,
}

impl RemoteIdentity {
    /// `name@domain`, lower-case: their username here. Fails when the name or domain has
    /// characters a handle may not carry.
    pub fn username(&self) -> Result<String> {
        let name = self.name.trim().to_lowercase();
        let domain = self.domain.trim().to_lowercase();
        let name_ok = (1..=64).contains(&name.chars().count())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        let domain_ok = (1..=253).contains(&domain.len())
            && domain
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | ':'));
        if !name_ok || !domain_ok {
            return Err(AccountsError::invalid(
                "handle",
                "this name cannot be used on this instance",
            ));
        }
        Ok(format!("{name}@{domain}"))
    }
}

/// The remote account of the actor `actor_id`, if it has one here.
pub fn find(conn: &mut DbConnection, actor_id: &str) -> Result<Option<UserRow>> {
    Ok(users::table
        .filter(users::remote_actor_id.eq(actor_id))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?)
}

/// The account of `who`, made on their first visit; their name shown is refreshed on later
/// ones. Call it inside a transaction. Fails with [`AccountsError::HandleTaken`] when the
/// username `name@domain` already belongs to another actor (one that changed its id).
pub fn find_or_create(
    conn: &mut DbConnection,
    who: &RemoteIdentity,
    language: &str,
    now: UnixTime,
) -> Result<UserRow> {
    let display_name: String = {
        let shown = who.display_name.trim();
        let shown = if shown.is_empty() {
            who.name.trim()
        } else {
            shown
        };
        shown
            .chars()
            .filter(|c| !c.is_control())
            .take(100)
            .collect()
    };
    if let Some(existing) = find(conn, &who.actor_id)? {
        if existing.display_name != display_name && !display_name.is_empty() {
            diesel::update(users::table.find(existing.id))
                .set((
                    users::display_name.eq(&display_name),
                    users::updated_at.eq(now),
                ))
                .execute(conn)?;
        }
        return find(conn, &who.actor_id)?.ok_or(AccountsError::NotFound);
    }
    let username = who.username()?;
    handles::claim_even_reserved(conn, &username, HandleKind::Remote, now)?;
    let id = random_id();
    let email = format!("{id}@{PLACEHOLDER_EMAIL_DOMAIN}");
    diesel::insert_into(users::table)
        .values(NewUser {
            id,
            username: &username,
            email: &email,
            email_verified: true,
            display_name: &display_name,
            // Not an argon2 hash: no password ever verifies against it.
            password_hash: "",
            language,
            role: Role::User.code(),
            approved: true,
            disabled: false,
            registration_reason: "",
            created_at: now,
            updated_at: now,
        })
        .execute(conn)?;
    diesel::update(users::table.find(id))
        .set(users::remote_actor_id.eq(&who.actor_id))
        .execute(conn)?;
    find(conn, &who.actor_id)?.ok_or(AccountsError::NotFound)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn who(name: &str, domain: &str) -> RemoteIdentity {
        RemoteIdentity {
            actor_id: format!("https://{domain}/ap/users/{name}"),
            name: name.to_owned(),
            domain: domain.to_owned(),
            display_name: String::new(),
        }
    }

    #[test]
    fn usernames_carry_the_home_domain_and_refuse_odd_characters() {
        assert_eq!(
            who("Alice", "B.example").username().unwrap(),
            "alice@b.example"
        );
        assert_eq!(
            who("bob", "localhost:4001").username().unwrap(),
            "bob@localhost:4001"
        );
        assert!(who("a/b", "b.example").username().is_err());
        assert!(who("alice", "b.example/x").username().is_err());
        assert!(who("", "b.example").username().is_err());
        assert!(who("alice", "b@c").username().is_err());
    }
}
