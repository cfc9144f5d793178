//! Announcements between two real Maille instances on `localhost`: B's user makes a pad
//! public and A's follower sees it in the feed; a rename updates it, a deletion removes it;
//! a space on B re-shares its members' public pads with `Announce` to its own followers; a
//! public room is announced and withdrawn the same way; and a Mastodon-shaped instance (a
//! stub with its own keys) is followed and its signed `Create` of a `Note` reaches the feed;
//! its boost of a post on a third instance, given by id only, is fetched into the feed.

use maille_testing::TestClient;
use serde_json::{json, Value};
use url::Url;

use crate::helpers::{json_list, until, Node, Signer, Stub};

async fn follow(client: &TestClient, handle: &str) {
    let response = client
        .post("/api/federation/follows", json!({"handle": handle}))
        .await;
    assert_eq!(response.status(), 201, "{:?}", response.text().await);
    until(
        client,
        "/api/federation/following",
        "follow accepted",
        |items| {
            items
                .iter()
                .any(|i| i["handle"] == handle && i["state"] == "accepted")
        },
    )
    .await;
}

fn titled<'a>(items: &'a [Value], title: &str) -> Option<&'a Value> {
    items.iter().find(|i| i["title"] == title)
}

#[tokio::test]
async fn public_pads_reach_the_feed_of_followers_on_another_instance() {
    let mut a = Node::new();
    let mut b = Node::new();
    a.user("alice");
    a.user("carol");
    b.user("bob");
    a.start().await;
    b.start().await;
    let alice = a.login("alice").await;
    let carol = a.login("carol").await;
    let bob = b.login("bob").await;
    let response = bob
        .post(
            "/api/spaces",
            json!({"handle": "club", "display_name": "The club"}),
        )
        .await;
    assert_eq!(response.status(), 201);

    // alice follows bob; carol follows only bob's space.
    follow(&alice, &format!("@bob@{}", b.domain())).await;
    follow(&carol, &format!("@club@{}", b.domain())).await;

    // bob makes a pad public: it reaches alice's feed.
    let response = bob.post("/api/pads", json!({"title": "Minutes"})).await;
    let pad: Value = response.json().await.unwrap();
    let id = pad["id"].as_str().unwrap().to_owned();
    let read_id = pad["read_id"].as_str().unwrap().to_owned();
    let response = bob
        .patch(&format!("/api/pads/{id}"), json!({"visibility": "public"}))
        .await;
    assert_eq!(response.status(), 200);
    let feed = until(
        &alice,
        "/api/federation/feed",
        "the public pad arrives",
        |items| titled(items, "Minutes").is_some(),
    )
    .await;
    let item = titled(&feed, "Minutes").unwrap();
    assert_eq!(item["kind"], "pad");
    assert_eq!(item["url"], format!("{}/p/{read_id}", b.base()));
    assert_eq!(item["author"]["handle"], format!("@bob@{}", b.domain()));
    assert_eq!(item["via"], Value::Null);
    // carol follows the space, not bob: bob's own pad is not hers to see.
    assert!(json_list(&carol, "/api/federation/feed").await.is_empty());

    // A rename is an Update of the same item.
    let response = bob
        .patch(
            &format!("/api/pads/{id}"),
            json!({"title": "Minutes of May"}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let feed = until(
        &alice,
        "/api/federation/feed",
        "the rename arrives",
        |items| titled(items, "Minutes of May").is_some(),
    )
    .await;
    assert_eq!(feed.len(), 1, "{feed:?}");

    // A pad of the space, made public by bob: the space announces it to carol.
    let response = bob
        .post(
            "/api/pads",
            json!({"title": "Agenda", "space": "club", "visibility": "public"}),
        )
        .await;
    assert_eq!(response.status(), 201);
    let feed = until(
        &carol,
        "/api/federation/feed",
        "the space's Announce arrives",
        |items| titled(items, "Agenda").is_some(),
    )
    .await;
    let item = titled(&feed, "Agenda").unwrap();
    assert_eq!(item["author"]["handle"], format!("@bob@{}", b.domain()));
    assert_eq!(item["via"]["handle"], format!("@club@{}", b.domain()));
    // alice follows bob, its author: she sees it too, once.
    let feed = until(
        &alice,
        "/api/federation/feed",
        "bob's Create arrives",
        |items| titled(items, "Agenda").is_some(),
    )
    .await;
    assert_eq!(feed.len(), 2, "{feed:?}");

    // A public room of bob's is announced too; deleted, it is gone.
    let response = bob
        .post(
            "/api/rooms",
            json!({"name": "Weekly meeting", "public": true}),
        )
        .await;
    assert_eq!(response.status(), 201);
    let room: Value = response.json().await.unwrap();
    assert_eq!(room["public"], true);
    let room_id = room["id"].as_str().unwrap().to_owned();
    let feed = until(
        &alice,
        "/api/federation/feed",
        "the public room arrives",
        |items| titled(items, "Weekly meeting").is_some(),
    )
    .await;
    let item = titled(&feed, "Weekly meeting").unwrap();
    assert_eq!(item["kind"], "room");
    assert_eq!(item["url"], format!("{}/rooms/{room_id}", b.base()));
    let response = bob.delete(&format!("/api/rooms/{room_id}"), None).await;
    assert_eq!(response.status(), 204);
    until(
        &alice,
        "/api/federation/feed",
        "the room's Delete arrives",
        |items| titled(items, "Weekly meeting").is_none(),
    )
    .await;

    // Moved to the trash: gone from the feed.
    let response = bob.delete(&format!("/api/pads/{id}"), None).await;
    assert_eq!(response.status(), 204);
    until(
        &alice,
        "/api/federation/feed",
        "the Delete arrives",
        |items| titled(items, "Minutes of May").is_none(),
    )
    .await;
}

/// A Mastodon-shaped stub instance on localhost: WebFinger, the actor `gargron` with a key
/// pair, and inboxes that record what they receive.
struct Mastodon {
    stub: Stub,
    base: String,
    signer: Signer,
}

impl Mastodon {
    async fn start() -> Mastodon {
        let keys = activitypub_federation::http_signatures::generate_actor_keypair().unwrap();
        let public_key = keys.public_key.clone();
        let stub = Stub::start(
            |base| {
                let actor_id = format!("{base}/users/gargron");
                let port = Url::parse(base).unwrap().port().unwrap();
                let actor = json!({
                    "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
                    "id": actor_id,
                    "type": "Person",
                    "preferredUsername": "gargron",
                    "name": "Eugen",
                    "inbox": format!("{actor_id}/inbox"),
                    "outbox": format!("{actor_id}/outbox"),
                    "followers": format!("{actor_id}/followers"),
                    "url": format!("{base}/@gargron"),
                    "manuallyApprovesFollowers": false,
                    "endpoints": {"sharedInbox": format!("{base}/inbox")},
                    "publicKey": {"id": format!("{actor_id}#main-key"), "owner": actor_id, "publicKeyPem": public_key},
                });
                let finger = json!({
                    "subject": format!("acct:gargron@localhost:{port}"),
                    "links": [{"rel": "self", "type": "application/activity+json", "href": actor_id}],
                });
                vec![
                    (
                        "/users/gargron".to_owned(),
                        "application/activity+json",
                        actor,
                    ),
                    (
                        "/.well-known/webfinger".to_owned(),
                        "application/jrd+json",
                        finger,
                    ),
                ]
            },
            &["/inbox", "/users/gargron/inbox"],
        );
        let base = stub.base.clone();
        let signer = Signer::new(&maille_federation::SigningActor {
            id: Url::parse(&format!("{base}/users/gargron")).unwrap(),
            inbox: Url::parse(&format!("{base}/inbox")).unwrap(),
            public_key_pem: keys.public_key.clone(),
            private_key_pem: keys.private_key.clone(),
        })
        .await;
        Mastodon { stub, base, signer }
    }

    /// Posts `activity`, signed by gargron, to `inbox`; returns the status.
    async fn send(&self, inbox: &str, activity: &Value) -> u16 {
        self.signer
            .post(inbox, &activity.to_string(), "application/activity+json")
            .await
    }

    /// The first activity received of type `kind`, waiting for it (30 s at most).
    async fn received(&self, kind: &str) -> Value {
        let has = |items: &[Value]| items.iter().any(|a| a["type"] == kind);
        let received = self
            .stub
            .received_when(&format!("no {kind} received"), has)
            .await;
        received.into_iter().find(|a| a["type"] == kind).unwrap()
    }
}

/// Instance A with alice, who follows gargron on a started Mastodon stub (which accepts).
async fn alice_follows_gargron() -> (Node, TestClient, Mastodon, String) {
    let mut a = Node::new();
    a.user("alice");
    a.start().await;
    let alice = a.login("alice").await;
    let mastodon = Mastodon::start().await;
    let handle = format!("@gargron@{}", mastodon.base.trim_start_matches("http://"));
    let response = alice
        .post("/api/federation/follows", json!({"handle": handle}))
        .await;
    assert_eq!(response.status(), 201, "{:?}", response.text().await);
    let follow = mastodon.received("Follow").await;
    let accept = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/users/gargron#accepts/follows/1", mastodon.base),
        "type": "Accept",
        "actor": format!("{}/users/gargron", mastodon.base),
        "object": follow,
    });
    assert_eq!(
        mastodon.send(&format!("{}/inbox", a.base()), &accept).await,
        202
    );
    until(
        &alice,
        "/api/federation/following",
        "gargron accepts",
        |items| {
            items
                .iter()
                .any(|i| i["handle"] == handle.as_str() && i["state"] == "accepted")
        },
    )
    .await;
    (a, alice, mastodon, handle)
}

