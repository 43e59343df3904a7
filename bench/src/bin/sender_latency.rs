//! The outbox's background sender: what a parking program waits for at the barrier (the
//! enqueue, with and without the sender running) and how soon a record is accepted after it
//! was enqueued, at 10 records/s (the sender is woken by the enqueue: no polling interval).
//!
//! `cargo run --release -p pyun-bench --bin sender_latency -- URL [N]`, URL a `pyun sandbox`
//! started with `--app-secret 123` (bench/run.sh does that).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pyun_core::outbox::{Outbox, OutboxOptions};
use pyun_core::{AnyRecord, Client, ClientConfig, Endpoint};

fn update(run: &str, i: usize) -> AnyRecord {
    AnyRecord::from_json(
        Endpoint::Update,
        &format!(
            r#"{{"park_uuid":"p","flow_no":"{run}-{i}","parking_serial":"S-{run}-{i}","plate":"粤B12345"}}"#
        ),
    )
    .unwrap()
}

fn percentiles(mut v: Vec<Duration>) -> String {
    v.sort();
    let at = |p: f64| v[((v.len() - 1) as f64 * p).round() as usize];
    format!(
        "p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms (n={})",
        at(0.5).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3,
        v[v.len() - 1].as_secs_f64() * 1e3,
        v.len()
    )
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let url = args.get(1).expect("usage: sender_latency URL [N]").clone();
    let n: usize = args.get(2).map_or(200, |s| s.parse().expect("N"));
    let dir = std::env::temp_dir().join(format!("pyun-bench-sender-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut config = ClientConfig::new("123");
    config.base_url = url;
    let client = Arc::new(Client::new(config).unwrap());
    let run = format!("{}", std::process::id());

    // 1. Enqueue latency, without and with the sender, alternating rounds of 20.
    let ob = Outbox::open(dir.join("q.db"), OutboxOptions::default()).unwrap();
    let (mut without, mut with) = (Vec::new(), Vec::new());
    for round in 0..n / 20 {
        let sender =
            (round % 2 == 1).then(|| ob.start_sender(client.clone(), Duration::from_secs(60)));
        for i in 0..20 {
            let started = Instant::now();
            ob.enqueue(&update(&format!("{run}-a"), round * 20 + i), &[])
                .unwrap();
            let took = started.elapsed();
            if sender.is_some() {
                with.push(took)
            } else {
                without.push(took)
            }
        }
        if let Some(s) = sender {
            s.stop();
        } else {
            ob.drain(&client).unwrap();
        }
    }
    println!("enqueue, no sender running:  {}", percentiles(without));
    println!("enqueue, sender running:     {}", percentiles(with));

    // 2. Enqueue to accepted at 10 records/s.
    let ob = Outbox::open(dir.join("q2.db"), OutboxOptions::default()).unwrap();
    let sender = ob.start_sender(client, Duration::from_secs(60));
    let enqueued: Arc<Mutex<HashMap<i64, Instant>>> = Arc::default();
    let follower = {
        let (ob, enqueued) = (ob.clone(), enqueued.clone());
        std::thread::spawn(move || {
            let (mut cursor, mut latencies) = (0, Vec::new());
            while latencies.len() < n {
                for e in ob.events(cursor, 100).unwrap() {
                    cursor = e.seq;
                    let at = Instant::now();
                    if let Some(t0) = enqueued.lock().unwrap().get(&e.record_id) {
                        latencies.push(at - *t0);
                    }
                }
                std::thread::sleep(Duration::from_micros(500));
            }
            latencies
        })
    };
    let start = Instant::now();
    for i in 0..n {
        let due = start + Duration::from_millis(100 * i as u64);
        std::thread::sleep(due.saturating_duration_since(Instant::now()));
        // Locked across the enqueue: the follower cannot see the event before its start time.
        let mut map = enqueued.lock().unwrap();
        let t0 = Instant::now();
        let id = ob.enqueue(&update(&format!("{run}-b"), i), &[]).unwrap();
        map.insert(id, t0);
    }
    let latencies = follower.join().unwrap();
    sender.stop();
    println!(
        "enqueue -> accepted event at 10/s: {}",
        percentiles(latencies)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
