//! The text/plain rendering: paragraphs separated by blank lines, links on their own line.

use super::{Block, Letter};

/// Lays `letter` out as plain text.
pub(super) fn render(letter: &Letter) -> String {
    let mut out = String::new();
    out.push_str(&letter.greeting);
    out.push_str("\n\n");
    for block in &letter.blocks {
        match block {
            Block::Paragraph(text) => out.push_str(text),
            Block::Action { link, .. } => out.push_str(link),
            Block::Quote(text) => {
                let quoted: Vec<String> = text.lines().map(|line| format!("> {line}")).collect();
                out.push_str(&quoted.join("\n"));
            }
        }
        out.push_str("\n\n");
    }
    out.push_str(&letter.signature);
    // "-- " is the signature separator mail readers recognise and dim.
    out.push_str("\n\n-- \n");
    out.push_str(&letter.notice);
    out.push('\n');
    out
}
