//! `pyun demo`: the main job on an embedded default. Starts the sandbox in-process on a free
//! loopback port and pushes a realistic sequence to it: an enter with a photo, a leave with a
//! photo and a `payment_list` (through one injected 503, to show a retry), an abnormal release,
//! a record update, and one push with a wrong secret to show the diagnosis.

use std::path::PathBuf;
use std::time::Duration;

use pyun_core::explain::Cause;
use pyun_core::{
    AnyRecord, Client, ClientConfig, Endpoint, FileField, FileSource, Lang, Msg, Outcome,
    RetryPolicy,
};
use pyun_sandbox::{Faults, Sandbox, SandboxConfig};

use crate::Failure;

const SECRET: &str = "demo-secret";

/// The sample data, compiled in so the demo runs from any directory.
const EMBEDDED: [(&str, &str); 4] = [
    ("enter.json", include_str!("../../examples/data/enter.json")),
    ("leave.json", include_str!("../../examples/data/leave.json")),
    (
        "release.json",
        include_str!("../../examples/data/release.json"),
    ),
    (
        "update.json",
        include_str!("../../examples/data/update.json"),
    ),
];
const ENTER_PHOTO: &[u8] = include_bytes!("../../examples/data/enter.gif");
const LEAVE_PHOTO: &[u8] = include_bytes!("../../examples/data/leave.bmp");

struct Step {
    endpoint: Endpoint,
    record: AnyRecord,
    files: Vec<(FileField, FileSource)>,
    note: Msg,
}

fn load(data: &Option<PathBuf>, name: &str, endpoint: Endpoint) -> Result<AnyRecord, Failure> {
    let text = match data {
        Some(dir) => std::fs::read_to_string(dir.join(name))
            .map_err(|e| Failure::msg(2, Msg::CliCannotRead, &[&dir.join(name).display(), &e]))?,
        None => EMBEDDED
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, t)| t.to_string())
            .unwrap_or_default(),
    };
    Ok(AnyRecord::from_json(endpoint, &text)?)
}

fn photo(data: &Option<PathBuf>, name: &str, embedded: &'static [u8]) -> FileSource {
    match data {
        Some(dir) => FileSource::Path(dir.join(name)),
        None => FileSource::Bytes(embedded.into()),
    }
}

fn steps(data: &Option<PathBuf>) -> Result<Vec<Step>, Failure> {
    let enter = load(data, "enter.json", Endpoint::Enter)?;
    let mut wrong = match &enter {
        AnyRecord::Enter(r) => r.clone(),
        _ => unreachable!("loaded as enter"),
    };
    wrong.parking_serial = Some("DEMO-20261122-0003".into());
    Ok(vec![
        Step {
            endpoint: Endpoint::Enter,
            record: enter,
            files: vec![(FileField::EnterImage, photo(data, "enter.gif", ENTER_PHOTO))],
            note: Msg::DemoNoteEnter,
        },
        Step {
            endpoint: Endpoint::Leave,
            record: load(data, "leave.json", Endpoint::Leave)?,
            files: vec![(FileField::LeaveImage, photo(data, "leave.bmp", LEAVE_PHOTO))],
            note: Msg::DemoNoteLeave,
        },
        Step {
            endpoint: Endpoint::Release,
            record: load(data, "release.json", Endpoint::Release)?,
            files: vec![],
            note: Msg::DemoNoteRelease,
        },
        Step {
            endpoint: Endpoint::Update,
            record: load(data, "update.json", Endpoint::Update)?,
            files: vec![],
            note: Msg::DemoNoteUpdate,
        },
        Step {
            endpoint: Endpoint::Enter,
            record: AnyRecord::Enter(wrong),
            files: vec![],
            note: Msg::DemoNoteWrongSecret,
        },
    ])
}

fn client(base_url: &str, secret: &str) -> Result<Client, Failure> {
    let mut config = ClientConfig::new(secret);
    config.base_url = base_url.to_string();
    config.timeout = Duration::from_secs(10);
    config.retry = RetryPolicy {
        max_attempts: 4,
        initial_backoff: Duration::from_millis(100),
        ..RetryPolicy::default()
    };
    Ok(Client::new(config)?)
}

