use serde_json::json;

use crate::helpers::{body, spawn, PASSWORD};

const NEW_PASSWORD: &str = "another long passphrase";

#[tokio::test]
async fn profile_changes_are_checked_and_kept() {
    let app = spawn().await;
    let ana = app.user("ana", false).await;
    let (status, me) = body(
        ana.patch(
            "/api/accounts/me",
            json!({"display_name": "Ana", "language": "fr"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        (me["display_name"].as_str(), me["language"].as_str()),
        (Some("Ana"), Some("fr"))
    );
    let (status, error) = body(
        ana.patch("/api/accounts/me", json!({"language": "de"}))
            .await,
    )
    .await;
    assert_eq!((status, error["field"].as_str()), (422, Some("language")));
}

#[tokio::test]
async fn changing_the_password_needs_the_current_one_and_ends_other_sessions() {
    let app = spawn().await;
    let ana = app.user("ana", false).await;
    let phone = app.client();
    phone.login("ana", PASSWORD).await;
    let (status, error) = body(
        ana.post(
            "/api/accounts/me/password",
            json!({"current_password": "wrong password!!", "new_password": NEW_PASSWORD}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, error["code"].as_str()),
        (401, Some("invalid_credentials"))
    );
    let (status, session) = body(
        ana.post(
            "/api/accounts/me/password",
            json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    ana.remember_csrf(&session);
    assert_eq!(phone.get("/api/session").await.status(), 401);
    assert_eq!(
        ana.get("/api/session").await.status(),
        200,
        "this browser got a new session"
    );
    assert_eq!(app.client().login("ana", NEW_PASSWORD).await.0, 200);
}

#[tokio::test]
async fn changing_the_email_takes_effect_when_the_new_address_confirms() {
    let app = spawn().await;
    let ana = app.user("ana", false).await;
    let r = ana
        .post(
            "/api/accounts/me/email",
            json!({"current_password": PASSWORD, "new_email": "ana@new.example"}),
        )
        .await;
    assert_eq!(r.status(), 202);
    let (_, me) = body(ana.get("/api/accounts/me").await).await;
    assert_eq!(me["email"], "ana@example.org", "unchanged until confirmed");
    let token = app
        .server
        .token_to("ana@new.example", "/confirm-email")
        .await;
    let (status, me) = body(
        ana.post("/api/accounts/confirm-email", json!({"token": token}))
            .await,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(me["email"], "ana@new.example");
    assert_eq!(app.client().login("ana@new.example", PASSWORD).await.0, 200);
}

#[tokio::test]
async fn the_export_holds_my_data_but_no_secret() {
    let app = spawn().await;
    let ana = app.user("ana", false).await;
    let r = ana.get("/api/accounts/me/export").await;
    assert!(r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("attachment"));
    let (status, export) = body(r).await;
    assert_eq!(status, 200);
    assert_eq!(export["account"]["username"], "ana");
    assert_eq!(export["account"]["email"], "ana@example.org");
    assert_eq!(export["sessions"].as_array().unwrap().len(), 1);
    let text = export.to_string();
    assert!(!text.contains("$argon2"), "no password hash in the export");
}

#[tokio::test]
async fn deleting_my_account_needs_my_password_and_frees_nothing_for_impostors() {
    let app = spawn().await;
    let ana = app.user("ana", false).await;
    let r = ana
        .delete(
            "/api/accounts/me",
            Some(json!({"password": "wrong password!!"})),
        )
        .await;
    assert_eq!(r.status(), 401);
    let r = ana
        .delete("/api/accounts/me", Some(json!({"password": PASSWORD})))
        .await;
    assert_eq!(r.status(), 204);
    assert_eq!(ana.get("/api/session").await.status(), 401);
    assert_eq!(app.client().login("ana", PASSWORD).await.0, 401);
    // The name stays reserved; the address is free again.
    let (status, error) = body(
        app.client()
            .post(
                "/api/accounts",
                json!({"username": "ana", "email": "other@example.org", "password": PASSWORD}),
            )
            .await,
    )
    .await;
    assert_eq!(
        (status, error["code"].as_str()),
        (409, Some("username_taken"))
    );
    let r = app
        .client()
        .post(
            "/api/accounts",
            json!({"username": "ana2", "email": "ana@example.org", "password": PASSWORD}),
        )
        .await;
    assert_eq!(r.status(), 201);
    assert!(
        app.server
            .token_to("ana@example.org", "/verify-email")
            .await
            .len()
            > 20
    );
}
