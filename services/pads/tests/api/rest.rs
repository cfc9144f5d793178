//! The REST API: creating, listing, opening, changing, trashing and restoring pads, and who
//! may do each.

use serde_json::json;

use crate::helpers::{answer, create_pad, spawn_app, spawn_app_with};

#[tokio::test]
async fn a_user_creates_lists_renames_trashes_and_restores_a_pad() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let pad = create_pad(&ada, json!({"title": "Minutes", "expires_in": "week"})).await;
    let id = pad["id"].as_str().unwrap();
    assert_eq!(id.len(), 22);
    assert_eq!(pad["read_id"].as_str().unwrap().len(), 22);
    assert_ne!(pad["id"], pad["read_id"]);
    assert_eq!(pad["visibility"], "private");
    assert_eq!(pad["owner"], json!({"kind": "user", "username": "ada"}));
    assert_eq!(pad["access"], "edit");
    assert_eq!(pad["can_manage"], true);
    assert!(pad["expires_at"].as_i64().unwrap() > pad["created_at"].as_i64().unwrap());

    let (status, list) = answer(ada.get("/api/pads").await).await;
    assert_eq!(status, 200);
    assert_eq!(list.as_array().unwrap().len(), 1);

    let (status, renamed) = answer(
        ada.patch(
            &format!("/api/pads/{id}"),
            json!({"title": "Board minutes", "visibility": "link", "expires_in": "never"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{renamed}");
    assert_eq!(renamed["title"], "Board minutes");
    assert_eq!(renamed["visibility"], "link");
    assert_eq!(renamed["expires_at"], json!(null));

    let response = ada.delete(&format!("/api/pads/{id}"), None).await;
    assert_eq!(response.status(), 204);
    let (_, list) = answer(ada.get("/api/pads").await).await;
    assert_eq!(list, json!([]));
    let (_, trash) = answer(ada.get("/api/pads?trash=true").await).await;
    assert_eq!(trash[0]["id"], id);
    assert!(trash[0]["deleted_at"].is_i64());
    // Nobody opens a trashed pad by its link, not even with the edit id.
    let (status, _) = answer(app.anonymous().get(&format!("/api/pads/{id}")).await).await;
    assert_eq!(status, 404);

    let (status, restored) = answer(
        ada.post(&format!("/api/pads/{id}/restore"), json!({}))
            .await,
    )
    .await;
    assert_eq!(status, 200, "{restored}");
    assert_eq!(restored["deleted_at"], json!(null));
    let (status, _) = answer(app.anonymous().get(&format!("/api/pads/{id}")).await).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn visibility_decides_who_opens_a_pad_and_the_read_id_only_reads() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let bob = app.user("bob").await;
    let nobody = app.anonymous();
    let pad = create_pad(&ada, json!({})).await;
    let (id, read_id) = (
        pad["id"].as_str().unwrap(),
        pad["read_id"].as_str().unwrap(),
    );

    // private: the owner only.
    assert_eq!(
        answer(bob.get(&format!("/api/pads/{id}")).await).await.0,
        404
    );
    assert_eq!(
        answer(nobody.get(&format!("/api/pads/{read_id}")).await)
            .await
            .0,
        404
    );

    // instance: anyone logged in.
    ada.patch(
        &format!("/api/pads/{id}"),
        json!({"visibility": "instance"}),
    )
    .await;
    let (status, seen) = answer(bob.get(&format!("/api/pads/{id}")).await).await;
    assert_eq!(status, 200);
    assert_eq!(seen["access"], "edit");
    assert_eq!(seen["can_manage"], false);
    assert_eq!(
        answer(nobody.get(&format!("/api/pads/{id}")).await).await.0,
        404
    );

    // link: anyone; the read id reads and does not reveal the edit id.
    ada.patch(&format!("/api/pads/{id}"), json!({"visibility": "link"}))
        .await;
    let (status, seen) = answer(nobody.get(&format!("/api/pads/{read_id}")).await).await;
    assert_eq!(status, 200);
    assert_eq!(seen["access"], "read");
    assert_eq!(seen["id"], json!(null));

    // Editors who do not manage it cannot change it.
    let (status, body) = answer(
        bob.patch(&format!("/api/pads/{id}"), json!({"title": "mine now"}))
            .await,
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(
        answer(bob.delete(&format!("/api/pads/{id}"), None).await)
            .await
            .0,
        403
    );

    // Ids that are not ids are simply not found.
    assert_eq!(answer(nobody.get("/api/pads/short").await).await.0, 404);
}

#[tokio::test]
async fn space_pads_belong_to_members_and_are_managed_by_owners_and_moderators() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let bob = app.user("bob").await;
    let (status, _) = answer(
        ada.post(
            "/api/spaces",
            json!({"handle": "club", "display_name": "Club"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201);
    // Not a member: the space is unknown to bob.
    let (status, body) = answer(bob.post("/api/pads", json!({"space": "club"})).await).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["field"], "space");

    let pad = create_pad(&ada, json!({"space": "club", "title": "Agenda"})).await;
    assert_eq!(pad["owner"], json!({"kind": "space", "handle": "club"}));
    let id = pad["id"].as_str().unwrap();
    let (status, list) = answer(ada.get("/api/pads?space=club").await).await;
    assert_eq!(status, 200);
    assert_eq!(list[0]["id"], id);
    assert_eq!(answer(bob.get("/api/pads?space=club").await).await.0, 404);
    assert_eq!(
        answer(bob.get(&format!("/api/pads/{id}")).await).await.0,
        404
    );

    // Bob joins as a member: he edits, but does not manage.
    let (_, invitation) = answer(
        ada.post("/api/spaces/club/invitations", json!({"role": "member"}))
            .await,
    )
    .await;
    let token = invitation["link"]
        .as_str()
        .unwrap()
        .rsplit("/join/")
        .next()
        .unwrap()
        .to_owned();
    let (status, _) = answer(
        bob.post(&format!("/api/invitations/{token}/accept"), json!({}))
            .await,
    )
    .await;
    assert_eq!(status, 200);
    let (status, seen) = answer(bob.get(&format!("/api/pads/{id}")).await).await;
    assert_eq!(status, 200);
    assert_eq!(seen["access"], "edit");
    assert_eq!(seen["can_manage"], false);
    // Ada, the space's owner, manages it.
    assert_eq!(
        answer(ada.delete(&format!("/api/pads/{id}"), None).await)
            .await
            .0,
        204
    );
}

#[tokio::test]
async fn anonymous_pads_are_link_pads_managed_by_their_edit_link_when_allowed() {
    let app = spawn_app().await;
    let nobody = app.anonymous();
    let pad = create_pad(&nobody, json!({"title": "Quick", "visibility": "private"})).await;
    assert_eq!(pad["visibility"], "link");
    assert_eq!(pad["owner"], json!({"kind": "none"}));
    let id = pad["id"].as_str().unwrap();
    let (status, body) = answer(
        nobody
            .patch(&format!("/api/pads/{id}"), json!({"visibility": "private"}))
            .await,
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = answer(
        nobody
            .patch(
                &format!("/api/pads/{id}"),
                json!({"title": "Renamed", "expires_in": "day"}),
            )
            .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let read_id = body["read_id"].as_str().unwrap();
    assert_eq!(
        answer(nobody.delete(&format!("/api/pads/{read_id}"), None).await)
            .await
            .0,
        403
    );

    let closed = spawn_app_with(|s| s.pads.anonymous_creation = false).await;
    let (status, body) = answer(closed.anonymous().post("/api/pads", json!({})).await).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["code"], "not_authenticated");
}

#[tokio::test]
async fn the_purge_deletes_expired_pads_and_old_trash_only() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let kept = create_pad(&ada, json!({"title": "kept"})).await;
    let expiring = create_pad(&ada, json!({"title": "a day", "expires_in": "day"})).await;
    let trashed = create_pad(&ada, json!({"title": "trashed"})).await;
    let id = trashed["id"].as_str().unwrap();
    ada.delete(&format!("/api/pads/{id}"), None).await;
    let now = maille_database::now();
    assert_eq!(app.pads.maintenance_at(now).await.unwrap(), 0);
    // Two days later the expiring pad goes; the trash keeps its pad for 30 days.
    assert_eq!(app.pads.maintenance_at(now + 2 * 86_400).await.unwrap(), 1);
    let (_, list) = answer(ada.get("/api/pads").await).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["id"], kept["id"]);
    assert_eq!(
        answer(
            ada.get(&format!("/api/pads/{}", expiring["id"].as_str().unwrap()))
                .await
        )
        .await
        .0,
        404
    );
    assert_eq!(app.pads.maintenance_at(now + 31 * 86_400).await.unwrap(), 1);
    let (_, trash) = answer(ada.get("/api/pads?trash=true").await).await;
    assert_eq!(trash, json!([]));
}

#[tokio::test]
async fn pads_are_in_the_openapi_document() {
    let doc = serde_json::to_value(maille_pads::Pads::openapi()).unwrap();
    for path in ["/api/pads", "/api/pads/{id}", "/api/pads/{id}/restore"] {
        assert!(doc["paths"].get(path).is_some(), "{path} missing");
    }
}

#[tokio::test]
async fn my_pads_are_in_my_export_and_go_with_my_account() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let pad = create_pad(&ada, json!({"title": "diary"})).await;
    let (status, export) = answer(ada.get("/api/accounts/me/export").await).await;
    assert_eq!(status, 200, "{export}");
    assert_eq!(export["pads"][0]["title"], "diary");
    assert_eq!(export["pads"][0]["owned"], true);
    let response = ada
        .delete(
            "/api/accounts/me",
            Some(json!({"password": crate::helpers::PASSWORD})),
        )
        .await;
    assert_eq!(response.status(), 204);
    let id = pad["id"].as_str().unwrap();
    assert_eq!(
        answer(app.anonymous().get(&format!("/api/pads/{id}")).await)
            .await
            .0,
        404
    );
}
