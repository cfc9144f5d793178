//! Importing HTML as the editor's nodes. Nothing of the HTML is kept as such: it is read into
//! a tree, and only what the editor knows is rebuilt from it — headings, paragraphs, line
//! breaks, bold, italic, underline, strike, code, links (those that cannot run script), lists,
//! task lists, quotes, code blocks, rules and tables. Scripts, styles, frames, forms, media,
//! comments, attributes (event handlers, `style`, classes) are dropped; the text of unknown
//! elements is kept. The reader is forgiving, as browsers are, and never fails.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::{Node, Run};

/// Elements nested deeper than this are read as their text (hostile input nests thousands).
const MAX_DEPTH: usize = 64;

/// Elements whose content is raw text up to their end tag.
const RAW_TEXT: &[&str] = &[
    "script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "noscript",
];
/// Elements dropped with everything inside.
const DROPPED: &[&str] = &[
    "script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "noscript",
    "head", "template", "object", "embed", "svg", "math", "select", "canvas", "audio", "video",
    "button", "map", "frameset", "applet",
];
/// Elements without content.
const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr",
];
/// Elements an opening `<p>` does not survive.
const CLOSES_P: &[&str] = &[
    "p",
    "div",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "ul",
    "ol",
    "li",
    "table",
    "blockquote",
    "pre",
    "hr",
    "section",
    "article",
    "header",
    "footer",
    "dl",
    "form",
    "figure",
];

/// A read element.
#[derive(Debug, Default)]
struct Element {
    name: String,
    attrs: Vec<(String, String)>,
    children: Vec<Dom>,
}

#[derive(Debug)]
enum Dom {
    Element(Element),
    Text(String),
}

