//! The `pyun` binary as a user runs it: exit codes, one-line errors, the demo.

use assert_cmd::Command;
use pyun_test_support::closed_port;

fn pyun() -> Command {
    let mut c = Command::cargo_bin("pyun").unwrap();
    c.env("PYUN_LANG", "en");
    c
}

const FIELDS: &str = r#"{"b":"2","a":"1"}"#;

#[test]
fn sign_and_canonical() {
    let out = pyun()
        .args(["sign", "--app-secret", "123"])
        .write_stdin(FIELDS)
        .assert()
        .success();
    let sign = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert_eq!(
        sign.trim(),
        pyun_core::form::md5_hex(b"a=1&b=2&app_secret=123")
    );
    pyun()
        .args(["sign", "--canonical", "--app-secret", "123"])
        .write_stdin(FIELDS)
        .assert()
        .success()
        .stdout("a=1&b=2&app_secret=***\n");
}

#[test]
fn verify_exit_codes() {
    let signed = pyun_core::push::sign_push(
        &[("plate".to_string(), "川A660P1".to_string())],
        &pyun_core::AppSecret::new("s"),
        "op1",
        None,
    );
    let body: String = form_body(&signed);
    pyun()
        .args(["verify", "--app-secret", "s"])
        .write_stdin(body.clone())
        .assert()
        .code(0);
    pyun()
        .args(["verify", "--app-secret", "t"])
        .write_stdin(body)
        .assert()
        .code(1);
    pyun()
        .args(["verify", "--app-secret", "s"])
        .write_stdin("{not json")
        .assert()
        .code(2);
    pyun()
        .args(["verify", "--app-secret", "s"])
        .write_stdin(r#"{"a":"1"}"#)
        .assert()
        .code(2);
}

fn form_body(fields: &[(String, String)]) -> String {
    fields
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                k,
                v.bytes().map(|b| format!("%{:02X}", b)).collect::<String>()
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[test]
fn errors_are_one_line() {
    let out = pyun()
        .args([
            "push",
            "leave",
            "-",
            "--app-secret",
            "x",
            "--base-url",
            "http://127.0.0.1:9",
        ])
        .write_stdin(r#"{"plate":"粤B1"}"#)
        .assert()
        .code(2);
    let err = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert_eq!(err.lines().count(), 1, "{}", err);
    assert!(
        err.contains("enter_time") && err.contains("leave_time"),
        "{}",
        err
    );
    pyun()
        .args(["push", "exit", "-", "--app-secret", "x"])
        .write_stdin("{}")
        .assert()
        .code(2);
}

#[test]
fn explain_names_the_charset_problem() {
    let out = pyun()
        .args([
            "explain",
            "--hint",
            "park_uuid=p&plate=?KKKKKK&app_secret=***",
            "-",
        ])
        .write_stdin(r#"{"park_uuid":"p","plate":"粤KKKKKK"}"#)
        .assert()
        .success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(text.contains("charset"), "{}", text);
}

#[test]
fn network_failure_exit_code() {
    let record = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/data/update.json"
    ))
    .unwrap();
    pyun()
        .args([
            "push",
            "update",
            "-",
            "--app-secret",
            "x",
            "--base-url",
            "http://127.0.0.1:9",
            "--attempts",
            "1",
        ])
        .write_stdin(record)
        .assert()
        .code(3);
}

#[test]
fn demo_runs_and_succeeds() {
    let out = pyun().arg("demo").assert().success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(text.contains("every step ended as expected"), "{}", text);
    assert!(text.contains("sandbox accepted 4 record(s), "), "{}", text);
}

/// A password in `--base-url` appears in nothing the command prints, at the most verbose log
/// level, whatever the URL's spelling; an untrusted `--ca-file` is an error naming the file.
#[test]
fn a_password_in_the_base_url_is_never_printed() {
    let (_held, port) = closed_port();
    let update = r#"{"park_uuid":"p","flow_no":"F-1","parking_serial":"S-1","plate":"P"}"#;
    for host in [
        format!("127.0.0.1:{}", port),
        format!("LOCALHOST:{}", port),
        format!("127.0.0.1:0{}", port),
        format!("127.1:{}", port),
    ] {
        let out = pyun()
            .args([
                "-vv",
                "push",
                "update",
                "-",
                "--attempts",
                "2",
                "--base-url",
            ])
            .arg(format!("http://gw:pw{{xHunter2pw@{}", host))
            .env("PYUN_APP_SECRET", "cli-secret")
            .env("RUST_LOG", "trace")
            .write_stdin(update)
            .assert()
            .failure();
        let printed = format!(
            "{}{}",
            String::from_utf8_lossy(&out.get_output().stdout),
            String::from_utf8_lossy(&out.get_output().stderr)
        );
        assert!(printed.contains("***@"), "{}", printed);
        for secret in ["Hunter2pw", "pw{x", "pw%7B"] {
            assert!(!printed.contains(secret), "{} printed: {}", secret, printed);
        }
    }
    let out = pyun()
        .args([
            "push",
            "update",
            "-",
            "--ca-file",
            "no-such-corporate-ca.pem",
        ])
        .env("PYUN_APP_SECRET", "cli-secret")
        .write_stdin(update)
        .assert()
        .failure();
    assert!(String::from_utf8_lossy(&out.get_output().stderr).contains("no-such-corporate-ca.pem"));
}

/// Issue 13/15: `pyun verify` reads multipart and JSON bodies (sniffed, or named with
/// `--content-type`), and says when a push has no `sign`.
#[test]
fn verify_every_encoding() {
    let secret = pyun_core::AppSecret::new("s");
    let signed = pyun_core::push::sign_push(
        &[
            ("plate".to_string(), "川A660P1".to_string()),
            ("car_desc".to_string(), String::new()),
        ],
        &secret,
        "op1",
        None,
    );
    let mut multipart = String::new();
    for (k, v) in &signed {
        multipart.push_str(&format!(
            "--B0undary\r\nContent-Disposition: form-data; name=\"{}\"\r\n\r\n{}\r\n",
            k, v
        ));
    }
    multipart.push_str("--B0undary--\r\n");
    let json = serde_json::to_string(
        &signed
            .iter()
            .cloned()
            .collect::<std::collections::BTreeMap<_, _>>(),
    )
    .unwrap();
    for (body, ct) in [
        (multipart.clone(), None),
        (
            multipart.clone(),
            Some("multipart/form-data; boundary=B0undary"),
        ),
        (json.clone(), None),
        (json.clone(), Some("application/json")),
        (
            form_body(&signed),
            Some("application/x-www-form-urlencoded"),
        ),
    ] {
        let mut cmd = pyun();
        cmd.args(["verify", "--app-secret", "s"]);
        if let Some(ct) = ct {
            cmd.args(["--content-type", ct]);
        }
        cmd.write_stdin(body).assert().code(0);
    }
    // A JSON list where a string is expected names the field.
    pyun()
        .args(["verify", "--app-secret", "s"])
        .write_stdin(r#"{"discounts":[],"sign":"X"}"#)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("`discounts`"));
    // A body that is none of the three is refused, naming what was seen.
    pyun()
        .args(["verify", "--app-secret", "s", "--content-type", "text/xml"])
        .write_stdin("<push/>")
        .assert()
        .code(2)
        .stderr(predicates::str::contains("text/xml"));
    // A multipart body without `sign` says so.
    let unsigned = "--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--B--\r\n";
    pyun()
        .args(["verify", "--app-secret", "s"])
        .write_stdin(unsigned)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("no `sign`"));
}

/// A GBK file read as UTF-8 elsewhere (U+FFFD), or a plate that lost its Chinese character to a
/// code page (`?`): refused before anything is sent (exit 2, not a network error), naming the
/// field and the cause.
#[test]
fn damaged_text_is_refused_before_sending() {
    let dir = std::env::temp_dir().join(format!("pyun-garbled-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let leave = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/data/leave.json"
    ))
    .unwrap();
    for (plate, cause) in [("\u{FFFD}\u{FFFD}B12345", "GBK"), ("?B12345", "code page")] {
        let path = dir.join("leave.json");
        std::fs::write(&path, leave.replace("粤B12345", plate)).unwrap();
        let out = pyun()
            .args(["push", "leave"])
            .arg(&path)
            .args(["--base-url", "http://127.0.0.1:9", "--app-secret", "s"])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{}", err);
        assert!(err.contains("plate") && err.contains(cause), "{}", err);
    }
}

/// A plate of a doubtful shape (`粤B 12345`) is warned of, naming what is wrong, and still sent:
/// the platform takes any plate, and an unusual real one must not be lost. A common plate gets
/// no warning.
#[test]
fn a_doubtful_plate_is_warned_of_and_still_sent() {
    let sb = pyun_sandbox::Sandbox::start(pyun_sandbox::SandboxConfig {
        app_secret: "s".into(),
        ..Default::default()
    })
    .unwrap();
    for (plate, warning) in [("粤B 12345", Some("separator")), ("粤B12345", None)] {
        let record = format!(
            r#"{{"park_uuid":"p","flow_no":"W-{}","parking_serial":"W-{0}","plate":"{}"}}"#,
            plate.len(),
            plate
        );
        let out = pyun()
            .args([
                "push",
                "update",
                "-",
                "--strict",
                "--app-secret",
                "s",
                "--base-url",
            ])
            .arg(sb.url())
            .write_stdin(record)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{}", err);
        match warning {
            Some(w) => assert!(err.contains(w) && err.contains("sent as it is"), "{}", err),
            None => assert!(!err.contains("plate"), "{}", err),
        }
    }
    let plates: Vec<String> = sb
        .records()
        .iter()
        .map(|r| r.fields["plate"].clone())
        .collect();
    assert_eq!(plates, ["粤B 12345", "粤B12345"]);
}

/// `pyun service` exists everywhere; outside Windows it says that it is for Windows only
/// (in Chinese with PYUN_LANG=zh: tests/lang.rs), with the exit code of unusable input, and as JSON with --json.
#[cfg(not(windows))]
#[test]
fn service_is_windows_only_elsewhere() {
    let cases: [&[&str]; 3] = [
        &["service", "status", "--name", "pyun-listen"],
        &[
            "service", "install", "--name", "l", "--", "listen", "--port", "0",
        ],
        &["service", "stop", "--name", "l"],
    ];
    for args in cases {
        let out = pyun().args(args).assert().code(2);
        let err = String::from_utf8(out.get_output().stderr.clone()).unwrap();
        assert_eq!(err.lines().count(), 1, "{}", err);
        assert!(err.contains("for Windows only"), "{}", err);
    }
    let out = pyun()
        .args(["--json", "service", "start", "--name", "l"])
        .assert()
        .code(2);
    let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(
        (v["kind"].as_str(), v["exit_code"].as_i64()),
        (Some("input"), Some(2))
    );
    // the command after -- is required
    pyun()
        .args(["service", "install", "--name", "l"])
        .assert()
        .code(2);
}
