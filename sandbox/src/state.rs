//! What the sandbox remembers: accepted records, seen keys, counters and faults.

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, HashSet, VecDeque};
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use pyun_core::AppSecret;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;

use crate::{Faults, SandboxConfig};

/// Length and MD5 of an uploaded file part.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FileInfo {
    /// Bytes received.
    pub len: u64,
    /// Uppercase-hex MD5 of the bytes.
    pub md5: String,
}

/// A record the sandbox accepted.
#[derive(Clone, Debug, Serialize)]
pub struct AcceptedRecord {
    /// `enter`, `leave`, `release` or `update`.
    pub endpoint: String,
    /// `parking_serial`, or `flow_no` for an update.
    pub key: String,
    /// The text fields as received (`sign` included).
    pub fields: BTreeMap<String, String>,
    /// In `encoding=URL` mode, the values URL-decoded; otherwise the same as `fields`.
    pub decoded: BTreeMap<String, String>,
    /// The file parts.
    pub files: BTreeMap<String, FileInfo>,
    /// The `seqno` answered.
    pub seqno: String,
    /// When it was accepted, epoch ms.
    pub received_at_ms: u64,
}

/// How often one record (endpoint, parking lot, key) arrived with a valid signature, before
/// the de-duplication that stores it once: the platform's view of resends.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Received {
    /// `enter`, `leave`, `release` or `update`.
    pub endpoint: String,
    /// `park_uuid` (or `merchant`).
    pub park: String,
    /// `parking_serial`, or `flow_no` for an update.
    pub key: String,
    /// Times it arrived and passed the checks.
    pub count: u64,
    /// Distinct signed bodies among them (by `sign`): 1 when every arrival was a resend of the
    /// same record; more means different records under one key, which the platform would
    /// take as one and drop the others.
    pub distinct: u64,
}

/// Request counters.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counters {
    /// Requests to the four endpoints.
    pub requests: u64,
    /// Records stored.
    pub accepted: u64,
    /// Repeats of a stored key, answered as success and not stored.
    pub duplicates: u64,
    /// Bad signatures on enter/leave (answered `200` + hint).
    pub ignored: u64,
    /// `400` and `401` answers.
    pub rejected: u64,
    /// Injected 500/503 and gateway answers.
    pub faults_injected: u64,
    /// Connections closed without an answer.
    pub dropped: u64,
    /// Accepted records forgotten, oldest first, to keep at most `keep` of them.
    pub records_forgotten: u64,
    /// Record keys forgotten from the request log (`/_sandbox/received`), oldest first.
    pub received_forgotten: u64,
    /// Keys forgotten by the duplicate check, oldest first: a resend of one of them counts as
    /// accepted again (its answer is the same either way).
    pub dedup_keys_forgotten: u64,
}

/// What the faults say to do with one request.
pub enum FaultAction {
    /// Serve it normally.
    None,
    /// Answer this HTTP status (500 or 503).
    Fail(u16),
    /// Close the connection; before or after storing.
    Drop { after_store: bool },
    /// Answer as a gateway in front of the platform: this status, no platform JSON.
    Gateway {
        status: u16,
        retry_after: Option<String>,
    },
}

struct FaultState {
    faults: Faults,
    seen: u64,
    rng: StdRng,
}

#[derive(Default)]
struct Counts {
    requests: AtomicU64,
    accepted: AtomicU64,
    duplicates: AtomicU64,
    ignored: AtomicU64,
    rejected: AtomicU64,
    faults_injected: AtomicU64,
    dropped: AtomicU64,
    records_forgotten: AtomicU64,
    received_forgotten: AtomicU64,
    dedup_keys_forgotten: AtomicU64,
}

/// A record key: endpoint, parking lot, `parking_serial` (or `flow_no`).
type Key = (String, String, String);

/// How often one key arrived, and its distinct `sign`s.
#[derive(Default)]
struct Arrivals {
    count: u64,
    signs: HashSet<String>,
}

/// The last `cap` record keys that arrived, oldest first, with their arrivals.
struct ReceivedLog {
    cap: usize,
    by_key: BTreeMap<Key, Arrivals>,
    order: VecDeque<Key>,
}

/// The duplicate check: 64-bit fingerprints of the last `cap` stored keys (8 bytes each, not
/// the three strings; two of a million keys share one with a probability of about 3e-8).
struct SeenKeys {
    cap: usize,
    set: HashSet<u64>,
    order: VecDeque<u64>,
}

impl SeenKeys {
    fn fingerprint(key: &Key) -> u64 {
        // Fixed keys: the same key has the same fingerprint for the sandbox's whole life.
        let mut h = DefaultHasher::new();
        key.hash(&mut h);
        h.finish()
    }

