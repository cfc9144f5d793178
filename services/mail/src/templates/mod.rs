//! The words of each email, in each language, and their two renderings: text/plain and
//! text/html.
//!
//! A language module turns an [`Email`] into a [`Letter`]: a subject and a list of plain-text
//! blocks. The renderers then lay the letter out; the HTML one escapes every piece of text, so
//! no value from a user can inject markup.

mod en;
mod fr;
mod html;
mod text;

#[cfg(test)]
mod tests;

use maille_config::Language;

use crate::Email;

/// An email ready to be put into a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rendered {
    /// The subject, on one line, with the instance's name.
    pub(crate) subject: String,
    /// The text/plain alternative.
    pub(crate) text: String,
    /// The text/html alternative.
    pub(crate) html: String,
}

/// Renders `email` in `language` for the instance called `instance_name`.
pub(crate) fn render(email: &Email, language: Language, instance_name: &str) -> Rendered {
    let letter = match language {
        Language::Fr => fr::letter(email, instance_name),
        Language::En => en::letter(email, instance_name),
    };
    Rendered {
        subject: one_line(&format!("[{instance_name}] {}", letter.subject)),
        text: text::render(&letter),
        html: html::render(&letter),
    }
}

/// What an email says, in one language, before layout. Every string is plain text.
#[derive(Debug, Clone)]
struct Letter {
    /// The language it is written in (the HTML document's `lang`).
    language: Language,
    /// The subject, without the instance prefix.
    subject: String,
    /// "Hello Alice," and the like.
    greeting: String,
    /// The body, in order.
    blocks: Vec<Block>,
    /// Said under each button in HTML, before the link written out in full.
    button_fallback: &'static str,
    /// The closing line, with the instance's name.
    signature: String,
    /// A small print line saying the email was sent automatically.
    notice: String,
}

/// A piece of an email's body.
#[derive(Debug, Clone)]
enum Block {
    /// A paragraph of text.
    Paragraph(String),
    /// A link to follow: a button in HTML, the bare link in text.
    Action {
        /// The button's label.
        label: String,
        /// Where it leads.
        link: String,
    },
    /// Words quoted from someone, kept line by line.
    Quote(String),
}

fn paragraph(text: impl Into<String>) -> Block {
    Block::Paragraph(text.into())
}

fn action(label: impl Into<String>, link: &str) -> Block {
    Block::Action {
        label: label.into(),
        link: link.to_owned(),
    }
}

/// Replaces control characters (line breaks above all) so that a subject stays one header
/// line, whatever a user put in a space's or a person's name.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Quotes `text`, or says `when_empty` when there is nothing to quote.
fn quote_or(text: &str, when_empty: &str) -> Block {
    match text.trim() {
        "" => paragraph(when_empty),
        text => Block::Quote(text.to_owned()),
    }
}
