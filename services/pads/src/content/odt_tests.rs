use std::io::Write as _;

use serde_json::Value;

use super::*;
use crate::content::parse_markdown;

/// Reads the package with Python's own `zipfile` and XML parser (an independent reader):
/// the entries in order, whether `mimetype` is stored, and what the content holds.
fn inspect(package: &[u8]) -> Value {
    let mut file = tempfile_path();
    file.1.write_all(package).unwrap();
    drop(file.1);
    let script = r#"
import json, sys, zipfile, xml.etree.ElementTree as ET
z = zipfile.ZipFile(sys.argv[1])
assert z.testzip() is None
infos = z.infolist()
ns = {"text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
      "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
      "xlink": "http://www.w3.org/1999/xlink",
      "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0"}
docs = {i.filename: ET.fromstring(z.read(i.filename)) for i in infos if i.filename.endswith(".xml")}
content = docs["content.xml"]
T = "{%s}" % ns["text"]
def texts(xpath):
    return ["".join(e.itertext()) for e in content.iterfind(xpath, ns)]
spans = {}
for e in content.iterfind(".//text:span", ns):
    spans.setdefault(e.get(T + "style-name"), []).append("".join(e.itertext()))
styles = [e.get("{%s}name" % ns["style"]) for e in docs["styles.xml"].iter()
          if e.get("{%s}name" % ns["style"])]
print(json.dumps({
    "entries": [i.filename for i in infos],
    "mimetype_stored": infos[0].compress_type == zipfile.ZIP_STORED and infos[0].extra == b"",
    "mimetype": z.read("mimetype").decode(),
    "headings": [[e.get(T + "outline-level"), "".join(e.itertext())] for e in content.iterfind(".//text:h", ns)],
    "spans": spans,
    "links": [[e.get("{%s}href" % ns["xlink"]), "".join(e.itertext())] for e in content.iterfind(".//text:a", ns)],
    "list_items": texts(".//text:list-item"),
    "lists": [e.get(T + "style-name") for e in content.iterfind(".//text:list", ns)],
    "quotes": texts(".//text:p[@text:style-name='Quotations']"),
    "code": texts(".//text:p[@text:style-name='Preformatted_20_Text']"),
    "cells": texts(".//table:table-cell"),
    "styles": styles,
    "title": "".join(docs["meta.xml"].itertext()),
}))
"#;
    let output = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&file.0)
        .output()
        .expect("python3 runs");
    let _ = std::fs::remove_file(&file.0);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn tempfile_path() -> (std::path::PathBuf, std::fs::File) {
    let path = std::env::temp_dir().join(format!(
        "maille-odt-{}-{}.odt",
        std::process::id(),
        rand::random::<u64>()
    ));
    let file = std::fs::File::create(&path).unwrap();
    (path, file)
}

#[test]
fn a_pad_becomes_a_valid_opendocument_text() {
    let nodes = parse_markdown(
        "## Minutes & <notes>\n\nHello **bold** _it_ <u>under</u> ~~gone~~ `code` \
         [site](https://example.org) [bad](javascript:alert(1))\n\n\
         - one\n- two\n  - nested\n\n1. first\n\n- [x] done\n\n> quoted\n\n\
         ```\nfn  main() {\n\tx\n}\n```\n\n---\n\n| a | b |\n| --- | --- |\n| 1 | 2 |\n",
    );
    let package = odt(&nodes, "Board \"minutes\"").unwrap();
    // The signature an OpenDocument reader looks for, at a fixed offset.
    assert_eq!(&package[30..38], b"mimetype");
    assert_eq!(&package[38..38 + MEDIA_TYPE.len()], MEDIA_TYPE.as_bytes());
    let seen = inspect(&package);
    assert_eq!(
        seen["entries"],
        serde_json::json!([
            "mimetype",
            "META-INF/manifest.xml",
            "content.xml",
            "styles.xml",
            "meta.xml"
        ])
    );
    assert_eq!(seen["mimetype_stored"], true);
    assert_eq!(seen["mimetype"], MEDIA_TYPE);
    assert_eq!(seen["title"], "MailleBoard \"minutes\"");
    assert_eq!(
        seen["headings"],
        serde_json::json!([["2", "Minutes & <notes>"]])
    );
    for (style, text) in [
        ("Bold", "bold"),
        ("Italic", "it"),
        ("Underline", "under"),
        ("Strike", "gone"),
        ("Source_20_Text", "code"),
    ] {
        assert_eq!(
            seen["spans"][style],
            serde_json::json!([text]),
            "{style}: {seen}"
        );
    }
    // A link that could run script is kept as text, not as a link.
    assert_eq!(
        seen["links"],
        serde_json::json!([["https://example.org", "site"]])
    );
    let items: Vec<&str> = seen["list_items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(items.contains(&"nested"), "{items:?}");
    assert!(items.contains(&"☑ done"), "{items:?}");
    assert!(seen["lists"]
        .as_array()
        .unwrap()
        .contains(&"Numbers".into()));
    assert_eq!(seen["quotes"], serde_json::json!(["quoted"]));
    // Runs of spaces and tabs are kept as ODF elements, which itertext does not expand.
    assert_eq!(seen["code"][0], "fn main() {");
    assert_eq!(seen["cells"], serde_json::json!(["a", "b", "1", "2"]));
    // Every style the content names is defined.
    let styles: Vec<&str> = seen["styles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let content = content(&nodes);
    for used in content.split("style-name=\"").skip(1) {
        let name = used.split('"').next().unwrap();
        assert!(styles.contains(&name), "style {name} is not defined");
    }
}

#[test]
fn white_space_and_forbidden_characters() {
    let mut out = String::new();
    text(&mut out, "a  b\tc\nd \u{1}e");
    assert_eq!(
        out,
        "a <text:s text:c=\"1\"/>b<text:tab/>c<text:line-break/>d e"
    );
    // An empty pad is still a valid document.
    let seen = inspect(&odt(&[], "").unwrap());
    assert_eq!(seen["headings"], serde_json::json!([]));
}
