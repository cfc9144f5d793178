//! Security headers sent on every response.

use actix_web::middleware::DefaultHeaders;

/// The Content-Security-Policy of every page: nothing from another origin, no plugins, no
/// framing by other sites.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; font-src 'self'; \
    connect-src 'self'; worker-src 'self'; manifest-src 'self'; object-src 'none'; \
    frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

/// The headers every response carries; HSTS only when the instance is served over https.
pub fn security_headers(https: bool) -> DefaultHeaders {
    let headers = DefaultHeaders::new()
        .add(("Content-Security-Policy", CONTENT_SECURITY_POLICY))
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("X-Frame-Options", "DENY"))
        .add(("Referrer-Policy", "no-referrer"))
        .add(("Cross-Origin-Opener-Policy", "same-origin"))
        .add(("Cross-Origin-Resource-Policy", "same-origin"))
        .add((
            "Permissions-Policy",
            "camera=(self), microphone=(self), display-capture=(self), geolocation=(), \
             payment=(), usb=(), interest-cohort=()",
        ));
    if https {
        headers.add((
            "Strict-Transport-Security",
            "max-age=63072000; includeSubDomains",
        ))
    } else {
        headers
    }
}
