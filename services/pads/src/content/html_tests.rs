use serde_json::json;

use super::*;
use crate::content::{parse_markdown, render, Format};

fn runs(node: &Node) -> Vec<(String, Vec<String>)> {
    let Node::Element { children, .. } = node else {
        panic!("{node:?}")
    };
    children
        .iter()
        .flat_map(|c| match c {
            Node::Text(runs) => runs
                .iter()
                .map(|r| (r.text.clone(), r.marks.keys().cloned().collect()))
                .collect(),
            Node::Element { tag, .. } => vec![(format!("<{tag}>"), vec![])],
        })
        .collect()
}

fn all_text(nodes: &[Node]) -> String {
    render(nodes, Format::Text)
}

#[test]
fn the_editor_s_elements_are_read() {
    let nodes = parse_html(
        "<!DOCTYPE html><html><head><title>T</title><meta charset=utf-8></head><body>\
         <h2>Minutes &amp; notes</h2>\
         <p>Hello <strong>bold</strong> <em>it</em> <u>under</u> <s>gone</s> <code>x&lt;y</code>\n   \
         <a href=\"https://example.org/?a=1&amp;b=2\">site</a><br>next line</p>\
         <ul><li>one<ul><li>nested</li></ul></li><li><p>two</p></ul>\
         <ol><li>first</ol>\
         <ul data-type=\"taskList\"><li data-checked=\"true\"><label><input type=\"checkbox\" checked></label><div><p>done</p></div></li>\
         <li data-checked=\"false\"><p>todo</p></li></ul>\
         <blockquote><p>quoted</p></blockquote>\
         <pre><code class=\"language-rust\">fn  main() {\n    x\n}</code></pre><hr>\
         <table><thead><tr><th>a<th>b</thead><tbody><tr><td>1<td>2</tbody></table>\
         </body></html>",
    );
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
    let Node::Element { attrs, .. } = &nodes[0] else {
        panic!()
    };
    assert_eq!(attrs["level"], json!(2));
    assert_eq!(runs(&nodes[0]), [("Minutes & notes".to_owned(), vec![])]);
    let paragraph = runs(&nodes[1]);
    let find = |text: &str| {
        paragraph
            .iter()
            .find(|(t, _)| t == text)
            .unwrap_or_else(|| panic!("{text} in {paragraph:?}"))
            .1
            .clone()
    };
    assert_eq!(find("bold"), ["bold"]);
    assert_eq!(find("it"), ["italic"]);
    assert_eq!(find("under"), ["underline"]);
    assert_eq!(find("gone"), ["strike"]);
    assert_eq!(find("x<y"), ["code"]);
    assert_eq!(find("site"), ["link"]);
    assert_eq!(find("<hardBreak>"), Vec::<String>::new());
    // White space is collapsed as a browser shows it.
    assert_eq!(paragraph[0].0, "Hello ");
    assert!(paragraph.iter().any(|(t, _)| t == " "), "{paragraph:?}");
    let text = all_text(&nodes);
    assert!(text.contains("- one\n  - nested\n- two"), "{text}");
    assert!(text.contains("[x] done\n[ ] todo"), "{text}");
    assert!(text.contains("fn  main() {\n    x\n}"), "{text}");
    let Node::Element { attrs, .. } = &nodes[6] else {
        panic!()
    };
    assert_eq!(attrs["language"], json!("rust"));
    let markdown = render(&nodes, Format::Markdown);
    assert!(
        markdown.contains("| a | b |\n| --- | --- |\n| 1 | 2 |"),
        "{markdown}"
    );
    assert!(
        markdown.contains("[site](https://example.org/?a=1&b=2)"),
        "{markdown}"
    );
}

#[test]
fn what_the_html_export_writes_comes_back() {
    let nodes = parse_markdown(
        "# Title\n\nSome **bold** and _italic_ and [a link](https://example.org).\n\n\
         - one\n- two\n\n1. first\n2. second\n\n- [x] done\n- [ ] todo\n\n> quoted\n\n\
         ```\ncode\n```\n\n---\n\n| a | b |\n| --- | --- |\n| 1 | 2 |\n",
    );
    let html = render(&nodes, Format::Html);
    assert_eq!(parse_html(&html), nodes, "{html}");
}

#[test]
fn hostile_html_leaves_only_text() {
    let hostile = [
        "<script>alert(1)</script><p onclick=\"steal()\" style=\"x\">Hi</p>",
        "<SCRIPT type=text/javascript>document.cookie</SCRIPT ><p>Hi</p>",
        "<p>Hi</p><script>var s = '</p><p>injected';</script>",
        "<style>p { background: url(javascript:alert(1)) }</style><p>Hi</p>",
        "<iframe src=\"https://evil.example\">fallback</iframe><p>Hi</p>",
        "<p>Hi<img src=x onerror=alert(1)></p>",
        "<svg><script>alert(1)</script><text>svg</text></svg><p>Hi</p>",
        "<!-- <script>alert(1)</script> --><p>Hi</p>",
        "<p>Hi</p><object data=x><embed src=y></object><template><p>t</p></template>",
        "<p>Hi</p><form><input value=secret><button>press</button><select><option>o</select></form>",
        "<p>Hi</p><script>never closed",
        "<p>Hi</p><noscript><p>ns</p></noscript><textarea><p>ta</p></textarea>",
        "<![CDATA[<script>x</script>]]><p>Hi</p>",
    ];
    for html in hostile {
        let nodes = parse_html(html);
        let text = all_text(&nodes);
        assert_eq!(text.trim(), "Hi", "{html} gave {text:?}");
        let exported = render(&nodes, Format::Html);
        assert_eq!(exported, "<p>Hi</p>", "{html}");
    }
}

#[test]
fn links_that_could_run_script_lose_their_link() {
    for href in [
        "javascript:alert(1)",
        " JaVaScRiPt:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:x",
        "java&#x09;script:alert(1)",
    ] {
        let nodes = parse_html(&format!(
            "<p><a href=\"{href}\" onmouseover=x>click</a></p>"
        ));
        assert_eq!(runs(&nodes[0]), [("click".to_owned(), vec![])], "{href}");
    }
    let nodes = parse_html("<p><a href=mailto:a@example.org>mail</a></p>");
    assert_eq!(runs(&nodes[0])[0].1, ["link"]);
}

#[test]
fn broken_and_deep_html_is_read_without_failing() {
    let deep = "<div><b>".repeat(20_000) + "deep" + &"</b></div>".repeat(20_000);
    assert_eq!(all_text(&parse_html(&deep)).trim(), "deep");
    let unclosed = "<ul><li><table><tr><td>x".repeat(2_000);
    assert!(all_text(&parse_html(&unclosed)).contains('x'));
    for garbage in [
        "",
        "<",
        "<<<>>>",
        "</p>",
        "<p",
        "<a href='",
        "<a href=\"x",
        "&",
        "&#;",
        "&#x110000;",
        "&#0;",
        "&#99999999999999999999;",
        "<p>é&eacute;</p>",
        "<\u{1F600}>",
        "<a =x>y</a>",
        "<p>a</td></tr></table></li></ul>b</p>",
    ] {
        let _ = parse_html(garbage);
    }
    assert_eq!(
        all_text(&parse_html("a &lt; b &#233; &#xE9; &nbsp;&unknown; &")).trim_end(),
        "a < b é é \u{a0}&unknown; &"
    );
}
