//! `pyun outbox` as a service and as a script sees it: `drain --follow` prints each acceptance
//! with a timestamp and exits 0 on SIGTERM after the record in flight, keeping the rest
//! pending; `status`, `show`, `list` and `events` say what happened to each record, in JSON.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pyun_sandbox::{Faults, Sandbox, SandboxConfig};

const SECRET: &str = "follow-secret";

fn pyun(db: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_pyun"));
    c.env("PYUN_LANG", "en")
        .env("PYUN_APP_SECRET", SECRET)
        .env("PYUN_OUTBOX", db)
        .env_remove("PYUN_BASE_URL");
    c
}

fn run(c: &mut Command) -> String {
    let out = c.output().unwrap();
    assert!(out.status.success(), "{:?}", out);
    String::from_utf8(out.stdout).unwrap()
}

fn enqueue(db: &std::path::Path, key: &str) {
    let mut c = pyun(db);
    c.args(["outbox", "enqueue", "update", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped());
    let mut child = c.spawn().unwrap();
    std::io::Write::write_all(
        child.stdin.as_mut().unwrap(),
        pyun_test_support::update_json(key).as_bytes(),
    )
    .unwrap();
    drop(child.stdin.take());
    assert!(child.wait().unwrap().success());
}

#[test]
fn follow_prints_events_and_stops_cleanly_on_sigterm() {
    let dir = std::env::temp_dir().join(format!("pyun-follow-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("q.db");
    let sb = Sandbox::start(SandboxConfig {
        app_secret: SECRET.into(),
        ..SandboxConfig::default()
    })
    .unwrap();
    // Slow answers: the SIGTERM lands while records are still queued.
    sb.set_faults(Faults {
        latency: Duration::from_millis(400),
        ..Faults::default()
    });
    for i in 0..6 {
        enqueue(&db, &format!("F-{}", i));
    }
    let mut follow = pyun(&db)
        .args(["outbox", "drain", "--follow", "--base-url"])
        .arg(sb.url())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while sb.records().len() < 2 {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "nothing delivered"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // SAFETY: kill(2) on our child's pid, not yet waited for.
    unsafe {
        libc::kill(follow.id() as i32, libc::SIGTERM);
    }
    let status = follow.wait().unwrap();
    let mut out = String::new();
    follow
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    assert_eq!(status.code(), Some(0), "{}", out);
    let accepted: Vec<&str> = out.lines().filter(|l| l.contains(" accepted #")).collect();
    // every line starts with an RFC 3339 UTC timestamp
    assert!(
        accepted.iter().all(|l| l.len() > 24 && &l[23..24] == "Z"),
        "{}",
        out
    );
    let delivered = sb.records().len();
    assert_eq!(accepted.len(), delivered, "{}", out);
    assert!(
        delivered < 6,
        "the stop did not land before the end: {}",
        out
    );
    assert!(
        out.contains(&format!(
            "stopped {} record(s) still pending",
            6 - delivered
        )),
        "{}",
        out
    );

    // What a script reads back.
    let status: serde_json::Value =
        serde_json::from_str(&run(pyun(&db).args(["outbox", "--json", "status"]))).unwrap();
    assert_eq!(status["counts"]["done"], delivered as u64);
    assert_eq!(status["counts"]["pending"], (6 - delivered) as u64);
    assert!(status["head"]["key"].as_str().unwrap().starts_with("F-"));
    let shown: serde_json::Value =
        serde_json::from_str(&run(pyun(&db).args(["outbox", "--json", "show", "F-0"]))).unwrap();
    assert_eq!(shown[0]["state"], "done");
    assert!(shown[0]["seqno"].is_string());
    let done: serde_json::Value = serde_json::from_str(&run(
        pyun(&db).args(["outbox", "--json", "list", "--state", "done"])
    ))
    .unwrap();
    assert_eq!(done.as_array().unwrap().len(), delivered);
    let events = run(pyun(&db).args(["outbox", "--json", "events"]));
    assert_eq!(events.lines().count(), delivered);
    let missing = pyun(&db)
        .args(["outbox", "show", "NO-SUCH"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(1));
    std::fs::remove_dir_all(&dir).unwrap();
}
