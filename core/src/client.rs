//! The blocking HTTP client (feature `http`): one per parking lot and secret, shared by threads.
//!
//! Retries with exponential backoff and jitter happen only on connection errors, timeouts,
//! `500`/`503`, `429` (after its `Retry-After`) and answers that are not the platform's, never
//! on `400`/`401`/`403` or an ignored-with-hint reply. Resending is safe
//! because the platform drops a repeated `parking_serial` (or `flow_no` for updates): a record
//! whose first attempt did arrive is not stored twice.

use std::cell::RefCell;
use std::fmt;
use std::io::{self, Read};
use std::path::Path;
use std::rc::Rc;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::explain::{explain, Diagnosis};
use crate::form::{FileField, FileSource};
use crate::messages::{Lang, Msg, Text};
use crate::record::{EnterRecord, LeaveRecord, Record, ReleaseRecord, UpdateRecord};
use crate::request::{build_request_in, SignedRequest};
use crate::response::{
    classify, parse_retry_after, ApiFailure, Outcome, Response, TransportError, TransportErrorKind,
};
use crate::Endpoint;

mod config;
mod failure;
use config::{Authorization, BaseUrl};
pub use config::{ClientConfig, RetryPolicy, PRODUCTION_URL, TEST_URL};
use failure::{describe, is_timeout, retry_decision, transport_kind, Answer, AttemptError};

/// The target of this module's log records (`log`'s default, spelled out): the Python binding
/// finds the `logging` logger of the per-attempt DEBUG record by it.
pub const LOG_TARGET: &str = module_path!();

/// What a push came to. Returned for acceptances (and, outside strict mode, for ignored
/// replies, with the diagnosis); every other ending is an [`Error`].
#[derive(Clone, Debug)]
pub struct PushResult {
    /// The endpoint.
    pub endpoint: Endpoint,
    /// `Accepted`, or `Ignored` outside strict mode.
    pub outcome: Outcome,
    /// The HTTP status of the last attempt.
    pub http_status: u16,
    /// The platform's answer.
    pub response: Response,
    /// Attempts made.
    pub attempts: u32,
    /// Time from the first attempt to the answer, backoff included.
    pub elapsed: Duration,
    /// The signed string, secret masked.
    pub canonical_masked: String,
    /// The `sign` sent.
    pub sign: String,
    /// For an ignored reply: what the hint says about the request.
    pub diagnosis: Option<Diagnosis>,
}

/// The blocking client. `Send + Sync`: build it once and share it (an `Arc`, or a reference
/// across scoped threads); its connection pool keeps connections alive between pushes.
pub struct Client {
    agent: ureq::Agent,
    config: ClientConfig,
    /// `config.base_url` without userinfo, and the credentials it carried.
    base: String,
    base_shown: String,
    authorization: Option<Authorization>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.config)
            .finish()
    }
}

/// Whether `url` (a base URL already without userinfo, see [`BaseUrl`]) is on this machine.
fn is_loopback_url(url: &str) -> bool {
    let rest = url.split("://").nth(1).unwrap_or(url);
    let host = rest
        .split(['/', '?'].as_ref())
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    host.starts_with("127.") || host.starts_with("localhost") || host.starts_with("[::1]")
}

/// The endpoint path in a base URL (`https://api.4pyun.com/gate/1.0/parking/internal/leave`,
/// pasted from the docs), and the URL without it: every request would go to a path that does
/// not exist, answered by a 404 that looks like a gateway's.
fn endpoint_path(url: &str) -> Option<(&str, &str)> {
    let at = url.find("/gate/1.0/").or_else(|| {
        Endpoint::ALL
            .iter()
            .map(|e| e.path().trim_start_matches("/gate/1.0"))
            .find_map(|tail| url.find(tail))
    })?;
    Some((&url[at..], &url[..at]))
}

