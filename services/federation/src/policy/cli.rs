//! `maille admin federation block|unblock|allow|disallow|list`: the admin's domain policies
//! from the command line (a running server picks changes up within its maintenance period,
//! at most ten minutes; at once when made through the admin API).

use maille_database::Database;

use super::{DomainPolicy, DomainPolicyRow};
use crate::error::Result;

/// What to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Block a domain (and its subdomains).
    Block,
    /// Remove a block.
    Unblock,
    /// Allow a domain in `allowlist` mode.
    Allow,
    /// Remove an allow.
    Disallow,
}

/// Applies `action` to `domain`; returns a line to print.
pub fn run(db: &Database, action: Action, domain: &str, reason: &str) -> Result<String> {
    let now = maille_database::now();
    db.transaction_blocking(|conn| match action {
        Action::Block => {
            super::set(conn, domain, DomainPolicy::Block, reason, now)?;
            Ok(format!("{} blocked", super::normalize_domain(domain)?))
        }
        Action::Allow => {
            super::set(conn, domain, DomainPolicy::Allow, reason, now)?;
            Ok(format!("{} allowed", super::normalize_domain(domain)?))
        }
        Action::Unblock | Action::Disallow => {
            let policy = if action == Action::Unblock {
                DomainPolicy::Block
            } else {
                DomainPolicy::Allow
            };
            let removed = super::remove(conn, domain, Some(policy))?;
            let domain = super::normalize_domain(domain)?;
            Ok(match (removed, action) {
                (true, Action::Unblock) => format!("{domain} unblocked"),
                (true, _) => format!("{domain} no longer allowed"),
                (false, Action::Unblock) => format!("{domain} was not blocked"),
                (false, _) => format!("{domain} was not allowed"),
            })
        }
    })
}

/// The stored policies.
pub fn list(db: &Database) -> Result<Vec<DomainPolicyRow>> {
    db.transaction_blocking(super::list)
}
