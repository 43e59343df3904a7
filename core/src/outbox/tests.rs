//! Conditions that need the outbox's own connection or a second one on its file. The
//! delivery paths are tested against the sandbox in `sandbox/tests/outbox.rs`.

use rusqlite::params;

use super::delivery::Mark;
use super::*;
use crate::client::{Client, RetryPolicy};
use crate::form::{FileField, FileSource};
use crate::record::AnyRecord;
use crate::Endpoint;

/// `q.db` in a fresh directory of its own, removed with everything in it when dropped: the
/// bit-flip tests make a hundred copies of an outbox per run. Shared by the outbox's other test
/// modules; drop the outbox before its `Scratch` (declare it after).
pub(super) struct Scratch(PathBuf);

impl std::ops::Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for Scratch {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Some(dir) = self.0.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// `name` must be unique among the outbox's unit tests: they run in one process at once.
pub(super) fn tmp(name: &str) -> Scratch {
    Scratch(pyun_test_support::scratch_dir("outbox-unit", name).join("q.db"))
}

fn leave(serial: &str) -> AnyRecord {
    let mut v: serde_json::Value =
        serde_json::from_str(include_str!("../../../examples/data/leave.json")).unwrap();
    v["parking_serial"] = serial.into();
    AnyRecord::from_value(Endpoint::Leave, v).unwrap()
}

fn enter(serial: &str) -> AnyRecord {
    let mut v: serde_json::Value =
        serde_json::from_str(include_str!("../../../examples/data/enter.json")).unwrap();
    v["parking_serial"] = serial.into();
    AnyRecord::from_value(Endpoint::Enter, v).unwrap()
}

fn photo() -> Vec<(FileField, FileSource)> {
    let bytes: &[u8] = include_bytes!("../../../examples/data/leave.bmp");
    vec![(FileField::LeaveImage, FileSource::Bytes(bytes.into()))]
}

/// A client whose every request fails fast: nothing listens on port 1.
pub(super) fn unreachable() -> Client {
    let mut c = crate::ClientConfig::new("secret");
    c.base_url = "http://127.0.0.1:1".into();
    c.retry = RetryPolicy {
        max_attempts: 1,
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(1),
    };
    Client::new(c).unwrap()
}

/// Options under which a lone leave is due at once (no enter is ever queued in these tests).
fn no_grace() -> OutboxOptions {
    OutboxOptions {
        leave_grace: Duration::ZERO,
        ..OutboxOptions::default()
    }
}

fn pending_ids(path: &Path) -> Vec<i64> {
    let c = Connection::open(path).unwrap();
    let mut st = c
        .prepare("SELECT id FROM records WHERE state = 'pending' ORDER BY id")
        .unwrap();
    let ids = st.query_map([], |r| r.get(0)).unwrap();
    ids.collect::<rusqlite::Result<Vec<i64>>>().unwrap()
}

/// Copies the outbox's files as they are on the disk now, as a power cut leaves them.
fn snapshot(path: &Path, name: &str) -> Scratch {
    let copy = tmp(name);
    for suffix in ["", "-wal", "-enqueued"] {
        let from = PathBuf::from(format!("{}{}", path.display(), suffix));
        if from.exists() {
            std::fs::copy(&from, format!("{}{}", copy.display(), suffix)).unwrap();
        }
    }
    copy
}

fn flip_bit(path: &Path, offset: usize) {
    let mut bytes = std::fs::read(path).unwrap();
    bytes[offset] ^= 0x10;
    std::fs::write(path, &bytes).unwrap();
}

/// A reader of another process holding an old snapshot: while it lives, no checkpoint can
/// move records out of the WAL.
fn pin_wal(path: &Path) -> Connection {
    let reader = Connection::open(path).unwrap();
    reader.execute_batch("BEGIN").unwrap();
    let _: i64 = reader
        .query_row("SELECT COUNT(*) FROM records", [], |r| r.get(0))
        .unwrap();
    reader
}

/// Opens a damaged copy: either every committed record is there, or the open says which
/// were lost. Never a quietly smaller queue. The same holds for an outbox opened to read it,
/// tried first on a copy of the copy.
fn all_or_a_clear_report(copy: &Path, committed: u64, what: &str) -> bool {
    let dir = copy.parent().and_then(|d| d.file_name()).unwrap();
    let again = snapshot(copy, &format!("{}-read", dir.to_string_lossy()));
    opened_all_or_a_clear_report(
        Outbox::open_to_read(&again, OutboxOptions::default()),
        committed,
        &format!("{} (opened to read)", what),
    );
    opened_all_or_a_clear_report(
        Outbox::open(copy, OutboxOptions::default()),
        committed,
        what,
    )
}

fn opened_all_or_a_clear_report(opened: crate::Result<Outbox>, committed: u64, what: &str) -> bool {
    match opened {
        Ok(ob) => {
            let c = ob.counts().unwrap();
            assert_eq!(
                c.pending + c.dead,
                committed,
                "{}: committed records vanished silently",
                what
            );
            false
        }
        Err(e) => {
            let text = e.to_string();
            assert!(
                text.contains("lost") || text.contains("damaged") || text.contains("corrupt"),
                "{}: {}",
                what,
                text
            );
            true
        }
    }
}

#[test]
fn a_flipped_bit_in_the_wal_never_loses_committed_records_silently() {
    let path = tmp("walflip");
    let ob = Outbox::open(&path, OutboxOptions::default()).unwrap();
    // The worst case: no checkpoint can move the records out of the WAL.
    let reader = pin_wal(&path);
    for i in 0..30 {
        ob.enqueue(&leave(&format!("W-{:02}", i)), &photo())
            .unwrap();
    }
    let wal = PathBuf::from(format!("{}-wal", path.display()));
    let frame = 24 + 4096;
    let frames = (std::fs::metadata(&wal).unwrap().len() as usize - 32) / frame;
    assert!(frames > 30, "{} frames", frames);
    let mut reported = 0;
    for f in (0..frames).step_by(frames / 12) {
        let copy = snapshot(&path, &format!("walflip-{}", f));
        flip_bit(
            Path::new(&format!("{}-wal", copy.display())),
            32 + f * frame + 24 + 2000,
        );
        if all_or_a_clear_report(&copy, 30, &format!("WAL frame {} of {}", f, frames)) {
            reported += 1;
            // Reported once, loudly; the loss stays visible among the dead letters.
            let ob = Outbox::open(&copy, OutboxOptions::default()).unwrap();
            let c = ob.counts().unwrap();
            assert_eq!(c.pending + c.dead, 30, "{:?}", c);
            let dead = ob.dead_letters().unwrap();
            assert!(
                dead.iter()
                    .all(|d| d.error.to_string().starts_with("LOST") && d.key.starts_with("W-")),
                "{:?}",
                dead
            );
            assert_eq!(
                dead.last().map(|d| (d.id, d.key.as_str())),
                Some((30, "W-29"))
            );
        }
    }
    assert!(reported > 0, "no flip was reported");
    drop(reader);
}

#[test]
fn a_power_cut_tearing_the_next_commit_never_takes_an_acknowledged_record_along() {
    // The -enqueued file is synced up to SYNC_LAG after a commit (enqueued.rs), so a power cut
    // may take the last record's slot. It must not also take the record: the first write of
    // the next commit (the one a power cut tears) must not touch a sector that holds it.
    let path = tmp("torn");
    let ob = Outbox::open(&path, OutboxOptions::default()).unwrap();
    let reader = pin_wal(&path);
    for i in 0..3 {
        ob.enqueue(&leave(&format!("T-{}", i)), &photo()).unwrap();
    }
    let copy = snapshot(&path, "torn-copy");
    drop(reader);
    // The last record's slot (id 3), as if its sync had not happened before the cut.
    let side = enqueued::path_for(&copy);
    let mut bytes = std::fs::read(&side).unwrap();
    let slot = 64 + 3 * 64;
    assert!(bytes[slot..slot + 64].iter().any(|b| *b != 0));
    bytes[slot..slot + 64].fill(0);
    std::fs::write(&side, &bytes).unwrap();
    // The 4 KB sector in which the next commit would begin, torn.
    let wal = PathBuf::from(format!("{}-wal", copy.display()));
    let mut bytes = std::fs::read(&wal).unwrap();
    let start = bytes.len() / 4096 * 4096;
    assert!(start < bytes.len(), "the log ends on a sector boundary");
    bytes[start..].fill(0x5A);
    std::fs::write(&wal, &bytes).unwrap();
    let ob = Outbox::open(&copy, OutboxOptions::default()).unwrap();
    assert_eq!(
        ob.counts().unwrap().pending,
        3,
        "an acknowledged record vanished"
    );
}

/// A WAL lost whole (a flipped bit in its first frame) takes every record that lives only in
/// it: lone enqueues, checkpointed by the count of records and not by SQLite's count of pages,
/// never leave more of them there than half the side file's slots, so a loss report names
/// each one's endpoint and key.
#[test]
fn lone_enqueues_never_leave_more_records_in_the_wal_than_the_side_file_can_name() {
    let path = tmp("walbound");
    let ob = Outbox::open(&path, OutboxOptions::default()).unwrap();
    let main_only = tmp("walbound-main");
    let mut most = 0;
    for i in 1..=300 {
        ob.enqueue(&enter(&format!("B-{:03}", i)), &[]).unwrap();
        // The main file alone: what is left when the WAL is lost.
        std::fs::copy(&*path, &*main_only).unwrap();
        let in_main: i64 = Connection::open(&*main_only)
            .unwrap()
            .query_row("SELECT COUNT(*) FROM records", [], |r| r.get(0))
            .unwrap();
        for suffix in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{}", main_only.display(), suffix));
        }
        most = most.max(i - in_main);
    }
    assert!(most > 0, "no record ever lived only in the WAL");
    assert!(
        most <= (enqueued::SLOTS / 2) as i64,
        "{} records lived only in the WAL",
        most
    );
}

