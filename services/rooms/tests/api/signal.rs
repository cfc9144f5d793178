//! Signalling over real WebSockets: joining (password, lobby, limits), the room's life
//! (participants, chat, hands), moderation, and bad input closing only its connection.

use serde_json::json;

use crate::helpers::{create_room, spawn_app};

#[tokio::test]
async fn a_wrong_password_is_refused_and_the_right_one_lets_in() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let room = create_room(&ada, json!({"name": "Locked", "password": "s3cret"})).await;
    let id = room["id"].as_str().unwrap();
    for password in [json!(null), json!("wrong")] {
        let mut guest = app.connect(id, None).await;
        guest
            .send(json!({"type": "join", "name": "Guest", "password": password}))
            .await;
        let (code, error) = guest.closed().await;
        assert_eq!(code, 4401);
        assert_eq!(error.unwrap()["code"], "wrong_password");
    }
    let mut guest = app.connect(id, None).await;
    guest
        .send(json!({"type": "join", "name": "Guest", "password": "s3cret"}))
        .await;
    let joined = guest.expect("joined").await;
    assert_eq!(joined["role"], "participant");
    assert_eq!(joined["room"]["name"], "Locked");
    assert!(joined["participant_id"].as_str().unwrap().starts_with("p_"));
    // No TURN configured: no ICE servers at all (never a third-party STUN server).
    assert_eq!(joined["ice_servers"], json!([]));

    let mut nowhere = app.connect("AAAAAAAAAAAAAAAAAAAAAA", None).await;
    nowhere.send(json!({"type": "join", "name": "x"})).await;
    assert_eq!(nowhere.closed().await.0, 4404);
}

#[tokio::test]
async fn the_lobby_waits_for_a_moderator_who_admits_or_refuses() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let room = create_room(&ada, json!({"name": "Lobby", "lobby": true})).await;
    let id = room["id"].as_str().unwrap();
    let token = app.token("ada").await;
    let (mut host, joined) = app.join(id, "Ada", Some(&token)).await;
    assert_eq!(joined["role"], "moderator");

    let mut first = app.connect(id, None).await;
    first.send(json!({"type": "join", "name": "Camille"})).await;
    first.expect("lobby").await;
    let waiting = host.expect("lobby_waiting").await;
    assert_eq!(waiting["waiting"][0]["name"], "Camille");
    let camille = waiting["waiting"][0]["id"].as_str().unwrap().to_owned();
    // Waiting, one may not do anything but wait.
    let mut second = app.connect(id, None).await;
    second
        .send(json!({"type": "join", "name": "Dominique"}))
        .await;
    second.expect("lobby").await;
    let waiting = host.expect("lobby_waiting").await;
    let dominique = waiting["waiting"][1]["id"].as_str().unwrap().to_owned();

    host.send(json!({"type": "moderate", "action": "admit", "participant_id": camille}))
        .await;
    let joined = first.expect("joined").await;
    assert_eq!(joined["participants"][0]["name"], "Ada");
    let arrived = host.expect("participant_joined").await;
    assert_eq!(arrived["participant"]["name"], "Camille");

    host.send(json!({"type": "moderate", "action": "refuse", "participant_id": dominique}))
        .await;
    let (code, error) = second.closed().await;
    assert_eq!(code, 4403);
    assert_eq!(error.unwrap()["code"], "refused");

    // A participant may not moderate, and stays connected.
    first
        .send(json!({"type": "moderate", "action": "lock"}))
        .await;
    let error = first.expect("error").await;
    assert_eq!(error["code"], "forbidden");
    first.send(json!({"type": "ping"})).await;
    first.expect("pong").await;
}

#[tokio::test]
async fn a_full_or_locked_room_refuses_newcomers() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let room = create_room(&ada, json!({"name": "Small", "max_participants": 2})).await;
    let id = room["id"].as_str().unwrap();
    let token = app.token("ada").await;
    let (host, _) = app.join(id, "Ada", Some(&token)).await;
    let (_second, _) = app.join(id, "Bea", None).await;
    let mut third = app.connect(id, None).await;
    third.send(json!({"type": "join", "name": "Cat"})).await;
    let (code, error) = third.closed().await;
    assert_eq!(code, 4409);
    assert_eq!(error.unwrap()["code"], "room_full");
    let (status, seen) = crate::helpers::answer(ada.get(&format!("/api/rooms/{id}")).await).await;
    assert_eq!(status, 200);
    assert_eq!(seen["participants"], 2);

    let room = create_room(&ada, json!({"name": "Big"})).await;
    let id = room["id"].as_str().unwrap();
    drop(host);
    let (mut host, _) = app.join(id, "Ada", Some(&token)).await;
    host.send(json!({"type": "moderate", "action": "lock"}))
        .await;
    let updated = host.expect("room_updated").await;
    assert_eq!(updated["room"]["locked"], true);
    let mut late = app.connect(id, None).await;
    late.send(json!({"type": "join", "name": "Late"})).await;
    let (code, error) = late.closed().await;
    assert_eq!(code, 4409);
    assert_eq!(error.unwrap()["code"], "locked");
}

