//! The console's JSON endpoints (`/api/...`): what the page shows and the actions it takes.
//! Store reads run on tokio's blocking threads; every answer is scrubbed (`scrub.rs`).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use pyun_core::outbox::{Event, Outbox, RecordStatus};
use pyun_core::{Lang, Msg, Text};
use serde_json::{json, Value};

use super::scrub::scrub;
use super::state::Shared;
use crate::pushes;

/// Minutes in the chart.
const CHART_MINUTES: usize = 24 * 60;
/// The most rows a list answer holds.
const LIMIT: usize = 500;
/// The longest search term taken.
const MAX_TERM: usize = 200;

/// A failed request: its status and what to say (written in the request's language).
struct Fail(StatusCode, Text);

impl From<pyun_core::Error> for Fail {
    fn from(e: pyun_core::Error) -> Self {
        let status = match e.kind().info().json_kind {
            "input" => StatusCode::BAD_REQUEST,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        Fail(status, e.text())
    }
}

impl From<rusqlite::Error> for Fail {
    fn from(e: rusqlite::Error) -> Self {
        let e = Text::new(Msg::ConsolePushStore, &[&e]);
        Fail(StatusCode::INTERNAL_SERVER_ERROR, e)
    }
}

fn bad(msg: Msg, args: &[&dyn std::fmt::Display]) -> Fail {
    Fail(StatusCode::BAD_REQUEST, Text::new(msg, args))
}

fn missing(name: &str) -> Fail {
    bad(Msg::ConsoleParamMissing, &[&name])
}

/// A JSON answer, scrubbed.
fn answer(status: StatusCode, mut v: Value) -> Response {
    scrub(&mut v);
    (status, axum::Json(v)).into_response()
}

type Params = HashMap<String, String>;

fn params(q: Option<String>) -> Params {
    form_urlencoded::parse(q.unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

fn number<T: std::str::FromStr>(p: &Params, name: &str) -> Result<Option<T>, Fail> {
    match p.get(name) {
        None => Ok(None),
        Some(v) => v
            .parse()
            .map(Some)
            .map_err(|_| bad(Msg::ConsoleNotNumber, &[&name, &format_args!("{:?}", v)])),
    }
}

fn outbox<'a>(s: &'a Shared, p: &Params) -> Result<(usize, &'a Outbox), Fail> {
    let i: usize = number(p, "outbox")?.unwrap_or(0);
    s.console
        .outboxes
        .get(i)
        .map(|o| (i, o))
        .ok_or_else(|| bad(Msg::ConsoleNoSuchOutbox, &[&i]))
}

/// Runs `f` on a blocking thread with the query's parameters; its value is the answer.
async fn run(
    s: Arc<Shared>,
    q: Option<String>,
    f: fn(&Shared, &Params) -> Result<Value, Fail>,
) -> Response {
    let p = params(q);
    let lang = s.lang_of(p.get("lang").map(String::as_str));
    let done = tokio::task::spawn_blocking(move || f(&s, &p)).await;
    match done {
        Ok(Ok(v)) => answer(StatusCode::OK, v),
        Ok(Err(Fail(status, error))) => answer(status, json!({ "error": error.render(lang) })),
        Err(e) => answer(
            StatusCode::INTERNAL_SERVER_ERROR,
            json!({ "error": Msg::ConsoleInternal.text(lang, &[&e]) }),
        ),
    }
}

/// The routes.
pub fn router(s: Arc<Shared>) -> Router {
    macro_rules! route {
        ($f:expr) => {
            |State(s): State<Arc<Shared>>, RawQuery(q): RawQuery| run(s, q, $f)
        };
    }
    Router::new()
        .route("/api/summary", get(route!(summary)))
        .route("/api/chart", get(route!(chart)))
        .route("/api/search", get(route!(search)))
        .route("/api/record", get(route!(record)))
        .route("/api/push", get(route!(push)))
        .route("/api/dead", get(route!(dead)))
        .route("/api/events", get(route!(events)))
        .route("/api/requeue", post(route!(requeue)))
        .route("/api/purge", post(route!(purge)))
        .with_state(s)
}

/// A JSON text of a store (the platform's answer) as a value, or as it is.
fn parsed(text: Option<String>) -> Value {
    match text {
        None => Value::Null,
        Some(t) => serde_json::from_str(&t).unwrap_or(Value::String(t)),
    }
}

/// The page's language: `?lang=` (the page's own, which it can switch), else the console's.
fn lang(s: &Shared, p: &Params) -> Lang {
    s.lang_of(p.get("lang").map(String::as_str))
}

/// Adds `{key}_text`, the stored message `text` written in `lang`, next to `key` (its English,
/// kept for scripts): errors an outbox stored, shown in the page's language whatever the
/// language of the process that stored them.
fn written(v: &mut Value, key: &str, text: Option<&Text>, lang: Lang) {
    if let Some(t) = text {
        v[format!("{}_text", key)] = t.render(lang).into();
    }
}

/// A record's status as JSON, with its error and diagnosis in `lang` too.
fn status_json(r: &RecordStatus, lang: Lang) -> Value {
    let mut v = json!(r);
    written(&mut v, "last_error", r.last_error.as_ref(), lang);
    written(&mut v, "diagnosis", r.diagnosis.as_ref(), lang);
    v
}

/// Events as JSON, with their reason in `lang` too.
fn events_json(events: &[Event], lang: Lang) -> Vec<Value> {
    events
        .iter()
        .map(|e| {
            let mut v = json!(e);
            written(&mut v, "reason", e.reason.as_ref(), lang);
            v
        })
        .collect()
}

/// Now: per outbox its counts, pause, oldest pending record and event cursor; the pushes.
fn summary(s: &Shared, p: &Params) -> Result<Value, Fail> {
    let lang = lang(s, p);
    let mut outboxes = Vec::new();
    for (i, o) in s.console.outboxes.iter().enumerate() {
        let paused = o.pause()?.map(|p| {
            let response = parsed(p.response);
            let mut v = json!({
                "until_ms": p.until_ms,
                "reason": p.reason,
                "hint": response.get("hint").cloned().unwrap_or(Value::Null),
                "message": response.get("message").cloned().unwrap_or(Value::Null),
                "code": response.get("code").cloned().unwrap_or(Value::Null),
                "diagnosis": p.diagnosis,
            });
            written(&mut v, "reason", Some(&p.reason), lang);
            written(&mut v, "diagnosis", p.diagnosis.as_ref(), lang);
            v
        });
        outboxes.push(json!({
            "index": i,
            "path": o.path(),
            "counts": o.counts()?,
            "paused": paused,
            "oldest_pending_ms": o.oldest_pending_ms()?,
            "head": o.head()?.map(|h| status_json(&h, lang)),
            "last_event_seq": o.last_event_seq()?,
        }));
    }
    let pushes = match &s.console.pushes {
        None => Value::Null,
        Some(store) => {
            let (total, unhandled) = pushes::counts(&store.conn())?;
            json!({ "path": store.path, "total": total, "unhandled": unhandled })
        }
    };
    Ok(json!({
        "now_ms": pyun_core::push_store::now_ms(),
        "read_only": s.read_only,
        "lang": s.lang.code(),
        "outboxes": outboxes,
        "pushes": pushes,
    }))
}

/// The last 24 h of one outbox, per minute, with the pushes received.
fn chart(s: &Shared, p: &Params) -> Result<Value, Fail> {
    let (i, o) = outbox(s, p)?;
    let series = o.minute_series(CHART_MINUTES)?;
    let mut v = json!(series);
    v["outbox"] = json!(i);
    if let (Some(store), Some(first)) = (&s.console.pushes, series.minute.first()) {
        v["pushes"] = json!(pushes::per_minute(
            &store.conn(),
            first / 60,
            series.minute.len()
        )?);
    }
    Ok(v)
}

/// Records of every outbox and pushes whose plate, parking_serial, flow_no or pay_serial is
/// the term.
fn search(s: &Shared, p: &Params) -> Result<Value, Fail> {
    let term = p.get("q").map(|q| q.trim()).unwrap_or("");
    if term.is_empty() || term.chars().count() > MAX_TERM {
        return Err(bad(Msg::ConsoleSearchTerm, &[&MAX_TERM]));
    }
    let mut records = Vec::new();
    for (i, o) in s.console.outboxes.iter().enumerate() {
        for r in o.search(term, LIMIT)? {
            let fields = parsed(o.record_fields(r.id)?);
            let mut v = json!(r);
            v["outbox"] = json!(i);
            v["plate"] = fields.get("plate").cloned().unwrap_or(Value::Null);
            records.push(v);
        }
    }
    let found_pushes = match &s.console.pushes {
        None => Vec::new(),
        Some(store) => pushes::search(&store.conn(), term, LIMIT as u32)?,
    };
    Ok(json!({ "term": term, "records": records, "pushes": found_pushes }))
}

/// One record's whole story: its status, fields, the platform's last answer, its events.
fn record(s: &Shared, p: &Params) -> Result<Value, Fail> {
    let (i, o) = outbox(s, p)?;
    let id: i64 = number(p, "id")?.ok_or_else(|| missing("id"))?;
    let status = o.record(id)?.ok_or_else(|| {
        Fail(
            StatusCode::NOT_FOUND,
            Text::new(Msg::ConsoleNoRecord, &[&id]),
        )
    })?;
    let response = parsed(status.response.clone());
    let lang = lang(s, p);
    Ok(json!({
        "outbox": i,
        "status": status_json(&status, lang),
        "fields": parsed(o.record_fields(id)?),
        "response": response,
        "events": events_json(&o.record_events(id)?, lang),
    }))
}

/// One push with its fields.
fn push(s: &Shared, p: &Params) -> Result<Value, Fail> {
    let store = s
        .console
        .pushes
        .as_ref()
        .ok_or_else(|| bad(Msg::ConsoleNoPushStore, &[]))?;
    let id: i64 = number(p, "id")?.ok_or_else(|| missing("id"))?;
    pushes::by_id(&store.conn(), id)?
        .ok_or_else(|| Fail(StatusCode::NOT_FOUND, Text::new(Msg::ConsoleNoPush, &[&id])))
}

/// The dead letters of one outbox and their causes.
fn dead(s: &Shared, p: &Params) -> Result<Value, Fail> {
    let (i, o) = outbox(s, p)?;
    let total = o.counts()?.dead;
    let lang = lang(s, p);
    let letters: Vec<Value> = o
        .first_dead_letters(LIMIT)?
        .into_iter()
        .map(|d| {
            let response = parsed(d.response.clone());
            let mut v = json!(d);
            v["response"] = response;
            written(&mut v, "error", Some(&d.error), lang);
            written(&mut v, "diagnosis", d.diagnosis.as_ref(), lang);
            v
        })
        .collect();
    Ok(json!({
        "outbox": i,
        "total": total,
        "letters": letters,
        "causes": o.dead_causes()?,
    }))
}

/// Events of one outbox after a position (the page's live updates).
fn events(s: &Shared, p: &Params) -> Result<Value, Fail> {
    let (i, o) = outbox(s, p)?;
    let after: i64 = number(p, "after")?.unwrap_or(0);
    let events = events_json(&o.events(after, LIMIT)?, lang(s, p));
    Ok(json!({ "outbox": i, "events": events }))
}

/// Puts one dead letter (`id`), or all of one `cause`, back in the queue.
fn requeue(s: &Shared, p: &Params) -> Result<Value, Fail> {
    let (i, o) = outbox(s, p)?;
    let n = match (number::<i64>(p, "id")?, p.get("cause")) {
        (Some(id), None) => o.retry_dead(Some(id))?,
        (None, Some(cause)) => o.retry_dead_cause(cause)?,
        _ => return Err(bad(Msg::ConsoleRequeueWhich, &[])),
    };
    Ok(json!({ "outbox": i, "requeued": n }))
}

/// Drops accepted records older than `days` days.
fn purge(s: &Shared, p: &Params) -> Result<Value, Fail> {
    let (i, o) = outbox(s, p)?;
    let days: u64 = number(p, "days")?.ok_or_else(|| missing("days"))?;
    let age = Duration::from_secs(days.saturating_mul(86_400));
    Ok(json!({ "outbox": i, "purged": o.purge_done(Some(age))? }))
}
