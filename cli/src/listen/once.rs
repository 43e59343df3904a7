//! Each push handled once, whatever its senders do.
//!
//! The decision is a claim taken in the transaction that stores the delivery
//! (`push_store::claim`): of copies arriving together exactly one is told to handle. Its
//! handling runs as a task of the listener, not of the connection, so a sender that hangs up
//! ends neither the handler nor the recording of its outcome. Copies that find the claim wait
//! for that outcome (within the handler timeout) and then ask the store again: a handled push
//! is acknowledged; otherwise they are told to come again.

use std::sync::Arc;
use std::time::Duration;

use hyper::StatusCode;
use pyun_core::push_store::{new_token, Decision};
use pyun_core::receive::ReceivedPush;
use pyun_core::{Lang, Msg};

use super::{handler, Ctx, Handler};
use crate::pushes::Op;

type Key = (String, String);

/// What a push came to: in English for the sender (the answer's body), and in the log's
/// language.
pub(super) struct Said {
    pub answer: String,
    pub log: String,
}

impl Said {
    fn new(ctx: &Ctx, text: impl Fn(Lang) -> String) -> Said {
        Said {
            answer: text(Lang::En),
            log: text(ctx.lang),
        }
    }
}

async fn write<T>(
    ctx: &Ctx,
    make: impl FnOnce(tokio::sync::oneshot::Sender<Result<T, String>>) -> Op,
) -> Result<T, String> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let sent = ctx
        .writes
        .lock()
        .map_err(|_| "the store writer is gone".to_string())?
        .send(make(tx));
    if sent.is_err() {
        return Err("the store writer is gone".into());
    }
    rx.await
        .map_err(|_| "the store writer stopped".to_string())?
}

/// Stores, has the push handled once, and says whether to acknowledge.
pub(super) async fn process(ctx: &Arc<Ctx>, push: ReceivedPush) -> (StatusCode, Said) {
    let key: Key = (push.kind.name().to_string(), push.key.clone());
    let fields = push.fields_json();
    let token = new_token();
    // The lease outlives the handler's timeout: only a listener that died leaves it behind.
    let lease_ms = (ctx.handler_timeout + Duration::from_secs(30)).as_millis() as i64;
    let mut waited = false;
    loop {
        let decision = write(ctx, |reply| Op::Claim {
            kind: key.0.clone(),
            key: key.1.clone(),
            encoding: push.encoding.name().into(),
            fields: fields.clone(),
            token: token.clone(),
            lease_ms,
            store_only: matches!(ctx.handler, Handler::None),
            reply,
        })
        .await;
        let decision = match decision {
            Ok(d) => d,
            Err(e) => {
                return (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    Said::new(ctx, |l| Msg::ListenNotStored.text(l, &[&e])),
                )
            }
        };
        match decision {
            Decision::Handled => {
                return (
                    StatusCode::OK,
                    Said::new(ctx, |l| Msg::ListenDuplicate.text(l, &[])),
                )
            }
            Decision::Stored => {
                return (
                    StatusCode::OK,
                    Said::new(ctx, |l| Msg::ListenStored.text(l, &[])),
                )
            }
            Decision::Handle { first } => {
                return handle_in_task(ctx, push, key, token, first).await
            }
            Decision::Busy => {
                let running = ctx.in_flight.lock().ok().and_then(|m| m.get(&key).cloned());
                match running {
                    Some(mut end) if !waited => {
                        waited = true;
                        // `changed` ends (with an error) when the handling drops its signal.
                        let bound = ctx.handler_timeout + Duration::from_secs(5);
                        let _ = tokio::time::timeout(bound, end.changed()).await;
                    }
                    _ => {
                        return (
                            StatusCode::SERVICE_UNAVAILABLE,
                            Said::new(ctx, |l| Msg::ListenBusy.text(l, &[])),
                        )
                    }
                }
            }
        }
    }
}

/// Ends a handling whatever way its task ends: the copies waiting for it are woken, the count
/// of running handlings goes down.
struct Running {
    ctx: Arc<Ctx>,
    key: Key,
    _end: tokio::sync::watch::Sender<()>,
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(mut m) = self.ctx.in_flight.lock() {
            // With the map's receiver gone, dropping `_end` (after this) wakes every waiting
            // copy.
            m.remove(&self.key);
        }
        self.ctx.handling.send_modify(|n| *n -= 1);
    }
}

/// Runs the handler and records its outcome in a task of the listener; the request only waits
/// for the answer.
async fn handle_in_task(
    ctx: &Arc<Ctx>,
    push: ReceivedPush,
    key: Key,
    token: String,
    first: bool,
) -> (StatusCode, Said) {
    let (end_tx, end_rx) = tokio::sync::watch::channel(());
    if let Ok(mut m) = ctx.in_flight.lock() {
        m.insert(key.clone(), end_rx);
    }
    ctx.handling.send_modify(|n| *n += 1);
    let running = Running {
        ctx: ctx.clone(),
        key,
        _end: end_tx,
    };
    let task = tokio::spawn(async move {
        let ctx = running.ctx.clone();
        let outcome = handler::run(&ctx, &push).await;
        let recorded = write(&ctx, |reply| Op::Finish {
            kind: running.key.0.clone(),
            key: running.key.1.clone(),
            token,
            error: outcome.clone().err(),
            reply,
        })
        .await;
        drop(running);
        let seen = |l| match first {
            true => Msg::ListenNew.text(l, &[]),
            false => Msg::ListenStoredBefore.text(l, &[]),
        };
        match (outcome, recorded) {
            (Ok(()), Ok(())) => (
                StatusCode::OK,
                Said::new(&ctx, |l| Msg::ListenHandled.text(l, &[&seen(l)])),
            ),
            (Ok(()), Err(e)) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                Said::new(&ctx, |l| Msg::ListenNotRecorded.text(l, &[&seen(l), &e])),
            ),
            (Err(e), _) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                Said::new(&ctx, |l| {
                    Msg::ListenHandlerFailed.text(l, &[&seen(l), &e.render(l)])
                }),
            ),
        }
    });
    match task.await {
        Ok(answer) => answer,
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Said::new(ctx, |l| Msg::ListenAbnormal.text(l, &[&e])),
        ),
    }
}
