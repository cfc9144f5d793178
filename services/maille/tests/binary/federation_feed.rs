//! Announcements between two real Maille instances on `localhost`: B's user makes a pad
//! public and A's follower sees it in the feed; a rename updates it, a deletion removes it;
//! a space on B re-shares its members' public pads with `Announce` to its own followers; a
//! public room is announced and withdrawn the same way.

use std::process::Child;
use std::time::{Duration, Instant};

use maille_testing::TestClient;
use serde_json::{json, Value};

use crate::helpers::{sigterm, Instance};

const PASSWORD: &str = "correct horse battery";

/// An instance that federates over plain http on localhost.
struct Node {
    instance: Instance,
    server: Option<Child>,
}

impl Node {
    fn new() -> Node {
        Node {
            instance: Instance::new(),
            server: None,
        }
    }

    fn base(&self) -> String {
        format!("http://localhost:{}", self.instance.port)
    }

    fn domain(&self) -> String {
        format!("localhost:{}", self.instance.port)
    }

    fn user(&self, name: &str) {
        let email = format!("{name}@example.org");
        let output = self
            .instance
            .command(&[
                "admin",
                "user",
                "create",
                "--username",
                name,
                "--email",
                &email,
                "--password",
                PASSWORD,
            ])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    async fn start(&mut self) {
        let env = [
            ("MAILLE_PUBLIC_URL", self.base()),
            ("MAILLE_FEDERATION__ALLOW_INSECURE_HTTP", "true".to_owned()),
            (
                "MAILLE_FEDERATION__DELIVERY_FIRST_RETRY_SECONDS",
                "1".to_owned(),
            ),
        ];
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        self.server = Some(self.instance.serve_with(&["serve"], &env).await);
    }

    async fn login(&self, name: &str) -> TestClient {
        let client = TestClient::new(&self.base());
        let (status, body) = client.login(name, PASSWORD).await;
        assert_eq!(status, 200, "{body}");
        client
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            sigterm(&server);
            let mut server = server;
            let _ = server.wait();
        }
    }
}

async fn json_list(client: &TestClient, path: &str) -> Vec<Value> {
    let response = client.get(path).await;
    assert_eq!(response.status(), 200, "{path}");
    response.json().await.unwrap()
}

/// Polls `path` (every 100 ms, for at most 30 s: a guard, not a timing assertion) until
/// `check` holds; returns the list.
async fn until(
    client: &TestClient,
    path: &str,
    what: &str,
    check: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let started = Instant::now();
    loop {
        let items = json_list(client, path).await;
        if check(&items) {
            return items;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{what}: {items:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

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