#[test]
fn a_path_with_uri_characters_is_the_file_opened() {
    // The unix open goes through an SQLite URI (store::open_padded): `%`, `?`, `#`, spaces and
    // CJK in the path must name the file itself, not a query or an escape.
    let scratch = tmp("uri");
    let dir = scratch.parent().unwrap().to_path_buf();
    let path = dir.join("a b%41?psow=1#x 停车.db");
    let ob = Outbox::open(&path, OutboxOptions::default()).unwrap();
    ob.enqueue(&leave("U-1"), &photo()).unwrap();
    drop(ob);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "a b%41?psow=1#x 停车.db",
            "a b%41?psow=1#x 停车.db-enqueued"
        ]
    );
    assert_eq!(pending_ids(&path), [1]);
}

#[test]
fn a_flipped_bit_in_the_database_file_never_loses_committed_records_silently() {
    let path = tmp("dbflip");
    {
        let ob = Outbox::open(&path, OutboxOptions::default()).unwrap();
        for i in 0..30 {
            ob.enqueue(&leave(&format!("D-{:02}", i)), &photo())
                .unwrap();
        }
    } // closed: everything is in the main file
    let len = std::fs::metadata(&path).unwrap().len() as usize;
    for (n, offset) in (0..len).step_by(len / 97).enumerate() {
        let copy = snapshot(&path, &format!("dbflip-{}", n));
        flip_bit(&copy, offset);
        all_or_a_clear_report(&copy, 30, &format!("main file offset {}", offset));
    }
}

