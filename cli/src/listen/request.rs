//! One request: read the body within its bounds, verify the push, have it handled once, and
//! answer. What is logged or echoed of a received value is bounded (`LOGGED`).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, Response, StatusCode};
use pyun_core::receive::{parse_request, verify_request, PushKind};
use pyun_core::sign::VerifyError;
use pyun_core::text::{bounded, shown, shown_quoted};
use pyun_core::Error as CoreError;
use pyun_core::{Lang, Msg};

use super::{log, once, Ctx};

/// The most of a received key that goes into a log line, and of a text quoting received values
/// (an error with the signed string) into a log line or an answer: a 1 MB push must not become
/// a 1 MB line on the disk that holds the store.
const LOGGED_KEY: usize = 128;
const LOGGED: usize = 1024;

fn answer(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    r.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    r
}

fn refuse(status: StatusCode, message: &str) -> Response<Full<Bytes>> {
    answer(
        status,
        serde_json::json!({ "code": status.as_u16().to_string(), "message": bounded(message, LOGGED) })
            .to_string(),
    )
}

/// The one log line per request that reached the push logic.
fn log_line(peer: SocketAddr, what: &str, started: Instant) {
    log(format_args!(
        "{} {} ({} ms)",
        peer.ip(),
        what,
        started.elapsed().as_millis()
    ));
}

/// `push kind "key"` for the log, the key bounded.
fn label(lang: Lang, kind: &str, key: &str) -> String {
    let key = shown_quoted(key, LOGGED_KEY).render(lang);
    Msg::ListenPush.text(lang, &[&kind, &key])
}

/// A refusal before the push was read: logged in the log's language, answered in English.
fn refused(ctx: &Ctx, peer: SocketAddr, why: impl Fn(Lang) -> String, started: Instant) -> String {
    log_line(
        peer,
        &Msg::ListenRefused.text(ctx.lang, &[&why(ctx.lang)]),
        started,
    );
    why(Lang::En)
}

pub(super) async fn handle(
    ctx: Arc<Ctx>,
    peer: SocketAddr,
    req: Request<Incoming>,
) -> Response<Full<Bytes>> {
    let started = Instant::now();
    if req.method() != Method::POST {
        return refuse(StatusCode::METHOD_NOT_ALLOWED, "pushes are POSTed");
    }
    let content_type = req
        .headers()
        .get(hyper::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = Limited::new(req.into_body(), ctx.max_body).collect();
    let body = match tokio::time::timeout(ctx.read_timeout, body).await {
        Err(_) => {
            let why = refused(&ctx, peer, |l| Msg::ListenBodyLate.text(l, &[]), started);
            return refuse(StatusCode::REQUEST_TIMEOUT, &why);
        }
        Ok(Err(e)) => {
            let too_big = e
                .downcast_ref::<http_body_util::LengthLimitError>()
                .is_some();
            let why = |l| match too_big {
                true => Msg::ListenBodyTooLarge.text(l, &[&ctx.max_body]),
                false => Msg::ListenBodyUnreadable.text(l, &[&e]),
            };
            let msg = refused(&ctx, peer, why, started);
            let status = if too_big {
                StatusCode::PAYLOAD_TOO_LARGE
            } else {
                StatusCode::BAD_REQUEST
            };
            return refuse(status, &msg);
        }
        Ok(Ok(b)) => b.to_bytes(),
    };
    let push = match verify_request(content_type.as_deref(), &body, &ctx.secret) {
        Ok(p) => p,
        Err(e) => {
            let status = match &e {
                CoreError::Signature(VerifyError::MissingSign) => StatusCode::BAD_REQUEST,
                CoreError::Signature(_) => StatusCode::UNAUTHORIZED,
                _ => StatusCode::BAD_REQUEST,
            };
            let what = |l| match &e {
                CoreError::Signature(VerifyError::MissingSign) => Msg::SignMissing.text(l, &[]),
                other => other.message(l),
            };
            let (kind, key) = parse_request(content_type.as_deref(), &body)
                .map(|f| PushKind::of(&f))
                .map(|(k, key)| (k.name(), key))
                .unwrap_or(("unknown", String::new()));
            let line = Msg::ListenNotVerified.text(
                ctx.lang,
                &[
                    &label(ctx.lang, kind, &key),
                    &shown(&what(ctx.lang), LOGGED).render(ctx.lang),
                ],
            );
            log_line(peer, &line, started);
            return refuse(status, &what(Lang::En));
        }
    };
    let label = label(ctx.lang, push.kind.name(), &push.key);
    let encoding = push.encoding.name();
    let (status, result) = once::process(&ctx, push).await;
    let line = Msg::ListenVerified.text(
        ctx.lang,
        &[
            &label,
            &encoding,
            &shown(&result.log, LOGGED).render(ctx.lang),
        ],
    );
    log_line(peer, &line, started);
    if status == StatusCode::OK {
        if !ctx.ack_delay.is_zero() {
            tokio::time::sleep(ctx.ack_delay).await;
        }
        answer(StatusCode::OK, pyun_core::push::ACK_BODY.to_string())
    } else {
        refuse(status, &result.answer)
    }
}
