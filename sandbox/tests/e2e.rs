//! End to end over real loopback HTTP: the core's `Client` against the sandbox.

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use pyun_core::explain::Cause;
use pyun_core::form::md5_hex;
use pyun_core::response::TransportErrorKind;
use pyun_core::{
    AnyRecord, BuildOptions, Client, ClientConfig, Endpoint, Error, FileField, FileSource, Outcome,
    RetryPolicy,
};
use pyun_sandbox::{Faults, Sandbox, SandboxConfig};
use pyun_test_support::data;

const SECRET: &str = "e2e-secret";

fn sandbox() -> Sandbox {
    Sandbox::start(SandboxConfig {
        app_secret: SECRET.into(),
        ..SandboxConfig::default()
    })
    .unwrap()
}

fn client_with(sb: &Sandbox, secret: &str, tune: impl FnOnce(&mut ClientConfig)) -> Client {
    let mut c = ClientConfig::new(secret);
    c.base_url = sb.url();
    c.timeout = Duration::from_secs(5);
    c.retry = RetryPolicy {
        max_attempts: 4,
        initial_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(20),
    };
    tune(&mut c);
    Client::new(c).unwrap()
}

fn client(sb: &Sandbox) -> Client {
    client_with(sb, SECRET, |_| {})
}

fn record(endpoint: Endpoint, serial: &str) -> AnyRecord {
    let text = std::fs::read_to_string(data(&format!("{}.json", endpoint.name()))).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v[endpoint.dedup_field()] = serial.into();
    AnyRecord::from_value(endpoint, v).unwrap()
}

#[test]
fn all_four_endpoints_with_photos_from_disk() {
    let sb = sandbox();
    let c = client(&sb);
    let enter_photo = (FileField::EnterImage, FileSource::Path(data("enter.gif")));
    let leave_photo = (FileField::LeaveImage, FileSource::Path(data("leave.bmp")));
    for (ep, files) in [
        (Endpoint::Enter, vec![enter_photo]),
        (Endpoint::Leave, vec![leave_photo]),
        (Endpoint::Release, vec![]),
        (Endpoint::Update, vec![]),
    ] {
        let r = c.push(&record(ep, "S-1"), &files).unwrap();
        assert_eq!(r.outcome, Outcome::Accepted, "{:?}", r);
        assert_eq!(r.attempts, 1);
        assert!(r.response.seqno.is_some());
    }
    let recs = sb.records();
    assert_eq!(
        recs.iter().map(|r| r.endpoint.as_str()).collect::<Vec<_>>(),
        ["enter", "leave", "release", "update"]
    );
    let enter_file = &recs[0].files["enter_image_file"];
    assert_eq!(enter_file.md5, "DF16D33739DEFE9BDA1F4C45D36FD7A7");
    assert_eq!(
        recs[0].fields["enter_image_hash"],
        "DF16D33739DEFE9BDA1F4C45D36FD7A7"
    );
    let bmp = std::fs::read(data("leave.bmp")).unwrap();
    assert_eq!(recs[1].files["leave_image_file"].len, bmp.len() as u64);
    assert_eq!(recs[1].files["leave_image_file"].md5, md5_hex(&bmp));
    assert!(recs[1].fields["payment_list"].starts_with("[{\"change_value\""));
}

