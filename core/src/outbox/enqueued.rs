//! The ids of committed enqueues, kept outside SQLite (`<db>-enqueued`), so that records the
//! database lost are noticed at open instead of vanishing: SQLite takes a WAL frame with a bad
//! checksum (one flipped bit) for the end of the log and quietly forgets every later commit.
//!
//! A fixed file: a header naming the database it belongs to (its tag, `PRAGMA user_version`,
//! random per outbox), then [`SLOTS`] slots. The record with id N is written to slot N % SLOTS
//! after its commit (a grouped commit's slots in one write), then fsynced. The highest id in the
//! file is therefore the highest committed id, and the slots also name the endpoint and key of
//! the last [`SLOTS`] records, which is what a loss report can say about them. Writing a slot
//! per id (instead of one "highest id" value) keeps the file right when several processes
//! enqueue into one database: each writes its own slot. The file is made with the database, in
//! its creating transaction, at its full size, so that a missing, shortened, overwritten or
//! foreign file is told apart from a new outbox (see [`inspect`]): the evidence is never
//! silently absent.
//!
//! What the lag gives up: after a power cut (not a crashed process: its writes are in the
//! operating system's cache), the slots of records committed in the last [`SYNC_LAG`] may be
//! missing. The power cut itself cannot then take those records: their commits are padded to a
//! sector boundary (`store::open_padded`), so the torn write of the next commit never touches
//! them. A loss is still noticed whenever the damaged WAL also held an older record whose slot
//! was synced (SQLite drops every commit after the bad frame); it goes unnoticed only if, on top
//! of the power cut, a bit flips in the frames of those last records themselves.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use md5::{Digest, Md5};

use crate::messages::{Lang, Msg, Text};
use crate::Endpoint;

/// Slots in the file; more than the records a WAL holds between two checkpoints.
pub(super) const SLOTS: u64 = 256;
const SLOT: usize = 64;
/// The header (one slot's size) and the slots.
const LEN: u64 = SLOT as u64 * (SLOTS + 1);
const MAGIC: &[u8; 16] = b"pyun-enqueued-1\0";
const KEY_MAX: usize = 38;
const CHECKED: usize = 56;

/// One enqueued record, as the side file remembers it.
pub(super) struct Slot {
    pub id: i64,
    pub endpoint: Option<Endpoint>,
    pub key: String,
}

/// What the side file next to a database says.
pub(super) enum Evidence {
    /// There is none.
    Missing,
    /// Empty: made, never written (a crash while the database was being created).
    Empty,
    /// It cannot be read (a directory, no permission): the error.
    Unreadable(io::Error),
    /// Not a side file, or damaged: what is wrong.
    Damaged(Text),
    /// A side file of the database with this tag, and its valid slots.
    Of { tag: u32, slots: Vec<Slot> },
}

/// How long a written slot may wait for its fsync. One sync per this period at most, whatever
/// the enqueue rate; short, because it is the window a power cut can open (see above).
pub(super) const SYNC_LAG: Duration = Duration::from_millis(100);

pub(super) struct Enqueued {
    shared: Arc<Shared>,
    /// Syncs the file; stopped and joined on drop, after a last sync.
    flusher: Option<JoinHandle<()>>,
    tag: u32,
}

/// What the enqueues and the flusher thread share.
struct Shared {
    /// Written by enqueues (a seek, then a write).
    file: Mutex<File>,
    /// The same file, synced without the lock, so that no enqueue waits for the sync.
    sync: File,
    flush: Mutex<Flush>,
    cv: Condvar,
    /// For the log.
    path: PathBuf,
}

#[derive(Default)]
struct Flush {
    /// A slot was written since the last sync began.
    dirty: bool,
    stop: bool,
}

/// `<db>-enqueued`, next to SQLite's `-wal` and `-shm`.
pub(super) fn path_for(db: &Path) -> PathBuf {
    let mut p = db.as_os_str().to_owned();
    p.push("-enqueued");
    PathBuf::from(p)
}

/// Reads the side file of `db`.
pub(super) fn inspect(db: &Path) -> Evidence {
    let path = path_for(db);
    let mut bytes = Vec::new();
    let read = File::open(&path).and_then(|mut f| f.read_to_end(&mut bytes));
    match read {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Evidence::Missing,
        Err(e) => return Evidence::Unreadable(e),
        Ok(_) => {}
    }
    if bytes.is_empty() {
        return Evidence::Empty;
    }
    if bytes.len() as u64 != LEN {
        return Evidence::Damaged(Text::new(Msg::SideFileLength, &[&bytes.len(), &LEN]));
    }
    let (header, slots) = bytes.split_at(SLOT);
    if header[..16] != MAGIC[..] || header[56..] != Md5::digest(&header[..CHECKED])[..8] {
        return Evidence::Damaged(Msg::SideFileHeader.into());
    }
    let tag = u32::from_le_bytes([header[16], header[17], header[18], header[19]]);
    let mut valid = Vec::new();
    for (i, s) in slots.chunks_exact(SLOT).enumerate() {
        if s.iter().all(|b| *b == 0) {
            continue;
        }
        match decode(s, tag) {
            Some(slot) => valid.push(slot),
            None => return Evidence::Damaged(Text::new(Msg::SideFileSlot, &[&i])),
        }
    }
    Evidence::Of { tag, slots: valid }
}

