//! What the sandbox remembers: accepted records, seen keys, counters and faults.

use std::collections::{BTreeMap, HashSet};
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
}

/// The shared state of one sandbox.
pub struct State {
    pub secret: AppSecret,
    pub data_node: String,
    /// Time allowed for a request's headers, and for its body.
    pub read_timeout: Duration,
    faults: Mutex<FaultState>,
    records: Mutex<Vec<AcceptedRecord>>,
    keys: Mutex<HashSet<(String, String, String)>>,
    /// Per record key: the `sign` of each arrival.
    received: Mutex<BTreeMap<(String, String, String), Vec<String>>>,
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
            records: Mutex::new(Vec::new()),
            keys: Mutex::new(HashSet::new()),
            received: Mutex::new(BTreeMap::new()),
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

    /// Stores a record unless its key was seen; returns whether it was new.
    pub fn store(&self, park: &str, record: AcceptedRecord) -> bool {
        let key = (
            record.endpoint.clone(),
            park.to_string(),
            record.key.clone(),
        );
        let sign = record.fields.get("sign").cloned().unwrap_or_default();
        self.received
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(key.clone())
            .or_default()
            .push(sign);
        // One lock order (keys, then records) so concurrent stores keep both in step.
        let mut keys = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        if !keys.insert(key) {
            self.counts.duplicates.fetch_add(1, Ordering::Relaxed);
            return false;
        }
        self.records
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(record);
        self.counts.accepted.fetch_add(1, Ordering::Relaxed);
        true
    }

    pub fn records(&self) -> Vec<AcceptedRecord> {
        self.records
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Every record key that arrived, with how often.
    pub fn received(&self) -> Vec<Received> {
        let received = self.received.lock().unwrap_or_else(|e| e.into_inner());
        received
            .iter()
            .map(|((endpoint, park, key), signs)| Received {
                endpoint: endpoint.clone(),
                park: park.clone(),
                key: key.clone(),
                count: signs.len() as u64,
                distinct: signs.iter().collect::<HashSet<_>>().len() as u64,
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
        }
    }

    pub fn reset(&self) {
        let mut keys = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        keys.clear();
        self.received
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
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
        ] {
            a.store(0, Ordering::Relaxed);
        }
    }
}
