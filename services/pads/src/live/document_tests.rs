use proptest::prelude::*;
use yrs::{GetString, Text, Transact};

use proptest::test_runner::Config as ProptestConfig;

use super::*;

fn typed(text: &str) -> Vec<u8> {
    let doc = Doc::new();
    let t = doc.get_or_insert_text("t");
    let mut txn = doc.transact_mut();
    t.insert(&mut txn, 0, text);
    txn.encode_update_v1()
}

fn text_of(document: &Document) -> String {
    let t = document.doc().get_or_insert_text("t");
    let txn = document.doc().transact();
    t.get_string(&txn)
}

#[test]
fn an_update_applies_once_and_a_repeat_changes_nothing() {
    let document = Document::new(true);
    let update = typed("hello");
    assert!(document.apply(&update).unwrap().is_some());
    assert_eq!(document.apply(&update).unwrap(), None);
    assert_eq!(text_of(&document), "hello");
}

#[test]
fn garbage_is_refused_without_touching_the_document() {
    let document = Document::new(false);
    document.apply(&typed("kept")).unwrap();
    for garbage in [&[0xffu8, 0xff, 0xff][..], &[1, 2, 3, 4, 5], &[0x80]] {
        assert!(document.apply(garbage).is_err(), "{garbage:?}");
    }
    assert_eq!(text_of(&document), "kept");
    assert!(document.diff(&[0xff, 0xff]).is_err());
}

#[test]
fn loading_a_snapshot_and_log_rebuilds_the_document() {
    let first = Document::new(true);
    first.apply(&typed("one")).unwrap();
    let snapshot = first.encode().unwrap();
    let later = typed("two");
    let loaded = Document::load(true, [snapshot.as_slice(), later.as_slice()]);
    let text = text_of(&loaded);
    assert!(text.contains("one") && text.contains("two"), "{text}");
}

proptest! {
    #[test]
    fn random_bytes_never_panic_nor_change_the_document(
        bytes in proptest::collection::vec(any::<u8>(), 0..200)
    ) {
        let document = Document::new(true);
        document.apply(&typed("stable")).unwrap();
        match document.apply(&bytes) {
            Ok(_) => prop_assert!(document.encode().is_ok()),
            Err(ApplyError::Invalid(_)) => prop_assert_eq!(text_of(&document), "stable"),
            // The room reloads the document from storage in this case.
            Err(ApplyError::Broken(_)) => {}
        }
        let _ = document.diff(&bytes);
    }
}

