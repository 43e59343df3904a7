//! The shape of a mainland Chinese plate (GA 36-2018), checked so that a plate the platform
//! would never match to a vehicle (`粤B 12345`, `粤b12345`, `B12345`, `粤B1234`) is named
//! before it is sent.
//!
//! A doubt is a warning in the log, never a refusal: the platform takes any text as `plate`,
//! and real plates outside the common shapes (无牌车 placeholders, embassy, armed police,
//! military, plates newer than this table) must still reach it — a record refused for its
//! plate would be a record lost. Text that is certainly damaged (`?B12345`, U+FFFD) is refused
//! by `garbled.rs` instead.

use crate::messages::{Msg, Text};

/// The 31 provincial abbreviations that begin a civil plate.
const PROVINCES: &str = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼";

/// The characters that may end a civil plate in place of its last serial character:
/// trailer, coach, police, Hong Kong / Macau cross-border, consulate, test, over-size.
const SUFFIXES: &str = "挂学警港澳领试超";

/// What is doubtful about `plate` as a mainland plate (`plate_type` 0 or absent), or `None`
/// when it has a known shape or is not meant to be one (a placeholder in Chinese characters
/// only, such as 无牌车). The example plates are arguments: the English text holds no Chinese.
pub(crate) fn doubt(plate: &str) -> Option<Text> {
    let chars: Vec<char> = plate.chars().collect();
    if chars.is_empty() || (chars.iter().all(|c| is_cjk(*c)) && !PROVINCES.contains(chars[0])) {
        return None;
    }
    if let Some(c) = chars
        .iter()
        .find(|c| c.is_whitespace() || "·•.-_".contains(**c))
    {
        return Some(Text::new(
            Msg::PlateSeparator,
            &[&format_args!("{:?}", c), &EXAMPLE],
        ));
    }
    if chars
        .iter()
        .any(|c| ('Ａ'..='Ｚ').contains(c) || ('０'..='９').contains(c))
    {
        return Some(Msg::PlateFullWidth.into());
    }
    if chars.iter().any(char::is_ascii_lowercase) {
        return Some(Text::new(Msg::PlateLowercase, &[&EXAMPLE]));
    }
    if special(&chars) {
        return None;
    }
    let first = chars[0];
    if first.is_ascii_alphanumeric() {
        return Some(Text::new(
            Msg::PlateNoProvince,
            &[&format_args!("{:?}", first), &EXAMPLE, &"B12345"],
        ));
    }
    if !PROVINCES.contains(first) {
        return Some(Text::new(
            Msg::PlateNotProvince,
            &[&format_args!("{:?}", first), &PROVINCES],
        ));
    }
    if !chars.get(1).is_some_and(char::is_ascii_uppercase) {
        return Some(Text::new(Msg::PlateNoLetter, &[&EXAMPLE]));
    }
    let serial = &chars[2..];
    let suffixed = serial.last().is_some_and(|c| SUFFIXES.contains(*c));
    let body = if suffixed {
        &serial[..serial.len() - 1]
    } else {
        serial
    };
    if let Some(c) = body.iter().find(|c| !c.is_ascii_alphanumeric()) {
        return Some(Text::new(
            Msg::PlateSerialChar,
            &[&format_args!("{:?}", c), &"粤B"],
        ));
    }
    let expected: &[usize] = if suffixed { &[4] } else { &[5, 6] };
    if !expected.contains(&body.len()) {
        return Some(Text::new(
            Msg::PlateLength,
            &[&body.len(), &EXAMPLE, &"粤BD12345", &"挂/学"],
        ));
    }
    if body.iter().any(|c| matches!(c, 'I' | 'O')) {
        return Some(Msg::PlateIOrO.into());
    }
    None
}

/// The plate the messages show as an example of the common shape.
const EXAMPLE: &str = "粤B12345";

/// Plates with their own shape: embassy (使 + 6), armed police (WJ + …), military (two
/// letters + 5 digits).
fn special(chars: &[char]) -> bool {
    let tail_alnum = |from: usize| chars[from..].iter().all(char::is_ascii_alphanumeric);
    match chars {
        ['使', rest @ ..] => rest.len() == 6 && tail_alnum(1),
        ['W', 'J', ..] => chars.len() >= 7,
        [a, b, rest @ ..] if a.is_ascii_uppercase() && b.is_ascii_uppercase() => {
            rest.len() == 5 && rest.iter().all(char::is_ascii_digit)
        }
        _ => false,
    }
}

fn is_cjk(c: char) -> bool {
    ('\u{4E00}'..='\u{9FFF}').contains(&c)
}

#[cfg(test)]
mod tests {
    use super::doubt;

    #[test]
    fn common_and_special_plates_pass() {
        for plate in [
            "粤B12345",
            "川A660P1",
            "粤X44444",
            "粤BD12345",
            "京AD1234F",
            "粤B1234挂",
            "粤Z1234港",
            "粤B1234学",
            "使014578",
            "WJ粤12345",
            "VA12345",
            "无牌车",
            "未识别",
        ] {
            assert_eq!(doubt(plate), None, "{}", plate);
        }
    }

    #[test]
    fn doubtful_plates_are_named_with_the_reason() {
        for (plate, says) in [
            ("粤B 12345", "separator"),
            ("粤B·12345", "separator"),
            ("粤Ｂ12345", "full-width"),
            ("粤b12345", "lowercase"),
            ("B12345", "not with a province"),
            ("东B12345", "not a province"),
            ("粤123456", "no letter"),
            ("粤B1234", "has 4 characters"),
            ("粤B1234567", "has 7 characters"),
            ("粤B12I45", "I or O"),
            ("粤B12#45", "holds '#'"),
        ] {
            let why = doubt(plate).unwrap_or_else(|| panic!("{} passed", plate));
            assert!(why.to_string().contains(says), "{}: {}", plate, why);
        }
    }
}
