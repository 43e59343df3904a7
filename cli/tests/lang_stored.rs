//! Errors kept in a database are shown in the language of whoever reads them, not of the
//! process that wrote them: an outbox drained by a process in English (a service with no
//! locale) read by `pyun outbox` in Chinese, and a push whose handler failed read by `pyun
//! pushes`. The English stays in the database and in `--json`; an outbox of an earlier pyun
//! still shows its English.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::listener::{exec_handler, post, signed, Listener};
use pyun_core::outbox::{Outbox, OutboxOptions};
use pyun_core::receive::BodyEncoding;
use pyun_core::{AnyRecord, Endpoint};
use pyun_sandbox::{sample_payment_push, Sandbox, SandboxConfig};
use serde_json::Value;

const SECRET: &str = "stored-secret";

fn tmp(name: &str) -> PathBuf {
    pyun_test_support::scratch_dir("stored", name)
}

/// `pyun` in `lang`, nothing else in its environment saying a language.
fn pyun(lang: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_pyun"));
    for v in [
        "LC_ALL",
        "LC_MESSAGES",
        "LANG",
        "PYUN_APP_SECRET",
        "PYUN_OUTBOX",
    ] {
        c.env_remove(v);
    }
    c.env("PYUN_LANG", lang);
    c
}

/// Standard output of `pyun outbox --db db args...` in `lang`.
fn outbox(lang: &str, db: &Path, args: &[&str]) -> String {
    let out = pyun(lang)
        .args(["outbox", "--db"])
        .arg(db)
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "{:?}", out);
    String::from_utf8(out.stdout).unwrap()
}

/// The lines of `pyun outbox events`, without their time.
fn events(lang: &str, db: &Path) -> Vec<String> {
    outbox(lang, db, &["events"])
        .lines()
        .map(|l| l.split_once(' ').unwrap().1.to_string())
        .collect()
}

fn enter(serial: &str) -> AnyRecord {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/data/enter.json");
    let mut v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    v["parking_serial"] = serial.into();
    AnyRecord::from_json(Endpoint::Enter, &v.to_string()).unwrap()
}

