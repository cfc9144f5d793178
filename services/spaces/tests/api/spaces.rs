//! Creating, listing, reading, editing and deleting spaces.

use serde_json::json;

use crate::helpers::{answer, create_space, member, spawn_app};

#[tokio::test]
async fn the_creator_owns_a_new_space() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let (status, body) = answer(
        alice
            .post(
                "/api/spaces",
                json!({"handle": "Les_Amis", "display_name": "  Les amis du quartier ",
                       "description": "Réunions le mardi.\nBienvenue !"}),
            )
            .await,
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["handle"], "les_amis");
    assert_eq!(body["display_name"], "Les amis du quartier");
    assert_eq!(body["description"], "Réunions le mardi.\nBienvenue !");
    assert_eq!(body["my_role"], "owner");
    assert_eq!(body["member_count"], 1);
    assert!(body["created_at"].as_i64().unwrap() > 0);

    let (status, body) = answer(alice.get("/api/spaces/les_amis").await).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["my_role"], "owner");
    let (status, _) = answer(alice.get("/api/spaces/LES_AMIS").await).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_handle_is_taken_by_users_spaces_and_deleted_spaces() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    app.create_user("bob").await;
    create_space(&alice, "garden").await;
    for taken in ["bob", "garden", "admin", "join"] {
        let (status, body) = answer(
            alice
                .post("/api/spaces", json!({"handle": taken, "display_name": "X"}))
                .await,
        )
        .await;
        assert_eq!(status, 409, "{taken}: {body}");
        assert_eq!(body["code"], "handle_taken");
    }
    // A deleted space's handle stays claimed.
    let (status, _) = answer(alice.delete("/api/spaces/garden", None).await).await;
    assert_eq!(status, 204);
    let (status, body) = answer(
        alice
            .post(
                "/api/spaces",
                json!({"handle": "garden", "display_name": "X"}),
            )
            .await,
    )
    .await;
    assert_eq!((status, body["code"].as_str()), (409, Some("handle_taken")));
    // And a user cannot sign up with a space's handle.
    let (status, body) = answer(
        app.server
            .client()
            .post(
                "/api/accounts",
                json!({"username": "garden", "email": "g@example.org", "password": "a long enough passphrase"}),
            )
            .await,
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("username_taken"))
    );
}

#[tokio::test]
async fn bad_fields_are_refused_with_the_field_named() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let cases = [
        (json!({"handle": "a", "display_name": "X"}), "handle"),
        (
            json!({"handle": "with space", "display_name": "X"}),
            "handle",
        ),
        (json!({"handle": "_lead", "display_name": "X"}), "handle"),
        (json!({"handle": "été", "display_name": "X"}), "handle"),
        (
            json!({"handle": "okay", "display_name": "  "}),
            "display_name",
        ),
        (
            json!({"handle": "okay", "display_name": "X", "description": "x".repeat(2001)}),
            "description",
        ),
        (
            json!({"handle": "okay", "display_name": "X", "description": "bell\u{7}"}),
            "description",
        ),
    ];
    for (body, field) in cases {
        let (status, answer_body) = answer(alice.post("/api/spaces", body.clone()).await).await;
        assert_eq!(status, 422, "{body}: {answer_body}");
        assert_eq!(answer_body["code"], "validation_failed");
        assert_eq!(answer_body["field"], field, "{body}");
    }
    let (status, _) = answer(
        alice
            .post(
                "/api/spaces",
                json!({"handle": "okay", "display_name": "X", "colour": "red"}),
            )
            .await,
    )
    .await;
    assert_eq!(status, 422);
    // Nothing was claimed by the refused attempts.
    create_space(&alice, "okay").await;
}

