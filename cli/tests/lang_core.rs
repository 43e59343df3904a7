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
    let d = std::env::temp_dir().join(format!("pyun-lang-core-{}-{}", name, std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
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