impl Client {
    /// Checks the configuration and builds the connection pool.
    pub fn new(config: ClientConfig) -> Result<Client> {
        if config.app_secret.is_empty() {
            return Err(Error::Config(Text::new(Msg::AppSecretEmpty, &[])));
        }
        config.build.check()?;
        let BaseUrl {
            url: base,
            shown: base_shown,
            authorization,
        } = BaseUrl::split(&config.base_url);
        let is_http = base.starts_with("http://") || base.starts_with("https://");
        if !is_http || base.len() < 10 || ureq::http::Uri::try_from(base.as_str()).is_err() {
            return Err(Error::Config(Text::new(
                Msg::BaseUrlInvalid,
                &[&format_args!("{:?}", base_shown), &PRODUCTION_URL],
            )));
        }
        if let Some((path, host)) = endpoint_path(&base_shown) {
            return Err(Error::Config(Text::new(
                Msg::BaseUrlHasPath,
                &[&format_args!("{:?}", base_shown), &path, &host],
            )));
        }
        if config.retry.max_attempts == 0 {
            return Err(Error::Config(Text::new(Msg::ConfigAttempts, &[])));
        }
        let proxy = match &config.proxy {
            Some(p) => Some(ureq::Proxy::new(p).map_err(|e| {
                Error::Config(Text::new(Msg::ConfigProxy, &[&BaseUrl::split(p).shown, &e]))
            })?),
            None if is_loopback_url(&base) => None,
            None => ureq::Proxy::try_from_env(),
        };
        let tls = match &config.ca_file {
            Some(path) => ureq::tls::TlsConfig::builder()
                .root_certs(roots_with(path)?)
                .build(),
            None => ureq::tls::TlsConfig::default(),
        };
        let agent_config = ureq::Agent::config_builder()
            .timeout_connect(Some(config.connect_timeout))
            .timeout_global(Some(config.timeout))
            .user_agent(format!("pyun/{}", crate::VERSION))
            .max_redirects(0)
            .http_status_as_error(false)
            .proxy(proxy)
            .tls_config(tls)
            .build();
        let agent = ureq::Agent::with_parts(
            agent_config,
            ureq::unversioned::transport::DefaultConnector::default(),
            crate::resolver::LiteralFirst::default(),
        );
        Ok(Client {
            agent,
            config,
            base,
            base_shown,
            authorization,
        })
    }

    /// The configuration (the secret prints as `***`).
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// Validates, signs and sends a record with its files; see [`Client::send`].
    pub fn push(
        &self,
        record: &dyn Record,
        files: &[(FileField, FileSource)],
    ) -> Result<PushResult> {
        let req = self.build(record, files)?;
        self.send(&req)
    }

    /// [`Client::push`] for a queue that retries later: a connection-level failure (nothing
    /// reached a server: refused, DNS, no route, connect timeout) returns at once instead of
    /// being retried within the call, so an outbox with no network spends one connect timeout,
    /// not one per attempt. The other retries stay (resending is safe: the platform drops a
    /// repeated `parking_serial` / `flow_no`).
    #[cfg(feature = "outbox")]
    pub(crate) fn push_queued(
        &self,
        record: &dyn Record,
        files: &[(FileField, FileSource)],
    ) -> Result<PushResult> {
        let req = self.build(record, files)?;
        self.send_with(&req, true)
    }

    /// Pushes a vehicle enter.
    pub fn push_enter(
        &self,
        record: &EnterRecord,
        files: &[(FileField, FileSource)],
    ) -> Result<PushResult> {
        self.push(record, files)
    }

    /// Pushes a vehicle leave.
    pub fn push_leave(
        &self,
        record: &LeaveRecord,
        files: &[(FileField, FileSource)],
    ) -> Result<PushResult> {
        self.push(record, files)
    }

    /// Pushes an abnormal release.
    pub fn push_release(
        &self,
        record: &ReleaseRecord,
        files: &[(FileField, FileSource)],
    ) -> Result<PushResult> {
        self.push(record, files)
    }

    /// Pushes a record update.
    pub fn push_update(&self, record: &UpdateRecord) -> Result<PushResult> {
        self.push(record, &[])
    }

    /// Builds a request with this client's secret and options without sending it.
    pub fn build(
        &self,
        record: &dyn Record,
        files: &[(FileField, FileSource)],
    ) -> Result<SignedRequest> {
        let (secret, options) = (&self.config.app_secret, &self.config.build);
        build_request_in(record, files, secret, options, self.config.lang)
    }

    /// The language of what this client logs: its configuration's, else the process's.
    pub fn lang(&self) -> Lang {
        self.config.lang.unwrap_or_else(Lang::from_env)
    }

    /// Sends a signed request, retrying what is safe to retry.
    pub fn send(&self, req: &SignedRequest) -> Result<PushResult> {
        self.send_with(req, false)
    }

