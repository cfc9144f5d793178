//! Hostile documents sent to a real instance's inbox by a stub actor that this test runs
//! (its own key pair, its own actor document): unsigned, wrongly signed, an id on another
//! domain, oversized, the wrong content type, a repeat; and signed fetches required.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use activitypub_federation::config::FederationConfig;
use actix_web::{web, App, HttpResponse, HttpServer};
use maille_federation::SigningActor;
use maille_testing::TestClient;
use serde_json::{json, Value};
use url::Url;

use crate::helpers::Instance;

/// The stub instance: an actor at `/actor` whose published key is `published`, an inbox that
/// records what it receives.
struct Stub {
    base: String,
    received: Arc<Mutex<Vec<Value>>>,
    handle: actix_web::dev::ServerHandle,
}

async fn stub(published_key: String) -> Stub {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let base = format!("http://localhost:{port}");
    let received: Arc<Mutex<Vec<Value>>> = Arc::default();
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
    let inbox = received.clone();
    let server = HttpServer::new(move || {
        let actor = actor.clone();
        let inbox = inbox.clone();
        App::new()
            .route(
                "/actor",
                web::get().to(move || {
                    let actor = actor.clone();
                    async move {
                        HttpResponse::Ok()
                            .content_type("application/activity+json")
                            .json(actor)
                    }
                }),
            )
            .route(
                "/inbox",
                web::post().to(move |body: web::Bytes| {
                    let inbox = inbox.clone();
                    async move {
                        if let Ok(v) = serde_json::from_slice::<Value>(&body) {
                            inbox.lock().unwrap().push(v);
                        }
                        HttpResponse::Accepted().finish()
                    }
                }),
            )
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .unwrap()
    .run();
    let handle = server.handle();
    tokio::spawn(server);
    Stub {
        base,
        received,
        handle,
    }
}

/// Signs requests as the stub's actor with `private_key`.
struct Signer {
    data: activitypub_federation::config::Data<()>,
    client: reqwest_middleware::ClientWithMiddleware,
}

async fn signer(stub: &Stub, public_key: &str, private_key: &str) -> Signer {
    let actor = SigningActor {
        id: Url::parse(&format!("{}/actor", stub.base)).unwrap(),
        inbox: Url::parse(&format!("{}/inbox", stub.base)).unwrap(),
        public_key_pem: public_key.to_owned(),
        private_key_pem: private_key.to_owned(),
    };
    maille_federation::policy::install_tls_provider();
    let client: reqwest_middleware::ClientWithMiddleware = reqwest_federation::Client::new().into();
    let config = FederationConfig::builder()
        .domain(stub.base.trim_start_matches("http://"))
        .client(client.clone())
        .app_data(())
        .debug(true)
        .signed_fetch_actor(&actor)
        .build()
        .await
        .unwrap();
    Signer {
        data: config.to_request_data(),
        client,
    }
}

impl Signer {
    async fn post(&self, url: &str, body: &str, content_type: &str) -> u16 {
        let host = Url::parse(url).unwrap();
        let builder = self
            .client
            .post(url)
            .header("Content-Type", content_type)
            .header(
                "Host",
                format!("{}:{}", host.host_str().unwrap(), host.port().unwrap()),
            )
            .header("Date", httpdate::fmt_http_date(SystemTime::now()));
        let request = self
            .data
            .sign_request(builder, body.to_owned().into())
            .await
            .unwrap();
        self.client
            .execute(request)
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    async fn get(&self, url: &str) -> u16 {
        let host = Url::parse(url).unwrap();
        let builder = self
            .client
            .get(url)
            .header("Accept", "application/activity+json")
            .header(
                "Host",
                format!("{}:{}", host.host_str().unwrap(), host.port().unwrap()),
            )
            .header("Date", httpdate::fmt_http_date(SystemTime::now()));
        let request = self
            .data
            .sign_request(builder, Default::default())
            .await
            .unwrap();
        self.client
            .execute(request)
            .await
            .unwrap()
            .status()
            .as_u16()
    }
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
    let instance = Instance::new();
    let base = format!("http://localhost:{}", instance.port);
    let output = instance.run(&[
        "admin",
        "user",
        "create",
        "--username",
        "bob",
        "--email",
        "bob@example.org",
        "--password",
        "correct horse battery",
    ]);
    assert!(output.status.success());
    let mut server = instance
        .serve_with(
            &["serve"],
            &[
                ("MAILLE_PUBLIC_URL", base.as_str()),
                ("MAILLE_FEDERATION__ALLOW_INSECURE_HTTP", "true"),
                ("MAILLE_FEDERATION__SIGNED_FETCH_REQUIRED", "true"),
                ("MAILLE_FEDERATION__MAX_ACTIVITY_BYTES", "4096"),
            ],
        )
        .await;
    let keys = activitypub_federation::http_signatures::generate_actor_keypair().unwrap();
    let other = activitypub_federation::http_signatures::generate_actor_keypair().unwrap();
    let stub = stub(keys.public_key.clone()).await;
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
        "{base}/.well-known/webfinger?resource=acct:bob@localhost:{}",
        instance.port
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
    assert_eq!(
        bob_client.login("bob", "correct horse battery").await.0,
        200
    );
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
    let started = Instant::now();
    while stub.received.lock().unwrap().is_empty() {
        assert!(started.elapsed() < Duration::from_secs(20), "no Accept");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let accept = stub.received.lock().unwrap()[0].clone();
    assert_eq!(accept["type"], "Accept");
    assert_eq!(accept["object"]["id"], format!("{}/follows/1", stub.base));

    stub.handle.stop(false).await;
    let _ = server.kill();
    let _ = server.wait();
}