/// An outbox holding enters of these serials, drained with a wrong secret by a `pyun` in
/// English (exit code `code`).
fn refused_in_english(dir: &Path, serials: &[&str], code: i32) -> PathBuf {
    let db = dir.join("q.db");
    let ob = Outbox::open(&db, OutboxOptions::default()).unwrap();
    for s in serials {
        ob.enqueue(&enter(s), &[]).unwrap();
    }
    drop(ob);
    let sb = Sandbox::start(SandboxConfig {
        app_secret: SECRET.into(),
        ..SandboxConfig::default()
    })
    .unwrap();
    let out = pyun("en")
        .args(["outbox", "--db"])
        .arg(&db)
        .args(["drain", "--app-secret", "wrong", "--base-url", &sb.url()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(code), "{:?}", out);
    db
}

const DIAG_EN: &str = "the platform received exactly the fields that were signed, so the app_secret differs from the one the platform holds for this parking lot (check the secret, park_uuid and app_id)";
const DIAG_ZH: &str = "平台收到的字段与签名的字段完全一致，所以 app_secret 与平台为该车场保存的密钥不同（请检查密钥、park_uuid 和 app_id）";

/// The refusal of a record by a wrong secret, in English and in Chinese, for the seqno and
/// hint the sandbox gave it (read from `text`, a stored English message that ends with it).
fn refusal(text: &str) -> (String, String) {
    let seqno = text
        .split("seqno ")
        .nth(1)
        .unwrap()
        .split(';')
        .next()
        .unwrap();
    let hint = text.rsplit("; hint: ").next().unwrap();
    assert!(hint.starts_with("签名验证不通过["), "{}", text);
    (
        format!(
            "the platform ignored the enter record: it did not reach the platform's records (code \"200\" \"已忽略当前请求\", HTTP 200), seqno {}; {}; hint: {}",
            seqno, DIAG_EN, hint
        ),
        format!(
            "平台已忽略该 enter 记录，未入库（code \"200\" \"已忽略当前请求\"，HTTP 200），流水号 seqno {}；{}；平台提示：{}",
            seqno, DIAG_ZH, hint
        ),
    )
}

/// The `last_error` column of record `id`, as the database holds it.
fn stored_error(db: &Path, id: i64) -> String {
    rusqlite::Connection::open(db)
        .unwrap()
        .query_row("SELECT last_error FROM records WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .unwrap()
}

#[test]
fn a_dead_letter_written_in_english_is_read_in_chinese() {
    let db = refused_in_english(&tmp("dead"), &["D-1"], 1);
    let stored = stored_error(&db, 1);
    let (en, zh) = refusal(&stored);
    assert_eq!(stored, en, "the database keeps the English");
    assert_eq!(
        outbox("zh", &db, &["dead"]),
        format!("#1 enter D-1，已尝试 1 次：{}\n    诊断：{}\n", zh, DIAG_ZH)
    );
    assert_eq!(
        outbox("en", &db, &["dead"]),
        format!(
            "#1 enter D-1 after 1 attempt(s): {}\n    diagnosis: {}\n",
            en, DIAG_EN
        )
    );
    assert_eq!(
        outbox("zh", &db, &["show", "1"]),
        format!(
            "#1 enter D-1 dead，已尝试 1 次\n    上次错误：{}\n    诊断：{}\n",
            zh, DIAG_ZH
        )
    );
    assert_eq!(
        outbox("en", &db, &["show", "1"]),
        format!(
            "#1 enter D-1 dead after 1 attempt(s)\n    last error: {}\n    diagnosis: {}\n",
            en, DIAG_EN
        )
    );
    assert_eq!(events("zh", &db), [format!("dead #1 enter D-1 {}", zh)]);
    assert_eq!(events("en", &db), [format!("dead #1 enter D-1 {}", en)]);
    // Scripts read the English, whoever reads.
    let json: Value = serde_json::from_str(&outbox("zh", &db, &["show", "1", "--json"])).unwrap();
    assert_eq!(json[0]["last_error"], en.as_str());
    assert_eq!(json[0]["diagnosis"], DIAG_EN);
    let json: Value = serde_json::from_str(&outbox("zh", &db, &["events", "--json"])).unwrap();
    assert_eq!(json["reason"], en.as_str());
}

#[test]
fn a_pause_written_in_english_is_read_in_chinese() {
    let db = refused_in_english(&tmp("paused"), &["P-1", "P-2", "P-3", "P-4"], 6);
    let stored = stored_error(&db, 3);
    let last = stored.rsplit("Last: ").next().unwrap();
    let (last_en, last_zh) = refusal(last);
    let en = format!("delivery paused for 1 s: 3 records in a row were refused the same way (ignored), so the cause is not one record (a wrong app_secret? the lot blocked?); they stay pending. Last: {}", last_en);
    let zh = format!("投递暂停 1 秒：连续 3 条记录以同样的方式被拒绝（ignored），原因不在单条记录（app_secret 错误？车场被停用？）；这些记录保留待发。最后一条：{}", last_zh);
    assert_eq!(stored, en, "the database keeps the English");
    let list = outbox("zh", &db, &["list"]);
    assert_eq!(
        list.matches(&format!("\n    上次错误：{}\n", zh)).count(),
        3,
        "{}",
        list
    );
    let list = outbox("en", &db, &["list"]);
    assert_eq!(
        list.matches(&format!("\n    last error: {}\n", en)).count(),
        3,
        "{}",
        list
    );
    // The two dead letters the pause put back, each refused with its own seqno.
    let english = events("en", &db);
    let dead = |serial: &str, i: usize| {
        let (en, zh) = refusal(&english[i]);
        assert_eq!(
            english[i],
            format!("dead #{} enter {} {}", i + 1, serial, en)
        );
        format!("dead #{} enter {} {}", i + 1, serial, zh)
    };
    assert_eq!(
        events("zh", &db),
        [
            dead("P-1", 0),
            dead("P-2", 1),
            format!("requeued #1 enter P-1 {}", zh),
            format!("requeued #2 enter P-2 {}", zh),
        ]
    );
    assert_eq!(
        english[2..],
        [
            format!("requeued #1 enter P-1 {}", en),
            format!("requeued #2 enter P-2 {}", en)
        ]
    );
}

#[test]
fn lost_records_found_by_a_process_in_english_are_read_in_chinese() {
    let dir = tmp("lost");
    let db = dir.join("q.db");
    let ob = Outbox::open(&db, OutboxOptions::default()).unwrap();
    ob.enqueue(&enter("KEPT-1"), &[]).unwrap();
    drop(ob);
    let older = dir.join("older.db");
    std::fs::copy(&db, &older).unwrap();
    let ob = Outbox::open(&db, OutboxOptions::default()).unwrap();
    ob.enqueue(&enter("GONE-2"), &[]).unwrap();
    drop(ob);
    std::fs::copy(&older, &db).unwrap();
    // Found (and reported) by a process in English.
    let found = pyun("en")
        .args(["outbox", "--db"])
        .arg(&db)
        .arg("status")
        .output()
        .unwrap();
    assert_eq!(found.status.code(), Some(4), "{:?}", found);
    assert_eq!(
        outbox("zh", &db, &["dead"]),
        "#2 enter GONE-2，已尝试 0 次：LOST（已丢失）：这条已提交的记录不在数据库中（其 WAL 日志损坏，或放回了旧的文件副本）；请从数据来源重新发送\n"
    );
    assert_eq!(
        outbox("en", &db, &["dead"]),
        "#2 enter GONE-2 after 0 attempt(s): LOST: this committed record is missing from the database (its WAL journal was damaged, or an older copy of the file was put back); send it again from its source\n"
    );
    assert_eq!(
        events("zh", &db),
        ["dead #2 enter GONE-2 LOST（已丢失）：数据库中没有这条记录"]
    );
    assert_eq!(
        events("en", &db),
        ["dead #2 enter GONE-2 LOST: missing from the database"]
    );
}

/// An outbox of an earlier pyun (`core/tests/data`, made by main at 23e410a) opens, and its
/// rows (no stored message) show their English in Chinese too.
#[test]
fn an_outbox_of_an_earlier_pyun_shows_its_english() {
    let dir = tmp("earlier");
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../core/tests/data");
    for suffix in ["", "-enqueued"] {
        std::fs::copy(
            data.join(format!("outbox-main-23e410a.db{}", suffix)),
            dir.join(format!("q.db{}", suffix)),
        )
        .unwrap();
    }
    let db = dir.join("q.db");
    // An English error of the earlier pyun, as it would have written it.
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute(
            "UPDATE records SET last_error = 'HTTP 502 from the gateway' WHERE id = 4",
            [],
        )
        .unwrap();
    let list = outbox("zh", &db, &["show", "4"]);
    assert!(
        list.contains("上次错误：HTTP 502 from the gateway"),
        "{}",
        list
    );
    assert_eq!(
        outbox("zh", &db, &["status"]).lines().next(),
        Some("待发 2  已送达 3  死信 0")
    );
}

#[test]
fn a_handler_failure_stored_in_english_is_read_in_chinese() {
    let dir = tmp("handler");
    let db = dir.join("pushes.db");
    let l = Listener::start(&db, &["--exec", &exec_handler(&dir)]);
    std::fs::write(dir.join("fail"), "").unwrap();
    let r = post(&l.url, &signed(sample_payment_push()), BodyEncoding::Form);
    assert_eq!(r.0, 500, "{:?}", r);
    drop(l);
    let pushes = |lang: &str, args: &[&str]| -> String {
        let out = pyun(lang)
            .args(["pushes", "--db"])
            .arg(&db)
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{:?}", out);
        String::from_utf8(out.stdout).unwrap()
    };
    let en = "--exec ended with exit status: 3";
    let zh = "--exec 以 exit status: 3 结束";
    let list = pushes("zh", &["list"]);
    assert!(list.contains(&format!("：{}", zh)), "{}", list);
    let list = pushes("en", &["list"]);
    assert!(list.contains(&format!(": {}", en)), "{}", list);
    let show: Value = serde_json::from_str(&pushes("zh", &["show", "1"])).unwrap();
    assert_eq!(show["last_error"], zh);
    let json: Value = serde_json::from_str(&pushes("zh", &["show", "1", "--json"])).unwrap();
    assert_eq!(json["last_error"], en);
}