fn decode(s: &[u8], tag: u32) -> Option<Slot> {
    let mut word = [0u8; 8];
    word.copy_from_slice(&s[..8]);
    let id = i64::from_le_bytes(word);
    if id <= 0
        || u32::from_le_bytes([s[8], s[9], s[10], s[11]]) != tag
        || s[56..] != Md5::digest(&s[..CHECKED])[..8]
    {
        return None;
    }
    let len = (s[13] as usize).min(KEY_MAX);
    Some(Slot {
        id,
        endpoint: Endpoint::ALL.get(s[12] as usize).copied(),
        key: String::from_utf8_lossy(&s[14..14 + len]).into_owned(),
    })
}

fn sealed(mut s: [u8; SLOT]) -> [u8; SLOT] {
    let check = Md5::digest(&s[..CHECKED]);
    s[CHECKED..].copy_from_slice(&check[..8]);
    s
}

impl Enqueued {
    /// Makes a new side file for the database with `tag` (replacing any file there), durably.
    pub fn create(db: &Path, tag: u32) -> io::Result<()> {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(path_for(db))?;
        let mut header = [0u8; SLOT];
        header[..16].copy_from_slice(MAGIC);
        header[16..20].copy_from_slice(&tag.to_le_bytes());
        let mut bytes = sealed(header).to_vec();
        bytes.resize(LEN as usize, 0);
        file.write_all(&bytes)?;
        file.sync_all()?;
        sync_dir(db);
        Ok(())
    }

    /// Opens the side file [`inspect`] found to be the database's own.
    pub fn open(db: &Path, tag: u32) -> io::Result<Enqueued> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path_for(db))?;
        let shared = Arc::new(Shared {
            sync: file.try_clone()?,
            file: Mutex::new(file),
            flush: Mutex::new(Flush::default()),
            cv: Condvar::new(),
            path: path_for(db),
        });
        let flusher = {
            let shared = shared.clone();
            std::thread::Builder::new()
                .name("pyun-outbox-enqueued".into())
                .spawn(move || shared.flush_loop())?
        };
        Ok(Enqueued {
            shared,
            flusher: Some(flusher),
            tag,
        })
    }

    /// Records committed enqueues (id, endpoint, key), in one write per run of adjacent slots;
    /// the file is synced within [`SYNC_LAG`].
    pub fn write(&self, records: &[(i64, Endpoint, &str)]) -> io::Result<()> {
        if records.is_empty() {
            return Ok(());
        }
        let mut runs: Vec<(u64, Vec<u8>)> = Vec::new();
        for &(id, endpoint, key) in records {
            let at = id as u64 % SLOTS;
            let slot = self.slot(id, endpoint, key);
            match runs.last_mut() {
                Some((start, bytes)) if *start + (bytes.len() / SLOT) as u64 == at => {
                    bytes.extend_from_slice(&slot)
                }
                _ => runs.push((at, slot.to_vec())),
            }
        }
        {
            let mut f = self.shared.file.lock().unwrap_or_else(|e| e.into_inner());
            for (at, bytes) in runs {
                f.seek(SeekFrom::Start(SLOT as u64 + at * SLOT as u64))?;
                f.write_all(&bytes)?;
            }
        }
        let mut flush = self.shared.flush.lock().unwrap_or_else(|e| e.into_inner());
        // Only the first write since the last sync wakes the flusher: it then waits out the
        // lag, and a wake per write would only cost it a context switch each.
        if !flush.dirty {
            flush.dirty = true;
            self.shared.cv.notify_one();
        }
        Ok(())
    }

    /// The sealed slot of one record.
    fn slot(&self, id: i64, endpoint: Endpoint, key: &str) -> [u8; SLOT] {
        let mut s = [0u8; SLOT];
        s[..8].copy_from_slice(&id.to_le_bytes());
        s[8..12].copy_from_slice(&self.tag.to_le_bytes());
        s[12] = Endpoint::ALL
            .iter()
            .position(|e| *e == endpoint)
            .unwrap_or(255) as u8;
        let mut len = key.len().min(KEY_MAX);
        while !key.is_char_boundary(len) {
            len -= 1;
        }
        s[13] = len as u8;
        s[14..14 + len].copy_from_slice(&key.as_bytes()[..len]);
        sealed(s)
    }
}

impl Drop for Enqueued {
    /// The last slots are synced before the outbox is let go, and the thread (which may log)
    /// has ended when this returns.
    fn drop(&mut self) {
        self.shared
            .flush
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .stop = true;
        self.shared.cv.notify_one();
        if let Some(flusher) = self.flusher.take() {
            let _ = flusher.join();
        }
    }
}

impl Shared {
    /// Syncs the file [`SYNC_LAG`] after a slot was written (at once when stopping), until
    /// stopped with nothing left to sync.
    fn flush_loop(&self) {
        let lock = || self.flush.lock().unwrap_or_else(|e| e.into_inner());
        let mut st = lock();
        loop {
            while !st.dirty && !st.stop {
                st = self.cv.wait(st).unwrap_or_else(|e| e.into_inner());
            }
            if !st.dirty {
                return;
            }
            let deadline = Instant::now() + SYNC_LAG;
            while !st.stop {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                st = self
                    .cv
                    .wait_timeout(st, left)
                    .unwrap_or_else(|e| e.into_inner())
                    .0;
            }
            st.dirty = false;
            drop(st);
            // Logged with no lock held: the log may call back into the host.
            if let Err(e) = self.sync.sync_data() {
                log::error!(
                    "{}",
                    Msg::SideFileNotSynced.text(Lang::from_env(), &[&self.path.display(), &e])
                );
            }
            st = lock();
        }
    }
}

/// The new file's name on the disk too (its directory entry), where the platform allows it.
fn sync_dir(db: &Path) {
    #[cfg(unix)]
    if let Some(dir) = db.parent() {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
    #[cfg(not(unix))]
    let _ = db;
}
