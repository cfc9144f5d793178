//! Rendering a pad's content as plain text, Markdown or HTML, on the server (exports, and the
//! read-only view of a version); OpenDocument text is in [`super::odt`].

use serde::Deserialize;
use utoipa::ToSchema;

use super::{Node, Run};

/// An export format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Plain text.
    Text,
    /// Markdown (CommonMark with task lists and tables).
    Markdown,
    /// An HTML fragment.
    Html,
    /// OpenDocument text (`.odt`), as LibreOffice opens it.
    Odt,
}

impl Format {
    /// The media type of the rendering.
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Text => "text/plain; charset=utf-8",
            Format::Markdown => "text/markdown; charset=utf-8",
            Format::Html => "text/html; charset=utf-8",
            Format::Odt => "application/vnd.oasis.opendocument.text",
        }
    }

    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Text => "txt",
            Format::Markdown => "md",
            Format::Html => "html",
            Format::Odt => "odt",
        }
    }
}

/// `nodes` rendered in `format` (for OpenDocument, the text of its `content.xml`; the
/// package is [`super::odt::odt`]).
pub fn render(nodes: &[Node], format: Format) -> String {
    let mut out = String::new();
    match format {
        Format::Text => blocks_text(nodes, &mut out, ""),
        Format::Markdown => blocks_markdown(nodes, &mut out, ""),
        Format::Html => nodes.iter().for_each(|n| html(n, &mut out)),
        Format::Odt => out = super::odt::content(nodes),
    }
    let trimmed = out.trim_end().len();
    out.truncate(trimmed);
    if !out.is_empty() && matches!(format, Format::Text | Format::Markdown) {
        out.push('\n');
    }
    out
}

pub(super) fn plain(nodes: &[Node]) -> String {
    let mut out = String::new();
    for node in nodes {
        match node {
            Node::Text(runs) => runs.iter().for_each(|r| out.push_str(&r.text)),
            Node::Element { tag, children, .. } if tag == "hardBreak" => {
                out.push('\n');
                out.push_str(&plain(children));
            }
            Node::Element { children, .. } => out.push_str(&plain(children)),
        }
    }
    out
}

pub(super) fn attr_u64(node: &Node, name: &str) -> Option<u64> {
    match node {
        Node::Element { attrs, .. } => attrs.get(name).and_then(|v| {
            v.as_u64()
                .or_else(|| v.as_f64().map(|f| f as u64))
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        }),
        Node::Text(_) => None,
    }
}

pub(super) fn attr_bool(node: &Node, name: &str) -> bool {
    match node {
        Node::Element { attrs, .. } => attrs
            .get(name)
            .is_some_and(|v| v.as_bool().unwrap_or(false) || v.as_str() == Some("true")),
        Node::Text(_) => false,
    }
}

fn push_lines(out: &mut String, prefix: &str, first: &str, text: &str) {
    let indent = " ".repeat(first.chars().count());
    for (i, line) in text.split('\n').enumerate() {
        out.push_str(prefix);
        out.push_str(if i == 0 { first } else { &indent });
        out.push_str(line);
        out.push('\n');
    }
}

fn blocks_text(nodes: &[Node], out: &mut String, prefix: &str) {
    for node in nodes {
        let Node::Element { tag, children, .. } = node else {
            if let Node::Text(runs) = node {
                push_lines(
                    out,
                    prefix,
                    "",
                    &runs.iter().map(|r| r.text.as_str()).collect::<String>(),
                );
            }
            continue;
        };
        match tag.as_str() {
            "bulletList" | "orderedList" | "taskList" => {
                for (i, item) in children.iter().enumerate() {
                    let marker = match tag.as_str() {
                        "orderedList" => format!("{}. ", i + 1),
                        "taskList" if attr_bool(item, "checked") => "[x] ".to_owned(),
                        "taskList" => "[ ] ".to_owned(),
                        _ => "- ".to_owned(),
                    };
                    list_item(item, out, prefix, &marker, blocks_text);
                }
                out.push('\n');
            }
            "blockquote" => blocks_text(children, out, &format!("{prefix}> ")),
            "horizontalRule" => {
                out.push_str(prefix);
                out.push_str("---\n\n");
            }
            "table" => {
                for row in children {
                    if let Node::Element {
                        children: cells, ..
                    } = row
                    {
                        let cells: Vec<String> = cells
                            .iter()
                            .map(|c| plain(std::slice::from_ref(c)).replace('\n', " "))
                            .collect();
                        push_lines(out, prefix, "", &cells.join("\t"));
                    }
                }
                out.push('\n');
            }
            "codeBlock" => {
                push_lines(out, prefix, "", &plain(children));
                out.push('\n');
            }
            _ => {
                push_lines(out, prefix, "", &plain(children));
                out.push('\n');
            }
        }
    }
}

