//! Messages of the core in the language asked for, through the `pyun` binary: a failure of
//! the outbox's database is one sentence of the catalog (its frame, what it was doing), and a
//! plate of a doubtful shape is warned of in that language; English by default.

use std::path::PathBuf;

use assert_cmd::Command;

/// `pyun` in the language `lang` (`None`: nothing set, so English).
fn pyun_in(lang: Option<&str>) -> Command {
    let mut c = Command::cargo_bin("pyun").unwrap();
    for v in ["PYUN_LANG", "LC_ALL", "LC_MESSAGES", "LANG"] {
        c.env_remove(v);
    }
    if let Some(lang) = lang {
        c.env("PYUN_LANG", lang);
    }
    c
}

fn dir(name: &str) -> PathBuf {
    pyun_test_support::scratch_dir("lang-core", name)
}

#[test]
fn a_damaged_outbox_file_is_named_in_chinese() {
    let d = dir("damaged");
    let db = d.join("q.db");
    let junk: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(7919) & 0xff) as u8)
        .collect();
    std::fs::write(&db, &junk).unwrap();
    let run = |lang| {
        let out = pyun_in(lang)
            .args(["outbox", "--db"])
            .arg(&db)
            .arg("status")
            .assert()
            .code(4);
        String::from_utf8(out.get_output().stderr.clone()).unwrap()
    };
    assert_eq!(
        run(Some("zh")).trim(),
        format!(
            "pyun: 发件箱 {}：该文件不是可读取的发件箱数据库（已损坏？）；未改动该文件：file is not a database",
            db.display()
        )
    );
    assert_eq!(
        run(None).trim(),
        format!(
            "pyun: outbox {}: the file is not a readable outbox database (corrupt?); it was left untouched: file is not a database",
            db.display()
        )
    );
    // Left untouched, in either language.
    assert_eq!(std::fs::read(&db).unwrap(), junk);
}

#[test]
fn a_doubtful_plate_is_warned_of_in_chinese_and_still_stored() {
    let d = dir("plate");
    let db = d.join("q.db");
    let enqueue = |lang, serial: &str| {
        let out = pyun_in(lang)
            .args(["outbox", "--db"])
            .arg(&db)
            .args(["enqueue", "update", "-"])
            .write_stdin(format!(
                r#"{{"park_uuid":"p","flow_no":"{0}","parking_serial":"{0}","plate":"粤b12345"}}"#,
                serial
            ))
            .assert()
            .success();
        String::from_utf8(out.get_output().stderr.clone()).unwrap()
    };
    let zh = enqueue(Some("zh"), "W-1");
    assert!(
        zh.contains("车牌 \"粤b12345\"：含有小写字母：车牌字母应为大写（粤B12345），平台按发送的原样匹配（仍按原样发送：平台接受任何车牌文本）"),
        "{}",
        zh
    );
    assert!(!zh.contains("lowercase"), "{}", zh);
    let en = enqueue(None, "W-2");
    assert!(
        en.contains("plate \"粤b12345\" holds lowercase letters: plates are uppercase (粤B12345), and the platform matches them as sent (sent as it is: the platform takes any plate text)"),
        "{}",
        en
    );
    // A warning, never a refusal: both records are stored.
    let out = pyun_in(None)
        .args(["--json", "outbox", "--db"])
        .arg(&db)
        .arg("status")
        .assert()
        .success();
    let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(v["counts"]["pending"], 2, "{}", v);
}

/// `pyun push <endpoint> -` of `record` in `lang`: refused before sending (exit 2); its stderr.
fn refused(lang: Option<&str>, endpoint: &str, record: &str) -> String {
    let out = pyun_in(lang)
        .args(["push", endpoint, "-", "--base-url", "http://127.0.0.1:9"])
        .args(["--app-id", "a", "--app-secret", "s"])
        .write_stdin(record.to_string())
        .assert()
        .code(2);
    String::from_utf8(out.get_output().stderr.clone()).unwrap()
}

/// The example record of `endpoint` with `changes` set in it, as JSON text.
fn example_with(endpoint: &str, changes: serde_json::Value) -> String {
    let path = format!(
        "{}/../examples/data/{}.json",
        env!("CARGO_MANIFEST_DIR"),
        endpoint
    );
    let mut rec: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    for (k, v) in changes.as_object().unwrap() {
        rec[k] = v.clone();
    }
    rec.to_string()
}

