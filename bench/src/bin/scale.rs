//! Cost as the databases grow (issue 26): each operation a lot PC runs all day, timed on an
//! empty outbox and push store and on ones holding N records (default 1,000,000), side by side
//! in one run. Target: every ratio within 1.5x.
//!
//! Run: `cargo run --release -p pyun-bench --bin scale -- PYUN_BIN [--records N] [--dir DIR]`
//! (bench/scale.sh, from bench/run.sh).
//!
//! The large outbox holds N records enqueued over the last 30 days (99% delivered, 1% dead
//! letters, one event each) and the large push store N pushes over 30 days (0.1% not handled),
//! written straight into files made by `Outbox::open` and `push_store::open` (one transaction
//! each: enqueueing a million records one fsync at a time would take hours). What is measured
//! goes through pyun's API (an open `Outbox`) and its CLI (a `pyun` process per command, open
//! included): 200 enqueues, then status/find/show, a drain of those 200 records to an
//! in-process sandbox, then events from a cursor and `pushes list` pages.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use pyun_core::outbox::{Outbox, OutboxOptions};
use pyun_core::{AnyRecord, Client, ClientConfig, Endpoint};

const SECRET: &str = "123";
const DAY_MS: i64 = 86_400_000;
/// Records enqueued (and drained) by the measured part of each round.
const OPS: usize = 200;

fn main() {
    let mut pyuns = Vec::new();
    let mut records: i64 = 1_000_000;
    let mut dir = std::env::temp_dir();
    pyun_bench::each_arg(|arg, value| match arg {
        "--records" => records = value("--records").parse().expect("--records N"),
        "--dir" => dir = value("--dir").into(),
        bin if !bin.starts_with("--") => pyuns.push(PathBuf::from(bin)),
        other => panic!("unknown argument {}", other),
    });
    assert!(
        !pyuns.is_empty(),
        "usage: scale PYUN_BIN... [--records N] [--dir DIR]"
    );
    // With several binaries (before and after a change), each CLI row is measured with each,
    // one after the other on the same files, and named by the binary's number.
    for (i, p) in pyuns.iter().enumerate() {
        eprintln!("pyun #{}: {}", i + 1, p.display());
    }
    let sandbox = pyun_sandbox::Sandbox::start(pyun_sandbox::SandboxConfig {
        app_secret: SECRET.into(),
        ..Default::default()
    })
    .expect("sandbox");
    let mut config = ClientConfig::new(SECRET);
    config.base_url = sandbox.url();
    let client = Client::new(config).expect("client");

    let empty = run(&pyuns, &client, &dir, 0);
    let full = run(&pyuns, &client, &dir, records);
    println!(
        "{:<44} {:>10} {:>12} {:>7}",
        "operation (median)",
        "empty",
        format!("{} rec.", records),
        "ratio"
    );
    for ((name, a), (_, b)) in empty.iter().zip(&full) {
        let ms = |d: &Option<Duration>| match d {
            Some(d) => format!("{:.3} ms", d.as_secs_f64() * 1e3),
            None => "-".into(),
        };
        let ratio = match (a, b) {
            (Some(a), Some(b)) => format!("{:.2}x", b.as_secs_f64() / a.as_secs_f64()),
            _ => "-".into(),
        };
        println!("{:<44} {:>10} {:>12} {:>7}", name, ms(a), ms(b), ratio);
    }
}

