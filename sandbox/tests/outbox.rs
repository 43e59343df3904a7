//! The durable outbox delivering to the sandbox: order, dead letters, bad conditions.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use pyun_core::outbox::{Outbox, OutboxOptions};
use pyun_core::{
    AnyRecord, Client, ClientConfig, Endpoint, Error, FileField, FileSource, RetryPolicy,
};
use pyun_sandbox::{Faults, Sandbox, SandboxConfig};

const SECRET: &str = "outbox-secret";

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pyun-outbox-{}-{}", std::process::id(), name));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/data")
        .join(name)
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

fn fast() -> OutboxOptions {
    OutboxOptions {
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(5),
        ..OutboxOptions::default()
    }
}

#[test]
fn delivers_in_order_and_survives_faults() {
    let dir = tmp("order");
    let sb = Sandbox::start(SandboxConfig {
        app_secret: SECRET.into(),
        ..SandboxConfig::default()
    })
    .unwrap();
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
    let sb = Sandbox::start(SandboxConfig {
        app_secret: SECRET.into(),
        ..SandboxConfig::default()
    })
    .unwrap();
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
            .as_deref()
            .unwrap_or("")
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
    let sb = Sandbox::start(SandboxConfig {
        app_secret: SECRET.into(),
        ..SandboxConfig::default()
    })
    .unwrap();
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
    let sb = Sandbox::start(SandboxConfig {
        app_secret: SECRET.into(),
        ..SandboxConfig::default()
    })
    .unwrap();
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
