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

/// `pyun` in Chinese.
fn zh() -> Command {
    let mut c = pyun();
    c.env("PYUN_LANG", "zh");
    c
}

fn tmp(name: &str) -> std::path::PathBuf {
    pyun_test_support::scratch_dir("lang", name)
}

#[cfg(not(windows))]
#[test]
fn service_and_console_errors_in_chinese() {
    let err = stderr(zh().args(["service", "status", "--name", "pyun-listen"]));
    assert_eq!(
        err.trim(),
        "pyun: pyun service 仅用于 Windows（把 listen、outbox drain --follow 或 console 作为 Windows 服务运行）；其他系统请用自己的服务管理器（systemd、launchd）运行它们"
    );
    let missing = tmp("console").join("missing.db");
    let err = stderr(
        zh().args(["console", "--port", "0", "--outbox"])
            .arg(&missing),
    );
    assert_eq!(
        err.trim(),
        format!(
            "pyun: --outbox {}：文件不存在（控制台只显示已有的发件箱，不会新建）",
            missing.display()
        )
    );
    let err = stderr(
        zh().args(["console", "--port", "0", "--host", "0.0.0.0", "--outbox"])
            .arg(&missing),
    );
    assert!(
        err.starts_with("pyun: --host 0.0.0.0：不是本机回环地址"),
        "{}",
        err
    );
    // An unknown endpoint, as push and outbox enqueue name it.
    let err = stderr(
        zh().args(["push", "exit", "-", "--app-secret", "s"])
            .write_stdin("{}"),
    );
    assert_eq!(
        err.trim(),
        "pyun: 未知的接口 \"exit\"：应为 enter、leave、release 或 update"
    );
}

#[test]
fn the_demo_speaks_chinese() {
    let out = zh().arg("demo").assert().success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(
        text.starts_with("pyun 演示：P云 平台的沙箱位于 http://"),
        "{}",
        text
    );
    assert!(
        text.contains("照片 leave.bmp + payment_list；沙箱注入一次 503"),
        "{}",
        text
    );
    assert!(text.contains("诊断 #5："), "{}", text);
    assert!(text.contains("沙箱接收了 4 条记录"), "{}", text);
    assert!(
        text.trim_end()
            .ends_with("演示结束：每一步的结果都符合预期"),
        "{}",
        text
    );
}

/// The listener's log line in Chinese; the URL stays readable (a space after it).
#[test]
fn the_listeners_log_in_chinese() {
    use std::io::BufRead;
    let db = tmp("listen").join("pushes.db");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_pyun"))
        .env_remove("LC_ALL")
        .env_remove("LANG")
        .env("PYUN_LANG", "zh")
        .env("PYUN_APP_SECRET", "s")
        .args(["listen", "--port", "0", "--db"])
        .arg(&db)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    let line = first.split_once(' ').map(|(_, l)| l.trim()).unwrap_or("");
    assert!(line.starts_with("正在监听 http://127.0.0.1:"), "{}", first);
    assert!(
        line.ends_with(&format!("（存储 {}）；按 Ctrl+C 停止", db.display())),
        "{}",
        first
    );
    // A push without a sign: the log says so in Chinese, the sender is answered in English.
    let addr = line["正在监听 http://".len()..].split(' ').next().unwrap();
    let mut conn = std::net::TcpStream::connect(addr).unwrap();
    use std::io::{Read, Write};
    conn.write_all(
        b"POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
          Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 3\r\n\r\na=1",
    )
    .unwrap();
    let mut answer = String::new();
    conn.read_to_string(&mut answer).unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 400")
            && answer.ends_with(r#"{"code":"400","message":"the push has no `sign` field"}"#),
        "{}",
        answer
    );
    let mut second = String::new();
    out.read_line(&mut second).unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        second.contains(" 推送 unknown \"\" 验签未通过，未确认：推送缺少 `sign`（签名）字段 ("),
        "{}",
        second
    );
}

