//! Handles: how a stale, freed, foreign or mistyped handle becomes a
//! reported error (`PYUN_RESULT_INVALID_HANDLE`, or an ignored and reported release) instead of
//! undefined behaviour.
//!
//! # Handles
//! What the caller holds as a `pyun_client *`, `pyun_request *` or `pyun_outbox *` is not the
//! address of anything: it is a number, `BASE + (id << 3 | kind)`, where `id` comes from one
//! process-wide counter and `kind` names the type. pyun never dereferences it; it looks it up.
//! Ids are never reused (on 32-bit, not before 234 million handles have been made), so a stale handle
//! never reaches a newer object, and a handle of one type is never found in the registry of
//! another. On 64-bit the numbers are not canonical addresses, so no real pointer (a string,
//! a stack or heap address of the host) ever equals one.
//!
//! The objects live in one registry per type, keyed by that number, each held by an [`Arc`].
//! A call looks its handle up and holds its own `Arc` for the length of the call, with no lock
//! held while it runs. A `_free` takes the entry out of the registry first (every later call
//! finds nothing), then waits until the calls still in flight on that object have returned,
//! then drops it on its own thread. A `_free` made from inside a pyun call on the same thread
//! (a callback) does not wait, which would deadlock: that call's own `Arc` keeps the object
//! alive, and it is dropped when the call returns.
//!
//! The strings and bodies handed out are recorded the same way, in `buffers.rs`.
//!
//! # Nothing is serialised
//! The registries are process-wide, but they tie nothing together. Each is split into
//! [`SHARDS`] shards, each with its own lock on its own cache line. Handles with consecutive
//! ids fall into different shards, and buffers are spread by a hash of their address. A
//! handle call takes its shard's lock only to look the handle up (a read lock: calls reading
//! one shard do not wait for each other) and never holds it while it works; creating and
//! freeing take the write lock of one shard for one map operation. Calls on different handles
//! therefore do not wait for each other; `bench/c/handles.c` measures it (docs/BENCHMARKS.md).
//!
//! The maps are `BTreeMap`s: a lookup in a shard of a few entries is a short scan, and their
//! nodes are pointed at from their start, so valgrind calls what a registry still holds at
//! exit "reachable" (a hash table is held through an interior pointer: "possibly lost").

use std::collections::btree_map::Entry;
use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock, PoisonError, RwLock};
use std::time::Duration;

use pyun_core::Msg;

use crate::charset::Charset;
use crate::error::{pyun_result, FfiError};
use crate::panic::{guard, release_guard};

/// Shards per registry: a power of two.
pub(crate) const SHARDS: usize = 64;

/// Keeps each shard's lock on a cache line of its own, so that threads working in different
/// shards never contend for one line.
#[repr(align(128))]
pub(crate) struct Padded<T>(pub(crate) T);

/// The start of the handle numbers. On 64-bit it is not a canonical address (bits 47 to 63
/// differ), so no pointer to real memory is ever a handle.
#[cfg(target_pointer_width = "64")]
const BASE: usize = 0x7079_756e_0000_0000;
/// The largest id before the counter wraps (ids lose their top 3 bits to the kind).
#[cfg(target_pointer_width = "64")]
const MAX_ID: usize = usize::MAX >> 3;
/// On 32-bit, handles start above the first 256 MiB (not a small number a host might hold by
/// mistake) and stay below 2^31, so that a VB6 `Long` or a C# `int` sees them positive.
#[cfg(not(target_pointer_width = "64"))]
const BASE: usize = 0x1000_0000;
#[cfg(not(target_pointer_width = "64"))]
const MAX_ID: usize = (0x8000_0000 - BASE) / 8 - 1;

/// The next id, for every type. Starts at 1: no handle is `BASE` itself.
static NEXT_ID: AtomicUsize = AtomicUsize::new(1);
/// Set once the counter has wrapped (only reachable on 32-bit): from then on an unknown handle
/// of the right kind may be freed or foreign, and the message says so.
static WRAPPED: AtomicBool = AtomicBool::new(false);

