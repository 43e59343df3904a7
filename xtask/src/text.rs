//! Names and line layout shared by the kits' emitters.

/// "fields_json" -> "fieldsJson".
pub fn camel(snake: &str) -> String {
    let pascal = pascal(snake);
    let mut chars = pascal.chars();
    match chars.next() {
        Some(c) => c.to_ascii_lowercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// "not_platform" or "NOT_PLATFORM" -> "NotPlatform".
pub fn pascal(snake: &str) -> String {
    snake
        .split('_')
        .filter(|w| !w.is_empty())
        .map(|w| {
            let lower = w.to_ascii_lowercase();
            lower[..1].to_ascii_uppercase() + &lower[1..]
        })
        .collect()
}

/// The first sentence of a doc (up to a ". " before a capital letter, or the end), for a
/// one-line comment; "e.g. `x`" and "1 error ... 5 trace" do not end it.
pub fn first_sentence(doc: &str) -> &str {
    doc.match_indices(". ")
        .find(|(i, _)| doc[i + 2..].starts_with(|c: char| c.is_ascii_uppercase()))
        .map_or(doc, |(i, _)| &doc[..=i])
}

/// A block comment of `text` after `indent`: `open text close` on one line when it fits, else
/// `open` alone, the text in lines starting with `mid`, and `close` alone (C: "/*", " * ",
/// " */").
pub fn block_comment(text: &str, indent: &str, open: &str, mid: &str, close: &str) -> Vec<String> {
    let one = format!("{indent}{open} {text} {}", close.trim_start());
    if one.len() <= crate::WIDTH {
        return vec![one];
    }
    let mut lines = vec![format!("{indent}{open}")];
    lines.extend(wrap_words(text, &format!("{indent}{mid}"), crate::WIDTH));
    lines.push(format!("{indent}{close}"));
    lines
}

/// Words joined into lines of at most `width` characters, each starting with `prefix`.
pub fn wrap_words(text: &str, prefix: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = prefix.to_string();
    for word in text.split_whitespace() {
        if line.len() > prefix.len() && line.len() + 1 + word.len() > width {
            lines.push(std::mem::replace(&mut line, prefix.to_string()));
        }
        if line.len() > prefix.len() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if line.len() > prefix.len() {
        lines.push(line);
    }
    lines
}

/// `head` + items joined by `sep` + `tail`, on one line when it fits in `width`, else broken
/// after a separator with `cont` ending the broken line (" _" for VB6) and `indent` starting
/// the next one.
pub fn wrap_list(
    head: &str,
    items: &[String],
    sep: &str,
    tail: &str,
    width: usize,
    cont: &str,
    indent: &str,
) -> String {
    let one = format!("{head}{}{tail}", items.join(sep));
    if one.len() <= width {
        return one;
    }
    let mut out = String::new();
    let mut line = head.to_string();
    let mut has_item = false;
    for (i, item) in items.iter().enumerate() {
        let piece = if i + 1 < items.len() {
            format!("{item}{}", sep.trim_end())
        } else {
            format!("{item}{tail}")
        };
        if has_item && line.len() + 1 + piece.len() + cont.len() > width {
            out.push_str(&line);
            out.push_str(cont);
            out.push('\n');
            line = indent.to_string();
        } else if has_item {
            line.push(' ');
        }
        line.push_str(&piece);
        has_item = true;
    }
    out.push_str(&line);
    out
}

/// `name` unless it is one of the language's `reserved` words (separated by spaces; compared
/// without case, as VB6 and Pascal do), then `name` + "Arg".
pub fn safe_ident(name: String, reserved: &str) -> String {
    if reserved
        .split_whitespace()
        .any(|r| r.eq_ignore_ascii_case(&name))
    {
        name + "Arg"
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(camel("fields_json"), "fieldsJson");
        assert_eq!(pascal("NOT_PLATFORM"), "NotPlatform");
        assert_eq!(pascal("event_callback"), "EventCallback");
        assert_eq!(safe_ident("end".into(), "begin End"), "endArg");
        assert_eq!(safe_ident("body".into(), "begin End"), "body");
    }

    #[test]
    fn wraps_long_lists_only() {
        let items: Vec<String> = ["int a", "int b"].iter().map(|s| s.to_string()).collect();
        assert_eq!(
            wrap_list("f(", &items, ", ", ");", 80, "", "    "),
            "f(int a, int b);"
        );
        let long: Vec<String> = (0..8).map(|i| format!("int argument{i}")).collect();
        let text = wrap_list("void f(", &long, ", ", ");", 40, "", "    ");
        assert!(text.lines().count() > 1);
        assert!(text.lines().all(|l| l.len() <= 40), "{text}");
        assert_eq!(
            text.replace("\n    ", " "),
            format!("void f({});", long.join(", "))
        );
        let vb = wrap_list("Declare F(", &long, ", ", ") As Long", 40, " _", "    ");
        assert!(vb.lines().rev().skip(1).all(|l| l.ends_with(" _")), "{vb}");
    }

    #[test]
    fn sentences_and_words() {
        assert_eq!(first_sentence("Signs it. Then more."), "Signs it.");
        assert_eq!(first_sentence("Is, e.g. `x`. More"), "Is, e.g. `x`.");
        assert_eq!(
            first_sentence("Up to (1 error ... 5 trace). Then"),
            "Up to (1 error ... 5 trace)."
        );
        assert_eq!(wrap_words("a bb ccc", "// ", 9), vec!["// a bb", "// ccc"]);
    }
}