/// Lets the outbox's connection grow its file by `more` pages only: SQLite then answers
/// SQLITE_FULL exactly as on ENOSPC.
fn limit_pages(ob: &Outbox, more: i64) {
    let pages: i64 = ob
        .conn()
        .query_row("PRAGMA page_count", [], |r| r.get(0))
        .unwrap();
    ob.conn()
        .query_row(
            &format!("PRAGMA max_page_count = {}", pages + more),
            [],
            |_| Ok(()),
        )
        .unwrap();
}

#[test]
fn a_full_disk_at_enqueue_stores_nothing_and_says_so() {
    // Simulated with SQLite's max_page_count on the outbox's own connection: SQLite answers
    // SQLITE_FULL exactly as on ENOSPC. sandbox/tests/outbox.rs fills a real tmpfs when it
    // may mount one.
    let path = tmp("full");
    let ob = Outbox::open(&path, OutboxOptions::default()).unwrap();
    ob.enqueue(&leave("F-0"), &photo()).unwrap();
    limit_pages(&ob, 40);
    let mut stored = 1;
    let err = loop {
        match ob.enqueue(&leave(&format!("F-{}", stored)), &photo()) {
            Ok(_) => stored += 1,
            Err(e) => break e,
        }
        assert!(stored < 10, "the page limit was not hit");
    };
    let text = err.to_string();
    assert!(matches!(err, Error::Store(_)), "{:?}", err);
    assert!(
        text.contains("NOT stored") && text.contains("full"),
        "{}",
        text
    );
    assert_eq!(ob.counts().unwrap().pending, stored);
    // Room again: enqueueing works, and nothing stored before was touched.
    ob.conn()
        .query_row("PRAGMA max_page_count = 1073741823", [], |_| Ok(()))
        .unwrap();
    ob.enqueue(&leave("F-after"), &photo()).unwrap();
    assert_eq!(
        pending_ids(&path),
        (1..=stored as i64 + 1).collect::<Vec<_>>()
    );
}

