//! Time as stored in the database: whole seconds since the Unix epoch (UTC).

/// Seconds since the Unix epoch.
pub type UnixTime = i64;

/// The current time. Logic that depends on time takes it as a parameter; only the edges (an
/// HTTP handler, a background job) call this.
pub fn now() -> UnixTime {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
