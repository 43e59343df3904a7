//! The sender's panic boundary and what two deliverers of one outbox may do to a record
//! (issue 21, items 4 and 6), on the outbox's own connection. The C side of the callbacks is
//! tested through libpyun.so in `tests/c/test_callbacks.c`; two deliverers against a real
//! server in `sandbox/tests/deliverers.rs`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use super::delivery::Mark;
use super::tests::{tmp, unreachable};
use super::*;
use crate::client::Client;
use crate::record::AnyRecord;
use crate::Endpoint;

pub(super) fn update(key: &str) -> AnyRecord {
    AnyRecord::from_json(Endpoint::Update, &pyun_test_support::update_json(key)).unwrap()
}

fn done(id: i64) -> Mark {
    Mark::Done {
        id,
        attempts: 1,
        at: now_ms(),
        seqno: Some("SEQ".into()),
        response: None,
    }
}

/// An update keyed `key`, enqueued and marked delivered (as a deliverer does).
fn delivered(ob: &Outbox, key: &str) {
    let id = ob.enqueue(&update(key), &[]).unwrap();
    ob.write_marks(&mut vec![done(id)]).unwrap();
}

#[test]
fn a_panic_on_the_sender_thread_is_an_event_a_failure_and_the_end_of_the_thread() {
    let path = tmp("panic");
    let ob = Outbox::open(&path, OutboxOptions::default()).unwrap();
    delivered(&ob, "A");
    let seen = Arc::new(Mutex::new(Vec::<Event>::new()));
    let calls = Arc::new(AtomicUsize::new(0));
    let (s, c) = (seen.clone(), calls.clone());
    let on_event: OnEvent = Box::new(move |e: &Event| {
        s.lock().unwrap().push(e.clone());
        if c.fetch_add(1, Ordering::SeqCst) == 0 {
            panic!("a bug while handling event {}", e.seq);
        }
    });
    // Its client is never reached: nothing is pending when it could be.
    let sender = ob.start_sender_following(
        Arc::new(unreachable()),
        Duration::from_secs(60),
        Some((0, on_event)),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while sender.is_running() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
    assert!(!sender.is_running(), "the thread must end after a panic");
    let failure = sender.failure().expect("the failure is kept");
    assert!(
        failure.contains("internal error in pyun") && failure.contains("a bug while handling"),
        "{}",
        failure
    );
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2, "{:?}", seen);
    assert_eq!(seen[1].kind, "sender_failed");
    // Its position is the last one handed over: the panicking event is not skipped.
    assert_eq!(seen[1].seq, 0);
    assert_eq!(seen[1].reason.as_ref().map(Text::to_string), Some(failure));
    sender.stop();
}

#[test]
fn a_retry_mark_leaves_a_record_another_deliverer_finished_alone() {
    let path = tmp("retry");
    let ob = Outbox::open(&path, OutboxOptions::default()).unwrap();
    let id = ob.enqueue(&update("B"), &[]).unwrap();
    // Another handle on the file (another process) delivered it first.
    let other = Outbox::open(&path, OutboxOptions::default()).unwrap();
    other.write_marks(&mut vec![done(id)]).unwrap();
    ob.write_marks(&mut vec![Mark::Retry {
        id,
        attempts: 7,
        next_ms: now_ms() + 60_000,
        error: "HTTP 503".into(),
    }])
    .unwrap();
    let r = ob.record(id).unwrap().unwrap();
    assert_eq!(r.state, "done");
    assert_eq!(r.attempts, 1);
    assert_eq!(r.last_error, None);
}

#[test]
fn writes_after_delivery_are_full_sync_again() {
    let path = tmp("sync");
    let ob = Outbox::open(&path, OutboxOptions::default()).unwrap();
    delivered(&ob, "C");
    // retry_dead and purge_done write on this connection without setting it themselves.
    let sync: i64 = ob
        .conn()
        .query_row("PRAGMA synchronous", [], |r| r.get(0))
        .unwrap();
    assert_eq!(sync, 2, "synchronous=FULL (2) after the marks are written");
}

#[test]
fn a_claimed_record_is_not_claimed_again_until_its_outcome_is_written() {
    let path = tmp("claim");
    let ob = Outbox::open(&path, OutboxOptions::default()).unwrap();
    let id = ob.enqueue(&update("D"), &[]).unwrap();
    assert!(ob.claim(id).unwrap());
    assert!(!ob.claim(id).unwrap(), "the second deliverer must skip it");
    ob.write_marks(&mut vec![done(id)]).unwrap();
    assert!(ob.in_flight_ids().is_empty());
    assert!(
        !ob.claim(id).unwrap(),
        "delivered meanwhile: not sent again"
    );
    assert!(ob.in_flight_ids().is_empty());
}

/// No storm offline (issue 25, item 4): a connection refused ends the drain after one attempt
/// (none repeated within the push), the records not tried keep their place, and the outbox
/// holds delivery for a backoff: the sender's next wake-up is after it, and a drain meanwhile
/// sends nothing.
#[test]
fn a_connection_failure_stops_the_drain_and_holds_delivery() {
    let options = OutboxOptions {
        initial_backoff: Duration::from_secs(3600),
        max_backoff: Duration::from_secs(3600),
        ..OutboxOptions::default()
    };
    let path = tmp("offline");
    let ob = Outbox::open(&path, options).unwrap();
    for k in 0..5 {
        ob.enqueue(&update(&format!("OFF-{}", k)), &[]).unwrap();
    }
    let mut c = crate::ClientConfig::new("secret");
    c.base_url = "http://127.0.0.1:1".into(); // nothing listens on port 1
    c.retry.max_attempts = 4;
    let down = Client::new(c).unwrap();
    let before = now_ms();
    let report = ob.drain(&down).unwrap();
    assert_eq!((report.retried, report.pending), (1, 5), "{:?}", report);
    assert_eq!(report.result, "pending");
    let why = report
        .offline
        .as_ref()
        .map(Text::to_string)
        .unwrap_or_default();
    assert!(why.contains("4 record(s) not tried"), "{}", why);
    let attempts = || -> Vec<u32> {
        ob.list(None, 10)
            .unwrap()
            .iter()
            .map(|r| r.attempts)
            .collect()
    };
    assert_eq!(
        attempts(),
        [1, 0, 0, 0, 0],
        "one attempt, not retried in the push"
    );
    // The sender sleeps until the hold ends (an hour), not until the untried records' 0.
    assert!(ob.next_due_ms().unwrap() >= before + 3_600_000);
    let again = ob.drain(&down).unwrap();
    assert_eq!(again.retried, 0, "{:?}", again);
    assert!(again.offline.is_some());
    assert_eq!(attempts(), [1, 0, 0, 0, 0]);
}
