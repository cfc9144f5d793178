//! A pad's content as the web editor writes it: TipTap (ProseMirror) nodes in the Y.XmlFragment
//! named `default`, marks as formatting attributes of its texts. This module reads it into a
//! plain tree ([`Node`]), writes such a tree back (restoring a version, importing), and renders
//! it as plain text, Markdown, HTML or OpenDocument text; it reads plain text, Markdown and
//! HTML for imports.

mod html;
mod markdown;
pub mod odt;
mod render;
pub(crate) mod routes;
mod zip;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;
use yrs::types::text::{Diff, YChange};
use yrs::types::Attrs;
use yrs::{
    Any, Doc, Out, ReadTxn, Text, TransactionMut, Xml, XmlElementPrelim, XmlFragment, XmlOut,
    XmlTextPrelim,
};

pub use html::parse_html;
pub use markdown::{parse_markdown, parse_text};
pub use render::{render, Format};

/// Name of the XmlFragment TipTap's Collaboration extension edits.
pub const FRAGMENT: &str = "default";

/// A run of text with its marks (`bold`, `link` with `{href}`, ...), by mark name.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    /// The text.
    pub text: String,
    /// Its marks and their attributes.
    pub marks: BTreeMap<String, Value>,
}

/// A node of the document.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// An element (`paragraph`, `heading`, ...), its attributes and children.
    Element {
        /// Node type.
        tag: String,
        /// Attributes (`level`, `checked`, ...).
        attrs: BTreeMap<String, Value>,
        /// Children.
        children: Vec<Node>,
    },
    /// Text, as runs.
    Text(Vec<Run>),
}

impl Node {
    /// An element without attributes.
    pub fn element(tag: &str, children: Vec<Node>) -> Node {
        Node::Element {
            tag: tag.to_owned(),
            attrs: BTreeMap::new(),
            children,
        }
    }

    /// Plain text without marks.
    pub fn text(text: &str) -> Node {
        Node::Text(vec![Run {
            text: text.to_owned(),
            marks: BTreeMap::new(),
        }])
    }
}

/// JSON for a Yjs value.
fn any_to_json(any: &Any) -> Value {
    match any {
        Any::Null | Any::Undefined => Value::Null,
        Any::Bool(b) => Value::Bool(*b),
        Any::Number(n) => match n.as_i64() {
            Some(i) => Value::from(i),
            None => n.as_f64().map_or(Value::Null, Value::from),
        },
        Any::String(s) => Value::String(s.to_string()),
        Any::Buffer(_) => Value::Null,
        Any::Array(items) => Value::Array(items.iter().map(any_to_json).collect()),
        Any::Map(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), any_to_json(v)))
                .collect(),
        ),
    }
}

/// A Yjs value for JSON.
fn json_to_any(value: &Value) -> Any {
    match value {
        Value::Null => Any::Null,
        Value::Bool(b) => Any::Bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Any::from(i),
            None => Any::from(n.as_f64().unwrap_or(0.0)),
        },
        Value::String(s) => Any::from(s.as_str()),
        Value::Array(items) => Any::Array(items.iter().map(json_to_any).collect()),
        Value::Object(map) => Any::Map(Arc::new(
            map.iter()
                .map(|(k, v)| (k.clone(), json_to_any(v)))
                .collect(),
        )),
    }
}

/// Elements nested deeper than this are not read: the editor never nests so deep, and a
/// hostile client could nest enough to exhaust the stack of whoever reads the document.
pub const MAX_DEPTH: usize = 100;

fn read_children<T: ReadTxn>(txn: &T, parent: &impl XmlFragment, depth: usize) -> Vec<Node> {
    if depth > MAX_DEPTH {
        return Vec::new();
    }
    parent
        .children(txn)
        .filter_map(|child| match child {
            XmlOut::Element(element) => Some(Node::Element {
                tag: element.tag().to_string(),
                attrs: element
                    .attributes(txn)
                    .map(|(k, v)| (k.to_owned(), out_to_json(txn, v)))
                    .collect(),
                children: read_children(txn, &element, depth + 1),
            }),
            XmlOut::Text(text) => {
                let runs = text
                    .diff(txn, YChange::identity)
                    .into_iter()
                    .filter_map(|d: Diff<YChange>| {
                        let text = match d.insert {
                            Out::Any(Any::String(s)) => s.to_string(),
                            _ => return None,
                        };
                        let marks = d
                            .attributes
                            .map(|attrs| {
                                attrs
                                    .iter()
                                    .map(|(k, v)| (k.to_string(), any_to_json(v)))
                                    .collect()
                            })
                            .unwrap_or_default();
                        Some(Run { text, marks })
                    })
                    .collect();
                Some(Node::Text(runs))
            }
            XmlOut::Fragment(_) => None,
        })
        .collect()
}

fn out_to_json<T: ReadTxn>(txn: &T, out: Out) -> Value {
    match out {
        Out::Any(any) => any_to_json(&any),
        other => Value::String(other.to_string(txn)),
    }
}

/// The document's content, read from its `default` fragment.
pub fn read(doc: &Doc) -> Vec<Node> {
    use yrs::Transact;
    let fragment = doc.get_or_insert_xml_fragment(FRAGMENT);
    let txn = doc.transact();
    read_children(&txn, &fragment, 0)
}

fn write_children(txn: &mut TransactionMut, parent: &impl XmlFragment, nodes: &[Node]) {
    for node in nodes {
        let index = parent.len(txn);
        match node {
            Node::Element {
                tag,
                attrs,
                children,
            } => {
                let element = parent.insert(txn, index, XmlElementPrelim::empty(tag.as_str()));
                for (key, value) in attrs {
                    element.insert_attribute(txn, key.as_str(), json_to_any(value));
                }
                write_children(txn, &element, children);
            }
            Node::Text(runs) => {
                let text = parent.insert(txn, index, XmlTextPrelim::new(""));
                let mut at = 0u32;
                let mut previous: Vec<&String> = Vec::new();
                for run in runs {
                    // Text inserted next to formatted text takes its formatting unless told
                    // otherwise: marks of the previous run that this one lacks are cleared.
                    let mut attrs: Attrs = run
                        .marks
                        .iter()
                        .map(|(k, v)| (Arc::from(k.as_str()), json_to_any(v)))
                        .collect();
                    for mark in previous.iter().filter(|m| !run.marks.contains_key(**m)) {
                        attrs.insert(Arc::from(mark.as_str()), Any::Null);
                    }
                    previous = run.marks.keys().collect();
                    if attrs.is_empty() {
                        text.insert(txn, at, &run.text);
                    } else {
                        text.insert_with_attributes(txn, at, &run.text, attrs);
                    }
                    at += text_len(&run.text);
                }
            }
        }
    }
}

/// Length of `text` as Yjs counts it by default (UTF-16 code units, as in the browser).
fn text_len(text: &str) -> u32 {
    u32::try_from(text.encode_utf16().count()).unwrap_or(u32::MAX)
}

/// Replaces the content of the document's `default` fragment with `nodes`, as one edit;
/// returns that edit as an update.
pub fn replace(doc: &Doc, nodes: &[Node]) -> Vec<u8> {
    use yrs::Transact;
    // Root types are reached before the transaction: reaching one takes its own.
    let fragment = doc.get_or_insert_xml_fragment(FRAGMENT);
    let mut txn = doc.transact_mut();
    let len = fragment.len(&txn);
    if len > 0 {
        fragment.remove_range(&mut txn, 0, len);
    }
    write_children(&mut txn, &fragment, nodes);
    txn.encode_update_v1()
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