    /// Adds a key; false if it is already there. The count of keys forgotten to make room.
    fn insert(&mut self, key: &Key) -> (bool, u64) {
        let f = Self::fingerprint(key);
        if !self.set.insert(f) {
            return (false, 0);
        }
        self.order.push_back(f);
        let mut forgotten = 0;
        while self.order.len() > self.cap {
            if let Some(old) = self.order.pop_front() {
                self.set.remove(&old);
                forgotten += 1;
            }
        }
        (true, forgotten)
    }
}

/// The shared state of one sandbox.
pub struct State {
    pub secret: AppSecret,
    pub data_node: String,
    /// Time allowed for a request's headers, and for its body.
    pub read_timeout: Duration,
    faults: Mutex<FaultState>,
    /// The last `keep` accepted records, oldest first.
    records: Mutex<VecDeque<AcceptedRecord>>,
    keep: usize,
    keys: Mutex<SeenKeys>,
    received: Mutex<ReceivedLog>,
    counts: Counts,
}

fn rng_for(faults: &Faults) -> StdRng {
    match faults.seed {
        Some(s) => StdRng::seed_from_u64(s),
        None => StdRng::from_entropy(),
    }
}

impl State {
    pub fn new(config: &SandboxConfig) -> Self {
        State {
            secret: AppSecret::new(config.app_secret.clone()),
            data_node: config.data_node.clone(),
            read_timeout: config.read_timeout,
            faults: Mutex::new(FaultState {
                rng: rng_for(&config.faults),
                faults: config.faults.clone(),
                seen: 0,
            }),
            records: Mutex::new(VecDeque::new()),
            keep: config.keep.max(1),
            keys: Mutex::new(SeenKeys {
                cap: config.dedup_keys.max(1),
                set: HashSet::new(),
                order: VecDeque::new(),
            }),
            received: Mutex::new(ReceivedLog {
                cap: config.keep.max(1),
                by_key: BTreeMap::new(),
                order: VecDeque::new(),
            }),
            counts: Counts::default(),
        }
    }

    pub fn set_faults(&self, faults: Faults) {
        let mut f = self.faults.lock().unwrap_or_else(|e| e.into_inner());
        *f = FaultState {
            rng: rng_for(&faults),
            faults,
            seen: 0,
        };
    }

    /// Counts the request and decides its fault, plus the latency to add.
    pub fn next_request(&self) -> (FaultAction, Duration) {
        self.counts.requests.fetch_add(1, Ordering::Relaxed);
        let mut f = self.faults.lock().unwrap_or_else(|e| e.into_inner());
        f.seen += 1;
        let n = f.seen;
        let faults = f.faults.clone();
        let latency = faults.latency;
        let drop = n <= faults.drop_first as u64
            || (faults.drop_rate > 0.0 && f.rng.gen_bool(faults.drop_rate.min(1.0)));
        if drop {
            return (
                FaultAction::Drop {
                    after_store: faults.drop_after_store,
                },
                latency,
            );
        }
        let failing = faults.drop_first as u64 + faults.fail_first as u64;
        if n <= failing {
            return (FaultAction::Fail(503), latency);
        }
        if n <= failing + faults.gateway_first as u64 {
            let action = FaultAction::Gateway {
                status: faults.gateway_status,
                retry_after: faults.retry_after.clone(),
            };
            return (action, latency);
        }
        if faults.error_rate > 0.0 && f.rng.gen_bool(faults.error_rate.min(1.0)) {
            let status = if f.rng.gen_bool(0.5) { 500 } else { 503 };
            return (FaultAction::Fail(status), latency);
        }
        (FaultAction::None, latency)
    }

    pub fn count_fault(&self) {
        self.counts.faults_injected.fetch_add(1, Ordering::Relaxed);
    }

    pub fn count_drop(&self) {
        self.counts.dropped.fetch_add(1, Ordering::Relaxed);
    }

    pub fn count_ignored(&self) {
        self.counts.ignored.fetch_add(1, Ordering::Relaxed);
    }

    pub fn count_rejected(&self) {
        self.counts.rejected.fetch_add(1, Ordering::Relaxed);
    }

    /// Stores a record unless its key was seen; returns whether it was new. Keeps at most
    /// `keep` records and logged keys and `dedup_keys` fingerprints, forgetting the oldest.
    pub fn store(&self, park: &str, record: AcceptedRecord) -> bool {
        let key: Key = (
            record.endpoint.clone(),
            park.to_string(),
            record.key.clone(),
        );
        let sign = record.fields.get("sign").cloned().unwrap_or_default();
        self.log_arrival(&key, sign);
        // One lock order (keys, then records) so concurrent stores keep both in step.
        let mut keys = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        let (new, forgotten) = keys.insert(&key);
        self.counts
            .dedup_keys_forgotten
            .fetch_add(forgotten, Ordering::Relaxed);
        if !new {
            self.counts.duplicates.fetch_add(1, Ordering::Relaxed);
            return false;
        }
        let mut records = self.records.lock().unwrap_or_else(|e| e.into_inner());
        records.push_back(record);
        if records.len() > self.keep {
            records.pop_front();
            self.counts
                .records_forgotten
                .fetch_add(1, Ordering::Relaxed);
        }
        self.counts.accepted.fetch_add(1, Ordering::Relaxed);
        true
    }

