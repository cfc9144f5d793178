//! Reads back the emails written into the outbox, so that tests (and an admin without an SMTP
//! server) can see what was sent and follow its links.
//!
//! This is not a general MIME parser: it reads what lettre writes for Maille (headers perhaps
//! folded and RFC 2047-encoded, one multipart/alternative level, 7bit, quoted-printable or
//! base64 parts).

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use base64::Engine;

use crate::MailError;

/// Header names and values, in order, unfolded and decoded.
type Headers = Vec<(String, String)>;

/// An email read back from its raw form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEmail {
    headers: Headers,
    content_type: String,
    text: String,
    html: String,
}

impl OutboxEmail {
    /// Parses a message as Maille writes it.
    pub fn parse(raw: &[u8]) -> Result<OutboxEmail, MailError> {
        let raw = std::str::from_utf8(raw)
            .map_err(|_| MailError::Unreadable("not UTF-8".to_owned()))?
            .replace("\r\n", "\n");
        let (headers, body) = split_part(&raw)?;
        let content_type = header(&headers, "Content-Type").unwrap_or("text/plain");
        let media_type = media_type(content_type);
        let boundary = parameter(content_type, "boundary");
        let mut email = OutboxEmail {
            headers: Vec::new(),
            content_type: media_type,
            text: String::new(),
            html: String::new(),
        };
        if email.content_type.starts_with("multipart/") {
            let boundary = boundary
                .ok_or_else(|| MailError::Unreadable("multipart without a boundary".to_owned()))?;
            for part in multipart_parts(body, &boundary)? {
                let (part_headers, part_body) = split_part(part)?;
                email.add_part(&part_headers, part_body)?;
            }
        } else {
            email.add_part(&headers, body)?;
        }
        email.headers = headers;
        Ok(email)
    }

    /// The first header called `name` (case-insensitive), unfolded and decoded.
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }

    /// The `To` header.
    pub fn to(&self) -> Option<&str> {
        self.header("To")
    }

    /// The `Subject` header.
    pub fn subject(&self) -> Option<&str> {
        self.header("Subject")
    }

    /// The message's media type, lower-case and without parameters, e.g.
    /// `multipart/alternative`.
    pub fn content_type(&self) -> &str {
        &self.content_type
    }

    /// The decoded text/plain part (empty when there is none).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The decoded text/html part (empty when there is none).
    pub fn html(&self) -> &str {
        &self.html
    }

    /// The `http://` and `https://` links of the text part, in order.
    pub fn links(&self) -> Vec<&str> {
        self.text
            .split_whitespace()
            .filter(|word| word.starts_with("https://") || word.starts_with("http://"))
            .collect()
    }

    fn add_part(&mut self, headers: &[(String, String)], body: &str) -> Result<(), MailError> {
        let content_type = media_type(header(headers, "Content-Type").unwrap_or("text/plain"));
        let encoding = header(headers, "Content-Transfer-Encoding").unwrap_or("7bit");
        let decoded = decode_body(body, encoding)?;
        match content_type.as_str() {
            "text/plain" => self.text = decoded,
            "text/html" => self.html = decoded,
            _ => {}
        }
        Ok(())
    }
}

/// Reads every `.eml` file in `dir`, oldest first (as far as the file system's modification
/// times tell).
pub fn read_outbox(dir: &Path) -> Result<Vec<OutboxEmail>, MailError> {
    let io_error = |source| MailError::OutboxDir {
        path: dir.to_owned(),
        source,
    };
    let mut files: Vec<(SystemTime, PathBuf)> = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io_error)? {
        let path = entry.map_err(io_error)?.path();
        if path.extension().is_some_and(|extension| extension == "eml") {
            let modified = std::fs::metadata(&path)
                .and_then(|metadata| metadata.modified())
                .map_err(io_error)?;
            files.push((modified, path));
        }
    }
    files.sort();
    files
        .iter()
        .map(|(_, path)| {
            let raw = std::fs::read(path).map_err(io_error)?;
            OutboxEmail::parse(&raw)
                .map_err(|error| MailError::Unreadable(format!("{}: {error}", path.display())))
        })
        .collect()
}