/// A type handed out as a handle.
pub(crate) trait Handle: Send + Sync + Sized + 'static {
    /// The kind in the handle's low 3 bits: 1 to 6, unique per type.
    const KIND: usize;
    /// The C name of the type, for messages: `pyun_client`.
    const TYPE: &'static str;
    /// The registry of this type.
    fn registry() -> &'static Registry<Self>;
    /// The charset of the strings passed to and returned by this object.
    fn charset(&self) -> Charset;
}

/// What a registry can tell of a handle without its type being known: the C name of its type,
/// and whether it holds the handle. For messages naming what a mistyped handle really is.
trait Lookup: Sync {
    fn type_name(&self) -> &'static str;
    fn holds(&self, key: usize) -> bool;
}

impl<T: Handle> Lookup for Registry<T> {
    fn type_name(&self) -> &'static str {
        T::TYPE
    }

    fn holds(&self, key: usize) -> bool {
        self.get(key).is_some()
    }
}

/// The registry of each kind, recorded when its type hands out its first handle, so that this
/// module names the types without depending on the modules that define them. A kind with no
/// entry never had a handle: a pointer of that kind was never handed out.
static KINDS: [OnceLock<&'static dyn Lookup>; 8] = [const { OnceLock::new() }; 8];

/// The C name of the type of `kind`, and whether a handle of that kind is live.
fn kind_info(kind: usize, key: usize) -> Option<(&'static str, bool)> {
    let registry = KINDS.get(kind)?.get()?;
    Some((registry.type_name(), registry.holds(key)))
}

/// One shard of a registry: handle number to object.
type Shard<T> = RwLock<BTreeMap<usize, Arc<T>>>;

/// The objects of one type, by handle. See the module documentation.
pub(crate) struct Registry<T> {
    shards: [Padded<Shard<T>>; SHARDS],
}

impl<T: Handle> Registry<T> {
    /// An empty registry (for a `static`).
    pub(crate) const fn new() -> Self {
        Registry {
            shards: [const { Padded(RwLock::new(BTreeMap::new())) }; SHARDS],
        }
    }

    fn shard(&self, key: usize) -> &Shard<T> {
        &self.shards[(key >> 3) % SHARDS].0
    }

    /// Registers a new object and returns its handle.
    pub(crate) fn insert(&self, object: T) -> *mut T {
        let _ = KINDS[T::KIND].set(T::registry());
        let object = Arc::new(object);
        loop {
            let raw = NEXT_ID.fetch_add(1, Ordering::Relaxed);
            if raw > MAX_ID {
                WRAPPED.store(true, Ordering::Relaxed);
            }
            let id = raw % (MAX_ID + 1);
            if id == 0 {
                continue;
            }
            let key = BASE.wrapping_add(id << 3 | T::KIND);
            let mut map = self
                .shard(key)
                .write()
                .unwrap_or_else(PoisonError::into_inner);
            // Only after a wrap can the number still be in use: then the next one is taken.
            if let Entry::Vacant(slot) = map.entry(key) {
                slot.insert(object);
                return std::ptr::without_provenance_mut(key);
            }
        }
    }

    /// The live object with this handle, to hold for the length of a call.
    pub(crate) fn get(&self, key: usize) -> Option<Arc<T>> {
        self.shard(key)
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
            .cloned()
    }

    /// Takes the object with this handle out of the registry.
    fn remove(&self, key: usize) -> Option<Arc<T>> {
        self.shard(key)
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&key)
    }
}

