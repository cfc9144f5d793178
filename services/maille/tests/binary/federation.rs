//! Federation between two real Maille instances on `localhost` (different ports, with the
//! test-only `federation.allow_insecure_http`): following with automatic and manual
//! acceptance, a blocked domain, and deliveries that wait for an instance that was stopped.

use std::time::{Duration, Instant};

use maille_testing::TestClient;
use serde_json::{json, Value};

use crate::helpers::{json_list as list, until, Node};

/// Asks to follow `handle` as `client`.
async fn follow(client: &TestClient, handle: &str) -> reqwest::Response {
    client
        .post("/api/federation/follows", json!({"handle": handle}))
        .await
}

/// Waits until `client` follows exactly one actor, accepted.
async fn until_accepted(client: &TestClient, what: &str) {
    until(client, "/api/federation/following", what, |items| {
        items.len() == 1 && items[0]["state"] == "accepted"
    })
    .await;
}

fn states(items: &[Value]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = items
        .iter()
        .map(|i| {
            (
                i["handle"].as_str().unwrap().to_owned(),
                i["state"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    v.sort();
    v
}

#[tokio::test]
async fn two_instances_discover_and_follow_each_other() {
    let mut a = Node::new();
    let mut b = Node::new();
    a.user("alice");
    a.user("carol");
    b.user("bob");
    a.start().await;
    b.start().await;

    // Discovery, as another server sees it.
    let http = reqwest::Client::new();
    let finger: Value = http
        .get(format!(
            "{}/.well-known/webfinger?resource=acct:bob@{}",
            b.base(),
            b.domain()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(finger["subject"], format!("acct:bob@{}", b.domain()));
    let actor_id = finger["links"][0]["href"].as_str().unwrap().to_owned();
    assert_eq!(finger["links"][0]["type"], "application/activity+json");
    let actor = http
        .get(&actor_id)
        .header("Accept", "application/activity+json")
        .send()
        .await
        .unwrap();
    assert!(actor.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/activity+json"));
    let actor: Value = actor.json().await.unwrap();
    assert_eq!(actor["type"], "Person");
    assert_eq!(actor["preferredUsername"], "bob");
    assert_eq!(
        actor["endpoints"]["sharedInbox"],
        format!("{}/inbox", b.base())
    );
    assert!(actor["publicKey"]["publicKeyPem"]
        .as_str()
        .unwrap()
        .contains("PUBLIC KEY"));
    let links: Value = http
        .get(format!("{}/.well-known/nodeinfo", b.base()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let info: Value = http
        .get(links["links"][0]["href"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["software"]["name"], "maille");
    assert_eq!(info["usage"]["users"]["total"], 1);

    // Automatic acceptance.
    let alice = a.login("alice").await;
    let bob = b.login("bob").await;
    let response = follow(&alice, &format!("@bob@{}", b.domain())).await;
    assert_eq!(response.status(), 201, "{:?}", response.text().await);
    let bob_handle = format!("@bob@{}", b.domain());
    until(
        &alice,
        "/api/federation/following",
        "alice follows bob",
        |items| states(items) == vec![(bob_handle.clone(), "accepted".to_owned())],
    )
    .await;
    let followers = list(&bob, "/api/federation/followers").await;
    assert_eq!(
        states(&followers),
        vec![(format!("@alice@{}", a.domain()), "accepted".to_owned())]
    );

    // Manual approval.
    let response = bob
        .request(
            reqwest::Method::PUT,
            "/api/federation/profile",
            Some(json!({"manual_approval": true})),
        )
        .await;
    assert_eq!(response.status(), 200);
    let carol = a.login("carol").await;
    let response = follow(&carol, &bob_handle).await;
    assert_eq!(response.status(), 201);
    let carol_handle = format!("@carol@{}", a.domain());
    let pending = until(&bob, "/api/federation/followers", "carol asks", |items| {
        states(items).contains(&(carol_handle.clone(), "pending".to_owned()))
    })
    .await;
    assert_eq!(
        states(&list(&carol, "/api/federation/following").await),
        vec![(bob_handle.clone(), "pending".to_owned())]
    );
    let id = pending
        .iter()
        .find(|i| i["handle"] == carol_handle.as_str())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let response = bob
        .post(
            &format!("/api/federation/followers/{id}/approve"),
            json!({}),
        )
        .await;
    assert_eq!(response.status(), 204);
    until(
        &carol,
        "/api/federation/following",
        "bob approves carol",
        |items| states(items) == vec![(bob_handle.clone(), "accepted".to_owned())],
    )
    .await;

    // Unfollow reaches the other side.
    let following = list(&alice, "/api/federation/following").await;
    let id = following[0]["id"].as_str().unwrap();
    let response = alice
        .delete(&format!("/api/federation/follows/{id}"), None)
        .await;
    assert_eq!(response.status(), 204);
    until(
        &bob,
        "/api/federation/followers",
        "alice unfollowed",
        |items| states(items) == vec![(carol_handle.clone(), "accepted".to_owned())],
    )
    .await;

    // Removing a follower tells the follower's instance.
    let followers = list(&bob, "/api/federation/followers").await;
    let id = followers[0]["id"].as_str().unwrap();
    let response = bob
        .delete(&format!("/api/federation/followers/{id}"), None)
        .await;
    assert_eq!(response.status(), 204);
    until(
        &carol,
        "/api/federation/following",
        "carol removed",
        |items| items.is_empty(),
    )
    .await;

    a.stop();
    b.stop();
}

#[tokio::test]
async fn activities_queued_while_an_instance_is_down_arrive_once_it_is_back() {
    let mut a = Node::new();
    let mut b = Node::new();
    let names = ["ann", "ben", "cat", "dan"];
    for name in names {
        a.user(name);
    }
    b.user("bob");
    a.start().await;
    b.start().await;
    let bob_handle = format!("@bob@{}", b.domain());
    // Everyone resolves bob while B is up, then B stops.
    let mut clients = Vec::new();
    for name in names {
        let client = a.login(name).await;
        let response = follow(&client, &bob_handle).await;
        assert_eq!(response.status(), 201);
        clients.push(client);
    }
    for client in &clients {
        until_accepted(client, "accepted before the stop").await;
    }
    b.stop();
    // While B is down: everyone unfollows and follows again (two activities each, in order).
    for client in &clients {
        let id = list(client, "/api/federation/following").await[0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(
            client
                .delete(&format!("/api/federation/follows/{id}"), None)
                .await
                .status(),
            204
        );
        assert_eq!(follow(client, &bob_handle).await.status(), 201);
    }
    b.start().await;
    let bob = b.login("bob").await;
    let expected: Vec<(String, String)> = {
        let mut v: Vec<_> = names
            .iter()
            .map(|n| (format!("@{n}@{}", a.domain()), "accepted".to_owned()))
            .collect();
        v.sort();
        v
    };
    until(
        &bob,
        "/api/federation/followers",
        "every follow arrived after the restart",
        |items| states(items) == expected,
    )
    .await;
    for client in &clients {
        until_accepted(client, "accepted after the restart").await;
    }
    // Nothing is left in A's queue and each follower is there exactly once.
    assert_eq!(
        list(&bob, "/api/federation/followers").await.len(),
        names.len()
    );
    a.stop();
    b.stop();
}

#[tokio::test]
async fn a_blocked_domain_gets_nothing_through() {
    let mut a = Node::new();
    let mut b = Node::new();
    a.user("alice");
    b.user("bob");
    // bob is B's admin.
    let output = b.instance.run(&["admin", "user", "promote", "bob"]);
    assert!(output.status.success());
    a.start().await;
    b.start().await;
    let bob = b.login("bob").await;
    let response = bob
        .request(
            reqwest::Method::PUT,
            &format!("/api/admin/federation/domains/{}", a.domain()),
            Some(json!({"policy": "block", "reason": "test"})),
        )
        .await;
    assert_eq!(response.status(), 204);
    // A's follow reaches B's inbox and is refused there: bob gets no follower.
    let alice = a.login("alice").await;
    let response = follow(&alice, &format!("@bob@{}", b.domain())).await;
    assert_eq!(response.status(), 201);
    // A's delivery of the Follow ends (refused with 403, which is final) ...
    let admin_a_needed = a.instance.run(&["admin", "user", "promote", "alice"]);
    assert!(admin_a_needed.status.success());
    let started = Instant::now();
    loop {
        let instances: Vec<Value> = alice
            .get("/api/admin/federation/instances")
            .await
            .json()
            .await
            .unwrap();
        if instances
            .iter()
            .any(|i| i["domain"] == b.domain().as_str() && i["last_success_at"].is_number())
        {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "{instances:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // ... and nothing came of it.
    assert!(list(&bob, "/api/federation/followers").await.is_empty());
    assert_eq!(
        list(&alice, "/api/federation/following").await[0]["state"],
        "pending"
    );
    // B cannot follow A either: B refuses to fetch from a blocked domain.
    let response = follow(&bob, &format!("@alice@{}", a.domain())).await;
    assert_eq!(response.status(), 403);
    // The block lifted, the next follow goes through.
    let response = bob
        .request(
            reqwest::Method::DELETE,
            &format!("/api/admin/federation/domains/{}", a.domain()),
            None,
        )
        .await;
    assert_eq!(response.status(), 204);
    let response = follow(&bob, &format!("@alice@{}", a.domain())).await;
    assert_eq!(response.status(), 201);
    until_accepted(&bob, "bob follows alice").await;
    a.stop();
    b.stop();
}
