use super::{decode_words, OutboxEmail};

#[test]
fn encoded_words_are_decoded_and_joined() {
    assert_eq!(
        decode_words("[Maille] Nouvelle demande de =?utf-8?b?Y29tcHRlwqA6?= bob"),
        "[Maille] Nouvelle demande de compte\u{a0}: bob"
    );
    // Two adjacent encoded words: the space between them is not part of the text.
    assert_eq!(decode_words("=?utf-8?b?w6k=?= =?utf-8?b?w6k=?= x"), "éé x");
    assert_eq!(
        decode_words("=?UTF-8?Q?caf=C3=A9_cr=C3=A8me?="),
        "café crème"
    );
    assert_eq!(decode_words("plain  words"), "plain  words");
}

#[test]
fn a_single_part_message_is_read() {
    let raw = b"To: a@example.org\r\nSubject: Hi\r\nContent-Type: text/plain; charset=utf-8\r\n\
                Content-Transfer-Encoding: quoted-printable\r\n\r\ncaf=C3=A9 https://x.example/=\r\nlink\r\n";
    let email = OutboxEmail::parse(raw).unwrap();
    assert_eq!(email.to(), Some("a@example.org"));
    assert_eq!(email.subject(), Some("Hi"));
    assert_eq!(email.content_type(), "text/plain");
    assert_eq!(email.text(), "café https://x.example/link\n");
    assert_eq!(email.links(), vec!["https://x.example/link"]);
}

#[test]
fn a_multipart_message_with_base64_is_read() {
    let raw = "Subject: x\nContent-Type: multipart/alternative;\n boundary=\"b1\"\n\n\
               --b1\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\n\
               aMOp\nbGxv\n\
               --b1\nContent-Type: text/html\n\n<p>hi</p>\n--b1--\n";
    let email = OutboxEmail::parse(raw.as_bytes()).unwrap();
    assert_eq!(email.content_type(), "multipart/alternative");
    assert_eq!(email.text(), "héllo");
    assert_eq!(email.html(), "<p>hi</p>");
}

#[test]
fn garbage_is_refused() {
    assert!(OutboxEmail::parse(b"no headers at all").is_err());
    assert!(OutboxEmail::parse(b"Content-Type: multipart/mixed\n\nbody").is_err());
    assert!(
        OutboxEmail::parse(b"Content-Type: multipart/mixed; boundary=z\n\n--z\nx\n\nbody\n")
            .is_err()
    );
}