/// The error for a handle argument `name` of `func` that is not a live `T`: it says what the
/// pointer is, as far as pyun can tell without reading it.
fn not_live<T: Handle>(key: usize, name: &str, func: &str) -> FfiError {
    let offset = key.wrapping_sub(BASE);
    let (kind, id) = (offset & 7, offset >> 3);
    let issued =
        id != 0 && !WRAPPED.load(Ordering::Relaxed) && id < NEXT_ID.load(Ordering::Relaxed);
    let says = |msg: Msg| FfiError::msg(pyun_result::InvalidHandle, msg, &[&func, &name, &T::TYPE]);
    if kind == T::KIND && issued {
        says(Msg::FfiHandleFreed)
    } else if kind == T::KIND && id != 0 && WRAPPED.load(Ordering::Relaxed) {
        says(Msg::FfiHandleNotLive)
    } else if kind == T::KIND {
        says(Msg::FfiHandleNever)
    } else {
        let other = |msg: Msg, other: &str| {
            FfiError::msg(
                pyun_result::InvalidHandle,
                msg,
                &[&func, &name, &T::TYPE, &other],
            )
        };
        match kind_info(kind, key) {
            Some((o, true)) => other(Msg::FfiHandleOtherLive, o),
            Some((o, false)) if issued => other(Msg::FfiHandleOtherFreed, o),
            _ => says(Msg::FfiHandleNever),
        }
    }
}

/// The live object behind the handle argument `name` of `func`, held for the length of the
/// call: NULL is PYUN_RESULT_NULL_ARGUMENT, anything else that is not a live `T` (freed, of
/// another type, never a handle) PYUN_RESULT_INVALID_HANDLE. The pointer is only compared,
/// never read.
pub(crate) fn lookup<T: Handle>(ptr: *const T, name: &str, func: &str) -> Result<Arc<T>, FfiError> {
    if ptr.is_null() {
        return Err(FfiError::null(name));
    }
    let key = ptr.addr();
    T::registry()
        .get(key)
        .ok_or_else(|| not_live::<T>(key, name, func))
}

/// Runs the body of the export `func` on the object behind its handle argument `name`, inside
/// the panic boundary ([`guard`]); the message of a failure is in the object's charset. The
/// object cannot be dropped before `f` returns, even when another thread frees the handle.
pub(crate) fn with_handle<T: Handle, F>(ptr: *const T, name: &str, func: &str, f: F) -> pyun_result
where
    F: FnOnce(&T) -> Result<pyun_result, FfiError>,
{
    // A lookup does not panic (a map read under a lock that is never poisoned for good); the
    // boundary is there all the same, as for everything in an export.
    let found = catch_unwind(AssertUnwindSafe(|| lookup(ptr, name, func))).unwrap_or_else(|_| {
        let what = format!("{}: handle lookup", func);
        Err(FfiError::msg(
            pyun_result::Panic,
            Msg::FfiInternal,
            &[&what],
        ))
    });
    let charset = found.as_ref().map_or(Charset::Utf8, |o| o.charset());
    guard(charset, move || f(&*found?))
}

/// The body of the release function `func` of `T`: NULL is ignored; a live handle is taken out
/// of the registry, and freed once no call is running on it; anything else is ignored and
/// reported (last error, log).
pub(crate) fn release<T: Handle>(ptr: *mut T, name: &str, func: &str) {
    if ptr.is_null() {
        return;
    }
    release_guard(|nested| {
        let key = ptr.addr();
        let object = T::registry().remove(key).ok_or_else(|| {
            let e = not_live::<T>(key, name, func);
            FfiError::msg(e.code, Msg::FfiNothingFreed, &[&e.message])
        })?;
        drop_when_idle(object, nested);
        Ok(())
    })
}

