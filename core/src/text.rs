//! Text helpers every module may use: a byte order mark dropped, a received value bounded.

use std::borrow::Cow;

use crate::messages::{Lang, Msg, Text};

/// Text with a leading UTF-8 byte order mark removed (Notepad saves UTF-8 with one): every
/// place JSON text comes in goes through this.
pub fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{FEFF}').unwrap_or(text)
}

/// At most `max` bytes of a received value, cut at a character boundary and marked with the
/// size left out: what a receiver logs or echoes of a push stays small whatever was sent.
/// English; a message for people takes [`shown`], which says the size in its language.
pub fn bounded(text: &str, max: usize) -> Cow<'_, str> {
    match cut(text, max) {
        None => Cow::Borrowed(text),
        Some((head, left)) => Cow::Owned(Msg::MoreBytes.text(Lang::En, &[&head, &left])),
    }
}

/// [`bounded`] as part of a message: the size left out is said in the message's language.
pub fn shown(text: &str, max: usize) -> Text {
    match cut(text, max) {
        None => Text::Plain(text.to_string()),
        Some((head, left)) => Text::new(Msg::MoreBytes, &[&head, &left]),
    }
}

/// [`shown`] quoted and escaped (`"粤B1\n..."`), the way a received string is named.
pub fn shown_quoted(text: &str, max: usize) -> Text {
    match cut(text, max) {
        None => Text::Plain(format!("{:?}", text)),
        Some((head, left)) => Text::new(Msg::MoreBytes, &[&format_args!("{:?}", head), &left]),
    }
}

/// The first at most `max` bytes (at a character boundary) and the number of bytes after
/// them, or `None` when `text` fits.
fn cut(text: &str, max: usize) -> Option<(&str, usize)> {
    if text.len() <= max {
        return None;
    }
    let mut at = max;
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    Some((&text[..at], text.len() - at))
}
