//! The rooms' metrics: meetings, participants, and the SFU's forwarding.

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;

/// The rooms' metrics; register them once in the instance's metrics.
#[derive(Debug, Clone, Default)]
pub struct RoomsMetrics {
    /// Meetings in progress (refreshed when scraped).
    pub meetings: Gauge,
    /// Participants in meetings, lobbies included.
    pub participants: Gauge,
    /// Participants whose media (two peer connections) is up.
    pub media_sessions: Gauge,
    /// Peer connections still in memory (refreshed when scraped).
    pub peer_connections: Gauge,
    /// RTP packets received from publishers.
    pub packets_in: Counter,
    /// RTP packets forwarded to subscribers.
    pub packets_out: Counter,
    /// RTP packets dropped because a subscriber could not keep up.
    pub packets_dropped: Counter,
    /// Keyframe requests (PLI) sent to publishers.
    pub keyframe_requests: Counter,
    /// Simulcast layer switches.
    pub layer_switches: Counter,
    /// Signalling connections closed for bad input or flooding.
    pub connections_refused: Counter,
    /// Participants dropped because their media failed (ICE timeout, bad SDP, a panic).
    pub media_failures: Counter,
}

impl RoomsMetrics {
    /// Registers the metrics.
    pub fn register(&self, metrics: &maille_http::Metrics) {
        let m = self.clone();
        metrics.register("rooms_meetings", "Meetings in progress", m.meetings);
        metrics.register(
            "rooms_participants",
            "Participants in meetings and lobbies",
            m.participants,
        );
        metrics.register(
            "rooms_media_sessions",
            "Participants whose media is up",
            m.media_sessions,
        );
        metrics.register(
            "rooms_peer_connections",
            "Peer connections in memory",
            m.peer_connections,
        );
        metrics.register(
            "rooms_rtp_packets_in",
            "RTP packets received from publishers",
            m.packets_in,
        );
        metrics.register(
            "rooms_rtp_packets_out",
            "RTP packets forwarded to subscribers",
            m.packets_out,
        );
        metrics.register(
            "rooms_rtp_packets_dropped",
            "RTP packets dropped for a slow subscriber",
            m.packets_dropped,
        );
        metrics.register(
            "rooms_keyframe_requests",
            "Keyframe requests sent to publishers",
            m.keyframe_requests,
        );
        metrics.register(
            "rooms_layer_switches",
            "Simulcast layer switches",
            m.layer_switches,
        );
        metrics.register(
            "rooms_connections_refused",
            "Room connections closed for bad input or flooding",
            m.connections_refused,
        );
        metrics.register(
            "rooms_media_failures",
            "Participants dropped for failed media",
            m.media_failures,
        );
    }
}
