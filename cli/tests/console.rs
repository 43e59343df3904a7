//! `pyun console` as a process: the token on every route, POSTs only from its own page with
//! the token, `--read-only`, and no secret or URL password in the page or any JSON answer.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use pyun_sandbox::{Faults, Sandbox, SandboxConfig};

const SANDBOX_SECRET: &str = "sandbox-S3CRET-4711";
const WRONG_SECRET: &str = "wrong-S3CRET-0815";
const URL_PASSWORD: &str = "gw-PA55-word-99";
/// A password written straight into a stored failure, as no pyun writes it: the scrub of the
/// answers must take it out.
const INJECTED_PASSWORD: &str = "injected-PA55-13";
const PLATE: &str = "粤B7C001";

fn pyun() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_pyun"));
    c.env("PYUN_LANG", "en");
    c
}

fn sandbox() -> Sandbox {
    Sandbox::start(SandboxConfig {
        app_secret: SANDBOX_SECRET.into(),
        ..SandboxConfig::default()
    })
    .unwrap()
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "pyun-console-{}-{}-{}",
        name,
        std::process::id(),
        rand::random::<u32>()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run(c: &mut Command) -> String {
    let out = c.output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// An outbox with records: two dead letters (a wrong secret), pending ones whose failure names
/// the sandbox's URL (a dropped connection), and one with a password written into its error.
fn outbox_with_history(dir: &Path, sandbox: &Sandbox) -> PathBuf {
    let db = dir.join("outbox.db");
    let enter = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/data/enter.json"
    ))
    .unwrap();
    let enqueue = |i: u32| {
        let plate = if i == 1 {
            PLATE.to_string()
        } else {
            format!("粤B7C00{}", i)
        };
        let record = enter
            .replace("DEMO-20261122-0001", &format!("CON-{}", i))
            .replace("粤B12345", &plate);
        let file = dir.join(format!("enter-{}.json", i));
        std::fs::write(&file, record).unwrap();
        let out = pyun()
            .args(["outbox", "--db"])
            .arg(&db)
            .args(["enqueue", "enter"])
            .arg(&file)
            .output()
            .unwrap();
        assert!(out.status.success(), "{:?}", out);
    };
    let with_password = sandbox
        .url()
        .replace("http://", &format!("http://gw:{}@", URL_PASSWORD));
    let drain = || {
        run(pyun()
            .args(["outbox", "--db"])
            .arg(&db)
            .args(["drain", "--attempts", "1", "--base-url", &with_password])
            .env("PYUN_APP_SECRET", WRONG_SECRET))
    };
    // A wrong secret: two refused records are dead letters (fewer than a pause needs).
    enqueue(1);
    enqueue(2);
    drain();
    // Connections dropped: the two others stay pending, their failure naming the URL.
    sandbox.set_faults(Faults {
        drop_first: 2,
        ..Faults::default()
    });
    enqueue(3);
    enqueue(4);
    drain();
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute(
        "UPDATE records SET last_error = ?1 WHERE id = (SELECT MAX(id) FROM records WHERE state = 'pending')",
        [format!(
            "POST http://gw:{}@example.invalid/gate: app_secret={} leaked",
            INJECTED_PASSWORD, WRONG_SECRET
        )],
    )
    .unwrap();
    db
}

struct Console {
    child: Child,
    base: String,
    token: String,
}

impl Console {
    /// The cookie its page gets: the token, named by the port.
    fn cookie(&self) -> String {
        format!(
            "pyun_console_{}={}",
            self.base.rsplit(':').next().unwrap(),
            self.token
        )
    }

    fn start(db: &Path, extra: &[&str]) -> Console {
        let (console, _) = Console::start_env(db, extra, None);
        console
    }

