//! The ids of committed enqueues, kept outside SQLite (`<db>-enqueued`), so that records the
//! database lost are noticed at open instead of vanishing: SQLite takes a WAL frame with a bad
//! checksum (one flipped bit) for the end of the log and quietly forgets every later commit.
//!
//! A fixed file of [`SLOTS`] slots: the record with id N is written to slot N % SLOTS after its
//! commit, then fsynced. The highest id in the file is therefore the highest committed id, and
//! the slots also name the endpoint and key of the last [`SLOTS`] records, which is what a loss
//! report can say about them. Writing a slot per id (instead of one "highest id" value) keeps
//! the file right when several processes enqueue into one database: each writes its own slot.
//! Each slot carries the database's tag (`PRAGMA user_version`, random per outbox), so the file
//! of a database that was replaced by a new one is not taken for its own.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use md5::{Digest, Md5};

use crate::Endpoint;

/// Slots in the file; more than the records a WAL holds between two checkpoints.
pub(super) const SLOTS: u64 = 256;
const SLOT: usize = 64;
const KEY_MAX: usize = 38;
const CHECKED: usize = 56;

/// One enqueued record, as the side file remembers it.
pub(super) struct Slot {
    pub id: i64,
    pub endpoint: Option<Endpoint>,
    pub key: String,
}

pub(super) struct Enqueued {
    file: Mutex<File>,
    tag: u32,
}

/// `<db>-enqueued`, next to SQLite's `-wal` and `-shm`.
pub(super) fn path_for(db: &Path) -> PathBuf {
    let mut p = db.as_os_str().to_owned();
    p.push("-enqueued");
    PathBuf::from(p)
}

impl Enqueued {
    pub fn open(db: &Path, tag: u32) -> io::Result<Enqueued> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path_for(db))?;
        Ok(Enqueued {
            file: Mutex::new(file),
            tag,
        })
    }

    /// The valid slots of this database (a torn or damaged slot is skipped).
    pub fn read(&self) -> io::Result<Vec<Slot>> {
        let mut bytes = Vec::new();
        let mut f = self.file.lock().unwrap_or_else(|e| e.into_inner());
        f.seek(SeekFrom::Start(0))?;
        f.read_to_end(&mut bytes)?;
        Ok(bytes
            .chunks_exact(SLOT)
            .filter_map(|s| self.decode(s))
            .collect())
    }

    fn decode(&self, s: &[u8]) -> Option<Slot> {
        let mut word = [0u8; 8];
        word.copy_from_slice(&s[..8]);
        let id = i64::from_le_bytes(word);
        let mut tag = [0u8; 4];
        tag.copy_from_slice(&s[8..12]);
        if id <= 0
            || u32::from_le_bytes(tag) != self.tag
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

    /// Records a committed enqueue durably.
    pub fn write(&self, id: i64, endpoint: Endpoint, key: &str) -> io::Result<()> {
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
        let check = Md5::digest(&s[..CHECKED]);
        s[CHECKED..].copy_from_slice(&check[..8]);
        let mut f = self.file.lock().unwrap_or_else(|e| e.into_inner());
        f.seek(SeekFrom::Start((id as u64 % SLOTS) * SLOT as u64))?;
        f.write_all(&s)?;
        f.sync_data()
    }
}
