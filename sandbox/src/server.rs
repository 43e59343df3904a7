//! The HTTP side: a hand-driven hyper accept loop (so a connection can be closed without an
//! answer, which axum's own `serve` cannot do), axum routing, and the request handlers.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Request, State as AxState};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use hyper_util::rt::{TokioIo, TokioTimer};
use md5::{Digest, Md5};
use pyun_core::form::FileField;
use pyun_core::sign::upper_hex;
use pyun_core::Endpoint;
use serde_json::{json, Value};
use tokio::sync::Notify;
use tower::ServiceExt;

use crate::check::{check, Refusal};
use crate::state::{AcceptedRecord, FaultAction, FileInfo, State};
use crate::Faults;

type Shared = Arc<State>;

/// Closes the connection a request arrived on.
#[derive(Clone)]
struct Killer(Arc<Notify>);

/// The first wait after a failed accept; doubled per failure in a row up to [`ACCEPT_MAX`].
const ACCEPT_MIN: Duration = Duration::from_millis(10);
const ACCEPT_MAX: Duration = Duration::from_secs(1);
/// At most one log line per this period about failing accepts.
const ACCEPT_LOG_EVERY: Duration = Duration::from_secs(10);

/// Serves until `stopped` fires.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: Shared,
    mut stopped: tokio::sync::oneshot::Receiver<()>,
) {
    let read_timeout = state.read_timeout;
    let router = router(state);
    // Out of descriptors (EMFILE), accept fails at once until a connection closes: retrying
    // at once spins and floods the log, so wait, longer each time, and log at a bounded rate.
    let mut wait = ACCEPT_MIN;
    let mut logged: Option<Instant> = None;
    let mut unlogged = 0u64;
    loop {
        let stream = tokio::select! {
            _ = &mut stopped => return,
            accepted = listener.accept() => match accepted {
                Ok((s, _)) => {
                    wait = ACCEPT_MIN;
                    s
                }
                Err(e) => {
                    if logged.is_none_or(|t| t.elapsed() >= ACCEPT_LOG_EVERY) {
                        log::warn!(
                            "sandbox accept failed: {} (retrying with backoff up to {} ms; {} more failures since the last message)",
                            e,
                            ACCEPT_MAX.as_millis(),
                            unlogged
                        );
                        logged = Some(Instant::now());
                        unlogged = 0;
                    } else {
                        unlogged += 1;
                    }
                    tokio::select! {
                        _ = &mut stopped => return,
                        _ = tokio::time::sleep(wait) => {}
                    }
                    wait = (wait * 2).min(ACCEPT_MAX);
                    continue;
                }
            },
        };
        let router = router.clone();
        tokio::spawn(async move {
            let kill = Arc::new(Notify::new());
            let killer = Killer(kill.clone());
            let service =
                hyper::service::service_fn(move |mut req: Request<hyper::body::Incoming>| {
                    req.extensions_mut().insert(killer.clone());
                    let router = router.clone();
                    async move {
                        Ok::<_, Infallible>(
                            router.oneshot(req.map(Body::new)).await.into_response(),
                        )
                    }
                });
            // A client that never finishes its headers is cut off by hyper, one that never
            // finishes its body by `read_body`.
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(read_timeout)
                .serve_connection(TokioIo::new(stream), service);
            tokio::select! {
                _ = conn => {}
                _ = kill.notified() => {}
            }
        });
    }
}

fn router(state: Shared) -> Router {
    let mut r = Router::new();
    for e in Endpoint::ALL {
        r = r.route(e.path(), post(move |s, k, req| push(e, s, k, req)));
    }
    r.route("/_sandbox/records", get(records))
        .route("/_sandbox/counters", get(counters))
        .route("/_sandbox/received", get(received))
        .route("/_sandbox/faults", post(set_faults))
        .route("/_sandbox/reset", post(reset))
        .route("/_sandbox/health", get(|| async { "ok" }))
        .layer(DefaultBodyLimit::max(64 * 1024 * 1024))
        .with_state(state)
}

async fn records(AxState(s): AxState<Shared>) -> Json<Value> {
    Json(serde_json::to_value(s.records()).unwrap_or(Value::Null))
}

async fn received(AxState(s): AxState<Shared>) -> Json<Value> {
    Json(serde_json::to_value(s.received()).unwrap_or(Value::Null))
}

async fn counters(AxState(s): AxState<Shared>) -> Json<Value> {
    Json(serde_json::to_value(s.counters()).unwrap_or(Value::Null))
}

async fn set_faults(AxState(s): AxState<Shared>, body: Bytes) -> Response {
    match serde_json::from_slice::<Faults>(&body) {
        Ok(f) => {
            s.set_faults(f);
            Json(json!({"ok": true})).into_response()
        }
        Err(e) => (StatusCode::BAD_REQUEST, format!("bad faults JSON: {}", e)).into_response(),
    }
}