#[tokio::test]
async fn i_list_my_spaces_only() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    create_space(&alice, "zebra").await;
    create_space(&alice, "apple").await;
    create_space(&bob, "bobs").await;
    let (status, body) = answer(alice.get("/api/spaces").await).await;
    assert_eq!(status, 200);
    let handles: Vec<&str> = body
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["handle"].as_str().unwrap())
        .collect();
    assert_eq!(handles, ["apple", "zebra"]);
    assert_eq!(body[0]["my_role"], "owner");
    assert_eq!(body[0]["member_count"], 1);

    member(&app, &alice, "apple", "carol", "member").await;
    let (_, body) = answer(alice.get("/api/spaces").await).await;
    assert_eq!(body[0]["member_count"], 2);
    assert_eq!(body[1]["member_count"], 1);

    let (status, _) = answer(app.server.client().get("/api/spaces").await).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn only_members_see_a_space() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let mallory = app.user("mallory").await;
    create_space(&alice, "secret").await;
    for (status, body) in [
        answer(mallory.get("/api/spaces/secret").await).await,
        answer(mallory.get("/api/spaces/secret/members").await).await,
        answer(mallory.get("/api/spaces/secret/invitations").await).await,
        answer(
            mallory
                .patch("/api/spaces/secret", json!({"display_name": "Mine"}))
                .await,
        )
        .await,
        answer(mallory.delete("/api/spaces/secret", None).await).await,
        answer(mallory.post("/api/spaces/secret/leave", json!({})).await).await,
        answer(
            mallory
                .post("/api/spaces/secret/invitations", json!({}))
                .await,
        )
        .await,
        answer(
            mallory
                .delete("/api/spaces/secret/members/alice", None)
                .await,
        )
        .await,
        answer(mallory.get("/api/spaces/nowhere").await).await,
    ] {
        assert_eq!(status, 404, "{body}");
        assert_eq!(body["code"], "not_found");
    }
    let (status, _) = answer(app.server.client().get("/api/spaces/secret").await).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn owners_and_moderators_edit_a_space_members_do_not() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    create_space(&alice, "club").await;
    let moderator = member(&app, &alice, "club", "mod", "moderator").await;
    let plain = member(&app, &alice, "club", "plain", "member").await;

    let (status, body) = answer(
        moderator
            .patch("/api/spaces/club", json!({"description": "New rules"}))
            .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["description"], "New rules");
    assert_eq!(body["display_name"], "The club");
    assert_eq!(body["my_role"], "moderator");
    assert_eq!(body["member_count"], 3);

    let (status, body) = answer(
        alice
            .patch(
                "/api/spaces/club",
                json!({"display_name": "Le club", "description": ""}),
            )
            .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["display_name"].as_str(), body["description"].as_str()),
        (Some("Le club"), Some(""))
    );

    let (status, body) = answer(
        plain
            .patch("/api/spaces/club", json!({"display_name": "Hacked"}))
            .await,
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(body["code"], "forbidden");
    let (status, body) = answer(
        alice
            .patch("/api/spaces/club", json!({"display_name": ""}))
            .await,
    )
    .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("display_name"))
    );
    let (_, body) = answer(plain.get("/api/spaces/club").await).await;
    assert_eq!(body["display_name"], "Le club");
}

#[tokio::test]
async fn only_an_owner_deletes_a_space_and_everything_in_it_goes() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    create_space(&alice, "club").await;
    let moderator = member(&app, &alice, "club", "mod", "moderator").await;
    let token = crate::helpers::link_invitation(&alice, "club", "member").await;

    let (status, body) = answer(moderator.delete("/api/spaces/club", None).await).await;
    assert_eq!((status, body["code"].as_str()), (403, Some("forbidden")));

    let (status, _) = answer(alice.delete("/api/spaces/club", None).await).await;
    assert_eq!(status, 204);
    let (status, _) = answer(alice.get("/api/spaces/club").await).await;
    assert_eq!(status, 404);
    let (_, body) = answer(moderator.get("/api/spaces").await).await;
    assert_eq!(body, json!([]));
    let (status, body) = answer(
        app.server
            .client()
            .get(&format!("/api/invitations/{token}"))
            .await,
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("invalid_token"))
    );
}

#[tokio::test]
async fn a_change_without_the_csrf_token_is_refused() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    create_space(&alice, "club").await;
    alice.forget_csrf();
    for response in [
        alice
            .post(
                "/api/spaces",
                json!({"handle": "other", "display_name": "X"}),
            )
            .await,
        alice
            .patch("/api/spaces/club", json!({"display_name": "X"}))
            .await,
        alice.delete("/api/spaces/club", None).await,
        alice.post("/api/spaces/club/invitations", json!({})).await,
    ] {
        let (status, body) = answer(response).await;
        assert_eq!(status, 403, "{body}");
        assert_eq!(body["code"], "csrf_failed");
    }
    // From another site, even with the token.
    let alice = app.login("alice").await;
    let response = alice
        .raw()
        .post(format!("{}/api/spaces", alice.base))
        .header("Origin", "https://evil.example")
        .json(&json!({"handle": "other", "display_name": "X"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 403);
    // Reads need no token, and nothing was changed.
    alice.forget_csrf();
    let (status, body) = answer(alice.get("/api/spaces/club").await).await;
    assert_eq!(
        (status, body["display_name"].as_str()),
        (200, Some("The club"))
    );
    let (_, body) = answer(alice.get("/api/spaces").await).await;
    assert_eq!(body.as_array().unwrap().len(), 1);
}
