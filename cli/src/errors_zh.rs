//! clap's errors (unknown argument, missing or invalid value, usage, tips) in Chinese: an
//! [`ErrorFormatter`], clap's own hook for writing its errors, given what clap found (the
//! error's kind and context) and laid out as clap's `RichFormatter` lays it out. English stays
//! clap's own formatter, untouched.
//!
//! In the CLI beside `help_zh.rs`, not in the core's catalog: the English is clap's and no
//! other face shows these texts.

use std::fmt::Write as _;

use clap::builder::{StyledStr, Styles};
use clap::error::{ContextKind, ContextValue, ErrorFormatter, ErrorKind};

/// Writes clap's errors in Chinese (`error.apply::<Zh>()`).
pub struct Zh;

/// clap's two-space indent of context lines.
const TAB: &str = "  ";

impl ErrorFormatter for Zh {
    fn format_error(e: &clap::error::Error<Self>) -> StyledStr {
        // The formatter is not given the command's styles; pyun uses clap's default ones.
        let styles = Styles::styled();
        let (err, valid) = (styles.get_error(), styles.get_valid());
        let mut s = StyledStr::new();
        let _ = write!(s, "{err}错误：{err:#}");
        s.push_str(&what(e, &styles));
        let mut suggested = false;
        for (kind, noun) in [
            (ContextKind::SuggestedSubcommand, "子命令"),
            (ContextKind::SuggestedArg, "参数"),
            (ContextKind::SuggestedValue, "值"),
        ] {
            if let Some(v) = e.get(kind) {
                s.push_str(if suggested { "\n" } else { "\n\n" });
                suggested = true;
                let _ = write!(s, "{TAB}{valid}提示：{valid:#}{}", similar(noun, v));
            }
        }
        if let Some(ContextValue::StyledStrs(tips)) = e.get(ContextKind::Suggested) {
            if !suggested {
                s.push_str("\n");
            }
            for tip in tips {
                let _ = write!(
                    s,
                    "\n{TAB}{valid}提示：{valid:#}{}",
                    tip_zh(&tip.to_string())
                );
            }
        }
        if let Some(ContextValue::StyledStr(usage)) = e.get(ContextKind::Usage) {
            let usage = usage.to_string();
            let usage = usage.trim().trim_start_matches("Usage:").trim_start();
            let _ = write!(s, "\n\n用法: {}", usage);
        }
        let literal = styles.get_literal();
        let _ = write!(s, "\n\n更多信息请运行 '{literal}--help{literal:#}'。\n");
        s
    }
}

/// A context value as text: a string, or strings one per line.
fn string(e: &clap::error::Error<Zh>, kind: ContextKind) -> Option<&str> {
    match e.get(kind)? {
        ContextValue::String(s) => Some(s),
        _ => None,
    }
}

fn number(e: &clap::error::Error<Zh>, kind: ContextKind) -> Option<isize> {
    match e.get(kind)? {
        ContextValue::Number(n) => Some(*n),
        _ => None,
    }
}

/// `\n  [name: a, b]` when the context holds a list.
fn list(e: &clap::error::Error<Zh>, kind: ContextKind, name: &str) -> String {
    match e.get(kind) {
        Some(ContextValue::Strings(v)) if !v.is_empty() => {
            format!("\n{TAB}[{}: {}]", name, v.join(", "))
        }
        _ => String::new(),
    }
}

/// What went wrong, from the error's kind and context (clap's `write_dynamic_context`); the
/// kind's general text when the context lacks what the sentence needs.
fn what(e: &clap::error::Error<Zh>, styles: &Styles) -> String {
    let (inv, lit) = (styles.get_invalid(), styles.get_literal());
    let arg = string(e, ContextKind::InvalidArg);
    let value = string(e, ContextKind::InvalidValue);
    let written = match e.kind() {
        ErrorKind::ArgumentConflict => {
            let prior = e.get(ContextKind::PriorArg);
            let sub = string(e, ContextKind::InvalidSubcommand);
            match (arg, sub, prior) {
                (Some(a), _, Some(ContextValue::String(p))) if p == a => {
                    Some(format!("参数 '{inv}{a}{inv:#}' 不能使用多次"))
                }
                (Some(a), _, p) => Some(format!("参数 '{inv}{a}{inv:#}' 不能与{}", with(p))),
                (None, Some(c), p) => Some(format!("子命令 '{inv}{c}{inv:#}' 不能与{}", with(p))),
                _ => None,
            }
        }
        ErrorKind::NoEquals => arg.map(|a| format!("给 '{inv}{a}{inv:#}' 赋值时需要等号")),
        ErrorKind::InvalidValue => arg.zip(value).map(|(a, v)| {
            let first = if v.is_empty() {
                format!("'{inv}{a}{inv:#}' 需要一个值，但没有给出")
            } else {
                format!("'{lit}{a}{lit:#}' 的值 '{inv}{v}{inv:#}' 无效")
            };
            first + &list(e, ContextKind::ValidValue, "可选值")
        }),
        ErrorKind::InvalidSubcommand => string(e, ContextKind::InvalidSubcommand)
            .map(|c| format!("无法识别的子命令 '{inv}{c}{inv:#}'")),
        ErrorKind::MissingRequiredArgument => match e.get(ContextKind::InvalidArg) {
            Some(ContextValue::Strings(args)) => {
                let valid = styles.get_valid();
                let mut t = String::from("缺少以下必需的参数：");
                for a in args {
                    let _ = write!(t, "\n{TAB}{valid}{a}{valid:#}");
                }
                Some(t)
            }
            _ => None,
        },
        ErrorKind::MissingSubcommand => string(e, ContextKind::InvalidSubcommand).map(|c| {
            format!("'{inv}{c}{inv:#}' 需要一个子命令，但没有给出")
                + &list(e, ContextKind::ValidSubcommand, "子命令")
        }),
        ErrorKind::TooManyValues => arg
            .zip(value)
            .map(|(a, v)| format!("'{lit}{a}{lit:#}' 多出了值 '{inv}{v}{inv:#}'，不需要更多的值")),
        ErrorKind::TooFewValues | ErrorKind::WrongNumberOfValues => {
            let (wanted, need, but) = match e.kind() {
                ErrorKind::TooFewValues => (ContextKind::MinValues, "至少需要", "只"),
                _ => (ContextKind::ExpectedNumValues, "需要", "但"),
            };
            let given = number(e, ContextKind::ActualNumValues);
            match (arg, given, number(e, wanted)) {
                (Some(a), Some(n), Some(m)) => Some(format!(
                    "'{lit}{a}{lit:#}' {need} {m} 个值，{but}给了 {inv}{n}{inv:#} 个"
                )),
                _ => None,
            }
        }
        ErrorKind::ValueValidation => arg.zip(value).map(|(a, v)| {
            let mut t = format!("'{lit}{a}{lit:#}' 的值 '{inv}{v}{inv:#}' 无效");
            if let Some(source) = std::error::Error::source(e) {
                let _ = write!(t, "：{}", source_zh(source));
            }
            t
        }),
        // clap's "unexpected argument" is an unknown option or a value too many.
        ErrorKind::UnknownArgument => arg.map(|a| match a.starts_with('-') {
            true => format!("不认识的参数 '{inv}{a}{inv:#}'"),
            false => format!("多余的参数 '{inv}{a}{inv:#}'"),
        }),
        _ => None,
    };
    written.unwrap_or_else(|| general(e.kind()).to_string())
}

