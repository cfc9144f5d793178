//! Importing plain text and Markdown as the editor's nodes. The Markdown read is the common
//! part of CommonMark that the editor can hold: headings, paragraphs, emphasis, strong, strike,
//! code, links, lists, task lists, quotes, fenced code, rules and pipe tables.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::{Node, Run};

/// Plain text: one paragraph per line.
pub fn parse_text(text: &str) -> Vec<Node> {
    let text = text.replace("\r\n", "\n");
    text.trim_end_matches('\n')
        .split('\n')
        .map(|line| {
            paragraph(vec![Run {
                text: line.to_owned(),
                marks: BTreeMap::new(),
            }])
        })
        .collect()
}

fn paragraph(runs: Vec<Run>) -> Node {
    let runs: Vec<Run> = runs.into_iter().filter(|r| !r.text.is_empty()).collect();
    let children = if runs.is_empty() {
        vec![]
    } else {
        vec![Node::Text(runs)]
    };
    Node::element("paragraph", children)
}

fn with_attrs(tag: &str, attrs: &[(&str, Value)], children: Vec<Node>) -> Node {
    Node::Element {
        tag: tag.to_owned(),
        attrs: attrs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect(),
        children,
    }
}

/// Markdown.
pub fn parse_markdown(text: &str) -> Vec<Node> {
    let text = text.replace("\r\n", "\n").replace('\t', "    ");
    let lines: Vec<&str> = text.lines().collect();
    blocks(&lines)
}

#[derive(Clone, Copy, PartialEq)]
enum ListKind {
    Bullet,
    Ordered,
    Task,
}

/// A list item's marker: its kind, whether it is checked, and the text after it.
fn list_marker(line: &str) -> Option<(ListKind, bool, &str)> {
    let rest = line
        .strip_prefix("- ")
        .or_else(|| line.strip_prefix("* "))
        .or_else(|| line.strip_prefix("+ "));
    if let Some(rest) = rest {
        for (box_, checked) in [("[ ] ", false), ("[x] ", true), ("[X] ", true)] {
            if let Some(task) = rest.strip_prefix(box_) {
                return Some((ListKind::Task, checked, task));
            }
        }
        return Some((ListKind::Bullet, false, rest));
    }
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    if digits > 0 && digits < 10 {
        let after = &line[digits..];
        if let Some(rest) = after
            .strip_prefix(". ")
            .or_else(|| after.strip_prefix(") "))
        {
            return Some((ListKind::Ordered, false, rest));
        }
    }
    None
}

fn is_rule(line: &str) -> bool {
    let compact: String = line.chars().filter(|c| !c.is_whitespace()).collect();
    compact.len() >= 3
        && ["-", "*", "_"]
            .iter()
            .any(|c| compact.chars().all(|x| x.to_string() == *c))
}

fn heading(line: &str) -> Option<(usize, &str)> {
    let level = line.chars().take_while(|c| *c == '#').count();
    if (1..=6).contains(&level) {
        let rest = &line[level..];
        if rest.is_empty() {
            return Some((level, ""));
        }
        if let Some(text) = rest.strip_prefix(' ') {
            return Some((level, text.trim().trim_end_matches('#').trim_end()));
        }
    }
    None
}

fn table_cells(line: &str) -> Vec<String> {
    let inner = line.trim().trim_start_matches('|').trim_end_matches('|');
    let mut cells = Vec::new();
    let mut current = String::new();
    let mut escaped = false;
    for c in inner.chars() {
        match c {
            '\\' if !escaped => escaped = true,
            '|' if !escaped => cells.push(std::mem::take(&mut current).trim().to_owned()),
            c => {
                if escaped && c != '|' {
                    current.push('\\');
                }
                current.push(c);
                escaped = false;
            }
        }
    }
    cells.push(current.trim().to_owned());
    cells
}

fn is_table_separator(line: &str) -> bool {
    let t = line.trim();
    t.contains('-') && t.chars().all(|c| matches!(c, '|' | '-' | ':' | ' '))
}

fn starts_block(line: &str) -> bool {
    let t = line.trim_start();
    t.starts_with("```")
        || heading(t).is_some()
        || t.starts_with('>')
        || list_marker(t).is_some()
        || is_rule(t)
}

