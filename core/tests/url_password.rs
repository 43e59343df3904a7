//! A password in `base_url` (a gateway with basic auth) reaches the gateway as an
//! `Authorization` header and nothing else: not the logs at any level (pyun's and ureq's),
//! not `Debug`, not errors, not the outbox's stored errors. Every URL spelling that an HTTP
//! library may print normalised (default port, upper-case host, leading-zero port, short IPv4,
//! a character that gets percent-encoded) is tried.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use pyun_core::outbox::{Outbox, OutboxOptions};
use pyun_core::{AnyRecord, Client, ClientConfig, UpdateRecord};
use pyun_test_support::closed_port;

const PASSWORD: &str = "Hunter2pw";

/// Every log line of the process, at every level.
struct Capture(Mutex<String>);

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata) -> bool {
        true
    }
    fn log(&self, record: &log::Record) {
        let line = format!("{} {} {}\n", record.level(), record.target(), record.args());
        self.0.lock().unwrap().push_str(&line);
    }
    fn flush(&self) {}
}

fn logs() -> &'static Capture {
    static CAPTURE: OnceLock<&'static Capture> = OnceLock::new();
    CAPTURE.get_or_init(|| {
        let capture: &'static Capture = Box::leak(Box::new(Capture(Mutex::new(String::new()))));
        log::set_logger(capture).unwrap();
        log::set_max_level(log::LevelFilter::Trace);
        capture
    })
}

fn assert_no_password(what: &str, text: &str) {
    for form in [PASSWORD, "pw{x", "pw%7Bx", "pw%7bx"] {
        assert!(
            !text.contains(form),
            "{} shows the password ({}): {}",
            what,
            form,
            text
        );
    }
}

fn update() -> UpdateRecord {
    UpdateRecord::from_json(
        r#"{"park_uuid":"p","flow_no":"F-1","parking_serial":"S-1","plate":"P"}"#,
    )
    .unwrap()
}

fn client(base_url: &str) -> Client {
    let mut config = ClientConfig::new("app-secret");
    config.base_url = base_url.into();
    config.retry.max_attempts = 2;
    config.retry.initial_backoff = Duration::from_millis(1);
    config.connect_timeout = Duration::from_secs(2);
    config.timeout = Duration::from_secs(5);
    assert_no_password("ClientConfig's Debug", &format!("{:?}", config));
    let client = Client::new(config).unwrap();
    assert_no_password("Client's Debug", &format!("{:?}", client));
    client
}

/// A gateway that answers every request with the platform's success, after reading all of
/// it (a server that answers and closes without reading the body may have its answer lost to
/// a reset). Each request's head goes to the channel; it serves until `stop` is called.
struct Gateway {
    port: u16,
    heads: std::sync::mpsc::Receiver<Vec<String>>,
    done: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Gateway {
    fn start() -> Gateway {
        use std::sync::atomic::Ordering;
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let (tx, heads) = std::sync::mpsc::channel();
        let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stop = done.clone();
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(stream) = stream else { continue };
                if let Some(head) = Self::answer(stream) {
                    let _ = tx.send(head);
                }
            }
        });
        Gateway {
            port,
            heads,
            done,
            thread: Some(thread),
        }
    }

    /// Reads one request (head, then `Content-Length` bytes of body) and answers it.
    fn answer(stream: std::net::TcpStream) -> Option<Vec<String>> {
        let mut reader = BufReader::new(stream.try_clone().ok()?);
        let mut head = Vec::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).ok()?;
            if line == "\r\n" || line.is_empty() {
                break;
            }
            head.push(line.trim_end().to_string());
        }
        let length = head
            .iter()
            .find_map(|h| {
                let (name, value) = h.split_once(':')?;
                name.eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse::<usize>().ok())?
            })
            .unwrap_or(0);
        let mut body = vec![0; length];
        reader.read_exact(&mut body).ok()?;
        let answer = br#"{"code":"1001","message":"OK","seqno":"7"}"#;
        write!(
            &stream,
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            answer.len()
        )
        .ok()?;
        (&stream).write_all(answer).ok()?;
        Some(head)
    }

    /// Stops serving (a connection of its own wakes the accept) and waits for the thread.
    fn stop(mut self) -> Vec<Vec<String>> {
        self.done.store(true, std::sync::atomic::Ordering::SeqCst);
        let _ = std::net::TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
        self.heads.try_iter().collect()
    }
}

