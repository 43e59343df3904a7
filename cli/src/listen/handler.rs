//! Running the user's handler for one push: `--exec` (a shell command in a process tree of its
//! own, `tree.rs`, ended with every process it started when it overruns) or `--forward` (a POST whose 2xx, and
//! only 2xx, means handled).

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use pyun_core::messages::{Msg, Text};
use pyun_core::receive::ReceivedPush;
use tokio::io::AsyncWriteExt;

use super::{tree, Ctx, Handler};

/// RFC 3986's unreserved characters stay as they are (the platform's serials are made of them,
/// so a real key reads the same); everything else is percent-encoded.
const KEY_ESCAPES: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// The longest key, once encoded, passed in PYUN_PUSH_KEY / X-Pyun-Push-Key: longer keys
/// travel in the fields only (environments and headers have limits of their own).
const KEY_PASSED: usize = 256;

/// The key as the environment and headers carry it: percent-encoded (a LF, CR or NUL in a
/// validly signed key cannot break the header or the environment), `None` when too long.
fn passed_key(key: &str) -> Option<String> {
    let encoded = utf8_percent_encode(key, KEY_ESCAPES).to_string();
    (encoded.len() <= KEY_PASSED).then_some(encoded)
}

/// A file size limit (`ulimit -f`) makes a write fail (EFBIG, answered `500 NOT STORED` like a
/// full disk) instead of killing the listener with SIGXFSZ. Handlers get the default back.
pub(super) fn ignore_file_size_signal() {
    #[cfg(unix)]
    // SAFETY: setting a signal's disposition to "ignore" at start, before any thread runs pyun
    // code that could race it; no handler function is installed.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
}

/// Words a shell (sh, or cmd.exe) runs itself: a command line starting with one is not checked.
const SHELL_WORDS: &[&str] = &[
    "!", ".", ":", "[", "[[", "{", "alias", "break", "call", "case", "cd", "command", "continue",
    "echo", "eval", "exec", "exit", "export", "for", "if", "local", "printf", "read", "return",
    "set", "setlocal", "shift", "source", "start", "test", "then", "trap", "true", "false", "type",
    "ulimit", "umask", "unset", "until", "wait", "while",
];

/// The program an `--exec` command line starts, when it is missing: its first word, unless the
/// shell runs that itself (a keyword, a builtin, an assignment, an expansion). A handler that
/// cannot start is refused when `listen` starts, not found out at the first push.
pub(super) fn missing_program(cmd: &str) -> Option<String> {
    let cmd = cmd.trim_start();
    let word = match cmd.chars().next()? {
        q @ ('"' | '\'') => cmd[1..].split(q).next()?,
        _ => cmd
            .split(|c: char| c.is_whitespace() || ";|&<>()".contains(c))
            .next()?,
    };
    let lower = word.to_ascii_lowercase();
    if word.is_empty()
        || SHELL_WORDS.contains(&lower.as_str())
        || word.contains(['=', '$', '`', '*', '?', '~'])
    {
        return None;
    }
    let path = std::path::Path::new(word);
    let found = if word.contains('/') || (cfg!(windows) && word.contains('\\')) {
        runnable(path)
    } else {
        std::env::var_os("PATH").is_some_and(|paths| {
            std::env::split_paths(&paths).any(|dir| {
                let exts: Vec<String> = if cfg!(windows) {
                    std::env::var("PATHEXT")
                        .unwrap_or_else(|_| ".COM;.EXE;.BAT;.CMD".into())
                        .split(';')
                        .map(str::to_string)
                        .chain([String::new()])
                        .collect()
                } else {
                    vec![String::new()]
                };
                exts.iter()
                    .any(|e| runnable(&dir.join(format!("{}{}", word, e))))
            })
        })
    };
    (!found).then(|| word.to_string())
}

/// A file that can be run (on Unix: with an execute bit).
fn runnable(path: &std::path::Path) -> bool {
    let Ok(meta) = std::fs::metadata(path) else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        meta.is_file() && meta.permissions().mode() & 0o111 != 0
    }
    #[cfg(not(unix))]
    {
        meta.is_file()
    }
}

