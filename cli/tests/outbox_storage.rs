//! `pyun outbox` against the ways an outbox's files go wrong (issue 21, items 8 to 11): a
//! missing side file, LOST dead letters and `retry`, a full disk, a network share. Each case
//! either keeps every record or says what happened, with a way out the operator runs knowingly.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use pyun_sandbox::{Sandbox, SandboxConfig};
use pyun_test_support::{data, Tmpfs};

const SECRET: &str = "storage-secret";

fn tmp(name: &str) -> PathBuf {
    pyun_test_support::scratch_dir("cli-storage", name)
}

fn outbox(db: &Path) -> Command {
    let mut c = Command::cargo_bin("pyun").unwrap();
    c.env("PYUN_LANG", "en")
        .env("PYUN_APP_SECRET", SECRET)
        .env_remove("PYUN_OUTBOX")
        .arg("outbox")
        .arg("--db")
        .arg(db);
    c
}

/// Runs it: (exit code, stdout, stderr).
fn run(c: &mut Command) -> (i32, String, String) {
    let out = c.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A leave of examples/data with another serial, as a file.
fn leave(dir: &Path, serial: &str) -> PathBuf {
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(data("leave.json")).unwrap()).unwrap();
    v["parking_serial"] = serial.into();
    let p = dir.join(format!("{}.json", serial));
    std::fs::write(&p, v.to_string()).unwrap();
    p
}

/// An enter record file with this serial (an enter is due at once; a lone leave waits for the
/// leave grace, in case its enter is enqueued a moment later).
fn enter(dir: &Path, serial: &str) -> PathBuf {
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(data("enter.json")).unwrap()).unwrap();
    v["parking_serial"] = serial.into();
    let p = dir.join(format!("{}-enter.json", serial));
    std::fs::write(&p, v.to_string()).unwrap();
    p
}

fn enqueue(db: &Path, dir: &Path, serial: &str) {
    let (code, out, err) = run(outbox(db)
        .args(["enqueue", "leave"])
        .arg(leave(dir, serial)));
    assert_eq!(code, 0, "{}{}", out, err);
}

fn side(db: &Path) -> PathBuf {
    PathBuf::from(format!("{}-enqueued", db.display()))
}

#[test]
fn a_database_without_its_side_file_is_refused_until_the_operator_accepts_it() {
    let dir = tmp("noside");
    let db = dir.join("q.db");
    enqueue(&db, &dir, "NOSIDE-1");
    enqueue(&db, &dir, "NOSIDE-2");
    std::fs::remove_file(side(&db)).unwrap();
    let (code, out, err) = run(outbox(&db).arg("status"));
    assert_eq!(code, 4, "{}{}", out, err);
    assert!(
        err.contains("-enqueued") && err.contains("missing") && err.contains("accept-fresh-start"),
        "{}",
        err
    );
    // The operator's way out, run knowingly; then it opens with its records.
    let (code, out, err) = run(outbox(&db).arg("accept-fresh-start"));
    assert_eq!(code, 0, "{}{}", out, err);
    let (code, out, err) = run(outbox(&db).arg("status"));
    assert_eq!(code, 0, "{}{}", out, err);
    assert!(out.starts_with("pending 2 "), "{}", out);
}

#[test]
fn lost_dead_letters_are_not_retried_blindly() {
    let dir = tmp("lostretry");
    let db = dir.join("q.db");
    enqueue(&db, &dir, "KEPT-1");
    let older = dir.join("older.db");
    std::fs::copy(&db, &older).unwrap();
    enqueue(&db, &dir, "GONE-2");
    enqueue(&db, &dir, "GONE-3");
    // An older copy of the file put back: the two later records are lost, and said so once.
    std::fs::copy(&older, &db).unwrap();
    let (code, _, err) = run(outbox(&db).arg("status"));
    assert_eq!(code, 4, "{}", err);
    assert!(err.contains("GONE-2") && err.contains("GONE-3"), "{}", err);

    let (code, out, err) = run(outbox(&db).arg("retry"));
    assert_eq!(code, 0, "{}{}", out, err);
    assert!(out.contains("re-queued 0"), "{}", out);
    assert!(out.contains("2 LOST"), "{}", out);
    let (code, out, err) = run(outbox(&db).args(["retry", "2"]));
    assert_ne!(code, 0, "{}", out);
    assert!(err.contains("#2") && err.contains("LOST"), "{}", err);
    // Still LOST dead letters, with the advice to send them again from their source.
    let (_, out, _) = run(outbox(&db).arg("dead"));
    assert_eq!(out.matches("LOST").count(), 2, "{}", out);
    assert!(out.contains("send it again from its source"), "{}", out);
    let (_, out, _) = run(outbox(&db).arg("status"));
    assert!(out.starts_with("pending 1 "), "{}", out);
}

