//! Name resolution for the HTTP client: an address written as an IP needs no lookup.
//!
//! ureq's `DefaultResolver` runs every lookup on a new, detached thread when a timeout is set
//! (always, here), even for `127.0.0.1`: one thread started per request, and still running
//! when a host program exits or unloads the DLL. Parking lots are mostly configured with the
//! platform's IP or a local gateway's, so those requests skip the thread; a host name still
//! goes through ureq's resolver, with its timeout. Written by hand because ureq has no switch
//! for it; it is the trait ureq offers for exactly this.

use std::net::{IpAddr, SocketAddr};

use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;

/// IP literals directly, host names through ureq's `DefaultResolver`.
#[derive(Debug, Default)]
pub(crate) struct LiteralFirst {
    names: DefaultResolver,
}

impl Resolver for LiteralFirst {
    fn resolve(
        &self,
        uri: &Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        match literal(uri) {
            Some(addr) if config.ip_family().keep_wanted([addr].into_iter()).count() == 1 => {
                let mut out = self.empty();
                out.push(addr);
                Ok(out)
            }
            // ureq reports a failed lookup as a bare I/O error, which reads as a dropped
            // connection; it is one that was never made (nothing sent), so say so.
            _ => self
                .names
                .resolve(uri, config, timeout)
                .map_err(|e| match e {
                    ureq::Error::Io(io) => ureq::Error::Other(Box::new(LookupFailed(io))),
                    other => other,
                }),
        }
    }
}

/// The system could not resolve the host name (its own words inside).
#[derive(Debug)]
pub(crate) struct LookupFailed(pub(crate) std::io::Error);

impl std::fmt::Display for LookupFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for LookupFailed {}

/// The socket address of a URI whose host is an IP address (`[...]` for IPv6) and whose port
/// is given or implied by an `http`/`https` scheme; anything else is for the name resolver.
fn literal(uri: &Uri) -> Option<SocketAddr> {
    let host = uri.host()?;
    let ip: IpAddr = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host)
        .parse()
        .ok()?;
    let port = uri.port_u16().or(match uri.scheme_str()? {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    })?;
    Some(SocketAddr::new(ip, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(s: &str) -> Option<String> {
        literal(&s.parse().unwrap()).map(|a| a.to_string())
    }

    #[test]
    fn ip_literals_are_addresses() {
        assert_eq!(
            lit("http://127.0.0.1:8080/x").as_deref(),
            Some("127.0.0.1:8080")
        );
        assert_eq!(lit("https://10.1.2.3/x").as_deref(), Some("10.1.2.3:443"));
        assert_eq!(lit("http://10.1.2.3/x").as_deref(), Some("10.1.2.3:80"));
        assert_eq!(lit("http://[::1]:9/x").as_deref(), Some("[::1]:9"));
    }

    #[test]
    fn names_and_odd_forms_go_to_the_resolver() {
        assert_eq!(lit("http://localhost:8080/x"), None);
        assert_eq!(lit("https://gate.4pyun.com/x"), None);
        // Forms getaddrinfo accepts but IpAddr does not: the resolver decides.
        assert_eq!(lit("http://127.1:8080/x"), None);
        assert_eq!(lit("socks5://10.0.0.1/x"), None);
    }

    #[test]
    fn a_literal_needs_no_time_to_resolve() {
        // No time left at all: a lookup (a thread, a channel) could not be waited for.
        let timeout = NextTimeout {
            after: std::time::Duration::ZERO.into(),
            reason: ureq::Timeout::Resolve,
            per_read: None,
            per_write: None,
        };
        let uri: Uri = "http://192.0.2.7:81/".parse().unwrap();
        let got = LiteralFirst::default()
            .resolve(&uri, &Config::default(), timeout)
            .unwrap();
        let got: Vec<String> = got.iter().map(|a| a.to_string()).collect();
        assert_eq!(got, ["192.0.2.7:81"]);
    }
}
