//! Issue 25, item 7: the smaller frictions a new user met, each through the `pyun` process.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pyun_core::outbox::{Outbox, OutboxOptions};
use pyun_core::{AnyRecord, Endpoint, Record};
use pyun_sandbox::{Sandbox, SandboxConfig};
use pyun_test_support::{closed_port, data};
use serde_json::Value;

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
    let out = c.stdin(Stdio::null()).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn tmp(name: &str) -> PathBuf {
    pyun_test_support::scratch_dir("frictions", name)
}

fn sign_of(endpoint: Endpoint, file: &Path) -> String {
    let record = AnyRecord::from_json(endpoint, &std::fs::read_to_string(file).unwrap()).unwrap();
    pyun_core::sign::sign(&record.to_fields(), &pyun_core::AppSecret::new("123"))
}

/// `sign` reads the record files `push` reads: with --endpoint, or inferred from the fields;
/// a file it cannot read says so in a short message that suggests --endpoint.
#[test]
fn sign_reads_record_files() {
    for (endpoint, file) in [
        (Endpoint::Leave, "leave.json"),
        (Endpoint::Update, "update.json"),
    ] {
        let want = sign_of(endpoint, &data(file));
        let (code, out, err) = run(pyun()
            .args(["sign", "--app-secret", "123", "--endpoint", endpoint.name()])
            .arg(data(file)));
        assert_eq!((code, out.trim()), (0, want.as_str()), "{}", err);
    }
    // Without --endpoint: leave.json holds a list (payment_list), which flat fields never do,
    // and its fields say leave: read as push reads it.
    let (code, out, err) = run(pyun()
        .args(["sign", "--app-secret", "123"])
        .arg(data("leave.json")));
    assert_eq!(
        (code, out.trim()),
        (0, sign_of(Endpoint::Leave, &data("leave.json")).as_str()),
        "{}",
        err
    );
    assert!(err.contains("read as a record of `leave`"), "{}", err);
    // update.json is flat: read as flat fields, with a note naming --endpoint update.
    let (code, _, err) = run(pyun()
        .args(["sign", "--app-secret", "123"])
        .arg(data("update.json")));
    assert_eq!(code, 0, "{}", err);
    assert!(err.contains("--endpoint update"), "{}", err);
    // A list where a flat field is expected, and nothing says which record it is.
    let long = format!(
        r#"{{"a":"1","items":[{}]}}"#,
        vec!["\"xxxxxxxxxx\""; 100].join(",")
    );
    let mut child = pyun()
        .args(["sign", "--app-secret", "123", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), long.as_bytes()).unwrap();
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{}", err);
    assert!(
        err.contains("`items`") && err.contains("--endpoint"),
        "{}",
        err
    );
    assert!(err.len() < 400, "{} characters: {}", err.len(), err);
}

/// `explain` without --endpoint reads a record file too, and says how to choose.
#[test]
fn explain_without_endpoint_suggests_it() {
    let (code, out, err) = run(pyun()
        .args(["explain", "--hint", "签名验证不通过[a=1&app_secret=***]"])
        .arg(data("leave.json")));
    assert_eq!(code, 0, "{}{}", out, err);
    assert!(
        format!("{}{}", out, err).contains("--endpoint"),
        "{}{}",
        out,
        err
    );
    assert!(err.len() < 400, "{}", err);
}

/// A --base-url with an endpoint's path: an input error naming the fix, nothing sent.
#[test]
fn a_base_url_with_an_endpoint_path_is_an_input_error() {
    let sb = Sandbox::start(SandboxConfig::default()).unwrap();
    let url = format!("{}/gate/1.0/parking/internal/enter", sb.url());
    let (code, out, err) = run(pyun()
        .args(["push", "enter", "--app-secret", "123", "--base-url", &url])
        .arg(data("enter.json")));
    assert_eq!(code, 2, "{}{}", out, err);
    assert!(err.contains(&format!("e.g. {};", sb.url())), "{}", err);
    assert!(!err.contains("captive portal"), "{}", err);
    assert_eq!(sb.counters().requests, 0);
}

/// `--db` after the subcommand, as after `outbox` / `pushes`; and a push store is not an outbox
/// (nor the reverse): refused, the file left as it was.
#[test]
fn db_anywhere_and_the_wrong_kind_of_file_refused() {
    let dir = tmp("db");
    let db = dir.join("q.db");
    let (code, out, err) = run(pyun()
        .args(["outbox", "enqueue", "update", "--db"])
        .arg(&db)
        .arg(data("update.json")));
    assert_eq!(code, 0, "{}{}", out, err);
    let (code, out, err) = run(pyun().args(["outbox", "status", "--db"]).arg(&db));
    assert_eq!(code, 0, "{}{}", out, err);
    assert!(out.contains("pending 1"), "{}", out);
    let (code, _, err) = run(pyun().args(["outbox", "status"]));
    assert_eq!(code, 2, "{}", err);
    assert!(err.contains("--db"), "{}", err);

    let before = std::fs::read(&db).unwrap();
    for args in [vec!["pushes", "list", "--db"], vec!["pushes", "--db"]] {
        let mut c = pyun();
        c.args(&args).arg(&db);
        if args.len() == 2 {
            c.arg("list");
        }
        let (code, out, err) = run(&mut c);
        assert_ne!(code, 0, "{}", out);
        assert!(
            err.contains("pyun outbox"),
            "names what the file is: {}",
            err
        );
    }
    assert_eq!(
        std::fs::read(&db).unwrap(),
        before,
        "the outbox was changed"
    );
}