fn blocks(lines: &[&str]) -> Vec<Node> {
    let mut nodes = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let trimmed = line.trim_start();
        if trimmed.is_empty() {
            i += 1;
            continue;
        }
        if let Some(language) = trimmed.strip_prefix("```") {
            let mut code = Vec::new();
            i += 1;
            while i < lines.len() && !lines[i].trim_start().starts_with("```") {
                code.push(lines[i]);
                i += 1;
            }
            i += 1;
            let text = code.join("\n");
            let children = if text.is_empty() {
                vec![]
            } else {
                vec![Node::text(&text)]
            };
            let language = language.trim();
            let attrs: Vec<(&str, Value)> = if language.is_empty() {
                vec![]
            } else {
                vec![("language", json!(language))]
            };
            nodes.push(with_attrs("codeBlock", &attrs, children));
            continue;
        }
        if let Some((level, text)) = heading(trimmed) {
            let runs = inline(text);
            let children = if runs.is_empty() {
                vec![]
            } else {
                vec![Node::Text(runs)]
            };
            nodes.push(with_attrs("heading", &[("level", json!(level))], children));
            i += 1;
            continue;
        }
        if is_rule(trimmed) {
            nodes.push(Node::element("horizontalRule", vec![]));
            i += 1;
            continue;
        }
        if trimmed.starts_with('>') {
            let mut quoted = Vec::new();
            while i < lines.len() && lines[i].trim_start().starts_with('>') {
                let l = lines[i].trim_start().trim_start_matches('>');
                quoted.push(l.strip_prefix(' ').unwrap_or(l));
                i += 1;
            }
            nodes.push(Node::element("blockquote", blocks(&quoted)));
            continue;
        }
        if let Some((kind, _, _)) = list_marker(trimmed) {
            let indent = line.len() - trimmed.len();
            let mut items = Vec::new();
            while i < lines.len() {
                let l = lines[i];
                let t = l.trim_start();
                let Some((k, checked, first)) = list_marker(t) else {
                    break;
                };
                if k != kind || l.len() - t.len() != indent {
                    break;
                }
                let mut content = vec![first];
                i += 1;
                // Continuation lines: indented deeper than the marker, or blank between them.
                while i < lines.len() {
                    let next = lines[i];
                    let next_indent = next.len() - next.trim_start().len();
                    if next.trim().is_empty() {
                        let more = lines.get(i + 1).is_some_and(|n| {
                            n.len() - n.trim_start().len() > indent && !n.trim().is_empty()
                        });
                        if !more {
                            break;
                        }
                        content.push("");
                    } else if next_indent > indent {
                        content.push(
                            next.get((indent + 2).min(next_indent)..)
                                .unwrap_or(next.trim_start()),
                        );
                    } else {
                        break;
                    }
                    i += 1;
                }
                let children = blocks(&content);
                let item = match kind {
                    ListKind::Task => {
                        with_attrs("taskItem", &[("checked", json!(checked))], children)
                    }
                    _ => Node::element("listItem", children),
                };
                items.push(item);
            }
            let tag = match kind {
                ListKind::Bullet => "bulletList",
                ListKind::Ordered => "orderedList",
                ListKind::Task => "taskList",
            };
            nodes.push(Node::element(tag, items));
            continue;
        }
        if trimmed.starts_with('|') && lines.get(i + 1).is_some_and(|l| is_table_separator(l)) {
            let mut rows = Vec::new();
            let header = table_cells(trimmed);
            rows.push(table_row(&header, "tableHeader"));
            i += 2;
            while i < lines.len() && lines[i].trim_start().starts_with('|') {
                rows.push(table_row(&table_cells(lines[i]), "tableCell"));
                i += 1;
            }
            nodes.push(Node::element("table", rows));
            continue;
        }
        // A paragraph: lines up to a blank line or another block.
        let mut text = vec![trimmed];
        i += 1;
        while i < lines.len() && !lines[i].trim().is_empty() && !starts_block(lines[i]) {
            text.push(lines[i].trim());
            i += 1;
        }
        let mut runs = Vec::new();
        for (n, line) in text.iter().enumerate() {
            if n > 0 {
                runs.push(Run {
                    text: " ".into(),
                    marks: BTreeMap::new(),
                });
            }
            runs.extend(inline(line.trim_end_matches('\\').trim_end()));
        }
        nodes.push(paragraph(merge(runs)));
    }
    nodes
}

