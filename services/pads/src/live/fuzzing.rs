//! The path a pad's untrusted bytes take, as one function for the fuzz target
//! (`services/pads/fuzz`) and for the test that replays its corpus on every run of the test
//! suite.
//!
//! The input is a series of y-websocket messages from one connection, each prefixed by its
//! length (two bytes, little-endian; the last may be cut short), the first byte saying whether
//! the pad keeps its history. They go through what a room does with them: decoding, applying
//! updates to the document, answering state vectors, decoding awareness. A document that the
//! CRDT library broke is reloaded from what was stored, as a room does. Whatever the input,
//! nothing may panic out of this, and these must hold:
//!
//! - a refused update leaves the document as it was;
//! - what is stored (the changes applied updates made) loads again without error, into a
//!   document with the same state and content as the live one;
//! - an awareness update that decodes encodes back to something that decodes the same;
//! - the content renders in every export format.

use yrs::updates::decoder::Decode;

use super::document::{ApplyError, Document};
use super::protocol::{self, ClientMessage};

/// Messages read from one input, at most (a guard against slow inputs, not a limit of rooms).
const MAX_MESSAGES: usize = 256;

/// Splits `data` into the history flag and the messages.
fn messages(data: &[u8]) -> (bool, Vec<&[u8]>) {
    let Some((&flags, mut rest)) = data.split_first() else {
        return (false, Vec::new());
    };
    let mut out = Vec::new();
    while !rest.is_empty() && out.len() < MAX_MESSAGES {
        let (length, body) = match rest {
            [low, high, body @ ..] => (usize::from(*low) | usize::from(*high) << 8, body),
            _ => (rest.len(), &[][..]),
        };
        let (message, after) = body.split_at(length.min(body.len()));
        out.push(message);
        rest = after;
    }
    (flags & 1 == 1, out)
}

/// Frames `messages` as [`exercise`] reads them (for building seeds).
pub fn frame(history: bool, messages: &[Vec<u8>]) -> Vec<u8> {
    let mut out = vec![u8::from(history)];
    for message in messages {
        let length = u16::try_from(message.len()).unwrap_or(u16::MAX);
        out.extend_from_slice(&length.to_le_bytes());
        out.extend_from_slice(&message[..usize::from(length)]);
    }
    out
}

fn state(document: &Document) -> Result<Vec<u8>, String> {
    document
        .state_vector()
        .map_err(|e| format!("state vector of a live document: {e}"))
}

/// The document's state vector, decoded (encodings of equal vectors may order clients
/// differently).
fn state_vector(document: &Document) -> Result<yrs::StateVector, String> {
    yrs::StateVector::decode_v1(&state(document)?).map_err(|e| e.to_string())
}

fn reload(history: bool, stored: &[Vec<u8>]) -> Result<Document, String> {
    let document = Document::new(history);
    for (n, update) in stored.iter().enumerate() {
        document
            .apply(update)
            .map_err(|e| format!("stored update {n} does not load again: {e}"))?;
    }
    Ok(document)
}

fn contents(document: &Document) -> Vec<String> {
    let nodes = crate::content::read(document.doc());
    [
        crate::content::Format::Text,
        crate::content::Format::Markdown,
        crate::content::Format::Html,
    ]
    .into_iter()
    .map(|format| crate::content::render(&nodes, format))
    .collect()
}

/// Runs `data` through the path; an error names the property that failed.
pub fn exercise(data: &[u8]) -> Result<(), String> {
    let (history, messages) = messages(data);
    let mut document = Document::new(history);
    let mut stored: Vec<Vec<u8>> = Vec::new();
    for bytes in messages {
        let Ok(message) = protocol::decode(bytes) else {
            continue;
        };
        match message {
            ClientMessage::SyncStep1(remote) => match document.diff(&remote) {
                Ok(_) | Err(ApplyError::Invalid(_)) => {}
                Err(ApplyError::Broken(_)) => document = reload(history, &stored)?,
            },
            ClientMessage::SyncStep2(update) | ClientMessage::Update(update) => {
                let before = state(&document)?;
                match document.apply(&update) {
                    Ok(Some(changed)) => stored.push(changed),
                    Ok(None) => {}
                    Err(ApplyError::Invalid(error)) => {
                        if state(&document)? != before {
                            return Err(format!("a refused update changed the document: {error}"));
                        }
                    }
                    Err(ApplyError::Broken(_)) => document = reload(history, &stored)?,
                }
            }
            ClientMessage::Awareness(encoded) => {
                if let Ok(entries) = protocol::decode_awareness(&encoded) {
                    let again = protocol::decode_awareness(&protocol::encode_awareness(&entries))
                        .map_err(|e| format!("awareness does not round-trip: {e}"))?;
                    if again != entries {
                        return Err("awareness does not round-trip".to_owned());
                    }
                }
            }
            ClientMessage::QueryAwareness => {}
        }
    }
    let reloaded = reload(history, &stored)?;
    if state_vector(&reloaded)? != state_vector(&document)? {
        return Err("the stored updates load into another state".to_owned());
    }
    if contents(&reloaded) != contents(&document) {
        return Err("the stored updates load into other content".to_owned());
    }
    // A snapshot of it loads too, as compaction writes it.
    let snapshot = document
        .encode()
        .map_err(|e| format!("the document does not encode: {e}"))?;
    let compacted = reload(history, &[snapshot])?;
    if contents(&compacted) != contents(&document) {
        return Err("the snapshot loads into other content".to_owned());
    }
    Ok(())
}

#[cfg(test)]
#[path = "fuzzing_tests.rs"]
mod tests;
