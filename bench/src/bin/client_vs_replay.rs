//! The `Client` against the sandbox's ceiling for one connection: pushes per second of
//! `Client::push_leave` (a 57 KB photo read from disk, hashed, signed, sent, answer parsed)
//! against replaying the same kind of push pre-built in memory (distinct serials, bodies built
//! before the clock starts) over one kept-alive socket, interleaved rounds, best of each. A
//! third of each round's replay also hashes the photo before each request: the ceiling of a
//! client that does nothing but the MD5 the protocol requires. Another third sends the file
//! part first, hashes the photo while the sandbox reads (and hashes) it, then sends the text
//! parts: the ceiling of a client that reordered the parts to overlap its MD5 with the
//! server's work (a wire order pyun does not use: the platform's sample sends the text parts
//! first; measured to size what that order would buy).
//! Run: `cargo run --release -p pyun-bench --bin client_vs_replay -- URL [N] [ROUNDS]`
//! against a `pyun sandbox` process (bench/run.sh does). With `ONLY=client` it only pushes N
//! records through the `Client` (for `strace -c -f`: the syscalls per push).
//!
//! The replay side is a bare HTTP/1.1 loop on purpose: it is the ceiling, the least a client
//! could do per push, so it must not carry any client library's own costs.

use std::path::PathBuf;
use std::time::Instant;

use pyun_bench::RawConnection;
use pyun_core::form::md5_hex;
use pyun_core::{
    classify, Client, ClientConfig, Endpoint, FileField, FileSource, LeaveRecord, Outcome, Response,
};

fn record(base: &serde_json::Value, tag: &str, i: usize) -> LeaveRecord {
    let mut v = base.clone();
    v["parking_serial"] = format!("CR-{}-{}", tag, i).into();
    LeaveRecord::from_value(v).expect("record")
}

/// Sends pre-built requests one at a time on one connection; every answer must be the ack.
/// Each request is written in two pieces; with `photo`, it is hashed (as every client must for
/// `*_hash`) after the first piece is written: an empty first piece hashes before sending.
fn replay(addr: &str, requests: &[(Vec<u8>, Vec<u8>)], photo: Option<&[u8]>) -> f64 {
    let mut conn = RawConnection::open(addr);
    let started = Instant::now();
    for (first, rest) in requests {
        conn.send(first);
        if let Some(photo) = photo {
            std::hint::black_box(md5_hex(std::hint::black_box(photo)));
        }
        conn.send(rest);
        let answer = Response::parse(&conn.answer());
        assert_eq!(
            classify(Endpoint::Leave, 200, answer.as_ref()),
            Outcome::Accepted
        );
    }
    started.elapsed().as_secs_f64()
}

/// A raw multipart request reordered: (head and file part, text parts and closing boundary).
fn file_first(raw: &[u8], boundary: &str) -> (Vec<u8>, Vec<u8>) {
    let find = |needle: &[u8]| {
        raw.windows(needle.len())
            .position(|w| w == needle)
            .expect("part")
    };
    let body = find(b"\r\n\r\n") + 4;
    let file = find(
        format!(
            "--{}\r\nContent-Disposition: form-data; name=\"leave_image_file\"",
            boundary
        )
        .as_bytes(),
    );
    let closing = find(format!("--{}--\r\n", boundary).as_bytes());
    let mut first = raw[..body].to_vec();
    first.extend_from_slice(&raw[file..closing]);
    let mut rest = raw[body..file].to_vec();
    rest.extend_from_slice(&raw[closing..]);
    (first, rest)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .expect("usage: client_vs_replay SANDBOX_URL [N] [ROUNDS]");
    let n: usize = args.next().map(|s| s.parse().expect("N")).unwrap_or(2000);
    let rounds: usize = args.next().map(|s| s.parse().expect("ROUNDS")).unwrap_or(4);
    let addr = url
        .strip_prefix("http://")
        .expect("an http:// URL")
        .trim_end_matches('/')
        .to_string();
    let mut config = ClientConfig::new("123");
    config.base_url = url.clone();
    let client = Client::new(config).expect("client");
    let photo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/data/leave.bmp");
    let base: serde_json::Value =
        serde_json::from_str(include_str!("../../../examples/data/leave.json"))
            .expect("leave.json");
    let photo_bytes = std::fs::read(&photo).expect("photo");
    let files = [(FileField::LeaveImage, FileSource::Path(photo))];
    // Serials unique to this run, so that the sandbox never answers a duplicate.
    let run = std::process::id();
    if std::env::var("ONLY").as_deref() == Ok("client") {
        // For `strace -c`: the client's pushes alone.
        for i in 0..n {
            client
                .push_leave(&record(&base, &format!("{}-only", run), i), &files)
                .expect("push");
        }
        return;
    }
    let (mut best_client, mut best_replay, mut best_hashing, mut best_overlap) =
        (0f64, 0f64, 0f64, 0f64);
    for round in 0..rounds {
        // Built outside the clock: the replay's bytes are the client's own requests.
        let requests: Vec<(Vec<u8>, Vec<u8>)> = (0..n)
            .map(|i| {
                let req = client
                    .build(&record(&base, &format!("{}-r{}", run, round), i), &files)
                    .expect("build");
                let raw = pyun_bench::raw_request(&req, &addr);
                if i < 2 * n / 3 {
                    (Vec::new(), raw)
                } else {
                    let content_type = req.content_type();
                    let boundary = content_type.split("boundary=").nth(1).expect("boundary");
                    file_first(&raw, boundary)
                }
            })
            .collect();
        let (bare, rest) = requests.split_at(n / 3);
        let (hashed, overlapped) = rest.split_at(2 * n / 3 - n / 3);
        let replay_rate = bare.len() as f64 / replay(&addr, bare, None);
        let hashing_rate = hashed.len() as f64 / replay(&addr, hashed, Some(&photo_bytes));
        let overlap_rate = overlapped.len() as f64 / replay(&addr, overlapped, Some(&photo_bytes));
        drop(requests);
        let started = Instant::now();
        for i in 0..n {
            let r = client
                .push_leave(&record(&base, &format!("{}-c{}", run, round), i), &files)
                .expect("push");
            assert_eq!(r.outcome, Outcome::Accepted);
        }
        let client_rate = n as f64 / started.elapsed().as_secs_f64();
        println!(
            "round {}: replay {:.0}/s, replay + MD5 {:.0}/s, file first + MD5 {:.0}/s, \
             Client {:.0}/s, ratio {:.2}",
            round + 1,
            replay_rate,
            hashing_rate,
            overlap_rate,
            client_rate,
            client_rate / replay_rate
        );
        best_client = best_client.max(client_rate);
        best_replay = best_replay.max(replay_rate);
        best_hashing = best_hashing.max(hashing_rate);
        best_overlap = best_overlap.max(overlap_rate);
    }
    println!(
        "best of {} rounds of {}: replay {:.0}/s, replay + MD5 of the photo {:.0}/s ({:.2}), \
         file part first + MD5 while sent {:.0}/s ({:.2}), Client {:.0}/s, \
         Client / replay = {:.2}",
        rounds,
        n,
        best_replay,
        best_hashing,
        best_hashing / best_replay,
        best_overlap,
        best_overlap / best_replay,
        best_client,
        best_client / best_replay
    );
}