async fn reset(AxState(s): AxState<Shared>) -> Json<Value> {
    s.reset();
    Json(json!({"ok": true}))
}

fn seqno() -> String {
    format!("{:016x}", rand::random::<u64>())
}

fn answer(
    state: &State,
    endpoint: Endpoint,
    http: StatusCode,
    code: &str,
    message: &str,
    hint: Option<String>,
    seqno: &str,
) -> Response {
    let mut v = json!({
        "code": code,
        "message": message,
        "seqno": seqno,
        "data_node": state.data_node,
        "path": format!("POST {}", endpoint.path()),
    });
    if let Some(h) = hint {
        v["hint"] = Value::String(h);
    }
    (http, Json(v)).into_response()
}

fn bad_request(state: &State, endpoint: Endpoint, hint: String) -> Response {
    state.count_rejected();
    answer(
        state,
        endpoint,
        StatusCode::OK,
        "400",
        "请求参数错误",
        Some(hint),
        &seqno(),
    )
}

/// Reads a form or multipart body: text fields, and file parts streamed through MD5.
async fn read_body(
    req: Request,
) -> Result<(Vec<(String, String)>, BTreeMap<String, FileInfo>), String> {
    let is_multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let mut fields = Vec::new();
    let mut files = BTreeMap::new();
    if !is_multipart {
        let bytes = Bytes::from_request(req, &())
            .await
            .map_err(|e| format!("cannot read the body: {}", e))?;
        if std::str::from_utf8(&bytes).is_err() {
            return Err("the body is not UTF-8".into());
        }
        fields.extend(form_urlencoded::parse(&bytes).into_owned());
        return Ok((fields, files));
    }
    let mut mp = Multipart::from_request(req, &())
        .await
        .map_err(|e| format!("bad multipart body: {}", e))?;
    while let Some(mut field) = mp
        .next_field()
        .await
        .map_err(|e| format!("bad multipart body: {}", e))?
    {
        let name = field.name().unwrap_or_default().to_string();
        if is_file_part(&name, field.file_name(), field.content_type()) {
            let mut md5 = Md5::new();
            let mut len = 0u64;
            while let Some(chunk) = field
                .chunk()
                .await
                .map_err(|e| format!("file part `{}`: {}", name, e))?
            {
                md5.update(&chunk);
                len += chunk.len() as u64;
            }
            files.insert(
                name,
                FileInfo {
                    len,
                    md5: upper_hex(&md5.finalize()),
                },
            );
        } else {
            let bytes = field
                .bytes()
                .await
                .map_err(|e| format!("field `{}`: {}", name, e))?;
            let text = String::from_utf8(bytes.to_vec()).map_err(|_| {
                format!(
                    "field `{}` is not UTF-8 (a part is taken as a file when its name is one of the `*_image_file` fields, it has a filename, or a Content-Type other than text/*; any other part is a text field and must be UTF-8)",
                    name
                )
            })?;
            fields.push((name, text));
        }
    }
    Ok((fields, files))
}

/// Whether a multipart part is a file: by its name (`enter_image_file`, ...: HttpClient's
/// `addBinaryBody(name, byte[])` sends no filename), its filename, or a non-text Content-Type.
/// Never by its bytes: a photo may happen to be valid UTF-8.
fn is_file_part(name: &str, file_name: Option<&str>, content_type: Option<&str>) -> bool {
    FileField::from_name(name).is_some()
        || file_name.is_some()
        || content_type.is_some_and(|c| !c.trim().to_ascii_lowercase().starts_with("text/"))
}

/// One value of an `encoding=URL` request, decoded as the platform's Java does
/// (`java.net.URLDecoder`): `+` is a space, then `%XX` escapes as UTF-8. Two lines on top of
/// percent-encoding, which has no `+` rule of its own.
fn java_url_decode(v: &str) -> String {
    let spaced = v.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8_lossy()
        .into_owned()
}