/// Ctrl+C during a plain drain: the record in flight is finished and the summary printed
/// (JSON with --json).
#[cfg(unix)]
#[test]
fn ctrl_c_on_a_drain_prints_what_was_done() {
    let sb = Sandbox::start(SandboxConfig::default()).unwrap();
    sb.set_faults(pyun_sandbox::Faults {
        latency: Duration::from_millis(200),
        ..Default::default()
    });
    let dir = tmp("ctrlc");
    let db = dir.join("q.db");
    let ob = Outbox::open(&db, OutboxOptions::default()).unwrap();
    for i in 0..50 {
        let json = format!(
            r#"{{"park_uuid":"p","flow_no":"C-{}","parking_serial":"S-{}","plate":"P"}}"#,
            i, i
        );
        ob.enqueue(&AnyRecord::from_json(Endpoint::Update, &json).unwrap(), &[])
            .unwrap();
    }
    drop(ob);
    for json in [true, false] {
        let mut c = pyun();
        c.args(["outbox", "--db"]).arg(&db).args([
            "drain",
            "--app-secret",
            "123",
            "--base-url",
            &sb.url(),
        ]);
        if json {
            c.arg("--json");
        }
        let child = c
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let before = sb.records().len();
        let deadline = Instant::now() + Duration::from_secs(60);
        while sb.records().len() < before + 2 {
            assert!(Instant::now() < deadline, "nothing delivered");
            std::thread::sleep(Duration::from_millis(10));
        }
        unsafe {
            libc::kill(child.id() as i32, libc::SIGINT);
        }
        let out = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(5), "{}{}", stdout, stderr);
        if json {
            let v: Value = serde_json::from_str(stdout.trim()).unwrap();
            assert!(v["accepted"].as_u64().unwrap() >= 2, "{}", v);
            assert_eq!(v["interrupted"], true, "{}", v);
            assert_eq!(v["result"], "pending", "{}", v);
        } else {
            assert!(stdout.starts_with("accepted "), "{}", stdout);
            assert!(stdout.contains("interrupted"), "{}", stdout);
        }
    }
}

/// Messages speak words, not Rust enum names; no broken sentence; https to an http port says so.
#[test]
fn messages_are_sentences() {
    let (_held, port) = closed_port();
    let (code, _, err) = run(pyun()
        .args(["push", "update", "--attempts", "1", "--app-secret", "s"])
        .arg("--base-url")
        .arg(format!("http://127.0.0.1:{}", port))
        .arg(data("update.json")));
    assert_eq!(code, 3, "{}", err);
    for name in ["(Io)", "(Connect)", "(Timeout)", "(Tls)", "(Config)"] {
        assert!(!err.contains(name), "{}", err);
    }
    assert!(err.contains("cannot connect"), "{}", err);

    let (code, _, err) = run(pyun()
        .args(["verify", "--app-secret", "s", "-"])
        .stdin(Stdio::null()));
    assert_eq!(code, 2, "{}", err);
    assert!(!err.contains("there is no Content-Type is not"), "{}", err);

    let sb = Sandbox::start(SandboxConfig::default()).unwrap();
    let (code, _, err) = run(pyun()
        .args(["push", "update", "--attempts", "1", "--app-secret", "123"])
        .arg("--base-url")
        .arg(format!("https://{}", sb.addr()))
        .arg(data("update.json")));
    assert_eq!(code, 3, "{}", err);
    assert!(err.contains("plain HTTP"), "{}", err);
    assert!(err.contains(&format!("http://{}", sb.addr())), "{}", err);
    assert!(
        !err.contains("(Tls)") && !err.contains("InvalidContentType"),
        "{}",
        err
    );
}

/// `listen --exec` with a program that is not there is refused at start (exit 2), not at the
/// first push.
#[cfg(unix)]
#[test]
fn listen_refuses_a_missing_handler_at_start() {
    let dir = tmp("listen");
    for exec in [
        "/no/such/dir/handle-push.sh".to_string(),
        "./handle-push-missing.sh --flag".to_string(),
        "no-such-program-pyun-test arg".to_string(),
    ] {
        let mut child = pyun()
            .args(["listen", "--port", "0", "--app-secret", "s", "--db"])
            .arg(dir.join("p.db"))
            .args(["--exec", &exec])
            .current_dir(&dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break Some(s);
            }
            if Instant::now() > deadline {
                break None;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        if status.is_none() {
            let _ = child.kill();
            let _ = child.wait();
            panic!("listen --exec {:?} started", exec);
        }
        let mut err = String::new();
        for line in BufReader::new(child.stderr.take().unwrap()).lines() {
            err.push_str(&line.unwrap());
        }
        assert_eq!(status.unwrap().code(), Some(2), "{}", err);
        let program = exec.split(' ').next().unwrap();
        assert!(err.contains(program), "{}", err);
    }
    // A program on the PATH and a shell command line start as before.
    for exec in ["cat > /dev/null", "if true; then cat >/dev/null; fi"] {
        let mut child = pyun()
            .args(["listen", "--port", "0", "--app-secret", "s", "--db"])
            .arg(dir.join("p.db"))
            .args(["--exec", exec])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        assert!(first.contains("listening on"), "{}: {}", exec, first);
        child.kill().unwrap();
        child.wait().unwrap();
    }
}

#[test]
fn demo_help_has_no_json_and_version_is_a_command() {
    let (code, out, _) = run(pyun().args(["demo", "--help"]));
    assert_eq!(code, 0);
    assert!(!out.contains("--json"), "{}", out);
    let (code, out, err) = run(pyun().arg("version"));
    assert_eq!(code, 0, "{}", err);
    assert_eq!(out.trim(), format!("pyun {}", env!("CARGO_PKG_VERSION")));
}
