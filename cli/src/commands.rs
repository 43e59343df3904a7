//! The one-shot subcommands: push, sign, verify, explain, sandbox, send-push.

use std::time::Duration;

use clap::Args;
use pyun_core::push::fields_from_json;
use pyun_core::sign::{
    masked_canonical_string, sign as sign_fields, verify as verify_fields, EmptyRule,
};
use pyun_core::{AnyRecord, AppSecret, BuildOptions, Client, ClientConfig, RetryPolicy};
use pyun_sandbox::{pusher, Faults, Sandbox, SandboxConfig};

use crate::input::{endpoint_arg, file_arg, read_fields, read_text};
use crate::{print_json, Failure, SecretArg};
use pyun_core::{Lang, Msg};

/// `pyun push`.
#[derive(Args)]
pub struct PushArgs {
    /// enter, leave, release or update.
    endpoint: String,
    /// The record: a JSON object with the platform's field names (`-` for standard input).
    record: String,
    /// A photo to attach, as NAME=PATH (enter_image_file, leave_image_file, ...). Repeatable.
    #[arg(long = "file", value_name = "NAME=PATH")]
    files: Vec<String>,
    /// Exit 0 when the platform ignored the record (`200` with a hint, e.g. a wrong secret):
    /// production's "do not block on one bad record". Without it an ignored record exits 1.
    #[arg(long, conflicts_with = "strict")]
    allow_ignored: bool,
    #[command(flatten)]
    client: ClientArgs,
}

/// How to reach the platform: the options of every command that sends records.
#[derive(Args)]
pub struct ClientArgs {
    /// Base URL of the platform (or of a sandbox). A `user:password@` in it (a gateway with
    /// basic auth) is sent as an Authorization header and never printed.
    #[arg(long, env = "PYUN_BASE_URL", default_value = pyun_core::client::PRODUCTION_URL)]
    base_url: String,
    #[command(flatten)]
    secret: SecretArg,
    /// app_id assigned by the platform (needs --api-type).
    #[arg(long)]
    app_id: Option<String>,
    /// api_type that goes with --app-id.
    #[arg(long)]
    api_type: Option<String>,
    /// encoding=URL mode, for values that do not survive as UTF-8.
    #[arg(long)]
    url_encoding: bool,
    /// Treat an ignored-with-hint reply as a failure: the default now (push --allow-ignored
    /// is the way out); kept so that scripts passing it still run.
    #[arg(long)]
    strict: bool,
    /// Seconds allowed per attempt.
    #[arg(long, default_value_t = 30.0)]
    timeout: f64,
    /// Seconds allowed to connect.
    #[arg(long, default_value_t = 10.0)]
    connect_timeout: f64,
    /// Attempts in all (retries happen only on network errors and 500/503).
    #[arg(long, default_value_t = 4)]
    attempts: u32,
    /// A PEM file of extra CA certificates to trust besides Mozilla's roots (a network that
    /// re-signs TLS). Certificate checks are never turned off.
    #[arg(long, env = "PYUN_CA_FILE", value_name = "PEM")]
    ca_file: Option<std::path::PathBuf>,
}

impl ClientArgs {
    /// The client these options describe: an ignored-with-hint reply is a failure.
    pub fn client(self) -> Result<Client, Failure> {
        self.client_allowing_ignored(false)
    }

    /// The client, with `allow_ignored`: an ignored reply is a result, not an error.
    pub fn client_allowing_ignored(self, allow_ignored: bool) -> Result<Client, Failure> {
        let _ = self.strict; // the default; the flag is accepted for old scripts
        let mut config = ClientConfig::new(self.secret.app_secret.as_str());
        config.base_url = self.base_url;
        config.build = BuildOptions {
            app_id: self.app_id,
            api_type: self.api_type,
            url_encoding: self.url_encoding,
        };
        config.strict = !allow_ignored;
        config.timeout = seconds(self.timeout, "--timeout")?;
        config.connect_timeout = seconds(self.connect_timeout, "--connect-timeout")?;
        config.ca_file = self.ca_file;
        config.retry = RetryPolicy {
            max_attempts: self.attempts.max(1),
            ..RetryPolicy::default()
        };
        Ok(Client::new(config)?)
    }
}

fn seconds(s: f64, what: &str) -> Result<Duration, Failure> {
    if s.is_finite() && s > 0.0 && s < 86_400.0 {
        Ok(Duration::from_secs_f64(s))
    } else {
        Err(Failure::msg(2, Msg::CliSeconds, &[&what, &s]))
    }
}

