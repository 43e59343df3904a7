//! Chaos for `pyun listen`: 500 distinct pushes, 10 concurrent copies of each, every copy sent
//! until acknowledged (as the platform does) through random hang-ups and half-closes; handlers
//! that are slow, fail once or time out once; and the listener killed with SIGKILL twice and
//! restarted. Afterwards every push is stored and handled, and none was handled twice but where
//! a kill fell between a handler's run and its recorded outcome (counted apart).

mod common;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use common::listener::*;
use pyun_core::receive::BodyEncoding;
use pyun_sandbox::sample_payment_push;
use rand::Rng;

const PUSHES: usize = 500;
const COPIES: usize = 10;
const WORKERS: usize = 64;

/// Slow (0.3 s) for keys ending in 7, a failure on the first run for keys ending in 3, a first
/// run that outlasts --handler-timeout (and records nothing) for keys ending in 99. Each run
/// writes `S key pid` when it starts and `E key pid` when it has handled the push, `pid` being
/// the listener's that started it (the shell's parent).
fn handler_script(dir: &Path) -> String {
    format!(
        r#"d={d}; k="$PYUN_PUSH_KEY"
echo "S $k $PPID" >> $d/runs
case "$k" in *99) if [ ! -e "$d/slept-$k" ]; then : > "$d/slept-$k"; sleep 30; exit 9; fi;; esac
case "$k" in *3) if [ ! -e "$d/failed-$k" ]; then : > "$d/failed-$k"; exit 5; fi;; esac
case "$k" in *7) sleep 0.3;; esac
echo "E $k $PPID" >> $d/runs"#,
        d = dir.display()
    )
}

/// One attempt of a copy: `Some(true)` acknowledged, `Some(false)` answered otherwise, `None`
/// hung up or no connection.
fn attempt(url: &str, request: &[u8], rng: &mut impl Rng) -> Option<bool> {
    let mut s = TcpStream::connect(addr_of(url)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(60))).ok()?;
    s.write_all(request).ok()?;
    match rng.gen_range(0..10) {
        // Hang up without waiting for the answer.
        0 => return None,
        // Half-close, then read the answer.
        1 => s.shutdown(Shutdown::Write).ok()?,
        _ => {}
    }
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    // One request per connection: hyper keeps it open, so read until the whole body is in.
    loop {
        let n = s.read(&mut buf).ok()?;
        if n == 0 {
            break;
        }
        answer.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&answer);
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().to_string())
                })
                .and_then(|v| v.parse::<usize>().ok())?;
            if body.len() >= length {
                return Some(
                    head.starts_with("HTTP/1.1 200") && body.ends_with(r#"{"code":"1001"}"#),
                );
            }
        }
    }
    None
}

