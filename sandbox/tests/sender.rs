//! The background sender and what a host follows: woken by enqueue (no polling delay), stops
//! cleanly, records' status by id and key, and delivery events read from a cursor, each
//! exactly once, through faults and a restart.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use pyun_core::outbox::{Outbox, OutboxOptions};
use pyun_core::{AnyRecord, Client, ClientConfig, Endpoint, RetryPolicy};
use pyun_sandbox::{Faults, Sandbox, SandboxConfig};

const SECRET: &str = "sender-secret";

fn tmp(name: &str) -> PathBuf {
    pyun_test_support::scratch_dir("sender", name)
}

fn update(key: &str) -> AnyRecord {
    AnyRecord::from_json(Endpoint::Update, &pyun_test_support::update_json(key)).unwrap()
}

fn sandbox() -> Sandbox {
    Sandbox::start(SandboxConfig {
        app_secret: SECRET.into(),
        ..SandboxConfig::default()
    })
    .unwrap()
}

fn client(sb: &Sandbox, secret: &str) -> Arc<Client> {
    let mut c = ClientConfig::new(secret);
    c.base_url = sb.url();
    c.timeout = Duration::from_secs(5);
    c.retry = RetryPolicy {
        max_attempts: 2,
        initial_backoff: Duration::from_millis(2),
        max_backoff: Duration::from_millis(5),
    };
    Arc::new(Client::new(c).unwrap())
}

fn fast() -> OutboxOptions {
    OutboxOptions {
        initial_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(50),
        ..OutboxOptions::default()
    }
}

fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "timed out waiting for {}", what);
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn an_enqueued_record_wakes_the_sender_at_once() {
    let dir = tmp("wake");
    let sb = sandbox();
    let ob = Outbox::open(dir.join("q.db"), fast()).unwrap();
    // A poll of ten minutes: only the wake-up can deliver within the test.
    let sender = ob.start_sender(client(&sb, SECRET), Duration::from_secs(600));
    assert!(sender.is_running());
    std::thread::sleep(Duration::from_millis(50)); // the sender is asleep now
    let id = ob.enqueue(&update("W-1"), &[]).unwrap();
    wait_for("the record to be accepted", Duration::from_secs(60), || {
        ob.record(id).unwrap().unwrap().state == "done"
    });
    let status = ob.record(id).unwrap().unwrap();
    assert_eq!(status.key, "W-1");
    assert!(
        status.seqno.is_some() && status.attempts == 1,
        "{:?}",
        status
    );
    sender.stop();
}

#[test]
fn stop_finishes_the_record_in_flight_and_keeps_the_rest_pending() {
    let dir = tmp("stop");
    let sb = sandbox();
    sb.set_faults(Faults {
        latency: Duration::from_millis(300),
        ..Faults::default()
    });
    let ob = Outbox::open(dir.join("q.db"), fast()).unwrap();
    for i in 0..5 {
        ob.enqueue(&update(&format!("S-{}", i)), &[]).unwrap();
    }
    let sender = ob.start_sender(client(&sb, SECRET), Duration::from_secs(600));
    wait_for("a record in flight", Duration::from_secs(30), || {
        ob.counts().unwrap().in_flight == 1
    });
    let in_flight = ob
        .list(Some("pending"), 10)
        .unwrap()
        .into_iter()
        .find(|r| r.state == "in_flight")
        .expect("a record reported in flight");
    sender.stop();
    let counts = ob.counts().unwrap();
    assert_eq!(counts.in_flight, 0);
    assert_eq!(counts.done + counts.pending, 5, "{:?}", counts);
    assert!(counts.done >= 1 && counts.pending >= 1, "{:?}", counts);
    assert_eq!(ob.record(in_flight.id).unwrap().unwrap().state, "done");
    // What the platform took is what the outbox marked done.
    assert_eq!(sb.records().len() as u64, counts.done);
}

#[test]
fn status_by_id_and_key_and_why_the_head_waits() {
    let dir = tmp("status");
    let sb = sandbox();
    let ob = Outbox::open(dir.join("q.db"), fast()).unwrap();
    let id = ob.enqueue(&update("K-1"), &[]).unwrap();
    let s = ob.record(id).unwrap().unwrap();
    assert_eq!(
        (s.state.as_str(), s.endpoint.as_str(), s.attempts),
        ("pending", "update", 0)
    );
    assert_eq!(ob.find("K-1").unwrap(), vec![s.clone()]);
    assert_eq!(ob.find("S-K-1").unwrap(), vec![s]);
    assert!(ob.record(id + 100).unwrap().is_none());
    // A gateway in front of the platform: the head waits, and says why.
    sb.set_faults(Faults {
        gateway_first: 10,
        gateway_status: 404,
        ..Faults::default()
    });
    ob.drain(&client(&sb, SECRET)).unwrap();
    let head = ob.head().unwrap().unwrap();
    assert_eq!(head.id, id);
    assert!(head.attempts >= 1 && head.next_attempt_ms.unwrap() > 0);
    assert!(
        head.last_error
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default()
            .contains("404"),
        "{:?}",
        head
    );
    assert!(ob.list(Some("sent"), 10).is_err());
}

/// 4 threads enqueue 1,000 records while the sender runs against a sandbox that fails and
/// drops connections (some after storing the record); the outbox is closed and reopened in
/// the middle. Every record ends accepted once by the platform, and the event cursor sees
/// each record's acceptance exactly once.
#[test]
fn a_thousand_records_from_four_threads_through_faults_and_a_restart() {
    let dir = tmp("thousand");
    let db = dir.join("q.db");
    let sb = sandbox();
    sb.set_faults(Faults {
        error_rate: 0.05,
        drop_rate: 0.05,
        drop_after_store: true,
        seed: Some(7),
        ..Faults::default()
    });
    let mut seen: HashMap<i64, u32> = HashMap::new();
    let mut cursor = 0;
    let mut follow = |ob: &Outbox, seen: &mut HashMap<i64, u32>| {
        for e in ob.events(cursor, 100).unwrap() {
            assert!(e.seq > cursor);
            cursor = e.seq;
            if e.kind == "accepted" {
                *seen.entry(e.record_id).or_default() += 1;
            }
        }
    };
    for half in 0..2 {
        let ob = Outbox::open(&db, fast()).unwrap();
        let sender = ob.start_sender(client(&sb, SECRET), Duration::from_secs(1));
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let ob = ob.clone();
                std::thread::spawn(move || {
                    for i in 0..125 {
                        ob.enqueue(&update(&format!("H{}-T{}-{}", half, t, i)), &[])
                            .unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        if half == 0 {
            // restart in the middle: whatever was not sent stays pending
            follow(&ob, &mut seen);
            sender.stop();
            continue;
        }
        wait_for("1,000 accepted", Duration::from_secs(300), || {
            follow(&ob, &mut seen);
            ob.counts().unwrap().done == 1000
        });
        sender.stop();
        follow(&ob, &mut seen);
        assert_eq!(ob.counts().unwrap().dead, 0);
    }
    assert_eq!(seen.len(), 1000);
    assert!(seen.values().all(|&n| n == 1), "an event seen twice");
    let platform = sb.records();
    assert_eq!(platform.len(), 1000, "the platform took each record once");
}