#[test]
fn an_outbox_path_on_a_network_share_is_refused_unless_allowed() {
    let dir = tmp("share");
    let unc = r"\\lot-server\share\q.db";
    let (code, out, err) = run(outbox(Path::new(unc)).current_dir(&dir).arg("status"));
    assert_eq!(code, 4, "{}{}", out, err);
    assert!(
        err.contains(unc) && err.contains("network share") && err.contains("--allow-network-share"),
        "{}",
        err
    );
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        0,
        "a file was created"
    );
    // The operator insists: it opens, with a warning on stderr (not only in a log).
    let (code, out, err) = run(outbox(Path::new(unc))
        .current_dir(&dir)
        .args(["--allow-network-share", "status"]));
    assert_eq!(code, 0, "{}{}", out, err);
    assert!(err.contains("network share"), "{}", err);
}

/// Fills the file system of `dir` to the last byte.
fn fill(dir: &Path) {
    use std::io::Write;
    let mut f = std::fs::File::create(dir.join("ballast")).unwrap();
    let block = vec![0u8; 4096];
    while f.write_all(&block).is_ok() {}
    while f.write_all(&block[..1]).is_ok() {}
}

#[test]
fn a_full_disk_is_called_a_full_disk_and_the_record_was_not_stored() {
    let dir = tmp("full");
    let fs = match Tmpfs::mount(&dir, "4m") {
        Some(fs) => fs,
        None => {
            // core/src/outbox/tests.rs simulates a full disk inside SQLite and runs everywhere.
            eprintln!("skipped: cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN)");
            return;
        }
    };
    let sb = Sandbox::start(SandboxConfig {
        app_secret: SECRET.into(),
        ..SandboxConfig::default()
    })
    .unwrap();
    let db = fs.path().join("q.db");
    let photo = format!("leave_image_file={}", data("leave.bmp").display());
    let (code, out, err) = run(outbox(&db)
        .args(["enqueue", "enter"])
        .arg(enter(&dir, "FULL-0")));
    assert_eq!(code, 0, "{}{}", out, err);
    fill(fs.path());
    let mut checked = Vec::new();
    for args in [
        vec!["status".to_string()],
        vec![
            "enqueue".into(),
            "leave".into(),
            leave(&dir, "FULL-1").display().to_string(),
            "--file".into(),
            photo.clone(),
        ],
        vec!["drain".into(), "--base-url".into(), sb.url()],
    ] {
        let (code, out, err) = run(outbox(&db).args(&args));
        assert!(!err.contains("corrupt"), "{:?}: {}", args, err);
        if code != 0 {
            assert_eq!(code, 4, "{:?}: {}{}", args, out, err);
            assert!(err.contains("disk full"), "{:?}: {}", args, err);
        }
        if args[0] == "enqueue" {
            assert_ne!(code, 0, "enqueued on a full disk: {}", out);
            assert!(err.contains("the record was NOT stored"), "{}", err);
        }
        checked.push(code);
    }
    // Room again: the queue was healthy all along.
    std::fs::remove_file(fs.path().join("ballast")).unwrap();
    let (code, out, err) = run(outbox(&db).arg("status"));
    assert_eq!(code, 0, "{}{}", out, err);
    assert!(out.contains("pending") || out.contains("done 1"), "{}", out);
    let (code, out, err) = run(outbox(&db).args(["drain", "--base-url", &sb.url()]));
    assert_eq!(code, 0, "{}{}", out, err);
    assert_eq!(sb.records().len(), 1, "{:?}", checked);
    drop(fs);
}
