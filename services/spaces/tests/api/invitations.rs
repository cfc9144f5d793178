//! Invitations: by email (one person, once) and by link (anyone, until it expires or is
//! revoked), who may make them, revoking, and expiry.

use diesel::prelude::*;
use maille_database::schema::space_invitations;
use serde_json::json;

use crate::helpers::{
    answer, create_space, email_of, link_invitation, member, spawn_app, token_of,
};

#[tokio::test]
async fn an_email_invitation_arrives_and_works_once() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    create_space(&alice, "club").await;
    let (status, body) = answer(
        alice
            .post(
                "/api/spaces/club/invitations",
                json!({"email": " Carol@Example.org "}),
            )
            .await,
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["email"], "carol@example.org");
    assert_eq!(body["role"], "member");
    let id = body["id"].as_str().unwrap().to_owned();
    let shown = body["link"].as_str().unwrap().to_owned();
    assert!(
        shown.starts_with(&format!("{}/join/", app.server.address)),
        "{shown}"
    );
    let (created, expires) = (
        body["created_at"].as_i64().unwrap(),
        body["expires_at"].as_i64().unwrap(),
    );
    assert_eq!(expires - created, 14 * 24 * 3600);

    let emails = app.server.emails_to("carol@example.org").await;
    assert_eq!(emails.len(), 1);
    let subject = emails[0].subject().unwrap_or_default().to_owned();
    assert!(
        subject.contains("alice") && subject.contains("The club"),
        "{subject}"
    );
    let link = app.server.link_to("carol@example.org", "/join/").await;
    assert_eq!(link, shown);
    let token = token_of(&link);

    // Anyone holding the link sees what it offers; the listing never shows the link again.
    let (status, body) = answer(
        app.server
            .client()
            .get(&format!("/api/invitations/{token}"))
            .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"space": {"handle": "club", "display_name": "The club", "description": ""},
               "inviter": "alice", "role": "member"})
    );
    let (_, body) = answer(alice.get("/api/spaces/club/invitations").await).await;
    assert_eq!(body.as_array().unwrap().len(), 1);
    assert_eq!(body[0]["id"], id.as_str());
    assert_eq!(body[0]["link"], serde_json::Value::Null);

    // Accepting needs a login; the account's address need not be the invited one.
    let (status, _) = answer(
        app.server
            .client()
            .post(&format!("/api/invitations/{token}/accept"), json!({}))
            .await,
    )
    .await;
    assert_eq!(status, 401);
    let carol = app.user("carol_other").await;
    let (status, body) = answer(
        carol
            .post(&format!("/api/invitations/{token}/accept"), json!({}))
            .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["handle"].as_str(), body["my_role"].as_str()),
        (Some("club"), Some("member"))
    );
    assert_eq!(body["member_count"], 2);
    // Opening the used invitation again, as a member, just answers the space.
    let (status, body) = answer(
        carol
            .post(&format!("/api/invitations/{token}/accept"), json!({}))
            .await,
    )
    .await;
    assert_eq!(
        (status, body["handle"].as_str()),
        (200, Some("club")),
        "{body}"
    );

    let dave = app.user("dave").await;
    let (status, body) = answer(
        dave.post(&format!("/api/invitations/{token}/accept"), json!({}))
            .await,
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("invalid_token"))
    );
    let (status, _) = answer(dave.get(&format!("/api/invitations/{token}")).await).await;
    assert_eq!(status, 404);
    let (_, body) = answer(alice.get("/api/spaces/club/invitations").await).await;
    assert_eq!(body, json!([]));
}

#[tokio::test]
async fn a_link_lets_several_people_join_until_revoked() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    create_space(&alice, "club").await;
    let (status, body) = answer(alice.post("/api/spaces/club/invitations", json!({})).await).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        (body["email"].clone(), body["role"].as_str()),
        (serde_json::Value::Null, Some("member"))
    );
    let id = body["id"].as_str().unwrap().to_owned();
    let token = token_of(body["link"].as_str().unwrap());
    assert!(app.server.emails().await.is_empty());

    for name in ["bob", "carol"] {
        let client = app.user(name).await;
        let (status, body) = answer(
            client
                .post(&format!("/api/invitations/{token}/accept"), json!({}))
                .await,
        )
        .await;
        assert_eq!(status, 200, "{name}: {body}");
        assert_eq!(body["my_role"], "member");
    }
    let (_, body) = answer(alice.get("/api/spaces/club").await).await;
    assert_eq!(body["member_count"], 3);
    let (_, body) = answer(alice.get("/api/spaces/club/invitations").await).await;
    assert_eq!(
        body.as_array().unwrap().len(),
        1,
        "a link stays until it expires"
    );

    let (status, _) = answer(
        alice
            .delete(&format!("/api/spaces/club/invitations/{id}"), None)
            .await,
    )
    .await;
    assert_eq!(status, 204);
    let (status, _) = answer(
        alice
            .delete(&format!("/api/spaces/club/invitations/{id}"), None)
            .await,
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = answer(
        alice
            .delete("/api/spaces/club/invitations/not-a-number", None)
            .await,
    )
    .await;
    assert_eq!(status, 404);
    let dave = app.user("dave").await;
    let (status, body) = answer(
        dave.post(&format!("/api/invitations/{token}/accept"), json!({}))
            .await,
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("invalid_token"))
    );
    let (status, body) = answer(dave.get(&format!("/api/invitations/{token}")).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("invalid_token"))
    );
    let (status, _) = answer(dave.get("/api/invitations/made-up-token").await).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_member_accepting_again_keeps_their_role_and_leaves_the_invitation_unused() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    create_space(&alice, "club").await;
    let bob = member(&app, &alice, "club", "bob", "member").await;
    let (_, body) = answer(
        alice
            .post(
                "/api/spaces/club/invitations",
                json!({"email": "friend@example.org", "role": "moderator"}),
            )
            .await,
    )
    .await;
    let token = token_of(body["link"].as_str().unwrap());
    let (status, body) = answer(
        bob.post(&format!("/api/invitations/{token}/accept"), json!({}))
            .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["my_role"], "member");
    let friend = app.user("friend").await;
    let (status, body) = answer(
        friend
            .post(&format!("/api/invitations/{token}/accept"), json!({}))
            .await,
    )
    .await;
    assert_eq!((status, body["my_role"].as_str()), (200, Some("moderator")));
}

