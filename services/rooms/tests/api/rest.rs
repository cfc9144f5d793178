//! The REST API: who may create, see, change and delete rooms.

use serde_json::json;

use crate::helpers::{answer, create_room, spawn_app, spawn_app_with};

#[tokio::test]
async fn users_create_list_and_manage_their_rooms() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let bob = app.user("bob").await;
    let room = create_room(
        &ada,
        json!({"name": "  Weekly meeting ", "password": "s3cret"}),
    )
    .await;
    let id = room["id"].as_str().unwrap();
    assert_eq!(id.len(), 22);
    assert_eq!(room["name"], "Weekly meeting");
    assert_eq!(room["has_password"], true);
    assert_eq!(room["max_participants"], 50);
    assert_eq!(room["owner"]["username"], "ada");
    assert_eq!(room["can_moderate"], true);
    assert!(room.get("moderator_key").is_none());

    let (status, mine) = answer(ada.get("/api/rooms").await).await;
    assert_eq!(status, 200);
    assert_eq!(mine.as_array().unwrap().len(), 1);
    let (_, theirs) = answer(bob.get("/api/rooms").await).await;
    assert!(theirs.as_array().unwrap().is_empty());

    // Anyone with the id sees its public information, never its password.
    let (status, seen) = answer(app.anonymous().get(&format!("/api/rooms/{id}")).await).await;
    assert_eq!(status, 200);
    assert_eq!(seen["can_moderate"], false);
    assert!(!seen.to_string().contains("s3cret"));
    assert!(!seen.to_string().contains("argon2"));
    let (status, _) = answer(
        app.anonymous()
            .get("/api/rooms/AAAAAAAAAAAAAAAAAAAAAA")
            .await,
    )
    .await;
    assert_eq!(status, 404);

    // Only moderators change it; the owner names moderators.
    let path = format!("/api/rooms/{id}");
    let (status, _) = answer(bob.patch(&path, json!({"locked": true})).await).await;
    assert_eq!(status, 403);
    let (status, changed) = answer(
        ada.patch(&path, json!({"lobby": true, "moderators": ["bob"]}))
            .await,
    )
    .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["lobby"], true);
    assert_eq!(changed["moderators"], json!(["bob"]));
    let (status, by_bob) = answer(bob.patch(&path, json!({"name": "Renamed"})).await).await;
    assert_eq!(status, 200, "{by_bob}");
    // A named moderator may not name others.
    let (status, _) = answer(bob.patch(&path, json!({"moderators": []})).await).await;
    assert_eq!(status, 403);
    let (_, theirs) = answer(bob.get("/api/rooms").await).await;
    assert_eq!(theirs.as_array().unwrap().len(), 1);

    for bad in [
        json!({"name": ""}),
        json!({"max_participants": 1}),
        json!({"max_participants": 51}),
        json!({"password": "x".repeat(200)}),
        json!({"moderators": ["nobody-here"]}),
        json!({"unknown": true}),
    ] {
        let (status, body) = answer(ada.patch(&path, bad.clone()).await).await;
        assert!(matches!(status, 400 | 422), "{bad} → {status} {body}");
    }

    let (status, _) = answer(bob.delete(&path, None).await).await;
    assert_eq!(status, 204);
    let (status, _) = answer(ada.get(&path).await).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn anonymous_rooms_are_moderated_by_their_key_when_allowed() {
    let app = spawn_app().await;
    let guest = app.anonymous();
    let room = create_room(&guest, json!({"name": "Apéro"})).await;
    let key = room["moderator_key"].as_str().unwrap().to_owned();
    assert_eq!(room["can_moderate"], true);
    assert_eq!(room["owner"]["kind"], "none");
    let path = format!("/api/rooms/{}", room["id"].as_str().unwrap());
    let (status, _) = answer(guest.patch(&path, json!({"locked": true})).await).await;
    assert_eq!(status, 403);
    let response = guest
        .raw()
        .patch(format!("{}{path}", app.server.address))
        .header("x-room-key", &key)
        .json(&json!({"locked": true}))
        .send()
        .await
        .unwrap();
    let (status, body) = answer(response).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["locked"], true);
    // A space's room needs an account.
    let (status, _) = answer(
        guest
            .post("/api/rooms", json!({"name": "x", "space": "club"}))
            .await,
    )
    .await;
    assert_eq!(status, 401);

    let closed = spawn_app_with(|s| s.rooms.anonymous_rooms = false).await;
    let (status, _) = answer(
        closed
            .anonymous()
            .post("/api/rooms", json!({"name": "x"}))
            .await,
    )
    .await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn space_rooms_are_listed_for_members_and_moderated_by_space_moderators() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let bob = app.user("bob").await;
    let (status, space) = answer(
        ada.post(
            "/api/spaces",
            json!({"handle": "club", "display_name": "Club"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201, "{space}");
    let room = create_room(&ada, json!({"name": "Board", "space": "club"})).await;
    assert_eq!(room["owner"]["handle"], "club");
    assert_eq!(room["can_moderate"], true);
    let (status, listed) = answer(ada.get("/api/rooms?space=club").await).await;
    assert_eq!(status, 200);
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let (status, _) = answer(bob.get("/api/rooms?space=club").await).await;
    assert_eq!(status, 404);
    let (status, _) = answer(
        bob.post("/api/rooms", json!({"name": "x", "space": "club"}))
            .await,
    )
    .await;
    assert_eq!(status, 422);
}
