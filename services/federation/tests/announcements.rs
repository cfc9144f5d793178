//! Announcing public work and receiving the feed, on the real database backends
//! (`TEST_DATABASE=sqlite|postgres`): pads made public, renamed and withdrawn become
//! `Create`, `Update` and `Delete` of a `Note` queued for the owner's followers, in order; a
//! space's pad is re-shared with `Announce`; a Mastodon `Create` of a `Note` from an actor
//! someone follows lands in their feed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use diesel::prelude::*;
use maille_accounts::cli::{create_user, NewAccount};
use maille_accounts::{Accounts, UserId};
use maille_database::schema::federation_deliveries as d;
use maille_database::{Database, DbConnection};
use maille_federation::actors::remote::RemoteActorRow;
use maille_federation::follows::{self, Direction, FollowState};
use maille_federation::inbox::Incoming;
use maille_federation::{ActorKind, Federation};
use maille_pads::Pads;
use maille_spaces::Spaces;
use maille_testing::{TestClient, TestServer};
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

const PASSWORD: &str = "a long enough passphrase";

struct App {
    server: TestServer,
    accounts: Accounts,
    federation: Federation,
}

async fn spawn_app() -> App {
    let mut services = None;
    let server = maille_testing::spawn(
        |_| {},
        |ctx| {
            let accounts = Accounts::new(
                ctx.db.clone(),
                ctx.mailer.clone(),
                ctx.settings.clone(),
                ctx.tasks.clone(),
            );
            let spaces = Spaces::new(accounts.clone());
            let pads = Pads::new(spaces.clone(), ctx.tasks.clone(), CancellationToken::new());
            let federation = tokio::task::block_in_place(|| {
                tokio::runtime::Handle::current().block_on(Federation::new(
                    spaces.clone(),
                    ctx.tasks.clone(),
                    CancellationToken::new(),
                ))
            })
            .unwrap();
            services = Some((accounts.clone(), federation.clone()));
            move |cfg: &mut actix_web::web::ServiceConfig| {
                accounts.configure(cfg);
                spaces.configure(cfg);
                pads.configure(cfg);
                federation.configure(cfg);
            }
        },
    )
    .await;
    let (accounts, federation) = services.unwrap();
    App {
        server,
        accounts,
        federation,
    }
}

impl App {
    async fn user(&self, name: &str) -> (UserId, TestClient) {
        let id = create_user(
            &self.accounts,
            NewAccount {
                username: name.to_owned(),
                email: format!("{name}@example.org"),
                password: PASSWORD.to_owned(),
                admin: false,
            },
        )
        .await
        .unwrap();
        let client = self.server.client();
        let (status, body) = client.login(name, PASSWORD).await;
        assert_eq!(status, 200, "{body}");
        (id, client)
    }

    fn db(&self) -> &Database {
        &self.server.context.db
    }

    async fn conn<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut DbConnection) -> T + Send + 'static,
    ) -> T {
        self.db()
            .run(move |conn| Ok::<_, maille_database::DatabaseError>(f(conn)))
            .await
            .unwrap()
    }

    /// A remote actor (`name` on `domain`), stored as if fetched.
    async fn remote(&self, name: &str, domain: &str) -> RemoteActorRow {
        let row = RemoteActorRow {
            id: maille_database::random_id(),
            ap_id: format!("https://{domain}/users/{name}"),
            kind: "Person".to_owned(),
            username: name.to_owned(),
            domain: domain.to_owned(),
            display_name: name.to_owned(),
            summary: String::new(),
            inbox: format!("https://{domain}/users/{name}/inbox"),
            shared_inbox: Some(format!("https://{domain}/inbox")),
            url: None,
            icon: None,
            public_key_pem: String::new(),
            fetched_at: 0,
        };
        let stored = row.clone();
        self.conn(move |conn| {
            use maille_database::schema::federation_remote_actors as r;
            diesel::insert_into(r::table)
                .values(&stored)
                .execute(conn)
                .unwrap();
        })
        .await;
        row
    }

    async fn follow(&self, direction: Direction, local: (ActorKind, i64), remote: i64) {
        self.conn(move |conn| {
            follows::upsert(
                conn,
                direction,
                local,
                remote,
                FollowState::Accepted,
                &format!("https://x.example/f/{remote}"),
                0,
            )
            .unwrap();
        })
        .await;
    }

    /// Announces what waits in the outbox; returns the activities queued since `after` (by
    /// queue order), with their inbox.
    async fn announced(&self) -> Vec<(String, Value)> {
        maille_federation::announce::drain(&self.federation)
            .await
            .unwrap();
        self.conn(|conn| {
            d::table
                .order(d::seq)
                .select((d::inbox, d::body))
                .load::<(String, String)>(conn)
                .unwrap()
                .into_iter()
                .map(|(inbox, body)| (inbox, serde_json::from_str(&body).unwrap()))
                .collect()
        })
        .await
    }

    async fn clear_queue(&self) {
        self.conn(|conn| diesel::delete(d::table).execute(conn).unwrap())
            .await;
    }
}

