//! Signing in with one's home instance, between two real Maille instances on `localhost`
//! (different ports, the test-only `federation.allow_insecure_http`), with real HTTP between
//! them: `bob@B` signs in on A through B's confirmation, edits a private pad of a space of A
//! that added him as a member, joins its room; and every hostile variation is refused —
//! forged, misdirected, replayed, expired, another subject, another browser, a blocked
//! domain.
//!
//! Each instance has its own "browser" (a client with its own cookie jar): on `localhost`
//! cookies ignore the port, so one jar would mix the two instances' sessions.

use maille_federation::home_sign_in::assertion::{self, Claims};
use maille_testing::TestClient;
use serde_json::{json, Value};
use url::Url;

use crate::helpers::{pads_js, Node, PASSWORD};

/// An instance that federates over plain http on localhost, with these users (name, admin),
/// started.
async fn host(users: &[(&str, bool)]) -> Node {
    let mut node = Node::new();
    for (name, admin) in users {
        node.user_with(name, *admin);
    }
    node.start().await;
    node
}

/// The private key of a local user's actor, read from the instance's database (to forge
/// assertions that only the clock or the claims make wrong).
async fn private_key(host: &Node, username: &str) -> String {
    use diesel::prelude::*;
    use maille_database::schema::{federation_local_actors as k, users as u};
    // Keys are made the first time the actor is needed: ask for it.
    let response = reqwest::Client::new()
        .get(format!("{}/ap/users/{username}", host.base()))
        .header("Accept", "application/activity+json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let settings = maille_config::DatabaseSettings::default();
    let db = maille_database::Database::connect(host.instance.database.url(), &settings).unwrap();
    let username = username.to_owned();
    db.run(move |conn| {
        let id: i64 = u::table
            .filter(u::username.eq(&username))
            .select(u::id)
            .first(conn)
            .map_err(maille_database::DatabaseError::Query)?;
        k::table
            .filter(k::kind.eq("user"))
            .filter(k::local_id.eq(id))
            .select(k::private_key_pem)
            .first::<String>(conn)
            .map_err(maille_database::DatabaseError::Query)
    })
    .await
    .unwrap()
}

fn query(url: &Url) -> Value {
    let map: serde_json::Map<String, Value> = url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
        .collect();
    Value::Object(map)
}

/// Starts a sign-in on A as `handle`: the URL of the home instance's confirmation page.
async fn start(browser_a: &TestClient, handle: &str, return_to: &str) -> Url {
    let response = browser_a
        .post(
            "/api/federation/home-sign-in",
            json!({"handle": handle, "return_to": return_to}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    Url::parse(body["redirect"].as_str().unwrap()).unwrap()
}

/// Confirms on B (logged in there): the assertion that B's page sends back to A.
async fn confirm(browser_b: &TestClient, authorize: &Url) -> String {
    let response = browser_b
        .post("/api/federation/home-sign-in/authorize", query(authorize))
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let back = Url::parse(body["redirect"].as_str().unwrap()).unwrap();
    back.fragment()
        .unwrap()
        .strip_prefix("assertion=")
        .unwrap()
        .to_owned()
}

/// Brings an assertion back to A: status, body, and the session token when one was opened.
async fn finish(browser_a: &TestClient, assertion: &str) -> (u16, Value, Option<String>) {
    let response = browser_a
        .post(
            "/api/federation/home-sign-in/finish",
            json!({"assertion": assertion}),
        )
        .await;
    let status = response.status().as_u16();
    let token = response
        .cookies()
        .find(|c| c.name() == "maille_session" && !c.value().is_empty())
        .map(|c| c.value().to_owned());
    let body: Value = response.json().await.unwrap_or(Value::Null);
    if status == 200 {
        browser_a.remember_csrf(&body);
    }
    (status, body, token)
}

fn node(args: &[&str]) -> Value {
    let js = pads_js();
    let output = std::process::Command::new("node")
        .arg("signed_in.mjs")
        .args(args)
        .current_dir(&js)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str(stdout.lines().last().unwrap()).unwrap()
}

#[tokio::test]
async fn someone_of_another_instance_signs_in_and_works_in_a_space_there() {
    let a = host(&[("carol", false)]).await;
    let b = host(&[("bob", false)]).await;
    let bob = format!("bob@{}", b.domain());

    // B publishes where its users confirm sign-ins elsewhere.
    let actor: Value = reqwest::Client::new()
        .get(format!("{}/ap/users/bob", b.base()))
        .header("Accept", "application/activity+json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        actor["endpoints"]["mailleHomeSignIn"],
        format!("{}/home-sign-in/authorize", b.base())
    );

    // Carol's space on A, with a private pad and a room, adds bob@B before he ever came.
    let carol = a.login("carol").await;
    let response = carol
        .post(
            "/api/spaces",
            json!({"handle": "club", "display_name": "Club"}),
        )
        .await;
    assert_eq!(response.status(), 201);
    let pad: Value = carol
        .post("/api/pads", json!({"title": "Minutes", "space": "club"}))
        .await
        .json()
        .await
        .unwrap();
    let pad_id = pad["id"].as_str().unwrap().to_owned();
    let room: Value = carol
        .post("/api/rooms", json!({"name": "Weekly", "space": "club"}))
        .await
        .json()
        .await
        .unwrap();
    let room_id = room["id"].as_str().unwrap().to_owned();
    let response = carol
        .post(
            "/api/federation/spaces/club/members",
            json!({"handle": format!("@{bob}")}),
        )
        .await;
    assert_eq!(response.status(), 201);
    let member: Value = response.json().await.unwrap();
    assert_eq!(member["username"], bob);
    assert_eq!(member["role"], "member");

    // Bob, on A's login page, chooses his home instance; B asks him to confirm.
    let browser_a = a.browser();
    let authorize = start(&browser_a, &format!("@{bob}"), &format!("/p/{pad_id}")).await;
    assert!(authorize
        .as_str()
        .starts_with(&format!("{}/home-sign-in/authorize?", b.base())));
    let asked = query(&authorize);
    assert_eq!(asked["audience"], a.base());
    assert_eq!(
        asked["callback"],
        format!("{}/home-sign-in/finish", a.base())
    );
    let browser_b = b.browser();
    let preview = format!(
        "/api/federation/home-sign-in/authorize?{}",
        authorize.query().unwrap()
    );
    assert_eq!(
        browser_b.get(&preview).await.status(),
        401,
        "log in on B first"
    );
    let browser_b = b.login("bob").await;
    let shown: Value = browser_b.get(&preview).await.json().await.unwrap();
    assert_eq!(shown["audience_domain"], a.domain());
    assert_eq!(shown["handle"], bob);
    assert_eq!(shown["other_account_expected"], false);
    let token = confirm(&browser_b, &authorize).await;

    // Back on A: a session as bob@B, on his way to the pad he opened.
    let (status, body, session) = finish(&browser_a, &token).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["username"], bob);
    assert_eq!(body["user"]["remote"], true);
    assert_eq!(body["return_to"], format!("/p/{pad_id}"));
    let session = session.expect("a session cookie");
    let me: Value = browser_a.get("/api/session").await.json().await.unwrap();
    assert_eq!(me["user"]["username"], bob);

    // The space's private pad opens for him, and he edits it over y-websocket.
    let response = browser_a.get(&format!("/api/pads/{pad_id}")).await;
    assert_eq!(response.status(), 200);
    let ws = a.base().replacen("http", "ws", 1);
    let wrote = node(&[
        "write",
        &format!("{ws}/ws/pads"),
        &pad_id,
        &session,
        "hello from B",
    ]);
    assert_eq!(wrote["text"], "hello from B");
    // Carol reads it through a session of her own.
    let carol_token = a
        .browser()
        .post(
            "/api/session",
            json!({"login": "carol", "password": PASSWORD}),
        )
        .await
        .cookies()
        .find(|c| c.name() == "maille_session")
        .map(|c| c.value().to_owned())
        .unwrap();
    let read = node(&["read", &format!("{ws}/ws/pads"), &pad_id, &carol_token]);
    assert_eq!(read["text"], "hello from B");

    // He joins the space's room under his name.
    let joined = node(&["join", &format!("{ws}/ws/rooms/{room_id}"), &session]);
    assert_eq!(joined["type"], "joined", "{joined}");

    // The space lists him; he lists the space.
    let members: Vec<Value> = carol
        .get("/api/spaces/club/members")
        .await
        .json()
        .await
        .unwrap();
    assert!(members.iter().any(|m| m["username"] == bob));
    let response = browser_a.get("/api/spaces/club").await;
    assert_eq!(response.status(), 200);

    // His account here has no password: nothing logs in as him by password.
    for login in [bob.as_str(), "bob"] {
        let (status, _) = a.browser().login(login, PASSWORD).await;
        assert_eq!(status, 401, "{login}");
    }
    // He is B's user, not A's: NodeInfo counts carol only.
    let nodeinfo: Value = reqwest::get(format!("{}/nodeinfo/2.1", a.base()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(nodeinfo["usage"]["users"]["total"], 1);

    // A second visit finds the same account.
    let browser_a2 = a.browser();
    let authorize = start(&browser_a2, &format!("@{bob}"), "/").await;
    let token = confirm(&browser_b, &authorize).await;
    let (status, body, _) = finish(&browser_a2, &token).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["id"], me["user"]["id"]);
}

#[tokio::test]
async fn forged_misdirected_replayed_expired_and_blocked_sign_ins_are_refused() {
    let a = host(&[("carol", true)]).await;
    let b = host(&[("bob", false), ("eve", false)]).await;
    let bob = format!("@bob@{}", b.domain());
    let browser_b = b.login("bob").await;
    let now = maille_database::now();
    let refused = |status: u16, body: &Value| {
        assert_eq!(status, 401, "{body}");
        assert_eq!(body["code"], "sign_in_refused", "{body}");
    };

    // Forged: the right claims, signed with a key that is not bob's.
    let browser_a = a.browser();
    let authorize = start(&browser_a, &bob, "/").await;
    let asked = query(&authorize);
    let nonce = asked["nonce"].as_str().unwrap().to_owned();
    let claims = |sub: String, aud: String, iat: i64, exp: i64| Claims {
        iss: b.base(),
        sub,
        aud,
        nonce: nonce.clone(),
        iat,
        exp,
    };
    let bob_id = format!("{}/ap/users/bob", b.base());
    let (_, stranger) = maille_federation::keys::generate().unwrap();
    let forged =
        assertion::sign(&claims(bob_id.clone(), a.base(), now, now + 60), &stranger).unwrap();
    let (status, body, session) = finish(&browser_a, &forged).await;
    refused(status, &body);
    assert!(session.is_none());
    assert_eq!(browser_a.get("/api/session").await.status(), 401);
    // That nonce is spent: even bob's real confirmation cannot use it now.
    let token = confirm(&browser_b, &authorize).await;
    let (status, body, _) = finish(&browser_a, &token).await;
    refused(status, &body);

    // Bob's own key, but expired; then one claiming another subject (eve, on B); then one
    // whose issuer is not the subject's instance.
    let bob_key = private_key(&b, "bob").await;
    let eve_key = private_key(&b, "eve").await;
    for (sub, key, iat, exp, iss) in [
        (bob_id.clone(), &bob_key, now - 400, now - 300, b.base()),
        (
            format!("{}/ap/users/eve", b.base()),
            &eve_key,
            now,
            now + 60,
            b.base(),
        ),
        (bob_id.clone(), &bob_key, now, now + 60, a.base()),
    ] {
        let browser_a = a.browser();
        let authorize = start(&browser_a, &bob, "/").await;
        let nonce = query(&authorize)["nonce"].as_str().unwrap().to_owned();
        let claims = Claims {
            iss,
            sub,
            aud: a.base(),
            nonce,
            iat,
            exp,
        };
        let token = assertion::sign(&claims, key).unwrap();
        let (status, body, _) = finish(&browser_a, &token).await;
        refused(status, &body);
    }
    // A subject on another instance than the one that signed: A's own carol, "signed" by bob.
    let browser_a = a.browser();
    let authorize = start(&browser_a, &bob, "/").await;
    let nonce = query(&authorize)["nonce"].as_str().unwrap().to_owned();
    let claims = Claims {
        iss: a.base(),
        sub: format!("{}/ap/users/carol", a.base()),
        aud: a.base(),
        nonce,
        iat: now,
        exp: now + 60,
    };
    let (status, body, _) = finish(&browser_a, &assertion::sign(&claims, &bob_key).unwrap()).await;
    refused(status, &body);

    // Misdirected: B's real assertion for another audience, brought to A.
    let browser_a = a.browser();
    let authorize = start(&browser_a, &bob, "/").await;
    let mut elsewhere = query(&authorize);
    elsewhere["audience"] = json!("http://localhost:9");
    elsewhere["callback"] = json!("http://localhost:9/home-sign-in/finish");
    let response = browser_b
        .post("/api/federation/home-sign-in/authorize", elsewhere)
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let misdirected = body["redirect"]
        .as_str()
        .unwrap()
        .split_once("#assertion=")
        .unwrap()
        .1
        .to_owned();
    let (status, body, _) = finish(&browser_a, &misdirected).await;
    refused(status, &body);
    // B never sends an assertion to a callback outside the audience.
    let mut sneaky = query(&authorize);
    sneaky["callback"] = json!("http://localhost:9/steal");
    let response = browser_b
        .post("/api/federation/home-sign-in/authorize", sneaky)
        .await;
    assert_eq!(response.status(), 422);

    // Another browser cannot use a real assertion; the right browser can, once.
    let browser_a = a.browser();
    let authorize = start(&browser_a, &bob, "/").await;
    let token = confirm(&browser_b, &authorize).await;
    let (status, body, _) = finish(&a.browser(), &token).await;
    refused(status, &body);
    let (status, body, _) = finish(&browser_a, &token).await;
    assert_eq!(status, 200, "{body}");
    let (status, body, _) = finish(&browser_a, &token).await;
    refused(status, &body);

    // Garbage.
    let (status, body, _) = finish(&browser_a, "not an assertion").await;
    refused(status, &body);

    // A sign-in under way when A blocks B cannot finish; none can start; B will not sign
    // for a domain it blocks either.
    let browser_a = a.browser();
    let authorize = start(&browser_a, &bob, "/").await;
    let token = confirm(&browser_b, &authorize).await;
    let admin = a.login("carol").await;
    let response = admin
        .request(
            reqwest::Method::PUT,
            &format!("/api/admin/federation/domains/{}", b.domain()),
            Some(json!({"policy": "block", "reason": "test"})),
        )
        .await;
    assert!(response.status().is_success(), "{}", response.status());
    let (status, body, _) = finish(&browser_a, &token).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["code"], "federation_refused");
    let response = a
        .browser()
        .post("/api/federation/home-sign-in", json!({"handle": bob}))
        .await;
    assert_eq!(response.status(), 403);
    let response = admin
        .post(
            "/api/federation/spaces/none/members",
            json!({"handle": bob}),
        )
        .await;
    assert_eq!(
        response.status(),
        404,
        "not a member of that space: nothing fetched"
    );

    let b_admin_output = b.instance.run(&["admin", "user", "promote", "bob"]);
    assert!(b_admin_output.status.success());
    let response = browser_b
        .request(
            reqwest::Method::PUT,
            &format!("/api/admin/federation/domains/{}", a.domain()),
            Some(json!({"policy": "block", "reason": "test"})),
        )
        .await;
    assert!(response.status().is_success(), "{}", response.status());
    let response = browser_b
        .post("/api/federation/home-sign-in/authorize", query(&authorize))
        .await;
    assert_eq!(response.status(), 403);
}

#[tokio::test]
async fn someone_of_another_instance_deletes_their_account_here_and_may_come_back() {
    use diesel::prelude::*;
    use maille_database::schema::sessions;

    let a = host(&[("carol", false)]).await;
    let b = host(&[("bob", false)]).await;
    let bob = format!("bob@{}", b.domain());
    let browser_b = b.login("bob").await;
    let sign_in = |browser: TestClient| {
        let (bob, browser_b) = (bob.clone(), &browser_b);
        async move {
            let authorize = start(&browser, &format!("@{bob}"), "/").await;
            let token = confirm(browser_b, &authorize).await;
            let (status, body, _) = finish(&browser, &token).await;
            assert_eq!(status, 200, "{body}");
            (browser, body["user"]["id"].as_str().unwrap().to_owned())
        }
    };
    let (browser_a, first_id) = sign_in(a.browser()).await;

    // No password here: a password is no confirmation, nor a wrong handle.
    for wrong in [
        json!({"password": PASSWORD}),
        json!({"confirm": "carol"}),
        json!({}),
    ] {
        let response = browser_a
            .delete("/api/accounts/me", Some(wrong.clone()))
            .await;
        assert_eq!(response.status(), 422, "{wrong}");
    }
    // A sign-in of more than 15 minutes ago is not enough: sign in again first.
    let settings = maille_config::DatabaseSettings::default();
    let db = maille_database::Database::connect(a.instance.database.url(), &settings).unwrap();
    let age = |seconds: i64| {
        let db = db.clone();
        async move {
            db.run(move |conn| {
                diesel::update(sessions::table)
                    .set(sessions::created_at.eq(maille_database::now() - seconds))
                    .execute(conn)
                    .map_err(maille_database::DatabaseError::Query)
            })
            .await
            .unwrap()
        }
    };
    age(16 * 60).await;
    let response = browser_a
        .delete("/api/accounts/me", Some(json!({"confirm": bob})))
        .await;
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "sign_in_again", "{body}");
    assert_eq!(browser_a.get("/api/session").await.status(), 200);

    // Signed in a minute ago, with the handle typed (as shown, with its @): deleted.
    age(60).await;
    let response = browser_a
        .delete(
            "/api/accounts/me",
            Some(json!({"confirm": format!("@{bob}")})),
        )
        .await;
    assert_eq!(response.status(), 204);
    assert_eq!(browser_a.get("/api/session").await.status(), 401);

    // Their name was B's to give, not A's to keep: they come back as a new account.
    let (_, second_id) = sign_in(a.browser()).await;
    assert_ne!(second_id, first_id);
}
