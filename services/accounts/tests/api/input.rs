use serde_json::json;

use crate::helpers::{body, spawn, PASSWORD};

#[tokio::test]
async fn malformed_json_is_400_with_a_code() {
    let app = spawn().await;
    let r = app
        .client()
        .raw()
        .post(format!("{}/api/session", app.server.address))
        .header("content-type", "application/json")
        .body("{\"login\": \"ana\", ")
        .send()
        .await
        .unwrap();
    let (status, error) = body(r).await;
    assert_eq!(status, 400);
    assert_eq!(error["code"], "invalid_json");
}

#[tokio::test]
async fn json_of_the_wrong_shape_is_422_and_unknown_fields_are_refused() {
    let app = spawn().await;
    let client = app.client();
    let (status, error) = body(client.post("/api/session", json!({"login": 5})).await).await;
    assert_eq!(
        (status, error["code"].as_str()),
        (422, Some("validation_failed"))
    );
    let (status, _) = body(
        client
            .post(
                "/api/session",
                json!({"login": "a", "password": "b", "admin": true}),
            )
            .await,
    )
    .await;
    assert_eq!(status, 422);
}

#[tokio::test]
async fn oversized_bodies_are_413_and_change_nothing() {
    let app = spawn().await;
    let huge = "x".repeat(200 * 1024);
    let r = app
        .client()
        .post(
            "/api/accounts",
            json!({"username": "ana", "email": "ana@example.org", "password": PASSWORD, "reason": huge}),
        )
        .await;
    let (status, error) = body(r).await;
    assert_eq!(status, 413);
    assert_eq!(error["code"], "payload_too_large");
    assert!(app.server.emails().await.is_empty());
    assert_eq!(app.client().login("ana", PASSWORD).await.0, 401);
}

#[tokio::test]
async fn wrong_content_type_is_refused() {
    let app = spawn().await;
    let r = app
        .client()
        .raw()
        .post(format!("{}/api/session", app.server.address))
        .header("content-type", "text/plain")
        .body("login=ana")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
}

#[tokio::test]
async fn unknown_api_routes_are_json_404() {
    let app = spawn().await;
    let (status, error) = body(app.client().get("/api/nothing/here").await).await;
    assert_eq!((status, error["code"].as_str()), (404, Some("not_found")));
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = spawn().await;
    for path in ["/api/instance", "/api/nothing"] {
        let r = app.client().get(path).await;
        let h = r.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("default-src 'self'"));
        assert!(csp.contains("object-src 'none'"));
        assert!(csp.contains("frame-ancestors 'none'"));
        assert!(!csp.contains("http"), "no other origin in the CSP: {csp}");
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["referrer-policy"], "no-referrer");
        assert!(
            h.get("strict-transport-security").is_none(),
            "no HSTS over http"
        );
    }
}

#[tokio::test]
async fn https_instances_send_hsts_and_host_prefixed_secure_cookies() {
    let app = crate::helpers::spawn_with(|s| {
        // The test server itself is plain http; only the public URL says https.
        s.public_url = "https://pads.example.org".parse().unwrap();
    })
    .await;
    app.user_no_login("ana").await;
    let r = app
        .server
        .client()
        .raw()
        .post(format!("{}/api/session", app.server.address))
        .header("Origin", "https://pads.example.org")
        .json(&json!({"login": "ana", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["strict-transport-security"]
        .to_str()
        .unwrap()
        .contains("max-age="));
    let cookie = r.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.starts_with("__Host-maille_session="), "{cookie}");
    assert!(cookie.contains("Secure"));
}

#[tokio::test]
async fn cross_site_state_changes_are_refused() {
    let app = spawn().await;
    app.user("ana", false).await;
    let r = app
        .client()
        .raw()
        .post(format!("{}/api/session", app.server.address))
        .header("Origin", "https://evil.example")
        .json(&json!({"login": "ana", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let (status, error) = body(r).await;
    assert_eq!((status, error["code"].as_str()), (403, Some("csrf_failed")));
}

#[tokio::test]
async fn a_logged_in_state_change_needs_the_csrf_token() {
    let app = spawn().await;
    let client = app.user("ana", false).await;
    client.forget_csrf();
    let (status, error) = body(
        client
            .patch("/api/accounts/me", json!({"display_name": "Hacked"}))
            .await,
    )
    .await;
    assert_eq!((status, error["code"].as_str()), (403, Some("csrf_failed")));
    let (_, me) = body(client.get("/api/accounts/me").await).await;
    assert_eq!(me["display_name"], "ana");
}