#[tokio::test]
async fn a_mastodon_post_reaches_the_feed_of_its_follower() {
    // alice follows gargron; his instance accepts.
    let (a, alice, mastodon, handle) = alice_follows_gargron().await;

    // He posts: Mastodon's Create of a Note (the fixture, on the stub's address).
    let fixture = std::fs::read_to_string(
        crate::helpers::repository()
            .join("services/federation/tests/fixtures/mastodon-create-note.json"),
    )
    .unwrap()
    .replace("https://mastodon.example", &mastodon.base);
    let create: Value = serde_json::from_str(&fixture).unwrap();
    assert_eq!(
        mastodon.send(&format!("{}/inbox", a.base()), &create).await,
        202
    );
    let feed = until(
        &alice,
        "/api/federation/feed",
        "the post arrives",
        |items| !items.is_empty(),
    )
    .await;
    assert_eq!(feed[0]["kind"], "note");
    assert_eq!(feed[0]["summary"], "Hello, fediverse!");
    assert_eq!(
        feed[0]["url"],
        format!("{}/@gargron/109372843234", mastodon.base)
    );
    assert_eq!(feed[0]["author"]["handle"], handle.as_str());

    // Deleted on Mastodon (a Tombstone): gone from the feed.
    let delete = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/users/gargron/statuses/109372843234#delete", mastodon.base),
        "type": "Delete",
        "actor": format!("{}/users/gargron", mastodon.base),
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "object": {"id": format!("{}/users/gargron/statuses/109372843234", mastodon.base), "type": "Tombstone"},
    });
    assert_eq!(
        mastodon.send(&format!("{}/inbox", a.base()), &delete).await,
        202
    );
    until(
        &alice,
        "/api/federation/feed",
        "the Delete arrives",
        |items| items.is_empty(),
    )
    .await;
    mastodon.stub.handle.stop(false).await;
}

