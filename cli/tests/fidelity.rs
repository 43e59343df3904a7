//! Issue 13: the CLI a script can drive (--json, exit codes, a closed pipe), files as Windows
//! users save them (BOM, GBK), explain with photos, errors that name what was parsed, and the
//! sandbox's request log; all against the built `pyun` binary.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Command as StdCommand, Stdio};

use assert_cmd::Command;
use pyun_sandbox::{Sandbox, SandboxConfig};
use pyun_test_support::{closed_port, data};
use serde_json::Value;

fn pyun() -> Command {
    let mut c = Command::cargo_bin("pyun").unwrap();
    c.env("PYUN_LANG", "en");
    c
}

fn stdout(out: &assert_cmd::assert::Assert) -> String {
    String::from_utf8(out.get_output().stdout.clone()).unwrap()
}

fn stderr(out: &assert_cmd::assert::Assert) -> String {
    String::from_utf8(out.get_output().stderr.clone()).unwrap()
}

fn tmp(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pyun-cli-fidelity-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

const FIELDS: &str = r#"{"b":"2","a":"1"}"#;

#[test]
fn utf8_bom_is_accepted() {
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(FIELDS.as_bytes());
    let p = tmp("bom.json", &bytes);
    let out = pyun()
        .args(["sign", "--app-secret", "123", p.to_str().unwrap()])
        .assert()
        .success();
    assert_eq!(
        stdout(&out).trim(),
        pyun_core::form::md5_hex(b"a=1&b=2&app_secret=123")
    );
    // A typed record read with a BOM, from standard input.
    let mut leave = b"\xEF\xBB\xBF".to_vec();
    leave.extend_from_slice(&std::fs::read(data("leave.json")).unwrap());
    pyun()
        .args([
            "explain",
            "--hint",
            "参数`x`未传递",
            "--endpoint",
            "leave",
            "-",
        ])
        .write_stdin(leave)
        .assert()
        .success();
}

/// `sign --canonical` of `path` in `charset` gives the canonical string of
/// {"plate":"粤B12345","car_desc":"临时车"}.
fn assert_signs_the_plate_record(path: &std::path::Path, charset: &str) {
    let out = pyun()
        .args([
            "sign",
            "--canonical",
            "--app-secret",
            "1",
            "--charset",
            charset,
        ])
        .arg(path)
        .assert()
        .success();
    assert_eq!(
        stdout(&out),
        "car_desc=临时车&plate=粤B12345&app_secret=***\n"
    );
}

#[test]
fn charset_gbk_reads_record_files() {
    // {"plate":"粤B12345","car_desc":"临时车"} in GBK.
    let mut gbk = b"{\"plate\":\"".to_vec();
    gbk.extend_from_slice(&[212, 193, 66, 49, 50, 51, 52, 53]);
    gbk.extend_from_slice(b"\",\"car_desc\":\"");
    gbk.extend_from_slice(&[193, 217, 202, 177, 179, 181]);
    gbk.extend_from_slice(b"\"}");
    let p = tmp("gbk.json", &gbk);
    assert_signs_the_plate_record(&p, "gbk");
    for cs in ["gb18030", "GBK", "ansi"] {
        pyun()
            .args(["sign", "--canonical", "--app-secret", "1", "--charset", cs])
            .arg(&p)
            .assert()
            .success();
    }
    // Without it, the error says what to do.
    let out = pyun()
        .args(["sign", "--canonical", "--app-secret", "1"])
        .arg(&p)
        .assert()
        .code(2);
    assert!(stderr(&out).contains("--charset"), "{}", stderr(&out));
    pyun()
        .args(["sign", "--app-secret", "1", "--charset", "latin9"])
        .arg(&p)
        .assert()
        .code(2);
}

/// Notepad's "Unicode" is UTF-16LE with a byte order mark: read as such whatever `--charset`
/// says; UTF-16 without one is named instead of misread.
#[test]
fn utf16_record_files_are_read_or_named() {
    let text = r#"{"plate":"粤B12345","car_desc":"临时车"}"#;
    let le: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    let be: Vec<u8> = [0xFE, 0xFF]
        .into_iter()
        .chain(text.encode_utf16().flat_map(u16::to_be_bytes))
        .collect();
    for (name, bytes, charset) in [("le.json", &le, "utf-8"), ("be.json", &be, "gbk")] {
        assert_signs_the_plate_record(&tmp(name, bytes), charset);
    }
    let out = pyun()
        .args(["sign", "--canonical", "--app-secret", "1"])
        .arg(tmp("nobom.json", &le[2..]))
        .assert()
        .code(2);
    assert!(stderr(&out).contains("UTF-16"), "{}", stderr(&out));
}

#[test]
fn json_errors_are_objects_on_stdout() {
    let out = pyun()
        .args(["sign", "--json", "--app-secret", "1", "-"])
        .write_stdin("{not json")
        .assert()
        .code(2);
    let v: Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(v["kind"], "input", "{}", v);
    assert_eq!(v["exit_code"], 2);
    assert!(v["message"].as_str().unwrap().contains("JSON"), "{}", v);
    // A network failure.
    let (_held, port) = closed_port();
    let out = pyun()
        .args([
            "push",
            "leave",
            "--json",
            "--attempts",
            "1",
            "--app-secret",
            "s",
        ])
        .arg("--base-url")
        .arg(format!("http://127.0.0.1:{}", port))
        .arg(data("leave.json"))
        .assert()
        .code(3);
    let v: Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(v["kind"], "network", "{}", v);
    assert_eq!(v["exit_code"], 3);
    // A usage error found by the argument parser, with --json anywhere.
    let out = pyun().args(["--json", "push", "nowhere"]).assert().code(2);
    let v: Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(v["kind"], "input", "{}", v);
    assert!(v["message"].as_str().unwrap().contains("<RECORD>"), "{}", v);
}

#[test]
fn json_on_reporting_commands() {
    let out = pyun()
        .args(["sign", "--json", "--app-secret", "123", "-"])
        .write_stdin(FIELDS)
        .assert()
        .success();
    let v: Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(
        v["sign"],
        pyun_core::form::md5_hex(b"a=1&b=2&app_secret=123")
    );
    assert_eq!(v["canonical"], "a=1&b=2&app_secret=***");
    let signed = pyun_core::push::sign_push(
        &[("plate".to_string(), "川A660P1".to_string())],
        &pyun_core::AppSecret::new("s"),
        "op1",
        None,
    );
    let obj: serde_json::Map<String, Value> = signed
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    let body = Value::Object(obj).to_string();
    let out = pyun()
        .args(["verify", "--json", "--app-secret", "s"])
        .write_stdin(body.clone())
        .assert()
        .code(0);
    let v: Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(v["valid"], true, "{}", v);
    let out = pyun()
        .args(["verify", "--json", "--app-secret", "other"])
        .write_stdin(body)
        .assert()
        .code(1);
    let v: Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(v["valid"], false, "{}", v);
    let out = pyun()
        .args([
            "explain",
            "--json",
            "--hint",
            "park_uuid=p&plate=?KKKKKK&app_secret=***",
            "-",
        ])
        .write_stdin(r#"{"park_uuid":"p","plate":"粤KKKKKK"}"#)
        .assert()
        .success();
    let v: Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(v["cause"], "fields_differ", "{}", v);
    assert!(v["summary"].as_str().unwrap().contains("charset"));
}

#[test]
fn exit_code_table_in_every_help() {
    let top = stdout(&pyun().arg("--help").assert().success());
    assert!(top.contains("Exit codes"), "{}", top);
    for cmd in [
        "push",
        "sign",
        "verify",
        "explain",
        "sandbox",
        "send-push",
        "outbox",
        "demo",
    ] {
        let h = stdout(&pyun().args([cmd, "--help"]).assert().success());
        for line in [
            "0  success",
            "1  refused",
            "2  input",
            "3  network",
            "4  outbox",
        ] {
            assert!(h.contains(line), "{} --help lacks {:?}:\n{}", cmd, line, h);
        }
    }
    let readme =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../README.md"))
            .unwrap();
    assert!(readme.contains("cargo install --locked --path cli"));
    assert!(
        readme.contains("| 3 | network"),
        "README lacks the exit-code table"
    );
    let cargo =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../Cargo.toml"))
            .unwrap();
    let release = cargo.split("[profile.release]").nth(1).unwrap();
    let release = release.split("\n[").next().unwrap();
    assert!(
        !release.contains("debug ="),
        "release ships debug info: {}",
        release
    );
    assert!(cargo.contains("[profile.profiling]"));
}

/// `pyun explain ... | head -c 10`: the reader goes away; the command ends quietly.
#[test]
fn closed_stdout_ends_quietly() {
    let long_hint = format!("park_uuid=p&plate={}&app_secret=***", "?".repeat(60_000));
    let mut child = StdCommand::new(assert_cmd::cargo::cargo_bin("pyun"))
        .env("PYUN_LANG", "en")
        .args(["explain", "--hint", &long_hint, "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!(r#"{{"park_uuid":"p","plate":"{}"}}"#, "粤".repeat(60_000)).as_bytes())
        .unwrap();
    let mut head = [0u8; 10];
    let mut out = child.stdout.take().unwrap();
    out.read_exact(&mut head).unwrap();
    drop(out);
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let status = child.wait().unwrap();
    assert_ne!(status.code(), Some(101), "{}", err);
    assert!(
        !err.contains("panicked") && !err.contains("internal error"),
        "{}",
        err
    );
    assert!(!err.contains("Broken pipe"), "{}", err);
}

fn leave_with_serial(serial: &str) -> PathBuf {
    let mut v: Value =
        serde_json::from_str(&std::fs::read_to_string(data("leave.json")).unwrap()).unwrap();
    v["parking_serial"] = serial.into();
    tmp(&format!("{}.json", serial), v.to_string().as_bytes())
}

/// A photo sent with a wrong secret: explain with the same --file says "wrong secret".
#[test]
fn explain_sees_the_photos_and_strict_prints_once() {
    let sb = Sandbox::start(SandboxConfig::default()).unwrap();
    let record = leave_with_serial("EXPLAIN-1");
    let photo = format!("leave_image_file={}", data("leave.bmp").display());
    let out = pyun()
        .args([
            "push",
            "leave",
            "--json",
            "--allow-ignored",
            "--app-secret",
            "wrong",
            "--file",
            &photo,
        ])
        .args(["--base-url", &sb.url()])
        .arg(&record)
        .assert()
        .success();
    let v: Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    let hint = v["response"]["hint"].as_str().unwrap().to_string();
    let explain = |extra: &[&str]| {
        let out = pyun()
            .args(["explain", "--json", "--endpoint", "leave", "--hint", &hint])
            .args(extra)
            .arg(&record)
            .assert()
            .success();
        let v: Value = serde_json::from_str(stdout(&out).trim()).unwrap();
        v["cause"].as_str().unwrap().to_string()
    };
    assert_eq!(explain(&["--file", &photo]), "wrong_secret");
    // Or the hash field given directly.
    let md5 = pyun_core::form::md5_hex(&std::fs::read(data("leave.bmp")).unwrap());
    let hash = format!("leave_image_hash={}", md5);
    assert_eq!(explain(&["--field", &hash]), "wrong_secret");
    // Human output names the cause too.
    let out = pyun()
        .args([
            "explain",
            "--endpoint",
            "leave",
            "--hint",
            &hint,
            "--file",
            &photo,
        ])
        .arg(&record)
        .assert()
        .success();
    assert!(stdout(&out).contains("app_secret"), "{}", stdout(&out));

    // --strict: the diagnosis once, in the error.
    let record = leave_with_serial("EXPLAIN-2");
    let out = pyun()
        .args([
            "push",
            "leave",
            "--strict",
            "--app-secret",
            "wrong",
            "--file",
            &photo,
        ])
        .args(["--base-url", &sb.url()])
        .arg(&record)
        .assert()
        .code(1);
    let err = stderr(&out);
    assert_eq!(err.matches("app_secret differs").count(), 1, "{}", err);
}

#[test]
fn errors_name_the_format() {
    // urlencoded with a field twice: not "JSON".
    let out = pyun()
        .args(["verify", "--app-secret", "s"])
        .write_stdin("plate=a&plate=b&sign=X")
        .assert()
        .code(2);
    let err = stderr(&out);
    assert!(err.contains("urlencoded"), "{}", err);
    assert!(!err.contains("JSON"), "{}", err);
    // discounts as a JSON array where the platform sends JSON text in a string.
    let out = pyun()
        .args(["verify", "--app-secret", "s"])
        .write_stdin(r#"{"pay_serial":"1","discounts":[],"sign":"X"}"#)
        .assert()
        .code(2);
    let err = stderr(&out);
    assert!(err.contains("`discounts`"), "{}", err);
    assert!(err.contains("JSON text in a string"), "{}", err);
    assert!(err.contains("\"[]\""), "{}", err);
}

/// Starts `pyun -v sandbox --json --port 0` with `args`; the child and its URL.
fn start_sandbox(args: &[&str]) -> (std::process::Child, String) {
    let mut child = StdCommand::new(assert_cmd::cargo::cargo_bin("pyun"))
        .env("PYUN_LANG", "en")
        .args(["-v", "sandbox", "--json", "--port", "0"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let v: Value = serde_json::from_str(first.trim()).unwrap();
    (child, v["url"].as_str().unwrap().to_string())
}

#[test]
fn sandbox_logs_requests_and_json_startup() {
    let (mut child, url) = start_sandbox(&[]);
    let record = leave_with_serial("LOG-1");
    for _ in 0..2 {
        pyun()
            .args(["push", "leave", "--app-secret", "123", "--base-url", &url])
            .arg(&record)
            .assert()
            .success();
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(err.contains("leave LOG-1: accepted"), "{}", err);
    assert!(err.contains("leave LOG-1: accepted (duplicate"), "{}", err);
}

#[test]
fn demo_counts_duplicates() {
    let out = pyun().arg("demo").assert().success();
    assert!(stdout(&out).contains("duplicate"), "{}", stdout(&out));
}

/// The gateway in front of the platform, from the command line: a 429 with `Retry-After` is
/// waited out and retried; a redirect to a login page is "not the platform's answer".
#[test]
fn sandbox_gateway_faults_from_the_command_line() {
    let (mut child, url) = start_sandbox(&[
        "--gateway-first",
        "1",
        "--gateway-status",
        "429",
        "--retry-after",
        "0",
    ]);
    // `pyun push leave` of a record with this serial to the sandbox at `url`.
    let push = |url: &str, serial: &str, extra: &str| {
        pyun()
            .args([
                "push",
                "leave",
                extra,
                "--app-secret",
                "123",
                "--base-url",
                url,
            ])
            .arg(leave_with_serial(serial))
            .assert()
    };
    let out = push(&url, "GW-1", "--json").success();
    let v: Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(v["outcome"], "accepted", "{}", v);
    assert_eq!(v["attempts"], 2, "{}", v);
    assert!(stderr(&out).contains("HTTP 429"), "{}", stderr(&out));
    child.kill().unwrap();
    child.wait().unwrap();

    let (mut child, url) = start_sandbox(&["--gateway-first", "5", "--gateway-status", "302"]);
    let out = push(&url, "GW-2", "--attempts=2").failure();
    let err = stderr(&out);
    assert!(
        err.contains("HTTP 302 to leave is not the platform's answer"),
        "{}",
        err
    );
    assert!(err.contains("attempt 1 failed"), "{}", err);
    child.kill().unwrap();
    child.wait().unwrap();

    let out = pyun()
        .args(["sandbox", "--gateway-first", "1", "--gateway-status", "42"])
        .assert()
        .code(2);
    assert!(
        stderr(&out).contains("--gateway-status"),
        "{}",
        stderr(&out)
    );
}
