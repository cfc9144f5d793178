//! Members: listing, role changes, removal and leaving, and the rule that a space keeps an
//! owner.

use serde_json::{json, Value};

use crate::helpers::{answer, create_space, member, spawn_app};

fn names_and_roles(body: &Value) -> Vec<(String, String)> {
    body.as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["username"].as_str().unwrap().to_owned(),
                m["role"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

#[tokio::test]
async fn members_see_each_other_owners_first() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    create_space(&alice, "club").await;
    let zoe = member(&app, &alice, "club", "zoe", "member").await;
    member(&app, &alice, "club", "bob", "member").await;
    member(&app, &alice, "club", "mod", "moderator").await;
    let (status, body) = answer(zoe.get("/api/spaces/club/members").await).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        names_and_roles(&body),
        pairs(&[
            ("alice", "owner"),
            ("mod", "moderator"),
            ("bob", "member"),
            ("zoe", "member")
        ])
    );
    assert_eq!(body[0]["display_name"], "alice");
    assert!(body[0]["joined_at"].as_i64().unwrap() > 0);
    assert!(
        body[0].get("email").is_none(),
        "addresses are not shown to members"
    );
}

#[tokio::test]
async fn only_owners_change_roles() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    create_space(&alice, "club").await;
    let moderator = member(&app, &alice, "club", "mod", "moderator").await;
    let bob = member(&app, &alice, "club", "bob", "member").await;

    for client in [&moderator, &bob] {
        let (status, body) = answer(
            client
                .patch("/api/spaces/club/members/bob", json!({"role": "moderator"}))
                .await,
        )
        .await;
        assert_eq!((status, body["code"].as_str()), (403, Some("forbidden")));
    }
    let (status, body) = answer(
        alice
            .patch("/api/spaces/club/members/bob", json!({"role": "moderator"}))
            .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["username"], "bob");
    assert_eq!(body["role"], "moderator");
    let (_, body) = answer(bob.get("/api/spaces/club").await).await;
    assert_eq!(body["my_role"], "moderator");

    let (status, body) = answer(
        alice
            .patch("/api/spaces/club/members/bob", json!({"role": "king"}))
            .await,
    )
    .await;
    assert_eq!((status, body["field"].as_str()), (422, Some("role")));
    let (status, _) = answer(
        alice
            .patch("/api/spaces/club/members/nobody", json!({"role": "member"}))
            .await,
    )
    .await;
    assert_eq!(status, 404);
    app.create_user("outsider").await;
    let (status, _) = answer(
        alice
            .patch(
                "/api/spaces/club/members/outsider",
                json!({"role": "member"}),
            )
            .await,
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn the_last_owner_cannot_step_down_but_one_of_two_can() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    create_space(&alice, "club").await;
    member(&app, &alice, "club", "bob", "member").await;

    let (status, body) = answer(
        alice
            .patch("/api/spaces/club/members/alice", json!({"role": "member"}))
            .await,
    )
    .await;
    assert_eq!((status, body["code"].as_str()), (409, Some("sole_owner")));

    let (status, body) = answer(
        alice
            .patch("/api/spaces/club/members/bob", json!({"role": "owner"}))
            .await,
    )
    .await;
    assert_eq!((status, body["role"].as_str()), (200, Some("owner")));
    let (status, body) = answer(
        alice
            .patch(
                "/api/spaces/club/members/alice",
                json!({"role": "moderator"}),
            )
            .await,
    )
    .await;
    assert_eq!(
        (status, body["role"].as_str()),
        (200, Some("moderator")),
        "{body}"
    );
    // Now alice is a moderator and may no longer change roles.
    let (status, _) = answer(
        alice
            .patch("/api/spaces/club/members/alice", json!({"role": "owner"}))
            .await,
    )
    .await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn moderators_remove_members_owners_remove_anyone() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    create_space(&alice, "club").await;
    let moderator = member(&app, &alice, "club", "mod", "moderator").await;
    member(&app, &alice, "club", "mod2", "moderator").await;
    let bob = member(&app, &alice, "club", "bob", "member").await;
    member(&app, &alice, "club", "carol", "member").await;

    // A member removes nobody else; a moderator no moderator or owner.
    for (client, target) in [(&bob, "carol"), (&moderator, "mod2"), (&moderator, "alice")] {
        let (status, body) = answer(
            client
                .delete(&format!("/api/spaces/club/members/{target}"), None)
                .await,
        )
        .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (403, Some("forbidden")),
            "{target}"
        );
    }
    let (status, _) = answer(
        moderator
            .delete("/api/spaces/club/members/carol", None)
            .await,
    )
    .await;
    assert_eq!(status, 204);
    let (status, _) = answer(alice.delete("/api/spaces/club/members/mod2", None).await).await;
    assert_eq!(status, 204);
    let (status, _) = answer(alice.delete("/api/spaces/club/members/mod2", None).await).await;
    assert_eq!(status, 404);

    let (_, body) = answer(bob.get("/api/spaces/club/members").await).await;
    assert_eq!(
        names_and_roles(&body),
        pairs(&[("alice", "owner"), ("mod", "moderator"), ("bob", "member")])
    );
    // Removing oneself is leaving, open to anyone, but not to the last owner.
    let (status, _) = answer(bob.delete("/api/spaces/club/members/bob", None).await).await;
    assert_eq!(status, 204);
    let (status, body) = answer(alice.delete("/api/spaces/club/members/alice", None).await).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("sole_owner")));
    let (status, _) = answer(bob.get("/api/spaces/club").await).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_removed_moderator_cannot_come_back_through_their_own_link() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    create_space(&alice, "club").await;
    let moderator = member(&app, &alice, "club", "mod", "moderator").await;
    let token = crate::helpers::link_invitation(&moderator, "club", "member").await;
    let kept = crate::helpers::link_invitation(&alice, "club", "member").await;

    let (status, _) = answer(alice.delete("/api/spaces/club/members/mod", None).await).await;
    assert_eq!(status, 204);
    let (status, body) = answer(
        moderator
            .post(&format!("/api/invitations/{token}/accept"), json!({}))
            .await,
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("invalid_token"))
    );
    let (_, body) = answer(alice.get("/api/spaces/club/invitations").await).await;
    assert_eq!(
        body.as_array().unwrap().len(),
        2,
        "the link that let mod in, and the kept one"
    );
    let (status, _) = answer(
        app.server
            .client()
            .get(&format!("/api/invitations/{kept}"))
            .await,
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn members_leave_and_the_last_owner_cannot() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    create_space(&alice, "club").await;
    let bob = member(&app, &alice, "club", "bob", "moderator").await;

    let (status, body) = answer(alice.post("/api/spaces/club/leave", json!({})).await).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("sole_owner")));
    let (status, _) = answer(bob.post("/api/spaces/club/leave", json!({})).await).await;
    assert_eq!(status, 204);
    let (status, _) = answer(bob.get("/api/spaces/club").await).await;
    assert_eq!(status, 404);
    let (status, _) = answer(bob.post("/api/spaces/club/leave", json!({})).await).await;
    assert_eq!(status, 404);

    // With a second owner, the first may leave.
    let carol = member(&app, &alice, "club", "carol", "member").await;
    let (status, _) = answer(
        alice
            .patch("/api/spaces/club/members/carol", json!({"role": "owner"}))
            .await,
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = answer(alice.post("/api/spaces/club/leave", json!({})).await).await;
    assert_eq!(status, 204);
    let (_, body) = answer(carol.get("/api/spaces/club").await).await;
    assert_eq!(
        (body["my_role"].as_str(), body["member_count"].as_i64()),
        (Some("owner"), Some(1))
    );
}