impl Element {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Decodes character references.
fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let end = rest
            .char_indices()
            .take(12)
            .find(|(_, c)| *c == ';')
            .map(|(i, _)| i);
        let decoded = end.and_then(|end| {
            let name = &rest[1..end];
            let c = if let Some(number) = name.strip_prefix('#') {
                let code = match number.strip_prefix(['x', 'X']) {
                    Some(hex) => u32::from_str_radix(hex, 16).ok(),
                    None => number.parse().ok(),
                }?;
                match char::from_u32(code) {
                    Some(c) if code != 0 => c,
                    _ => '\u{FFFD}',
                }
            } else {
                match name {
                    "amp" => '&',
                    "lt" => '<',
                    "gt" => '>',
                    "quot" => '"',
                    "apos" => '\'',
                    "nbsp" => '\u{A0}',
                    "copy" => '©',
                    "reg" => '®',
                    "hellip" => '…',
                    "mdash" => '—',
                    "ndash" => '–',
                    "lsquo" => '‘',
                    "rsquo" => '’',
                    "ldquo" => '“',
                    "rdquo" => '”',
                    "laquo" => '«',
                    "raquo" => '»',
                    "euro" => '€',
                    "times" => '×',
                    _ => return None,
                }
            };
            Some((c, end))
        });
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Reads `html` into a tree.
fn parse(html: &str) -> Element {
    let mut stack: Vec<Element> = vec![Element::default()];
    let mut rest = html;
    // Start tags read while nested deeper than MAX_DEPTH: their end tags are ignored too.
    while !rest.is_empty() {
        let Some(lt) = rest.find('<') else {
            push_text(&mut stack, rest);
            break;
        };
        if lt > 0 {
            push_text(&mut stack, &rest[..lt]);
            rest = &rest[lt..];
        }
        let after = &rest[1..];
        if let Some(comment) = after.strip_prefix("!--") {
            rest = comment.find("-->").map_or("", |end| &comment[end + 3..]);
            continue;
        }
        if let Some(cdata) = after.strip_prefix("![CDATA[") {
            rest = cdata.find("]]>").map_or("", |end| &cdata[end + 3..]);
            continue;
        }
        if after.starts_with(['!', '?']) {
            rest = after.find('>').map_or("", |end| &after[end + 1..]);
            continue;
        }
        let (closing, name_start) = match after.strip_prefix('/') {
            Some(n) => (true, n),
            None => (false, after),
        };
        if !name_start.starts_with(|c: char| c.is_ascii_alphabetic()) {
            push_text(&mut stack, "<");
            rest = after;
            continue;
        }
        let (name, attrs, self_closing, remaining) = read_tag(name_start);
        rest = remaining;
        if closing {
            close(&mut stack, &name);
            continue;
        }
        if RAW_TEXT.contains(&name.as_str()) {
            // Up to the matching end tag, whatever it holds; dropped with its element.
            let end = find_ignore_case(rest, &format!("</{name}"));
            rest = end.map_or("", |end| {
                let tail = &rest[end..];
                tail.find('>').map_or("", |gt| &tail[gt + 1..])
            });
            continue;
        }
        open(&mut stack, name, attrs, self_closing);
    }
    while stack.len() > 1 {
        pop(&mut stack);
    }
    stack.pop().unwrap_or_default()
}

/// Where `needle` (ASCII, starting with `</`) is in `haystack`, in any case.
fn find_ignore_case(haystack: &str, needle: &str) -> Option<usize> {
    haystack.match_indices("</").map(|(at, _)| at).find(|at| {
        haystack
            .get(*at..*at + needle.len())
            .is_some_and(|candidate| candidate.eq_ignore_ascii_case(needle))
    })
}

/// Reads a tag after its `<` or `</`: its name, attributes, whether it closes itself, and
/// what follows its `>`.
fn read_tag(text: &str) -> (String, Vec<(String, String)>, bool, &str) {
    let name_end = text
        .find(|c: char| c.is_ascii_whitespace() || c == '/' || c == '>')
        .unwrap_or(text.len());
    let name = text[..name_end].to_ascii_lowercase();
    let mut rest = &text[name_end..];
    let mut attrs = Vec::new();
    let mut self_closing = false;
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_ascii_whitespace());
        if rest.is_empty() {
            return (name, attrs, self_closing, rest);
        }
        if let Some(after) = rest.strip_prefix('>') {
            return (name, attrs, self_closing, after);
        }
        if let Some(after) = rest.strip_prefix('/') {
            self_closing = true;
            rest = after;
            continue;
        }
        self_closing = false;
        let key_end = rest
            .find(|c: char| c.is_ascii_whitespace() || c == '=' || c == '>' || c == '/')
            .unwrap_or(rest.len())
            .max(1.min(rest.len()));
        let key = rest[..key_end].to_ascii_lowercase();
        rest = rest[key_end..].trim_start_matches(|c: char| c.is_ascii_whitespace());
        let mut value = String::new();
        if let Some(after) = rest.strip_prefix('=') {
            let after = after.trim_start_matches(|c: char| c.is_ascii_whitespace());
            if let Some(quote) = after.chars().next().filter(|c| *c == '"' || *c == '\'') {
                let inner = &after[1..];
                let end = inner.find(quote).unwrap_or(inner.len());
                value = decode_entities(&inner[..end]);
                rest = inner.get(end + 1..).unwrap_or("");
            } else {
                let end = after
                    .find(|c: char| c.is_ascii_whitespace() || c == '>')
                    .unwrap_or(after.len());
                value = decode_entities(&after[..end]);
                rest = &after[end..];
            }
        }
        if !key.is_empty() && attrs.len() < 32 {
            attrs.push((key, value));
        }
    }
}

fn push_text(stack: &mut [Element], text: &str) {
    if let Some(top) = stack.last_mut() {
        let text = decode_entities(text);
        match top.children.last_mut() {
            Some(Dom::Text(previous)) => previous.push_str(&text),
            _ => top.children.push(Dom::Text(text)),
        }
    }
}

fn pop(stack: &mut Vec<Element>) {
    if stack.len() > 1 {
        if let Some(element) = stack.pop() {
            if let Some(parent) = stack.last_mut() {
                parent.children.push(Dom::Element(element));
            }
        }
    }
}

fn is_open(stack: &[Element], name: &str, boundary: &[&str]) -> bool {
    for element in stack.iter().rev() {
        if element.name == name {
            return true;
        }
        if boundary.contains(&element.name.as_str()) {
            return false;
        }
    }
    false
}

fn close(stack: &mut Vec<Element>, name: &str) {
    if stack.iter().skip(1).any(|e| e.name == name) {
        while let Some(top) = stack.last() {
            let done = top.name == name;
            pop(stack);
            if done {
                break;
            }
        }
    }
}