/// The end of a conflict's sentence: with what it conflicts.
fn with(prior: Option<&ContextValue>) -> String {
    match prior {
        Some(ContextValue::Strings(v)) => {
            let mut t = String::from("以下参数一起使用：");
            for a in v {
                let _ = write!(t, "\n{TAB}{a}");
            }
            t
        }
        Some(ContextValue::String(p)) => format!(" '{}' 一起使用", p),
        _ => "给出的其他参数一起使用".to_string(),
    }
}

/// The kind's general text (clap's `ErrorKind::as_str`).
fn general(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::InvalidValue => "某个参数的值无效",
        ErrorKind::UnknownArgument => "有不认识的参数",
        ErrorKind::InvalidSubcommand => "无法识别的子命令",
        ErrorKind::NoEquals => "给某个参数赋值时需要等号",
        ErrorKind::ValueValidation => "某个参数的值无效",
        ErrorKind::TooManyValues => "某个参数多出了值",
        ErrorKind::TooFewValues => "某个参数需要更多的值",
        ErrorKind::WrongNumberOfValues => "某个参数的值太多或太少",
        ErrorKind::ArgumentConflict => "某个参数不能与给出的其他参数一起使用",
        ErrorKind::MissingRequiredArgument => "缺少一个或多个必需的参数",
        ErrorKind::MissingSubcommand => "需要一个子命令，但没有给出",
        ErrorKind::InvalidUtf8 => "一个或多个参数中有无效的 UTF-8",
        _ => "命令行无效",
    }
}

/// `a similar argument exists: '--x'` in Chinese.
fn similar(noun: &str, v: &ContextValue) -> String {
    match v {
        ContextValue::String(s) => format!("有相似的{}：'{}'", noun, s),
        ContextValue::Strings(v) => {
            let quoted: Vec<String> = v.iter().map(|s| format!("'{}'", s)).collect();
            format!("有相似的{}：{}", noun, quoted.join(", "))
        }
        _ => String::new(),
    }
}

/// clap's tips (written by clap in English before any formatter runs) in Chinese; one not
/// known here stays as clap wrote it.
fn tip_zh(tip: &str) -> String {
    let quoted: Vec<&str> = tip.split('\'').skip(1).step_by(2).collect();
    if tip.starts_with("to pass '") && tip.contains("' as a value, use '") {
        if let [value, fix] = quoted[..] {
            return format!("要把 '{}' 作为值传入，请用 '{}'", value, fix);
        }
    }
    if tip.starts_with("subcommand '") && tip.ends_with("' before it") {
        if let [sub, _] = quoted[..] {
            return format!("有子命令 '{}'：要使用它，请去掉它前面的 '--'", sub);
        }
    }
    if tip.starts_with('\'') && tip.ends_with("' exists") {
        if let [arg] = quoted[..] {
            return format!("有 '{}'", arg);
        }
    }
    tip.to_string()
}

/// Why a value parser refused a value: the standard library's parse errors and clap's range
/// check in Chinese; another stays as written.
fn source_zh(source: &(dyn std::error::Error + 'static)) -> String {
    use std::num::IntErrorKind;
    if let Some(e) = source.downcast_ref::<std::num::ParseIntError>() {
        return match e.kind() {
            IntErrorKind::Empty => "不能从空字符串解析整数",
            IntErrorKind::InvalidDigit => "不是整数（有无效的数字）",
            IntErrorKind::PosOverflow => "数字太大",
            IntErrorKind::NegOverflow => "数字太小",
            IntErrorKind::Zero => "不能为零",
            _ => "不是有效的整数",
        }
        .to_string();
    }
    if source.is::<std::num::ParseFloatError>() {
        return "不是有效的数字".to_string();
    }
    if source.is::<std::net::AddrParseError>() {
        return "不是有效的 IP 地址".to_string();
    }
    let text = source.to_string();
    match text.split_once(" is not in ") {
        Some((value, range)) => format!("{} 不在 {} 范围内", value, range),
        None => text,
    }
}
