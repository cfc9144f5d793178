//! The spaces' part of a person's export and of their account's deletion.

use serde_json::json;

use crate::helpers::{answer, create_space, member, spawn_app, PASSWORD};

#[tokio::test]
async fn my_export_holds_my_memberships_and_invitations() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    create_space(&alice, "club").await;
    let bob = member(&app, &alice, "club", "bob", "moderator").await;
    answer(
        alice
            .post(
                "/api/spaces/club/invitations",
                json!({"email": "carol@example.org"}),
            )
            .await,
    )
    .await;

    let (status, export) = answer(alice.get("/api/accounts/me/export").await).await;
    assert_eq!(status, 200, "{export}");
    let spaces = &export["spaces"];
    assert_eq!(spaces["memberships"].as_array().unwrap().len(), 1);
    assert_eq!(spaces["memberships"][0]["space"], "club");
    assert_eq!(spaces["memberships"][0]["role"], "owner");
    let created = spaces["invitations_created"].as_array().unwrap();
    assert_eq!(created.len(), 2, "the link that let bob in, and carol's");
    assert!(created.iter().any(|i| i["email"] == "carol@example.org"));

    let (_, export) = answer(bob.get("/api/accounts/me/export").await).await;
    assert_eq!(export["spaces"]["memberships"][0]["role"], "moderator");
    assert_eq!(export["spaces"]["invitations_created"], json!([]));
}

#[tokio::test]
async fn the_sole_owner_hands_over_before_deleting_their_account() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    create_space(&alice, "club").await;
    create_space(&alice, "solo").await;
    let bob = member(&app, &alice, "club", "bob", "member").await;

    let (status, body) = answer(
        alice
            .delete("/api/accounts/me", Some(json!({"password": PASSWORD})))
            .await,
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("sole_owner")),
        "{body}"
    );
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains("club") && message.contains("solo"),
        "{message}"
    );

    let (status, _) = answer(
        alice
            .patch("/api/spaces/club/members/bob", json!({"role": "owner"}))
            .await,
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = answer(alice.delete("/api/spaces/solo", None).await).await;
    assert_eq!(status, 204);
    let (status, body) = answer(
        alice
            .delete("/api/accounts/me", Some(json!({"password": PASSWORD})))
            .await,
    )
    .await;
    assert_eq!(status, 204, "{body}");

    let (status, body) = answer(bob.get("/api/spaces/club").await).await;
    assert_eq!(status, 200);
    assert_eq!(
        (body["my_role"].as_str(), body["member_count"].as_i64()),
        (Some("owner"), Some(1))
    );
    let (_, body) = answer(bob.get("/api/spaces/club/members").await).await;
    assert_eq!(body.as_array().unwrap().len(), 1);
    assert_eq!(body[0]["username"], "bob");
}

#[tokio::test]
async fn a_plain_member_deletes_their_account_at_once_and_their_invitations_stay() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    create_space(&alice, "club").await;
    let bob = member(&app, &alice, "club", "bob", "moderator").await;
    let token = crate::helpers::link_invitation(&bob, "club", "member").await;
    let (status, body) = answer(
        bob.delete("/api/accounts/me", Some(json!({"password": PASSWORD})))
            .await,
    )
    .await;
    assert_eq!(status, 204, "{body}");
    let (_, body) = answer(alice.get("/api/spaces/club").await).await;
    assert_eq!(body["member_count"], 1);
    let (status, body) = answer(
        app.server
            .client()
            .get(&format!("/api/invitations/{token}"))
            .await,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["inviter"], serde_json::Value::Null);
}
