//! What other services ask the spaces service in Rust, its OpenAPI part and its gauge.

use maille_spaces::{SpaceRole, Spaces, SpacesMetrics};

use crate::helpers::{create_space, member, spawn_app};

#[tokio::test]
async fn other_services_learn_who_belongs_to_a_space() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    create_space(&alice, "club").await;
    create_space(&alice, "annex").await;
    member(&app, &alice, "club", "bob", "moderator").await;
    let alice_id = app
        .accounts
        .user_by_username("alice".into())
        .await
        .unwrap()
        .unwrap()
        .id;
    let bob_id = app
        .accounts
        .user_by_username("bob".into())
        .await
        .unwrap()
        .unwrap()
        .id;

    let club = app.spaces.find_by_handle("Club").await.unwrap().unwrap();
    assert_eq!(club.handle, "club");
    assert_eq!(club.display_name, "The club");
    assert_eq!(app.spaces.space(club.id).await.unwrap(), Some(club.clone()));
    assert!(
        app.spaces.find_by_handle("bob").await.unwrap().is_none(),
        "a user is no space"
    );

    assert_eq!(
        app.spaces.role_of(club.id, alice_id).await.unwrap(),
        Some(SpaceRole::Owner)
    );
    assert_eq!(
        app.spaces.role_of(club.id, bob_id).await.unwrap(),
        Some(SpaceRole::Moderator)
    );
    let annex = app.spaces.find_by_handle("annex").await.unwrap().unwrap();
    assert_eq!(app.spaces.role_of(annex.id, bob_id).await.unwrap(), None);

    let mine = app.spaces.spaces_of(alice_id).await.unwrap();
    let handles: Vec<&str> = mine.iter().map(|m| m.space.handle.as_str()).collect();
    assert_eq!(handles, ["annex", "club"]);
    assert!(mine.iter().all(|m| m.role == SpaceRole::Owner));
    let theirs = app.spaces.spaces_of(bob_id).await.unwrap();
    assert_eq!(theirs.len(), 1);
    assert_eq!(
        (theirs[0].space.id, theirs[0].role),
        (club.id, SpaceRole::Moderator)
    );

    let mut members = app.spaces.members_of(club.id).await.unwrap();
    members.sort_by_key(|(user, _)| *user == bob_id);
    assert_eq!(
        members,
        [(alice_id, SpaceRole::Owner), (bob_id, SpaceRole::Moderator)]
    );

    let metrics = SpacesMetrics::default();
    app.spaces.refresh_metrics(&metrics).await.unwrap();
    assert_eq!(metrics.spaces.get(), 2);
}

#[test]
fn the_openapi_part_describes_every_route() {
    let doc = serde_json::to_value(Spaces::openapi()).unwrap();
    let paths = doc["paths"].as_object().unwrap();
    for path in [
        "/api/spaces",
        "/api/spaces/{handle}",
        "/api/spaces/{handle}/members",
        "/api/spaces/{handle}/members/{username}",
        "/api/spaces/{handle}/leave",
        "/api/spaces/{handle}/invitations",
        "/api/spaces/{handle}/invitations/{id}",
        "/api/invitations/{token}",
        "/api/invitations/{token}/accept",
    ] {
        assert!(paths.contains_key(path), "{path} missing");
    }
    assert!(doc["components"]["schemas"]["SpaceView"].is_object());
}

#[tokio::test]
async fn the_service_works_mounted_without_the_accounts_routes() {
    let server = maille_testing::spawn(
        |_settings| {},
        |ctx| {
            let accounts = maille_accounts::Accounts::new(
                ctx.db.clone(),
                ctx.mailer.clone(),
                ctx.settings.clone(),
                ctx.tasks.clone(),
            );
            let spaces = Spaces::new(accounts);
            move |cfg: &mut actix_web::web::ServiceConfig| spaces.configure(cfg)
        },
    )
    .await;
    let client = server.client();
    let (status, body) = crate::helpers::answer(client.get("/api/spaces").await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("not_authenticated"))
    );
    let (status, _) = crate::helpers::answer(client.get("/api/session").await).await;
    assert_eq!(status, 404);
}
