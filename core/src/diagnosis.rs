//! What the diagnosis of an ignored or rejected push concluded (the data; `explain` makes it):
//! a plain type that responses and errors can carry.

use std::fmt;

use serde::Serialize;

use crate::messages::{Lang, Msg, Text};

/// What the diagnosis concluded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    /// The platform built the same string: the `app_secret` differs from the platform's.
    WrongSecret,
    /// The platform saw different fields or values than were sent.
    FieldsDiffer,
    /// The platform says a parameter was not sent (``参数`X`未传递``).
    MissingParameter,
    /// The hint holds no canonical string to compare.
    Unrecognised,
}

/// One field whose value differs between what was sent and what the platform saw.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldDiff {
    /// The field.
    pub field: String,
    /// The value we sent.
    pub local: String,
    /// The value the platform signed.
    pub platform: String,
    /// The platform's value looks like ours decoded in the wrong charset (`?KKKKKK`, `ç²¤`).
    pub charset_suspect: bool,
}

/// The result of [`explain`](crate::explain::explain).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnosis {
    /// The conclusion.
    pub cause: Cause,
    /// The parameter named in a ``参数`X`未传递`` hint.
    pub missing_parameter: Option<String>,
    /// The platform's canonical string, unescaped, without `&app_secret=***`.
    pub platform_canonical: Option<String>,
    /// Our canonical string.
    pub local_canonical: String,
    /// Fields we sent that the platform did not sign.
    pub only_local: Vec<String>,
    /// Fields the platform signed that we did not send.
    pub only_platform: Vec<String>,
    /// Fields with different values.
    pub differing: Vec<FieldDiff>,
}

impl Diagnosis {
    /// One paragraph saying what is wrong and what to do, in English.
    pub fn summary(&self) -> String {
        self.summary_in(Lang::En)
    }

    /// The summary written in each language, to keep (the outbox stores it for readers of
    /// any language).
    pub fn text(&self) -> Text {
        Text::Written {
            en: self.summary_in(Lang::En),
            zh: self.summary_in(Lang::Zh),
        }
    }

    /// [`Diagnosis::summary`] in `lang`; the values compared are quoted as they are.
    pub fn summary_in(&self, lang: Lang) -> String {
        match self.cause {
            Cause::WrongSecret => Msg::DiagWrongSecret.text(lang, &[]),
            Cause::MissingParameter => Msg::DiagMissingParameter
                .text(lang, &[&self.missing_parameter.as_deref().unwrap_or("?")]),
            Cause::Unrecognised => Msg::DiagUnrecognised.text(lang, &[]),
            Cause::FieldsDiffer => {
                let mut parts = Vec::new();
                for d in &self.differing {
                    let (local, platform) = (
                        format_args!("{:?}", d.local).to_string(),
                        format_args!("{:?}", d.platform).to_string(),
                    );
                    let mut s = Msg::DiagFieldDiffers.text(lang, &[&d.field, &local, &platform]);
                    if d.charset_suspect {
                        s.push_str(&Msg::DiagCharsetSuspect.text(lang, &[]));
                    }
                    parts.push(s);
                }
                if !self.only_local.is_empty() {
                    parts.push(Msg::DiagOnlyLocal.text(lang, &[&self.only_local.join(", ")]));
                }
                if !self.only_platform.is_empty() {
                    let names = self.only_platform.join(", ");
                    parts.push(Msg::DiagOnlyPlatform.text(lang, &[&names]));
                }
                let separator = Msg::ProblemSeparator.text(lang, &[]);
                Msg::DiagFieldsDiffer.text(lang, &[&parts.join(&separator)])
            }
        }
    }
}

impl fmt::Display for Diagnosis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.summary())
    }
}
