//! Hostile documents sent to a real instance's inbox by a stub actor that this test runs
//! (its own key pair, its own actor document): unsigned, wrongly signed, an id on another
//! domain, oversized, the wrong content type, a repeat; and signed fetches required.

use maille_federation::SigningActor;
use maille_testing::TestClient;
use serde_json::{json, Value};
use url::Url;

use crate::helpers::{Node, Signer, Stub, PASSWORD};

/// The stub instance: an actor at `/actor` whose published key is `published_key`, an inbox
/// that records what it receives.
fn stub(published_key: String) -> Stub {
    Stub::start(
        |base| {
            let actor = json!({
                "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
                "id": format!("{base}/actor"),
                "type": "Person",
                "preferredUsername": "mallory",
                "inbox": format!("{base}/inbox"),
                "publicKey": {
                    "id": format!("{base}/actor#main-key"),
                    "owner": format!("{base}/actor"),
                    "publicKeyPem": published_key,
                }
            });
            vec![("/actor".to_owned(), "application/activity+json", actor)]
        },
        &["/inbox"],
    )
}

/// Signs requests as the stub's actor with `private_key`.
async fn signer(stub: &Stub, public_key: &str, private_key: &str) -> Signer {
    Signer::new(&SigningActor {
        id: Url::parse(&format!("{}/actor", stub.base)).unwrap(),
        inbox: Url::parse(&format!("{}/inbox", stub.base)).unwrap(),
        public_key_pem: public_key.to_owned(),
        private_key_pem: private_key.to_owned(),
    })
    .await
}

fn follow(stub: &Stub, id: &str, bob: &str) -> String {
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": id,
        "type": "Follow",
        "actor": format!("{}/actor", stub.base),
        "object": bob,
    })
    .to_string()
}

#[tokio::test]
async fn hostile_documents_are_refused_and_good_ones_taken_once() {
    let mut node = Node::new();
    let base = node.base();
    node.user("bob");
    node.start_with(&[
        ("MAILLE_FEDERATION__SIGNED_FETCH_REQUIRED", "true"),
        ("MAILLE_FEDERATION__MAX_ACTIVITY_BYTES", "4096"),
    ])
    .await;
    let keys = activitypub_federation::http_signatures::generate_actor_keypair().unwrap();
    let other = activitypub_federation::http_signatures::generate_actor_keypair().unwrap();
    let stub = stub(keys.public_key.clone());
    let good = signer(&stub, &keys.public_key, &keys.private_key).await;
    let forger = signer(&stub, &other.public_key, &other.private_key).await;
    let inbox = format!("{base}/inbox");
    let bob = format!("{base}/ap/users/bob");
    const AP: &str = "application/activity+json";

    // Signed fetch required: unsigned is 401, signed by a known actor is 200; the instance
    // actor and WebFinger stay open.
    let http = reqwest::Client::new();
    assert_eq!(http.get(&bob).send().await.unwrap().status(), 401);
    assert_eq!(good.get(&bob).await, 200);
    assert_eq!(
        http.get(format!("{base}/ap/instance"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let finger = format!(
        "{base}/.well-known/webfinger?resource=acct:bob@{}",
        node.domain()
    );
    assert_eq!(http.get(finger).send().await.unwrap().status(), 200);

    // Unsigned: 401.
    let body = follow(&stub, &format!("{}/follows/1", stub.base), &bob);
    let unsigned = http
        .post(&inbox)
        .header("Content-Type", AP)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), 401);
    // Signed with a key that is not the actor's: 401.
    assert_eq!(forger.post(&inbox, &body, AP).await, 401);
    // The wrong content type: 415.
    assert_eq!(good.post(&inbox, &body, "application/json").await, 415);
    // Over the size limit: 413.
    let big = json!({"id": format!("{}/follows/big", stub.base), "type": "Follow",
        "actor": format!("{}/actor", stub.base), "object": bob, "padding": "x".repeat(5000)})
    .to_string();
    assert_eq!(good.post(&inbox, &big, AP).await, 413);
    // An activity whose id is on another instance: 400.
    let elsewhere = follow(&stub, &format!("{base}/ap/activities/forged"), &bob);
    assert_eq!(good.post(&inbox, &elsewhere, AP).await, 400);
    let third = follow(&stub, "http://localhost:1/follows/3", &bob);
    assert_eq!(good.post(&inbox, &third, AP).await, 400);
    // A Follow whose object is someone who does not exist: 404.
    let nobody = follow(
        &stub,
        &format!("{}/follows/2", stub.base),
        &format!("{base}/ap/users/nobody"),
    );
    assert_eq!(good.post(&inbox, &nobody, AP).await, 404);
    // Nothing of the above left a trace.
    let bob_client = TestClient::new(&base);
    assert_eq!(bob_client.login("bob", PASSWORD).await.0, 200);
    let followers: Vec<Value> = bob_client
        .get("/api/federation/followers")
        .await
        .json()
        .await
        .unwrap();
    assert!(followers.is_empty(), "{followers:?}");

    // A good Follow is taken; sent again (same id, new signature) it changes nothing.
    assert_eq!(good.post(&inbox, &body, AP).await, 202);
    assert_eq!(good.post(&inbox, &body, AP).await, 202);
    let followers: Vec<Value> = bob_client
        .get("/api/federation/followers")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(followers.len(), 1, "{followers:?}");
    assert_eq!(
        followers[0]["handle"],
        format!("@mallory@{}", stub.base.trim_start_matches("http://"))
    );
    // bob accepts automatically: the Accept reaches the stub's inbox, once.
    let received = stub.received_when("no Accept", |r| !r.is_empty()).await;
    let accept = received[0].clone();
    assert_eq!(accept["type"], "Accept");
    assert_eq!(accept["object"]["id"], format!("{}/follows/1", stub.base));

    stub.handle.stop(false).await;
}
