//! The crash test of the outbox: a child process enqueues and drains against a faulty sandbox
//! and is killed with SIGKILL at a random moment, 50 times in a row; at the end every record
//! the child stored was accepted exactly once, enters before leaves, and nothing is pending,
//! dead or lost.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pyun_core::outbox::{Outbox, OutboxOptions};
use pyun_core::{Client, ClientConfig};
use pyun_sandbox::{Faults, Sandbox, SandboxConfig};
use rand::{Rng, SeedableRng};

const SECRET: &str = "crash-secret";
const RUNS: usize = 50;

#[test]
fn killed_fifty_times_loses_nothing() {
    let started = Instant::now();
    let dir = std::env::temp_dir().join(format!("pyun-crash-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("outbox.db");
    let data = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/data");
    let enter: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(data.join("enter.json")).unwrap()).unwrap();
    let leave: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(data.join("leave.json")).unwrap()).unwrap();
    let sb = Sandbox::start(SandboxConfig {
        app_secret: SECRET.into(),
        ..SandboxConfig::default()
    })
    .unwrap();
    let pyun = env!("CARGO_BIN_EXE_pyun");
    let mut rng = rand::rngs::StdRng::seed_from_u64(2026);
    // The records the child said it stored ("stored as #N"): the enter of a run, then its
    // leave. Every one of them must reach the platform.
    let mut reported: Vec<(String, String)> = Vec::new();
    for run in 0..RUNS {
        sb.set_faults(Faults {
            error_rate: 0.2,
            drop_rate: 0.15,
            drop_after_store: run % 2 == 1,
            latency: Duration::from_millis(rng.gen_range(0..10)),
            seed: Some(run as u64),
            ..Faults::default()
        });
        let serial = format!("CRASH-{:03}", run);
        for (name, base) in [("enter", &enter), ("leave", &leave)] {
            let mut v = base.clone();
            v["parking_serial"] = serial.clone().into();
            std::fs::write(dir.join(format!("{}-{}.json", name, run)), v.to_string()).unwrap();
        }
        let script = format!(
            "set -e; P={p}; D={db}; \
             $P outbox --db $D enqueue enter {dir}/enter-{run}.json --file enter_image_file={data}/enter.gif; \
             $P outbox --db $D enqueue leave {dir}/leave-{run}.json --file leave_image_file={data}/leave.bmp; \
             exec $P outbox --db $D drain --follow --interval-ms 10 --base-url {url}",
            p = pyun,
            db = db.display(),
            dir = dir.display(),
            data = data.display(),
            run = run,
            url = sb.url()
        );
        let mut child = {
            use std::os::unix::process::CommandExt;
            Command::new("sh")
                .arg("-c")
                .arg(script)
                .env("PYUN_LANG", "en")
                .env("PYUN_APP_SECRET", SECRET)
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .process_group(0)
                .spawn()
                .unwrap()
        };
        std::thread::sleep(Duration::from_millis(rng.gen_range(5..250)));
        // SIGKILL the whole group: the enqueues and the sender die wherever they are.
        unsafe {
            libc::kill(-(child.id() as i32), libc::SIGKILL);
        }
        child.wait().unwrap();
        let mut out = String::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        let stored = out.matches("stored as #").count();
        for endpoint in ["enter", "leave"].iter().take(stored) {
            reported.push((endpoint.to_string(), serial.clone()));
        }
    }
    // What the killed children delivered before the final restart: the kills must have
    // landed while records were being sent, not only around the enqueues.
    let delivered_while_killing = sb.records().len();

    // Restart one last time without faults and let it finish.
    sb.set_faults(Faults::default());
    let outbox = Outbox::open(
        &db,
        OutboxOptions {
            initial_backoff: Duration::from_millis(1),
            ..OutboxOptions::default()
        },
    )
    .unwrap();
    let mut config = ClientConfig::new(SECRET);
    config.base_url = sb.url();
    let client = Client::new(config).unwrap();
    for _ in 0..100 {
        outbox.drain(&client).unwrap();
        if outbox.counts().unwrap().pending == 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let counts = outbox.counts().unwrap();
    assert_eq!((counts.pending, counts.dead), (0, 0), "{:?}", counts);
    assert!(
        counts.done as usize >= reported.len(),
        "{:?} vs {} reported stored",
        counts,
        reported.len()
    );

    let records = sb.records();
    let keys: Vec<(String, String)> = records
        .iter()
        .map(|r| (r.endpoint.clone(), r.key.clone()))
        .collect();
    let unique: BTreeSet<&(String, String)> = keys.iter().collect();
    // What the platform saw, before the sandbox's de-duplication: a record may arrive again
    // (its answer was lost, or the process was killed before it wrote "done"), but every
    // arrival under one key must be the same signed record, so the platform takes it once.
    let received = sb.received();
    let arrivals: u64 = received.iter().map(|r| r.count).sum();
    for r in &received {
        assert_eq!(
            r.distinct, 1,
            "{} {} arrived as {} different records: the platform would take one and drop the others",
            r.endpoint, r.key, r.distinct
        );
    }
    assert_eq!(
        received.len(),
        keys.len(),
        "the sandbox stored a different set than what arrived"
    );
    assert!(arrivals > keys.len() as u64, "no record was ever resent");
    for r in &reported {
        assert!(unique.contains(r), "{:?} was stored but never delivered", r);
    }
    assert_eq!(
        keys.len() as u64,
        counts.done,
        "the platform holds exactly what the outbox marked done"
    );
    // The delivery events, written with their outcomes: through every kill -9, each record
    // accepted exactly one `accepted` event, no more, no less.
    let mut accepted: BTreeMap<i64, u32> = BTreeMap::new();
    let mut cursor = 0;
    loop {
        let events = outbox.events(cursor, 500).unwrap();
        let Some(last) = events.last() else { break };
        cursor = last.seq;
        for e in events.iter().filter(|e| e.kind == "accepted") {
            *accepted.entry(e.record_id).or_default() += 1;
        }
    }
    assert_eq!(
        accepted.len() as u64,
        counts.done,
        "an accepted record without its event"
    );
    assert!(
        accepted.values().all(|&n| n == 1),
        "a record's acceptance was reported twice"
    );
    let mut first_seen: BTreeMap<&str, &str> = BTreeMap::new();
    for (endpoint, key) in &keys {
        first_seen.entry(key.as_str()).or_insert(endpoint.as_str());
    }
    for (key, first) in &first_seen {
        assert_eq!(
            *first, "enter",
            "serial {} was delivered before its enter",
            key
        );
    }
    let c = sb.counters();
    eprintln!(
        "crash test: {} runs, {} records stored ({} reported before the kill), {} accepted ({} while being killed), {} arrivals, {} duplicates dropped by the sandbox, {} faults, {} dropped connections, {:?}",
        RUNS,
        counts.done,
        reported.len(),
        keys.len(),
        delivered_while_killing,
        arrivals,
        c.duplicates,
        c.faults_injected,
        c.dropped,
        started.elapsed()
    );
    assert!(
        c.faults_injected + c.dropped > 0,
        "the faults did not happen"
    );
    assert!(
        delivered_while_killing > 0 && c.duplicates > 0,
        "no kill landed while records were being delivered"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `drain --follow` when the database fails under it: it keeps running (a busy or full disk
/// passes), logs the error naming the file with a growing backoff instead of spinning, stops
/// cleanly (exit 0) on SIGTERM, and the record is still queued for the next start.
#[test]
fn drain_follow_survives_a_store_error_and_loses_nothing() {
    if !Command::new("python3")
        .args(["-c", "import sqlite3"])
        .status()
        .is_ok_and(|s| s.success())
    {
        eprintln!("skipped: python3 with sqlite3 is needed to break the database");
        return;
    }
    let dir = std::env::temp_dir().join(format!("pyun-follow-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("outbox.db");
    let data = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/data");
    let sb = Sandbox::start(SandboxConfig {
        app_secret: SECRET.into(),
        ..SandboxConfig::default()
    })
    .unwrap();
    // A gateway in front of the platform: the record stays pending and is tried every second.
    sb.set_faults(Faults {
        gateway_first: 1_000_000,
        gateway_status: 502,
        ..Faults::default()
    });
    let pyun = env!("CARGO_BIN_EXE_pyun");
    let enqueued = Command::new(pyun)
        .env("PYUN_LANG", "en")
        .args(["outbox", "--db"])
        .arg(&db)
        .args(["enqueue", "leave"])
        .arg(data.join("leave.json"))
        .arg(format!(
            "--file=leave_image_file={}",
            data.join("leave.bmp").display()
        ))
        .output()
        .unwrap();
    assert!(enqueued.status.success(), "{:?}", enqueued);
    let mut follow = Command::new(pyun)
        .env("PYUN_LANG", "en")
        .args(["outbox", "--db"])
        .arg(&db)
        .args([
            "drain",
            "--follow",
            "--interval-ms",
            "50",
            "--max-backoff",
            "0.1",
        ])
        .arg("--base-url")
        .arg(sb.url())
        .env("PYUN_APP_SECRET", SECRET)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while sb.counters().requests == 0 {
        assert!(Instant::now() < deadline, "the sender never tried");
        std::thread::sleep(Duration::from_millis(20));
    }
    // Another program breaks the database: the photos' table is gone.
    let broke = Command::new("python3")
        .args([
            "-c",
            "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute('DROP TABLE files'); c.commit()",
        ])
        .arg(&db)
        .status()
        .unwrap();
    assert!(broke.success());
    // It keeps running through the error (the record is due every 0.1 s), and backs off
    // instead of spinning.
    std::thread::sleep(Duration::from_secs(5));
    assert!(
        follow.try_wait().unwrap().is_none(),
        "drain --follow ended on a store error"
    );
    // SAFETY: kill(2) on the child's pid, which is still ours to signal (not yet waited for).
    unsafe {
        libc::kill(follow.id() as i32, libc::SIGTERM);
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(s) = follow.try_wait().unwrap() {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "drain --follow did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut err = String::new();
    follow
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert_eq!(status.code(), Some(0), "{}", err);
    let errors = err.lines().filter(|l| l.contains("files")).count();
    assert!(
        errors >= 1 && err.contains(&db.display().to_string()),
        "the store error was not reported: {}",
        err
    );
    assert!(errors < 20, "{} error lines in 5 s: no backoff", errors);
    // Nothing was lost: the next start finds the record still pending.
    let outbox = Outbox::open(&db, OutboxOptions::default()).unwrap();
    assert_eq!(outbox.counts().unwrap().pending, 1);
    std::fs::remove_dir_all(&dir).unwrap();
}
