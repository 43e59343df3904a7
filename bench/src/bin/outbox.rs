//! The durable outbox (issue 6): durable enqueues per second, and the time to drain a backlog
//! against a sandbox compared, in the same run, with pushing the same records directly with a
//! `Client` (target: drain at most 1.2x the direct time).
//!
//! Run: `cargo run --release -p pyun-bench --bin outbox -- [SANDBOX_URL] [--records N]
//! [--enqueues M] [--rounds R] [--dir DIR] [--drain-only]` (bench/run.sh passes the URL of a `pyun sandbox`
//! started with `--app-secret 123`; without a URL an in-process sandbox is started).
//!
//! The backlog is N/2 parking serials, each an enter (no photo) followed by its leave with the
//! 57 KB `examples/data/leave.bmp`: half the records carry a photo, and the outbox's per-serial
//! ordering has work to do. The direct run pushes the same records (other serials of the same
//! length, so the sandbox does not take them for duplicates) in the same order, reading the
//! photo from disk as an integration without an outbox would. Rounds alternate which of the two
//! goes first, so neither always runs on the warmer machine.
//!
//! The database lives in DIR (default: the system temporary directory), which should be on the
//! disk the outbox would use: every enqueue waits for an fsync, so a tmpfs would flatter it.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use pyun_core::outbox::{Outbox, OutboxOptions};
use pyun_core::{
    AnyRecord, Client, ClientConfig, Endpoint, FileField, FileSource, Outcome, Record,
};

const SECRET: &str = "123";

struct Args {
    url: Option<String>,
    records: usize,
    enqueues: usize,
    rounds: usize,
    dir: PathBuf,
    /// Skip the direct pushes (for profiling the drain alone).
    drain_only: bool,
}

fn parse_args() -> Args {
    let mut a = Args {
        url: None,
        records: 10_000,
        enqueues: 1_000,
        rounds: 2,
        dir: std::env::temp_dir(),
        drain_only: false,
    };
    pyun_bench::each_arg(|arg, value| match arg {
        "--records" => a.records = value("--records").parse().expect("--records N"),
        "--enqueues" => a.enqueues = value("--enqueues").parse().expect("--enqueues M"),
        "--rounds" => a.rounds = value("--rounds").parse().expect("--rounds R"),
        "--dir" => a.dir = value("--dir").into(),
        "--drain-only" => a.drain_only = true,
        url if !url.starts_with("--") => a.url = Some(url.to_string()),
        other => panic!("unknown argument {}", other),
    });
    a
}

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/data")
        .join(name)
}

/// One record of a backlog with its photos.
type Item = (AnyRecord, Vec<(FileField, FileSource)>);

/// `pairs` serials `PREFIX-000000`..: enter without a photo, then leave with its photo.
fn backlog(prefix: &str, pairs: usize) -> Vec<Item> {
    let read = |name: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(data(name)).expect(name)).expect(name)
    };
    let (enter, leave) = (read("enter.json"), read("leave.json"));
    let photo = vec![(FileField::LeaveImage, FileSource::Path(data("leave.bmp")))];
    let mut out = Vec::with_capacity(pairs * 2);
    for i in 0..pairs {
        let serial = format!("{}-{:06}", prefix, i);
        for (endpoint, base, files) in [
            (Endpoint::Enter, &enter, Vec::new()),
            (Endpoint::Leave, &leave, photo.clone()),
        ] {
            let mut v = base.clone();
            v["parking_serial"] = serial.clone().into();
            out.push((AnyRecord::from_value(endpoint, v).expect("record"), files));
        }
    }
    out
}

fn fresh_db(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(format!(
        "pyun-bench-outbox-{}-{}.db",
        std::process::id(),
        name
    ));
    remove_db(&path);
    path
}

fn remove_db(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{}", path.display(), suffix));
    }
}

/// Bytes of the database and its WAL.
fn on_disk(db: &Path) -> u64 {
    ["", "-wal"]
        .iter()
        .filter_map(|s| std::fs::metadata(format!("{}{}", db.display(), s)).ok())
        .map(|m| m.len())
        .sum()
}

/// Bytes of photos the outbox holds (read through a connection of its own).
fn photo_bytes(db: &Path) -> u64 {
    let c = rusqlite::Connection::open(db).expect("open");
    c.query_row(
        "SELECT COALESCE(SUM(length(bytes)), 0) FROM files",
        [],
        |r| r.get::<_, i64>(0),
    )
    .expect("photo bytes") as u64
}

/// Enqueues `items` one by one (each its own durable transaction); returns the time taken and
/// the median and 99th-percentile latency of one enqueue.
fn enqueue_all(outbox: &Outbox, items: &[Item]) -> (Duration, Duration, Duration) {
    let mut lat = Vec::with_capacity(items.len());
    let started = Instant::now();
    for (record, files) in items {
        let t = Instant::now();
        outbox.enqueue(record, files).expect("enqueue");
        lat.push(t.elapsed());
    }
    let total = started.elapsed();
    lat.sort();
    let pct = |p: f64| lat[((lat.len() as f64 - 1.0) * p) as usize];
    (total, pct(0.5), pct(0.99))
}

fn per_sec(n: usize, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64()
}