    /// With PYUN_CONSOLE_TOKEN = `token` when given; also returns the first line it printed.
    fn start_env(db: &Path, extra: &[&str], token: Option<&str>) -> (Console, String) {
        let mut cmd = pyun();
        cmd.args(["console", "--port", "0", "--outbox"])
            .arg(db)
            .args(extra)
            .env_remove("PYUN_CONSOLE_TOKEN")
            .stdout(Stdio::piped());
        if let Some(t) = token {
            cmd.env("PYUN_CONSOLE_TOKEN", t);
        }
        let mut child = cmd.spawn().unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        let url = first
            .split_whitespace()
            .last()
            .unwrap_or_else(|| panic!("no URL in {:?}", first));
        let (base, printed) = url.split_once("/?token=").unwrap();
        assert!(base.starts_with("http://127.0.0.1:"), "{}", first);
        let console = Console {
            child,
            base: base.to_string(),
            token: token.unwrap_or(printed).to_string(),
        };
        (console, first)
    }

    fn send(&self, method: &str, path: &str, headers: &[(&str, &str)]) -> (u16, String) {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(30)))
            .http_status_as_error(false)
            .build()
            .into();
        let url = format!("{}{}", self.base, path);
        let mut r = if method == "POST" {
            let mut req = agent.post(&url);
            for (k, v) in headers {
                req = req.header(*k, *v);
            }
            req.send_empty()
        } else {
            let mut req = agent.get(&url);
            for (k, v) in headers {
                req = req.header(*k, *v);
            }
            req.call()
        }
        .unwrap();
        (
            r.status().as_u16(),
            r.body_mut().read_to_string().unwrap_or_default(),
        )
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const GETS: &[&str] = &[
    "/",
    "/app.js",
    "/app.css",
    "/uplot.js",
    "/uplot.css",
    "/licenses/uplot",
    "/api/summary",
    "/api/chart",
    "/api/search?q=CON-1",
    "/api/record?id=1",
    "/api/record?id=4",
    "/api/push?id=1",
    "/api/dead",
    "/api/events",
    "/no-such-page",
];
const POSTS: &[&str] = &["/api/requeue?id=1", "/api/purge?days=1"];