/// Fills both databases with `n` records and measures every operation.
fn run(pyuns: &[PathBuf], client: &Client, dir: &Path, n: i64) -> Vec<(String, Option<Duration>)> {
    let id = format!("{}-{}", std::process::id(), n);
    let db = dir.join(format!("pyun-scale-{}.db", id));
    let pushes = dir.join(format!("pyun-scale-{}-pushes.db", id));
    let t = Instant::now();
    fill_outbox(&db, n);
    // As many pushes as the outbox gets records in the measured part, plus `n`.
    fill_pushes(&pushes, n + OPS as i64);
    // What the fills left in the page cache goes to the disk first: an fsync measured
    // later must not pay for it.
    Command::new("sync").status().expect("sync");
    eprintln!(
        "{} records and {} pushes written in {:.1} s",
        n,
        n,
        t.elapsed().as_secs_f64()
    );
    let mut out: Vec<(String, Option<Duration>)> = Vec::new();
    let mut put = |name: &str, d: Option<Duration>| out.push((name.to_string(), d));
    // A CLI row per binary: `f` measures one.
    let put_cli = |put: &mut dyn FnMut(&str, Option<Duration>),
                   name: &str,
                   f: &dyn Fn(&Path) -> Option<Duration>| {
        for (i, pyun) in pyuns.iter().enumerate() {
            match pyuns.len() {
                1 => put(name, f(pyun)),
                _ => put(&format!("{} #{}", name, i + 1), f(pyun)),
            }
        }
    };

    let outbox = Outbox::open(&db, OutboxOptions::default()).expect("open");
    // 200 enters of new serials, one durable transaction each.
    let enter: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(data("enter.json")).expect("enter.json"))
            .unwrap();
    let serial = |i: usize| format!("S{}-{:04}", std::process::id(), i);
    let mut lat = Vec::new();
    for i in 0..OPS {
        let mut v = enter.clone();
        v["parking_serial"] = serial(i).into();
        let r = AnyRecord::from_value(Endpoint::Enter, v).expect("record");
        let t = Instant::now();
        outbox.enqueue(&r, &[]).expect("enqueue");
        lat.push(t.elapsed());
    }
    put("API enqueue (enter, durable)", Some(median(lat)));
    put(
        "API counts + head (status)",
        Some(time(20, || {
            outbox.counts().unwrap();
            outbox.head().unwrap();
        })),
    );
    let key = serial(OPS / 2);
    put(
        "API find (by parking_serial)",
        Some(time(20, || assert_eq!(outbox.find(&key).unwrap().len(), 1))),
    );
    let dbs = db.to_str().unwrap();
    put_cli(&mut put, "CLI outbox status --json", &|pyun| {
        Some(cli(pyun, &["--json", "outbox", "--db", dbs, "status"]))
    });
    put_cli(&mut put, "CLI outbox show KEY", &|pyun| {
        Some(cli(pyun, &["outbox", "--db", dbs, "show", &key]))
    });
    // Draining the 200: one batch read, one send, one outcome each.
    let t = Instant::now();
    let report = outbox.drain(client).expect("drain");
    let drain = t.elapsed();
    assert_eq!(report.accepted, OPS as u64, "{:?}", report);
    put("API drain, per record", Some(drain / OPS as u32));
    let cursor = outbox.last_event_seq().unwrap() - 100;
    put(
        "API events after a cursor (100)",
        Some(time(20, || {
            assert_eq!(outbox.events(cursor, 100).unwrap().len(), 100)
        })),
    );
    let after = cursor.to_string();
    put_cli(&mut put, "CLI outbox events --after CURSOR", &|pyun| {
        let args = [
            "outbox", "--db", dbs, "events", "--after", &after, "--limit", "100",
        ];
        Some(cli(pyun, &args))
    });
    let t = Instant::now();
    drop(Outbox::open(&db, OutboxOptions::default()).expect("open"));
    put("API Outbox::open (checks included)", Some(t.elapsed()));
    drop(outbox);

    let ps = pushes.to_str().unwrap();
    put_cli(&mut put, "CLI pushes list --json (first 100)", &|pyun| {
        let args = ["pushes", "--db", ps, "list", "--json", "--limit", "100"];
        Some(cli(pyun, &args))
    });
    put_cli(
        &mut put,
        "CLI pushes list --json --unhandled (100)",
        &|pyun| {
            let args = [
                "pushes",
                "--db",
                ps,
                "list",
                "--json",
                "--unhandled",
                "--limit",
                "100",
            ];
            Some(cli(pyun, &args))
        },
    );
    // A page in the middle of the store (the `--before` cursor of keyset paging), when this
    // pyun has it.
    let middle = ((n + OPS as i64) / 2 + 100).to_string();
    put_cli(
        &mut put,
        "CLI pushes list --json --before MIDDLE (100)",
        &|pyun| {
            let paging = Command::new(pyun)
                .args(["pushes", "list", "--help"])
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).contains("--before"))
                .unwrap_or(false);
            let args = [
                "pushes", "--db", ps, "list", "--json", "--limit", "100", "--before", &middle,
            ];
            paging.then(|| cli(pyun, &args))
        },
    );
    put_cli(&mut put, "CLI pushes show KEY", &|pyun| {
        Some(cli(pyun, &["pushes", "--db", ps, "show", "K-00000007"]))
    });
    for p in [&db, &pushes] {
        for suffix in ["", "-wal", "-shm", "-enqueued"] {
            let _ = std::fs::remove_file(format!("{}{}", p.display(), suffix));
        }
    }
    out
}

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/data")
        .join(name)
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// The median of `rounds` runs of `f`.
fn time(rounds: usize, mut f: impl FnMut()) -> Duration {
    median(
        (0..rounds)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed()
            })
            .collect(),
    )
}