#[test]
fn a_time_in_seconds_is_explained_in_chinese_and_english() {
    let rec = &example_with("enter", serde_json::json!({"enter_time": 1763791200}));
    assert_eq!(
        refused(Some("zh"), "enter", rec).trim(),
        "pyun: enter 记录无效：字段 `enter_time` 无效：1763791200 看起来是秒或无效的值；平台要的是毫秒时间戳（13 位数字）"
    );
    assert_eq!(
        refused(None, "enter", rec).trim(),
        "pyun: invalid enter record: `enter_time`: 1763791200 looks like seconds or a bogus value; the platform wants epoch milliseconds (13 digits)"
    );
    // A value of the wrong JSON type, and a UTC time in Beijing's local form.
    let rec = &example_with(
        "update",
        serde_json::json!({"plate": false, "operate_time": "2025-11-22 14:00:00"}),
    );
    assert_eq!(
        refused(Some("zh"), "update", rec).trim(),
        "pyun: update 记录无效：字段 `plate` 无效：类型不对：给的是布尔值 `false`，应为字符串；字段 `operate_time` 无效：\"2025-11-22 14:00:00\" 不是 UTC 时间 yyyy-MM-dd'T'HH:mm:ss'Z'（或 .SSS'Z'）；北京时间 08:00 即 T00:00:00Z"
    );
    assert_eq!(
        refused(None, "update", rec).trim(),
        "pyun: invalid update record: `plate`: invalid type: boolean `false`, expected a string; `operate_time`: \"2025-11-22 14:00:00\" is not UTC yyyy-MM-dd'T'HH:mm:ss'Z' (or .SSS'Z'); Beijing 08:00 is T00:00:00Z"
    );
}

#[test]
fn every_bad_payment_is_named_in_chinese_and_english() {
    let rec = example_with(
        "leave",
        serde_json::json!({"payment_list": [{"pay_time": "123", "value": "x", "pay_type": true}, 5]}),
    );
    assert_eq!(
        refused(Some("zh"), "leave", &rec).trim(),
        "pyun: leave 记录无效：字段 `payment_list` 无效：[0].pay_type：类型不对：给的是布尔值 `true`，应为pay_type（整数或十进制数字字符串）；[0].pay_time：123 看起来是秒或无效的值；平台要的是毫秒时间戳（13 位数字）；[0].value：金额（分）：必须是十进制整数，实际为 \"x\"；[1] 应为对象，实际为 5"
    );
    assert_eq!(
        refused(None, "leave", &rec).trim(),
        "pyun: invalid leave record: `payment_list`: [0].pay_type: invalid type: boolean `true`, expected pay_type as an integer or a decimal string; [0].pay_time: 123 looks like seconds or a bogus value; the platform wants epoch milliseconds (13 digits); [0].value: amount in fen must be a decimal integer, got \"x\"; [1].expected an object, got 5"
    );
}

#[test]
fn rare_file_and_share_texts_are_in_chinese_and_english() {
    // A directory given as a photo.
    let dir = dir("directory");
    let photo = format!("enter_image_file={}", dir.display());
    let push_dir = |lang| {
        let out = pyun_in(lang)
            .args(["push", "enter", "-", "--base-url", "http://127.0.0.1:9"])
            .args(["--app-secret", "s", "--file", &photo])
            .write_stdin(example_with("enter", serde_json::json!({})))
            .assert()
            .code(2);
        String::from_utf8(out.get_output().stderr.clone()).unwrap()
    };
    assert_eq!(
        push_dir(Some("zh")).trim(),
        format!(
            "pyun: 无法读取 enter_image_file 文件 {}：这是一个目录，不是文件",
            dir.display()
        )
    );
    assert_eq!(
        push_dir(None).trim(),
        format!(
            "pyun: cannot read enter_image_file file {}: is a directory",
            dir.display()
        )
    );
    // An outbox on a UNC path is refused (and not made), saying how it was recognised.
    let share = |lang| {
        let out = pyun_in(lang)
            .current_dir(&dir)
            .args(["outbox", "--db", r"\\lot-server\share\q.db", "status"])
            .assert()
            .code(4);
        String::from_utf8(out.get_output().stderr.clone()).unwrap()
    };
    let zh = share(Some("zh"));
    assert!(
        zh.contains("它位于网络共享上（UNC 路径 \\\\server\\share）"),
        "{}",
        zh
    );
    let en = share(None);
    assert!(
        en.contains("on a network share (a UNC path, \\\\server\\share)"),
        "{}",
        en
    );
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0, "nothing made");
    // A long bad value is cut, the size left out said in the language asked for.
    let rec = example_with("enter", serde_json::json!({"plate_color": "x".repeat(100)}));
    let x64 = "x".repeat(64);
    assert_eq!(
        refused(Some("zh"), "enter", &rec).trim(),
        format!("pyun: enter 记录无效：字段 `plate_color` 无效：plate_color：必须是十进制整数，实际为 \"{}\"……（后面还有 36 字节）", x64)
    );
    assert_eq!(
        refused(None, "enter", &rec).trim(),
        format!("pyun: invalid enter record: `plate_color`: plate_color must be a decimal integer, got \"{}\"...(36 more bytes)", x64)
    );
}

