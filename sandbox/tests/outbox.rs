//! The durable outbox delivering to the sandbox: order, dead letters, bad conditions.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use pyun_core::outbox::{Outbox, OutboxOptions};
use pyun_core::{
    AnyRecord, Client, ClientConfig, Endpoint, Error, FileField, FileSource, RetryPolicy,
};
use pyun_sandbox::{Faults, Sandbox, SandboxConfig};
use pyun_test_support::{data, Tmpfs};

const SECRET: &str = "outbox-secret";

fn tmp(name: &str) -> PathBuf {
    pyun_test_support::scratch_dir("outbox", name)
}

fn record(endpoint: Endpoint, key: &str) -> AnyRecord {
    let text = std::fs::read_to_string(data(&format!("{}.json", endpoint.name()))).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v[endpoint.dedup_field()] = key.into();
    if endpoint == Endpoint::Update {
        v["parking_serial"] = format!("U-{}", key).into();
    }
    AnyRecord::from_value(endpoint, v).unwrap()
}

/// A sandbox that checks signatures with [`SECRET`].
fn sandbox() -> Sandbox {
    Sandbox::start(SandboxConfig {
        app_secret: SECRET.into(),
        ..SandboxConfig::default()
    })
    .unwrap()
}

fn client(sb: &Sandbox, secret: &str) -> Client {
    let mut c = ClientConfig::new(secret);
    c.base_url = sb.url();
    c.retry = RetryPolicy {
        max_attempts: 2,
        initial_backoff: Duration::from_millis(2),
        max_backoff: Duration::from_millis(5),
    };
    Client::new(c).unwrap()
}

/// Short backoffs, and a lone leave due at once: these tests queue leaves without their enter
/// (the grace for an enter queued just after its leave is tested in tests/c/test_callbacks.c).
fn fast() -> OutboxOptions {
    OutboxOptions {
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(5),
        leave_grace: Duration::ZERO,
        ..OutboxOptions::default()
    }
}

