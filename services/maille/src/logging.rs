//! Structured logs with `tracing`, as configured.

use maille_config::{LogFormat, LoggingSettings};
use tracing_subscriber::EnvFilter;

/// Installs the global subscriber; `RUST_LOG`, when set, wins over the configured level.
pub fn init(settings: &LoggingSettings) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&settings.level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let result = match settings.format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
    // Already installed (tests start several servers in one process): keep the first.
    let _ = result;
}
