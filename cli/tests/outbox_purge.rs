//! `pyun outbox purge --days N` at the extremes (issue 12, item 5). Days that no duration can
//! hold mean "keep forever": never an overflow that wraps into "delete every accepted record",
//! the audit trail of what the platform took.

use assert_cmd::Command;
use pyun_sandbox::{Sandbox, SandboxConfig};

const SECRET: &str = "purge-secret";

fn outbox(db: &std::path::Path) -> Command {
    let mut c = Command::cargo_bin("pyun").unwrap();
    c.env("PYUN_LANG", "en")
        .env("PYUN_APP_SECRET", SECRET)
        .arg("outbox")
        .arg("--db")
        .arg(db);
    c
}

fn stdout(c: &mut Command) -> String {
    String::from_utf8(c.assert().success().get_output().stdout.clone()).unwrap()
}

#[test]
fn purge_days_at_the_extremes_never_wrap() {
    let sb = Sandbox::start(SandboxConfig {
        app_secret: SECRET.into(),
        ..SandboxConfig::default()
    })
    .unwrap();
    let dir = std::env::temp_dir().join(format!("pyun-purge-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("outbox.db");
    let data = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/data");
    stdout(
        outbox(&db)
            .args(["enqueue", "enter"])
            .arg(data.join("enter.json")),
    );
    let drained = stdout(outbox(&db).args(["drain", "--base-url", &sb.url()]));
    assert!(drained.starts_with("accepted 1 "), "{}", drained);

    for days in [
        "1",
        // The first day count whose milliseconds overflow i64.
        "106751991168",
        // The largest whose seconds fit u64, and the first that does not.
        "213503982334601",
        "213503982334602",
        "18446744073709551615",
    ] {
        let out = stdout(outbox(&db).args(["purge", "--days", days]));
        assert_eq!(out, "purged 0\n", "--days {}", days);
    }
    assert!(stdout(outbox(&db).arg("status")).contains("done 1"));
    // Past u64: refused as a usage error, nothing purged.
    outbox(&db)
        .args(["purge", "--days", "18446744073709551616"])
        .assert()
        .failure();
    assert!(stdout(outbox(&db).arg("status")).contains("done 1"));
    // Zero still means "everything accepted so far".
    assert_eq!(
        stdout(outbox(&db).args(["purge", "--days", "0"])),
        "purged 1\n"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
