use std::path::{Path, PathBuf};

use yrs::updates::encoder::Encode;
use yrs::{Doc, ReadTxn, Text, Transact, XmlElementPrelim, XmlFragment, XmlTextPrelim};

use super::*;
use crate::live::protocol::AwarenessEntry;

fn fuzz_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

/// Realistic sessions: an editor syncing, typing, formatting, deleting, moving its caret.
fn seeds() -> Vec<(&'static str, Vec<u8>)> {
    let doc = Doc::new();
    let fragment = doc.get_or_insert_xml_fragment("default");
    let mut updates = Vec::new();
    let text = {
        let mut txn = doc.transact_mut();
        let paragraph = fragment.insert(&mut txn, 0, XmlElementPrelim::empty("paragraph"));
        let text = paragraph.insert(&mut txn, 0, XmlTextPrelim::new("Hello"));
        updates.push(txn.encode_update_v1());
        text
    };
    {
        let mut txn = doc.transact_mut();
        text.insert(&mut txn, 5, " world");
        updates.push(txn.encode_update_v1());
    }
    {
        let mut txn = doc.transact_mut();
        let bold = yrs::types::Attrs::from([(std::sync::Arc::from("bold"), yrs::Any::Bool(true))]);
        text.format(&mut txn, 0, 5, bold);
        updates.push(txn.encode_update_v1());
    }
    {
        let mut txn = doc.transact_mut();
        text.remove_range(&mut txn, 2, 3);
        updates.push(txn.encode_update_v1());
    }
    let state_vector = doc.transact().state_vector().encode_v1();
    let whole = doc
        .transact()
        .encode_state_as_update_v1(&yrs::StateVector::default());
    let awareness = protocol::encode_awareness(&[AwarenessEntry {
        client: 42,
        clock: 3,
        state: r##"{"user":{"name":"Ada","color":"#c00"},"cursor":null}"##.to_owned(),
    }]);
    let left = protocol::encode_awareness(&[AwarenessEntry {
        client: 42,
        clock: 4,
        state: "null".to_owned(),
    }]);
    let mut typing: Vec<Vec<u8>> = vec![protocol::sync_step_1(&[0])];
    typing.extend(updates.iter().map(|u| protocol::update(u)));
    vec![
        ("typing", frame(true, &typing)),
        ("typing-without-history", frame(false, &typing)),
        (
            "sync",
            frame(
                true,
                &[
                    protocol::sync_step_1(&state_vector),
                    protocol::sync_step_2(&whole),
                    protocol::sync_step_1(&state_vector),
                ],
            ),
        ),
        (
            "out-of-order",
            frame(
                true,
                &updates
                    .iter()
                    .rev()
                    .map(|u| protocol::update(u))
                    .collect::<Vec<_>>(),
            ),
        ),
        (
            "awareness",
            frame(
                false,
                &[
                    protocol::awareness(&awareness),
                    vec![3],
                    protocol::awareness(&left),
                ],
            ),
        ),
        (
            "garbage",
            frame(false, &[vec![0, 2, 3, 0xff, 0xff, 0xff], vec![7]]),
        ),
    ]
}

fn replay(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut count = 0;
    for entry in entries {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        if let Err(failed) = exercise(&data) {
            panic!("{}: {failed}", path.display());
        }
        count += 1;
    }
    count
}

#[test]
fn the_seeds_pass() {
    for (name, data) in seeds() {
        exercise(&data).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

/// The committed corpus and every input the fuzzer once failed on (after their fix) pass:
/// the fuzz target's findings stay fixed on stable, in CI.
#[test]
fn the_fuzz_corpus_and_past_findings_pass() {
    let seeds = replay(&fuzz_dir().join("corpus/messages"));
    replay(&fuzz_dir().join("regressions/messages"));
    assert!(seeds > 0, "no corpus in {}", fuzz_dir().display());
}

/// Writes the seeds into the corpus (`cargo test -p maille-pads -- --ignored write_seeds`).
#[test]
#[ignore = "writes the fuzz corpus's seeds"]
fn write_seeds() {
    let dir = fuzz_dir().join("corpus/messages");
    std::fs::create_dir_all(&dir).unwrap();
    for (name, data) in seeds() {
        std::fs::write(dir.join(format!("seed-{name}")), data).unwrap();
    }
}

#[test]
fn a_refused_update_is_caught_as_refused() {
    let data = frame(false, &[protocol::update(&[0xff, 0xff, 0xff])]);
    assert_eq!(exercise(&data), Ok(()));
    // Framing: a cut-short last message is kept, an empty input is fine.
    assert_eq!(messages(&[1, 5, 0, 1, 2]).1, vec![&[1u8, 2][..]]);
    assert_eq!(exercise(&[]), Ok(()));
}