#[test]
fn twenty_megabyte_photo_streams() {
    let sb = sandbox();
    let dir = std::env::temp_dir().join(format!("pyun-e2e-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("big.jpg");
    let mut f = std::fs::File::create(&path).unwrap();
    let chunk: Vec<u8> = (0..1024 * 1024u32).map(|i| (i % 253) as u8).collect();
    for _ in 0..20 {
        f.write_all(&chunk).unwrap();
    }
    drop(f);
    let expected = pyun_core::form::md5_file(&path).unwrap();
    let r = client(&sb)
        .push(
            &record(Endpoint::Leave, "BIG"),
            &[(FileField::LeaveImage, FileSource::Path(path))],
        )
        .unwrap();
    assert_eq!(r.outcome, Outcome::Accepted);
    let rec = &sb.records()[0];
    assert_eq!(rec.files["leave_image_file"].len, 20 * 1024 * 1024);
    assert_eq!(rec.files["leave_image_file"].md5, expected);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn url_encoding_mode_accepted_and_decoded() {
    let sb = sandbox();
    let c = client_with(&sb, SECRET, |c| {
        c.build = BuildOptions {
            url_encoding: true,
            ..Default::default()
        }
    });
    let r = c.push(&record(Endpoint::Enter, "URL-1"), &[]).unwrap();
    assert_eq!(r.outcome, Outcome::Accepted);
    let rec = &sb.records()[0];
    assert_eq!(rec.fields["encoding"], "URL");
    assert_eq!(rec.fields["plate"], "%E7%B2%A4B12345");
    assert_eq!(rec.decoded["plate"], "粤B12345");
}

#[test]
fn wrong_secret_is_diagnosed() {
    let sb = sandbox();
    let lenient = client_with(&sb, "wrong", |_| {});
    let r = lenient.push(&record(Endpoint::Enter, "W-1"), &[]).unwrap();
    assert_eq!(r.outcome, Outcome::Ignored);
    assert_eq!(
        r.diagnosis.as_ref().map(|d| d.cause),
        Some(Cause::WrongSecret)
    );

    let strict = client_with(&sb, "wrong", |c| c.strict = true);
    match strict.push(&record(Endpoint::Leave, "W-2"), &[]) {
        Err(Error::Api(f)) => {
            assert_eq!(f.outcome, Outcome::Ignored);
            assert_eq!(f.diagnosis.map(|d| d.cause), Some(Cause::WrongSecret));
        }
        other => panic!("expected an API error, got {:?}", other),
    }
    match lenient.push(&record(Endpoint::Update, "W-3"), &[]) {
        Err(Error::Api(f)) => {
            assert_eq!(f.outcome, Outcome::SignatureRejected);
            assert_eq!(f.response.code, "401");
            assert_eq!(f.attempts, 1, "a 401 is never retried");
            assert_eq!(f.diagnosis.map(|d| d.cause), Some(Cause::WrongSecret));
        }
        other => panic!("expected a 401, got {:?}", other),
    }
    assert!(sb.records().is_empty());
    assert_eq!(sb.counters().ignored, 2);
}

#[test]
fn missing_field_fails_before_sending() {
    let sb = sandbox();
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(data("leave.json")).unwrap()).unwrap();
    v.as_object_mut().unwrap().remove("enter_time");
    v.as_object_mut().unwrap().remove("car_desc");
    let rec = AnyRecord::from_value(Endpoint::Leave, v).unwrap();
    match client(&sb).push(&rec, &[]) {
        Err(Error::Validation(e)) => assert_eq!(e.missing_fields(), ["enter_time", "car_desc"]),
        other => panic!("expected a validation error, got {:?}", other),
    }
    assert_eq!(sb.counters().requests, 0);
}

#[test]
fn server_errors_are_retried_then_accepted_once() {
    let sb = sandbox();
    sb.set_faults(Faults {
        fail_first: 2,
        ..Faults::default()
    });
    let r = client(&sb)
        .push(&record(Endpoint::Enter, "F-1"), &[])
        .unwrap();
    assert_eq!((r.outcome, r.attempts), (Outcome::Accepted, 3));
    assert_eq!(sb.records().len(), 1);

    sb.set_faults(Faults {
        fail_first: 10,
        ..Faults::default()
    });
    match client(&sb).push(&record(Endpoint::Enter, "F-2"), &[]) {
        Err(Error::Api(f)) => assert_eq!((f.outcome, f.attempts), (Outcome::ServerError, 4)),
        other => panic!("expected a server error, got {:?}", other),
    }
}

#[test]
fn dropped_connections_retried_and_stored_exactly_once() {
    let sb = sandbox();
    let c = client(&sb);
    // Lost before the platform saw it.
    sb.set_faults(Faults {
        drop_first: 2,
        ..Faults::default()
    });
    let r = c.push(&record(Endpoint::Enter, "D-1"), &[]).unwrap();
    assert_eq!(r.attempts, 3);
    // Stored, then the answer lost: the resend is a duplicate, which the platform ignores.
    sb.set_faults(Faults {
        drop_first: 1,
        drop_after_store: true,
        ..Faults::default()
    });
    let r = c
        .push(
            &record(Endpoint::Leave, "D-1"),
            &[(FileField::LeaveImage, FileSource::Path(data("leave.bmp")))],
        )
        .unwrap();
    assert_eq!((r.outcome, r.attempts), (Outcome::Accepted, 2));
    let keys: Vec<(String, String)> = sb
        .records()
        .into_iter()
        .map(|r| (r.endpoint, r.key))
        .collect();
    assert_eq!(
        keys,
        [
            ("enter".to_string(), "D-1".to_string()),
            ("leave".to_string(), "D-1".to_string())
        ]
    );
    let counters = sb.counters();
    assert_eq!(counters.duplicates, 1);
    assert_eq!(counters.dropped, 3);
}

#[test]
fn timeout_is_honoured() {
    let sb = sandbox();
    sb.set_faults(Faults {
        latency: Duration::from_millis(1500),
        ..Faults::default()
    });
    let c = client_with(&sb, SECRET, |c| {
        c.timeout = Duration::from_millis(300);
        c.retry.max_attempts = 2;
    });
    let started = Instant::now();
    match c.push(&record(Endpoint::Release, "T-1"), &[]) {
        Err(Error::Transport(t)) => {
            assert_eq!(t.kind, TransportErrorKind::Timeout, "{}", t);
            assert_eq!(t.attempts, 2);
        }
        other => panic!("expected a timeout, got {:?}", other),
    }
    assert!(
        started.elapsed() < Duration::from_millis(1400),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn eight_threads_share_one_client() {
    let sb = sandbox();
    let c = Arc::new(client(&sb));
    let handles: Vec<_> = (0..8)
        .map(|t| {
            let c = c.clone();
            std::thread::spawn(move || {
                for i in 0..25 {
                    let r = c
                        .push(&record(Endpoint::Enter, &format!("T{}-{}", t, i)), &[])
                        .unwrap();
                    assert_eq!(r.outcome, Outcome::Accepted);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let mut keys: Vec<String> = sb.records().into_iter().map(|r| r.key).collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), 200);
}
