//! A pad's Yjs document in memory, with every call into the CRDT library guarded: an update
//! that cannot be decoded is refused, and one whose application fails or panics leaves the
//! document marked broken, to be reloaded from storage (which never holds such an update).

use std::panic::{catch_unwind, AssertUnwindSafe};

use yrs::block::{ItemContent, BLOCK_GC_REF_NUMBER, BLOCK_SKIP_REF_NUMBER};
use yrs::block::{HAS_ORIGIN, HAS_PARENT_SUB, HAS_RIGHT_ORIGIN};
use yrs::encoding::read::Read as _;
use yrs::updates::decoder::{Decode, Decoder as _, DecoderV1};
use yrs::updates::encoder::Encode;
use yrs::{Doc, Options, ReadTxn, StateVector, Transact, Update};

/// The encoding of an update that changes nothing.
const EMPTY_UPDATE: [u8; 2] = [0, 0];

/// Why an update was not applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApplyError {
    /// The bytes are not a Yjs update (or state vector): the document is untouched.
    #[error("not a valid Yjs update: {0}")]
    Invalid(String),
    /// Applying it failed or panicked part-way: the document may be damaged and must be
    /// reloaded from storage.
    #[error("the update could not be applied: {0}")]
    Broken(String),
}

/// A pad's document.
pub struct Document {
    doc: Doc,
}

impl std::fmt::Debug for Document {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Document").finish_non_exhaustive()
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".to_owned())
}

/// Whether the update encoded in `bytes` holds legacy JSON content (Yjs content type 2, which
/// Yjs only reads, for documents of its first versions, and no current client writes). yrs
/// reads one string more of it than it writes, so a change holding it is stored in a form that
/// does not load again (found by the fuzz target): refused on arrival. Walks the blocks as
/// yrs's own decoder does, with its public parts; `None` when the bytes do not decode.
fn holds_legacy_json(bytes: &[u8]) -> Option<bool> {
    let mut decoder = DecoderV1::from(bytes);
    let clients: u32 = decoder.read_var().ok()?;
    for _ in 0..clients {
        let blocks: u32 = decoder.read_var().ok()?;
        decoder.read_client().ok()?;
        let _clock: u32 = decoder.read_var().ok()?;
        for _ in 0..blocks {
            match decoder.read_info().ok()? {
                BLOCK_SKIP_REF_NUMBER => {
                    let _len: u32 = decoder.read_var().ok()?;
                }
                BLOCK_GC_REF_NUMBER => {
                    decoder.read_len().ok()?;
                }
                info => {
                    if info & HAS_ORIGIN != 0 {
                        decoder.read_left_id().ok()?;
                    }
                    if info & HAS_RIGHT_ORIGIN != 0 {
                        decoder.read_right_id().ok()?;
                    }
                    if info & (HAS_ORIGIN | HAS_RIGHT_ORIGIN) == 0 {
                        if decoder.read_parent_info().ok()? {
                            decoder.read_string().ok()?;
                        } else {
                            decoder.read_left_id().ok()?;
                        }
                        if info & HAS_PARENT_SUB != 0 {
                            decoder.read_string().ok()?;
                        }
                    }
                    if let ItemContent::JSON(_) = ItemContent::decode(&mut decoder, info).ok()? {
                        return Some(true);
                    }
                }
            }
        }
    }
    Some(false)
}

/// Whether `update` holds changes of a client beyond a gap after what the document holds of
/// it. yrs integrates such changes at once, behind a placeholder for the gap, but they are then
/// missing from what the transaction reports as changed: the document would hold more than
/// what is stored and relayed (found by the fuzz target). Refused instead: the client
/// reconnects, and its sync fills the gap in order.
fn leaves_a_hole(update: &Update, state: &StateVector) -> bool {
    update.insertions(true).iter().any(|(client, ranges)| {
        let mut ranges: Vec<std::ops::Range<u32>> = ranges.iter().cloned().collect();
        ranges.sort_by_key(|r| r.start);
        let mut next = state.get(client);
        ranges.into_iter().any(|range| {
            let hole = range.start > next;
            next = next.max(range.end);
            hole
        })
    })
}

impl Document {
    /// An empty document; with `history`, deleted content is kept (no garbage collection) so
    /// that past versions can be rebuilt.
    pub fn new(history: bool) -> Document {
        let options = Options {
            skip_gc: history,
            ..Options::default()
        };
        Document {
            doc: Doc::with_options(options),
        }
    }

