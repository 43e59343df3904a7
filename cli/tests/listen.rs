//! `pyun listen` over real HTTP: every encoding, resends, bad signatures, a failing handler,
//! and kill -9 between storing a push and acknowledging it.

mod common;

use std::time::{Duration, Instant};

use common::listener::*;
use pyun_core::push::sign_push;
use pyun_core::receive::BodyEncoding;
use pyun_core::AppSecret;
use pyun_sandbox::{sample_leave_push, sample_payment_push};

#[test]
fn every_encoding_resend_and_bad_pushes() {
    let dir = tmp("enc");
    let db = dir.join("pushes.db");
    let l = Listener::start(&db, &["--exec", &exec_handler(&dir)]);
    let encs = [
        BodyEncoding::Form,
        BodyEncoding::Multipart,
        BodyEncoding::Json,
    ];
    for (i, enc) in encs.iter().enumerate() {
        // A payment with an empty-string field and a field this library does not know.
        let mut f = with_key(sample_payment_push(), "pay_serial", &format!("PAY{}", i));
        f.push(("car_desc".into(), String::new()));
        f.push(("new_platform_field".into(), "x".into()));
        let p = signed(f);
        assert!(acked(&post(&l.url, &p, *enc)), "{:?}", enc);
        // The resend, in another encoding, is acked without running the handler again.
        assert!(acked(&post(&l.url, &p, encs[(i + 1) % 3])));
        let leave = signed(with_key(
            sample_leave_push(),
            "parking_serial",
            &format!("L{}", i),
        ));
        assert!(acked(&post(&l.url, &leave, *enc)));
    }
    let r = runs(&dir);
    assert_eq!(r.len(), 6, "{:?}", r);
    assert!(r.iter().any(|l| l.ends_with(" payment PAY0")), "{:?}", r);
    assert!(r.iter().any(|l| l.ends_with(" leave L2")), "{:?}", r);
    // The handler got the fields as JSON, empty and unknown ones included.
    let first: serde_json::Value =
        serde_json::from_str(r[0].rsplitn(3, ' ').last().unwrap()).unwrap();
    assert_eq!(first["car_desc"], "");
    assert_eq!(first["new_platform_field"], "x");

    // Wrong secret, tampered field: 401, not stored, not handled.
    let wrong = sign_push(
        &with_key(sample_payment_push(), "pay_serial", "BAD1"),
        &AppSecret::new("other"),
        "op1",
        None,
    );
    let r1 = post(&l.url, &wrong, BodyEncoding::Form);
    assert_eq!(r1.0, 401, "{:?}", r1);
    let mut tampered = signed(with_key(sample_payment_push(), "pay_serial", "BAD2"));
    for (k, v) in tampered.iter_mut() {
        if k == "pay_value" {
            *v = "1".into();
        }
    }
    assert_eq!(post(&l.url, &tampered, BodyEncoding::Json).0, 401);
    // No sign: 400, saying so.
    let nosign: Vec<_> = tampered
        .iter()
        .filter(|(k, _)| k != "sign")
        .cloned()
        .collect();
    let r3 = post(&l.url, &nosign, BodyEncoding::Multipart);
    assert_eq!(r3.0, 400);
    assert!(r3.1.contains("no `sign`"), "{}", r3.1);
    assert_eq!(runs(&dir).len(), 6);
    let stored = pushes_json(&db);
    assert_eq!(stored.as_array().unwrap().len(), 6, "{}", stored);
    assert!(stored.to_string().contains("\"deliveries\":2"));
    // Paged by --before (the last id of the page before): the same pushes, newest first.
    let ids = |v: &serde_json::Value| -> Vec<i64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_i64().unwrap())
            .collect()
    };
    let mut paged = Vec::new();
    let mut before: Option<i64> = None;
    loop {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_pyun"));
        c.env("PYUN_LANG", "en")
            .args(["pushes", "--db"])
            .arg(&db)
            .args(["list", "--json", "--limit", "4"]);
        if let Some(b) = before {
            c.args(["--before", &b.to_string()]);
        }
        let out = c.output().unwrap();
        assert!(out.status.success(), "{:?}", out);
        let page = ids(&serde_json::from_slice(&out.stdout).unwrap());
        assert!(page.len() <= 4, "{:?}", page);
        match page.last() {
            None => break,
            Some(last) => before = Some(*last),
        }
        paged.extend(page);
    }
    assert_eq!(paged, ids(&stored));
    // One log line per push, never the secret.
    let log = l.log_with(&["NOT VERIFIED", "duplicate", "no `sign`"]);
    assert!(!log.contains(SECRET), "{}", log);
}