#[tokio::test]
async fn who_may_invite_whom() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    create_space(&alice, "club").await;
    let moderator = member(&app, &alice, "club", "mod", "moderator").await;
    let bob = member(&app, &alice, "club", "bob", "member").await;

    let (status, body) = answer(bob.post("/api/spaces/club/invitations", json!({})).await).await;
    assert_eq!((status, body["code"].as_str()), (403, Some("forbidden")));
    let (status, _) = answer(bob.get("/api/spaces/club/invitations").await).await;
    assert_eq!(status, 403);
    let (status, _) = answer(
        moderator
            .post("/api/spaces/club/invitations", json!({"role": "moderator"}))
            .await,
    )
    .await;
    assert_eq!(status, 403);
    link_invitation(&moderator, "club", "member").await;
    let (status, _) = answer(moderator.get("/api/spaces/club/invitations").await).await;
    assert_eq!(status, 200);
    link_invitation(&alice, "club", "moderator").await;

    let (status, body) = answer(
        alice
            .post("/api/spaces/club/invitations", json!({"role": "owner"}))
            .await,
    )
    .await;
    assert_eq!((status, body["field"].as_str()), (422, Some("role")));
    let (status, body) = answer(
        alice
            .post(
                "/api/spaces/club/invitations",
                json!({"email": "not an address"}),
            )
            .await,
    )
    .await;
    assert_eq!((status, body["field"].as_str()), (422, Some("email")));

    // Moderators revoke; members do not.
    let (_, list) = answer(alice.get("/api/spaces/club/invitations").await).await;
    let id = list[0]["id"].as_str().unwrap().to_owned();
    let (status, _) = answer(
        bob.delete(&format!("/api/spaces/club/invitations/{id}"), None)
            .await,
    )
    .await;
    assert_eq!(status, 403);
    let (status, _) = answer(
        moderator
            .delete(&format!("/api/spaces/club/invitations/{id}"), None)
            .await,
    )
    .await;
    assert_eq!(status, 204);
}

#[tokio::test]
async fn expired_invitations_stop_working_and_are_purged() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    create_space(&alice, "club").await;
    let token = link_invitation(&alice, "club", "member").await;
    let past = maille_database::now() - 1;
    app.spaces
        .database()
        .run(move |conn| {
            diesel::update(space_invitations::table)
                .set(space_invitations::expires_at.eq(past))
                .execute(conn)
                .map_err(maille_database::DatabaseError::Query)
        })
        .await
        .unwrap();
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
    let bob = app.user("bob").await;
    let (status, _) = answer(
        bob.post(&format!("/api/invitations/{token}/accept"), json!({}))
            .await,
    )
    .await;
    assert_eq!(status, 404);
    let (_, body) = answer(alice.get("/api/spaces/club/invitations").await).await;
    assert_eq!(body, json!([]));
    assert_eq!(app.spaces.maintenance().await.unwrap(), 1);
    assert_eq!(app.spaces.maintenance().await.unwrap(), 0);
}

#[tokio::test]
async fn a_space_cannot_send_mass_invitations() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    create_space(&alice, "club").await;
    for n in 0..100 {
        let (status, body) = answer(
            alice
                .post(
                    "/api/spaces/club/invitations",
                    json!({"email": email_of(&format!("person{n}"))}),
                )
                .await,
        )
        .await;
        assert_eq!(status, 201, "{n}: {body}");
    }
    let response = alice.post("/api/spaces/club/invitations", json!({})).await;
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after > 0 && retry_after <= 24 * 3600);
    let (status, body) = answer(response).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (429, Some("too_many_requests"))
    );
}
