//! What a failed attempt means: the kind of a transport error (TLS, connect, timeout), its
//! message (with the URL as it may be shown), and whether the attempt is tried again.

use std::fmt;
use std::io;
use std::time::Duration;

use super::RetryPolicy;
use crate::error::Error;
use crate::messages::{Msg, Text};
use crate::resolver::LookupFailed;
use crate::response::{classify, Response, TransportErrorKind};
use crate::Endpoint;

/// An HTTP answer: status, the platform's JSON if it was that, the raw body, `Retry-After`.
pub(super) type Answer = (u16, Option<Response>, Vec<u8>, Option<Duration>);

/// Whether an attempt is worth another one within this call: why, and the least wait. Not
/// when the answer's `Retry-After` asks for more than the policy's longest backoff: the call
/// returns then, and a caller with a queue (the outbox) sends again after that time.
pub(super) fn retry_decision(
    endpoint: Endpoint,
    result: &std::result::Result<Answer, AttemptError>,
    policy: &RetryPolicy,
) -> Option<(Text, Duration)> {
    match result {
        Err(AttemptError::Transport(kind, msg)) if kind.is_retryable() => {
            Some((msg.clone(), Duration::ZERO))
        }
        Ok((status, parsed, _, retry_after)) => {
            let outcome = classify(endpoint, *status, parsed.as_ref());
            let wait = retry_after.unwrap_or_default();
            if outcome.is_retryable() && wait <= policy.max_backoff {
                Some((format!("HTTP {} ({})", status, outcome).into(), wait))
            } else {
                None
            }
        }
        _ => None,
    }
}

pub(super) enum AttemptError {
    /// Reading a file of the body failed: not a network problem, not retried.
    Body(Error),
    Transport(TransportErrorKind, Text),
}

pub(super) fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
    )
}

pub(super) fn transport_kind(e: &ureq::Error) -> TransportErrorKind {
    use ureq::Error as E;
    if tls_error(e).is_some() {
        return TransportErrorKind::Tls;
    }
    match e {
        // No connection was made within the connect timeout (DNS included): nothing was sent.
        E::Timeout(ureq::Timeout::Connect | ureq::Timeout::Resolve) => TransportErrorKind::Connect,
        E::Timeout(_) => TransportErrorKind::Timeout,
        E::Io(io) if is_timeout(io) => TransportErrorKind::Timeout,
        E::HostNotFound | E::ConnectionFailed | E::ConnectProxyFailed(_) => {
            TransportErrorKind::Connect
        }
        E::Other(o) if o.is::<LookupFailed>() => TransportErrorKind::Connect,
        E::Io(io) if io.kind() == io::ErrorKind::ConnectionRefused => TransportErrorKind::Connect,
        E::Tls(_) | E::Pem(_) => TransportErrorKind::Tls,
        E::BadUri(_) | E::InvalidProxyUrl | E::RequireHttpsOnly(_) | E::Http(_) => {
            TransportErrorKind::Config
        }
        _ => TransportErrorKind::Io,
    }
}

/// The rustls error behind a failure: ureq reports it directly, or (during the handshake)
/// inside an I/O error.
fn tls_error(e: &ureq::Error) -> Option<&rustls::Error> {
    match e {
        ureq::Error::Rustls(r) => Some(r),
        ureq::Error::Io(io) => io.get_ref().and_then(|inner| inner.downcast_ref()),
        _ => None,
    }
}

/// The message of a failed attempt: what happened and to which URL (`shown` has no password).
pub(super) fn describe(e: &ureq::Error, shown: &str) -> Text {
    match tls_error(e) {
        Some(rustls::Error::InvalidCertificate(c)) => Text::of(
            Msg::TlsUntrusted,
            vec![certificate_problem(c), shown.into()],
        ),
        // The first bytes of an HTTP answer are no TLS record: https:// to an http:// port.
        Some(rustls::Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType)) => {
            let plain = shown.replacen("https://", "http://", 1);
            let base = plain.split("/gate/").next().unwrap_or(&plain);
            Text::new(Msg::TlsPlainHttp, &[&shown, &base])
        }
        // The kind already says "TLS failed".
        Some(t) => format!("{} (POST {})", t, shown).into(),
        None => Text::of(Msg::NetPost, vec![shown.into(), said(e)]),
    }
}

/// ureq's words for a failure, with the common network causes explained in the reader's
/// language (the English is ureq's own; the system's text stays as the detail).
fn said(e: &ureq::Error) -> Text {
    use ureq::Error as E;
    // The cause explained, and what the explanation quotes; other failures in ureq's words.
    let explained: Option<(Msg, &dyn fmt::Display)> = match e {
        E::Io(io) if io.kind() == io::ErrorKind::ConnectionRefused => Some((Msg::NetRefused, e)),
        E::Io(io)
            if matches!(
                io.kind(),
                io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted
            ) =>
        {
            Some((Msg::NetReset, e))
        }
        E::Io(io) if is_timeout(io) => Some((Msg::NetTimedOut, e)),
        E::Timeout(_) => Some((Msg::NetTimedOut, e)),
        E::HostNotFound => Some((Msg::NetHostNotFound, e)),
        E::Other(o) => o
            .downcast_ref::<LookupFailed>()
            .map(|lookup| (Msg::NetHostNotFound, lookup as &dyn fmt::Display)),
        _ => None,
    };
    match explained {
        Some((cause, detail)) => Text::new(cause, &[detail]),
        None => e.to_string().into(),
    }
}

/// Why a certificate was not trusted, in words (the common cases; others by rustls's name).
fn certificate_problem(c: &rustls::CertificateError) -> Text {
    use rustls::CertificateError as C;
    match c {
        C::UnknownIssuer => Msg::CertUnknownIssuer.into(),
        C::Expired | C::ExpiredContext { .. } => Msg::CertExpired.into(),
        C::NotValidYet | C::NotValidYetContext { .. } => Msg::CertNotYetValid.into(),
        C::NotValidForName | C::NotValidForNameContext { .. } => Msg::CertOtherHost.into(),
        other => format!("{:?}", other).into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::Lang;

    #[test]
    fn a_failed_lookup_is_a_connection_never_made_and_says_so() {
        let lookup = || {
            ureq::Error::Other(Box::new(LookupFailed(io::Error::other(
                "failed to lookup address information: Name or service not known",
            ))))
        };
        assert!(matches!(
            transport_kind(&lookup()),
            TransportErrorKind::Connect
        ));
        let text = describe(&lookup(), "http://x.invalid/gate");
        assert_eq!(
            text.render(Lang::En),
            "POST http://x.invalid/gate: the host name cannot be resolved (DNS lookup failed): failed to lookup address information: Name or service not known"
        );
        assert_eq!(
            text.render(Lang::Zh),
            "POST http://x.invalid/gate：找不到这个主机名：DNS 解析失败，请检查网址和本机的网络与 DNS 设置（failed to lookup address information: Name or service not known）"
        );
    }

    #[test]
    fn a_refused_connection_keeps_ureqs_english_and_is_explained_in_chinese() {
        let refused = ureq::Error::Io(io::Error::from(io::ErrorKind::ConnectionRefused));
        let text = describe(&refused, "http://127.0.0.1:9/gate");
        assert_eq!(
            text.render(Lang::En),
            format!("POST http://127.0.0.1:9/gate: {}", refused)
        );
        assert_eq!(
            text.render(Lang::Zh),
            format!(
                "POST http://127.0.0.1:9/gate：连接被拒绝：该地址的这个端口上没有服务在监听（{}）",
                refused
            )
        );
    }
}