    /// [`Client::send`]; `queued`: a connection-level failure is not retried here.
    fn send_with(&self, req: &SignedRequest, queued: bool) -> Result<PushResult> {
        let started = Instant::now();
        let url = format!("{}{}", self.base, req.path());
        let shown = format!("{}{}", self.base_shown, req.path());
        let policy = self.config.retry;
        let mut attempt = 0;
        loop {
            attempt += 1;
            log::debug!(
                target: LOG_TARGET,
                "POST {} attempt {} signing [{}]",
                shown,
                attempt,
                req.canonical_masked()
            );
            let result = self.attempt(&url, &shown, req);
            let unreachable =
                matches!(&result, Err(AttemptError::Transport(k, _)) if k.is_connection_level());
            if let Some((reason, wait)) = retry_decision(req.endpoint(), &result, &policy)
                .filter(|_| !(queued && unreachable))
            {
                if attempt < policy.max_attempts {
                    let delay = policy.delay(attempt).max(wait);
                    let lang = self.lang();
                    log::warn!(
                        "{}",
                        Msg::AttemptRetrying.text(
                            lang,
                            &[
                                &req.endpoint(),
                                &req.field(req.endpoint().dedup_field()).unwrap_or("?"),
                                &attempt,
                                &reason.render(lang),
                                &delay.as_millis()
                            ]
                        )
                    );
                    std::thread::sleep(delay);
                    continue;
                }
            }
            return self.finish(req, result, attempt, started.elapsed());
        }
    }

    fn attempt(
        &self,
        url: &str,
        shown: &str,
        req: &SignedRequest,
    ) -> std::result::Result<Answer, AttemptError> {
        let body_error: Rc<RefCell<Option<Error>>> = Rc::new(RefCell::new(None));
        let mut body = CapturingReader {
            body: req.body_reader(),
            error: body_error.clone(),
        };
        let mut post = self
            .agent
            .post(url)
            .header("Content-Type", &req.content_type())
            .header("Content-Length", &body.body.content_length().to_string())
            .header("Accept", "application/json");
        if let Some(Authorization(value)) = &self.authorization {
            post = post.header("Authorization", value);
        }
        let sent = post.send(ureq::SendBody::from_reader(&mut body));
        if let Some(e) = body_error.borrow_mut().take() {
            return Err(AttemptError::Body(e));
        }
        let mut resp = sent.map_err(|e| {
            let kind = transport_kind(&e);
            AttemptError::Transport(kind, describe(&e, shown))
        })?;
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, std::time::SystemTime::now()));
        let mut bytes = Vec::new();
        if let Err(e) = resp
            .body_mut()
            .as_reader()
            .take(1 << 20)
            .read_to_end(&mut bytes)
        {
            let kind = if is_timeout(&e) {
                TransportErrorKind::Timeout
            } else {
                TransportErrorKind::Io
            };
            return Err(AttemptError::Transport(
                kind,
                Text::new(Msg::NetReadingAnswer, &[&shown, &e]),
            ));
        }
        Ok((status, Response::parse(&bytes), bytes, retry_after))
    }

    fn finish(
        &self,
        req: &SignedRequest,
        result: std::result::Result<Answer, AttemptError>,
        attempts: u32,
        elapsed: Duration,
    ) -> Result<PushResult> {
        let (status, parsed, raw, retry_after) = match result {
            Ok(ok) => ok,
            Err(AttemptError::Body(e)) => return Err(e),
            Err(AttemptError::Transport(kind, message)) => {
                return Err(Error::Transport(TransportError {
                    kind,
                    message,
                    attempts,
                }))
            }
        };
        let outcome = classify(req.endpoint(), status, parsed.as_ref());
        let raw_body = if parsed.is_none() {
            Some(String::from_utf8_lossy(&raw[..raw.len().min(512)]).into_owned())
        } else {
            None
        };
        let response = parsed.unwrap_or_default();
        let diagnosis = response.hint().map(|h| explain(h, req.fields()));
        let accepted =
            outcome == Outcome::Accepted || (outcome == Outcome::Ignored && !self.config.strict);
        // In strict mode the error carries the diagnosis: logging it too would print it twice.
        if outcome == Outcome::Ignored && accepted {
            let lang = self.lang();
            log::warn!(
                "{}",
                Msg::PushIgnoredLog.text(
                    lang,
                    &[
                        &req.endpoint(),
                        &req.field(req.endpoint().dedup_field()).unwrap_or("?"),
                        &response.seqno.as_deref().unwrap_or("-"),
                        &diagnosis
                            .as_ref()
                            .map(|d| d.summary_in(lang))
                            .unwrap_or_default()
                    ]
                )
            );
        }
        if accepted {
            return Ok(PushResult {
                endpoint: req.endpoint(),
                outcome,
                http_status: status,
                response,
                attempts,
                elapsed,
                canonical_masked: req.canonical_masked().to_string(),
                sign: req.sign().to_string(),
                diagnosis,
            });
        }
        Err(Error::Api(Box::new(ApiFailure {
            endpoint: req.endpoint(),
            outcome,
            http_status: status,
            response,
            raw_body,
            diagnosis,
            attempts,
            canonical_masked: req.canonical_masked().to_string(),
            retry_after,
        })))
    }
}

