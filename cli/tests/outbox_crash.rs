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
    assert_eq!(unique.len(), keys.len(), "a record was accepted twice");
    for r in &reported {
        assert!(unique.contains(r), "{:?} was stored but never delivered", r);
    }
    assert_eq!(
        keys.len() as u64,
        counts.done,
        "the platform holds exactly what the outbox marked done"
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
        "crash test: {} runs, {} records stored ({} reported before the kill), {} accepted ({} while being killed), {} duplicates dropped by the sandbox, {} faults, {} dropped connections, {:?}",
        RUNS,
        counts.done,
        reported.len(),
        keys.len(),
        delivered_while_killing,
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
