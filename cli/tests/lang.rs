//! The `pyun` binary speaks the language its environment asks for: `PYUN_LANG`, then the
//! locale (`LC_ALL`, `LC_MESSAGES`, `LANG`), English by default. The platform's own phrase
//! (参数`x`未传递) is quoted as the platform writes it in both.

use assert_cmd::Command;

/// `pyun` with no language setting from the test's own environment.
fn pyun() -> Command {
    let mut c = Command::cargo_bin("pyun").unwrap();
    for v in ["PYUN_LANG", "LC_ALL", "LC_MESSAGES", "LANG"] {
        c.env_remove(v);
    }
    c
}

fn stderr(c: &mut Command) -> String {
    let out = c.assert().code(2);
    String::from_utf8(out.get_output().stderr.clone()).unwrap()
}

/// An enter record without `parking_serial`: refused before anything is sent.
fn push_without_serial(c: &mut Command) -> &mut Command {
    c.args([
        "push",
        "enter",
        "-",
        "--app-secret",
        "s",
        "--base-url",
        "http://127.0.0.1:9",
    ])
    .write_stdin(r#"{"park_uuid":"p1","plate":"粤B12345","plate_color":1,"enter_time":"1763791200000","car_type":1,"car_desc":"临停","charge_type":"1"}"#)
}

#[test]
fn pyun_lang_zh_gives_chinese_messages() {
    let err = stderr(push_without_serial(pyun().env("PYUN_LANG", "zh")));
    assert_eq!(
        err.trim(),
        "pyun: enter 记录无效：缺少必填字段 `parking_serial`（参数`parking_serial`未传递）"
    );
    let err = stderr(
        pyun()
            .env("PYUN_LANG", "zh")
            .args(["verify", "--app-secret", "s"])
            .write_stdin(r#"{"a":"1"}"#),
    );
    assert_eq!(err.trim(), "pyun: 推送缺少 `sign`（签名）字段");
}

#[test]
fn a_chinese_locale_gives_chinese_messages_and_json() {
    let err = stderr(
        pyun()
            .env("LANG", "zh_CN.UTF-8")
            .args(["sign", "--app-secret", ""])
            .write_stdin("{}"),
    );
    assert_eq!(err.trim(), "pyun: --app-secret（密钥）为空");
    let out = push_without_serial(pyun().env("LANG", "zh_CN.UTF-8").arg("--json"))
        .assert()
        .code(2);
    let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("缺少必填字段 `parking_serial`"),
        "{}",
        v
    );
}

#[test]
fn english_by_default_and_when_asked() {
    let expected = "pyun: invalid enter record: `parking_serial` is required but missing (参数`parking_serial`未传递)";
    assert_eq!(stderr(push_without_serial(&mut pyun())).trim(), expected);
    let err = stderr(push_without_serial(
        pyun().env("LANG", "zh_CN.UTF-8").env("PYUN_LANG", "en"),
    ));
    assert_eq!(err.trim(), expected);
    let err = stderr(push_without_serial(
        pyun().env("LANG", "zh_CN.UTF-8").env("LC_ALL", "C"),
    ));
    assert_eq!(err.trim(), expected);
}

#[test]
fn pushes_and_outbox_errors_in_chinese() {
    let dir = std::env::temp_dir().join(format!("pyun-lang-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("missing.db");
    let out = pyun()
        .env("PYUN_LANG", "zh")
        .args(["pushes", "--db"])
        .arg(&db)
        .arg("list")
        .assert()
        .failure();
    let err = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(
        err.contains("处没有推送存储（由 pyun listen --db 创建）"),
        "{}",
        err
    );
    let out = pyun()
        .env("PYUN_LANG", "zh")
        .args(["outbox", "--db"])
        .arg(dir.join("o.db"))
        .args(["show", "NOPE-1"])
        .assert()
        .code(1);
    let err = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(err.contains("中没有记录 \"NOPE-1\""), "{}", err);
    let out = pyun()
        .env("PYUN_LANG", "zh")
        .args(["outbox", "--db"])
        .arg(dir.join("o.db"))
        .arg("status")
        .assert()
        .success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert_eq!(text.trim(), "待发 0  已送达 0  死信 0");
}
