//! Text helpers every module may use: a byte order mark dropped, a received value bounded.

use std::borrow::Cow;

/// Text with a leading UTF-8 byte order mark removed (Notepad saves UTF-8 with one): every
/// place JSON text comes in goes through this.
pub fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{FEFF}').unwrap_or(text)
}

/// At most `max` bytes of a received value, cut at a character boundary and marked with the
/// size left out: what a receiver logs or echoes of a push stays small whatever was sent.
pub fn bounded(text: &str, max: usize) -> Cow<'_, str> {
    if text.len() <= max {
        return Cow::Borrowed(text);
    }
    let mut cut = max;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    Cow::Owned(format!(
        "{}...({} more bytes)",
        &text[..cut],
        text.len() - cut
    ))
}
