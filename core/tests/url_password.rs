//! A password in `base_url` (a gateway with basic auth) reaches the gateway as an
//! `Authorization` header and nothing else: not the logs at any level (pyun's and ureq's),
//! not `Debug`, not errors, not the outbox's stored errors. Every URL spelling that an HTTP
//! library may print normalised (default port, upper-case host, leading-zero port, short IPv4,
//! a character that gets percent-encoded) is tried.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use pyun_core::outbox::{Outbox, OutboxOptions};
use pyun_core::{AnyRecord, Client, ClientConfig, UpdateRecord};

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

/// A port nothing listens on.
fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn no_spelling_of_the_url_shows_the_password() {
    let logs = logs();
    let port = closed_port();
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
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut head = Vec::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if line == "\r\n" || line.is_empty() {
                break;
            }
            head.push(line.trim_end().to_string());
        }
        let body = br#"{"code":"1001","message":"OK","seqno":"7"}"#;
        write!(
            &stream,
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .unwrap();
        (&stream).write_all(body).unwrap();
        head
    });
    // `{` written raw in the URL, as users type it
    let result = client(&format!("http://gw:pw{{x{}@127.0.0.1:{}", PASSWORD, port))
        .push_update(&update())
        .unwrap();
    assert_no_password("the result", &format!("{:?}", result));
    let head = server.join().unwrap();
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
    let url = format!("http://gw:{}@LOCALHOST:0{}", PASSWORD, closed_port());
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