/// The key (`parking_serial`, or `flow_no`) of what arrived, for the log.
fn key_of(endpoint: Endpoint, fields: &[(String, String)]) -> &str {
    fields
        .iter()
        .rev()
        .find(|(k, _)| k == endpoint.dedup_field())
        .map(|(_, v)| v.as_str())
        .unwrap_or("-")
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

async fn push(
    endpoint: Endpoint,
    AxState(state): AxState<Shared>,
    Extension(killer): Extension<Killer>,
    req: Request,
) -> Response {
    let (fault, latency) = state.next_request();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let drop_after_store = match fault {
        FaultAction::Drop { after_store: false } => {
            log::info!("{}: connection dropped (fault)", endpoint);
            return drop_connection(&state, &killer).await;
        }
        FaultAction::Drop { after_store: true } => true,
        FaultAction::Fail(status) => {
            state.count_fault();
            let (code, message) = if status == 503 {
                ("503", "服务暂不可用")
            } else {
                ("500", "服务器内部错误")
            };
            let http = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            log::info!("{}: answered {} (fault)", endpoint, status);
            return answer(&state, endpoint, http, code, message, None, &seqno());
        }
        FaultAction::Gateway {
            status,
            retry_after,
        } => {
            state.count_fault();
            log::info!("{}: answered {} as a gateway (fault)", endpoint, status);
            return gateway_answer(status, retry_after);
        }
        FaultAction::None => false,
    };
    // A client that claims a large body and sends it slowly, or never, is cut off.
    let (fields, files) = match tokio::time::timeout(state.read_timeout, read_body(req)).await {
        Ok(Ok(b)) => b,
        Ok(Err(e)) => {
            log::info!("{}: 400 unreadable body: {}", endpoint, e);
            return bad_request(&state, endpoint, e);
        }
        Err(_) => {
            log::warn!(
                "sandbox: a {} body was not received within {} ms; connection closed",
                endpoint,
                state.read_timeout.as_millis()
            );
            killer.0.notify_one();
            return std::future::pending::<Response>().await;
        }
    };
    let seq = seqno();
    let serial = key_of(endpoint, &fields).to_string();
    match check(endpoint, &fields, &files, &state.secret) {
        Err(Refusal::Parameter(hint)) => {
            log::info!("{} {}: 400 {}", endpoint, serial, hint);
            return bad_request(&state, endpoint, hint);
        }
        Err(Refusal::Signature(canonical)) => {
            log::info!(
                "{} {}: signature mismatch ({})",
                endpoint,
                serial,
                if endpoint.signature_failure_is_ignored() {
                    "answered 200 with the 签名验证不通过 hint"
                } else {
                    "answered 401"
                }
            );
            return if endpoint.signature_failure_is_ignored() {
                state.count_ignored();
                let hint = format!("签名验证不通过[{}]", canonical);
                answer(
                    &state,
                    endpoint,
                    StatusCode::OK,
                    "200",
                    "已忽略当前请求",
                    Some(hint),
                    &seq,
                )
            } else {
                state.count_rejected();
                answer(
                    &state,
                    endpoint,
                    StatusCode::OK,
                    "401",
                    "请求签名校验不通过",
                    Some(canonical),
                    &seq,
                )
            };
        }
        Ok(()) => {}
    }
    let field_map: BTreeMap<String, String> = fields.iter().cloned().collect();
    let url_mode = field_map.get("encoding").map(String::as_str) == Some("URL");
    let decoded = field_map
        .iter()
        .map(|(k, v)| {
            let d = if url_mode {
                java_url_decode(v)
            } else {
                v.clone()
            };
            (k.clone(), d)
        })
        .collect();
    let key = field_map
        .get(endpoint.dedup_field())
        .cloned()
        .unwrap_or_default();
    let park = field_map
        .get("park_uuid")
        .or_else(|| field_map.get("merchant"))
        .cloned()
        .unwrap_or_default();
    let record = AcceptedRecord {
        endpoint: endpoint.name().into(),
        key,
        fields: field_map,
        decoded,
        files,
        seqno: seq.clone(),
        received_at_ms: now_ms(),
    };
    // A repeat is answered as a success and not stored again, as the platform does.
    let new = state.store(&park, record);
    log::info!(
        "{} {}: accepted{}, seqno {}",
        endpoint,
        serial,
        if new {
            ""
        } else {
            " (duplicate: answered as a success, not stored again)"
        },
        seq
    );
    if drop_after_store {
        return drop_connection(&state, &killer).await;
    }
    answer(
        &state,
        endpoint,
        StatusCode::OK,
        endpoint.primary_success_code(),
        "OK",
        None,
        &seq,
    )
}

/// What a gateway, proxy or captive portal in front of the platform answers: never the
/// platform's JSON.
fn gateway_answer(status: u16, retry_after: Option<String>) -> Response {
    let http = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let mut resp = if http.is_redirection() {
        (
            http,
            [(header::LOCATION, "http://portal.invalid/login")],
            "",
        )
            .into_response()
    } else if http == StatusCode::TOO_MANY_REQUESTS {
        (http, "Too Many Requests").into_response()
    } else {
        let page = format!(
            "<html><head><title>{}</title></head><body><h1>{}</h1><p>Please log in to use the network.</p><hr>nginx</body></html>",
            http, http
        );
        (http, axum::response::Html(page)).into_response()
    };
    if let Some(v) = retry_after.and_then(|v| header::HeaderValue::from_str(&v).ok()) {
        resp.headers_mut().insert(header::RETRY_AFTER, v);
    }
    resp
}

/// Closes the connection without an answer: the handler never returns.
async fn drop_connection(state: &State, killer: &Killer) -> Response {
    state.count_drop();
    killer.0.notify_one();
    std::future::pending::<Response>().await
}
