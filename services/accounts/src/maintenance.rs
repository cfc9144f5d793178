//! Housekeeping and gauges.

use diesel::prelude::*;
use maille_database::schema::{sessions as sessions_table, users};
use prometheus_client::metrics::gauge::Gauge;

use crate::error::{AccountsError, Result};
use crate::{account_tokens, sessions, Accounts};

/// The service's gauges, registered once in the instance's metrics.
#[derive(Debug, Clone, Default)]
pub struct AccountsMetrics {
    /// Accounts.
    pub users: Gauge,
    /// Open sessions.
    pub sessions: Gauge,
    /// Accounts awaiting approval.
    pub pending: Gauge,
}

impl AccountsMetrics {
    /// Registers the gauges.
    pub fn register(&self, metrics: &maille_http::Metrics) {
        metrics.register(
            "accounts_users",
            "Accounts on this instance",
            self.users.clone(),
        );
        metrics.register("accounts_sessions", "Open sessions", self.sessions.clone());
        metrics.register(
            "accounts_pending_approval",
            "Accounts awaiting an admin's approval",
            self.pending.clone(),
        );
    }
}

pub(crate) async fn run(accounts: &Accounts) -> Result<()> {
    let settings = accounts.settings_arc();
    let now = maille_database::now();
    let (sessions, tokens) = accounts
        .database()
        .run(move |conn| {
            let s = sessions::purge(conn, &settings, now)?;
            let t = account_tokens::purge(conn, now)?;
            Ok::<_, AccountsError>((s, t))
        })
        .await?;
    accounts.throttle().trim(std::time::Instant::now());
    if sessions + tokens > 0 {
        tracing::info!(sessions, tokens, "expired sessions and tokens deleted");
    }
    Ok(())
}

pub(crate) async fn refresh_metrics(accounts: &Accounts, metrics: &AccountsMetrics) -> Result<()> {
    let (u, s, p) = accounts
        .database()
        .run(|conn| {
            let u: i64 = users::table.count().get_result(conn)?;
            let s: i64 = sessions_table::table.count().get_result(conn)?;
            let p: i64 = users::table
                .filter(users::approved.eq(false))
                .count()
                .get_result(conn)?;
            Ok::<_, AccountsError>((u, s, p))
        })
        .await?;
    metrics.users.set(u);
    metrics.sessions.set(s);
    metrics.pending.set(p);
    Ok(())
}