fn open(stack: &mut Vec<Element>, name: String, attrs: Vec<(String, String)>, self_closing: bool) {
    // What browsers close implicitly.
    if CLOSES_P.contains(&name.as_str()) && is_open(stack, "p", &["td", "th", "li", "blockquote"]) {
        close(stack, "p");
    }
    match name.as_str() {
        "li" if is_open(stack, "li", &["ul", "ol"]) => close(stack, "li"),
        "td" | "th" => {
            if is_open(stack, "td", &["tr", "table"]) {
                close(stack, "td");
            }
            if is_open(stack, "th", &["tr", "table"]) {
                close(stack, "th");
            }
        }
        "tr" if is_open(stack, "tr", &["table"]) => close(stack, "tr"),
        _ => {}
    }
    let element = Element {
        name,
        attrs,
        children: Vec::new(),
    };
    let void = VOID.contains(&element.name.as_str()) || self_closing;
    if void || stack.len() > MAX_DEPTH {
        // Too deep: the element is not kept, its content goes to the nearest kept one.
        if void {
            if let Some(top) = stack.last_mut() {
                top.children.push(Dom::Element(element));
            }
        }
        return;
    }
    stack.push(element);
}

/// The content of an element as runs and line breaks, with white space collapsed.
#[derive(Default)]
struct Inline {
    nodes: Vec<Node>,
}

impl Inline {
    fn push(&mut self, text: &str, marks: &BTreeMap<String, Value>, pre: bool) {
        let text = if pre {
            text.to_owned()
        } else {
            let mut collapsed = String::with_capacity(text.len());
            let mut space = self.ends_with_space();
            for c in text.chars() {
                if c.is_ascii_whitespace() {
                    if !space {
                        collapsed.push(' ');
                    }
                    space = true;
                } else {
                    collapsed.push(c);
                    space = false;
                }
            }
            collapsed
        };
        if text.is_empty() {
            return;
        }
        if let Some(Node::Text(runs)) = self.nodes.last_mut() {
            if let Some(last) = runs.last_mut().filter(|r| &r.marks == marks) {
                last.text.push_str(&text);
            } else {
                runs.push(Run {
                    text,
                    marks: marks.clone(),
                });
            }
            return;
        }
        self.nodes.push(Node::Text(vec![Run {
            text,
            marks: marks.clone(),
        }]));
    }

    fn ends_with_space(&self) -> bool {
        match self.nodes.last() {
            Some(Node::Text(runs)) => runs.last().is_none_or(|r| r.text.ends_with(' ')),
            _ => true,
        }
    }

    fn hard_break(&mut self) {
        if let Some(Node::Text(runs)) = self.nodes.last_mut() {
            if let Some(last) = runs.last_mut() {
                let kept = last.text.trim_end_matches(' ').len();
                last.text.truncate(kept);
            }
        }
        self.nodes.push(Node::element("hardBreak", vec![]));
    }

    /// The content, trimmed; empty when there is no text.
    fn finish(mut self) -> Vec<Node> {
        for node in &mut self.nodes {
            if let Node::Text(runs) = node {
                runs.retain(|r| !r.text.is_empty());
            }
        }
        if let Some(Node::Text(runs)) = self.nodes.first_mut() {
            if let Some(first) = runs.first_mut() {
                first.text = first.text.trim_start_matches(' ').to_owned();
            }
        }
        if let Some(Node::Text(runs)) = self.nodes.last_mut() {
            if let Some(last) = runs.last_mut() {
                let kept = last.text.trim_end_matches(' ').len();
                last.text.truncate(kept);
            }
        }
        for node in &mut self.nodes {
            if let Node::Text(runs) = node {
                runs.retain(|r| !r.text.is_empty());
            }
        }
        self.nodes
            .retain(|n| !matches!(n, Node::Text(runs) if runs.is_empty()));
        self.nodes
    }
}

fn is_block(name: &str) -> bool {
    matches!(
        name,
        "p" | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "ul"
            | "ol"
            | "li"
            | "blockquote"
            | "pre"
            | "hr"
            | "table"
            | "div"
            | "section"
            | "article"
            | "main"
            | "header"
            | "footer"
            | "nav"
            | "aside"
            | "figure"
            | "figcaption"
            | "details"
            | "summary"
            | "dl"
            | "dt"
            | "dd"
            | "address"
            | "center"
            | "form"
            | "fieldset"
            | "body"
            | "html"
            | "tr"
            | "td"
            | "th"
            | "thead"
            | "tbody"
            | "tfoot"
            | "caption"
    )
}

/// Only links that cannot run script become links.
fn link_target(element: &Element) -> Option<String> {
    let href = element.attr("href")?;
    super::render::safe_href(href).map(str::to_owned)
}

