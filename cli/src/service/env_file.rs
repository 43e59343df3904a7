//! The service's env file: `NAME=VALUE` lines (the app_secret, and any other PYUN_* setting)
//! read when the service starts, so no secret is on its command line, which every user can
//! read. UTF-8 (a byte order mark is dropped; plain ASCII saved as Notepad's "ANSI" is the
//! same); `#` starts a comment line; blank lines are skipped. An error names the file and the
//! line number, never the line: it may hold the secret.

use std::path::Path;

use pyun_core::{Lang, Msg};

use crate::Failure;

/// The variables of the env file at `path`, in order.
pub fn read(path: &Path) -> Result<Vec<(String, String)>, Failure> {
    let bytes = std::fs::read(path)
        .map_err(|e| Failure::msg(2, Msg::EnvFileUnreadable, &[&path.display(), &e]))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| Failure::msg(2, Msg::EnvFileNotUtf8, &[&path.display()]))?;
    parse(&text).map_err(|(n, why)| {
        let why = why.text(Lang::from_env(), &[]);
        Failure::msg(2, Msg::EnvFileLine, &[&path.display(), &n, &why])
    })
}

/// The variables of an env file's text; on error, the line number and what is wrong.
fn parse(text: &str) -> Result<Vec<(String, String)>, (usize, Msg)> {
    let mut vars = Vec::new();
    for (i, line) in text.trim_start_matches('\u{feff}').lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let (name, value) = line.split_once('=').ok_or((i + 1, Msg::EnvFileNoEquals))?;
        let name = name.trim();
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err((i + 1, Msg::EnvFileBadName));
        }
        vars.push((name.to_string(), value.to_string()));
    }
    Ok(vars)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_values_comments_and_crlf() {
        let text = "\u{feff}# the lot's secret\r\nPYUN_APP_SECRET=s3cr=t \r\n\r\n  PYUN_BASE_URL = http://x\r\n";
        assert_eq!(
            parse(text).unwrap(),
            vec![
                ("PYUN_APP_SECRET".to_string(), "s3cr=t ".to_string()),
                ("PYUN_BASE_URL".to_string(), " http://x".to_string()),
            ]
        );
    }

    #[test]
    fn a_bad_line_is_named_by_its_number_not_its_text() {
        assert_eq!(
            parse("A=1\nsecret-without-equals\n"),
            Err((2, Msg::EnvFileNoEquals))
        );
        assert_eq!(parse("# c\nBAD NAME=1"), Err((2, Msg::EnvFileBadName)));
        let dir = pyun_test_support::scratch_dir("env-file", "bad-line");
        let path = dir.join("listen.env");
        std::fs::write(&path, "PYUN_APP_SECRET\n").unwrap();
        let msg = read(&path).err().unwrap().text(pyun_core::Lang::En);
        assert!(
            msg.contains("line 1") && msg.contains("listen.env"),
            "{}",
            msg
        );
        assert!(!msg.contains("PYUN_APP_SECRET"), "{}", msg);
        std::fs::write(&path, b"PYUN_APP_SECRET=\xc3\x28\n").unwrap();
        assert!(read(&path)
            .err()
            .unwrap()
            .text(pyun_core::Lang::En)
            .contains("not UTF-8"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
