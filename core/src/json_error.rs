//! serde_json's errors in the catalog's words. serde_json writes one English sentence ("EOF
//! while parsing a value at line 1 column 5"); a person reading Chinese gets the kind of
//! mistake and its position in Chinese, with serde_json's own words kept as the detail. The
//! English stays exactly what serde_json writes.

use serde_json::error::Category;

use crate::messages::{Msg, Text};

/// `e` said in the reader's language (its English is `e.to_string()`).
pub(crate) fn said(e: &serde_json::Error) -> Text {
    let whole = e.to_string();
    let position = format!(" at line {} column {}", e.line(), e.column());
    let Some(detail) = whole.strip_suffix(&position) else {
        // No position (an I/O error, or one raised outside the text): nothing to frame.
        return Text::Plain(whole);
    };
    let msg = match e.classify() {
        Category::Eof => Msg::JsonEof,
        Category::Syntax => Msg::JsonSyntax,
        Category::Data | Category::Io => Msg::JsonData,
    };
    Text::new(msg, &[&detail, &e.line(), &e.column()])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::Lang;

    fn error_of(text: &str) -> serde_json::Error {
        serde_json::from_str::<serde_json::Value>(text).unwrap_err()
    }

    #[test]
    fn english_is_serde_jsons_own_and_chinese_names_kind_and_place() {
        for text in ["{\"a\":", "{\"a\" 1}", "{\"a\":tru}"] {
            let e = error_of(text);
            assert_eq!(said(&e).render(Lang::En), e.to_string());
        }
        let e = error_of("{\"a\":");
        assert_eq!(
            said(&e).render(Lang::Zh),
            "第 1 行第 5 列：JSON 文本没有写完（EOF while parsing a value）"
        );
        let e = error_of("{\"a\" 1}");
        assert_eq!(
            said(&e).render(Lang::Zh),
            "第 1 行第 6 列：JSON 语法错误（expected `:`）"
        );
    }
}
