//! The application every Maille server runs: the conventions below, around the services'
//! routes that the caller mounts.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::from_fn;
use actix_web::{web, App};
use maille_config::Settings;

use crate::{
    json_config, path_config, query_config, security_headers, ApiError, Metrics, OriginCheck,
    RequestMetrics, TrustedProxies,
};

/// What the conventions need to know, made once from the configuration.
#[derive(Debug, Clone)]
pub struct Conventions {
    https: bool,
    origin: OriginCheck,
    proxies: TrustedProxies,
    metrics: Metrics,
    max_body_bytes: usize,
}

impl Conventions {
    /// The conventions for an instance with these settings, recording into `metrics`.
    pub fn new(settings: &Settings, metrics: Metrics) -> Conventions {
        Conventions {
            https: settings.is_https(),
            origin: OriginCheck::new(settings.public_origin()),
            proxies: TrustedProxies::new(
                settings.http.trusted_proxies.clone(),
                settings.logging.truncate_addresses,
            ),
            metrics,
            max_body_bytes: settings.http.max_body_bytes,
        }
    }

    /// The metrics registry.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }
}

/// An `App` with every convention in place (body limits and JSON errors, security headers,
/// the cross-site check, request metrics and logs) and the routes that `configure` mounts.
/// The caller adds its own default service.
pub fn app<F>(
    conventions: &Conventions,
    configure: F,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
>
where
    F: FnOnce(&mut web::ServiceConfig),
{
    App::new()
        .app_data(web::Data::new(conventions.proxies.clone()))
        .app_data(web::Data::new(conventions.origin.clone()))
        .app_data(web::Data::new(conventions.metrics.clone()))
        .app_data(json_config(conventions.max_body_bytes))
        .app_data(web::PayloadConfig::new(conventions.max_body_bytes))
        .app_data(path_config())
        .app_data(query_config())
        .configure(configure)
        .wrap(from_fn(OriginCheck::middleware))
        .wrap(from_fn(RequestMetrics::middleware))
        .wrap(security_headers(conventions.https))
}

/// The answer for an unknown API route.
pub async fn api_not_found() -> actix_web::HttpResponse {
    use actix_web::ResponseError;
    ApiError::not_found().error_response()
}