/// Adds the inline content of `nodes` to `inline`.
fn inlines(nodes: &[Dom], marks: &BTreeMap<String, Value>, inline: &mut Inline, pre: bool) {
    for node in nodes {
        match node {
            Dom::Text(text) => inline.push(text, marks, pre),
            Dom::Element(element) => {
                let name = element.name.as_str();
                if DROPPED.contains(&name) {
                    continue;
                }
                if name == "br" {
                    inline.hard_break();
                    continue;
                }
                let mut marks = marks.clone();
                let mark = match name {
                    "b" | "strong" => Some("bold"),
                    "i" | "em" | "cite" | "var" => Some("italic"),
                    "u" | "ins" => Some("underline"),
                    "s" | "strike" | "del" => Some("strike"),
                    "code" | "kbd" | "samp" | "tt" => Some("code"),
                    _ => None,
                };
                if let Some(mark) = mark {
                    marks.insert(mark.to_owned(), json!({}));
                }
                if name == "a" {
                    if let Some(href) = link_target(element) {
                        marks.insert("link".to_owned(), json!({ "href": href }));
                    }
                }
                inlines(&element.children, &marks, inline, pre);
            }
        }
    }
}

fn paragraph(children: Vec<Node>) -> Node {
    Node::element("paragraph", children)
}

fn with_attr(tag: &str, key: &str, value: Value, children: Vec<Node>) -> Node {
    Node::Element {
        tag: tag.to_owned(),
        attrs: BTreeMap::from([(key.to_owned(), value)]),
        children,
    }
}

fn text_of(nodes: &[Dom], out: &mut String) {
    for node in nodes {
        match node {
            Dom::Text(text) => out.push_str(text),
            Dom::Element(e) if e.name == "br" => out.push('\n'),
            Dom::Element(e) if DROPPED.contains(&e.name.as_str()) => {}
            Dom::Element(e) => text_of(&e.children, out),
        }
    }
}

/// Whether an `<li>` is a task: TipTap writes `data-checked`; others a checkbox.
fn task_state(item: &Element) -> Option<bool> {
    if let Some(checked) = item.attr("data-checked") {
        return Some(checked == "true");
    }
    item.children.iter().find_map(|child| match child {
        Dom::Element(e) if e.name == "input" && e.attr("type") == Some("checkbox") => {
            Some(e.attr("checked").is_some())
        }
        Dom::Element(e) if e.name == "label" || e.name == "p" => task_state(e),
        _ => None,
    })
}

fn list(element: &Element) -> Node {
    let items: Vec<&Element> = element
        .children
        .iter()
        .filter_map(|c| match c {
            Dom::Element(e) if !DROPPED.contains(&e.name.as_str()) => Some(e),
            _ => None,
        })
        .collect();
    let task = element.attr("data-type") == Some("taskList")
        || (!items.is_empty() && items.iter().all(|i| task_state(i).is_some()));
    let children = items
        .into_iter()
        .map(|item| {
            let mut content = blocks(std::slice::from_ref(&Dom::Element(Element {
                name: "div".into(),
                attrs: Vec::new(),
                children: item
                    .children
                    .iter()
                    .filter(|c| !matches!(c, Dom::Element(e) if e.name == "input"))
                    .map(clone_dom)
                    .collect(),
            })));
            if content.is_empty() {
                content.push(paragraph(vec![]));
            }
            if task {
                with_attr(
                    "taskItem",
                    "checked",
                    json!(task_state(item) == Some(true)),
                    content,
                )
            } else {
                Node::element("listItem", content)
            }
        })
        .collect();
    let tag = match (task, element.name.as_str()) {
        (true, _) => "taskList",
        (false, "ol") => "orderedList",
        _ => "bulletList",
    };
    Node::element(tag, children)
}

fn clone_dom(dom: &Dom) -> Dom {
    match dom {
        Dom::Text(t) => Dom::Text(t.clone()),
        Dom::Element(e) => Dom::Element(Element {
            name: e.name.clone(),
            attrs: e.attrs.clone(),
            children: e.children.iter().map(clone_dom).collect(),
        }),
    }
}

fn rows_of<'a>(element: &'a Element, out: &mut Vec<&'a Element>) {
    for child in &element.children {
        if let Dom::Element(e) = child {
            match e.name.as_str() {
                "tr" => out.push(e),
                "thead" | "tbody" | "tfoot" => rows_of(e, out),
                _ => {}
            }
        }
    }
}

