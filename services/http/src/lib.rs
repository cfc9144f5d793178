//! HTTP conventions shared by every Maille service: the error body, body limits and JSON
//! errors, security headers, the Origin check against cross-site requests, client addresses
//! behind trusted proxies, request logs and Prometheus metrics, and the token bucket of every
//! rate limit.

mod app;
mod client;
mod error;
mod extractors;
mod headers;
mod metrics;
mod origin;
mod rate;

pub use app::{api_not_found, app, Conventions};
pub use client::{truncate_address, ClientAddress, TrustedProxies};
pub use error::{ApiError, ErrorBody};
pub use extractors::{json_config, path_config, query_config};
pub use headers::{security_headers, CONTENT_SECURITY_POLICY};
pub use metrics::{Metrics, RequestMetrics};
pub use origin::OriginCheck;
pub use rate::TokenBucket;

/// Header that carries the session's CSRF token on state-changing requests.
pub const CSRF_HEADER: &str = "X-CSRF-Token";
