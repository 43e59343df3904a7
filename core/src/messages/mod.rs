//! The one catalog of messages for people, in English and Chinese ([`Msg`]), the language
//! they are written in ([`Lang`]), and [`Text`]: a message with its arguments, written in a
//! language when it is shown. Errors keep their `Text` (or what it is made of) and every face
//! renders them in the language its caller chose; `Display` is English.

mod catalog;
mod lang;
mod stored;

use std::fmt;

pub use catalog::Msg;
pub use lang::Lang;

impl Msg {
    /// The text in `lang`, its `{n}` replaced by `args[n]`.
    pub fn text(self, lang: Lang, args: &[&dyn fmt::Display]) -> String {
        let (en, zh) = self.texts();
        fill(
            match lang {
                Lang::En => en,
                Lang::Zh => zh,
            },
            args,
        )
    }
}

/// Replaces `{0}`, `{1}`... by the arguments (a missing one stays as written).
fn fill(template: &str, args: &[&dyn fmt::Display]) -> String {
    let mut out = String::with_capacity(template.len() + 16 * args.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let arg = after.find('}').and_then(|close| {
            let n: usize = after[..close].parse().ok()?;
            Some((args.get(n)?, close))
        });
        match arg {
            Some((value, close)) => {
                out.push_str(&value.to_string());
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// A message for people: from the catalog with its arguments, or text not (yet) in the
/// catalog, which is English in every language.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Text {
    /// A catalog message and its arguments: values already formatted are `Plain`, and a
    /// message within a message is written in the language of the whole.
    Msg(Msg, Vec<Text>),
    /// Text outside the catalog (English).
    Plain(String),
    /// A text already written in each language (an error's message kept inside another
    /// message, where the error itself cannot be kept).
    Written {
        /// The English text.
        en: String,
        /// The Chinese text.
        zh: String,
    },
}

impl Text {
    /// A catalog message with its arguments.
    pub fn new(msg: Msg, args: &[&dyn fmt::Display]) -> Text {
        Text::Msg(
            msg,
            args.iter().map(|a| Text::Plain(a.to_string())).collect(),
        )
    }

    /// A catalog message whose arguments are texts themselves (a phrase of the catalog inside
    /// a frame of it), each written in the language the whole is rendered in.
    pub fn of(msg: Msg, args: Vec<Text>) -> Text {
        Text::Msg(msg, args)
    }

    /// The text in `lang`.
    pub fn render(&self, lang: Lang) -> String {
        match self {
            Text::Msg(msg, args) => {
                let args: Vec<String> = args.iter().map(|a| a.render(lang)).collect();
                let args: Vec<&dyn fmt::Display> =
                    args.iter().map(|a| a as &dyn fmt::Display).collect();
                msg.text(lang, &args)
            }
            Text::Plain(s) => s.clone(),
            Text::Written { en, zh } => match lang {
                Lang::En => en.clone(),
                Lang::Zh => zh.clone(),
            },
        }
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(Lang::En))
    }
}

/// In JSON a message is its English text, as `Display` (scripts and logs read it).
impl serde::Serialize for Text {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl From<String> for Text {
    fn from(s: String) -> Self {
        Text::Plain(s)
    }
}

/// A catalog message without arguments.
impl From<Msg> for Text {
    fn from(msg: Msg) -> Self {
        Text::Msg(msg, Vec::new())
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Self {
        Text::Plain(s.to_string())
    }
}

#[cfg(test)]
mod tests;
