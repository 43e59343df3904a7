//! The language of messages, and how it is chosen: `PYUN_LANG`, then the locale
//! (`LC_ALL`, `LC_MESSAGES`, `LANG`), then on Windows the user's UI language; English when
//! nothing says otherwise. Read when asked, never stored in a global.

/// The language a message is written in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Lang {
    /// English, the default.
    #[default]
    En,
    /// Simplified Chinese.
    Zh,
}

impl Lang {
    /// `en` / `zh` (also `english`, `chinese`, `zh-CN`, `zh_CN.UTF-8`, `cn`), any case.
    pub fn parse(s: &str) -> Option<Lang> {
        let s = s.trim().to_ascii_lowercase();
        let base = s.split(['.', '@']).next().unwrap_or("");
        match base {
            "en" | "english" | "c" | "posix" => Some(Lang::En),
            "zh" | "cn" | "chinese" | "zh-cn" | "zh_cn" | "zh-sg" | "zh_sg" | "zh-hans"
            | "zh_hans" => Some(Lang::Zh),
            _ if base.starts_with("en_") || base.starts_with("en-") => Some(Lang::En),
            _ => None,
        }
    }

    /// The name `parse` reads back: `en` or `zh`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh",
        }
    }

    /// The language this process's environment asks for: [`Lang::from_vars`] over the real
    /// environment, then on Windows the user's UI language, else English.
    pub fn from_env() -> Lang {
        Lang::from_vars(|name| std::env::var(name).ok())
            .or_else(windows_ui_language)
            .unwrap_or_default()
    }

    /// The language the variables ask for, `None` when they say nothing: `PYUN_LANG` first
    /// (an unknown value is ignored), then the first set of `LC_ALL`, `LC_MESSAGES`, `LANG`
    /// (POSIX order): `zh_CN.*` (or `zh_SG`, `zh`) is Chinese, any other locale English.
    pub fn from_vars(get: impl Fn(&str) -> Option<String>) -> Option<Lang> {
        if let Some(lang) = get("PYUN_LANG").as_deref().and_then(Lang::parse) {
            return Some(lang);
        }
        let locale = ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .filter_map(|v| get(v))
            .find(|v| !v.trim().is_empty())?;
        Some(Lang::parse(&locale).unwrap_or(Lang::En))
    }
}

/// Chinese when the Windows user's UI language is Simplified Chinese (zh-CN 0x0804, zh-SG
/// 0x1004). `GetUserDefaultUILanguage` is in kernel32 since Windows 2000, so Windows 7 has it.
#[cfg(windows)]
fn windows_ui_language() -> Option<Lang> {
    // SAFETY: no arguments, no pointers; it only reads the user's setting.
    let id = unsafe { windows_sys::Win32::Globalization::GetUserDefaultUILanguage() };
    Some(if matches!(id, 0x0804 | 0x1004) {
        Lang::Zh
    } else {
        Lang::En
    })
}

#[cfg(not(windows))]
fn windows_ui_language() -> Option<Lang> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn pyun_lang_wins_then_the_locale_in_posix_order() {
        assert_eq!(Lang::from_vars(vars(&[])), None);
        assert_eq!(
            Lang::from_vars(vars(&[("LANG", "zh_CN.UTF-8")])),
            Some(Lang::Zh)
        );
        assert_eq!(
            Lang::from_vars(vars(&[("LANG", "zh_CN.GBK")])),
            Some(Lang::Zh)
        );
        assert_eq!(
            Lang::from_vars(vars(&[("LANG", "en_US.UTF-8")])),
            Some(Lang::En)
        );
        assert_eq!(
            Lang::from_vars(vars(&[("LANG", "de_DE.UTF-8")])),
            Some(Lang::En)
        );
        assert_eq!(
            Lang::from_vars(vars(&[("LANG", "zh_CN.UTF-8"), ("LC_ALL", "C")])),
            Some(Lang::En)
        );
        assert_eq!(
            Lang::from_vars(vars(&[("LANG", "C"), ("LC_MESSAGES", "zh_CN.UTF-8")])),
            Some(Lang::Zh)
        );
        assert_eq!(
            Lang::from_vars(vars(&[("PYUN_LANG", "en"), ("LANG", "zh_CN.UTF-8")])),
            Some(Lang::En)
        );
        assert_eq!(
            Lang::from_vars(vars(&[("PYUN_LANG", "zh"), ("LC_ALL", "C")])),
            Some(Lang::Zh)
        );
        // An unknown PYUN_LANG does not hide the locale.
        assert_eq!(
            Lang::from_vars(vars(&[("PYUN_LANG", "fr"), ("LANG", "zh_CN.UTF-8")])),
            Some(Lang::Zh)
        );
    }

    #[test]
    fn parse_reads_codes_and_locales() {
        for zh in ["zh", "ZH", "zh-CN", "zh_CN.UTF-8", "cn", "chinese", "zh_SG"] {
            assert_eq!(Lang::parse(zh), Some(Lang::Zh), "{}", zh);
        }
        for en in ["en", "EN", "en_US.UTF-8", "english", "C"] {
            assert_eq!(Lang::parse(en), Some(Lang::En), "{}", en);
        }
        assert_eq!(Lang::parse("fr"), None);
        assert_eq!(Lang::parse(Lang::Zh.code()), Some(Lang::Zh));
    }
}