/// `text` padded with spaces to `width` terminal columns (on the left when `right`): a Chinese
/// character takes two columns, which `format!`'s width (counting characters) does not know.
fn pad(text: &str, width: usize, right: bool) -> String {
    let fill = " ".repeat(width.saturating_sub(unicode_width::UnicodeWidthStr::width(text)));
    match right {
        true => format!("{}{}", fill, text),
        false => format!("{}{}", text, fill),
    }
}

/// Runs the demo; exit 0 only when every step ended as expected.
pub fn run(data: Option<PathBuf>) -> Result<u8, Failure> {
    let steps = steps(&data)?;
    let sandbox = Sandbox::start(SandboxConfig {
        app_secret: SECRET.into(),
        ..SandboxConfig::default()
    })
    .map_err(|e| Failure::msg(3, Msg::CliNoSandbox, &[&e]))?;
    let lang = Lang::from_env();
    let secret = format!("{:?}", SECRET);
    let start = Msg::DemoStart.text(lang, &[&"P云", &sandbox.url(), &secret]);
    println!("{}\n", start);
    let good = client(&sandbox.url(), SECRET)?;
    let bad = client(&sandbox.url(), "not-the-demo-secret")?;
    let column = |m: Msg| m.text(lang, &[]);
    println!(
        "{:>2}  {} {} {} {} {}  {}",
        "#",
        pad(&column(Msg::DemoColumnEndpoint), 8, false),
        pad(&column(Msg::DemoColumnSerial), 20, false),
        pad(&column(Msg::DemoColumnOutcome), 16, false),
        pad(&column(Msg::DemoColumnAttempts), 8, true),
        pad(&column(Msg::DemoColumnMs), 6, true),
        column(Msg::DemoColumnNote)
    );
    let mut unexpected = Vec::new();
    let mut diagnoses = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        let wrong_secret = i == steps.len() - 1;
        if step.endpoint == Endpoint::Leave {
            sandbox.set_faults(Faults {
                fail_first: 1,
                ..Faults::default()
            });
        }
        let result = if wrong_secret { &bad } else { &good }.push(&step.record, &step.files);
        sandbox.set_faults(Faults::default());
        let serial = step.record.dedup_key().unwrap_or_default();
        let (outcome, attempts, ms) = match &result {
            Ok(r) => (
                r.outcome.name().to_string(),
                r.attempts,
                r.elapsed.as_millis(),
            ),
            Err(pyun_core::Error::Api(f)) => (f.outcome.name().to_string(), f.attempts, 0),
            Err(e) => (Msg::DemoError.text(lang, &[&e.message(lang)]), 0, 0),
        };
        println!(
            "{:>2}  {:<8} {:<20} {:<16} {:>8} {:>6}  {}",
            i + 1,
            step.endpoint.name(),
            serial,
            outcome,
            attempts,
            ms,
            step.note.text(lang, &[])
        );
        let expected = match (&result, wrong_secret) {
            (Ok(r), false) => r.outcome == Outcome::Accepted,
            (Ok(r), true) => {
                let d = r.diagnosis.as_ref();
                if let Some(d) = d {
                    diagnoses.push(Msg::DemoDiagnosis.text(lang, &[&(i + 1), &d.summary_in(lang)]));
                }
                r.outcome == Outcome::Ignored && d.map(|d| d.cause) == Some(Cause::WrongSecret)
            }
            _ => false,
        };
        if !expected {
            unexpected.push(Msg::DemoStep.text(lang, &[&(i + 1), &step.endpoint, &outcome]));
        }
    }
    println!();
    for d in &diagnoses {
        println!("{}", d);
    }
    let records = sandbox.records();
    let kinds: Vec<String> = records
        .iter()
        .map(|r| format!("{} {}", r.endpoint, r.key))
        .collect();
    let accepted = Msg::DemoAccepted.text(
        lang,
        &[
            &records.len(),
            &sandbox.counters().duplicates,
            &kinds.join(", "),
        ],
    );
    println!("{}", accepted);
    if records.len() != steps.len() - 1 {
        unexpected.push(Msg::DemoCount.text(lang, &[&records.len(), &(steps.len() - 1)]));
    }
    sandbox.shutdown();
    if unexpected.is_empty() {
        println!("{}", Msg::DemoFinished.text(lang, &[]));
        Ok(0)
    } else {
        let separator = Msg::ProblemSeparator.text(lang, &[]);
        Err(Failure::msg(
            1,
            Msg::DemoUnexpected,
            &[&unexpected.join(&separator)],
        ))
    }
}
