//! `pyun listen` handles each push exactly once whatever the sender does: copies racing each
//! other, senders that hang up or half-close, redirects, handlers that hang, a closed standard
//! output, keys no header can carry, a file size limit; and `pyun pushes` leaves other
//! programs' databases alone.

mod common;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::listener::*;
use pyun_core::receive::BodyEncoding;
use pyun_sandbox::sample_payment_push;

fn payment(key: &str) -> Vec<(String, String)> {
    signed(with_key(sample_payment_push(), "pay_serial", key))
}

/// Sends until acknowledged (as the platform does), up to 20 s; the number of tries.
fn post_until_acked(url: &str, fields: &[(String, String)], enc: BodyEncoding) -> usize {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let mut tries = 0;
    loop {
        tries += 1;
        let r = post(url, fields, enc);
        if acked(&r) {
            return tries;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never acknowledged: {:?}",
            r
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The lines of `runs` per key (the handler's record of its runs).
fn runs_per_key(dir: &std::path::Path) -> std::collections::BTreeMap<String, usize> {
    let mut m = std::collections::BTreeMap::new();
    for line in runs(dir) {
        let key = line.rsplit(' ').next().unwrap_or("").to_string();
        *m.entry(key).or_insert(0) += 1;
    }
    m
}

#[test]
fn copies_arriving_together_run_the_handler_once() {
    let dir = tmp("race");
    let db = dir.join("pushes.db");
    let l = Listener::start(&db, &["--exec", &exec_handler(&dir)]);
    let keys: Vec<String> = (0..40).map(|i| format!("RACE{}", i)).collect();
    std::thread::scope(|s| {
        for key in &keys {
            let p = payment(key);
            for copy in 0..20 {
                let (url, p) = (l.url.clone(), p.clone());
                let enc = [
                    BodyEncoding::Form,
                    BodyEncoding::Json,
                    BodyEncoding::Multipart,
                ][copy % 3];
                s.spawn(move || post_until_acked(&url, &p, enc));
            }
        }
    });
    let per_key = runs_per_key(&dir);
    let twice: Vec<_> = per_key.iter().filter(|(_, n)| **n != 1).collect();
    assert!(twice.is_empty(), "handled more than once: {:?}", twice);
    assert_eq!(per_key.len(), 40, "{:?}", per_key);
    let stored = pushes_json(&db);
    let deliveries: i64 = stored
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["deliveries"].as_i64().unwrap())
        .sum();
    assert!(deliveries >= 800, "{}", deliveries);
}

/// The handler records its start, waits for `go`, then records its end.
fn gated_handler(dir: &std::path::Path) -> String {
    format!(
        "echo start >> {d}/started; while [ ! -e {d}/go ]; do sleep 0.02; done; \
         echo \" $PYUN_PUSH_KIND $PYUN_PUSH_KEY\" >> {d}/runs",
        d = dir.display()
    )
}

#[test]
fn a_sender_that_hangs_up_does_not_stop_the_handling() {
    let dir = tmp("hangup");
    let db = dir.join("pushes.db");
    let l = Listener::start(&db, &["--exec", &gated_handler(&dir)]);
    let p = payment("HANGUP1");
    let mut s = TcpStream::connect(addr_of(&l.url)).unwrap();
    s.write_all(&raw_request(&l.url, &p, BodyEncoding::Form))
        .unwrap();
    wait_until("the handler to start", || dir.join("started").exists());
    drop(s); // the sender gives up while the handler runs
    std::fs::write(dir.join("go"), "").unwrap();
    // The resend is acknowledged (once the first run is recorded), without a second run.
    post_until_acked(&l.url, &p, BodyEncoding::Json);
    assert_eq!(runs(&dir).len(), 1, "{:?}", runs(&dir));
    let started = std::fs::read_to_string(dir.join("started")).unwrap();
    assert_eq!(started.lines().count(), 1, "{}", started);
}

#[test]
fn a_sender_that_half_closes_gets_its_answer() {
    let dir = tmp("halfclose");
    let db = dir.join("pushes.db");
    let l = Listener::start(&db, &["--exec", &exec_handler(&dir)]);
    let p = payment("HALF1");
    let mut s = TcpStream::connect(addr_of(&l.url)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.write_all(&raw_request(&l.url, &p, BodyEncoding::Form))
        .unwrap();
    s.shutdown(Shutdown::Write).unwrap();
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{:?}", answer);
    assert!(answer.ends_with(r#"{"code":"1001"}"#), "{:?}", answer);
    assert_eq!(runs(&dir).len(), 1);
}

#[test]
fn a_redirect_from_the_forward_target_is_not_handled() {
    let dir = tmp("redirect");
    let db = dir.join("pushes.db");
    let target = Target::start(|r| {
        if r.method == "POST" {
            (302, vec![("Location".into(), "/elsewhere".into())])
        } else {
            (200, vec![])
        }
    });
    let l = Listener::start(&db, &["--forward", &target.url]);
    let r = post(&l.url, &payment("REDIR1"), BodyEncoding::Form);
    assert_eq!(r.0, 500, "{:?}", r);
    assert!(r.1.contains("302"), "{}", r.1);
    let stored = pushes_json(&db);
    assert!(stored[0]["handled_at"].is_null(), "{}", stored);
    let got = target.received();
    assert!(got.iter().all(|r| r.method == "POST"), "{:?}", got);
}

/// The pids of running processes whose command line holds `marker`, but `except`.
fn processes_with(marker: &str, except: u32) -> Vec<i32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| *pid != except as i32)
        .filter(|pid| {
            std::fs::read(format!("/proc/{}/cmdline", pid))
                .map(|c| String::from_utf8_lossy(&c).contains(marker))
                .unwrap_or(false)
        })
        .collect()
}

#[test]
fn a_handler_that_times_out_is_ended_with_its_children() {
    let dir = tmp("timeout");
    let db = dir.join("pushes.db");
    let marker = format!("10{}.5", rand::random::<u16>());
    let handler = format!("sleep {}; true", marker);
    let l = Listener::start(&db, &["--exec", &handler, "--handler-timeout", "1"]);
    let r = post(&l.url, &payment("SLOW1"), BodyEncoding::Form);
    assert_eq!(r.0, 500, "{:?}", r);
    assert!(r.1.contains("longer than 1 s"), "{}", r.1);
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let mut left = processes_with(&marker, l.child.id());
    while !left.is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
        left = processes_with(&marker, l.child.id());
    }
    for pid in &left {
        // SAFETY: ending the orphans this test's handler left before failing.
        unsafe { libc::kill(*pid, libc::SIGKILL) };
    }
    assert!(left.is_empty(), "still running: {:?}", left);
}

#[test]
fn a_closed_standard_output_does_not_end_the_listener() {
    let dir = tmp("stdout");
    let db = dir.join("pushes.db");
    let mut l = Listener::start(&db, &[]);
    let url = l.url.clone();
    l.close_stdout_after(|| assert!(acked(&post(&url, &payment("OUT"), BodyEncoding::Form))));
    for i in 0..3 {
        let r = post(&l.url, &payment(&format!("OUT{}", i)), BodyEncoding::Form);
        assert!(acked(&r), "{:?}", r);
    }
    assert!(l.child.try_wait().unwrap().is_none(), "the listener ended");
    assert_eq!(pushes_json(&db).as_array().unwrap().len(), 4);
}

#[test]
fn a_json_push_with_a_field_twice_is_refused() {
    let dir = tmp("dupjson");
    let l = Listener::start(&dir.join("p.db"), &[]);
    let p = payment("DUP1");
    let mut body = String::from("{");
    for (k, v) in &p {
        body.push_str(&format!(
            "{}:{},",
            serde_json::json!(k),
            serde_json::json!(v)
        ));
    }
    // The signed value first, then another: serde_json alone keeps the last one.
    body.push_str(r#""pay_value":"1"}"#);
    let mut r = agent()
        .post(&l.url)
        .header("Content-Type", "application/json")
        .send(body.as_str())
        .unwrap();
    let text = r.body_mut().read_to_string().unwrap();
    assert_eq!(r.status().as_u16(), 400, "{}", text);
    assert!(text.contains("`pay_value` appears twice"), "{}", text);
}

#[test]
fn answers_and_log_lines_are_bounded() {
    let dir = tmp("bounded");
    let l = Listener::start(&dir.join("p.db"), &[]);
    let mut p = payment("BIG1");
    for (k, v) in p.iter_mut() {
        if k == "pay_serial" {
            *v = "K".repeat(300_000);
        }
        if k == "sign" {
            *v = "0".repeat(32);
        }
    }
    p.push(("remark".into(), "x".repeat(500_000)));
    let r = post(&l.url, &p, BodyEncoding::Form);
    assert_eq!(r.0, 401);
    assert!(r.1.len() < 4096, "answer of {} bytes", r.1.len());
    l.log_with(&["NOT VERIFIED"]);
    // The listener's one line for it (read above) was bounded: the next line arrives intact.
    let ok = post(&l.url, &payment("SMALL1"), BodyEncoding::Form);
    assert!(acked(&ok));
    let log = l.log_with(&["SMALL1"]);
    for line in log.lines() {
        assert!(line.len() < 4096, "a log line of {} bytes", line.len());
    }
}

#[test]
fn keys_no_header_or_environment_can_carry_are_handled() {
    let dir = tmp("oddkeys");
    let db = dir.join("pushes.db");
    let target = Target::start(|_| (200, vec![]));
    let ex = Listener::start(&db, &["--exec", &exec_handler(&dir)]);
    let fw = Listener::start(&dir.join("fw.db"), &["--forward", &target.url]);
    let keys = ["A\nB", "C\rD", "E\0F", &"G".repeat(70_000)];
    for key in keys {
        let p = payment(key);
        let r = post(&ex.url, &p, BodyEncoding::Json);
        assert!(acked(&r), "--exec {:?}: {:?}", &key[..key.len().min(8)], r);
        let r = post(&fw.url, &p, BodyEncoding::Json);
        assert!(
            acked(&r),
            "--forward {:?}: {:?}",
            &key[..key.len().min(8)],
            r
        );
    }
    let r = runs(&dir);
    assert!(r.iter().any(|l| l.ends_with(" payment A%0AB")), "{:?}", r);
    assert!(r.iter().any(|l| l.ends_with(" payment E%00F")), "{:?}", r);
    let got = target.received();
    assert_eq!(got.len(), 4);
    let header = |r: &Received| {
        r.headers
            .iter()
            .find(|(k, _)| k == "x-pyun-push-key")
            .map(|(_, v)| v.clone())
    };
    assert_eq!(header(&got[1]).as_deref(), Some("C%0DD"));
    assert_eq!(
        header(&got[3]),
        None,
        "a 70 kB key travels in the body only"
    );
    let body: serde_json::Value = serde_json::from_slice(&got[3].body).unwrap();
    assert_eq!(body["pay_serial"].as_str().unwrap().len(), 70_000);
}

#[test]
fn pushes_leaves_another_programs_database_alone() {
    let dir = tmp("foreign");
    let db = dir.join("other.db");
    let out = Command::new("python3")
        .arg("-c")
        .arg(format!(
            "import sqlite3; c = sqlite3.connect({:?}); c.execute('CREATE TABLE t (x)'); c.commit()",
            db.to_str().unwrap()
        ))
        .status()
        .unwrap();
    assert!(out.success());
    let before = std::fs::read(&db).unwrap();
    for cmd in [&["list"][..], &["show", "1"]] {
        let out = Command::new(env!("CARGO_BIN_EXE_pyun"))
            .env("PYUN_LANG", "en")
            .args(["pushes", "--db"])
            .arg(&db)
            .args(cmd)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(4), "{:?}", out);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("another program"), "{}", err);
    }
    assert_eq!(std::fs::read(&db).unwrap(), before);
    assert!(!dir.join("other.db-wal").exists());
    // pyun listen refuses it too.
    let out = Command::new(env!("CARGO_BIN_EXE_pyun"))
        .env("PYUN_LANG", "en")
        .args(["listen", "--port", "0", "--db"])
        .arg(&db)
        .env("PYUN_APP_SECRET", SECRET)
        .stdout(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4), "{:?}", out);
    assert_eq!(std::fs::read(&db).unwrap(), before);
}

#[test]
fn a_file_size_limit_is_answered_not_stored_not_fatal() {
    let dir = tmp("fsize");
    let db = dir.join("pushes.db");
    // 1 MiB for every file the listener writes (in 512-byte blocks, as sh's ulimit counts).
    let mut l = Listener::start_with(
        Command::new("sh")
            .arg("-c")
            .arg("ulimit -f 2048; exec \"$0\" \"$@\"")
            .arg(env!("CARGO_BIN_EXE_pyun")),
        &db,
        &[],
    );
    let mut refused = 0;
    for i in 0..40 {
        let mut f = with_key(sample_payment_push(), "pay_serial", &format!("FSZ{}", i));
        f.push(("remark".into(), "r".repeat(100_000)));
        let r = post(&l.url, &signed(f), BodyEncoding::Form);
        if r.0 == 500 {
            assert!(r.1.contains("NOT STORED"), "{:?}", r);
            refused += 1;
        } else {
            assert!(acked(&r), "{:?}", r);
        }
        assert!(l.child.try_wait().unwrap().is_none(), "the listener ended");
    }
    assert!(refused > 0, "the limit was never reached");
}
