//! Parsing what Mastodon, PeerTube and Mobilizon publish (fixtures written from their
//! documentation and specifications), and Maille's checks on it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use maille_federation::actors::remote::check_actor_document;
use maille_federation::actors::{first_url, ActorJson};
use maille_federation::inbox::Incoming;
use maille_federation::{FederationError, Urls};
use url::Url;

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn actor(name: &str) -> ActorJson {
    serde_json::from_str(&fixture(name)).unwrap()
}

fn incoming(name: &str) -> Incoming {
    serde_json::from_str(&fixture(name)).unwrap()
}

fn maille() -> Urls {
    Urls::new(&Url::parse("https://maille.example").unwrap())
}

#[test]
fn a_mastodon_person_parses_and_passes() {
    let person = actor("mastodon-person.json");
    assert_eq!(person.kind, "Person");
    assert_eq!(person.preferred_username.as_deref(), Some("gargron"));
    assert_eq!(
        person.endpoints.unwrap().shared_inbox.unwrap().as_str(),
        "https://mastodon.example/inbox"
    );
    assert_eq!(
        first_url(person.icon.as_ref().unwrap()).unwrap().as_str(),
        "https://files.mastodon.example/accounts/avatars/000/000/001/original/avatar.jpg"
    );
    let person = actor("mastodon-person.json");
    check_actor_document(&person, &person.id.clone()).unwrap();
}

#[test]
fn a_peertube_channel_is_a_group_with_several_icons() {
    let channel = actor("peertube-channel-group.json");
    assert_eq!(channel.kind, "Group");
    assert!(first_url(channel.icon.as_ref().unwrap())
        .unwrap()
        .as_str()
        .ends_with(".png"));
    check_actor_document(&channel, &channel.id.clone()).unwrap();
}

#[test]
fn a_mobilizon_group_asks_for_approval() {
    let group = actor("mobilizon-group.json");
    assert_eq!(group.kind, "Group");
    assert_eq!(group.manually_approves_followers, Some(true));
    check_actor_document(&group, &group.id.clone()).unwrap();
}

#[test]
fn an_actor_claiming_another_instances_key_is_refused() {
    let mallory = actor("lemmy-hostile-key-elsewhere.json");
    let error = check_actor_document(&mallory, &mallory.id.clone()).unwrap_err();
    assert!(matches!(error, FederationError::BadActivity(_)), "{error}");
}

#[test]
fn an_actor_served_from_another_instance_is_refused() {
    let person = actor("mastodon-person.json");
    let elsewhere = Url::parse("https://other.example/users/gargron").unwrap();
    assert!(check_actor_document(&person, &elsewhere).is_err());
}

#[test]
fn a_mastodon_follow_of_a_local_user_passes() {
    let follow = incoming("mastodon-follow.json");
    assert_eq!(follow.kind, "Follow");
    follow.check(&maille()).unwrap();
    // The same Follow aimed at an instance that is not this one names nobody here.
    let other = Urls::new(&Url::parse("https://other.example").unwrap());
    assert!(matches!(
        follow.check(&other),
        Err(FederationError::NotFound)
    ));
}

#[test]
fn a_mastodon_undo_of_its_follow_passes() {
    let undo = incoming("mastodon-undo-follow.json");
    undo.check(&maille()).unwrap();
}

#[test]
fn a_mastodon_accept_of_our_follow_passes() {
    let accept = incoming("mastodon-accept.json");
    accept.check(&maille()).unwrap();
}

#[test]
fn a_mastodon_note_parses_and_belongs_to_its_author() {
    let create = incoming("mastodon-create-note.json");
    assert_eq!(create.kind, "Create");
    assert_eq!(create.object["type"], "Note");
    create.check(&maille()).unwrap();
}

#[test]
fn an_activity_or_object_on_another_domain_is_refused() {
    let mut follow = incoming("mastodon-follow.json");
    follow.id = Url::parse("https://evil.example/follow/1").unwrap();
    assert!(matches!(
        follow.check(&maille()),
        Err(FederationError::BadActivity(_))
    ));

    let mut create = incoming("mastodon-create-note.json");
    create.object["id"] = "https://victim.example/notes/1".into();
    assert!(matches!(
        create.check(&maille()),
        Err(FederationError::BadActivity(_))
    ));

    let mut undo = incoming("mastodon-undo-follow.json");
    undo.object["actor"] = "https://mastodon.example/users/someone_else".into();
    assert!(matches!(
        undo.check(&maille()),
        Err(FederationError::BadActivity(_))
    ));

    let mut accept = incoming("mastodon-accept.json");
    accept.object["actor"] = "https://third.example/users/carol".into();
    assert!(matches!(
        accept.check(&maille()),
        Err(FederationError::BadActivity(_))
    ));
}

#[test]
fn ports_make_different_instances() {
    let mut follow = incoming("mastodon-follow.json");
    follow.actor = Url::parse("http://localhost:4001/ap/users/bob").unwrap();
    follow.id = Url::parse("http://localhost:4002/ap/activities/1").unwrap();
    assert!(matches!(
        follow.check(&maille()),
        Err(FederationError::BadActivity(_))
    ));
}
