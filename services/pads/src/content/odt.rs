//! A pad's content as an OpenDocument text (`.odt`): the smallest valid package (`mimetype`
//! stored first, the manifest, `content.xml`, `styles.xml`, `meta.xml`), with named styles
//! for headings, quotes, code, and bold, italic, underlined, struck and code text, so that
//! LibreOffice and others show it as the editor did.

use super::zip::{Method, ZipWriter};
use super::{Node, Run};

const MEDIA_TYPE: &str = "application/vnd.oasis.opendocument.text";

const NAMESPACES: &str = concat!(
    r#"xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" "#,
    r#"xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" "#,
    r#"xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" "#,
    r#"xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" "#,
    r#"xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" "#,
    r#"xmlns:xlink="http://www.w3.org/1999/xlink" "#,
    r#"xmlns:dc="http://purl.org/dc/elements/1.1/" "#,
    r#"xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" "#,
    r#"xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" "#,
    r#"office:version="1.3""#
);

const MANIFEST: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">
 <manifest:file-entry manifest:full-path="/" manifest:version="1.3" manifest:media-type="application/vnd.oasis.opendocument.text"/>
 <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
 <manifest:file-entry manifest:full-path="styles.xml" manifest:media-type="text/xml"/>
 <manifest:file-entry manifest:full-path="meta.xml" manifest:media-type="text/xml"/>
</manifest:manifest>
"#;

/// The named styles the content refers to.
fn styles() -> String {
    let mut headings = String::new();
    for level in 1..=6 {
        let size = [170, 150, 130, 115, 105, 100][level - 1];
        headings.push_str(&format!(
            r#"<style:style style:name="Heading_20_{level}" style:display-name="Heading {level}" style:family="paragraph" style:parent-style-name="Heading" style:next-style-name="Text_20_body" style:default-outline-level="{level}"><style:text-properties fo:font-size="{size}%" fo:font-weight="bold"/></style:style>"#
        ));
    }
    format!(
        r##"<?xml version="1.0" encoding="UTF-8"?>
<office:document-styles {NAMESPACES}><office:styles>
<style:default-style style:family="paragraph"><style:paragraph-properties fo:margin-bottom="0.2cm"/></style:default-style>
<style:style style:name="Standard" style:family="paragraph"/>
<style:style style:name="Text_20_body" style:display-name="Text body" style:family="paragraph" style:parent-style-name="Standard"/>
<style:style style:name="Heading" style:family="paragraph" style:parent-style-name="Standard" style:next-style-name="Text_20_body"><style:paragraph-properties fo:margin-top="0.42cm" fo:keep-with-next="always"/></style:style>
{headings}
<style:style style:name="Quotations" style:family="paragraph" style:parent-style-name="Standard"><style:paragraph-properties fo:margin-left="1cm" fo:padding-left="0.2cm" fo:border-left="0.06cm solid #999999"/><style:text-properties fo:font-style="italic"/></style:style>
<style:style style:name="Preformatted_20_Text" style:display-name="Preformatted Text" style:family="paragraph" style:parent-style-name="Standard"><style:paragraph-properties fo:margin-bottom="0cm" fo:background-color="#f2f2f2"/><style:text-properties style:font-name="monospace" fo:font-family="monospace" style:font-family-generic="modern"/></style:style>
<style:style style:name="Horizontal_20_Line" style:display-name="Horizontal Line" style:family="paragraph" style:parent-style-name="Standard"><style:paragraph-properties fo:border-bottom="0.02cm solid #808080"/></style:style>
<style:style style:name="Table_20_Contents" style:display-name="Table Contents" style:family="paragraph" style:parent-style-name="Standard"/>
<style:style style:name="Table_20_Heading" style:display-name="Table Heading" style:family="paragraph" style:parent-style-name="Table_20_Contents"><style:text-properties fo:font-weight="bold"/></style:style>
<style:style style:name="Bold" style:family="text"><style:text-properties fo:font-weight="bold"/></style:style>
<style:style style:name="Italic" style:family="text"><style:text-properties fo:font-style="italic"/></style:style>
<style:style style:name="Underline" style:family="text"><style:text-properties style:text-underline-style="solid" style:text-underline-width="auto" style:text-underline-color="font-color"/></style:style>
<style:style style:name="Strike" style:family="text"><style:text-properties style:text-line-through-style="solid" style:text-line-through-type="single"/></style:style>
<style:style style:name="Source_20_Text" style:display-name="Source Text" style:family="text"><style:text-properties style:font-name="monospace" fo:font-family="monospace" style:font-family-generic="modern"/></style:style>
<text:list-style style:name="Bullets">{bullets}</text:list-style>
<text:list-style style:name="Numbers">{numbers}</text:list-style>
</office:styles></office:document-styles>
"##,
        bullets = (1..=10)
            .map(|l| format!(
                r#"<text:list-level-style-bullet text:level="{l}" text:bullet-char="•"><style:list-level-properties text:list-level-position-and-space-mode="label-alignment"><style:list-level-label-alignment text:label-followed-by="listtab" text:list-tab-stop-position="{p}cm" fo:text-indent="-0.6cm" fo:margin-left="{p}cm"/></style:list-level-properties></text:list-level-style-bullet>"#,
                p = f64::from(l) * 0.6 + 0.3
            ))
            .collect::<String>(),
        numbers = (1..=10)
            .map(|l| format!(
                r#"<text:list-level-style-number text:level="{l}" style:num-suffix="." style:num-format="1"><style:list-level-properties text:list-level-position-and-space-mode="label-alignment"><style:list-level-label-alignment text:label-followed-by="listtab" text:list-tab-stop-position="{p}cm" fo:text-indent="-0.6cm" fo:margin-left="{p}cm"/></style:list-level-properties></text:list-level-style-number>"#,
                p = f64::from(l) * 0.6 + 0.3
            ))
            .collect::<String>(),
    )
}