/// Mozilla's roots plus the CA certificates of a PEM file.
fn roots_with(path: &Path) -> Result<ureq::tls::RootCerts> {
    let bad = |why: Text| Error::Config(Text::new(Msg::ConfigCaFile, &[&path.display(), &why]));
    let pem = std::fs::read(path).map_err(|e| bad(e.to_string().into()))?;
    let mut extra = Vec::new();
    for item in ureq::tls::parse_pem(&pem) {
        match item.map_err(|e| bad(Text::new(Msg::CaNotPem, &[&e])))? {
            ureq::tls::PemItem::Certificate(c) => extra.push(c),
            _ => return Err(bad(Text::new(Msg::CaNotCertificates, &[]))),
        }
    }
    if extra.is_empty() {
        return Err(bad(Text::new(Msg::CaEmpty, &[])));
    }
    let mozilla = webpki_root_certs::TLS_SERVER_ROOT_CERTS
        .iter()
        .map(|c| ureq::tls::Certificate::from_der(c.as_ref()).to_owned());
    Ok(mozilla.chain(extra).collect::<Vec<_>>().into())
}

/// Keeps the first error the body reader hit, so a vanished photo is reported as a file
/// error, not as a network failure to retry.
struct CapturingReader {
    body: crate::request::Body,
    error: Rc<RefCell<Option<Error>>>,
}

impl Read for CapturingReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.body.read(buf).map_err(|e| {
            let copy = io::Error::new(e.kind(), e.to_string());
            *self.error.borrow_mut() = Some(self.body.error_for(e));
            copy
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy {
            max_attempts: 5,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(300),
        };
        let d1 = p.delay(1);
        assert!(
            d1 >= Duration::from_millis(50) && d1 <= Duration::from_millis(100),
            "{:?}",
            d1
        );
        let d3 = p.delay(3);
        assert!(
            d3 >= Duration::from_millis(150) && d3 <= Duration::from_millis(300),
            "{:?}",
            d3
        );
        assert!(p.delay(40) <= Duration::from_millis(300));
    }

    #[test]
    fn config_checks_and_debug_masks() {
        let mut c = ClientConfig::new("topsecret");
        c.proxy = Some("http://user:pw@proxy:8080".into());
        let dbg = format!("{:?}", c);
        assert!(
            !dbg.contains("topsecret") && !dbg.contains("pw@"),
            "{}",
            dbg
        );
        assert!(Client::new(ClientConfig::new("")).is_err());
        let mut bad = ClientConfig::new("s");
        bad.base_url = "api.4pyun.com".into();
        assert!(Client::new(bad)
            .unwrap_err()
            .to_string()
            .contains("base_url"));
        let mut gw = ClientConfig::new("s");
        gw.base_url = "http://gw:hunter2@127.0.0.1:9".into(); // nothing listens on port 9
        gw.retry.max_attempts = 1;
        assert!(!format!("{:?}", gw).contains("hunter2"));
        let rec = crate::UpdateRecord::from_json(
            r#"{"park_uuid":"p","flow_no":"F","parking_serial":"S","plate":"P"}"#,
        )
        .unwrap();
        let err = Client::new(gw).unwrap().push_update(&rec).unwrap_err();
        assert!(matches!(err, Error::Transport(_)), "{}", err);
        assert!(!err.to_string().contains("hunter2"), "{}", err);
        assert!(
            err.to_string().contains("http://***@127.0.0.1:9"),
            "{}",
            err
        );
        fn is_send_sync<T: Send + Sync>() {}
        is_send_sync::<Client>();
        assert!(is_loopback_url("http://127.0.0.1:8080/x"));
        assert!(!is_loopback_url("https://api.4pyun.com"));
    }
}
