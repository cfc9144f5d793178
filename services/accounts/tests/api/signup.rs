use maille_config::RegistrationMode;
use serde_json::json;

use crate::helpers::{body, spawn, spawn_with, PASSWORD};

#[tokio::test]
async fn sign_up_verify_log_in_and_out() {
    let app = spawn().await;
    let client = app.client();
    let r = client
        .post(
            "/api/accounts",
            json!({"username": "ana", "email": "Ana@Example.org", "password": PASSWORD, "display_name": "Ana R."}),
        )
        .await;
    assert_eq!(body(r).await, (201, json!({"status": "verification_sent"})));

    // Not verified yet: the right password is told so, a wrong one is not.
    assert_eq!(
        client.login("ana", PASSWORD).await.1["code"],
        "email_not_verified"
    );
    assert_eq!(
        client.login("ana", "wrong password!!").await.1["code"],
        "invalid_credentials"
    );

    let emails = app.server.emails_to("ana@example.org").await;
    assert_eq!(emails.len(), 1);
    assert!(emails[0].subject().unwrap_or_default().contains("Maille"));
    let token = app
        .server
        .token_to("ana@example.org", "/verify-email")
        .await;
    let r = client
        .post("/api/accounts/verify-email", json!({"token": token}))
        .await;
    assert_eq!(body(r).await, (200, json!({"status": "verified"})));
    // A verification link works once.
    let r = client
        .post("/api/accounts/verify-email", json!({"token": token}))
        .await;
    assert_eq!(body(r).await.1["code"], "invalid_token");

    let (status, session) = client.login("ana@example.org", PASSWORD).await;
    assert_eq!(status, 200);
    assert_eq!(session["user"]["username"], "ana");
    assert_eq!(session["user"]["display_name"], "Ana R.");
    assert!(session["csrf_token"].as_str().unwrap().len() >= 32);
    assert!(session["user"].get("password_hash").is_none());

    let (status, me) = body(client.get("/api/session").await).await;
    assert_eq!(status, 200);
    assert_eq!(me["user"]["email"], "ana@example.org");

    assert_eq!(client.delete("/api/session", None).await.status(), 204);
    assert_eq!(client.get("/api/session").await.status(), 401);
}

#[tokio::test]
async fn the_session_cookie_is_http_only_and_same_site_lax() {
    let app = spawn().await;
    app.user("ana", false).await;
    let r = app
        .client()
        .post(
            "/api/session",
            json!({"login": "ana", "password": PASSWORD}),
        )
        .await;
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("maille_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly"));
    assert!(cookie.contains("SameSite=Lax"));
    assert!(cookie.contains("Path=/"));
    // Plain http (development): not Secure, hence not __Host-.
    assert!(!cookie.contains("Secure"));
    let token = cookie.split(';').next().unwrap().split('=').nth(1).unwrap();
    // At least 128 bits of randomness, base64url.
    assert!(token.len() >= 22);
}

#[tokio::test]
async fn signing_up_with_a_used_address_reveals_nothing_and_tells_its_owner() {
    let app = spawn().await;
    app.user("ana", false).await;
    let r = app
        .client()
        .post(
            "/api/accounts",
            json!({"username": "intruder", "email": "ana@example.org", "password": PASSWORD}),
        )
        .await;
    assert_eq!(body(r).await, (201, json!({"status": "verification_sent"})));
    let emails = app.server.emails_to("ana@example.org").await;
    assert_eq!(emails.len(), 1);
    assert!(emails[0]
        .links()
        .iter()
        .any(|l| l.ends_with("/forgot-password")));
    // No account was made.
    assert_eq!(app.client().login("intruder", PASSWORD).await.0, 401);
}