/// A list item: its first block after the marker, the rest indented under it.
fn list_item(
    item: &Node,
    out: &mut String,
    prefix: &str,
    marker: &str,
    blocks: fn(&[Node], &mut String, &str),
) {
    let Node::Element { children, .. } = item else {
        return;
    };
    let mut inner = String::new();
    blocks(children, &mut inner, "");
    let indent = " ".repeat(marker.chars().count());
    let mut first = true;
    for line in inner.trim_end().lines() {
        if line.is_empty() {
            continue;
        }
        out.push_str(prefix);
        out.push_str(if first { marker } else { &indent });
        out.push_str(line);
        out.push('\n');
        first = false;
    }
    if first {
        out.push_str(prefix);
        out.push_str(marker.trim_end());
        out.push('\n');
    }
}

fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '*' | '_' | '`' | '[' | ']' | '<' | '~') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn inline_markdown(nodes: &[Node]) -> String {
    let mut out = String::new();
    for node in nodes {
        match node {
            Node::Text(runs) => runs.iter().for_each(|r| out.push_str(&run_markdown(r))),
            Node::Element { tag, .. } if tag == "hardBreak" => out.push_str("\\\n"),
            Node::Element { children, .. } => out.push_str(&inline_markdown(children)),
        }
    }
    out
}

fn run_markdown(run: &Run) -> String {
    if run.marks.contains_key("code") {
        return format!("`{}`", run.text.replace('`', "\u{2018}"));
    }
    let mut text = escape_markdown(&run.text);
    if text.trim().is_empty() {
        return text;
    }
    for (mark, open, close) in [
        ("bold", "**", "**"),
        ("italic", "_", "_"),
        ("strike", "~~", "~~"),
        ("underline", "<u>", "</u>"),
    ] {
        if run.marks.contains_key(mark) {
            text = format!("{open}{text}{close}");
        }
    }
    if let Some(href) = run
        .marks
        .get("link")
        .and_then(|l| l.get("href"))
        .and_then(|h| h.as_str())
    {
        text = format!("[{text}]({})", href.replace(' ', "%20").replace(')', "%29"));
    }
    text
}

fn blocks_markdown(nodes: &[Node], out: &mut String, prefix: &str) {
    for node in nodes {
        let Node::Element { tag, children, .. } = node else {
            if let Node::Text(_) = node {
                push_lines(
                    out,
                    prefix,
                    "",
                    &inline_markdown(std::slice::from_ref(node)),
                );
            }
            continue;
        };
        match tag.as_str() {
            "heading" => {
                let level = attr_u64(node, "level").unwrap_or(1).clamp(1, 6) as usize;
                push_lines(
                    out,
                    prefix,
                    &format!("{} ", "#".repeat(level)),
                    &inline_markdown(children),
                );
                out.push_str(prefix);
                out.push('\n');
            }
            "bulletList" | "orderedList" | "taskList" => {
                for (i, item) in children.iter().enumerate() {
                    let marker = match tag.as_str() {
                        "orderedList" => format!("{}. ", i + 1),
                        "taskList" if attr_bool(item, "checked") => "- [x] ".to_owned(),
                        "taskList" => "- [ ] ".to_owned(),
                        _ => "- ".to_owned(),
                    };
                    list_item(item, out, prefix, &marker, blocks_markdown);
                }
                out.push_str(prefix);
                out.push('\n');
            }
            "blockquote" => {
                blocks_markdown(children, out, &format!("{prefix}> "));
            }
            "codeBlock" => {
                let language = match node {
                    Node::Element { attrs, .. } => attrs
                        .get("language")
                        .and_then(|v| v.as_str())
                        .unwrap_or("")
                        .to_owned(),
                    Node::Text(_) => String::new(),
                };
                push_lines(
                    out,
                    prefix,
                    "",
                    &format!("```{language}\n{}\n```", plain(children)),
                );
                out.push_str(prefix);
                out.push('\n');
            }
            "horizontalRule" => {
                out.push_str(prefix);
                out.push_str("---\n\n");
            }
            "table" => {
                for (i, row) in children.iter().enumerate() {
                    let Node::Element {
                        children: cells, ..
                    } = row
                    else {
                        continue;
                    };
                    let cells: Vec<String> = cells
                        .iter()
                        .map(|c| match c {
                            Node::Element { children, .. } => inline_markdown(children)
                                .replace('\n', " ")
                                .replace('|', "\\|"),
                            Node::Text(_) => String::new(),
                        })
                        .collect();
                    push_lines(out, prefix, "", &format!("| {} |", cells.join(" | ")));
                    if i == 0 {
                        push_lines(
                            out,
                            prefix,
                            "",
                            &format!("|{}", " --- |".repeat(cells.len())),
                        );
                    }
                }
                out.push_str(prefix);
                out.push('\n');
            }
            _ => {
                push_lines(out, prefix, "", &inline_markdown(children));
                out.push_str(prefix);
                out.push('\n');
            }
        }
    }
}

fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Only links that cannot run script are kept.
pub(super) fn safe_href(href: &str) -> Option<&str> {
    let lower = href.trim().to_ascii_lowercase();
    let allowed = ["http://", "https://", "mailto:", "/", "#"]
        .iter()
        .any(|p| lower.starts_with(p));
    allowed.then_some(href.trim())
}

fn run_html(run: &Run) -> String {
    let mut text = escape_html(&run.text);
    for (mark, tag) in [
        ("code", "code"),
        ("bold", "strong"),
        ("italic", "em"),
        ("underline", "u"),
        ("strike", "s"),
    ] {
        if run.marks.contains_key(mark) {
            text = format!("<{tag}>{text}</{tag}>");
        }
    }
    if let Some(href) = run
        .marks
        .get("link")
        .and_then(|l| l.get("href"))
        .and_then(|h| h.as_str())
        .and_then(safe_href)
    {
        text = format!("<a href=\"{}\">{text}</a>", escape_html(href));
    }
    text
}

fn html(node: &Node, out: &mut String) {
    let (tag, children) = match node {
        Node::Text(runs) => {
            runs.iter().for_each(|r| out.push_str(&run_html(r)));
            return;
        }
        Node::Element { tag, children, .. } => (tag.as_str(), children),
    };
    let (open, close) = match tag {
        "paragraph" => ("<p>".to_owned(), "</p>\n"),
        "heading" => {
            let level = attr_u64(node, "level").unwrap_or(1).clamp(1, 6);
            out.push_str(&format!("<h{level}>"));
            children.iter().for_each(|c| html(c, out));
            out.push_str(&format!("</h{level}>\n"));
            return;
        }
        "bulletList" => ("<ul>\n".to_owned(), "</ul>\n"),
        "orderedList" => ("<ol>\n".to_owned(), "</ol>\n"),
        "taskList" => ("<ul class=\"tasks\">\n".to_owned(), "</ul>\n"),
        "listItem" => ("<li>".to_owned(), "</li>\n"),
        "taskItem" => (
            format!(
                "<li><input type=\"checkbox\" disabled{}> ",
                if attr_bool(node, "checked") {
                    " checked"
                } else {
                    ""
                }
            ),
            "</li>\n",
        ),
        "blockquote" => ("<blockquote>\n".to_owned(), "</blockquote>\n"),
        "codeBlock" => {
            out.push_str("<pre><code>");
            out.push_str(&escape_html(&plain(children)));
            out.push_str("</code></pre>\n");
            return;
        }
        "horizontalRule" => {
            out.push_str("<hr>\n");
            return;
        }
        "hardBreak" => {
            out.push_str("<br>");
            return;
        }
        "table" => ("<table>\n".to_owned(), "</table>\n"),
        "tableRow" => ("<tr>".to_owned(), "</tr>\n"),
        "tableCell" => ("<td>".to_owned(), "</td>"),
        "tableHeader" => ("<th>".to_owned(), "</th>"),
        // Unknown nodes keep their content.
        _ => ("<div>".to_owned(), "</div>\n"),
    };
    out.push_str(&open);
    // A paragraph inside a list item or cell is rendered without its own tags.
    let tight =
        matches!(tag, "listItem" | "taskItem" | "tableCell" | "tableHeader") && children.len() == 1;
    for child in children {
        match child {
            Node::Element { tag, children, .. } if tight && tag == "paragraph" => {
                children.iter().for_each(|c| html(c, out));
            }
            other => html(other, out),
        }
    }
    out.push_str(close);
}
