use diesel::prelude::*;
use maille_database::schema::account_tokens;
use serde_json::json;

use crate::helpers::{body, spawn, PASSWORD};

const NEW_PASSWORD: &str = "another long passphrase";

#[tokio::test]
async fn a_reset_link_sets_a_new_password_once_and_ends_every_session() {
    let app = spawn().await;
    let logged_in = app.user("ana", false).await;
    let visitor = app.client();
    let r = visitor
        .post(
            "/api/accounts/password-reset",
            json!({"email": "ANA@example.org"}),
        )
        .await;
    assert_eq!(r.status(), 202);
    let link = app
        .server
        .link_to("ana@example.org", "/reset-password?token=")
        .await;
    let token = link.split("token=").nth(1).unwrap().to_owned();
    let r = visitor
        .post(
            "/api/accounts/password-reset/confirm",
            json!({"token": token, "password": NEW_PASSWORD}),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        logged_in.get("/api/session").await.status(),
        401,
        "sessions ended"
    );
    assert_eq!(app.client().login("ana", PASSWORD).await.0, 401);
    assert_eq!(app.client().login("ana", NEW_PASSWORD).await.0, 200);
    // Reused: refused, nothing changed.
    let (status, error) = body(
        visitor
            .post(
                "/api/accounts/password-reset/confirm",
                json!({"token": token, "password": "yet another passphrase"}),
            )
            .await,
    )
    .await;
    assert_eq!(
        (status, error["code"].as_str()),
        (400, Some("invalid_token"))
    );
    assert_eq!(app.client().login("ana", NEW_PASSWORD).await.0, 200);
    // The owner is told that the password changed.
    let last = app.server.emails_to("ana@example.org").await;
    assert_eq!(last.len(), 2);
}

#[tokio::test]
async fn an_expired_reset_link_changes_nothing() {
    let app = spawn().await;
    app.user_no_login("ana").await;
    app.client()
        .post(
            "/api/accounts/password-reset",
            json!({"email": "ana@example.org"}),
        )
        .await;
    let token = app
        .server
        .token_to("ana@example.org", "/reset-password")
        .await;
    // Move the token's end into the past, as an hour passing would.
    app.server
        .context
        .db
        .run(|conn| {
            diesel::update(account_tokens::table)
                .set(account_tokens::expires_at.eq(maille_database::now() - 1))
                .execute(conn)
                .map_err(maille_database::DatabaseError::from)
        })
        .await
        .unwrap();
    let (status, error) = body(
        app.client()
            .post(
                "/api/accounts/password-reset/confirm",
                json!({"token": token, "password": NEW_PASSWORD}),
            )
            .await,
    )
    .await;
    assert_eq!(
        (status, error["code"].as_str()),
        (400, Some("invalid_token"))
    );
    assert_eq!(app.client().login("ana", PASSWORD).await.0, 200);
}

#[tokio::test]
async fn reset_links_are_valid_for_at_most_an_hour() {
    let app = spawn().await;
    app.user_no_login("ana").await;
    let before = maille_database::now();
    app.client()
        .post(
            "/api/accounts/password-reset",
            json!({"email": "ana@example.org"}),
        )
        .await;
    app.server.emails().await;
    let lifetimes: Vec<i64> = app
        .server
        .context
        .db
        .run(|conn| {
            account_tokens::table
                .filter(account_tokens::purpose.eq("reset_password"))
                .select(account_tokens::expires_at)
                .load::<i64>(conn)
                .map_err(maille_database::DatabaseError::from)
        })
        .await
        .unwrap();
    assert_eq!(lifetimes.len(), 1);
    assert!(lifetimes[0] - before <= 3600 + 2);
}

#[tokio::test]
async fn a_reset_for_an_unknown_address_answers_the_same_and_sends_nothing() {
    let app = spawn().await;
    let r = app
        .client()
        .post(
            "/api/accounts/password-reset",
            json!({"email": "nobody@example.org"}),
        )
        .await;
    assert_eq!(r.status(), 202);
    assert!(app.server.emails().await.is_empty());
}
