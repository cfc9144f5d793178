//! The service's metrics: how many pads are loaded and edited, and how their updates fare.

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;

/// The pads' metrics, shared by the live side; register them once in the instance's metrics.
#[derive(Debug, Clone, Default)]
pub struct PadsMetrics {
    /// Pads loaded in memory (refreshed when scraped).
    pub loaded: Gauge,
    /// Open WebSocket connections to pads.
    pub connections: Gauge,
    /// Updates stored in pads' logs.
    pub updates_stored: Counter,
    /// Connections closed for a malformed or hostile message or for exceeding a limit.
    pub connections_refused: Counter,
}

impl PadsMetrics {
    /// Registers the metrics.
    pub fn register(&self, metrics: &maille_http::Metrics) {
        metrics.register("pads_loaded", "Pads loaded in memory", self.loaded.clone());
        metrics.register(
            "pads_connections",
            "Open WebSocket connections to pads",
            self.connections.clone(),
        );
        metrics.register(
            "pads_updates_stored",
            "Updates stored in pads' logs",
            self.updates_stored.clone(),
        );
        metrics.register(
            "pads_connections_refused",
            "Pad connections closed for bad input or exceeding a limit",
            self.connections_refused.clone(),
        );
    }
}
