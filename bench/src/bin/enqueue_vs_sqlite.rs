//! Issue 26: a durable `Outbox::enqueue` against the floor any durable queue on SQLite has,
//! raw SQLite in WAL mode with `synchronous=FULL` committing one insert per transaction (the
//! same JSON an enqueue stores), timed in interleaved rounds in one process; and, with
//! `--threads T`, T threads enqueueing into one `Outbox` against raw SQLite committing T rows
//! per transaction (the group-commit limit).
//!
//! Run: `cargo run --release -p pyun-bench --bin enqueue_vs_sqlite -- [--n N] [--rounds R]
//! [--threads T] [--dir DIR] [--only pyun|sqlite]`. `--only` runs one side once (N records), for
//! `strace -c -f` to count the syncs per record (`bench/enqueue_syncs.sh`). The database lives
//! in DIR (default: the system temporary directory), which must be a real disk, not a tmpfs.

use std::path::{Path, PathBuf};
use std::sync::Barrier;
use std::time::{Duration, Instant};

use pyun_core::outbox::{Outbox, OutboxOptions};
use pyun_core::{AnyRecord, Endpoint};

struct Args {
    n: usize,
    rounds: usize,
    threads: usize,
    dir: PathBuf,
    only: Option<String>,
}

fn parse_args() -> Args {
    let mut a = Args {
        n: 1000,
        rounds: 5,
        threads: 1,
        dir: std::env::temp_dir(),
        only: None,
    };
    pyun_bench::each_arg(|arg, value| match arg {
        "--n" => a.n = value("--n").parse().expect("--n N"),
        "--rounds" => a.rounds = value("--rounds").parse().expect("--rounds R"),
        "--threads" => a.threads = value("--threads").parse().expect("--threads T"),
        "--dir" => a.dir = value("--dir").into(),
        "--only" => a.only = Some(value("--only")),
        other => panic!("unknown argument {}", other),
    });
    a
}

fn enter(serial: usize, tag: &str) -> AnyRecord {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/data/enter.json");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("enter.json")).expect("json");
    v["parking_serial"] = format!("{}-{:07}", tag, serial).into();
    AnyRecord::from_value(Endpoint::Enter, v).expect("record")
}

fn fresh(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(format!("pyun-bench-evs-{}-{}.db", std::process::id(), name));
    remove(&path);
    path
}

fn remove(path: &Path) {
    for suffix in ["", "-wal", "-shm", "-enqueued"] {
        let _ = std::fs::remove_file(format!("{}{}", path.display(), suffix));
    }
}

/// `threads` threads enqueue `records` (split between them) into one fresh outbox.
fn pyun(dir: &Path, records: &[AnyRecord], threads: usize) -> Duration {
    let db = fresh(dir, "pyun");
    let outbox = Outbox::open(&db, OutboxOptions::default()).expect("open");
    let barrier = Barrier::new(threads);
    let per = records.len().div_ceil(threads);
    let took = std::thread::scope(|s| {
        let handles: Vec<_> = records
            .chunks(per)
            .map(|chunk| {
                let (outbox, barrier) = (&outbox, &barrier);
                s.spawn(move || {
                    barrier.wait();
                    let t = Instant::now();
                    for r in chunk {
                        outbox.enqueue(r, &[]).expect("enqueue");
                    }
                    t.elapsed()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .max()
            .unwrap_or_default()
    });
    drop(outbox);
    remove(&db);
    took
}

/// Raw SQLite: the same JSON rows, WAL, `synchronous=FULL`, `batch` rows per transaction.
fn sqlite(dir: &Path, rows: &[String], batch: usize) -> Duration {
    let db = fresh(dir, "sqlite");
    let mut c = rusqlite::Connection::open(&db).expect("open");
    c.pragma_update(None, "journal_mode", "WAL").expect("wal");
    c.pragma_update(None, "synchronous", "FULL").expect("sync");
    c.execute_batch(
        "CREATE TABLE q (id INTEGER PRIMARY KEY AUTOINCREMENT, serial TEXT NOT NULL, json TEXT NOT NULL)",
    )
    .expect("schema");
    let t = Instant::now();
    for chunk in rows.chunks(batch) {
        let tx = c.transaction().expect("begin");
        for (i, json) in chunk.iter().enumerate() {
            tx.prepare_cached("INSERT INTO q (serial, json) VALUES (?1, ?2)")
                .and_then(|mut st| st.execute(rusqlite::params![i.to_string(), json]))
                .expect("insert");
        }
        tx.commit().expect("commit");
    }
    let took = t.elapsed();
    drop(c);
    remove(&db);
    took
}

fn main() {
    let a = parse_args();
    let records: Vec<AnyRecord> = (0..a.n)
        .map(|i| enter(i, &format!("E{}", std::process::id() % 100_000)))
        .collect();
    let rows: Vec<String> = records.iter().map(|r| r.to_json()).collect();
    match a.only.as_deref() {
        Some("pyun") => {
            pyun(&a.dir, &records, a.threads);
            return;
        }
        Some("sqlite") => {
            sqlite(&a.dir, &rows, a.threads);
            return;
        }
        Some(other) => panic!("--only pyun|sqlite, not {}", other),
        None => {}
    }
    println!(
        "{} records per side per round, {} round(s), {} thread(s), database in {}",
        a.n,
        a.rounds,
        a.threads,
        a.dir.display()
    );
    let rate = |d: Duration| a.n as f64 / d.as_secs_f64();
    let (mut best_p, mut best_s) = (0f64, 0f64);
    for round in 0..a.rounds {
        // Alternate which side goes first.
        let (p, s) = if round % 2 == 0 {
            let p = pyun(&a.dir, &records, a.threads);
            (p, sqlite(&a.dir, &rows, a.threads))
        } else {
            let s = sqlite(&a.dir, &rows, a.threads);
            (pyun(&a.dir, &records, a.threads), s)
        };
        let (p, s) = (rate(p), rate(s));
        best_p = best_p.max(p);
        best_s = best_s.max(s);
        println!(
            "round {}: pyun {:>7.0} /s   raw SQLite ({} row(s)/commit) {:>7.0} /s   ratio {:.2}",
            round + 1,
            p,
            a.threads,
            s,
            p / s
        );
    }
    println!(
        "best: pyun {:.0} /s, raw SQLite {:.0} /s, ratio {:.2}",
        best_p,
        best_s,
        best_p / best_s
    );
}