/// One replica's edit: insert `text` at a position (taken modulo the length) of replica
/// `replica`'s text.
#[derive(Debug, Clone)]
struct Edit {
    replica: usize,
    at: u32,
    text: String,
    delete: bool,
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    proptest::collection::vec(
        (0..3usize, any::<u32>(), "[a-z]{1,4}", any::<bool>()).prop_map(
            |(replica, at, text, delete)| Edit {
                replica,
                at,
                text,
                delete,
            },
        ),
        1..25,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Replicas that receive each other's updates in any order, some twice and some not at
    /// all (until a final sync by state vectors, as y-websocket does on reconnect), converge.
    /// Updates that arrive before earlier ones of their author are refused (see
    /// `leaves_a_hole`), like lost ones.
    #[test]
    fn replicas_converge_under_reordering_duplication_and_loss(
        edits in edits(),
        order in proptest::collection::vec(any::<u64>(), 0..80),
        dropped in proptest::collection::vec(any::<bool>(), 80),
    ) {
        let replicas: Vec<Document> = (0..3).map(|_| Document::new(true)).collect();
        let mut updates: Vec<(usize, Vec<u8>)> = Vec::new();
        for edit in &edits {
            let doc = replicas[edit.replica].doc();
            let t = doc.get_or_insert_text("t");
            let mut txn = doc.transact_mut();
            let len = t.len(&txn);
            let at = edit.at % (len + 1);
            if edit.delete && len > at {
                t.remove_range(&mut txn, at, 1);
            } else {
                t.insert(&mut txn, at, &edit.text);
            }
            updates.push((edit.replica, txn.encode_update_v1()));
        }
        // Deliveries in a random order, with repeats; some lost.
        for (n, pick) in order.iter().enumerate() {
            let (from, update) = &updates[(*pick as usize) % updates.len()];
            for (to, replica) in replicas.iter().enumerate() {
                if to != *from && !dropped[n % dropped.len()] {
                    // One that skips earlier updates of its author is refused, as the server
                    // refuses it; the final sync brings it in order.
                    match replica.apply(update) {
                        Ok(_) | Err(ApplyError::Invalid(_)) => {}
                        Err(broken) => panic!("{broken}"),
                    }
                }
            }
        }
        // Reconnection: each pair exchanges what the other lacks.
        for a in 0..3 {
            for b in 0..3 {
                if a != b {
                    let missing = replicas[a].diff(&replicas[b].state_vector().unwrap()).unwrap();
                    replicas[b].apply(&missing).unwrap();
                }
            }
        }
        let texts: Vec<String> = replicas.iter().map(text_of).collect();
        prop_assert_eq!(&texts[0], &texts[1]);
        prop_assert_eq!(&texts[1], &texts[2]);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Valid updates damaged at random (bytes changed, cut short, spliced) never panic out of
    /// `apply`; refused ones leave the document as it was.
    #[test]
    fn damaged_updates_never_panic_out_nor_change_the_document_when_refused(
        flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..6),
        cut in any::<usize>(),
        splice in proptest::collection::vec(any::<u8>(), 0..8),
    ) {
        let mut update = {
            let doc = Doc::new();
            let t = doc.get_or_insert_text("t");
            let mut txn = doc.transact_mut();
            t.insert(&mut txn, 0, "hello world");
            t.remove_range(&mut txn, 2, 3);
            t.insert(&mut txn, 4, "é");
            txn.encode_update_v1()
        };
        for (at, byte) in flips {
            let at = at % update.len();
            update[at] = byte;
        }
        update.truncate(cut % (update.len() + 1));
        update.extend_from_slice(&splice);
        let document = Document::new(true);
        document.apply(&typed("stable")).unwrap();
        match document.apply(&update) {
            Ok(_) => prop_assert!(document.encode().is_ok()),
            Err(ApplyError::Invalid(_)) => prop_assert_eq!(text_of(&document), "stable"),
            Err(ApplyError::Broken(_)) => {}
        }
    }
}

#[test]
fn an_update_that_skips_earlier_ones_is_refused_untouched() {
    let source = Doc::new();
    let t = source.get_or_insert_text("t");
    let mut updates = Vec::new();
    for word in ["one ", "two ", "three"] {
        let mut txn = source.transact_mut();
        let len = t.len(&txn);
        t.insert(&mut txn, len, word);
        updates.push(txn.encode_update_v1());
    }
    let document = Document::new(true);
    document.apply(&updates[0]).unwrap();
    assert!(matches!(
        document.apply(&updates[2]),
        Err(ApplyError::Invalid(_))
    ));
    assert_eq!(text_of(&document), "one ");
    document.apply(&updates[1]).unwrap();
    document.apply(&updates[2]).unwrap();
    assert_eq!(text_of(&document), "one two three");
}

#[test]
fn legacy_json_content_is_refused_untouched_and_other_content_is_not() {
    let document = Document::new(true);
    document.apply(&typed("kept")).unwrap();
    let before = document.state_vector().unwrap();
    // One client, one block at clock 0: an item of content type 2 (legacy JSON) in the root
    // type "t", holding strings as yrs reads them; then an empty delete set.
    let legacy = [1, 1, 1, 0, 2, 1, 1, b't', 1, 1, b'1', 1, b'2', 0];
    assert!(Update::decode_v1(&legacy).is_ok(), "the input must decode");
    assert_eq!(holds_legacy_json(&legacy), Some(true));
    match document.apply(&legacy) {
        Err(ApplyError::Invalid(reason)) => assert!(reason.contains("legacy JSON"), "{reason}"),
        other => panic!("not refused: {other:?}"),
    }
    assert_eq!(document.state_vector().unwrap(), before);
    assert_eq!(text_of(&document), "kept");
    // What editors write (strings, formats, types, any) is not taken for it.
    assert_eq!(holds_legacy_json(&typed("plain")), Some(false));
    assert_eq!(holds_legacy_json(&[1, 2, 3]), None);
}