/// A one-shot `drain` paused by a refusal (a wrong secret, records in a row) says why once,
/// in its summary, in the language asked for: not again in an ERROR line of the log.
#[test]
fn a_paused_drain_says_why_once_in_chinese_and_english() {
    use pyun_core::outbox::{Outbox, OutboxOptions};
    let sandbox = pyun_sandbox::Sandbox::start(pyun_sandbox::SandboxConfig {
        app_secret: "right".into(),
        ..pyun_sandbox::SandboxConfig::default()
    })
    .unwrap();
    let drain = |lang, name| {
        let db = dir(name).join("q.db");
        let outbox = Outbox::open(&db, OutboxOptions::default()).unwrap();
        for i in 0..4 {
            let rec = example_with(
                "enter",
                serde_json::json!({"parking_serial": format!("P-{}", i)}),
            );
            let rec = pyun_core::AnyRecord::from_json(pyun_core::Endpoint::Enter, &rec).unwrap();
            outbox.enqueue(&rec, &[]).unwrap();
        }
        drop(outbox);
        let out = pyun_in(lang)
            .args(["outbox", "--db"])
            .arg(&db)
            .args([
                "drain",
                "--app-secret",
                "wrong",
                "--base-url",
                &sandbox.url(),
            ])
            .assert()
            .code(6);
        let o = out.get_output();
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    };
    let zh = drain(Some("zh"), "paused-zh");
    assert_eq!(zh.matches("投递暂停").count(), 1, "{}", zh);
    assert!(zh.contains("连续 3 条记录以同样的方式被拒绝"), "{}", zh);
    assert!(
        !zh.contains("ERROR") && !zh.contains("delivery paused"),
        "{}",
        zh
    );
    let en = drain(None, "paused-en");
    assert_eq!(en.matches("delivery paused for").count(), 1, "{}", en);
    assert!(!en.contains("ERROR"), "{}", en);
}

#[test]
fn a_record_file_cut_short_or_with_a_field_twice_is_refused_in_chinese_and_english() {
    let cut = "{\"park_uuid\":\"p\",\n\"plate\":";
    assert_eq!(
        refused(Some("zh"), "enter", cut).trim(),
        "pyun: JSON 格式错误：第 2 行第 8 列：JSON 文本没有写完（EOF while parsing a value）"
    );
    assert_eq!(
        refused(None, "enter", cut).trim(),
        "pyun: malformed JSON: EOF while parsing a value at line 2 column 8"
    );
    // The platform would get one of the two plates: refused instead, naming the field.
    let rec = example_with("enter", serde_json::json!({}));
    let twice = rec.replacen('{', r#"{"plate":"粤A00001","plate":"粤A00002","#, 1);
    assert_eq!(
        refused(Some("zh"), "enter", &twice).trim(),
        "pyun: JSON 格式错误：第 1 行第 40 列：字段 `plate` 出现了两次"
    );
    assert_eq!(
        refused(None, "enter", &twice).trim(),
        "pyun: malformed JSON: field `plate` appears twice at line 1 column 40"
    );
}

#[test]
fn a_refused_connection_is_explained_in_chinese_and_ureqs_english_kept() {
    let (_held, port) = pyun_test_support::closed_port();
    let run = |lang| {
        let out = pyun_in(lang)
            .args(["push", "enter"])
            .arg(format!(
                "{}/../examples/data/enter.json",
                env!("CARGO_MANIFEST_DIR")
            ))
            .args(["--base-url", &format!("http://127.0.0.1:{port}")])
            .args(["--app-id", "a", "--api-type", "t", "--app-secret", "s"])
            .assert()
            .code(3);
        let err = String::from_utf8(out.get_output().stderr.clone()).unwrap();
        err.lines().last().unwrap_or_default().to_string()
    };
    let url = format!("http://127.0.0.1:{port}/gate/1.0/parking/internal/enter");
    let zh = run(Some("zh"));
    assert!(
        zh.starts_with(&format!(
            "pyun: 网络错误：无法连接，已尝试 4 次：POST {url}：连接被拒绝：该地址的这个端口上没有服务在监听（io: "
        )),
        "{zh}"
    );
    let en = run(None);
    assert!(
        en.starts_with(&format!(
            "pyun: network error: cannot connect after 4 attempt(s): POST {url}: io: "
        )),
        "{en}"
    );
}
