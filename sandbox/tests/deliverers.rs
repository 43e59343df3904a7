//! Two deliverers of one outbox in one process, the background sender and `drain` (issue 21,
//! item 6): each record reaches the platform once, never twice at once.

use std::sync::Arc;
use std::time::Duration;

use pyun_core::outbox::{Outbox, OutboxOptions};
use pyun_core::{AnyRecord, Client, ClientConfig, Endpoint, RetryPolicy};
use pyun_sandbox::{Faults, Sandbox, SandboxConfig};

const SECRET: &str = "deliverers-secret";

fn update(key: &str) -> AnyRecord {
    AnyRecord::from_json(Endpoint::Update, &pyun_test_support::update_json(key)).unwrap()
}

#[test]
fn the_sender_and_a_drain_never_send_one_record_twice() {
    let dir = std::env::temp_dir().join(format!("pyun-deliverers-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let sb = Sandbox::start(SandboxConfig {
        app_secret: SECRET.into(),
        ..SandboxConfig::default()
    })
    .unwrap();
    // Slow answers: both deliverers are sending while the other reads the queue.
    sb.set_faults(Faults {
        latency: Duration::from_millis(15),
        ..Faults::default()
    });
    let mut config = ClientConfig::new(SECRET);
    config.base_url = sb.url();
    config.retry = RetryPolicy {
        max_attempts: 1,
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(1),
    };
    let client = Arc::new(Client::new(config).unwrap());
    let ob = Outbox::open(dir.join("q.db"), OutboxOptions::default()).unwrap();
    const N: usize = 40;
    for i in 0..N {
        ob.enqueue(&update(&format!("K{}", i)), &[]).unwrap();
    }
    let sender = ob.start_sender(client.clone(), Duration::from_secs(60));
    // Drains on this thread until everything is delivered (each ends when nothing is due).
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while ob.counts().unwrap().done < N as u64 && std::time::Instant::now() < deadline {
        ob.drain(&client).unwrap();
    }
    sender.stop();
    assert_eq!(ob.counts().unwrap().done, N as u64);
    let received = sb.received();
    let twice: Vec<_> = received.iter().filter(|r| r.count != 1).collect();
    assert_eq!(received.len(), N);
    assert!(twice.is_empty(), "sent more than once: {:?}", twice);
}