async fn json_of(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_public_pad_is_created_renamed_and_deleted_for_followers() {
    let app = spawn_app().await;
    let (alice, client) = app.user("alice").await;
    let bob = app.remote("bob", "remote.example").await;
    app.follow(Direction::In, (ActorKind::User, alice.0), bob.id)
        .await;

    // A private pad is nobody's business.
    let (status, private) =
        json_of(client.post("/api/pads", json!({"title": "Diary"})).await).await;
    assert_eq!(status, 201);
    assert!(app.announced().await.is_empty());

    let (status, pad) = json_of(
        client
            .post(
                "/api/pads",
                json!({"title": "Minutes", "visibility": "public"}),
            )
            .await,
    )
    .await;
    assert_eq!(status, 201, "{pad}");
    let read_id = pad["read_id"].as_str().unwrap().to_owned();
    let id = pad["id"].as_str().unwrap().to_owned();
    let queued = app.announced().await;
    assert_eq!(queued.len(), 1, "{queued:?}");
    let (inbox, create) = &queued[0];
    assert_eq!(inbox, "https://remote.example/inbox");
    let origin = app.federation.context().urls.origin().to_owned();
    assert_eq!(create["type"], "Create");
    assert_eq!(create["actor"], format!("{origin}/ap/users/alice"));
    let note = &create["object"];
    assert_eq!(note["type"], "Note");
    assert_eq!(note["id"], format!("{origin}/ap/objects/pad/{read_id}"));
    assert_eq!(note["url"], format!("{origin}/p/{read_id}"));
    assert_eq!(note["name"], "Minutes");
    assert_eq!(
        note["to"],
        json!(["https://www.w3.org/ns/activitystreams#Public"])
    );
    assert_eq!(
        note["cc"],
        json!([format!("{origin}/ap/users/alice/followers")])
    );
    assert!(note["content"].as_str().unwrap().contains("Minutes"));
    assert!(create["@context"].is_array() || create["@context"].is_string());
    app.clear_queue().await;

    // A change of expiry alone says nothing; a rename is an Update of the same Note.
    let (status, _) = json_of(
        client
            .patch(&format!("/api/pads/{id}"), json!({"expires_in": "year"}))
            .await,
    )
    .await;
    assert_eq!(status, 200);
    assert!(app.announced().await.is_empty());
    let (status, _) = json_of(
        client
            .post(
                &format!("/api/pads/{id}/import"),
                json!({"format": "text", "content": "Present: Ann & Bob"}),
            )
            .await,
    )
    .await;
    assert_eq!(status, 204);
    assert!(
        app.announced().await.is_empty(),
        "editing the text says nothing"
    );
    let (status, _) = json_of(
        client
            .patch(
                &format!("/api/pads/{id}"),
                json!({"title": "Minutes of May"}),
            )
            .await,
    )
    .await;
    assert_eq!(status, 200);
    let queued = app.announced().await;
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].1["type"], "Update");
    let content = queued[0].1["object"]["content"].as_str().unwrap();
    assert!(
        content.contains("<p>Present: Ann &amp; Bob</p>"),
        "the summary is the pad's text: {content}"
    );
    assert_eq!(queued[0].1["object"]["id"], note["id"]);
    assert_eq!(queued[0].1["object"]["name"], "Minutes of May");
    app.clear_queue().await;

    // Made private: a Delete of the Note; public again: a new Create; trashed: a Delete.
    client
        .patch(
            &format!("/api/pads/{id}"),
            json!({"visibility": "instance"}),
        )
        .await;
    client
        .patch(&format!("/api/pads/{id}"), json!({"visibility": "public"}))
        .await;
    let (status, _) = json_of(client.delete(&format!("/api/pads/{id}"), None).await).await;
    assert_eq!(status, 204);
    let kinds: Vec<(String, Value)> = app
        .announced()
        .await
        .into_iter()
        .map(|(_, a)| {
            (
                a["type"].as_str().unwrap().to_owned(),
                a["object"]["id"].clone(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("Delete".to_owned(), note["id"].clone()),
            ("Create".to_owned(), note["id"].clone()),
            ("Delete".to_owned(), note["id"].clone()),
        ]
    );
    let queued = app.announced().await;
    assert_eq!(queued[0].1["object"]["type"], "Tombstone");
    let waiting = app
        .conn(|conn| {
            maille_database::outbox::waiting(conn, maille_database::outbox::PUBLIC_WORK).unwrap()
        })
        .await;
    assert_eq!(waiting, 0, "every event was taken once");
    drop(private);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_space_re_shares_its_members_public_pads() {
    let app = spawn_app().await;
    let (alice, client) = app.user("alice").await;
    let (status, space) = json_of(
        client
            .post(
                "/api/spaces",
                json!({"handle": "club", "display_name": "The club"}),
            )
            .await,
    )
    .await;
    assert_eq!(status, 201, "{space}");
    let space_id = app
        .conn(|conn| {
            use maille_database::schema::spaces as s;
            s::table
                .filter(s::handle.eq("club"))
                .select(s::id)
                .first::<i64>(conn)
                .unwrap()
        })
        .await;
    let carol = app.remote("carol", "elsewhere.example").await;
    let dave = app.remote("dave", "third.example").await;
    app.follow(Direction::In, (ActorKind::Space, space_id), carol.id)
        .await;
    app.follow(Direction::In, (ActorKind::User, alice.0), dave.id)
        .await;

    let (status, pad) = json_of(
        client
            .post(
                "/api/pads",
                json!({"title": "Agenda", "space": "club", "visibility": "public"}),
            )
            .await,
    )
    .await;
    assert_eq!(status, 201, "{pad}");
    let origin = app.federation.context().urls.origin().to_owned();
    let queued = app.announced().await;
    assert_eq!(queued.len(), 2, "{queued:?}");
    let create = &queued
        .iter()
        .find(|(inbox, _)| inbox == "https://third.example/inbox")
        .unwrap()
        .1;
    assert_eq!(create["type"], "Create");
    assert_eq!(create["actor"], format!("{origin}/ap/users/alice"));
    assert_eq!(
        create["object"]["audience"],
        format!("{origin}/ap/spaces/club")
    );
    let announce = &queued
        .iter()
        .find(|(inbox, _)| inbox == "https://elsewhere.example/inbox")
        .unwrap()
        .1;
    assert_eq!(announce["type"], "Announce");
    assert_eq!(announce["actor"], format!("{origin}/ap/spaces/club"));
    assert_eq!(
        announce["object"]["id"], create["id"],
        "the Announce embeds the member's Create"
    );
    assert_eq!(announce["object"]["object"]["id"], create["object"]["id"]);
    assert_eq!(
        announce["cc"],
        json!([format!("{origin}/ap/spaces/club/followers")])
    );
}

fn fixture(name: &str) -> Value {
    let text = std::fs::read_to_string(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

async fn receive(app: &App, activity: Value, sender: &RemoteActorRow) {
    receive_at(app, activity, sender, 1_700_000_000).await;
}

async fn receive_at(app: &App, activity: Value, sender: &RemoteActorRow, now: i64) {
    let incoming: Incoming = serde_json::from_value(activity).unwrap();
    incoming.check(&app.federation.context().urls).unwrap();
    let sender = sender.clone();
    app.db()
        .transaction(move |conn| maille_federation::feed::receive(conn, &incoming, &sender, now))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mastodon_note_and_maille_pads_of_followed_actors_make_the_feed() {
    let app = spawn_app().await;
    let (alice, client) = app.user("alice").await;
    let (_, stranger) = app.user("zoe").await;
    let gargron = app.remote("gargron", "mastodon.example").await;
    let (status, feed) = json_of(client.get("/api/federation/feed").await).await;
    assert_eq!((status, feed), (200, json!([])));

    // Nobody follows gargron yet: his post is not kept.
    receive(&app, fixture("mastodon-create-note.json"), &gargron).await;
    let (_, feed) = json_of(client.get("/api/federation/feed").await).await;
    assert_eq!(feed, json!([]));

    app.follow(Direction::Out, (ActorKind::User, alice.0), gargron.id)
        .await;
    let mut again = fixture("mastodon-create-note.json");
    again["id"] = json!("https://mastodon.example/users/gargron/statuses/109372843234/activity2");
    receive(&app, again, &gargron).await;
    let (_, feed) = json_of(client.get("/api/federation/feed").await).await;
    assert_eq!(feed.as_array().unwrap().len(), 1, "{feed}");
    let item = &feed[0];
    assert_eq!(item["kind"], "note");
    assert_eq!(item["summary"], "Hello, fediverse!");
    assert_eq!(
        item["url"],
        "https://mastodon.example/@gargron/109372843234"
    );
    assert_eq!(item["author"]["handle"], "@gargron@mastodon.example");
    assert_eq!(item["via"], Value::Null);
    assert_eq!(item["published_at"], 1_668_938_400);
    // Someone who does not follow him sees nothing.
    let (_, feed) = json_of(stranger.get("/api/federation/feed").await).await;
    assert_eq!(feed, json!([]));

    // A Maille space announces a member's pad; a rename updates it; a Delete removes it.
    let club = app.remote("club", "b.example").await;
    app.follow(Direction::Out, (ActorKind::User, alice.0), club.id)
        .await;
    let note = json!({
        "id": "https://b.example/ap/objects/pad/abc", "type": "Note",
        "attributedTo": "https://b.example/ap/users/bea", "name": "Agenda",
        "content": "<p>📝 <a href=\"https://b.example/p/abc\">Agenda</a></p><p>for <b>Monday</b></p>",
        "url": "https://b.example/p/abc", "published": "2026-11-22T10:00:00Z",
        "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": ["https://b.example/ap/spaces/club/followers"],
    });
    let create = json!({"id": "https://b.example/ap/activities/1", "type": "Create",
        "actor": "https://b.example/ap/users/bea", "object": note});
    receive(
        &app,
        json!({"id": "https://b.example/ap/activities/2", "type": "Announce",
        "actor": club.ap_id, "object": create}),
        &club,
    )
    .await;
    let (_, feed) = json_of(client.get("/api/federation/feed").await).await;
    assert_eq!(feed.as_array().unwrap().len(), 2, "{feed}");
    let pad = &feed[0];
    assert_eq!(pad["kind"], "pad");
    assert_eq!(pad["title"], "Agenda");
    assert_eq!(pad["summary"], "for Monday");
    assert_eq!(pad["author"]["handle"], "@bea@b.example");
    assert_eq!(pad["via"]["handle"], "@club@b.example");

    let mut renamed = note.clone();
    renamed["name"] = json!("Agenda of Monday");
    receive(
        &app,
        json!({"id": "https://b.example/ap/activities/4", "type": "Announce", "actor": club.ap_id,
        "object": {"id": "https://b.example/ap/activities/3", "type": "Update",
                   "actor": "https://b.example/ap/users/bea", "object": renamed}}),
        &club,
    )
    .await;
    let (_, feed) = json_of(client.get("/api/federation/feed").await).await;
    assert_eq!(feed[0]["title"], "Agenda of Monday");

    // An Announce of another instance's activity is not trusted without fetching it.
    receive(&app, json!({"id": "https://b.example/ap/activities/5", "type": "Announce", "actor": club.ap_id,
        "object": {"id": "https://evil.example/a/1", "type": "Delete",
                   "actor": "https://evil.example/u/x", "object": "https://b.example/ap/objects/pad/abc"}}), &club).await;
    let (_, feed) = json_of(client.get("/api/federation/feed").await).await;
    assert_eq!(feed.as_array().unwrap().len(), 2);

    receive(
        &app,
        json!({"id": "https://b.example/ap/activities/7", "type": "Announce", "actor": club.ap_id,
        "object": {"id": "https://b.example/ap/activities/6", "type": "Delete",
                   "actor": "https://b.example/ap/users/bea",
                   "object": {"id": "https://b.example/ap/objects/pad/abc", "type": "Tombstone"}}}),
        &club,
    )
    .await;
    let (_, feed) = json_of(client.get("/api/federation/feed").await).await;
    assert_eq!(feed.as_array().unwrap().len(), 1, "{feed}");
    assert_eq!(feed[0]["kind"], "note");

    // A Note addressed to followers only is not public work.
    let mut private = fixture("mastodon-create-note.json");
    private["id"] = json!("https://mastodon.example/users/gargron/statuses/2/activity");
    private["object"]["id"] = json!("https://mastodon.example/users/gargron/statuses/2");
    private["object"]["to"] = json!(["https://mastodon.example/users/gargron/followers"]);
    private["object"]["cc"] = json!([]);
    receive(&app, private, &gargron).await;
    let (_, feed) = json_of(client.get("/api/federation/feed").await).await;
    assert_eq!(feed.as_array().unwrap().len(), 1);
    let (status, _) = json_of(client.get("/api/federation/feed?limit=0").await).await;
    assert_eq!(status, 422);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_maintenance_prunes_old_feed_items_and_keeps_recent_ones() {
    let app = spawn_app().await;
    let (alice, client) = app.user("alice").await;
    let gargron = app.remote("gargron", "mastodon.example").await;
    app.follow(Direction::Out, (ActorKind::User, alice.0), gargron.id)
        .await;
    let now = maille_database::now();
    let keep = i64::from(maille_config::FederationSettings::default().feed_days) * 86_400;
    // Arrived (and last changed) longer ago than the feed keeps items.
    let mut old = fixture("mastodon-create-note.json");
    old["object"]["published"] = json!("2020-01-01T00:00:00Z");
    receive_at(&app, old, &gargron, now - keep - 86_400).await;
    // Published as long ago, but arrived a day ago: kept.
    let mut recent = fixture("mastodon-create-note.json");
    recent["id"] = json!("https://mastodon.example/users/gargron/statuses/3/activity");
    recent["object"]["id"] = json!("https://mastodon.example/users/gargron/statuses/3");
    recent["object"]["content"] = json!("<p>Still here</p>");
    recent["object"]["published"] = json!("2020-01-02T00:00:00Z");
    receive_at(&app, recent, &gargron, now - 86_400).await;
    let (_, feed) = json_of(client.get("/api/federation/feed").await).await;
    assert_eq!(feed.as_array().unwrap().len(), 2, "{feed}");

    app.federation.maintenance().await.unwrap();
    let (_, feed) = json_of(client.get("/api/federation/feed").await).await;
    assert_eq!(feed.as_array().unwrap().len(), 1, "{feed}");
    assert_eq!(feed[0]["summary"], "Still here");
    // Running it again changes nothing more.
    app.federation.maintenance().await.unwrap();
    let (_, feed) = json_of(client.get("/api/federation/feed").await).await;
    assert_eq!(feed.as_array().unwrap().len(), 1, "{feed}");
}