#[tokio::test]
async fn moderators_mute_and_remove_and_everyone_sees_it() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let room = create_room(&ada, json!({"name": "Moderated"})).await;
    let id = room["id"].as_str().unwrap();
    let token = app.token("ada").await;
    let (mut host, _) = app.join(id, "Ada", Some(&token)).await;
    let (mut guest, joined) = app.join(id, "Guest", None).await;
    let guest_id = joined["participant_id"].as_str().unwrap().to_owned();
    host.expect("participant_joined").await;

    guest
        .send(json!({"type": "mute", "source": "microphone", "muted": false}))
        .await;
    let updated = host.expect("participant_updated").await;
    assert_eq!(updated["participant"]["audio_muted"], false);
    guest.send(json!({"type": "hand", "raised": true})).await;
    let updated = host.expect("participant_updated").await;
    assert_eq!(updated["participant"]["hand"], true);
    guest.send(json!({"type": "chat", "text": " hello "})).await;
    let chat = host.expect("chat").await;
    assert_eq!(chat["text"], "hello");
    assert_eq!(chat["name"], "Guest");
    assert_eq!(guest.expect("chat").await["from"], guest_id);

    host.send(json!({"type": "moderate", "action": "mute", "participant_id": guest_id, "source": "microphone"}))
        .await;
    let muted = guest.expect("muted_by_moderator").await;
    assert_eq!(muted["source"], "microphone");
    let updated = host.expect("participant_updated").await;
    assert_eq!(updated["participant"]["audio_muted"], true);

    host.send(json!({"type": "moderate", "action": "remove", "participant_id": guest_id}))
        .await;
    let closed = guest.expect("closed").await;
    assert_eq!(closed["reason"], "removed");
    assert_eq!(guest.closed().await.0, 4403);
    let left = host.expect("participant_left").await;
    assert_eq!(left["reason"], "removed");

    // A newcomer sees the chat so far.
    let (_late, joined) = app.join(id, "Late", None).await;
    assert_eq!(joined["chat"][0]["text"], "hello");

    host.send(json!({"type": "moderate", "action": "end"}))
        .await;
    assert_eq!(host.expect("closed").await["reason"], "ended");
    assert_eq!(host.closed().await.0, 4410);
}

#[tokio::test]
async fn garbage_oversized_and_floods_close_only_their_connection() {
    let app = spawn_app().await;
    let room = create_room(&app.anonymous(), json!({"name": "Noisy"})).await;
    let id = room["id"].as_str().unwrap();
    let (mut calm, _) = app.join(id, "Calm", None).await;

    let (mut garbage, _) = app.join(id, "Garbage", None).await;
    assert!(garbage.send_text("{not json".into()).await);
    let (code, error) = garbage.closed().await;
    assert_eq!(code, 4400);
    assert_eq!(error.unwrap()["code"], "bad_message");

    let (mut unknown, _) = app.join(id, "Unknown", None).await;
    unknown
        .send(json!({"type": "chat", "text": "x", "evil": true}))
        .await;
    assert_eq!(unknown.closed().await.0, 4400);

    let (mut big, _) = app.join(id, "Big", None).await;
    let huge = json!({"type": "chat", "text": "a".repeat(70 * 1024)}).to_string();
    let _ = big.send_text(huge).await;
    assert!(matches!(big.closed().await.0, 4400 | 1009));

    let (mut sdp, _) = app.join(id, "Sdp", None).await;
    sdp.send(json!({"type": "offer", "pc": "publish", "sdp": "this is no SDP", "tracks": []}))
        .await;
    let (code, error) = sdp.closed().await;
    assert_eq!(code, 4400);
    assert_eq!(error.unwrap()["code"], "bad_sdp");

    let (mut flood, _) = app.join(id, "Flood", None).await;
    for _ in 0..200 {
        if !flood.send_text(json!({"type": "ping"}).to_string()).await {
            break;
        }
    }
    let (code, error) = flood.closed().await;
    assert_eq!(code, 4429);
    assert_eq!(error.unwrap()["code"], "too_many_messages");

    let mut early = app.connect(id, None).await;
    early
        .send(json!({"type": "chat", "text": "before joining"}))
        .await;
    assert_eq!(early.closed().await.0, 4400);

    // The calm one saw the others come and go, and is still there.
    calm.send(json!({"type": "ping"})).await;
    calm.expect("pong").await;
}