#[tokio::test]
async fn a_boost_given_by_id_only_is_fetched_into_the_feed() {
    let (a, alice, mastodon, handle) = alice_follows_gargron().await;
    // A third instance publishes ana's public post, and a document that lies about its id.
    let other = Stub::start(
        |base| {
            let note = json!({
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": format!("{base}/users/ana/statuses/7"),
                "type": "Note",
                "attributedTo": format!("{base}/users/ana"),
                "content": "<p>Boosted across instances</p>",
                "url": format!("{base}/@ana/7"),
                "published": "2026-11-20T10:00:00Z",
                "to": ["https://www.w3.org/ns/activitystreams#Public"],
            });
            let liar = json!({
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": "http://evil.example/users/eve/statuses/1",
                "type": "Note",
                "attributedTo": "http://evil.example/users/eve",
                "content": "<p>Not where it says</p>",
                "to": ["https://www.w3.org/ns/activitystreams#Public"],
            });
            vec![
                (
                    "/users/ana/statuses/7".to_owned(),
                    "application/activity+json",
                    note,
                ),
                (
                    "/users/eve/statuses/1".to_owned(),
                    "application/activity+json",
                    liar,
                ),
            ]
        },
        &[],
    );
    let announce = |n: u32, object: String| {
        json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{}/users/gargron/statuses/{n}/activity", mastodon.base),
            "type": "Announce",
            "actor": format!("{}/users/gargron", mastodon.base),
            "published": "2026-11-21T10:00:00Z",
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "cc": [format!("{}/users/gargron/followers", mastodon.base)],
            "object": object,
        })
    };
    // The lying document first: fetched, refused (its id is not where it was fetched from).
    let liar = announce(20, format!("{}/users/eve/statuses/1", other.base));
    assert_eq!(
        mastodon.send(&format!("{}/inbox", a.base()), &liar).await,
        202
    );
    let boost = announce(21, format!("{}/users/ana/statuses/7", other.base));
    assert_eq!(
        mastodon.send(&format!("{}/inbox", a.base()), &boost).await,
        202
    );
    let feed = until(
        &alice,
        "/api/federation/feed",
        "the boosted post arrives",
        |items| !items.is_empty(),
    )
    .await;
    assert_eq!(feed.len(), 1, "{feed:?}");
    let item = &feed[0];
    assert_eq!(item["summary"], "Boosted across instances");
    assert_eq!(item["url"], format!("{}/@ana/7", other.base));
    let other_domain = other.base.trim_start_matches("http://");
    assert_eq!(item["author"]["handle"], format!("@ana@{other_domain}"));
    assert_eq!(item["via"]["handle"], handle.as_str());
    // The same boost again is a repeat: still one item.
    assert_eq!(
        mastodon.send(&format!("{}/inbox", a.base()), &boost).await,
        202
    );
    let feed = json_list(&alice, "/api/federation/feed").await;
    assert_eq!(feed.len(), 1, "{feed:?}");
    other.handle.stop(false).await;
    mastodon.stub.handle.stop(false).await;
}
