//! How deliveries to each remote instance are going: `ok`, `backoff` (failing, retried after
//! a growing delay) or `dead` (failing for `federation.delivery_retry_days`; tried once a
//! day). An activity received from an instance revives it at once.

use diesel::prelude::*;
use maille_database::schema::federation_instances as t;
use maille_database::{DbConnection, UnixTime};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::Result;

/// An instance's delivery state, as stored and as shown to admins.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize, ToSchema)]
#[diesel(table_name = t)]
pub struct InstanceView {
    /// `host` or `host:port`.
    pub domain: String,
    /// `ok`, `backoff` or `dead`.
    pub state: String,
    /// Failures in a row.
    pub failures: i32,
    /// When the current run of failures started.
    pub first_failure_at: Option<UnixTime>,
    /// No delivery is tried before this time.
    pub next_attempt_at: UnixTime,
    /// Last successful delivery.
    pub last_success_at: Option<UnixTime>,
    /// The last failure.
    pub last_error: String,
    /// Last change.
    pub updated_at: UnixTime,
}

/// Every instance delivered to, by domain.
pub fn list(conn: &mut DbConnection) -> Result<Vec<InstanceView>> {
    Ok(t::table
        .order(t::domain)
        .select(InstanceView::as_select())
        .load(conn)?)
}

/// One instance's state.
pub fn find(conn: &mut DbConnection, domain: &str) -> Result<Option<InstanceView>> {
    Ok(t::table
        .find(domain)
        .select(InstanceView::as_select())
        .first(conn)
        .optional()?)
}

/// Instances that must not be tried before a later time.
pub(crate) fn waiting(conn: &mut DbConnection, now: UnixTime) -> Result<Vec<String>> {
    Ok(t::table
        .filter(t::next_attempt_at.gt(now))
        .select(t::domain)
        .load(conn)?)
}

/// A delivery to `domain` succeeded.
pub(crate) fn succeeded(conn: &mut DbConnection, domain: &str, now: UnixTime) -> Result<()> {
    let row = InstanceView {
        domain: domain.to_owned(),
        state: "ok".to_owned(),
        failures: 0,
        first_failure_at: None,
        next_attempt_at: 0,
        last_success_at: Some(now),
        last_error: String::new(),
        updated_at: now,
    };
    if find(conn, domain)?.is_none()
        && crate::store::insert_new(conn, |c| {
            diesel::insert_into(t::table).values(&row).execute(c)
        })?
    {
        return Ok(());
    }
    diesel::update(t::table.find(domain))
        .set((
            t::state.eq("ok"),
            t::failures.eq(0),
            t::first_failure_at.eq(None::<i64>),
            t::next_attempt_at.eq(0),
            t::last_success_at.eq(Some(now)),
            t::last_error.eq(""),
            t::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// The delay before the next attempt after `failures` failures in a row: `first` seconds
/// (30 by default) doubling, at most 6 hours.
pub fn backoff_seconds(first: u64, failures: i32) -> i64 {
    let exponent = u32::try_from(failures.clamp(1, 20) - 1).unwrap_or(0);
    let first = i64::try_from(first.clamp(1, 3600)).unwrap_or(30);
    (first << exponent).min(6 * 3600)
}

/// A delivery to `domain` failed: the next attempt waits; an instance failing for longer than
/// `retry_days` is marked dead. Returns the new state.
pub(crate) fn failed(
    conn: &mut DbConnection,
    domain: &str,
    error: &str,
    settings: &maille_config::FederationSettings,
    now: UnixTime,
) -> Result<InstanceView> {
    let retry_days = settings.delivery_retry_days;
    let current = find(conn, domain)?;
    let failures = current.as_ref().map_or(0, |c| c.failures).saturating_add(1);
    let first = current
        .as_ref()
        .and_then(|c| c.first_failure_at)
        .unwrap_or(now);
    let dead = now - first >= i64::from(retry_days) * 86_400;
    let row = InstanceView {
        domain: domain.to_owned(),
        state: if dead { "dead" } else { "backoff" }.to_owned(),
        failures,
        first_failure_at: Some(first),
        next_attempt_at: now
            + if dead {
                86_400
            } else {
                backoff_seconds(settings.delivery_first_retry_seconds, failures)
            },
        last_success_at: current.as_ref().and_then(|c| c.last_success_at),
        last_error: error.chars().take(500).collect(),
        updated_at: now,
    };
    if current.is_none()
        && crate::store::insert_new(conn, |c| {
            diesel::insert_into(t::table).values(&row).execute(c)
        })?
    {
        return Ok(row);
    }
    diesel::update(t::table.find(domain))
        .set((
            t::state.eq(&row.state),
            t::failures.eq(row.failures),
            t::first_failure_at.eq(row.first_failure_at),
            t::next_attempt_at.eq(row.next_attempt_at),
            t::last_error.eq(&row.last_error),
            t::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(row)
}

/// An activity came from `domain`: if deliveries to it were failing, try again now.
pub fn revive(conn: &mut DbConnection, domain: &str, now: UnixTime) -> Result<bool> {
    let changed = diesel::update(t::table.find(domain).filter(t::state.ne("ok")))
        .set((t::next_attempt_at.eq(0), t::updated_at.eq(now)))
        .execute(conn)?;
    Ok(changed > 0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(super::backoff_seconds(30, 1), 30);
        assert_eq!(super::backoff_seconds(30, 2), 60);
        assert_eq!(super::backoff_seconds(30, 5), 480);
        assert_eq!(super::backoff_seconds(30, 40), 6 * 3600);
        assert_eq!(super::backoff_seconds(1, 3), 4);
    }
}