#[test]
fn a_read_only_database_at_enqueue_stores_nothing_and_says_so() {
    // Simulated with PRAGMA query_only; sandbox/tests/outbox.rs remounts a real tmpfs
    // read-only when it may.
    let path = tmp("ro");
    let ob = Outbox::open(&path, OutboxOptions::default()).unwrap();
    ob.enqueue(&leave("R-0"), &photo()).unwrap();
    ob.conn().pragma_update(None, "query_only", true).unwrap();
    let err = ob.enqueue(&leave("R-1"), &photo()).unwrap_err();
    assert!(err.to_string().contains("NOT stored"), "{}", err);
    ob.conn().pragma_update(None, "query_only", false).unwrap();
    assert_eq!(ob.counts().unwrap().pending, 1);
    ob.enqueue(&leave("R-2"), &photo()).unwrap();
    // Nothing of the refused record was written, not even its id.
    assert_eq!(pending_ids(&path), vec![1, 2]);
}

#[test]
fn a_photo_damaged_inside_the_database_is_dead_lettered_not_sent() {
    let path = tmp("tamper");
    let ob = Outbox::open(&path, no_grace()).unwrap();
    let id = ob.enqueue(&leave("T-1"), &photo()).unwrap();
    // The stored record pins the photo's MD5.
    let json: String = ob
        .conn()
        .query_row("SELECT record_json FROM records WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .unwrap();
    let md5 = crate::form::md5_hex(include_bytes!("../../../examples/data/leave.bmp"));
    assert!(
        json.contains(&format!("\"leave_image_hash\":\"{}\"", md5)),
        "{}",
        json
    );
    // One byte of the stored photo changes (a bad sector, a stray write).
    let other = Connection::open(&path).unwrap();
    let mut bytes: Vec<u8> = other
        .query_row("SELECT bytes FROM files WHERE record_id = ?1", [id], |r| {
            r.get(0)
        })
        .unwrap();
    bytes[1000] ^= 0xFF;
    other
        .execute(
            "UPDATE files SET bytes = ?2 WHERE record_id = ?1",
            params![id, bytes],
        )
        .unwrap();
    let report = ob.drain(&unreachable()).unwrap();
    assert_eq!((report.dead, report.retried), (1, 0), "{:?}", report);
    let dead = ob.dead_letters().unwrap();
    assert!(
        dead[0].error.to_string().contains("leave_image_hash")
            && dead[0].error.to_string().contains("MD5"),
        "{:?}",
        dead[0]
    );
}

#[test]
fn an_unreadable_stored_record_is_dead_lettered_and_does_not_block_the_queue() {
    let path = tmp("poison");
    let ob = Outbox::open(&path, no_grace()).unwrap();
    let bad = ob.enqueue(&leave("P-1"), &[]).unwrap();
    let next = ob.enqueue(&leave("P-2"), &[]).unwrap();
    Connection::open(&path)
        .unwrap()
        .execute(
            "UPDATE records SET record_json = '{not json' WHERE id = ?1",
            [bad],
        )
        .unwrap();
    let report = ob.drain(&unreachable()).unwrap();
    assert_eq!((report.dead, report.retried), (1, 1), "{:?}", report);
    let dead = ob.dead_letters().unwrap();
    assert_eq!(dead[0].id, bad);
    assert!(
        dead[0].error.to_string().contains("cannot be read"),
        "{:?}",
        dead[0]
    );
    // The next one was tried (and backs off: nothing listens).
    assert_eq!(pending_ids(&path), vec![next]);
}

#[test]
fn an_accepted_record_keeps_its_hash_not_its_photo() {
    let path = tmp("done");
    let ob = Outbox::open(&path, OutboxOptions::default()).unwrap();
    let id = ob.enqueue(&leave("D-1"), &photo()).unwrap();
    ob.write_marks(&mut vec![Mark::Done {
        id,
        attempts: 1,
        at: now_ms(),
        seqno: Some("S".into()),
        response: None,
    }])
    .unwrap();
    let (len, md5): (i64, String) = ob
        .conn()
        .query_row(
            "SELECT length(bytes), md5 FROM files WHERE record_id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let expected = crate::form::md5_hex(include_bytes!("../../../examples/data/leave.bmp"));
    assert_eq!((len, md5), (0, expected));
    assert_eq!(ob.counts().unwrap().done, 1);
}

#[test]
fn another_programs_database_is_refused_and_left_untouched() {
    let path = tmp("foreign");
    {
        let c = Connection::open(&path).unwrap();
        c.execute_batch("CREATE TABLE users (name TEXT); INSERT INTO users VALUES ('x');")
            .unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    let err = Outbox::open(&path, OutboxOptions::default()).unwrap_err();
    assert!(err.to_string().contains("another program"), "{}", err);
    assert_eq!(std::fs::read(&path).unwrap(), before);
    assert!(!Path::new(&format!("{}-wal", path.display())).exists());
}

#[test]
fn a_damaged_database_is_refused_and_left_untouched() {
    let path = tmp("damaged");
    {
        let ob = Outbox::open(&path, OutboxOptions::default()).unwrap();
        for i in 0..300 {
            ob.enqueue(&leave(&format!("C-{}", i)), &[]).unwrap();
        }
    } // closed: the WAL is checkpointed into the file and removed
    let mut bytes = std::fs::read(&path).unwrap();
    let page = 4096;
    assert!(bytes.len() > 20 * page, "{}", bytes.len());
    // Garbage over three b-tree pages in the middle of the records table.
    for b in &mut bytes[10 * page..13 * page] {
        *b = 0x5A;
    }
    std::fs::write(&path, &bytes).unwrap();
    let err = Outbox::open(&path, OutboxOptions::default()).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("damaged") && text.contains("left untouched"),
        "{}",
        text
    );
    assert_eq!(std::fs::read(&path).unwrap(), bytes, "the file was changed");
    // A new file next to it is a fresh outbox.
    let fresh = path.with_file_name("fresh.db");
    assert_eq!(
        Outbox::open(&fresh, OutboxOptions::default())
            .unwrap()
            .counts()
            .unwrap(),
        OutboxCounts::default()
    );
}

#[test]
fn an_outbox_opened_to_read_writes_nothing_even_when_damaged() {
    let path = tmp("toread");
    {
        let ob = Outbox::open(&path, OutboxOptions::default()).unwrap();
        for i in 0..300 {
            ob.enqueue(&leave(&format!("R-{}", i)), &[]).unwrap();
        }
    } // closed: the WAL is checkpointed into the file and removed
      // Intact: reads like any outbox, and refuses to write.
    let before = std::fs::read(&path).unwrap();
    {
        let ob = Outbox::open_to_read(&path, OutboxOptions::default()).unwrap();
        assert_eq!(ob.counts().unwrap().pending, 300);
        assert_eq!(ob.find("R-7").unwrap().len(), 1);
        let err = ob.enqueue(&leave("R-new"), &[]).unwrap_err();
        assert!(err.to_string().contains("readonly"), "{}", err);
        assert!(ob.retry_dead(None).is_err());
    }
    assert_eq!(std::fs::read(&path).unwrap(), before, "the reader wrote");
    let ob = Outbox::open(&path, OutboxOptions::default()).unwrap();
    assert_eq!(ob.counts().unwrap().pending, 300);
    assert!(ob.find("R-new").unwrap().is_empty());
    drop(ob);
    // Damaged in the middle, where the records are (the schema and the tallies are in the
    // first pages): the reader still counts, writes nothing, and the whole-file check of the
    // next writer refuses the file.
    let mut bytes = std::fs::read(&path).unwrap();
    let middle = bytes.len() / 4096 / 2 * 4096;
    for b in &mut bytes[middle..middle + 3 * 4096] {
        *b = 0x5A;
    }
    std::fs::write(&path, &bytes).unwrap();
    {
        let ob = Outbox::open_to_read(&path, OutboxOptions::default()).unwrap();
        assert_eq!(ob.counts().unwrap().pending, 300);
        assert!(ob.enqueue(&leave("R-new"), &[]).is_err());
    }
    assert_eq!(std::fs::read(&path).unwrap(), bytes, "the reader wrote");
    let err = Outbox::open(&path, OutboxOptions::default()).unwrap_err();
    assert!(err.to_string().contains("damaged"), "{}", err);
}

/// 16 threads enqueue at once (group commit, `group.rs`): every enqueue gets its own id, and
/// after a reopen every record is there exactly once, under that id, with nothing reported
/// lost.
#[test]
fn concurrent_enqueues_are_all_stored_once_under_their_own_ids() {
    let path = tmp("group");
    let ob = Outbox::open(&path, OutboxOptions::default()).unwrap();
    let (threads, each) = (16, 25);
    let barrier = std::sync::Barrier::new(threads);
    let returned: Vec<(i64, String)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (ob, barrier) = (&ob, &barrier);
                s.spawn(move || {
                    barrier.wait();
                    (0..each)
                        .map(|i| {
                            let serial = format!("G-{}-{}", t, i);
                            // Every other record with its photo: rows of unlike sizes share commits.
                            let files = if i % 2 == 0 { photo() } else { Vec::new() };
                            let rec = if files.is_empty() {
                                enter(&serial)
                            } else {
                                leave(&serial)
                            };
                            (ob.enqueue(&rec, &files).unwrap(), serial)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    drop(ob);
    let ob = Outbox::open(&path, OutboxOptions::default()).unwrap();
    let mut expected = returned.clone();
    expected.sort();
    let stored: Vec<(i64, String)> = {
        let c = ob.conn();
        let mut st = c
            .prepare("SELECT id, serial FROM records ORDER BY id")
            .unwrap();
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
        rows.collect::<rusqlite::Result<_>>().unwrap()
    };
    assert_eq!(stored.len(), threads * each);
    assert_eq!(stored, expected);
    let photos: i64 = ob
        .conn()
        .query_row("SELECT COUNT(*) FROM files", [], |r| r.get(0))
        .unwrap();
    assert_eq!(photos as usize, threads * each.div_ceil(2));
}

/// A full disk while 16 threads enqueue at once: every one of them gets the error naming the
/// cause, none is stored, and after a reopen the outbox holds what it held before.
#[test]
fn a_full_disk_fails_every_waiting_enqueue_and_stores_none() {
    let path = tmp("group-full");
    let ob = Outbox::open(&path, OutboxOptions::default()).unwrap();
    ob.enqueue(&leave("GF-0"), &photo()).unwrap();
    // Not one more page: each photo (57 KB) needs several.
    limit_pages(&ob, 0);
    let threads = 16;
    let barrier = std::sync::Barrier::new(threads);
    let errors: Vec<Error> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (ob, barrier) = (&ob, &barrier);
                s.spawn(move || {
                    barrier.wait();
                    ob.enqueue(&leave(&format!("GF-{}", t + 1)), &photo())
                        .unwrap_err()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for err in &errors {
        let text = err.to_string();
        assert!(matches!(err, Error::Store(_)), "{:?}", err);
        assert!(
            text.contains("NOT stored") && text.contains("disk full"),
            "{}",
            text
        );
    }
    assert_eq!(ob.counts().unwrap().pending, 1);
    drop(ob);
    let ob = Outbox::open(&path, OutboxOptions::default()).unwrap();
    assert_eq!(pending_ids(&path), vec![1]);
    // Room again (a new connection has no page limit): enqueueing goes on.
    assert_eq!(ob.enqueue(&leave("GF-after"), &photo()).unwrap(), 2);
}
