//! The sandbox's memory under a long run: starts `pyun sandbox` (the binary given), sends it N
//! signed enter pushes on one connection (every tenth a resend of an earlier one, which must be
//! counted as a duplicate) and prints its resident memory (`VmRSS`) every N/10 requests, then
//! its counters. Run: `cargo run --release -p pyun-bench --bin sandbox_memory -- PYUN_BINARY
//! [N] [SANDBOX FLAGS...]` (bench/sandbox_memory.sh runs it on the binaries it is given).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Instant;

use pyun_bench::{raw_request, RawConnection};
use pyun_core::{
    build_request, classify, AppSecret, BuildOptions, Endpoint, EnterRecord, Outcome, Response,
};

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", pid)).expect("status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

fn enter(base: &serde_json::Value, serial: usize) -> EnterRecord {
    let mut v = base.clone();
    v["parking_serial"] = format!("MEM-{:09}", serial).into();
    EnterRecord::from_value(v).expect("record")
}

fn main() {
    let mut args = std::env::args().skip(1);
    let binary = args
        .next()
        .expect("usage: sandbox_memory PYUN_BINARY [N] [FLAGS...]");
    let n: usize = args
        .next()
        .map(|s| s.parse().expect("N"))
        .unwrap_or(1_000_000);
    let flags: Vec<String> = args.collect();
    let mut child = Command::new(&binary)
        .args(["sandbox", "--port", "0", "--app-secret", "123"])
        .args(&flags)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the sandbox");
    let mut first = String::new();
    // Kept open to the end: the sandbox prints a second line, and a closed pipe would end it.
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    stdout.read_line(&mut first).expect("first line");
    let url = first.trim().rsplit(' ').next().expect("url").to_string();
    let host = url.trim_start_matches("http://").to_string();
    let pid = child.id();
    let base: serde_json::Value =
        serde_json::from_str(include_str!("../../../examples/data/enter.json"))
            .expect("enter.json");
    let secret = AppSecret::new("123");
    let options = BuildOptions::default();
    let mut conn = RawConnection::open(&host);
    println!("{} {:?}: RSS at start {} KiB", binary, flags, rss_kib(pid));
    let started = Instant::now();
    let mut fresh: usize = 0;
    for i in 1..=n {
        // Every tenth request resends the record sent 5,000 requests ago (or the first).
        let serial = if i % 10 == 0 {
            fresh.saturating_sub(4_500).max(1)
        } else {
            fresh += 1;
            fresh
        };
        let req = build_request(&enter(&base, serial), &[], &secret, &options).expect("build");
        let body = conn.round_trip(&raw_request(&req, &host));
        let answer = Response::parse(&body);
        assert_eq!(
            classify(Endpoint::Enter, 200, answer.as_ref()),
            Outcome::Accepted
        );
        if i % (n / 10).max(1) == 0 {
            println!(
                "  after {:>9} requests ({:>5.0} s): RSS {:>9} KiB",
                i,
                started.elapsed().as_secs_f64(),
                rss_kib(pid)
            );
        }
    }
    let get = format!("GET /_sandbox/counters HTTP/1.1\r\nHost: {}\r\n\r\n", host);
    let counters = conn.round_trip(get.as_bytes());
    println!("  counters: {}", String::from_utf8_lossy(&counters));
    let _ = child.kill();
    let _ = child.wait();
    drop(stdout);
}
