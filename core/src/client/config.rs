//! How a client is set up: its configuration (secret, URLs, timeouts, proxy, CA file), the
//! retry policy, and the base URL with any `user:password@` taken out once, here, so that no
//! URL pyun or ureq holds has a password in it.

use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use base64::Engine as _;

use crate::messages::Lang;
use crate::request::BuildOptions;
use crate::secret::AppSecret;

/// The production base URL.
pub const PRODUCTION_URL: &str = "https://api.4pyun.com";
/// The platform's test host.
pub const TEST_URL: &str = "https://dev-api.4pyun.com";

/// When and how often to retry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 = no retry).
    pub max_attempts: u32,
    /// Delay before the first retry; doubled each time, with jitter.
    pub initial_backoff: Duration,
    /// Upper bound of one delay.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// The delay before retry number `retry` (1-based): `initial * 2^(retry-1)`, capped, then
    /// "equal jitter" (half fixed, half random) so many lots do not retry in lockstep.
    pub fn delay(&self, retry: u32) -> Duration {
        let exp = self
            .initial_backoff
            .saturating_mul(1u32 << retry.saturating_sub(1).min(20));
        let capped = exp.min(self.max_backoff);
        let half = capped / 2;
        half + half.mul_f64(jitter())
    }
}

/// A number in [0, 1). `RandomState` is seeded per instance by std, which is all the randomness
/// jitter needs; a `rand` dependency would be more code for no gain.
fn jitter() -> f64 {
    let mut h = RandomState::new().build_hasher();
    h.write_u64(Instant::now().elapsed().as_nanos() as u64);
    (h.finish() >> 11) as f64 / (1u64 << 53) as f64
}

/// How the client is set up. Build with [`ClientConfig::new`] and adjust the fields.
#[derive(Clone)]
pub struct ClientConfig {
    /// Base URL, default [`PRODUCTION_URL`]; the sandbox or an intranet gateway otherwise. A
    /// `user:password@` in it (a gateway with basic auth) is taken out once, in
    /// [`Client::new`](super::Client::new), and sent as an `Authorization` header: no URL that
    /// pyun or its HTTP library holds, logs or quotes in an error ever carries the password.
    pub base_url: String,
    /// The parking lot's secret.
    pub app_secret: AppSecret,
    /// `app_id`, `api_type` and `encoding=URL` mode.
    pub build: BuildOptions,
    /// Time allowed to connect.
    pub connect_timeout: Duration,
    /// Time allowed for one whole attempt.
    pub timeout: Duration,
    /// An explicit HTTP proxy (`http://host:port`); when `None`, the usual environment
    /// variables (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`) are used, except for loopback hosts.
    pub proxy: Option<String>,
    /// A PEM file of extra CA certificates to trust besides Mozilla's roots (a corporate
    /// network that re-signs TLS). Verification itself is never turned off.
    pub ca_file: Option<PathBuf>,
    /// Integration mode: an ignored-with-hint reply is an error instead of a logged success.
    pub strict: bool,
    /// Retries.
    pub retry: RetryPolicy,
    /// The language of what this client logs (retries, ignored pushes, a doubtful plate, the
    /// outbox drained through it); `None`: the process's (`PYUN_LANG`, the locale, Windows).
    pub lang: Option<Lang>,
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("base_url", &self.base_url_masked())
            .field("app_secret", &self.app_secret)
            .field("build", &self.build)
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field(
                "proxy",
                &self.proxy.as_ref().map(|p| BaseUrl::split(p).shown),
            )
            .field("ca_file", &self.ca_file)
            .field("strict", &self.strict)
            .field("retry", &self.retry)
            .field("lang", &self.lang)
            .finish()
    }
}

impl ClientConfig {
    /// Defaults: production URL, 10 s to connect, 30 s per attempt, 4 attempts, production
    /// handling of ignored replies.
    pub fn new(app_secret: impl Into<AppSecret>) -> Self {
        ClientConfig {
            base_url: PRODUCTION_URL.to_string(),
            app_secret: app_secret.into(),
            build: BuildOptions::default(),
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            proxy: None,
            ca_file: None,
            strict: false,
            retry: RetryPolicy::default(),
            lang: None,
        }
    }

    /// `base_url` as it may be shown or logged: built from the URL with its userinfo taken
    /// out, so a `user:password@` shows as `***@` whatever its spelling.
    pub fn base_url_masked(&self) -> String {
        BaseUrl::split(&self.base_url).shown
    }
}

/// A base URL split once into what may be held and shown (no userinfo) and the credentials.
pub(super) struct BaseUrl {
    /// The URL without `user:password@`: the only form given to ureq.
    pub(super) url: String,
    /// `url` with `***@` where credentials were, for messages.
    pub(super) shown: String,
    /// `Basic ...` when the URL carried credentials.
    pub(super) authorization: Option<Authorization>,
}

impl BaseUrl {
    /// Split by hand (no URL crate): the authority is what follows `scheme://` up to the first
    /// `/`, `?` or `#`, and its userinfo ends at the authority's last `@` (RFC 3986 3.2), which
    /// is also where `http::Uri`, the parser ureq uses, ends it.
    pub(super) fn split(raw: &str) -> BaseUrl {
        let raw = raw.trim().trim_end_matches('/');
        let Some(scheme_end) = raw.find("://").map(|i| i + 3) else {
            return BaseUrl {
                url: raw.into(),
                shown: raw.into(),
                authorization: None,
            };
        };
        let authority_end = raw[scheme_end..]
            .find(['/', '?', '#'])
            .map_or(raw.len(), |i| scheme_end + i);
        let Some(at) = raw[scheme_end..authority_end]
            .rfind('@')
            .map(|i| scheme_end + i)
        else {
            return BaseUrl {
                url: raw.into(),
                shown: raw.into(),
                authorization: None,
            };
        };
        let (scheme, userinfo, rest) = (&raw[..scheme_end], &raw[scheme_end..at], &raw[at + 1..]);
        let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
        let decode = |s: &str| percent_encoding::percent_decode_str(s).collect::<Vec<u8>>();
        let mut credentials = decode(user);
        credentials.push(b':');
        credentials.extend(decode(password));
        BaseUrl {
            url: format!("{}{}", scheme, rest),
            shown: format!("{}***@{}", scheme, rest),
            authorization: Some(Authorization(format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(credentials)
            ))),
        }
    }
}

/// The `Authorization` header value; its `Debug` never shows it.
#[derive(Clone)]
pub(super) struct Authorization(pub(super) String);

impl fmt::Debug for Authorization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Basic ***")
    }
}
