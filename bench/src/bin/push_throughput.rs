//! Pushes per second through one `Client` against a sandbox: signed multipart leave records
//! with a 57 KB photo, one at a time over a kept-alive connection.
//! Run: `cargo run --release -p pyun-bench --bin push_throughput -- URL [N]` (see bench/run.sh,
//! which runs the Python `requests` + `hashlib` equivalent against the same sandbox).

use std::path::PathBuf;
use std::time::Instant;

use pyun_core::{Client, ClientConfig, FileField, FileSource, LeaveRecord};

fn main() {
    let mut args = std::env::args().skip(1);
    let url = args.next().expect("usage: push_throughput SANDBOX_URL [N]");
    let n: usize = args.next().map(|s| s.parse().expect("N")).unwrap_or(2000);
    let mut config = ClientConfig::new("123");
    config.base_url = url;
    let client = Client::new(config).expect("client");
    let photo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/data/leave.bmp");
    let base: serde_json::Value =
        serde_json::from_str(include_str!("../../../examples/data/leave.json"))
            .expect("leave.json");
    let run = format!("{}", std::process::id());
    let started = Instant::now();
    for i in 0..n {
        let mut v = base.clone();
        v["parking_serial"] = format!("RS-{}-{}", run, i).into();
        let record = LeaveRecord::from_value(v).expect("record");
        let r = client
            .push_leave(
                &record,
                &[(FileField::LeaveImage, FileSource::Path(photo.clone()))],
            )
            .expect("push");
        assert_eq!(r.outcome, pyun_core::Outcome::Accepted);
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "pyun Client: {} pushes in {:.2} s = {:.0} pushes/s",
        n,
        secs,
        n as f64 / secs
    );
}