#[test]
fn help_in_chinese_english_by_default() {
    let help = |c: &mut Command| {
        let out = c.args(["push", "--help"]).assert().success();
        String::from_utf8(out.get_output().stdout.clone()).unwrap()
    };
    let zh_help = help(&mut zh());
    assert!(
        zh_help.starts_with("校验、签名并发送一条记录\n\n用法: pyun push "),
        "{}",
        zh_help
    );
    for part in [
        "参数:\n  <ENDPOINT>  enter、leave、release 或 update",
        "      --allow-ignored\n          平台忽略了记录",
        "  -h, --help\n          输出帮助",
        "退出码（所有命令相同）：",
    ] {
        assert!(zh_help.contains(part), "{:?} not in {}", part, zh_help);
    }
    let en_help = help(&mut pyun());
    assert!(
        en_help.starts_with("Validate, sign and send one record\n\nUsage: pyun push "),
        "{}",
        en_help
    );
    assert!(
        en_help.contains("Exit codes (the same for every command):"),
        "{}",
        en_help
    );
    assert!(
        !en_help
            .chars()
            .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
        "{}",
        en_help
    );
    // A Chinese locale gives the Chinese help too.
    let mut c = pyun();
    c.env("LANG", "zh_CN.UTF-8");
    assert_eq!(help(&mut c), zh_help);
}

/// clap's error for a missing required argument, in Chinese; clap's own in English.
#[test]
fn a_missing_argument_in_chinese() {
    let run = |c: &mut Command| {
        let out = c
            .args(["push", "enter", "-"])
            .env_remove("PYUN_APP_SECRET")
            .assert()
            .code(2);
        String::from_utf8(out.get_output().stderr.clone()).unwrap()
    };
    assert_eq!(
        run(&mut zh()),
        "错误：缺少以下必需的参数：\n  --app-secret <APP_SECRET>\n\n用法: pyun push --app-secret <APP_SECRET> <ENDPOINT> <RECORD>\n\n更多信息请运行 '--help'。\n"
    );
    let en = run(&mut pyun());
    assert!(
        en.starts_with("error: the following required arguments were not provided:\n  --app-secret <APP_SECRET>\n"),
        "{}",
        en
    );
}

/// What `pyun` prints on standard error with exit code 2.
fn refused(c: &mut Command, args: &[&str]) -> String {
    stderr(c.args(args))
}

/// clap's other errors, written by its formatter hook in Chinese: what was wrong, the tip,
/// the usage and where to read more; clap's own English untouched.
#[test]
fn command_line_errors_in_chinese_english_kept() {
    let unknown = ["push", "--bogus", "enter", "-", "--app-secret", "s"];
    assert_eq!(
        refused(&mut zh(), &unknown),
        "错误：不认识的参数 '--bogus'\n\n  提示：要把 '--bogus' 作为值传入，请用 '-- --bogus'\n\n用法: pyun push [OPTIONS] --app-secret <APP_SECRET> <ENDPOINT> <RECORD>\n\n更多信息请运行 '--help'。\n"
    );
    assert_eq!(
        refused(&mut pyun(), &unknown),
        "error: unexpected argument '--bogus' found\n\n  tip: to pass '--bogus' as a value, use '-- --bogus'\n\nUsage: pyun push [OPTIONS] --app-secret <APP_SECRET> <ENDPOINT> <RECORD>\n\nFor more information, try '--help'.\n"
    );
    let invalid = [
        "send-push",
        "leave",
        "--to",
        "http://x",
        "--app-secret",
        "s",
        "--encoding",
        "xml",
    ];
    assert_eq!(
        refused(&mut zh(), &invalid),
        "错误：'--encoding <ENCODING>' 的值 'xml' 无效\n  [可选值: form, multipart, json]\n\n更多信息请运行 '--help'。\n"
    );
    assert_eq!(
        refused(&mut pyun(), &invalid),
        "error: invalid value 'xml' for '--encoding <ENCODING>'\n  [possible values: form, multipart, json]\n\nFor more information, try '--help'.\n"
    );
    let range = ["sandbox", "--gateway-status", "700"];
    assert_eq!(
        refused(&mut zh(), &range),
        "错误：'--gateway-status <GATEWAY_STATUS>' 的值 '700' 无效：700 不在 100..=599 范围内\n\n更多信息请运行 '--help'。\n"
    );
    assert_eq!(
        refused(&mut pyun(), &range),
        "error: invalid value '700' for '--gateway-status <GATEWAY_STATUS>': 700 is not in 100..=599\n\nFor more information, try '--help'.\n"
    );
    let port = ["console", "--outbox", "o.db", "--port", "x"];
    assert_eq!(
        refused(&mut zh(), &port),
        "错误：'--port <PORT>' 的值 'x' 无效：不是整数（有无效的数字）\n\n更多信息请运行 '--help'。\n"
    );
    let typo = ["outbx", "status"];
    assert_eq!(
        refused(&mut zh(), &typo),
        "错误：无法识别的子命令 'outbx'\n\n  提示：有相似的子命令：'outbox'\n\n用法: pyun [OPTIONS] <COMMAND>\n\n更多信息请运行 '--help'。\n"
    );
    assert_eq!(
        refused(&mut pyun(), &typo),
        "error: unrecognized subcommand 'outbx'\n\n  tip: a similar subcommand exists: 'outbox'\n\nUsage: pyun [OPTIONS] <COMMAND>\n\nFor more information, try '--help'.\n"
    );
    // With --json: the same words, on one line, in the JSON object.
    let out = zh()
        .args(["--json", "outbox", "--db", "o.db", "drain", "--follw"])
        .assert()
        .code(2);
    let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(
        v["message"],
        "不认识的参数 '--follw' 提示：有相似的参数：'--follow'"
    );
}

