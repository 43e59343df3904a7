//! Issue 25, items 3 and 4, through the `pyun` process: a record that did not reach the platform
//! is a failure by default (push), `outbox drain` says by its exit code whether everything was
//! delivered, some records are still pending, or a refusal paused delivery; and a drain with no
//! network stops at its first connection failure instead of trying every record.

use std::path::{Path, PathBuf};
use std::process::Command;

use pyun_core::outbox::{Outbox, OutboxOptions};
use pyun_core::{AnyRecord, Endpoint};
use pyun_sandbox::{Sandbox, SandboxConfig};
use pyun_test_support::{closed_port, data};
use serde_json::Value;

const SECRET: &str = "failures-secret";

fn sandbox() -> Sandbox {
    Sandbox::start(SandboxConfig {
        app_secret: SECRET.into(),
        ..SandboxConfig::default()
    })
    .unwrap()
}

fn tmp(name: &str) -> PathBuf {
    pyun_test_support::scratch_dir("failures", name)
}

fn pyun() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_pyun"));
    c.env("PYUN_LANG", "en")
        .env_remove("PYUN_APP_SECRET")
        .env_remove("PYUN_BASE_URL")
        .env_remove("PYUN_OUTBOX");
    c
}

/// Runs it: (exit code, stdout, stderr).
fn run(c: &mut Command) -> (i32, String, String) {
    let out = c.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn enter_record(serial: &str) -> AnyRecord {
    let mut v: Value =
        serde_json::from_str(&std::fs::read_to_string(data("enter.json")).unwrap()).unwrap();
    v["parking_serial"] = serial.into();
    AnyRecord::from_json(Endpoint::Enter, &v.to_string()).unwrap()
}

fn update_record(flow: &str) -> AnyRecord {
    AnyRecord::from_json(Endpoint::Update, &pyun_test_support::update_json(flow)).unwrap()
}

/// An outbox file holding `records`, written in this process.
fn outbox_with(dir: &Path, records: &[AnyRecord]) -> PathBuf {
    let db = dir.join("q.db");
    let ob = Outbox::open(&db, OutboxOptions::default()).unwrap();
    for r in records {
        ob.enqueue(r, &[]).unwrap();
    }
    db
}

fn drain(db: &Path, secret: &str, base_url: &str, extra: &[&str]) -> (i32, String, String) {
    run(pyun()
        .args(["outbox", "--db"])
        .arg(db)
        .args(["drain", "--app-secret", secret, "--base-url", base_url])
        .args(extra))
}

/// A push the platform ignored (a wrong secret: `200` with a hint) exits 1 and shows the hint;
/// `--allow-ignored` is the explicit way back to exit 0; `--strict` is still accepted.
#[test]
fn an_ignored_push_is_a_failure_by_default() {
    let sb = sandbox();
    let record = data("enter.json");
    let (code, out, err) = run(pyun()
        .args([
            "push",
            "enter",
            "--app-secret",
            "wrong",
            "--base-url",
            &sb.url(),
        ])
        .arg(&record));
    assert_eq!(code, 1, "{}{}", out, err);
    assert!(err.contains("ignored"), "{}", err);
    assert!(err.contains("did not reach"), "{}", err);
    // The platform's hint, as it wrote it (its canonical string, secret masked).
    assert!(err.contains("hint: "), "{}", err);
    assert!(err.contains("app_secret=***"), "{}", err);
    assert!(!err.contains("wrong&"), "{}", err);

    let (code, out, err) = run(pyun()
        .args(["push", "enter", "--json", "--app-secret", "wrong"])
        .args(["--base-url", &sb.url()])
        .arg(&record));
    assert_eq!(code, 1, "{}{}", out, err);
    let v: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(
        (v["error"].as_bool(), v["kind"].as_str()),
        (Some(true), Some("refused")),
        "{}",
        v
    );
    assert_eq!(v["result"]["outcome"], "ignored", "{}", v);
    assert!(
        v["result"]["hint"]
            .as_str()
            .unwrap_or("")
            .contains("app_secret=***"),
        "{}",
        v
    );

    let (code, out, err) = run(pyun()
        .args(["push", "enter", "--strict", "--app-secret", "wrong"])
        .args(["--base-url", &sb.url()])
        .arg(&record));
    assert_eq!(
        code, 1,
        "--strict is accepted and changes nothing: {}{}",
        out, err
    );

    let (code, out, err) = run(pyun()
        .args(["push", "enter", "--allow-ignored", "--app-secret", "wrong"])
        .args(["--base-url", &sb.url()])
        .arg(&record));
    assert_eq!(code, 0, "{}{}", out, err);
    assert!(out.contains("ignored"), "{}", out);
    assert!(out.contains("hint: "), "the hint in text mode: {}", out);
    assert!(sb.records().is_empty(), "{:?}", sb.records().len());

    // The right secret: accepted, exit 0.
    let (code, out, err) = run(pyun()
        .args([
            "push",
            "enter",
            "--app-secret",
            SECRET,
            "--base-url",
            &sb.url(),
        ])
        .arg(&record));
    assert_eq!(code, 0, "{}{}", out, err);
    assert_eq!(sb.records().len(), 1);
}

/// `drain`'s exit code: 0 all delivered, 1 refused (dead letters), 5 some still pending (the
/// platform unreachable), 6 paused by a refusal (a wrong secret, records in a row); the JSON
/// report's `result` says the same.
#[test]
fn drain_exit_codes_say_what_happened() {
    let sb = sandbox();
    let result = |out: &str| -> String {
        let v: Value = serde_json::from_str(out.trim()).unwrap();
        v["result"].as_str().unwrap_or("").to_string()
    };

    let db = outbox_with(
        &tmp("delivered"),
        &[update_record("D-1"), update_record("D-2")],
    );
    let (code, out, err) = drain(&db, SECRET, &sb.url(), &["--json"]);
    assert_eq!(code, 0, "{}{}", out, err);
    assert_eq!(result(&out), "delivered", "{}", out);

    // One record refused for good: a dead letter.
    let db = outbox_with(&tmp("refused"), &[enter_record("R-1")]);
    let (code, out, err) = drain(&db, "wrong", &sb.url(), &[]);
    assert_eq!(code, 1, "{}{}", out, err);
    assert!(out.contains("dead 1"), "{}", out);

    // The same refusal for records in a row: delivery paused, all still pending.
    let records: Vec<AnyRecord> = (0..4).map(|i| enter_record(&format!("P-{}", i))).collect();
    let db = outbox_with(&tmp("paused"), &records);
    let (code, out, err) = drain(&db, "wrong", &sb.url(), &["--json"]);
    assert_eq!(code, 6, "{}{}", out, err);
    assert_eq!(result(&out), "paused", "{}", out);

    // The network down: still pending.
    let (_held, port) = closed_port();
    let down = format!("http://127.0.0.1:{}", port);
    let db = outbox_with(&tmp("pending"), &[update_record("N-1")]);
    let (code, out, err) = drain(&db, SECRET, &down, &["--json"]);
    assert_eq!(code, 5, "{}{}", out, err);
    assert_eq!(result(&out), "pending", "{}", out);
    let (code, out, err) = drain(&db, SECRET, &down, &[]);
    assert_eq!(code, 5, "{}{}", out, err);
    assert!(out.contains("still pending 1"), "{}", out);

    // The table is in every help.
    let (_, help, _) = run(pyun().args(["outbox", "drain", "--help"]));
    assert!(
        help.contains("5  pending") && help.contains("6  paused"),
        "{}",
        help
    );
}

/// No storm offline: with nothing listening, a drain of thousands of records makes one attempt
/// (no retries within it) and stops; the others stay pending, the reason reported.
#[test]
fn a_drain_without_network_stops_at_the_first_connection_failure() {
    let (_held, port) = closed_port();
    let down = format!("http://127.0.0.1:{}", port);
    let records: Vec<AnyRecord> = (0..2000)
        .map(|i| update_record(&format!("STORM-{}", i)))
        .collect();
    let db = outbox_with(&tmp("storm"), &records);
    // --attempts 1: before the fix each record was tried in turn (and with the default four
    // attempts each, the run took hours); counts, not time, are asserted.
    let (code, out, err) = drain(&db, SECRET, &down, &["--json", "--attempts", "1"]);
    assert_eq!(code, 5, "{}{}", out, err);
    let v: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["retried"], 1, "one record tried: {}", v);
    assert_eq!(v["pending"], 2000, "{}", v);
    let why = v["offline"].as_str().unwrap_or("");
    assert!(why.contains("1999") && why.contains("not tried"), "{}", v);

    // The default attempts: a connection refused is not retried within the drain either (the
    // queue retries after its backoff), so no "retrying" warnings.
    let db = outbox_with(&tmp("storm-default"), &records[..3]);
    let (code, out, err) = drain(&db, SECRET, &down, &["-v"]);
    assert_eq!(code, 5, "{}{}", out, err);
    assert_eq!(err.matches("retrying").count(), 0, "{}", err);
    assert!(out.contains("retried 1"), "{}", out);
    assert!(out.contains("2 record(s) not tried"), "{}", out);

    // In Chinese for people (PYUN_LANG=zh); the JSON above stays English for scripts.
    let db = outbox_with(&tmp("storm-zh"), &records[..3]);
    let (code, out, err) = run(pyun()
        .env("PYUN_LANG", "zh")
        .args(["outbox", "--db"])
        .arg(&db)
        .args(["drain", "--app-secret", SECRET, "--base-url", &down]));
    assert_eq!(code, 5, "{}{}", out, err);
    assert!(
        out.contains("投递已暂停：无法连接平台") && out.contains("未尝试的 2 条记录保留待发"),
        "{}",
        out
    );
}