#[test]
fn delivers_in_order_and_survives_faults() {
    let dir = tmp("order");
    let sb = sandbox();
    let ob = Outbox::open(dir.join("q.db"), fast()).unwrap();
    // The leave is queued before its enter: the enter still goes first.
    ob.enqueue(
        &record(Endpoint::Leave, "A"),
        &[(FileField::LeaveImage, FileSource::Path(data("leave.bmp")))],
    )
    .unwrap();
    ob.enqueue(
        &record(Endpoint::Enter, "A"),
        &[(FileField::EnterImage, FileSource::Path(data("enter.gif")))],
    )
    .unwrap();
    ob.enqueue(&record(Endpoint::Enter, "B"), &[]).unwrap();
    ob.enqueue(&record(Endpoint::Update, "F1"), &[]).unwrap();
    sb.set_faults(Faults {
        error_rate: 0.3,
        drop_rate: 0.2,
        drop_after_store: true,
        seed: Some(7),
        ..Faults::default()
    });
    let c = client(&sb, SECRET);
    for _ in 0..200 {
        ob.drain(&c).unwrap();
        if ob.counts().unwrap().pending == 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let counts = ob.counts().unwrap();
    assert_eq!(
        (counts.pending, counts.done, counts.dead),
        (0, 4, 0),
        "{:?}",
        counts
    );
    let order: Vec<(String, String)> = sb
        .records()
        .into_iter()
        .map(|r| (r.endpoint, r.key))
        .collect();
    let pos = |e: &str, k: &str| order.iter().position(|(a, b)| a == e && b == k).unwrap();
    assert!(pos("enter", "A") < pos("leave", "A"), "{:?}", order);
    assert_eq!(
        order.len(),
        4,
        "each record accepted exactly once: {:?}",
        order
    );
    assert_eq!(
        sb.records()[pos("leave", "A")].files["leave_image_file"].len,
        std::fs::metadata(data("leave.bmp")).unwrap().len()
    );
}

#[test]
fn permanent_refusals_become_dead_letters_and_can_be_retried() {
    let dir = tmp("dead");
    let sb = sandbox();
    let ob = Outbox::open(
        dir.join("q.db"),
        OutboxOptions {
            carry_enter_fields: true,
            ..fast()
        },
    )
    .unwrap();
    ob.enqueue(
        &record(Endpoint::Enter, "X"),
        &[(FileField::EnterImage, FileSource::Path(data("enter.gif")))],
    )
    .unwrap();
    ob.enqueue(&record(Endpoint::Release, "R"), &[]).unwrap();
    let report = ob.drain(&client(&sb, "wrong-secret")).unwrap();
    assert_eq!((report.accepted, report.dead), (0, 2));
    let dead = ob.dead_letters().unwrap();
    assert_eq!(dead.len(), 2);
    assert!(
        dead[0]
            .diagnosis
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default()
            .contains("app_secret"),
        "{:?}",
        dead[0]
    );
    assert!(
        dead[1].response.as_deref().unwrap_or("").contains("401"),
        "{:?}",
        dead[1]
    );
    // Note 8: the leave carries the dead enter's fields and photo.
    let mut v: serde_json::Value =
        serde_json::from_str(&record(Endpoint::Leave, "X").to_json()).unwrap();
    v.as_object_mut().unwrap().remove("plate_type");
    ob.enqueue(&AnyRecord::from_value(Endpoint::Leave, v).unwrap(), &[])
        .unwrap();
    let good = client(&sb, SECRET);
    assert_eq!(ob.drain(&good).unwrap().accepted, 1);
    let leave = &sb.records()[0];
    assert_eq!(leave.fields["plate_type"], "0");
    assert_eq!(
        leave.files["enter_image_file"].md5,
        "DF16D33739DEFE9BDA1F4C45D36FD7A7"
    );
    assert_eq!(ob.retry_dead(None).unwrap(), 2);
    assert_eq!(ob.drain(&good).unwrap().accepted, 2);
    assert_eq!(ob.counts().unwrap().dead, 0);
    assert_eq!(ob.purge_done(Some(Duration::ZERO)).unwrap(), 3);
}

#[test]
fn bad_conditions_are_clear_and_lose_nothing() {
    let dir = tmp("bad");
    let ob = Outbox::open(dir.join("q.db"), fast()).unwrap();
    // Invalid record: refused, not stored.
    let bad = AnyRecord::from_json(Endpoint::Leave, r#"{"plate":"粤B1"}"#).unwrap();
    assert!(matches!(ob.enqueue(&bad, &[]), Err(Error::Validation(_))));
    // A photo that vanished: refused, not stored.
    let missing = ob.enqueue(
        &record(Endpoint::Enter, "M"),
        &[(
            FileField::EnterImage,
            FileSource::Path(dir.join("gone.jpg")),
        )],
    );
    assert!(matches!(missing, Err(Error::File { .. })));
    assert_eq!(ob.counts().unwrap().pending, 0);
    // The photo is stored with the record: deleting the original afterwards does not matter.
    let photo = dir.join("p.gif");
    std::fs::copy(data("enter.gif"), &photo).unwrap();
    ob.enqueue(
        &record(Endpoint::Enter, "P"),
        &[(FileField::EnterImage, FileSource::Path(photo.clone()))],
    )
    .unwrap();
    std::fs::remove_file(&photo).unwrap();
    let sb = sandbox();
    assert_eq!(ob.drain(&client(&sb, SECRET)).unwrap().accepted, 1);

    // A file that is not a database is refused and left as it was.
    let junk = dir.join("junk.db");
    let content = b"this is not sqlite, but somebody's data ".repeat(200);
    std::fs::write(&junk, &content).unwrap();
    let err = Outbox::open(&junk, fast()).unwrap_err();
    assert!(err.to_string().contains("left untouched"), "{}", err);
    assert_eq!(std::fs::read(&junk).unwrap(), content);
}

#[test]
fn eight_threads_enqueue_and_a_background_sender_delivers() {
    let dir = tmp("threads");
    let sb = sandbox();
    let ob = Outbox::open(dir.join("q.db"), fast()).unwrap();
    let sender = ob.start_sender(Arc::new(client(&sb, SECRET)), Duration::from_millis(20));
    let handles: Vec<_> = (0..8)
        .map(|t| {
            let ob = ob.clone();
            std::thread::spawn(move || {
                for i in 0..10 {
                    ob.enqueue(&record(Endpoint::Enter, &format!("T{}-{}", t, i)), &[])
                        .unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    for _ in 0..500 {
        if ob.counts().unwrap().done == 80 {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    sender.stop();
    assert_eq!(ob.counts().unwrap().done, 80);
    assert_eq!(sb.records().len(), 80);
}

#[test]
fn two_drains_on_one_file_deliver_each_record_once_in_order() {
    // Two handles opened separately (two connections, as two processes would have) drain
    // the same file at once. Both may send a record; the platform keeps the first and drops
    // the repeat, so each is accepted once, and per-serial order still holds.
    let dir = tmp("two-drains");
    let sb = sandbox();
    let path = dir.join("q.db");
    let a = Outbox::open(&path, fast()).unwrap();
    for i in 0..30 {
        let key = format!("TWO-{}", i);
        // Enter and leave of one serial (`record` puts the key in `parking_serial`).
        a.enqueue(&record(Endpoint::Enter, &key), &[]).unwrap();
        a.enqueue(&record(Endpoint::Leave, &key), &[]).unwrap();
    }
    let b = Outbox::open(&path, fast()).unwrap();
    let c = Arc::new(client(&sb, SECRET));
    let drains: Vec<_> = [a.clone(), b.clone()]
        .into_iter()
        .map(|ob| {
            let c = c.clone();
            std::thread::spawn(move || ob.drain(&c).unwrap())
        })
        .collect();
    for d in drains {
        d.join().unwrap();
    }
    let counts = b.counts().unwrap();
    assert_eq!((counts.pending, counts.done, counts.dead), (0, 60, 0));
    let accepted: Vec<(String, String)> = sb
        .records()
        .into_iter()
        .map(|r| (r.endpoint, r.fields["parking_serial"].clone()))
        .collect();
    assert_eq!(accepted.len(), 60, "each record accepted once");
    for i in 0..30 {
        let serial = format!("TWO-{}", i);
        let order: Vec<&str> = accepted
            .iter()
            .filter(|(_, s)| *s == serial)
            .map(|(e, _)| e.as_str())
            .collect();
        assert_eq!(order, ["enter", "leave"], "{}", serial);
    }
}

#[test]
fn per_serial_order_enter_first_even_when_the_enter_has_to_wait() {
    let dir = tmp("serial-order");
    let sb = sandbox();
    let backoff = Duration::from_millis(300);
    let ob = Outbox::open(
        dir.join("q.db"),
        OutboxOptions {
            initial_backoff: backoff,
            max_backoff: backoff,
            ..fast()
        },
    )
    .unwrap();
    // One serial, queued in the worst order: leave, release, update, then its enter.
    let serial = "ORDER-1";
    let of_serial = |endpoint: Endpoint, key: &str| {
        let mut v: serde_json::Value =
            serde_json::from_str(&record(endpoint, key).to_json()).unwrap();
        v["parking_serial"] = serial.into();
        AnyRecord::from_value(endpoint, v).unwrap()
    };
    ob.enqueue(
        &of_serial(Endpoint::Leave, serial),
        &[(FileField::LeaveImage, FileSource::Path(data("leave.bmp")))],
    )
    .unwrap();
    ob.enqueue(&of_serial(Endpoint::Release, serial), &[])
        .unwrap();
    ob.enqueue(&of_serial(Endpoint::Update, "ORDER-FLOW-1"), &[])
        .unwrap();
    ob.enqueue(&of_serial(Endpoint::Enter, serial), &[])
        .unwrap();
    ob.enqueue(&record(Endpoint::Enter, "OTHER"), &[]).unwrap();
    // The first two requests fail with 503 and the client gives up after 2 attempts: the
    // first record sent is ORDER-1's enter, which then backs off. Delivery goes on with
    // OTHER, but nothing of ORDER-1 may pass its enter.
    sb.set_faults(Faults {
        fail_first: 2,
        ..Faults::default()
    });
    let c = client(&sb, SECRET);
    let first = ob.drain(&c).unwrap();
    assert_eq!(first.retried, 1, "{:?}", first);
    let accepted: Vec<(String, String)> = sb
        .records()
        .into_iter()
        .map(|r| (r.endpoint, r.fields["parking_serial"].clone()))
        .collect();
    assert_eq!(
        accepted,
        [("enter".to_string(), "OTHER".to_string())],
        "only OTHER may go while ORDER-1's enter backs off"
    );
    std::thread::sleep(backoff + Duration::from_millis(50));
    assert_eq!(ob.drain(&c).unwrap().accepted, 4);
    let order: Vec<String> = sb
        .records()
        .into_iter()
        .filter(|r| r.fields["parking_serial"] == serial)
        .map(|r| r.endpoint)
        .collect();
    assert_eq!(order, ["enter", "leave", "release", "update"]);
    assert_eq!(ob.counts().unwrap().done, 5);
}

#[test]
fn a_photo_changed_or_removed_after_enqueue_is_sent_as_it_was_enqueued() {
    let dir = tmp("photo-changed");
    let ob = Outbox::open(dir.join("q.db"), fast()).unwrap();
    let original = std::fs::read(data("leave.bmp")).unwrap();
    let (changed, removed) = (dir.join("changed.bmp"), dir.join("removed.bmp"));
    std::fs::write(&changed, &original).unwrap();
    std::fs::write(&removed, &original).unwrap();
    for (key, path) in [("CH-1", &changed), ("CH-2", &removed)] {
        ob.enqueue(
            &record(Endpoint::Leave, key),
            &[(FileField::LeaveImage, FileSource::Path(path.clone()))],
        )
        .unwrap();
    }
    // The lot PC's photo folder rotates: one file is overwritten, the other deleted.
    std::fs::write(&changed, b"another car's photo").unwrap();
    std::fs::remove_file(&removed).unwrap();
    let sb = sandbox();
    assert_eq!(ob.drain(&client(&sb, SECRET)).unwrap().accepted, 2);
    let md5 = pyun_core::form::md5_hex(&original);
    for r in sb.records() {
        let f = &r.files["leave_image_file"];
        assert_eq!(
            (f.len, f.md5.as_str()),
            (original.len() as u64, md5.as_str())
        );
        assert_eq!(r.fields["leave_image_hash"], md5);
    }
}

#[test]
fn done_records_are_kept_for_the_audit_period_then_purged() {
    let dir = tmp("purge");
    let sb = sandbox();
    let audit = Duration::from_millis(400);
    let ob = Outbox::open(
        dir.join("q.db"),
        OutboxOptions {
            audit_period: audit,
            ..fast()
        },
    )
    .unwrap();
    for key in ["AU-1", "AU-2"] {
        ob.enqueue(&record(Endpoint::Enter, key), &[]).unwrap();
    }
    ob.enqueue(&record(Endpoint::Release, "AU-DEAD"), &[])
        .unwrap();
    // Under a wrong secret all three are dead letters; re-queued once it is fixed.
    let wrong = client(&sb, "wrong-secret");
    let c = client(&sb, SECRET);
    assert_eq!(ob.drain(&wrong).unwrap().dead, 3);
    assert_eq!(ob.retry_dead(None).unwrap(), 3);
    ob.enqueue(&record(Endpoint::Enter, "AU-LATER"), &[])
        .unwrap();
    // With the right secret all four go through (the re-queued ones included).
    assert_eq!(ob.drain(&c).unwrap().accepted, 4);
    assert_eq!(ob.counts().unwrap().done, 4);
    // Within the audit period nothing is purged.
    assert_eq!(ob.purge_done(None).unwrap(), 0);
    std::thread::sleep(audit + Duration::from_millis(100));
    ob.enqueue(&record(Endpoint::Enter, "AU-PENDING"), &[])
        .unwrap();
    ob.enqueue(&record(Endpoint::Update, "AU-FLOW"), &[])
        .unwrap();
    ob.drain(&wrong).unwrap(); // the enter is ignored with a hint, the update refused: dead
    assert_eq!(ob.purge_done(None).unwrap(), 4);
    let counts = ob.counts().unwrap();
    assert_eq!(
        (counts.pending, counts.done, counts.dead),
        (0, 0, 2),
        "{:?}",
        counts
    );
    // Dead letters are never purged, however old.
    std::thread::sleep(audit + Duration::from_millis(100));
    assert_eq!(ob.purge_done(None).unwrap(), 0);
    assert_eq!(ob.dead_letters().unwrap().len(), 2);
}

#[test]
fn a_real_full_then_read_only_disk_at_enqueue_loses_nothing() {
    let dir = tmp("tmpfs");
    let fs = match Tmpfs::mount(&dir, "16m") {
        Some(fs) => fs,
        None => {
            // core/src/outbox.rs simulates both conditions inside SQLite (max_page_count,
            // query_only) and runs everywhere.
            eprintln!("skipped: cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN)");
            return;
        }
    };
    let db = fs.path().join("q.db");
    let ballast = fs.path().join("ballast");
    // Freed once the disk is full, so that there is room again.
    std::fs::write(&ballast, vec![0u8; 6 << 20]).unwrap();
    let ob = Outbox::open(&db, fast()).unwrap();
    let photo = [(FileField::LeaveImage, FileSource::Path(data("leave.bmp")))];
    // Full disk: enqueue 57 KB photos until the 16 MB filesystem is full.
    let mut stored = Vec::new();
    let full = loop {
        let key = format!("FULL-{}", stored.len());
        match ob.enqueue(&record(Endpoint::Leave, &key), &photo) {
            Ok(_) => stored.push(key),
            Err(e) => break e,
        }
        assert!(stored.len() < 400, "the 16 MB tmpfs never filled up");
    };
    let text = full.to_string();
    assert!(
        text.contains("NOT stored") && text.contains("full"),
        "{}",
        text
    );
    assert_eq!(ob.counts().unwrap().pending, stored.len() as u64);
    // Room again: the same outbox takes records again.
    std::fs::remove_file(&ballast).unwrap();
    ob.enqueue(&record(Endpoint::Leave, "AFTER-FULL"), &photo)
        .unwrap();
    stored.push("AFTER-FULL".into());

    // Read-only disk: the lot PC's disk came back read-only (a remount needs the files
    // closed, so the outbox is closed first, as after a reboot).
    drop(ob);
    fs.remount("ro");
    let ro =
        Outbox::open(&db, fast()).and_then(|ob| ob.enqueue(&record(Endpoint::Leave, "RO"), &photo));
    let ro = ro.unwrap_err().to_string();
    assert!(ro.contains("read-only"), "{}", ro);
    fs.remount("rw");
    let ob = Outbox::open(&db, fast()).unwrap();
    ob.enqueue(&record(Endpoint::Leave, "AFTER-RO"), &photo)
        .unwrap();
    stored.push("AFTER-RO".into());

    // Everything that was reported stored is delivered, nothing else.
    let sb = sandbox();
    let report = ob.drain(&client(&sb, SECRET)).unwrap();
    assert_eq!(
        (report.accepted, report.pending, report.dead),
        (stored.len() as u64, 0, 0)
    );
    let mut got: Vec<String> = sb.records().into_iter().map(|r| r.key).collect();
    got.sort();
    stored.sort();
    assert_eq!(got, stored);
    drop(ob);
    drop(fs);
}

/// Drains until nothing is pending (or a limit), sleeping a little between drains.
fn drain_all(ob: &Outbox, c: &Client) {
    for _ in 0..400 {
        ob.drain(c).unwrap();
        if ob.counts().unwrap().pending == 0 {
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn gateway_answers_keep_records_pending_until_the_platform_answers_again() {
    // A proxy or captive portal in front of the platform: 429, a redirect, a 404, an HTML page
    // with 200. None of them is the platform refusing a record.
    let sb = sandbox();
    let c = client(&sb, SECRET);
    for status in [429u16, 302, 404, 200] {
        let ob = Outbox::open(tmp(&format!("gw-{}", status)).join("q.db"), fast()).unwrap();
        for k in 0..3 {
            ob.enqueue(
                &record(Endpoint::Update, &format!("G{}-{}", status, k)),
                &[],
            )
            .unwrap();
        }
        ob.enqueue(&record(Endpoint::Enter, &format!("GE{}", status)), &[])
            .unwrap();
        sb.reset();
        sb.set_faults(Faults {
            gateway_first: 1_000,
            gateway_status: status,
            ..Faults::default()
        });
        for _ in 0..3 {
            let report = ob.drain(&c).unwrap();
            // The reason is visible; each record was sent at most once per drain.
            let why = report.last_error.map(|t| t.to_string()).unwrap_or_default();
            assert!(why.contains(&format!("HTTP {}", status)), "{}", why);
            assert_eq!(report.dead, 0);
            std::thread::sleep(Duration::from_millis(6));
        }
        assert!(sb.counters().requests <= 3 * 4 * 2, "{:?}", sb.counters());
        let counts = ob.counts().unwrap();
        assert_eq!(
            (counts.pending, counts.dead, counts.done),
            (4, 0, 0),
            "HTTP {}: {:?} {:?}",
            status,
            counts,
            ob.dead_letters().unwrap().first()
        );
        // The gateway recovers: everything is delivered, nothing was dead-lettered.
        sb.set_faults(Faults::default());
        drain_all(&ob, &c);
        let counts = ob.counts().unwrap();
        assert_eq!(
            (counts.pending, counts.dead, counts.done),
            (0, 0, 4),
            "HTTP {}: {:?}",
            status,
            counts
        );
    }
}

#[test]
fn a_429_is_honoured_with_its_retry_after() {
    let sb = sandbox();
    let c = client(&sb, SECRET);
    let ob = Outbox::open(tmp("retry-after").join("q.db"), fast()).unwrap();
    ob.enqueue(&record(Endpoint::Update, "RA-1"), &[]).unwrap();
    sb.set_faults(Faults {
        gateway_first: 1,
        gateway_status: 429,
        retry_after: Some("1".into()),
        ..Faults::default()
    });
    ob.drain(&c).unwrap();
    // Not retried within the push, nor by the next drains, before the second has passed.
    for _ in 0..5 {
        ob.drain(&c).unwrap();
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(sb.counters().requests, 1, "{:?}", sb.counters());
    assert_eq!(ob.counts().unwrap().pending, 1);
    std::thread::sleep(Duration::from_millis(1_000));
    ob.drain(&c).unwrap();
    let counts = ob.counts().unwrap();
    assert_eq!((counts.pending, counts.done), (0, 1), "{:?}", counts);
    assert_eq!(sb.counters().requests, 2);
}

#[test]
fn the_same_refusal_for_every_record_pauses_delivery_instead_of_dead_lettering_the_queue() {
    // A wrong secret: every update is refused with 401. That is not about one record.
    let sb = sandbox();
    // A pause long enough that the drain which started it cannot outlive it on a loaded
    // machine (with fast()'s 5 ms it could, and a second pause replaced the first's reason).
    let pause = Duration::from_millis(500);
    let options = OutboxOptions {
        initial_backoff: pause,
        max_backoff: pause,
        ..fast()
    };
    let ob = Outbox::open(tmp("pause").join("q.db"), options).unwrap();
    for k in 0..8 {
        ob.enqueue(&record(Endpoint::Update, &format!("W-{}", k)), &[])
            .unwrap();
    }
    let wrong = client(&sb, "wrong-secret");
    let report = ob.drain(&wrong).unwrap();
    let why = report.paused.map(|t| t.to_string()).unwrap_or_default();
    assert!(
        why.contains("3 records in a row") && why.contains("signature_rejected"),
        "{}",
        why
    );
    assert_eq!(report.dead, 0);
    // Paused: the next drain sends nothing.
    assert!(ob.drain(&wrong).unwrap().paused.is_some());
    let counts = ob.counts().unwrap();
    assert_eq!((counts.pending, counts.dead), (8, 0), "{:?}", counts);
    assert!(sb.counters().requests <= 4, "{:?}", sb.counters());
    // The secret is fixed: after the pause, everything is delivered (drain_all waits for it).
    drain_all(&ob, &client(&sb, SECRET));
    let counts = ob.counts().unwrap();
    assert_eq!(
        (counts.pending, counts.dead, counts.done),
        (0, 0, 8),
        "{:?}",
        counts
    );
}

#[test]
fn a_tls_failure_keeps_the_record_pending() {
    // https:// to a plain HTTP server: the TLS handshake fails. A network condition, not the
    // record: it stays pending with the reason.
    let sb = sandbox();
    let mut config = ClientConfig::new(SECRET);
    config.base_url = format!("https://{}", sb.addr());
    config.retry.max_attempts = 1;
    let tls = Client::new(config).unwrap();
    let ob = Outbox::open(tmp("tls").join("q.db"), fast()).unwrap();
    ob.enqueue(&record(Endpoint::Update, "TLS-1"), &[]).unwrap();
    let report = ob.drain(&tls).unwrap();
    assert_eq!((report.dead, report.pending), (0, 1), "{:?}", report);
    assert!(report.last_error.is_some());
    std::thread::sleep(Duration::from_millis(6));
    drain_all(&ob, &client(&sb, SECRET));
    assert_eq!(ob.counts().unwrap().done, 1);
}
