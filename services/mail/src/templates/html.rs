//! The text/html rendering: a small document with inline styles (mail readers drop `<style>`
//! blocks), every piece of text escaped.

use super::{Block, Letter};

const BODY: &str = "margin:0;padding:24px 12px;background:#f4f4f5;color:#1f2937;\
                    font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;\
                    font-size:16px;line-height:1.5";
const CARD: &str = "max-width:560px;margin:0 auto;padding:24px;background:#ffffff;\
                    border-radius:8px";
const BUTTON: &str = "display:inline-block;padding:10px 20px;background:#1d4ed8;color:#ffffff;\
                      text-decoration:none;border-radius:6px;font-weight:600";
const FALLBACK: &str = "margin:0 0 16px;font-size:13px;color:#4b5563";
const LINK: &str = "color:#1d4ed8;word-break:break-all";
const QUOTE: &str = "margin:0 0 16px;padding:8px 12px;border-left:3px solid #d1d5db;\
                     color:#374151;white-space:pre-wrap";
const NOTICE: &str = "margin:24px 0 0;font-size:12px;color:#6b7280";

/// Lays `letter` out as an HTML document.
pub(super) fn render(letter: &Letter) -> String {
    let mut body = String::new();
    paragraph(&mut body, &letter.greeting);
    for block in &letter.blocks {
        match block {
            Block::Paragraph(text) => paragraph(&mut body, text),
            Block::Action { label, link } => {
                let link = escape(link);
                body.push_str(&format!(
                    "<p style=\"margin:24px 0\"><a href=\"{link}\" style=\"{BUTTON}\">{}</a></p>\n\
                     <p style=\"{FALLBACK}\">{}<br><a href=\"{link}\" style=\"{LINK}\">{link}</a></p>\n",
                    escape(label),
                    escape(letter.button_fallback),
                ));
            }
            Block::Quote(text) => {
                body.push_str(&format!(
                    "<blockquote style=\"{QUOTE}\">{}</blockquote>\n",
                    escape(text)
                ));
            }
        }
    }
    paragraph(&mut body, &letter.signature);
    body.push_str(&format!(
        "<p style=\"{NOTICE}\">{}</p>\n",
        escape(&letter.notice)
    ));

    format!(
        "<!DOCTYPE html>\n\
         <html lang=\"{lang}\">\n\
         <head>\n\
         <meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n\
         </head>\n\
         <body style=\"{BODY}\">\n\
         <div style=\"{CARD}\">\n\
         {body}\
         </div>\n\
         </body>\n\
         </html>\n",
        lang = letter.language.code(),
        title = escape(&letter.subject),
    )
}

fn paragraph(out: &mut String, text: &str) {
    out.push_str(&format!(
        "<p style=\"margin:0 0 16px\">{}</p>\n",
        escape(text)
    ));
}

/// Escapes text for HTML content and double-quoted attribute values.
pub(super) fn escape(text: &str) -> String {
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