fn table_row(cells: &[String], cell: &str) -> Node {
    Node::element(
        "tableRow",
        cells
            .iter()
            .map(|c| Node::element(cell, vec![paragraph(inline(c))]))
            .collect(),
    )
}

/// Joins neighbouring runs with the same marks.
fn merge(runs: Vec<Run>) -> Vec<Run> {
    let mut out: Vec<Run> = Vec::new();
    for run in runs {
        if run.text.is_empty() {
            continue;
        }
        match out.last_mut() {
            Some(last) if last.marks == run.marks => last.text.push_str(&run.text),
            _ => out.push(run),
        }
    }
    out
}

/// Inline Markdown as runs.
pub fn inline(text: &str) -> Vec<Run> {
    merge(inline_with(text, &BTreeMap::new(), 0))
}

/// Marks nest at most this deep; deeper delimiters are kept as text (and the recursion stays
/// shallow whatever the input).
const MAX_DEPTH: usize = 8;

fn inline_with(text: &str, marks: &BTreeMap<String, Value>, depth: usize) -> Vec<Run> {
    let mut runs = Vec::new();
    if depth > MAX_DEPTH {
        runs.push(Run {
            text: text.to_owned(),
            marks: marks.clone(),
        });
        return runs;
    }
    // Closing delimiters known to be absent from the rest of the text: the rest only shrinks,
    // so they are never searched for again (no quadratic time on hostile input).
    let mut absent: Vec<&str> = Vec::new();
    let mut plain = String::new();
    let flush = |plain: &mut String, runs: &mut Vec<Run>| {
        if !plain.is_empty() {
            runs.push(Run {
                text: std::mem::take(plain),
                marks: marks.clone(),
            });
        }
    };
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if c == '\\' {
            let mut chars = rest.chars();
            chars.next();
            if let Some(next) = chars.next().filter(|n| n.is_ascii_punctuation()) {
                plain.push(next);
                rest = chars.as_str();
                continue;
            }
        }
        if c == '`' && !absent.contains(&"`") {
            if let Some(end) = rest[1..].find('`') {
                flush(&mut plain, &mut runs);
                let mut m = marks.clone();
                m.insert("code".into(), json!({}));
                runs.push(Run {
                    text: rest[1..1 + end].to_owned(),
                    marks: m,
                });
                rest = &rest[2 + end..];
                continue;
            }
            absent.push("`");
        }
        if c == '[' && !absent.contains(&"](") {
            match rest.find("](") {
                None => absent.push("]("),
                Some(close) => {
                    if let Some(end) = rest[close + 2..].find(')') {
                        let label = &rest[1..close];
                        let href = &rest[close + 2..close + 2 + end];
                        flush(&mut plain, &mut runs);
                        let mut m = marks.clone();
                        m.insert("link".into(), json!({ "href": href.trim() }));
                        runs.extend(inline_with(label, &m, depth + 1));
                        rest = &rest[close + 3 + end..];
                        continue;
                    }
                }
            }
        }
        let mut matched = false;
        for (delimiter, mark) in [
            ("**", "bold"),
            ("__", "bold"),
            ("~~", "strike"),
            ("<u>", "underline"),
            ("*", "italic"),
            ("_", "italic"),
        ] {
            if !rest.starts_with(delimiter) {
                continue;
            }
            let closing = if delimiter == "<u>" {
                "</u>"
            } else {
                delimiter
            };
            let after = &rest[delimiter.len()..];
            if after.starts_with(char::is_whitespace) || absent.contains(&closing) {
                continue;
            }
            let found = after.find(closing);
            if found.is_none() {
                absent.push(closing);
            }
            if let Some(end) = found.filter(|e| *e > 0) {
                flush(&mut plain, &mut runs);
                let mut m = marks.clone();
                m.insert(mark.into(), json!({}));
                runs.extend(inline_with(&after[..end], &m, depth + 1));
                rest = &after[end + closing.len()..];
                matched = true;
                break;
            }
        }
        if matched {
            continue;
        }
        plain.push(c);
        rest = &rest[c.len_utf8()..];
    }
    flush(&mut plain, &mut runs);
    runs
}
