//! HTML to plain text, for what the feed shows: received content is never shown as HTML.

/// The text of an HTML fragment: tags dropped, paragraphs and line breaks as spaces, the
/// common entities decoded, runs of white space folded.
pub fn plain(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        text.push_str(&rest[..start]);
        match rest[start..].find('>') {
            Some(end) => {
                let tag = rest[start + 1..start + end].to_ascii_lowercase();
                if tag.starts_with("br") || tag.starts_with("/p") || tag.starts_with("p") {
                    text.push(' ');
                }
                rest = &rest[start + end + 1..];
            }
            None => {
                rest = "";
            }
        }
    }
    text.push_str(rest);
    let decoded = decode(&text);
    decoded.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn decode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('&') {
        out.push_str(&rest[..start]);
        let after = &rest[start..];
        let end = after.find(';').filter(|e| *e <= 10);
        let Some(end) = end else {
            out.push('&');
            rest = &after[1..];
            continue;
        };
        let entity = &after[1..end];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "nbsp" => Some(' '),
            _ => entity
                .strip_prefix("#x")
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &after[end + 1..];
            }
            None => {
                out.push('&');
                rest = &after[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::plain;

    #[test]
    fn markup_goes_and_text_stays() {
        assert_eq!(
            plain("<p>Hello <a href=\"x\">@bob</a></p><p>Tom &amp; Jerry&#39;s &lt;b&gt;</p>"),
            "Hello @bob Tom & Jerry's <b>"
        );
        assert_eq!(plain("a<br/>b & c &bogus; <unclosed"), "a b & c &bogus;");
        assert_eq!(plain("<script>x</script>"), "x");
    }
}
