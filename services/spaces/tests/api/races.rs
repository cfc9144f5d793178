//! Changes that race each other still keep the rules (this matters on PostgreSQL, where
//! transactions really run side by side).

use serde_json::json;

use crate::helpers::{answer, create_space, member, spawn_app};

#[tokio::test]
async fn two_owners_stepping_down_at_once_leave_one_owner() {
    for _ in 0..5 {
        let app = spawn_app().await;
        let alice = app.user("alice").await;
        create_space(&alice, "club").await;
        let bob = member(&app, &alice, "club", "bob", "member").await;
        let (status, _) = answer(
            alice
                .patch("/api/spaces/club/members/bob", json!({"role": "owner"}))
                .await,
        )
        .await;
        assert_eq!(status, 200);
        let (a, b) = tokio::join!(
            alice.patch("/api/spaces/club/members/alice", json!({"role": "member"})),
            bob.post("/api/spaces/club/leave", json!({})),
        );
        let mut statuses = [a.status().as_u16(), b.status().as_u16()];
        statuses.sort_unstable();
        assert!(matches!(statuses, [200, 409] | [204, 409]), "{statuses:?}");
        let (_, members) = answer(alice.get("/api/spaces/club/members").await).await;
        let owners = members
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["role"] == "owner")
            .count();
        assert_eq!(owners, 1, "{members}");
    }
}

#[tokio::test]
async fn an_email_invitation_accepted_twice_at_once_lets_one_person_in() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    create_space(&alice, "club").await;
    let (_, body) = answer(
        alice
            .post(
                "/api/spaces/club/invitations",
                json!({"email": "friend@example.org"}),
            )
            .await,
    )
    .await;
    let token = crate::helpers::token_of(body["link"].as_str().unwrap());
    let bob = app.user("bob").await;
    let carol = app.user("carol").await;
    let path = format!("/api/invitations/{token}/accept");
    let (a, b) = tokio::join!(bob.post(&path, json!({})), carol.post(&path, json!({})));
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 404]);
    let (_, space) = answer(alice.get("/api/spaces/club").await).await;
    assert_eq!(space["member_count"], 2);
}
