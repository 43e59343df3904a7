//! The tallies the schema's triggers keep (counts by state, per-minute counts and latencies,
//! issues 26 and 27) against a recount of the records after every kind of write, and an
//! outbox made by the previous pyun opened, migrated and kept whole.

use std::path::Path;

use super::delivery::Mark;
use super::tests::tmp;
use super::tests_delivery::update;
use super::*;

/// Rows of a query, each as text (for comparing two queries' answers).
fn rows(c: &Connection, sql: &str) -> Vec<String> {
    let mut st = c.prepare(sql).unwrap();
    let n = st.column_count();
    st.query_map([], |r| {
        (0..n)
            .map(|i| {
                r.get::<_, rusqlite::types::Value>(i)
                    .map(|v| format!("{:?}", v))
            })
            .collect::<rusqlite::Result<Vec<_>>>()
            .map(|v| v.join("|"))
    })
    .unwrap()
    .collect::<rusqlite::Result<Vec<_>>>()
    .unwrap()
}

/// Asserts that the tallies are what counting the records gives (`history`: no record was
/// purged, so the per-minute tallies still cover every record).
fn assert_tallies(path: &Path, history: bool, what: &str) {
    let c = Connection::open(path).unwrap();
    assert_eq!(
        rows(
            &c,
            "SELECT state, n FROM state_counts WHERE n != 0 ORDER BY state"
        ),
        rows(
            &c,
            "SELECT state, COUNT(*) FROM records GROUP BY state ORDER BY state"
        ),
        "{}: counts by state",
        what
    );
    if !history {
        // Purged: only the minutes of the purge are gone (the current one keeps counting
        // what was accepted in it).
        let now = now_ms() / 60_000;
        for table in ["minute_counts", "minute_latency"] {
            let old: i64 = c
                .query_row(
                    &format!("SELECT COUNT(*) FROM {} WHERE minute < ?1", table),
                    [now],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(old, 0, "{}: {} of purged minutes", what, table);
        }
        return;
    }
    assert_eq!(
        rows(
            &c,
            "SELECT minute, enqueued FROM minute_counts WHERE enqueued > 0 ORDER BY minute"
        ),
        rows(
            &c,
            "SELECT created_ms / 60000 AS m, COUNT(*) FROM records GROUP BY m ORDER BY m"
        ),
        "{}: enqueued per minute",
        what
    );
    assert_eq!(
        rows(&c, "SELECT minute, accepted FROM minute_counts WHERE accepted > 0 ORDER BY minute"),
        rows(&c, "SELECT finished_ms / 60000 AS m, COUNT(*) FROM records WHERE state = 'done' GROUP BY m ORDER BY m"),
        "{}: accepted per minute",
        what
    );
    assert_eq!(
        rows(
            &c,
            "SELECT minute, SUM(n) FROM minute_latency GROUP BY minute ORDER BY minute"
        ),
        rows(
            &c,
            "SELECT minute, accepted FROM minute_counts WHERE accepted > 0 ORDER BY minute"
        ),
        "{}: one latency per acceptance",
        what
    );
}

fn done(id: i64, at: i64) -> Mark {
    Mark::Done {
        id,
        attempts: 1,
        at,
        seqno: Some("SEQ".into()),
        response: None,
    }
}

fn dead(id: i64) -> Mark {
    Mark::Dead {
        id,
        attempts: 1,
        at: now_ms(),
        seqno: None,
        response: Some(r#"{"code":"400","message":"缺少必填字段"}"#.into()),
        diagnosis: None,
        error: "refused".into(),
    }
}

#[test]
fn the_tallies_follow_every_write_and_the_chart_reads_them() {
    // Records are accepted below up to 1.3 s after their enqueue, and the series ends at the
    // current minute: begun in a minute's last seconds, an acceptance fell in the next minute,
    // past the series (seen once in CI: 1 of 3 counted). So begin in a minute with 5 s left:
    // polled until the clock says so (at most the 5 s to the next minute).
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while now_ms() % 60_000 > 55_000 {
        assert!(
            std::time::Instant::now() < deadline,
            "the clock stands still"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let path = tmp("tallies-follow");
    let ob = Outbox::open(&path, OutboxOptions::default()).unwrap();
    let ids: Vec<i64> = (0..8)
        .map(|i| ob.enqueue(&update(&format!("T-{}", i)), &[]).unwrap())
        .collect();
    assert_tallies(&path, true, "enqueued");
    // Latencies of 57 ms, 1,234 ms (tallied as 1,200) and 1,299 ms (1,200 too).
    let created = |id| ob.record(id).unwrap().unwrap().created_ms;
    let mut marks = vec![
        done(ids[0], created(ids[0]) + 57),
        done(ids[1], created(ids[1]) + 1_234),
        done(ids[2], created(ids[2]) + 1_299),
        dead(ids[3]),
        dead(ids[4]),
        Mark::Retry {
            id: ids[5],
            attempts: 1,
            next_ms: now_ms() + 60_000,
            error: "HTTP 503".into(),
        },
    ];
    ob.write_marks(&mut marks).unwrap();
    assert_tallies(&path, true, "outcomes");
    let c = ob.counts().unwrap();
    assert_eq!((c.pending, c.done, c.dead), (3, 3, 2));
    let series = ob.minute_series(60).unwrap();
    assert_eq!(series.enqueued.iter().sum::<u64>(), 8);
    assert_eq!(series.accepted.iter().sum::<u64>(), 3);
    let minute = series.accepted.iter().rposition(|n| *n > 0).unwrap();
    if series.accepted[minute] == 3 {
        // All three in one minute (unless the test ran across a minute's end).
        assert_eq!(series.p50_ms[minute], Some(1_200));
        assert_eq!(series.p99_ms[minute], Some(1_200));
    }
    assert!(series
        .p50_ms
        .iter()
        .flatten()
        .all(|p| [57, 1_200].contains(p)));

    // A dead letter put back, then dead again; one requeued by a pause.
    assert_eq!(ob.retry_dead(Some(ids[3])).unwrap(), 1);
    assert_tallies(&path, true, "retry one");
    ob.write_marks(&mut vec![Mark::Requeue {
        id: ids[4],
        next_ms: 0,
        error: "delivery paused".into(),
    }])
    .unwrap();
    assert_tallies(&path, true, "requeued by a pause");
    ob.write_marks(&mut vec![dead(ids[3]), done(ids[4], now_ms())])
        .unwrap();
    assert_eq!(ob.retry_dead_cause("400 缺少必填字段").unwrap(), 1);
    assert_tallies(&path, true, "retry a cause");

    // Purging drops the records and the tallies of their minutes.
    let purged = ob.purge_done(Some(Duration::ZERO)).unwrap();
    assert!(purged >= 1, "{}", purged);
    assert_tallies(&path, false, "purged");
    let c = ob.counts().unwrap();
    assert_eq!((c.pending, c.done + purged, c.dead), (4, 4, 0));
}

/// `core/tests/data/outbox-main-23e410a.db` (and its side file) was made by `pyun outbox` built
/// from main at 23e410a, before the tallies: three enters accepted by a sandbox, one enter and
/// one update (`flow_no` FLOW-DEMO-0001, serial DEMO-20261122-0001) pending.
#[test]
fn an_outbox_of_the_previous_pyun_opens_migrates_and_keeps_its_records() {
    let path = tmp("tallies-migrate");
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    for suffix in ["", "-enqueued"] {
        std::fs::copy(
            data.join(format!("outbox-main-23e410a.db{}", suffix)),
            format!("{}{}", path.display(), suffix),
        )
        .unwrap();
    }
    let before = Connection::open(&path).unwrap();
    let had_tallies: bool = before
        .query_row(
            "SELECT COUNT(*) > 0 FROM sqlite_master WHERE name = 'state_counts'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(!had_tallies, "the fixture must be of the previous schema");
    let columns = |table: &str| -> String {
        before
            .query_row(
                "SELECT group_concat(name, ', ') FROM pragma_table_info(?1)",
                [table],
                |r| r.get(0),
            )
            .unwrap()
    };
    let (record_columns, event_columns) = (columns("records"), columns("events"));
    assert!(
        !record_columns.contains("last_error_text"),
        "{}",
        record_columns
    );
    let records = rows(&before, "SELECT * FROM records ORDER BY id");
    let events = rows(&before, "SELECT * FROM events ORDER BY seq");
    drop(before);

    let ob = Outbox::open(&path, OutboxOptions::default()).unwrap();
    let c = ob.counts().unwrap();
    assert_eq!((c.pending, c.done, c.dead), (2, 3, 0));
    assert_tallies(&path, true, "migrated");
    let after = Connection::open(&path).unwrap();
    // Its rows as they were, with the columns of stored messages added, empty (its rows show
    // their English).
    assert_eq!(
        rows(
            &after,
            &format!("SELECT {} FROM records ORDER BY id", record_columns)
        ),
        records
    );
    assert_eq!(
        rows(
            &after,
            &format!("SELECT {} FROM events ORDER BY seq", event_columns)
        ),
        events
    );
    assert_eq!(
        rows(
            &after,
            "SELECT COUNT(last_error_text), (SELECT COUNT(reason_text) FROM events) FROM records"
        ),
        ["Integer(0)|Integer(0)"]
    );
    // Found by serial and by flow_no through the indexes of the new schema.
    let ids = |key: &str| -> Vec<i64> { ob.find(key).unwrap().iter().map(|r| r.id).collect() };
    assert_eq!(ids("M-0002"), vec![2]);
    assert_eq!(ids("FLOW-DEMO-0001"), vec![5]);
    assert_eq!(ids("DEMO-20261122-0001"), vec![5]);
    assert_eq!(ob.head().unwrap().unwrap().id, 4);

    // It goes on: enqueues are tallied, and the next open writes nothing.
    ob.enqueue(&update("AFTER"), &[]).unwrap();
    assert_eq!(ob.counts().unwrap().pending, 3);
    assert_tallies(&path, true, "after an enqueue");
    drop(ob);
    let migrated = std::fs::read(&path).unwrap();
    drop(Outbox::open(&path, OutboxOptions::default()).unwrap());
    assert_eq!(
        std::fs::read(&path).unwrap(),
        migrated,
        "a second migration"
    );
}
