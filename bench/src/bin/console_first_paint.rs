//! `pyun console` on a large outbox (issue 27): the server time of the page's first paint
//! (the page, `/api/summary`, `/api/chart`, `/api/dead`: what it requests before it shows
//! anything) with N records (default 1,000,000) spread over the last 24 hours.
//!
//! Run: `cargo run --release -p pyun-bench --bin console_first_paint -- PYUN_BIN [--records N]
//! [--dir DIR]` (bench/run.sh passes target/release/pyun).
//!
//! The records are written straight into an outbox made by `Outbox::open` (one transaction:
//! enqueueing a million records one fsync at a time would take the bench's whole budget): 97%
//! delivered, 2% pending, 1% dead letters of two causes. Each request is timed on loopback from
//! its send to the last byte of the answer (connection reused), 5 rounds, the median reported.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use pyun_core::outbox::{Outbox, OutboxOptions};

fn main() {
    let mut args = std::env::args().skip(1);
    let pyun = args
        .next()
        .expect("usage: console_first_paint PYUN_BIN [--records N] [--dir DIR]");
    let mut records: i64 = 1_000_000;
    let mut dir = std::env::temp_dir();
    while let Some(a) = args.next() {
        match a.as_str() {
            "--records" => {
                records = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .expect("--records N")
            }
            "--dir" => dir = PathBuf::from(args.next().expect("--dir DIR")),
            other => panic!("unknown argument {}", other),
        }
    }
    let db = dir.join(format!("pyun-console-bench-{}.db", std::process::id()));
    let t = Instant::now();
    fill(&db, records);
    println!(
        "{} records written in {:.1} s",
        records,
        t.elapsed().as_secs_f64()
    );

    let mut child = Command::new(&pyun)
        .args(["console", "--port", "0", "--outbox"])
        .arg(&db)
        .stdout(Stdio::piped())
        .spawn()
        .expect("pyun console");
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let url = first.split_whitespace().last().expect("URL").to_string();
    let (base, token) = url.split_once("/?token=").expect("token");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(120)))
        .build()
        .into();
    let paths = [
        "/",
        "/api/summary",
        "/api/chart?outbox=0",
        "/api/dead?outbox=0",
    ];
    let mut rounds: Vec<Vec<Duration>> = Vec::new();
    for _ in 0..5 {
        let mut times = Vec::new();
        for p in paths {
            let t = Instant::now();
            let body = agent
                .get(&format!("{}{}", base, p))
                .header("X-Pyun-Token", token)
                .call()
                .and_then(|mut r| r.body_mut().with_config().limit(64 << 20).read_to_string())
                .unwrap_or_else(|e| panic!("{}: {}", p, e));
            times.push(t.elapsed());
            assert!(!body.is_empty());
        }
        rounds.push(times);
    }
    let _ = child.kill();
    let _ = child.wait();
    for suffix in ["", "-wal", "-shm", "-enqueued"] {
        let _ = std::fs::remove_file(format!("{}{}", db.display(), suffix));
    }
    let median = |mut v: Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let mut total = Vec::new();
    for (i, p) in paths.iter().enumerate() {
        let m = median(rounds.iter().map(|r| r[i]).collect());
        println!("{:<24} {:>8.1} ms", p, m.as_secs_f64() * 1000.0);
    }
    for r in &rounds {
        total.push(r.iter().sum());
    }
    println!(
        "{:<24} {:>8.1} ms (median of 5 rounds, {} records)",
        "first paint, all four",
        median(total).as_secs_f64() * 1000.0,
        records
    );
}

/// An outbox of `n` records enqueued over the last 24 hours.
fn fill(db: &std::path::Path, n: i64) {
    drop(Outbox::open(db, OutboxOptions::default()).expect("outbox"));
    let mut conn = rusqlite::Connection::open(db).unwrap();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let enter = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/data/enter.json"
    ))
    .unwrap();
    let tx = conn.transaction().unwrap();
    {
        let mut st = tx
            .prepare(
                "INSERT INTO records (endpoint, serial, dedup_key, record_json, state, attempts, created_ms, finished_ms, seqno, last_error, response_json)
                 VALUES ('enter', ?1, ?1, ?2, ?3, 1, ?4, ?5, ?6, ?7, ?8)",
            )
            .unwrap();
        for i in 0..n {
            let serial = format!("B-{:08}", i);
            let record = enter
                .replace("DEMO-20261122-0001", &serial)
                .replace("粤B12345", &format!("粤B{:05}", i % 100_000));
            let created = now - 86_400_000 + (i * 86_400_000 / n);
            let (state, finished, seqno, error, response) = match i % 100 {
                0 => (
                    "dead",
                    Some(created + 500),
                    None,
                    Some("refused by the platform"),
                    Some(r#"{"code":"400","message":"缺少必填字段"}"#),
                ),
                1 if i % 200 == 1 => (
                    "dead",
                    Some(created + 500),
                    None,
                    Some("ignored by the platform"),
                    Some(r#"{"code":"200","message":"已忽略当前请求"}"#),
                ),
                2 | 3 => ("pending", None, None, None, None),
                _ => ("done", Some(created + 150 + i % 900), Some("s"), None, None),
            };
            st.execute(rusqlite::params![
                serial, record, state, created, finished, seqno, error, response
            ])
            .unwrap();
        }
    }
    tx.commit().unwrap();
}