#[test]
fn every_route_needs_the_token_and_posts_need_the_page() {
    let dir = tmp("token");
    let sandbox = sandbox();
    let db = outbox_with_history(&dir, &sandbox);
    let c = Console::start(&db, &[]);
    let origin = c.base.clone();
    let cookie = c.cookie();
    for path in GETS.iter().chain(POSTS) {
        let method = if POSTS.contains(path) { "POST" } else { "GET" };
        let (status, _) = c.send(method, path, &[("Origin", &origin)]);
        assert_eq!(status, 401, "{} {} without a token", method, path);
        let sep = if path.contains('?') { '&' } else { '?' };
        let (status, _) = c.send(method, &format!("{}{}token=0123", path, sep), &[]);
        assert!(
            status == 401 || status == 403,
            "{} {} with a wrong token: {}",
            method,
            path,
            status
        );
        let (status, _) = c.send(
            method,
            path,
            &[("X-Pyun-Token", "f00d"), ("Origin", &origin)],
        );
        assert_eq!(status, 403, "{} {} with a wrong token header", method, path);
    }
    for path in POSTS {
        // What a page of another site can send: the cookie, a form without the token, or the
        // token with its own Origin (or none).
        let (status, _) = c.send("POST", path, &[("Cookie", &cookie), ("Origin", &origin)]);
        assert_eq!(status, 401, "{} with the cookie alone", path);
        for evil in [
            "http://evil.example",
            "null",
            &format!("{}.evil.example", origin),
        ] {
            let (status, body) = c.send(
                "POST",
                path,
                &[("X-Pyun-Token", &c.token), ("Origin", evil)],
            );
            assert_eq!(status, 403, "{} from {}: {}", path, evil, body);
        }
        let (status, _) = c.send("POST", path, &[("X-Pyun-Token", &c.token)]);
        assert_eq!(status, 403, "{} without an Origin", path);
        // Another Host (DNS rebinding) is refused even with the token.
        let (status, _) = c.send(
            "GET",
            "/api/summary",
            &[("X-Pyun-Token", &c.token), ("Host", "evil.example")],
        );
        assert_eq!(status, 403);
    }
    // The dead letter is still dead: no refused POST did anything.
    let (status, body) = c.send("GET", "/api/record?id=1", &[("Cookie", &cookie)]);
    assert_eq!(status, 200, "{}", body);
    assert!(body.contains(r#""state":"dead""#), "{}", body);
    // From the page: done.
    let (status, body) = c.send(
        "POST",
        "/api/requeue?id=1",
        &[("X-Pyun-Token", &c.token), ("Origin", &origin)],
    );
    assert_eq!(
        (status, body.as_str()),
        (200, r#"{"outbox":0,"requeued":1}"#)
    );
    // The other one, by its cause as the page lists it.
    let (_, dead) = c.send("GET", "/api/dead", &[("Cookie", &cookie)]);
    let dead: serde_json::Value = serde_json::from_str(&dead).unwrap();
    let cause = dead["causes"][0]["cause"].as_str().unwrap().to_string();
    assert_eq!(dead["causes"][0]["count"], 1, "{}", dead);
    let (status, body) = c.send(
        "POST",
        &format!(
            "/api/requeue?cause={}",
            percent_encoding::utf8_percent_encode(&cause, percent_encoding::NON_ALPHANUMERIC)
        ),
        &[("X-Pyun-Token", &c.token), ("Origin", &origin)],
    );
    assert_eq!(
        (status, body.as_str()),
        (200, r#"{"outbox":0,"requeued":1}"#)
    );
    let (_, body) = c.send("GET", "/api/summary", &[("Cookie", &cookie)]);
    assert!(body.contains(r#""dead":0"#), "{}", body);
}

#[test]
fn read_only_refuses_every_action() {
    let dir = tmp("read-only");
    let sandbox = sandbox();
    let db = outbox_with_history(&dir, &sandbox);
    let c = Console::start(&db, &["--read-only"]);
    let origin = c.base.clone();
    for path in POSTS {
        let (status, body) = c.send(
            "POST",
            path,
            &[("X-Pyun-Token", &c.token), ("Origin", &origin)],
        );
        assert_eq!(status, 403, "{}: {}", path, body);
        assert!(body.contains("read-only"), "{}", body);
    }
    let (_, body) = c.send("GET", "/api/dead", &[("X-Pyun-Token", &c.token)]);
    assert!(body.contains(r#""total":2"#), "{}", body);
}

#[test]
fn no_secret_or_url_password_in_any_answer() {
    let dir = tmp("secrets");
    let sandbox = sandbox();
    let db = outbox_with_history(&dir, &sandbox);
    let pushes = dir.join("pushes.db");
    {
        let conn = pyun_core::push_store::open(&pushes, true).unwrap();
        let fields = format!(r#"{{"parking_serial":"CON-1","plate":"{}"}}"#, PLATE);
        let d = pyun_core::push_store::Delivery {
            kind: "leave",
            key: "CON-1",
            encoding: "urlencoded",
            fields: &fields,
        };
        pyun_core::push_store::claim(&conn, &d, "t", 1, 1000, true).unwrap();
    }
    let pushes_arg = pushes.to_string_lossy().into_owned();
    let c = Console::start(&db, &["--pushes", &pushes_arg]);
    let token = [("X-Pyun-Token", c.token.as_str())];
    let mut seen = String::new();
    let search = format!(
        "/api/search?q={}",
        percent_encoding::utf8_percent_encode(PLATE, percent_encoding::NON_ALPHANUMERIC)
    );
    let paths: Vec<String> = GETS
        .iter()
        .filter(|p| **p != "/no-such-page")
        .map(|p| p.to_string())
        .chain([
            search.clone(),
            "/?lang=zh".into(),
            "/api/record?id=3".into(),
        ])
        .collect();
    for path in &paths {
        let (status, body) = c.send("GET", path, &token);
        assert_eq!(status, 200, "{}: {}", path, body);
        seen.push_str(&body);
    }
    let (_, found) = c.send("GET", &search, &token);
    assert!(found.contains(r#""key":"CON-1""#), "{}", found);
    assert!(found.contains(r#""kind":"leave""#), "{}", found);
    // What was scanned holds what a secret would hide in: the platform's hints, the URL of a
    // failed attempt, and the failure with a password written into it.
    assert!(seen.contains("app_secret=***"), "no hint was scanned");
    let host = sandbox.url().replace("http://", "");
    assert!(
        seen.contains(&host),
        "no failure naming the URL was scanned"
    );
    assert!(seen.contains("http://***@example.invalid/gate"), "{}", seen);
    for secret in [
        SANDBOX_SECRET,
        WRONG_SECRET,
        URL_PASSWORD,
        INJECTED_PASSWORD,
    ] {
        assert!(!seen.contains(secret), "{} appears in an answer", secret);
    }
}

/// A request and its answer: method, path, headers, status, body.
type Case<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)], u16, &'a str);

/// The gate's refusals and the API's errors in the console's language (`--lang`, else
/// PYUN_LANG and the locale), or in the one a request names (`?lang=`, which the page sends).
#[test]
fn refusals_and_errors_in_the_consoles_language() {
    let dir = tmp("lang");
    let sandbox = Sandbox::start(SandboxConfig {
        app_secret: SANDBOX_SECRET.into(),
        ..SandboxConfig::default()
    })
    .unwrap();
    let db = outbox_with_history(&dir, &sandbox);
    let zh = Console::start(&db, &["--lang", "zh"]);
    let token = [("X-Pyun-Token", zh.token.as_str())];
    let origin = zh.base.clone();
    let cases: &[Case] = &[
        (
            "GET",
            "/api/summary",
            &[],
            401,
            "未授权：请打开 pyun console 输出的网址（带访问令牌）\n",
        ),
        (
            "GET",
            "/api/summary?lang=en",
            &[],
            401,
            "unauthorized: open the URL pyun console printed (with its token)\n",
        ),
        (
            "GET",
            "/",
            &[("X-Pyun-Token", "f00d")],
            403,
            "禁止访问：访问令牌错误\n",
        ),
        (
            "POST",
            "/api/purge?days=1",
            &[("Origin", "http://evil.example")],
            403,
            "禁止访问：POST 请求必须来自控制台自己的页面（Origin）\n",
        ),
        (
            "POST",
            "/api/purge?days=1",
            &[("Origin", &origin)],
            401,
            "未授权：POST 请求需要在 X-Pyun-Token 请求头或 token 表单字段中带上访问令牌\n",
        ),
        (
            "GET",
            "/api/record?id=99",
            &token,
            404,
            r#"{"error":"没有记录 #99"}"#,
        ),
        (
            "GET",
            "/api/record?id=99&lang=en",
            &token,
            404,
            r#"{"error":"no record #99"}"#,
        ),
        (
            "GET",
            "/api/record?id=x",
            &token,
            400,
            r#"{"error":"id：不是数字：\"x\""}"#,
        ),
        (
            "GET",
            "/api/search?q=",
            &token,
            400,
            r#"{"error":"q：请给出车牌、parking_serial 或 pay_serial（1 到 200 个字符）"}"#,
        ),
        (
            "GET",
            "/api/push?id=1",
            &token,
            400,
            r#"{"error":"没有推送存储（启动控制台时请加 --pushes）"}"#,
        ),
    ];
    for (method, path, headers, status, body) in cases {
        assert_eq!(
            zh.send(method, path, headers),
            (*status, body.to_string()),
            "{} {}",
            method,
            path
        );
    }
    let with_token = [("X-Pyun-Token", zh.token.as_str()), ("Origin", &origin)];
    assert_eq!(
        zh.send("POST", "/api/requeue", &with_token),
        (
            400,
            r#"{"error":"请给出 id（一条死信）或 cause（某个原因的全部死信）"}"#.to_string()
        )
    );
    // English by default (the tests' PYUN_LANG=en), Chinese when a request asks.
    let en = Console::start(&db, &["--read-only"]);
    let with_token = [
        ("X-Pyun-Token", en.token.as_str()),
        ("Origin", en.base.as_str()),
    ];
    assert_eq!(
        en.send("POST", "/api/purge?days=1", &with_token),
        (
            403,
            "forbidden: the console is read-only (--read-only)\n".to_string()
        )
    );
    assert_eq!(
        en.send("POST", "/api/purge?days=1&lang=zh", &with_token),
        (403, "禁止访问：控制台是只读的（--read-only）\n".to_string())
    );
    assert_eq!(
        en.send("GET", "/api/record?id=99", &with_token),
        (404, r#"{"error":"no record #99"}"#.to_string())
    );
}

/// The operator's token (PYUN_CONSOLE_TOKEN, how a console service gets one): required as a
/// random one is, and never printed (a service's output is its log, readable by every user).
#[test]
fn the_token_from_the_environment_is_used_and_never_printed() {
    let dir = tmp("env-token");
    let sandbox = sandbox();
    let db = outbox_with_history(&dir, &sandbox);
    let token = "0f1e2d3c4b5a69788796a5b4c3d2e1f0-operator_token.v1~";
    let (c, first) = Console::start_env(&db, &[], Some(token));
    assert!(
        first.trim_end().ends_with("/?token=<PYUN_CONSOLE_TOKEN>"),
        "{}",
        first
    );
    assert!(!first.contains(token), "{}", first);
    assert_eq!(c.send("GET", "/api/summary", &[]).0, 401);
    let wrong = format!("{}0", token);
    assert_eq!(
        c.send("GET", "/api/summary", &[("X-Pyun-Token", &wrong)]).0,
        403
    );
    let (status, body) = c.send("GET", "/api/summary", &[("X-Pyun-Token", token)]);
    assert_eq!(status, 200, "{}", body);
    assert!(body.contains(r#""dead":2"#), "{}", body);
    let (status, _) = c.send("GET", &format!("/?token={}", token), &[]);
    assert_eq!(status, 200);

    // One that is short, or not URL-safe: refused before anything is served, not echoed.
    for bad in [
        "short-secret-token-0815",
        "a token with spaces and 32+ characters in it",
    ] {
        let out = pyun()
            .args(["console", "--port", "0", "--outbox"])
            .arg(&db)
            .env("PYUN_CONSOLE_TOKEN", bad)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{}", err);
        assert!(
            err.contains("PYUN_CONSOLE_TOKEN: give 32 to 256"),
            "{}",
            err
        );
        assert!(!err.contains(bad) && out.stdout.is_empty(), "{}", err);
    }
}

/// An error the outbox stored (by a drain in English) is in the API in English, as it was, and
/// written in the page's language next to it (`*_text`), which the page shows.
#[test]
fn stored_errors_are_written_in_the_pages_language() {
    let dir = tmp("stored");
    let sandbox = sandbox();
    let db = outbox_with_history(&dir, &sandbox);
    let c = Console::start(&db, &[]);
    let cookie = c.cookie();
    let dead = |lang: &str| -> serde_json::Value {
        let (status, body) = c.send(
            "GET",
            &format!("/api/dead?lang={}", lang),
            &[("Cookie", &cookie)],
        );
        assert_eq!(status, 200, "{}", body);
        serde_json::from_str::<serde_json::Value>(&body).unwrap()["letters"][0].clone()
    };
    let (zh, en) = (dead("zh"), dead("en"));
    let english = en["error"].as_str().unwrap();
    assert!(
        english.starts_with("the platform ignored the enter record"),
        "{}",
        en
    );
    assert_eq!(zh["error"], english, "the English stays for scripts");
    assert_eq!(en["error_text"], english);
    let chinese = zh["error_text"].as_str().unwrap();
    assert!(
        chinese.starts_with("平台已忽略该 enter 记录，未入库"),
        "{}",
        zh
    );
    assert_eq!(
        zh["diagnosis_text"],
        "平台收到的字段与签名的字段完全一致，所以 app_secret 与平台为该车场保存的密钥不同（请检查密钥、park_uuid 和 app_id）"
    );
    // The page asks in its language.
    let (_, js) = c.send("GET", "/app.js", &[("Cookie", &cookie)]);
    assert!(js.contains("\"lang=\" + LANG") && js.contains("l.error_text || l.error"));
}