/// Validates, signs and sends a record.
pub fn push(a: PushArgs, json: bool) -> Result<u8, Failure> {
    let endpoint = endpoint_arg(&a.endpoint)?;
    let record = AnyRecord::from_json(endpoint, &read_text(&a.record)?)?;
    let files = a
        .files
        .iter()
        .map(|f| file_arg(f))
        .collect::<Result<Vec<_>, _>>()?;
    let client = a.client.client_allowing_ignored(a.allow_ignored)?;
    let r = client.push(&record, &files)?;
    if json {
        let v = pyun_core::contract::push_result_json(&r);
        print_json(&v);
    } else {
        let lang = Lang::from_env();
        let line = Msg::PushResult.text(
            lang,
            &[
                &r.endpoint,
                &record.dedup_key().unwrap_or_default(),
                &r.outcome,
                &r.response.code,
                &r.response.seqno.as_deref().unwrap_or("-"),
                &r.attempts,
                &r.elapsed.as_millis(),
            ],
        );
        println!("{}", line);
        if let Some(d) = &r.diagnosis {
            println!("{}", Msg::CliDiagnosis.text(lang, &[&d.summary_in(lang)]));
        }
        if let Some(h) = r.response.hint() {
            let h = pyun_core::text::shown(h, pyun_core::response::HINT_SHOWN).render(lang);
            println!("{}", Msg::CliHint.text(lang, &[&h]));
        }
    }
    Ok(0)
}

/// Prints the sign (or the masked canonical string) of a record file or flat fields.
pub fn sign(
    secret: &str,
    canonical: bool,
    endpoint: Option<&str>,
    file: &str,
    json: bool,
) -> Result<u8, Failure> {
    let fields = read_fields(&read_text(file)?, endpoint)?;
    if json {
        if secret.is_empty() && !canonical {
            return Err(Failure::msg(2, Msg::CliSecretEmpty, &[]));
        }
        let mut v = serde_json::json!({ "canonical": masked_canonical_string(&fields) });
        if !secret.is_empty() {
            v["sign"] = sign_fields(&fields, &AppSecret::new(secret)).into();
        }
        print_json(&v);
    } else if canonical {
        println!("{}", masked_canonical_string(&fields));
    } else {
        if secret.is_empty() {
            return Err(Failure::msg(2, Msg::CliSecretEmpty, &[]));
        }
        println!("{}", sign_fields(&fields, &AppSecret::new(secret)));
    }
    Ok(0)
}

/// Verifies a received push: its encoding (urlencoded, multipart, JSON) from `content_type`,
/// or sniffed from the body.
pub fn verify(
    secret: &str,
    content_type: Option<&str>,
    file: &str,
    json: bool,
) -> Result<u8, Failure> {
    let body = crate::input::read_bytes(file)?;
    let fields = pyun_core::receive::parse_request(content_type, &body)?;
    let result = verify_fields(&fields, &AppSecret::new(secret));
    if let Err(pyun_core::sign::VerifyError::MissingSign) = result {
        return Err(Failure::msg(2, Msg::SignMissing, &[]));
    }
    if json {
        print_json(&match &result {
            Ok(rule) => serde_json::json!({
                "valid": true,
                "empty_values": if *rule == EmptyRule::Included { "included" } else { "skipped" },
            }),
            Err(e) => serde_json::json!({ "valid": false, "message": e.to_string() }),
        });
        return Ok(if result.is_ok() { 0 } else { 1 });
    }
    let lang = Lang::from_env();
    match result {
        Ok(EmptyRule::Included) => println!("{}", Msg::VerifyValid.text(lang, &[])),
        Ok(EmptyRule::Skipped) => println!("{}", Msg::VerifyValidSkipped.text(lang, &[])),
        Err(e) => {
            println!("{}", Msg::VerifyInvalid.text(lang, &[&e]));
            return Ok(1);
        }
    }
    Ok(0)
}

/// `pyun explain`.
#[derive(Args)]
pub struct ExplainArgs {
    /// The platform's `hint`.
    #[arg(long)]
    hint: String,
    /// The endpoint, to read RECORD as a typed record; without it RECORD is flat fields.
    #[arg(long)]
    endpoint: Option<String>,
    /// A photo that was sent with the record, as NAME=PATH (enter_image_file,
    /// leave_image_file, ...), as given to push. Its MD5 becomes the `*_hash` field the
    /// platform signed. Repeatable.
    #[arg(long = "file", value_name = "NAME=PATH")]
    files: Vec<String>,
    /// A field that was sent besides the record's, as NAME=VALUE: the `*_hash` of a photo
    /// (leave_image_hash=3EF4...) when the photo itself is not at hand, or app_id, api_type,
    /// encoding. Repeatable.
    #[arg(long = "field", value_name = "NAME=VALUE")]
    fields: Vec<String>,
    /// The record (JSON), or `-` for standard input.
    record: String,
}