    fn log_arrival(&self, key: &Key, sign: String) {
        let mut log = self.received.lock().unwrap_or_else(|e| e.into_inner());
        let log = &mut *log;
        if !log.by_key.contains_key(key) {
            log.order.push_back(key.clone());
        }
        let arrivals = log.by_key.entry(key.clone()).or_default();
        arrivals.count += 1;
        arrivals.signs.insert(sign);
        while log.order.len() > log.cap {
            if let Some(old) = log.order.pop_front() {
                log.by_key.remove(&old);
                self.counts
                    .received_forgotten
                    .fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    pub fn records(&self) -> Vec<AcceptedRecord> {
        let records = self.records.lock().unwrap_or_else(|e| e.into_inner());
        records.iter().cloned().collect()
    }

    /// Every record key that arrived, with how often.
    pub fn received(&self) -> Vec<Received> {
        let received = self.received.lock().unwrap_or_else(|e| e.into_inner());
        received
            .by_key
            .iter()
            .map(|((endpoint, park, key), arrivals)| Received {
                endpoint: endpoint.clone(),
                park: park.clone(),
                key: key.clone(),
                count: arrivals.count,
                distinct: arrivals.signs.len() as u64,
            })
            .collect()
    }

    pub fn counters(&self) -> Counters {
        let c = &self.counts;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        Counters {
            requests: get(&c.requests),
            accepted: get(&c.accepted),
            duplicates: get(&c.duplicates),
            ignored: get(&c.ignored),
            rejected: get(&c.rejected),
            faults_injected: get(&c.faults_injected),
            dropped: get(&c.dropped),
            records_forgotten: get(&c.records_forgotten),
            received_forgotten: get(&c.received_forgotten),
            dedup_keys_forgotten: get(&c.dedup_keys_forgotten),
        }
    }

    pub fn reset(&self) {
        let mut keys = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        keys.set.clear();
        keys.order.clear();
        let mut received = self.received.lock().unwrap_or_else(|e| e.into_inner());
        received.by_key.clear();
        received.order.clear();
        drop(received);
        self.records
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        let c = &self.counts;
        for a in [
            &c.requests,
            &c.accepted,
            &c.duplicates,
            &c.ignored,
            &c.rejected,
            &c.faults_injected,
            &c.dropped,
            &c.records_forgotten,
            &c.received_forgotten,
            &c.dedup_keys_forgotten,
        ] {
            a.store(0, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(key: &str) -> AcceptedRecord {
        AcceptedRecord {
            endpoint: "enter".into(),
            key: key.into(),
            fields: BTreeMap::from([("sign".to_string(), format!("S{}", key))]),
            decoded: BTreeMap::new(),
            files: BTreeMap::new(),
            seqno: "1".into(),
            received_at_ms: 0,
        }
    }

    #[test]
    fn keeps_the_last_records_and_still_recognises_older_duplicates() {
        let state = State::new(&SandboxConfig {
            keep: 3,
            dedup_keys: 5,
            ..SandboxConfig::default()
        });
        for k in ["A", "B", "C", "D", "E"] {
            assert!(state.store("p", record(k)));
        }
        let kept: Vec<String> = state.records().into_iter().map(|r| r.key).collect();
        assert_eq!(kept, ["C", "D", "E"]);
        // "A" is no longer kept as a record, but the duplicate check still knows it.
        assert!(!state.store("p", record("A")));
        let c = state.counters();
        assert_eq!((c.accepted, c.duplicates, c.records_forgotten), (5, 1, 2));
        // The request log holds the last 3 keys that arrived: D, E, then A again.
        let logged: Vec<(String, u64)> = state
            .received()
            .into_iter()
            .map(|r| (r.key, r.count))
            .collect();
        assert_eq!(logged, [("A".into(), 1), ("D".into(), 1), ("E".into(), 1)]);
        assert_eq!(c.received_forgotten, 3);
        // A sixth new key pushes "A" out of the 5 fingerprints: its next resend is new again.
        assert!(state.store("p", record("F")));
        assert_eq!(state.counters().dedup_keys_forgotten, 1);
        assert!(state.store("p", record("A")));
        state.reset();
        assert_eq!(state.counters(), Counters::default());
        assert!(state.records().is_empty() && state.received().is_empty());
    }
}