#[tokio::test]
async fn usernames_are_unique_and_checked() {
    let app = spawn().await;
    app.user("ana", false).await;
    let client = app.client();
    let r = client
        .post(
            "/api/accounts",
            json!({"username": "ana", "email": "x@example.org", "password": PASSWORD}),
        )
        .await;
    assert_eq!(body(r).await.1["code"], "username_taken");
    let r = client
        .post(
            "/api/accounts",
            json!({"username": "admin", "email": "y@example.org", "password": PASSWORD}),
        )
        .await;
    assert_eq!(r.status(), 409, "reserved names are taken");
    for (field, payload) in [
        (
            "username",
            json!({"username": "Bad Name", "email": "z@example.org", "password": PASSWORD}),
        ),
        (
            "email",
            json!({"username": "zoe", "email": "not-an-address", "password": PASSWORD}),
        ),
        (
            "password",
            json!({"username": "zoe", "email": "z@example.org", "password": "short"}),
        ),
    ] {
        let (status, error) = body(client.post("/api/accounts", payload).await).await;
        assert_eq!(status, 422);
        assert_eq!(error["code"], "validation_failed");
        assert_eq!(error["field"], field);
    }
    assert!(app.server.emails().await.is_empty());
}

#[tokio::test]
async fn closed_registration_refuses_everyone() {
    let app = spawn_with(|s| s.accounts.registration = RegistrationMode::Closed).await;
    let r = app
        .client()
        .post(
            "/api/accounts",
            json!({"username": "ana", "email": "ana@example.org", "password": PASSWORD}),
        )
        .await;
    assert_eq!(
        body(r).await,
        (
            403,
            json!({"code": "registration_closed", "message": "registration is closed on this instance"})
        )
    );
    let (_, info) = body(app.client().get("/api/instance").await).await;
    assert_eq!(info["registration_mode"], "closed");
    assert_eq!(info["anonymous_pads"], false);
}

#[tokio::test]
async fn invite_mode_needs_a_valid_code_that_can_be_used_up() {
    let app = spawn_with(|s| s.accounts.registration = RegistrationMode::Invite).await;
    let admin = app.user("root_admin", true).await;
    let client = app.client();
    let attempt = |username: &str, code: Option<&str>| json!({"username": username, "email": format!("{username}@example.org"), "password": PASSWORD, "invite_code": code});
    let (status, error) = body(client.post("/api/accounts", attempt("ana", None)).await).await;
    assert_eq!(
        (status, error["code"].as_str()),
        (403, Some("invite_required"))
    );
    let (status, error) = body(
        client
            .post("/api/accounts", attempt("ana", Some("nonsense")))
            .await,
    )
    .await;
    assert_eq!(
        (status, error["code"].as_str()),
        (403, Some("invite_invalid"))
    );

    let (status, invite) = body(
        admin
            .post("/api/admin/invites", json!({"max_uses": 1}))
            .await,
    )
    .await;
    assert_eq!(status, 201);
    let code = invite["code"].as_str().unwrap();
    assert!(invite["link"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/signup?invite={code}")));
    assert_eq!(
        client
            .post("/api/accounts", attempt("ana", Some(code)))
            .await
            .status(),
        201
    );
    let (status, error) = body(
        client
            .post("/api/accounts", attempt("bob", Some(code)))
            .await,
    )
    .await;
    assert_eq!(
        (status, error["code"].as_str()),
        (403, Some("invite_invalid"))
    );
}

#[tokio::test]
async fn approval_mode_waits_for_an_admin() {
    let app = spawn_with(|s| s.accounts.registration = RegistrationMode::Approval).await;
    let admin = app.user("boss", true).await;
    let client = app.client();
    let r = client
        .post(
            "/api/accounts",
            json!({"username": "ana", "email": "ana@example.org", "password": PASSWORD, "reason": "I run the choir"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let token = app
        .server
        .token_to("ana@example.org", "/verify-email")
        .await;
    let r = client
        .post("/api/accounts/verify-email", json!({"token": token}))
        .await;
    assert_eq!(body(r).await, (200, json!({"status": "pending_approval"})));
    // The admin is told, with the reason.
    let to_admin = app.server.emails_to("boss@example.org").await;
    assert_eq!(to_admin.len(), 1);
    assert!(to_admin[0].text().contains("I run the choir"));

    assert_eq!(
        client.login("ana", PASSWORD).await.1["code"],
        "pending_approval"
    );
    let (_, pending) = body(admin.get("/api/admin/users?status=pending").await).await;
    assert_eq!(pending["total"], 1);
    let id = pending["users"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(pending["users"][0]["reason"], "I run the choir");
    let r = admin
        .post(&format!("/api/admin/users/{id}/approve"), json!({}))
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(client.login("ana", PASSWORD).await.0, 200);
    assert_eq!(
        app.server.emails_to("ana@example.org").await.len(),
        2,
        "verification, then approval"
    );
}