/// Explains a hint against a record, its photos and extra fields.
pub fn explain(a: ExplainArgs, json: bool) -> Result<u8, Failure> {
    let mut fields = read_fields(&read_text(&a.record)?, a.endpoint.as_deref())?;
    for f in &a.fields {
        let (name, value) = f
            .split_once('=')
            .ok_or_else(|| Failure::msg(2, Msg::ExplainFieldArg, &[&format_args!("{:?}", f)]))?;
        fields.retain(|(k, _)| k != name.trim());
        fields.push((name.trim().to_string(), value.to_string()));
    }
    let files = a
        .files
        .iter()
        .map(|f| file_arg(f))
        .collect::<Result<Vec<_>, _>>()?;
    let fields = pyun_core::explain::with_file_hashes(fields, &files)?;
    let d = pyun_core::explain(&a.hint, &fields);
    if json {
        let mut v = serde_json::to_value(&d).unwrap_or_default();
        v["summary"] = d.summary().into();
        print_json(&v);
        return Ok(0);
    }
    let lang = Lang::from_env();
    println!("{}", d.summary_in(lang));
    if let Some(p) = &d.platform_canonical {
        println!("{}", Msg::ExplainPlatform.text(lang, &[p]));
        println!("{}", Msg::ExplainLocal.text(lang, &[&d.local_canonical]));
    }
    Ok(0)
}

/// `pyun sandbox`.
#[derive(Args)]
pub struct SandboxArgs {
    /// Port on 127.0.0.1 (0 picks a free one; the URL is printed on the first line).
    #[arg(long, default_value_t = 8040)]
    port: u16,
    /// Address to bind; keep the default unless other machines must reach it.
    #[arg(long, default_value = "127.0.0.1")]
    host: std::net::IpAddr,
    /// The app_secret the sandbox checks signatures with.
    #[arg(
        long,
        env = "PYUN_APP_SECRET",
        hide_env_values = true,
        default_value = "123"
    )]
    app_secret: String,
    /// Answer the first N requests with 503.
    #[arg(long, default_value_t = 0)]
    fail_first: u32,
    /// Fraction (0..1) of requests answered with a random 500/503.
    #[arg(long, default_value_t = 0.0)]
    error_rate: f64,
    /// Fraction (0..1) of connections dropped without an answer.
    #[arg(long, default_value_t = 0.0)]
    drop_rate: f64,
    /// Drop the first N connections without an answer.
    #[arg(long, default_value_t = 0)]
    drop_first: u32,
    /// Milliseconds added before each answer.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Drop connections only after the record was stored: the platform has it, the answer
    /// is lost (a resend must then be recognised as a duplicate).
    #[arg(long)]
    drop_after_store: bool,
    /// Answer the N requests after the dropped and failed ones as a gateway, proxy or captive
    /// portal in front of the platform would: without the platform's JSON.
    #[arg(long, default_value_t = 0)]
    gateway_first: u32,
    /// The gateway's HTTP status: 429, a 3xx (a redirect to a login page), 404, or any other
    /// (an HTML page).
    #[arg(long, default_value_t = 502, requires = "gateway_first",
          value_parser = clap::value_parser!(u16).range(100..=599))]
    gateway_status: u16,
    /// The gateway's `Retry-After` header (seconds or an HTTP date).
    #[arg(long, requires = "gateway_first")]
    retry_after: Option<String>,
    /// Seed of the random faults (--error-rate, --drop-rate), for runs that repeat.
    #[arg(long)]
    seed: Option<u64>,
    /// Milliseconds allowed to receive a request's headers, and then its body.
    #[arg(long, default_value_t = 30_000)]
    read_timeout_ms: u64,
    /// Accepted records and logged record keys to keep (/_sandbox/records, /_sandbox/received),
    /// the oldest forgotten first so a long run's memory stays bounded; /_sandbox/counters says
    /// how many were forgotten.
    #[arg(long, default_value_t = pyun_sandbox::DEFAULT_KEEP,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    keep: usize,
    /// Record keys the duplicate check remembers (8 bytes each), the oldest forgotten first.
    #[arg(long, default_value_t = pyun_sandbox::DEFAULT_DEDUP_KEYS,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    dedup_keys: usize,
}

fn fraction(v: f64, what: &str) -> Result<f64, Failure> {
    if (0.0..=1.0).contains(&v) {
        Ok(v)
    } else {
        Err(Failure::msg(2, Msg::CliFraction, &[&what, &v]))
    }
}