/// Drops an object taken out of its registry once the calls still running on it have
/// returned (they hold the other references). `nested`: this thread is itself inside a pyun
/// call, which may be one on this object: waiting would never end, so this reference is let
/// go and the last call to return drops the object.
fn drop_when_idle<T>(mut object: Arc<T>, nested: bool) {
    if nested {
        return;
    }
    let mut pause = Duration::from_micros(50);
    loop {
        match Arc::try_unwrap(object) {
            Ok(last) => return drop(last),
            Err(shared) => {
                object = shared;
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(10));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU32;
    use std::time::Instant;

    static DROPS: AtomicU32 = AtomicU32::new(0);
    static TESTS: Registry<Probe> = Registry::new();

    struct Probe(u32);
    impl Drop for Probe {
        fn drop(&mut self) {
            DROPS.fetch_add(self.0, Ordering::SeqCst);
        }
    }
    impl Handle for Probe {
        const KIND: usize = 6;
        const TYPE: &'static str = "probe";
        fn registry() -> &'static Registry<Self> {
            &TESTS
        }
        fn charset(&self) -> Charset {
            Charset::Utf8
        }
    }

    /// A free while a call holds the object waits for the call, then drops it; a second free
    /// and a call after it are reported.
    #[test]
    fn free_waits_for_the_call_in_flight() {
        let h = TESTS.insert(Probe(1000));
        let key = h.addr();
        assert_ne!(key % 8, 0);
        let held = lookup(h as *const Probe, "p", "f").unwrap();
        let start = Instant::now();
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(150));
            drop(held);
        });
        release(h, "p", "probe_free");
        assert!(start.elapsed() >= Duration::from_millis(140));
        assert_eq!(DROPS.load(Ordering::SeqCst), 1000);
        t.join().unwrap();
        let e = lookup(h as *const Probe, "p", "probe_call").err().unwrap();
        assert_eq!(e.code, pyun_result::InvalidHandle);
        assert!(e.message.contains("already freed"), "{}", e.message);
        assert!(e.message.starts_with("probe_call: `p`"), "{}", e.message);
        // Not a handle at all, and a number of the right kind never issued.
        let e = not_live::<Probe>(0x1234, "p", "f");
        assert!(e.message.contains("never handed out"), "{}", e.message);
        let e = not_live::<Probe>(BASE.wrapping_add((MAX_ID - 1) << 3 | 6), "p", "f");
        assert!(e.message.contains("never handed out"), "{}", e.message);
        // A live handle of another type.
        let c = crate::client::pyun_client::registry().insert(crate::client::test_client());
        let e = not_live::<Probe>(c.addr(), "p", "f");
        assert!(
            e.message
                .ends_with("is not a probe: it is a live pyun_client"),
            "{}",
            e.message
        );
        release(c, "client", "f");
        let e = not_live::<Probe>(c.addr(), "p", "f");
        assert!(
            e.message.contains("a pyun_client that was already freed"),
            "{}",
            e.message
        );
    }

    #[test]
    fn ids_spread_over_the_shards() {
        let keys: Vec<usize> = (0..SHARDS).map(|_| TESTS.insert(Probe(0)).addr()).collect();
        let mut shards: Vec<usize> = keys.iter().map(|k| (k >> 3) % SHARDS).collect();
        shards.sort_unstable();
        shards.dedup();
        assert!(shards.len() > SHARDS / 2, "{:?}", shards);
        for k in keys {
            release::<Probe>(std::ptr::without_provenance_mut(k), "p", "f");
        }
    }

    /// What the registries add, in isolation (docs/BENCHMARKS.md):
    /// `cargo test --release -p pyun-ffi handle_costs -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn handle_costs() {
        const N: u32 = 1_000_000;
        let per_call = |t: Instant| t.elapsed().as_nanos() as f64 / f64::from(N);
        let sign = b"F58EDB51E299C99BE0E24D84739994CA";
        for _ in 0..3 {
            let t = Instant::now();
            for _ in 0..N {
                let s = crate::buffers::out_string(sign.to_vec());
                crate::buffers::free_buffer(std::hint::black_box(s) as *mut u8);
            }
            let recorded = per_call(t);
            let t = Instant::now();
            for _ in 0..N {
                // As `out_string` makes it: the bytes, then the NUL pushed.
                let mut v = sign.to_vec();
                v.extend_from_slice(b"\0");
                let p = Box::into_raw(v.into_boxed_slice());
                // SAFETY: `p` was made by `Box::into_raw` just above and is freed once.
                drop(unsafe { Box::from_raw(std::hint::black_box(p)) });
            }
            let bare = per_call(t);
            let h = TESTS.insert(Probe(0));
            let t = Instant::now();
            for _ in 0..N {
                drop(std::hint::black_box(lookup(h as *const Probe, "p", "f")));
            }
            let looked_up = per_call(t);
            release(h, "p", "f");
            println!(
                "a string handed out and freed: {:.1} ns recorded, {:.1} ns bare; a handle \
                 looked up and let go: {:.1} ns",
                recorded, bare, looked_up
            );
        }
    }
}
