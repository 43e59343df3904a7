//! Helpers of the `pyun listen` tests: the listener as a child process, signed pushes, the
//! handler's record of its runs, and the store as `pyun pushes` prints it.
#![allow(dead_code)] // each test binary uses its own part

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use pyun_core::push::sign_push;
use pyun_core::receive::BodyEncoding;
use pyun_core::AppSecret;
use pyun_sandbox::pusher::encode_push;

pub const SECRET: &str = "listen-secret";

pub struct Listener {
    pub child: Child,
    pub url: String,
    pub lines: mpsc::Receiver<String>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl Listener {
    pub fn start(db: &Path, extra: &[&str]) -> Listener {
        Listener::start_with(&mut Command::new(env!("CARGO_BIN_EXE_pyun")), db, extra)
    }

    /// Started by `command` (the pyun binary, or a wrapper that execs it with the rest of the
    /// arguments).
    pub fn start_with(command: &mut Command, db: &Path, extra: &[&str]) -> Listener {
        let mut child = command
            .env("PYUN_LANG", "en")
            .args(["listen", "--port", "0", "--db"])
            .arg(db)
            .args(extra)
            .env("PYUN_APP_SECRET", SECRET)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        out.read_line(&mut first).unwrap();
        let addr = first
            .split("http://")
            .nth(1)
            .and_then(|s| s.split_whitespace().next())
            .unwrap_or_else(|| panic!("no address in {:?}", first))
            .to_string();
        let (tx, rx) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in out.lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Listener {
            child,
            url: format!("http://{}/notify", addr),
            lines: rx,
            reader: Some(reader),
        }
    }

    /// Closes the reading end of the listener's standard output (as a log pipe whose reader
    /// died) once the listener has written one more line, which `then` makes it write.
    pub fn close_stdout_after(&mut self, then: impl FnOnce()) {
        let (_, rx) = mpsc::channel();
        self.lines = rx;
        then();
        if let Some(reader) = self.reader.take() {
            reader.join().unwrap();
        }
    }

    /// The log lines printed so far, waiting (up to 20 s) until they hold each of `expected`.
    pub fn log_with(&self, expected: &[&str]) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut log = String::new();
        while !expected.iter().all(|e| log.contains(e)) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => log.push_str(&(line + "\n")),
                Err(_) => panic!("the log never showed {:?}: {}", expected, log),
            }
        }
        log
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(30)))
        .http_status_as_error(false)
        .build()
        .new_agent()
}

/// POSTs the fields in an encoding; (status, body).
pub fn post(url: &str, fields: &[(String, String)], enc: BodyEncoding) -> (u16, String) {
    let (ct, body) = encode_push(fields, enc);
    let mut r = agent()
        .post(url)
        .header("Content-Type", ct.as_str())
        .send(&body[..])
        .unwrap();
    let status = r.status().as_u16();
    (status, r.body_mut().read_to_string().unwrap())
}

pub fn acked(r: &(u16, String)) -> bool {
    r.0 == 200 && r.1 == r#"{"code":"1001"}"#
}

pub fn signed(fields: Vec<(String, String)>) -> Vec<(String, String)> {
    sign_push(&fields, &AppSecret::new(SECRET), "op1", None)
}

pub fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "pyun-listen-{}-{}-{}",
        name,
        std::process::id(),
        rand::random::<u32>()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn with_key(mut f: Vec<(String, String)>, field: &str, key: &str) -> Vec<(String, String)> {
    for (k, v) in f.iter_mut() {
        if k == field {
            *v = key.to_string();
        }
    }
    f
}

/// The handler appends one line per run to `runs`; with `fail` present it fails instead.
pub fn exec_handler(dir: &Path) -> String {
    format!(
        "if [ -e {d}/fail ]; then exit 3; fi; cat >> {d}/runs; echo \" $PYUN_PUSH_KIND $PYUN_PUSH_KEY\" >> {d}/runs",
        d = dir.display()
    )
}

pub fn runs(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("runs"))
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

pub fn pushes_json(db: &Path) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_pyun"))
        .env("PYUN_LANG", "en")
        .args(["pushes", "--db"])
        .arg(db)
        .args(["list", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{:?}", out);
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The bytes of an HTTP/1.1 POST of the push, for tests that drive the socket themselves.
pub fn raw_request(url: &str, fields: &[(String, String)], enc: BodyEncoding) -> Vec<u8> {
    let (ct, body) = encode_push(fields, enc);
    let rest = url.trim_start_matches("http://");
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut out = format!(
        "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n\r\n",
        if path.is_empty() { "/" } else { path },
        host,
        ct,
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(&body);
    out
}

/// The `host:port` of a listener's URL.
pub fn addr_of(url: &str) -> String {
    let rest = url.trim_start_matches("http://");
    rest[..rest.find('/').unwrap_or(rest.len())].to_string()
}

/// Waits (up to 20 s) until `check` holds.
pub fn wait_until(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {}", what);
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// One request a [`Target`] received.
#[derive(Clone, Debug)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// A target's answer to a request: the status and extra headers.
pub type Answer = fn(&Received) -> (u16, Vec<(String, String)>);

/// A forward target: a loopback HTTP/1.1 server that reads each whole request (headers and
/// `Content-Length` body) before it answers with the status `answer` gives, then closes.
pub struct Target {
    pub url: String,
    pub received: std::sync::Arc<std::sync::Mutex<Vec<Received>>>,
}

impl Target {
    pub fn start(answer: Answer) -> Target {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/push", listener.local_addr().unwrap());
        let received = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = received.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut s) = stream else { continue };
                let mut buf = Vec::new();
                let mut chunk = [0u8; 65536];
                let head_end = loop {
                    if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        break Some(i);
                    }
                    match s.read(&mut chunk) {
                        Ok(0) | Err(_) => break None,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                };
                let Some(head_end) = head_end else { continue };
                let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
                let mut lines = head.split("\r\n");
                let mut first = lines.next().unwrap_or("").split(' ');
                let method = first.next().unwrap_or("").to_string();
                let path = first.next().unwrap_or("").to_string();
                let headers: Vec<(String, String)> = lines
                    .filter_map(|l| l.split_once(':'))
                    .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
                    .collect();
                let length: usize = headers
                    .iter()
                    .find(|(k, _)| k == "content-length")
                    .and_then(|(_, v)| v.parse().ok())
                    .unwrap_or(0);
                let mut body = buf[head_end + 4..].to_vec();
                while body.len() < length {
                    match s.read(&mut chunk) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => body.extend_from_slice(&chunk[..n]),
                    }
                }
                let req = Received {
                    method,
                    path,
                    headers,
                    body,
                };
                let (status, extra) = answer(&req);
                log.lock().unwrap().push(req);
                let mut out = format!(
                    "HTTP/1.1 {} X\r\nContent-Length: 2\r\nConnection: close\r\n",
                    status
                );
                for (k, v) in extra {
                    out.push_str(&format!("{}: {}\r\n", k, v));
                }
                out.push_str("\r\nok");
                let _ = s.write_all(out.as_bytes());
            }
        });
        Target { url, received }
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}