#[test]
fn no_spelling_of_the_url_shows_the_password() {
    let logs = logs();
    let (_held, port) = closed_port();
    let urls = [
        format!("http://gw:{}@127.0.0.1:{}", PASSWORD, port),
        // explicit default port: nothing listens on 443 here
        format!("https://gw:{}@127.0.0.1:443", PASSWORD),
        format!("http://gw:{}@LOCALHOST:{}", PASSWORD, port),
        format!("http://gw:{}@127.0.0.1:0{}", PASSWORD, port),
        format!("http://gw:{}@127.1:{}", PASSWORD, port),
        format!("http://gw:pw{{x{}@127.0.0.1:{}/", PASSWORD, port),
        format!("http://gw:pw%7Bx{}@127.0.0.1:{}", PASSWORD, port),
    ];
    for url in &urls {
        let err = client(url).push_update(&update()).unwrap_err();
        assert!(
            matches!(err, pyun_core::Error::Transport(_)),
            "{}: {}",
            url,
            err
        );
        assert_no_password("the error", &err.to_string());
        assert_no_password("the error's Debug", &format!("{:?}", err));
        assert!(err.to_string().contains("***@"), "{}", err);
    }
    let text = logs.0.lock().unwrap().clone();
    assert!(text.contains("POST "), "nothing was logged: {}", text);
    assert_no_password("the logs", &text);
}

#[test]
fn the_gateway_gets_the_credentials_as_a_header_only() {
    let logs = logs();
    let gateway = Gateway::start();
    // `{` written raw in the URL, as users type it
    let result = client(&format!(
        "http://gw:pw{{x{}@127.0.0.1:{}",
        PASSWORD, gateway.port
    ))
    .push_update(&update())
    .unwrap();
    assert_no_password("the result", &format!("{:?}", result));
    let heads = gateway.stop();
    assert_eq!(heads.len(), 1, "one request: {:?}", heads);
    let head = &heads[0];
    assert!(
        head[0].starts_with("POST /") && !head[0].contains('@'),
        "{:?}",
        head
    );
    use base64::Engine as _;
    let want = format!(
        "authorization: Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("gw:pw{{x{}", PASSWORD))
    );
    assert!(
        head.iter().any(|h| h.eq_ignore_ascii_case(&want)),
        "no {:?} in {:?}",
        want,
        head
    );
    assert_no_password("the logs", &logs.0.lock().unwrap());
}

#[test]
fn the_outbox_stores_no_password() {
    logs();
    let dir = std::env::temp_dir().join(format!("pyun-url-password-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("outbox.db");
    let outbox = Outbox::open(&db, OutboxOptions::default()).unwrap();
    outbox.enqueue(&AnyRecord::Update(update()), &[]).unwrap();
    let (_held, port) = closed_port();
    let url = format!("http://gw:{}@LOCALHOST:0{}", PASSWORD, port);
    let report = outbox.drain(&client(&url)).unwrap();
    assert_no_password("the drain report", &format!("{:?}", report));
    assert_eq!(outbox.counts().unwrap().pending, 1);
    drop(outbox);
    let mut stored = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        stored.extend(std::fs::read(entry.unwrap().path()).unwrap());
    }
    let stored = String::from_utf8_lossy(&stored);
    assert!(stored.contains("***@"), "no stored error was found");
    assert_no_password("the outbox files", &stored);
    std::fs::remove_dir_all(&dir).unwrap();
}