/// Runs the handler on a push. Its failure is a catalog [`Text`]: stored with the push, it is
/// shown by `pyun pushes` in the reader's language.
pub(super) async fn run(ctx: &Ctx, push: &ReceivedPush) -> Result<(), Text> {
    let fields = push.fields_json();
    let key = passed_key(&push.key);
    match &ctx.handler {
        Handler::None => Ok(()),
        Handler::Exec(cmd) => {
            let mut command = tree::shell(cmd);
            command
                .env("PYUN_PUSH_KIND", push.kind.name())
                .env_remove("PYUN_PUSH_KEY")
                .env_remove("PYUN_APP_SECRET")
                .stdin(std::process::Stdio::piped())
                .kill_on_drop(true);
            if let Some(k) = &key {
                command.env("PYUN_PUSH_KEY", k);
            }
            let mut child = command
                .spawn()
                .map_err(|e| Text::new(Msg::HandlerCannotRun, &[&e]))?;
            let mut tree = tree::Tree::adopt(&child);
            let mut stdin = child.stdin.take();
            let input = fields.into_bytes();
            let run = async {
                if let Some(s) = stdin.as_mut() {
                    // A handler that does not read its input is its own business.
                    let _ = s.write_all(&input).await;
                }
                drop(stdin);
                child.wait().await
            };
            let result = tokio::time::timeout(ctx.handler_timeout, run).await;
            if result.is_ok() {
                // Ended by itself: what it left running in the background is its own.
                tree.release();
            }
            match result {
                Err(_) => {
                    tree.end();
                    let _ = child.wait().await;
                    Err(Text::new(
                        Msg::HandlerTimedOut,
                        &[&ctx.handler_timeout.as_secs()],
                    ))
                }
                Ok(Err(e)) => Err(Text::new(Msg::HandlerWaitFailed, &[&e])),
                Ok(Ok(st)) if st.success() => Ok(()),
                Ok(Ok(st)) => Err(Text::new(Msg::HandlerExitStatus, &[&st])),
            }
        }
        Handler::Forward(url) => {
            let agent = ctx.forward_agent.clone();
            let url = url.clone();
            let kind = push.kind.name();
            tokio::task::spawn_blocking(move || {
                let mut req = agent
                    .post(&url)
                    .header("Content-Type", "application/json")
                    .header("X-Pyun-Push-Kind", kind);
                if let Some(k) = &key {
                    req = req.header("X-Pyun-Push-Key", k.as_str());
                }
                let r = req
                    .send(fields.as_str())
                    .map_err(|e| Text::new(Msg::HandlerForwardFailed, &[&e]))?;
                let status = r.status();
                if status.is_success() {
                    Ok(())
                } else if status.is_redirection() {
                    Err(Text::new(Msg::HandlerForwardRedirect, &[&status.as_u16()]))
                } else {
                    Err(Text::new(Msg::HandlerForwardStatus, &[&status.as_u16()]))
                }
            })
            .await
            .map_err(|e| Text::new(Msg::HandlerForwardFailed, &[&e]))?
        }
    }
}

#[cfg(test)]
mod tests {
    use super::passed_key;

    #[test]
    fn real_keys_pass_unchanged_odd_ones_encoded_long_ones_not_at_all() {
        assert_eq!(
            passed_key("2021042116424207").as_deref(),
            Some("2021042116424207")
        );
        assert_eq!(passed_key("a-b_c.d~e").as_deref(), Some("a-b_c.d~e"));
        assert_eq!(passed_key("A\nB\0").as_deref(), Some("A%0AB%00"));
        assert_eq!(passed_key("粤").as_deref(), Some("%E7%B2%A4"));
        assert_eq!(passed_key(&"k".repeat(256)).map(|k| k.len()), Some(256));
        assert_eq!(passed_key(&"k".repeat(257)), None);
    }
}