fn meta(title: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-meta {NAMESPACES}><office:meta><meta:generator>Maille</meta:generator><dc:title>{}</dc:title></office:meta></office:document-meta>
"#,
        escape(title)
    )
}

/// Text escaped for XML, without the characters XML 1.0 forbids.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// Text as ODF keeps it: runs of spaces, tabs and line breaks become elements (ODF collapses
/// white space in plain character data).
fn text(out: &mut String, text: &str) {
    let mut spaces = 0usize;
    let flush = |out: &mut String, spaces: &mut usize| {
        match *spaces {
            0 => {}
            1 => out.push(' '),
            n => out.push_str(&format!(" <text:s text:c=\"{}\"/>", n - 1)),
        }
        *spaces = 0;
    };
    for c in text.chars() {
        match c {
            ' ' => spaces += 1,
            '\t' => {
                flush(out, &mut spaces);
                out.push_str("<text:tab/>");
            }
            '\n' => {
                flush(out, &mut spaces);
                out.push_str("<text:line-break/>");
            }
            c => {
                flush(out, &mut spaces);
                out.push_str(&escape(c.encode_utf8(&mut [0; 4])));
            }
        }
    }
    flush(out, &mut spaces);
}

fn run(out: &mut String, run: &Run) {
    let mut open = String::new();
    let mut close = String::new();
    if let Some(href) = run
        .marks
        .get("link")
        .and_then(|l| l.get("href"))
        .and_then(|h| h.as_str())
        .and_then(super::render::safe_href)
    {
        open.push_str(&format!(
            r#"<text:a xlink:type="simple" xlink:href="{}">"#,
            escape(href)
        ));
        close.insert_str(0, "</text:a>");
    }
    for (mark, style) in [
        ("bold", "Bold"),
        ("italic", "Italic"),
        ("underline", "Underline"),
        ("strike", "Strike"),
        ("code", "Source_20_Text"),
    ] {
        if run.marks.contains_key(mark) {
            open.push_str(&format!(r#"<text:span text:style-name="{style}">"#));
            close.insert_str(0, "</text:span>");
        }
    }
    out.push_str(&open);
    text(out, &run.text);
    out.push_str(&close);
}

/// The inline content of `nodes`: runs and line breaks (anything else by its text).
fn inline(out: &mut String, nodes: &[Node]) {
    for node in nodes {
        match node {
            Node::Text(runs) => runs.iter().for_each(|r| run(out, r)),
            Node::Element { tag, .. } if tag == "hardBreak" => out.push_str("<text:line-break/>"),
            Node::Element { children, .. } => inline(out, children),
        }
    }
}

fn paragraph(out: &mut String, style: &str, children: &[Node]) {
    out.push_str(&format!(r#"<text:p text:style-name="{style}">"#));
    inline(out, children);
    out.push_str("</text:p>");
}

fn tag_of(node: &Node) -> &str {
    match node {
        Node::Element { tag, .. } => tag,
        Node::Text(_) => "",
    }
}

fn children_of(node: &Node) -> &[Node] {
    match node {
        Node::Element { children, .. } => children,
        Node::Text(_) => &[],
    }
}

/// Where a block is: some places take only some blocks (a list item no table).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    Body,
    ListItem,
}

fn blocks(out: &mut String, nodes: &[Node], paragraph_style: &str, place: Place) {
    for node in nodes {
        let children = children_of(node);
        match tag_of(node) {
            "" => paragraph(out, paragraph_style, std::slice::from_ref(node)),
            "heading" if place == Place::Body && paragraph_style == "Text_20_body" => {
                let level = super::render::attr_u64(node, "level")
                    .unwrap_or(1)
                    .clamp(1, 6);
                out.push_str(&format!(
                    r#"<text:h text:style-name="Heading_20_{level}" text:outline-level="{level}">"#
                ));
                inline(out, children);
                out.push_str("</text:h>");
            }
            "bulletList" | "orderedList" | "taskList" => {
                let style = if tag_of(node) == "orderedList" {
                    "Numbers"
                } else {
                    "Bullets"
                };
                out.push_str(&format!(r#"<text:list text:style-name="{style}">"#));
                for item in children {
                    out.push_str("<text:list-item>");
                    let mut inner = children_of(item).to_vec();
                    if tag_of(item) == "taskItem" {
                        let mark = if super::render::attr_bool(item, "checked") {
                            "☑ "
                        } else {
                            "☐ "
                        };
                        prefix_first_paragraph(&mut inner, mark);
                    }
                    if inner.is_empty() {
                        out.push_str(r#"<text:p text:style-name="Text_20_body"/>"#);
                    }
                    blocks(out, &inner, paragraph_style, Place::ListItem);
                    out.push_str("</text:list-item>");
                }
                out.push_str("</text:list>");
            }
            "blockquote" => blocks(out, children, "Quotations", place),
            "codeBlock" => {
                let code = super::render::plain(children);
                for line in code.split('\n') {
                    out.push_str(r#"<text:p text:style-name="Preformatted_20_Text">"#);
                    text(out, line);
                    out.push_str("</text:p>");
                }
            }
            "horizontalRule" => out.push_str(r#"<text:p text:style-name="Horizontal_20_Line"/>"#),
            "table" if place == Place::Body => table(out, node),
            // A heading or a table where ODF allows none, and unknown blocks: their text.
            _ => {
                if children
                    .iter()
                    .any(|c| matches!(c, Node::Element { tag, .. } if is_block(tag)))
                {
                    blocks(out, children, paragraph_style, place);
                } else {
                    paragraph(out, paragraph_style, children);
                }
            }
        }
    }
}

fn is_block(tag: &str) -> bool {
    matches!(
        tag,
        "paragraph"
            | "heading"
            | "bulletList"
            | "orderedList"
            | "taskList"
            | "blockquote"
            | "codeBlock"
            | "horizontalRule"
            | "table"
            | "tableRow"
            | "tableCell"
            | "tableHeader"
            | "listItem"
            | "taskItem"
    )
}

/// Puts `mark` before the first text of the first paragraph of `nodes` (a task's box).
fn prefix_first_paragraph(nodes: &mut Vec<Node>, mark: &str) {
    let text = Node::text(mark);
    match nodes.first_mut() {
        Some(Node::Element { tag, children, .. }) if tag == "paragraph" => {
            children.insert(0, text);
        }
        _ => nodes.insert(0, Node::element("paragraph", vec![text])),
    }
}

fn table(out: &mut String, node: &Node) {
    let rows = children_of(node);
    let columns = rows
        .iter()
        .map(|r| children_of(r).len())
        .max()
        .unwrap_or(0)
        .max(1);
    out.push_str(r#"<table:table table:name="Table">"#);
    out.push_str(&format!(
        r#"<table:table-column table:number-columns-repeated="{columns}"/>"#
    ));
    for row in rows {
        out.push_str("<table:table-row>");
        let cells = children_of(row);
        for cell in cells {
            let style = if tag_of(cell) == "tableHeader" {
                "Table_20_Heading"
            } else {
                "Table_20_Contents"
            };
            out.push_str(r#"<table:table-cell office:value-type="string">"#);
            let inner = children_of(cell);
            if inner.is_empty() {
                out.push_str(&format!(r#"<text:p text:style-name="{style}"/>"#));
            }
            blocks(out, inner, style, Place::ListItem);
            out.push_str("</table:table-cell>");
        }
        // Every row has every column.
        for _ in cells.len()..columns {
            out.push_str("<table:table-cell/>");
        }
        out.push_str("</table:table-row>");
    }
    out.push_str("</table:table>");
}

/// The `content.xml` of `nodes`.
pub fn content(nodes: &[Node]) -> String {
    let mut body = String::new();
    blocks(&mut body, nodes, "Text_20_body", Place::Body);
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content {NAMESPACES}><office:body><office:text>{body}</office:text></office:body></office:document-content>
"#
    )
}

/// `nodes` as an OpenDocument text titled `title`.
pub fn odt(nodes: &[Node], title: &str) -> std::io::Result<Vec<u8>> {
    let mut zip = ZipWriter::default();
    // First, and stored: it is how a file is recognised as OpenDocument.
    zip.add("mimetype", MEDIA_TYPE.as_bytes(), Method::Stored)?;
    zip.add(
        "META-INF/manifest.xml",
        MANIFEST.as_bytes(),
        Method::Deflated,
    )?;
    zip.add("content.xml", content(nodes).as_bytes(), Method::Deflated)?;
    zip.add("styles.xml", styles().as_bytes(), Method::Deflated)?;
    zip.add("meta.xml", meta(title).as_bytes(), Method::Deflated)?;
    zip.finish()
}

#[cfg(test)]
#[path = "odt_tests.rs"]
mod tests;