/// The median wall time of 5 runs of `pyun ARGS` (each must succeed).
fn cli(pyun: &Path, args: &[&str]) -> Duration {
    time(5, || {
        let out = Command::new(pyun).args(args).output().expect("pyun");
        assert!(
            out.status.success(),
            "pyun {:?}: {}{}",
            args,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    })
}

/// An outbox of `n` enters over the last 30 days: 99% accepted, 1% dead letters, with their
/// events, as the sender would have left them.
fn fill_outbox(db: &Path, n: i64) {
    drop(Outbox::open(db, OutboxOptions::default()).expect("outbox"));
    let mut conn = rusqlite::Connection::open(db).unwrap();
    let enter = std::fs::read_to_string(data("enter.json")).unwrap();
    let start = now_ms() - 30 * DAY_MS;
    let tx = conn.transaction().unwrap();
    {
        let mut rec = tx
            .prepare(
                "INSERT INTO records (id, endpoint, serial, dedup_key, record_json, state, attempts, created_ms, finished_ms, seqno, last_error, response_json)
                 VALUES (?1, 'enter', ?2, ?2, ?3, ?4, 1, ?5, ?6, ?7, ?8, ?9)",
            )
            .unwrap();
        let mut ev = tx
            .prepare(
                "INSERT INTO events (record_id, kind, endpoint, dedup_key, at_ms, seqno, reason)
                 VALUES (?1, ?2, 'enter', ?3, ?4, ?5, ?6)",
            )
            .unwrap();
        for i in 1..=n {
            let serial = format!("B-{:08}", i);
            let record = enter
                .replace("DEMO-20261122-0001", &serial)
                .replace("粤B12345", &format!("粤B{:05}", i % 100_000));
            let created = start + (i * 30 * DAY_MS / n);
            let finished = created + 150 + i % 900;
            let (state, seqno, error, response) = if i % 100 == 0 {
                (
                    "dead",
                    None,
                    Some("refused by the platform"),
                    Some(r#"{"code":"400","message":"缺少必填字段"}"#),
                )
            } else {
                ("done", Some(format!("q{}", i)), None, None)
            };
            rec.execute(rusqlite::params![
                i, serial, record, state, created, finished, seqno, error, response
            ])
            .unwrap();
            let kind = if state == "done" { "accepted" } else { "dead" };
            ev.execute(rusqlite::params![i, kind, serial, finished, seqno, error])
                .unwrap();
        }
    }
    tx.commit().unwrap();
}

/// A push store of `n` pushes over the last 30 days (payments and leaves), 0.1% not handled.
fn fill_pushes(db: &Path, n: i64) {
    drop(pyun_core::push_store::open(db, true).expect("push store"));
    let mut conn = rusqlite::Connection::open(db).unwrap();
    let start = now_ms() - 30 * DAY_MS;
    let tx = conn.transaction().unwrap();
    {
        let mut st = tx
            .prepare(
                "INSERT INTO pushes (kind, key, encoding, fields, received_at, handled_at, handler_failures, last_error)
                 VALUES (?1, ?2, 'urlencoded', ?3, ?4, ?5, ?6, ?7)",
            )
            .unwrap();
        for i in 0..n {
            let key = format!("K-{:08}", i);
            let kind = if i % 2 == 0 { "payment" } else { "leave" };
            let fields = serde_json::json!({
                "pay_serial": key, "parking_serial": format!("P-{:08}", i),
                "plate": format!("粤B{:05}", i % 100_000), "value": "500",
            })
            .to_string();
            let at = start + (i * 30 * DAY_MS / n.max(1));
            let failed = i % 1000 == 999;
            st.execute(rusqlite::params![
                kind,
                key,
                fields,
                at,
                (!failed).then_some(at + 20),
                failed as i64,
                failed.then_some("exit 1"),
            ])
            .unwrap();
        }
    }
    tx.commit().unwrap();
}