#[test]
fn failing_handler_is_not_acked_then_acked_on_resend() {
    let dir = tmp("fail");
    let db = dir.join("pushes.db");
    let l = Listener::start(&db, &["--exec", &exec_handler(&dir)]);
    let p = signed(sample_payment_push());
    std::fs::write(dir.join("fail"), "").unwrap();
    let r = post(&l.url, &p, BodyEncoding::Form);
    assert_eq!(r.0, 500, "{:?}", r);
    assert!(runs(&dir).is_empty());
    std::fs::remove_file(dir.join("fail")).unwrap();
    assert!(acked(&post(&l.url, &p, BodyEncoding::Form)));
    assert!(acked(&post(&l.url, &p, BodyEncoding::Form)));
    assert_eq!(runs(&dir).len(), 1);
    let stored = pushes_json(&db);
    assert_eq!(stored[0]["handler_failures"], 1, "{}", stored);
}

/// A handler may ignore its input: a push larger than a pipe's buffer, whose handler exits
/// without reading it, must not take the listener down (SIGPIPE on the handler's stdin).
#[test]
fn a_handler_that_does_not_read_its_input() {
    let dir = tmp("noread");
    let db = dir.join("pushes.db");
    let l = Listener::start(&db, &["--exec", "exit 0"]);
    let mut f = sample_payment_push();
    f.push(("remark".into(), "x".repeat(256 * 1024)));
    let p = signed(f);
    assert!(acked(&post(&l.url, &p, BodyEncoding::Form)));
    // Still there, and still answering.
    let other = signed(with_key(sample_payment_push(), "pay_serial", "NOREAD2"));
    assert!(acked(&post(&l.url, &other, BodyEncoding::Json)));
    assert_eq!(pushes_json(&db).as_array().unwrap().len(), 2);
}

#[test]
fn kill_9_between_store_and_ack_handles_the_resend_once() {
    let dir = tmp("kill");
    let db = dir.join("pushes.db");
    let handler = exec_handler(&dir);
    let l = Listener::start(&db, &["--exec", &handler, "--ack-delay-ms", "60000"]);
    let p = signed(sample_payment_push());
    let url = l.url.clone();
    let sent = p.clone();
    // This request waits for the ack that never comes.
    std::thread::spawn(move || post(&url, &sent, BodyEncoding::Form));
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let s = if db.exists() {
            pushes_json(&db)
        } else {
            serde_json::json!([])
        };
        if s[0]["handled_at"].is_i64() {
            break;
        }
        assert!(Instant::now() < deadline, "never stored: {}", s);
        std::thread::sleep(Duration::from_millis(50));
    }
    // kill -9: no chance to answer.
    let pid = l.child.id() as i32;
    // SAFETY: signalling a child process this test started and has not reaped.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGKILL) }, 0);
    drop(l);
    let l2 = Listener::start(&db, &["--exec", &handler]);
    assert!(acked(&post(&l2.url, &p, BodyEncoding::Multipart)));
    assert_eq!(runs(&dir).len(), 1, "{:?}", runs(&dir));
    let stored = pushes_json(&db);
    assert_eq!(stored.as_array().unwrap().len(), 1);
    assert_eq!(stored[0]["deliveries"], 2, "{}", stored);
}

#[test]
fn sigterm_stops_cleanly() {
    let dir = tmp("term");
    let l = Listener::start(&dir.join("p.db"), &[]);
    assert!(acked(&post(
        &l.url,
        &signed(sample_leave_push()),
        BodyEncoding::Json
    )));
    let pid = l.child.id() as i32;
    // SAFETY: signalling a child process this test started and has not reaped.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let mut l = l;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(st) = l.child.try_wait().unwrap() {
            assert!(st.success(), "{:?}", st);
            break;
        }
        assert!(Instant::now() < deadline, "did not stop");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn oversized_and_unreadable_bodies_are_refused() {
    let dir = tmp("limits");
    let l = Listener::start(&dir.join("p.db"), &["--max-body", "1000"]);
    let big = vec![b'a'; 5000];
    let r = agent()
        .post(&l.url)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .send(&big[..])
        .unwrap();
    assert_eq!(r.status().as_u16(), 413);
    let mut r = agent()
        .post(&l.url)
        .header("Content-Type", "text/xml")
        .send("<push/>")
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    assert!(r.body_mut().read_to_string().unwrap().contains("text/xml"));
    // A declared charset is honoured: GBK 中 is D6 D0.
    let fields = signed(vec![("parking_serial".into(), "中1".into())]);
    let body: String = fields
        .iter()
        .map(|(k, v)| {
            let (bytes, _, _) = encoding_rs::GBK.encode(v);
            format!(
                "{}={}",
                k,
                bytes
                    .iter()
                    .map(|b| format!("%{:02X}", b))
                    .collect::<String>()
            )
        })
        .collect::<Vec<_>>()
        .join("&");
    let mut r = agent()
        .post(&l.url)
        .header(
            "Content-Type",
            "application/x-www-form-urlencoded; charset=GBK",
        )
        .send(body.as_str())
        .unwrap();
    assert_eq!(r.body_mut().read_to_string().unwrap(), r#"{"code":"1001"}"#);
}