/// Splits a message or part at its first blank line, and reads its headers.
fn split_part(raw: &str) -> Result<(Headers, &str), MailError> {
    let (head, body) = raw
        .split_once("\n\n")
        .ok_or_else(|| MailError::Unreadable("no blank line after the headers".to_owned()))?;
    let mut headers: Headers = Vec::new();
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            // A folded line continues the previous header.
            if let Some((_, value)) = headers.last_mut() {
                value.push_str(line);
            }
        } else if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        } else {
            return Err(MailError::Unreadable(format!(
                "not a header line: {line:?}"
            )));
        }
    }
    for (_, value) in &mut headers {
        *value = decode_words(value);
    }
    Ok((headers, body))
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(candidate, _)| candidate.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_str())
}

fn media_type(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

fn parameter(content_type: &str, name: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|parameter| {
        let (key, value) = parameter.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case(name)
            .then(|| value.trim().trim_matches('"').to_owned())
    })
}

fn multipart_parts<'a>(body: &'a str, boundary: &str) -> Result<Vec<&'a str>, MailError> {
    let delimiter = format!("--{boundary}");
    let end = format!("--{boundary}--");
    let mut parts = Vec::new();
    let mut current: Option<usize> = None;
    let mut offset = 0;
    for line in body.split_inclusive('\n') {
        let bare = line.trim_end();
        if bare == delimiter || bare == end {
            if let Some(start) = current {
                // The line break before a delimiter belongs to the delimiter.
                let part = &body[start..offset];
                parts.push(part.strip_suffix('\n').unwrap_or(part));
            }
            if bare == end {
                return Ok(parts);
            }
            current = Some(offset + line.len());
        }
        offset += line.len();
    }
    Err(MailError::Unreadable(
        "multipart without its closing delimiter".to_owned(),
    ))
}

fn decode_body(body: &str, encoding: &str) -> Result<String, MailError> {
    let bytes = match encoding.trim().to_ascii_lowercase().as_str() {
        "quoted-printable" => {
            quoted_printable::decode(body, quoted_printable::ParseMode::Robust)
                .map_err(|error| MailError::Unreadable(format!("quoted-printable: {error}")))?
        }
        "base64" => {
            let compact: String = body.split_whitespace().collect();
            base64::engine::general_purpose::STANDARD
                .decode(compact)
                .map_err(|error| MailError::Unreadable(format!("base64: {error}")))?
        }
        _ => body.as_bytes().to_vec(),
    };
    let text = String::from_utf8(bytes)
        .map_err(|_| MailError::Unreadable("part is not UTF-8".to_owned()))?;
    // Quoted-printable decoding writes line breaks as CRLF again.
    Ok(text.replace("\r\n", "\n"))
}

/// Decodes RFC 2047 encoded words (`=?utf-8?b?...?=`, `=?utf-8?q?...?=`); the white space
/// between two adjacent encoded words is dropped, as the RFC says.
fn decode_words(value: &str) -> String {
    let mut out = String::new();
    let mut pending_space = String::new();
    let mut encoded: Vec<u8> = Vec::new();
    for token in value.split_inclusive(char::is_whitespace) {
        let word = token.trim_end();
        let space = &token[word.len()..];
        match decode_word(word) {
            Some(bytes) => {
                if encoded.is_empty() {
                    out.push_str(&pending_space);
                }
                encoded.extend(bytes);
            }
            None => {
                out.push_str(&String::from_utf8_lossy(&encoded));
                encoded.clear();
                out.push_str(&pending_space);
                out.push_str(word);
            }
        }
        pending_space = space.to_owned();
    }
    out.push_str(&String::from_utf8_lossy(&encoded));
    out
}

fn decode_word(word: &str) -> Option<Vec<u8>> {
    let inner = word.strip_prefix("=?")?.strip_suffix("?=")?;
    let mut pieces = inner.splitn(3, '?');
    let charset = pieces.next()?;
    let encoding = pieces.next()?;
    let text = pieces.next()?;
    if !(charset.eq_ignore_ascii_case("utf-8") || charset.eq_ignore_ascii_case("us-ascii")) {
        return None;
    }
    match encoding {
        "b" | "B" => base64::engine::general_purpose::STANDARD.decode(text).ok(),
        "q" | "Q" => {
            let text = text.replace('_', " ");
            quoted_printable::decode(text, quoted_printable::ParseMode::Robust).ok()
        }
        _ => None,
    }
}

#[cfg(test)]
#[path = "outbox_tests.rs"]
mod tests;
