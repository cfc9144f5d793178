use std::collections::BTreeMap;

use serde_json::json;
use yrs::Doc;

use super::*;

fn sample() -> Vec<Node> {
    parse_markdown(
        "# Minutes\n\nHello **world** and _you_, see [the site](https://example.org).\n\n\
         - one\n- two\n\n1. first\n2. second\n\n- [x] done\n- [ ] todo\n\n> quoted\n\n\
         ```rust\nfn main() {}\n```\n\n---\n\n| a | b |\n| --- | --- |\n| 1 | 2 |\n",
    )
}

#[test]
fn markdown_becomes_the_editor_s_nodes() {
    let nodes = sample();
    let tags: Vec<&str> = nodes
        .iter()
        .map(|n| match n {
            Node::Element { tag, .. } => tag.as_str(),
            Node::Text(_) => "text",
        })
        .collect();
    assert_eq!(
        tags,
        [
            "heading",
            "paragraph",
            "bulletList",
            "orderedList",
            "taskList",
            "blockquote",
            "codeBlock",
            "horizontalRule",
            "table"
        ]
    );
    let Node::Element { children, .. } = &nodes[1] else {
        panic!()
    };
    let Node::Text(runs) = &children[0] else {
        panic!()
    };
    assert_eq!(runs[1].text, "world");
    assert_eq!(runs[1].marks.get("bold"), Some(&json!({})));
    let link = runs.iter().find(|r| r.marks.contains_key("link")).unwrap();
    assert_eq!(link.marks["link"], json!({"href": "https://example.org"}));
}

#[test]
fn markdown_round_trips_through_a_yjs_document() {
    let nodes = sample();
    let doc = Doc::new();
    replace(&doc, &nodes);
    let read_back = read(&doc);
    assert_eq!(read_back, nodes);
    let markdown = render(&read_back, Format::Markdown);
    assert_eq!(parse_markdown(&markdown), nodes, "{markdown}");
    assert!(markdown.starts_with("# Minutes\n\nHello **world** and _you_"));
    assert!(markdown.contains("- [x] done\n- [ ] todo"));
    assert!(markdown.contains("| a | b |\n| --- | --- |\n| 1 | 2 |"));
}

#[test]
fn text_and_html_renderings() {
    let nodes = sample();
    let text = render(&nodes, Format::Text);
    assert!(text.starts_with("Minutes\n\nHello world and you, see the site.\n"));
    assert!(text.contains("[x] done"));
    let html = render(&nodes, Format::Html);
    assert!(html.starts_with("<h1>Minutes</h1>\n<p>Hello <strong>world</strong>"));
    assert!(html.contains("<a href=\"https://example.org\">the site</a>"));
    assert!(html.contains("<input type=\"checkbox\" disabled checked> done"));
}

#[test]
fn html_is_escaped_and_script_links_dropped() {
    let mut marks = BTreeMap::new();
    marks.insert("link".to_owned(), json!({"href": "javascript:alert(1)"}));
    let nodes = vec![Node::element(
        "paragraph",
        vec![Node::Text(vec![
            Run {
                text: "<script>".into(),
                marks: BTreeMap::new(),
            },
            Run {
                text: "click".into(),
                marks,
            },
        ])],
    )];
    assert_eq!(render(&nodes, Format::Html), "<p>&lt;script&gt;click</p>");
}

#[test]
fn plain_text_is_one_paragraph_per_line() {
    let nodes = parse_text("one\n\ntwo\n");
    assert_eq!(nodes.len(), 3);
    assert_eq!(render(&nodes, Format::Text), "one\n\n\n\ntwo\n");
}

#[test]
fn hostile_markdown_stays_cheap_and_shallow() {
    let deep = format!("{}x{}", "[".repeat(50_000), "](y)");
    let _ = parse_markdown(&deep);
    let stars = "*a ".repeat(20_000);
    let _ = parse_markdown(&stars);
}