#[test]
fn chaos_every_acked_push_stored_and_handled_once() {
    let dir = tmp("chaos");
    let db = dir.join("pushes.db");
    let handler = handler_script(&dir);
    let args = ["--exec", handler.as_str(), "--handler-timeout", "2"];
    let listener = Arc::new(Mutex::new(Listener::start(&db, &args)));
    let url = Arc::new(RwLock::new(listener.lock().unwrap().url.clone()));
    let requests: Vec<Vec<(String, String)>> = (0..PUSHES)
        .map(|i| {
            signed(with_key(
                sample_payment_push(),
                "pay_serial",
                &format!("CH{}", i),
            ))
        })
        .collect();
    // Copies of one push next to each other: with 64 workers, all 10 are in flight together.
    let jobs: Vec<(usize, usize)> = (0..PUSHES)
        .flat_map(|p| (0..COPIES).map(move |c| (p, c)))
        .collect();
    let next = AtomicUsize::new(0);
    let acked_copies = AtomicUsize::new(0);
    let kills = AtomicUsize::new(0);
    let deadline = Instant::now() + Duration::from_secs(600);
    std::thread::scope(|s| {
        for _ in 0..WORKERS {
            s.spawn(|| {
                let mut rng = rand::thread_rng();
                while let Some(&(p, c)) = jobs.get(next.fetch_add(1, Ordering::SeqCst)) {
                    let enc = [
                        BodyEncoding::Form,
                        BodyEncoding::Json,
                        BodyEncoding::Multipart,
                    ][c % 3];
                    loop {
                        assert!(Instant::now() < deadline, "push {} never acknowledged", p);
                        let u = url.read().unwrap().clone();
                        let request = raw_request(&u, &requests[p], enc);
                        if attempt(&u, &request, &mut rng) == Some(true) {
                            break;
                        }
                        std::thread::sleep(Duration::from_millis(rng.gen_range(5..30)));
                    }
                    acked_copies.fetch_add(1, Ordering::SeqCst);
                }
            });
        }
        // Two kills -9, at 30 % and 60 % of the copies acknowledged, each followed by a restart.
        s.spawn(|| {
            for share in [3, 6] {
                while acked_copies.load(Ordering::SeqCst) < PUSHES * COPIES * share / 10 {
                    assert!(Instant::now() < deadline, "stuck before a kill");
                    std::thread::sleep(Duration::from_millis(5));
                }
                let mut l = listener.lock().unwrap();
                // SAFETY: signalling the child process this test started and has not reaped.
                assert_eq!(unsafe { libc::kill(l.child.id() as i32, libc::SIGKILL) }, 0);
                let _ = l.child.wait();
                *l = Listener::start(&db, &args);
                *url.write().unwrap() = l.url.clone();
                kills.fetch_add(1, Ordering::SeqCst);
            }
        });
    });
    assert_eq!(kills.load(Ordering::SeqCst), 2);

    // Every acknowledged push is stored, and handled.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pyun"))
        .env("PYUN_LANG", "en")
        .args(["pushes", "--db"])
        .arg(&db)
        .args(["list", "--json", "--limit", "10000"])
        .output()
        .unwrap();
    let stored: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let stored = stored.as_array().unwrap();
    assert_eq!(stored.len(), PUSHES);
    let unhandled: Vec<_> = stored
        .iter()
        .filter(|r| r["handled_at"].is_null())
        .map(|r| r["key"].clone())
        .collect();
    assert!(
        unhandled.is_empty(),
        "acked but not handled: {:?}",
        unhandled
    );

    // The handler's runs that handled a push: the listeners (pids) that started them, per key.
    let text = std::fs::read_to_string(dir.join("runs")).unwrap();
    let mut handled_by: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    for line in text.lines().filter(|l| l.starts_with("E ")) {
        let mut it = line.split(' ').skip(1);
        let (key, pid) = (it.next().unwrap(), it.next().unwrap());
        handled_by
            .entry(key.to_string())
            .or_default()
            .push(pid.parse().unwrap());
    }
    assert_eq!(handled_by.len(), PUSHES, "pushes never handled");
    // Handled twice by one listener: a broken promise. By two: the first listener was killed
    // after its handler ran and before the outcome was on disk (the kill window), which is the
    // only way a second listener finds the push not handled.
    let mut across_kill = Vec::new();
    let mut twice = Vec::new();
    for (key, pids) in &handled_by {
        let mut distinct = pids.clone();
        distinct.sort_unstable();
        distinct.dedup();
        if distinct.len() < pids.len() {
            twice.push(format!("{} by listener(s) {:?}", key, pids));
        } else if pids.len() > 1 {
            across_kill.push(key.clone());
        }
    }
    assert!(
        twice.is_empty(),
        "handled twice by one listener: {:?}",
        twice
    );
    eprintln!(
        "chaos: {} pushes x {} copies, {} deliveries stored, {} handler runs; handled twice across a kill: {} {:?}",
        PUSHES,
        COPIES,
        stored
            .iter()
            .map(|r| r["deliveries"].as_i64().unwrap())
            .sum::<i64>(),
        text.lines().filter(|l| l.starts_with('S')).count(),
        across_kill.len(),
        across_kill
    );
}