/// The `[env: ...]`, `[default: ...]` and `[possible values: ...]` clap adds to a help, in
/// Chinese; a secret's value stays hidden.
#[test]
fn help_tags_in_chinese() {
    let help = |c: &mut Command, args: &[&str]| {
        let out = c
            .args(args)
            .env("PYUN_BASE_URL", "http://gw.example")
            .env("PYUN_APP_SECRET", "tag-S3CRET")
            .assert()
            .success();
        String::from_utf8(out.get_output().stdout.clone()).unwrap()
    };
    let zh_push = help(&mut zh(), &["push", "--help"]);
    for part in [
        "从不输出 [环境变量: PYUN_BASE_URL=http://gw.example] [默认值: https://api.4pyun.com]\n",
        "使它不出现在进程列表中） [环境变量: PYUN_APP_SECRET]\n",
        "每次尝试允许的秒数 [默认值: 30]\n",
    ] {
        assert!(zh_push.contains(part), "{:?} not in {}", part, zh_push);
    }
    let zh_send = help(&mut zh(), &["send-push", "--help"]);
    assert!(
        zh_send.contains("multipart 或 json [默认值: form] [可选值: form, multipart, json]\n"),
        "{}",
        zh_send
    );
    for text in [&zh_push, &zh_send] {
        for english in ["[env:", "[default:", "[possible values:", "tag-S3CRET"] {
            assert!(!text.contains(english), "{:?} in {}", english, text);
        }
    }
    let en_push = help(&mut pyun(), &["push", "--help"]);
    assert!(
        en_push.contains(
            "never printed [env: PYUN_BASE_URL=http://gw.example] [default: https://api.4pyun.com]\n"
        ),
        "{}",
        en_push
    );
    assert!(!en_push.contains("tag-S3CRET"), "{}", en_push);
    let en_send = help(&mut pyun(), &["send-push", "--help"]);
    assert!(
        en_send.contains("[default: form] [possible values: form, multipart, json]\n"),
        "{}",
        en_send
    );
}

/// The demo's table header in the language asked, its columns aligned on the rows (a Chinese
/// character is two columns wide).
#[test]
fn the_demo_table_header_in_both_languages() {
    let header = |c: &mut Command| {
        let out = c.arg("demo").assert().success();
        let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
        text.lines().nth(2).unwrap().to_string()
    };
    assert_eq!(
        header(&mut zh()),
        " #  接口     流水号               结果             尝试次数   毫秒  说明"
    );
    assert_eq!(
        header(&mut pyun()),
        " #  endpoint serial               outcome          attempts     ms  note"
    );
}
