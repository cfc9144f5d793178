use serde_json::json;

use crate::helpers::{body, spawn, PASSWORD};

#[tokio::test]
async fn only_admins_reach_the_administration() {
    let app = spawn().await;
    let ana = app.user("ana", false).await;
    let (status, error) = body(ana.get("/api/admin/users").await).await;
    assert_eq!((status, error["code"].as_str()), (403, Some("forbidden")));
    assert_eq!(app.client().get("/api/admin/users").await.status(), 401);
}

#[tokio::test]
async fn admins_search_disable_enable_promote_and_demote() {
    let app = spawn().await;
    let boss = app.user("boss", true).await;
    let ana = app.user("ana", false).await;
    app.user("bob", false).await;
    let (_, found) = body(boss.get("/api/admin/users?q=an").await).await;
    assert_eq!(found["total"], 1);
    assert_eq!(found["users"][0]["username"], "ana");
    let id = found["users"][0]["id"].as_str().unwrap().to_owned();

    let (status, user) = body(
        boss.post(&format!("/api/admin/users/{id}/disable"), json!({}))
            .await,
    )
    .await;
    assert_eq!((status, user["disabled"].as_bool()), (200, Some(true)));
    assert_eq!(
        ana.get("/api/session").await.status(),
        401,
        "sessions ended"
    );
    assert_eq!(
        app.client().login("ana", PASSWORD).await.1["code"],
        "account_disabled"
    );
    let (_, disabled) = body(boss.get("/api/admin/users?status=disabled").await).await;
    assert_eq!(disabled["total"], 1);

    boss.post(&format!("/api/admin/users/{id}/enable"), json!({}))
        .await;
    let ana = app.client();
    assert_eq!(ana.login("ana", PASSWORD).await.0, 200);

    let (_, user) = body(
        boss.post(&format!("/api/admin/users/{id}/promote"), json!({}))
            .await,
    )
    .await;
    assert_eq!(user["role"], "admin");
    assert_eq!(ana.get("/api/admin/users").await.status(), 200);
    let (_, user) = body(
        boss.post(&format!("/api/admin/users/{id}/demote"), json!({}))
            .await,
    )
    .await;
    assert_eq!(user["role"], "user");
    assert_eq!(
        boss.get("/api/admin/users?status=bogus").await.status(),
        422
    );
}

#[tokio::test]
async fn the_last_admin_cannot_be_disabled_or_demoted() {
    let app = spawn().await;
    let boss = app.user("boss", true).await;
    let (_, me) = body(boss.get("/api/accounts/me").await).await;
    let id = me["id"].as_str().unwrap();
    assert_eq!(
        boss.post(&format!("/api/admin/users/{id}/demote"), json!({}))
            .await
            .status(),
        422
    );
    assert_eq!(
        boss.post(&format!("/api/admin/users/{id}/disable"), json!({}))
            .await
            .status(),
        422
    );
    assert_eq!(
        boss.post("/api/admin/users/123/promote", json!({}))
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn the_registration_mode_set_by_an_admin_wins_over_the_file() {
    let app = spawn().await;
    let boss = app.user("boss", true).await;
    let (_, settings) = body(boss.get("/api/admin/settings").await).await;
    assert_eq!(settings["registration_mode"], "open");
    let r = boss
        .patch(
            "/api/admin/settings",
            json!({"registration_mode": "closed"}),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        boss.patch("/api/admin/settings", json!({"registration_mode": "party"}))
            .await
            .status(),
        422
    );
    let (_, info) = body(app.client().get("/api/instance").await).await;
    assert_eq!(info["registration_mode"], "closed");
    let r = app
        .client()
        .post(
            "/api/accounts",
            json!({"username": "ana", "email": "ana@example.org", "password": PASSWORD}),
        )
        .await;
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn invites_are_listed_and_revoked() {
    let app = spawn().await;
    let boss = app.user("boss", true).await;
    let (_, invite) = body(
        boss.post(
            "/api/admin/invites",
            json!({"max_uses": 0, "expires_in_days": 0}),
        )
        .await,
    )
    .await;
    let code = invite["code"].as_str().unwrap().to_owned();
    assert!(invite["max_uses"].is_null() && invite["expires_at"].is_null());
    let (_, list) = body(boss.get("/api/admin/invites").await).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(
        boss.delete(&format!("/api/admin/invites/{code}"), None)
            .await
            .status(),
        204
    );
    assert_eq!(
        boss.delete(&format!("/api/admin/invites/{code}"), None)
            .await
            .status(),
        404
    );
    assert_eq!(
        boss.post("/api/admin/invites", json!({"max_uses": -3}))
            .await
            .status(),
        422
    );
}