/// Runs the sandbox until the process is interrupted.
pub fn sandbox(a: SandboxArgs, json: bool) -> Result<u8, Failure> {
    let faults = Faults {
        fail_first: a.fail_first,
        error_rate: fraction(a.error_rate, "--error-rate")?,
        drop_rate: fraction(a.drop_rate, "--drop-rate")?,
        drop_first: a.drop_first,
        latency: Duration::from_millis(a.latency_ms),
        drop_after_store: a.drop_after_store,
        gateway_first: a.gateway_first,
        gateway_status: a.gateway_status,
        retry_after: a.retry_after,
        seed: a.seed,
    };
    let config = SandboxConfig {
        app_secret: a.app_secret,
        addr: std::net::SocketAddr::new(a.host, a.port),
        faults,
        read_timeout: Duration::from_millis(a.read_timeout_ms.max(1)),
        keep: a.keep,
        dedup_keys: a.dedup_keys,
        ..SandboxConfig::default()
    };
    let sandbox = Sandbox::start(config).map_err(|e| Failure::msg(2, Msg::CliNoSandbox, &[&e]))?;
    if json {
        print_json(&serde_json::json!({
            "url": sandbox.url(),
            "records": format!("{}/_sandbox/records", sandbox.url()),
            "counters": format!("{}/_sandbox/counters", sandbox.url()),
        }));
    } else {
        let lang = Lang::from_env();
        println!("{}", Msg::SandboxListening.text(lang, &[&sandbox.url()]));
        println!("{}", Msg::SandboxUrls.text(lang, &[&sandbox.url()]));
    }
    use std::io::Write;
    let _ = std::io::stdout().flush();
    loop {
        std::thread::park();
    }
}

/// `pyun send-push`.
#[derive(Args)]
pub struct SendPushArgs {
    /// `leave` (page 000) or `payment` (page 004).
    kind: String,
    /// The receiver's URL.
    #[arg(long)]
    to: String,
    #[command(flatten)]
    secret: SecretArg,
    /// The app_id the push carries.
    #[arg(long, default_value = "op00961963581daa7")]
    app_id: String,
    /// Fields to send instead of the sample (flat JSON object).
    #[arg(long)]
    fields: Option<String>,
    /// Attempts before giving up.
    #[arg(long, default_value_t = 5)]
    max_attempts: u32,
    /// Milliseconds between attempts.
    #[arg(long, default_value_t = 1000)]
    interval_ms: u64,
    /// The body's encoding: form (urlencoded), multipart or json.
    #[arg(long, default_value = "form", value_parser = ["form", "multipart", "json"])]
    encoding: String,
}

/// Sends a platform push to a receiver.
pub fn send_push(a: SendPushArgs, json: bool) -> Result<u8, Failure> {
    let fields = match (&a.fields, a.kind.as_str()) {
        (Some(f), _) => fields_from_json(&read_text(f)?)?,
        (None, "leave") => pyun_sandbox::sample_leave_push(),
        (None, "payment") => pyun_sandbox::sample_payment_push(),
        (None, other) => {
            return Err(Failure::msg(
                2,
                Msg::SendPushKind,
                &[&format_args!("{:?}", other)],
            ))
        }
    };
    let encoding = match a.encoding.as_str() {
        "multipart" => pyun_core::receive::BodyEncoding::Multipart,
        "json" => pyun_core::receive::BodyEncoding::Json,
        _ => pyun_core::receive::BodyEncoding::Form,
    };
    let d = pusher::send_push_encoded(
        &a.to,
        &fields,
        &a.secret.app_secret,
        &a.app_id,
        a.max_attempts.max(1),
        Duration::from_millis(a.interval_ms),
        encoding,
    )
    .map_err(|e| Failure::new(3, e))?;
    if json {
        print_json(&serde_json::json!({
            "acknowledged": d.acknowledged,
            "attempts": d.attempts,
            "last_status": d.last_status,
            "last_body": d.last_body,
        }));
        return Ok(if d.acknowledged { 0 } else { 1 });
    }
    let lang = Lang::from_env();
    if d.acknowledged {
        println!("{}", Msg::SendPushAcked.text(lang, &[&d.attempts]));
        Ok(0)
    } else {
        let status = d
            .last_status
            .map(|s| s.to_string())
            .unwrap_or_else(|| "-".into());
        let line = Msg::SendPushNotAcked.text(lang, &[&d.attempts, &status, &d.last_body]);
        println!("{}", line);
        Ok(1)
    }
}
