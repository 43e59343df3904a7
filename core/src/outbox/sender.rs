//! The background sender: a thread that delivers an outbox's records as soon as they are
//! enqueued (no polling delay), backs off with the records, and stops cleanly.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use super::{now_ms, Event, Outbox};
use crate::client::Client;
use crate::messages::{Lang, Msg, Text};

/// Wakes a sender when this process enqueues (or stops it). A generation counter, so a wake
/// that arrives while the sender is draining is not lost: it drains again at once.
#[derive(Default)]
pub(super) struct Wake {
    generation: Mutex<u64>,
    changed: Condvar,
}

impl Wake {
    pub(super) fn notify(&self) {
        *self.generation.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        self.changed.notify_all();
    }

    fn current(&self) -> u64 {
        *self.generation.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits until the generation moves past `seen`, or `timeout`.
    fn wait(&self, seen: u64, timeout: Duration) {
        let guard = self.generation.lock().unwrap_or_else(|e| e.into_inner());
        let _ = self
            .changed
            .wait_timeout_while(guard, timeout, |g| *g == seen);
    }
}

/// A background sender; [`Sender::stop`] (or dropping it) ends it cleanly: the record in
/// flight is finished and written down, records never sent stay pending for the next start.
pub struct Sender {
    stop: Arc<AtomicBool>,
    /// Why the thread ended on its own (a panic inside pyun), once it has.
    failure: Arc<Mutex<Option<String>>>,
    outbox: Outbox,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Outbox {
    /// Starts a thread that delivers through `client`: at once when a record is enqueued
    /// through this `Outbox` (or a clone), when a backoff or pause ends, and at least every
    /// `poll` (for records another process enqueued into the same file). Errors of the database
    /// are logged and retried after a backoff, never end the thread. Several senders may run
    /// on several outboxes in one process; they share nothing.
    pub fn start_sender(&self, client: Arc<Client>, poll: Duration) -> Sender {
        self.start_sender_following(client, poll, None)
    }

    /// [`Outbox::start_sender`], and the sender thread also calls `follow.1` with each delivery
    /// event after position `follow.0`, in order, after each round of delivery: a host that
    /// keeps the last position it handled and passes it at the next start sees every event
    /// once, across restarts. The callback runs on the sender thread; delivery waits for it.
    /// No call starts once [`Sender::stop`] was called (from any thread, the callback's own
    /// included); the events not handed over yet are for the next start.
    ///
    /// A panic on the sender thread (a bug in pyun, or in the callback) ends the thread: it is
    /// logged, handed to the callback as an event of kind `sender_failed` (its `seq` the last
    /// position handed over, so nothing is skipped), and [`Sender::failure`] says why. The
    /// sender is not restarted behind the host's back: start a new one.
    pub fn start_sender_following(
        &self,
        client: Arc<Client>,
        poll: Duration,
        follow: Option<(i64, OnEvent)>,
    ) -> Sender {
        let stop = Arc::new(AtomicBool::new(false));
        let failure = Arc::new(Mutex::new(None));
        let outbox = self.clone();
        let (flag, failed) = (stop.clone(), failure.clone());
        let lang = client.lang();
        let thread = std::thread::Builder::new()
            .name("pyun-outbox-sender".into())
            .spawn(move || guarded(&outbox, &client, &flag, poll, follow, &failed));
        let thread = match thread {
            Ok(t) => Some(t),
            Err(e) => {
                log::error!("{}", Msg::SenderNoThread.text(lang, &[&e]));
                None
            }
        };
        Sender {
            stop,
            failure,
            outbox: self.clone(),
            thread,
        }
    }
}

/// What [`Outbox::start_sender_following`] calls with each event.
pub type OnEvent = Box<dyn FnMut(&Event) + Send>;

/// Hands the events after the cursor to the callback, until there are none or the sender is
/// stopped; an error reading them is logged and tried again next round.
fn hand_over(outbox: &Outbox, follow: &mut Option<(i64, OnEvent)>, stop: &AtomicBool, lang: Lang) {
    let Some((cursor, on_event)) = follow.as_mut() else {
        return;
    };
    while !stop.load(Ordering::SeqCst) {
        match outbox.events(*cursor, 256) {
            Ok(events) if events.is_empty() => return,
            Ok(events) => {
                for e in &events {
                    // Checked before every call: stop returns within one callback.
                    if stop.load(Ordering::SeqCst) {
                        return;
                    }
                    on_event(e);
                    *cursor = e.seq;
                }
            }
            Err(e) => {
                log::error!(
                    "{}",
                    Msg::SenderReadingEvents.text(lang, &[&e.message(lang)])
                );
                return;
            }
        }
    }
}

/// The sender thread: [`run`] inside a panic boundary. A panic is logged and reported to the
/// callback (unless the sender was stopped), and kept for [`Sender::failure`].
fn guarded(
    outbox: &Outbox,
    client: &Client,
    stop: &AtomicBool,
    poll: Duration,
    follow: Option<(i64, OnEvent)>,
    failure: &Mutex<Option<String>>,
) {
    // The callback and its cursor outlive a panic inside `run`, to be told about it.
    let mut follow = follow;
    let ran = catch_unwind(AssertUnwindSafe(|| {
        run(outbox, client, stop, poll, &mut follow)
    }));
    let Err(panic) = ran else {
        log::debug!("outbox {}: sender stopped", outbox.path().display());
        return;
    };
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    // Kept and handed to the callback in English (data a program reads); logged in the
    // language asked for.
    let text = Text::new(Msg::SenderPanicked, &[&what]);
    let reason = text.to_string();
    *failure.lock().unwrap_or_else(|e| e.into_inner()) = Some(reason.clone());
    let lang = client.lang();
    log::error!(
        "{}",
        Msg::OutboxLog.text(lang, &[&outbox.path().display(), &text.render(lang)])
    );
    if let Some((cursor, mut on_event)) = follow {
        if !stop.load(Ordering::SeqCst) {
            let event = Event {
                seq: cursor,
                kind: "sender_failed".into(),
                record_id: 0,
                endpoint: String::new(),
                key: String::new(),
                at_ms: now_ms(),
                seqno: None,
                reason: Some(text),
            };
            // A callback that panics again ends here: the thread is ending anyway.
            let _ = catch_unwind(AssertUnwindSafe(|| on_event(&event)));
        }
    }
    log::debug!("outbox {}: sender stopped", outbox.path().display());
}

fn run(
    outbox: &Outbox,
    client: &Client,
    stop: &AtomicBool,
    poll: Duration,
    follow: &mut Option<(i64, OnEvent)>,
) {
    let wake = &outbox.inner.wake;
    let mut failures = 0u32;
    hand_over(outbox, follow, stop, client.lang());
    while !stop.load(Ordering::SeqCst) {
        let seen = wake.current();
        let wait = match outbox.drain_until(client, || stop.load(Ordering::SeqCst)) {
            Ok(_) => {
                failures = 0;
                // Until the next record is due (backoff, pause), at most `poll`.
                outbox
                    .next_due_ms()
                    .map(|due| Duration::from_millis(due.saturating_sub(now_ms()).max(0) as u64))
                    .unwrap_or(poll)
                    .min(poll)
            }
            Err(e) => {
                // A busy or full disk: keep the thread, back off up to a minute.
                failures = failures.saturating_add(1);
                let lang = client.lang();
                log::error!("{}", Msg::SenderFailed.text(lang, &[&e.message(lang)]));
                Duration::from_millis(100 << failures.min(9)).min(Duration::from_secs(60))
            }
        };
        hand_over(outbox, follow, stop, client.lang());
        if !stop.load(Ordering::SeqCst) {
            wake.wait(seen, wait);
        }
    }
}

impl Sender {
    /// Whether the thread runs (it could not be started when the system refused a thread, and
    /// it ends after a panic: see [`Sender::failure`]).
    pub fn is_running(&self) -> bool {
        self.thread.as_ref().is_some_and(|t| !t.is_finished())
    }

    /// Why the thread ended on its own (a panic inside pyun), if it did.
    pub fn failure(&self) -> Option<String> {
        self.failure
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Stops and waits for the thread: for the record in flight and the callback in progress,
    /// if any; no callback starts after this returns. Called from the sender's own callback it
    /// does not wait (that would never end): the callback making the call is the last one.
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.outbox.inner.wake.notify();
        if let Some(t) = self.thread.take() {
            // Stopped from its own thread (an event callback): the flag ends it after the
            // callback returns; joining itself would never end.
            if t.thread().id() != std::thread::current().id() {
                let _ = t.join();
            }
        }
    }
}

impl Drop for Sender {
    fn drop(&mut self) {
        self.halt();
    }
}