    /// A document from stored updates (a snapshot, then the log), in order. A stored update
    /// that cannot be applied (only possible after a bug or a hand edit) is skipped and
    /// logged.
    pub fn load<'a>(history: bool, updates: impl IntoIterator<Item = &'a [u8]>) -> Document {
        let mut document = Document::new(history);
        for update in updates {
            if let Err(error) = document.apply(update) {
                tracing::error!(%error, "a stored pad update could not be applied; skipped");
                if matches!(error, ApplyError::Broken(_)) {
                    document = Document::new(history);
                }
            }
        }
        document
    }

    /// Applies `update`; returns what it changed, as an update, or `None` when the document
    /// already held all of it.
    pub fn apply(&self, update: &[u8]) -> Result<Option<Vec<u8>>, ApplyError> {
        let decoded = catch_unwind(|| Update::decode_v1(update))
            .map_err(|p| ApplyError::Invalid(panic_message(p.as_ref())))?
            .map_err(|e| ApplyError::Invalid(e.to_string()))?;
        if catch_unwind(|| holds_legacy_json(update)).ok().flatten() == Some(true) {
            return Err(ApplyError::Invalid(
                "legacy JSON content (Yjs content type 2) is not accepted".to_owned(),
            ));
        }
        let doc = &self.doc;
        let applied = catch_unwind(AssertUnwindSafe(|| {
            let mut txn = doc
                .try_transact_mut()
                .map_err(|e| ApplyError::Broken(e.to_string()))?;
            if leaves_a_hole(&decoded, &txn.state_vector()) {
                return Err(ApplyError::Invalid(
                    "the update skips earlier updates of one of its clients".to_owned(),
                ));
            }
            txn.apply_update(decoded)
                .map_err(|e| ApplyError::Broken(e.to_string()))?;
            Ok(txn.encode_update_v1())
        }))
        .map_err(|p| ApplyError::Broken(panic_message(p.as_ref())))??;
        // What is stored must load again. yrs can write, for some hostile updates it accepted,
        // a change it cannot read back (found by the fuzz target): the document then holds
        // something that cannot be stored, and is reloaded from what was.
        let readable = catch_unwind(|| Update::decode_v1(&applied).is_ok()).unwrap_or(false);
        if !readable {
            return Err(ApplyError::Broken(
                "the change it made cannot be read back".to_owned(),
            ));
        }
        Ok((applied != EMPTY_UPDATE).then_some(applied))
    }

    /// Replaces the editor's content with `nodes`, as one edit; returns what changed, as an
    /// update, or `None` when nothing did.
    pub fn replace_content(
        &self,
        nodes: &[crate::content::Node],
    ) -> Result<Option<Vec<u8>>, ApplyError> {
        let doc = &self.doc;
        let update = catch_unwind(AssertUnwindSafe(|| crate::content::replace(doc, nodes)))
            .map_err(|p| ApplyError::Broken(panic_message(p.as_ref())))?;
        Ok((update != EMPTY_UPDATE).then_some(update))
    }

    /// The document's state vector, encoded.
    pub fn state_vector(&self) -> Result<Vec<u8>, ApplyError> {
        let doc = &self.doc;
        catch_unwind(AssertUnwindSafe(|| {
            doc.try_transact()
                .map(|txn| txn.state_vector().encode_v1())
                .map_err(|e| ApplyError::Broken(e.to_string()))
        }))
        .map_err(|p| ApplyError::Broken(panic_message(p.as_ref())))?
    }

    /// What a peer with the encoded state vector `remote` lacks, as an update.
    pub fn diff(&self, remote: &[u8]) -> Result<Vec<u8>, ApplyError> {
        let remote = catch_unwind(|| StateVector::decode_v1(remote))
            .map_err(|p| ApplyError::Invalid(panic_message(p.as_ref())))?
            .map_err(|e| ApplyError::Invalid(e.to_string()))?;
        let doc = &self.doc;
        catch_unwind(AssertUnwindSafe(|| {
            doc.try_transact()
                .map(|txn| txn.encode_diff_v1(&remote))
                .map_err(|e| ApplyError::Broken(e.to_string()))
        }))
        .map_err(|p| ApplyError::Broken(panic_message(p.as_ref())))?
    }

    /// The whole document as one update (for snapshots).
    pub fn encode(&self) -> Result<Vec<u8>, ApplyError> {
        self.diff(&StateVector::default().encode_v1())
    }

    /// The underlying document, for reading its content (export, history).
    pub fn doc(&self) -> &Doc {
        &self.doc
    }
}

#[cfg(test)]
#[path = "document_tests.rs"]
mod tests;