fn table(element: &Element) -> Option<Node> {
    let mut rows = Vec::new();
    rows_of(element, &mut rows);
    let rows: Vec<Node> = rows
        .into_iter()
        .filter_map(|row| {
            let cells: Vec<Node> = row
                .children
                .iter()
                .filter_map(|c| match c {
                    Dom::Element(cell) if cell.name == "td" || cell.name == "th" => {
                        let mut content = blocks(&cell.children);
                        // A cell holds blocks the editor allows in cells: paragraphs and lists.
                        content
                            .retain(|n| !matches!(n, Node::Element { tag, .. } if tag == "table"));
                        if content.is_empty() {
                            content.push(paragraph(vec![]));
                        }
                        let tag = if cell.name == "th" {
                            "tableHeader"
                        } else {
                            "tableCell"
                        };
                        Some(Node::element(tag, content))
                    }
                    _ => None,
                })
                .collect();
            (!cells.is_empty()).then(|| Node::element("tableRow", cells))
        })
        .collect();
    (!rows.is_empty()).then(|| Node::element("table", rows))
}

/// The blocks of `nodes`: loose inline content becomes paragraphs.
fn blocks(nodes: &[Dom]) -> Vec<Node> {
    let mut out = Vec::new();
    let mut loose = Inline::default();
    let flush = |loose: &mut Inline, out: &mut Vec<Node>| {
        let content = std::mem::take(loose).finish();
        if !content.is_empty() {
            out.push(paragraph(content));
        }
    };
    for node in nodes {
        let element = match node {
            Dom::Element(e) if is_block(&e.name) => e,
            other => {
                inlines(
                    std::slice::from_ref(other),
                    &BTreeMap::new(),
                    &mut loose,
                    false,
                );
                continue;
            }
        };
        flush(&mut loose, &mut out);
        let name = element.name.as_str();
        match name {
            "p" => {
                // A paragraph holding blocks (invalid, but seen) is read as those blocks.
                if element
                    .children
                    .iter()
                    .any(|c| matches!(c, Dom::Element(e) if is_block(&e.name)))
                {
                    out.extend(blocks(&element.children));
                } else {
                    let mut inline = Inline::default();
                    inlines(&element.children, &BTreeMap::new(), &mut inline, false);
                    out.push(paragraph(inline.finish()));
                }
            }
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                let level = u64::from(name.as_bytes()[1] - b'0');
                let mut inline = Inline::default();
                inlines(&element.children, &BTreeMap::new(), &mut inline, false);
                out.push(with_attr("heading", "level", json!(level), inline.finish()));
            }
            "ul" | "ol" => out.push(list(element)),
            "blockquote" => {
                let mut inner = blocks(&element.children);
                if inner.is_empty() {
                    inner.push(paragraph(vec![]));
                }
                out.push(Node::element("blockquote", inner));
            }
            "pre" => {
                let mut code = String::new();
                text_of(&element.children, &mut code);
                // The first newline after <pre> is not content.
                let code = code
                    .strip_prefix('\n')
                    .unwrap_or(&code)
                    .trim_end_matches('\n');
                let language = element
                    .children
                    .iter()
                    .find_map(|c| match c {
                        Dom::Element(e) if e.name == "code" => e.attr("class"),
                        _ => None,
                    })
                    .and_then(|class| {
                        class
                            .split_whitespace()
                            .find_map(|c| c.strip_prefix("language-"))
                    })
                    .filter(|l| {
                        l.len() <= 32
                            && l.chars()
                                .all(|c| c.is_ascii_alphanumeric() || "+-#_.".contains(c))
                    });
                let children = if code.is_empty() {
                    vec![]
                } else {
                    vec![Node::text(code)]
                };
                out.push(match language {
                    Some(language) => with_attr("codeBlock", "language", json!(language), children),
                    None => Node::element("codeBlock", children),
                });
            }
            "hr" => out.push(Node::element("horizontalRule", vec![])),
            "table" => out.extend(table(element)),
            // Containers, and table parts or list items out of place: their content.
            _ => out.extend(blocks(&element.children)),
        }
    }
    flush(&mut loose, &mut out);
    out
}

/// HTML, as the editor's nodes.
pub fn parse_html(html: &str) -> Vec<Node> {
    let root = parse(html);
    blocks(&root.children)
}

#[cfg(test)]
#[path = "html_tests.rs"]
mod tests;
