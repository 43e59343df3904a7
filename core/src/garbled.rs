//! Text that was damaged before it reached pyun, refused before it is sent: once the platform
//! has stored `��B12345` or `?B12345`, the record is matched to no vehicle and nothing tells
//! the lot why.
//!
//! - U+FFFD (`�`) in any field: bytes decoded in the wrong charset, typically a GBK ("ANSI")
//!   file read as UTF-8 (.NET `File.ReadAllText(path)` without an encoding, Python `open()` on
//!   a UTF-8 locale).
//! - `?` in a plate: a Chinese character lost on the way to a code page that cannot hold it
//!   (a VB6 or other ANSI program on a non-Chinese Windows).
//! - Latin-1 letters in a plate (`ç²¤B12345`): UTF-8 read as Windows-1252 / Latin-1.

use crate::error::{Problem, ProblemKind};
use crate::messages::{Msg, Text};

/// Adds a problem for each damaged field among `fields`.
pub(crate) fn problems(fields: &[(String, String)], problems: &mut Vec<Problem>) {
    for (field, value) in fields {
        if let Some(why) = damage(field, value) {
            problems.push(Problem {
                field: field.clone(),
                kind: ProblemKind::Invalid(why),
            });
        }
    }
}

fn damage(field: &str, value: &str) -> Option<Text> {
    if value.contains('\u{FFFD}') {
        return Some(Text::of(
            Msg::GarbledReplacement,
            vec![crate::text::shown_quoted(value, 64)],
        ));
    }
    if field != "plate" {
        return None;
    }
    if value.contains(['?', '？']) {
        return Some(Text::new(
            Msg::GarbledQuestionMark,
            &[&format_args!("{:?}", value)],
        ));
    }
    if value.chars().any(|c| ('\u{80}'..='\u{FF}').contains(&c)) {
        return Some(Text::new(
            Msg::GarbledLatin1,
            &[&format_args!("{:?}", value), &"粤", &"ç²¤"],
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::damage;

    #[test]
    fn damaged_text_is_named_clean_text_passes() {
        let says = |field: &str, value: &str| damage(field, value).unwrap().to_string();
        assert!(says("plate", "\u{FFFD}\u{FFFD}B12345").contains("GBK"));
        assert!(damage("car_desc", "临时\u{FFFD}").is_some());
        assert!(says("plate", "?B12345").contains("code page"));
        assert!(says("plate", "ç²¤B12345").contains("Latin-1"));
        // A `?` is damage only in a plate: URLs have query strings.
        assert!(damage("enter_image", "https://x/a.jpg?w=1").is_none());
        for plate in ["粤B12345", "川A660P1", "粤BD12345", "WJ粤12345", "无牌车"] {
            assert!(damage("plate", plate).is_none(), "{}", plate);
        }
    }
}