fn main() {
    let args = parse_args();
    let _sandbox;
    let url = match &args.url {
        Some(u) => u.clone(),
        None => {
            let sb = pyun_sandbox::Sandbox::start(pyun_sandbox::SandboxConfig {
                app_secret: SECRET.into(),
                ..Default::default()
            })
            .expect("sandbox");
            let u = sb.url();
            _sandbox = sb;
            u
        }
    };
    let mut config = ClientConfig::new(SECRET);
    config.base_url = url.clone();
    let client = Client::new(config).expect("client");
    let run = std::process::id() % 100_000;
    println!(
        "outbox benchmark: sandbox {}, database in {}",
        url,
        args.dir.display()
    );

    // 1. Durable enqueues per second, one at a time, each committed with synchronous=FULL.
    if args.enqueues > 0 {
        let items = backlog(&format!("Q{:05}", run), args.enqueues);
        let (no_photo, with_photo): (Vec<Item>, Vec<Item>) = items
            .into_iter()
            .partition(|(r, _)| r.endpoint() == Endpoint::Enter);
        for (what, items) in [
            ("enter, no photo", &no_photo),
            ("leave + 57 KB photo", &with_photo),
        ] {
            let db = fresh_db(&args.dir, "enqueue");
            let outbox = Outbox::open(&db, OutboxOptions::default()).expect("open");
            let (total, p50, p99) = enqueue_all(&outbox, items);
            println!(
                "enqueue {:<20} {:>6} in {:>6.2} s = {:>6.0} /s  (median {:.2} ms, p99 {:.2} ms)",
                what,
                items.len(),
                total.as_secs_f64(),
                per_sec(items.len(), total),
                p50.as_secs_f64() * 1e3,
                p99.as_secs_f64() * 1e3
            );
            drop(outbox);
            remove_db(&db);
        }
    }

    // 2. Draining a backlog vs pushing the same records directly.
    let pairs = args.records / 2;
    let n = pairs * 2;
    let (mut direct_total, mut drain_total) = (Duration::ZERO, Duration::ZERO);
    for round in 0..args.rounds {
        let direct_items = backlog(&format!("D{:05}{}", run, round), pairs);
        let queued_items = backlog(&format!("O{:05}{}", run, round), pairs);
        let db = fresh_db(&args.dir, "backlog");
        let outbox = Outbox::open(&db, OutboxOptions::default()).expect("open");
        let (filled, _, _) = enqueue_all(&outbox, &queued_items);
        drop(outbox);
        // What the fill left for the kernel to write back must not slow whichever run is first.
        std::fs::File::open(&db)
            .and_then(|f| f.sync_all())
            .expect("sync");
        let db_bytes = on_disk(&db);
        let photos_before = photo_bytes(&db);
        // A restart: opening runs PRAGMA quick_check over the whole file (page cache warm).
        let opening = Instant::now();
        let outbox = Outbox::open(&db, OutboxOptions::default()).expect("open");
        let opened = opening.elapsed();

        let direct = || {
            let started = Instant::now();
            if args.drain_only {
                return Duration::from_secs(1);
            }
            for (record, files) in &direct_items {
                let r = client.push(record, files).expect("direct push");
                assert_eq!(r.outcome, Outcome::Accepted);
            }
            started.elapsed()
        };
        let drain = || {
            let started = Instant::now();
            let report = outbox.drain(&client).expect("drain");
            let took = started.elapsed();
            assert_eq!(
                (report.accepted, report.pending),
                (n as u64, 0),
                "{:?}",
                report
            );
            took
        };
        let (d, o) = if round % 2 == 0 {
            let d = direct();
            (d, drain())
        } else {
            let o = drain();
            (direct(), o)
        };
        direct_total += d;
        drain_total += o;
        println!(
            "round {} ({} first): backlog of {} records ({} MB on disk, filled in {:.1} s = {:.0} enqueues/s, reopened in {} ms)",
            round + 1,
            if round % 2 == 0 { "direct" } else { "drain" },
            n,
            db_bytes / 1_000_000,
            filled.as_secs_f64(),
            per_sec(n, filled),
            opened.as_millis()
        );
        println!(
            "  direct Client pushes: {:>6.2} s = {:>5.0} /s",
            d.as_secs_f64(),
            per_sec(n, d)
        );
        println!(
            "  outbox drain:         {:>6.2} s = {:>5.0} /s   ratio drain/direct = {:.3}",
            o.as_secs_f64(),
            per_sec(n, o),
            o.as_secs_f64() / d.as_secs_f64()
        );
        // The accepted records keep their fields and hashes, not their photos: the freed pages
        // are reused by the next enqueues instead of the file growing for the audit period.
        println!(
            "  after the drain: {} done; photo bytes held in the database {} MB -> {} MB",
            outbox.counts().expect("counts").done,
            photos_before / 1_000_000,
            photo_bytes(&db) / 1_000_000
        );
        drop(outbox);
        remove_db(&db);
    }
    if args.rounds > 0 {
        println!(
            "all rounds: drain/direct = {:.3} (target <= 1.2)",
            drain_total.as_secs_f64() / direct_total.as_secs_f64()
        );
    }
}
