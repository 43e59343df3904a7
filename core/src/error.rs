//! The one error type of pyun. Each binding translates it once (C result codes, Python
//! exceptions); its messages never contain a secret.

use std::fmt;
use std::path::PathBuf;

use crate::messages::{Lang, Msg, Text};
use crate::sign::VerifyError;

/// One problem found while validating a record before sending.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The platform's field name (e.g. `enter_time`), or `<record>` for the record as a whole.
    pub field: String,
    /// What is wrong.
    pub kind: ProblemKind,
}

/// The kinds of [`Problem`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProblemKind {
    /// A required field is absent (the platform answers ``参数`X`未传递``).
    Missing,
    /// A required field is present but empty.
    Empty,
    /// The value is malformed (bad number, time, JSON, code); the text says how.
    Invalid(Text),
    /// A field this endpoint does not have (probably a typo); put new platform fields in `extra`.
    Unknown,
    /// A `*_hash` was given without the file it hashes.
    HashWithoutFile {
        /// The file part that should accompany the hash.
        file_field: String,
    },
    /// A `*_hash` was given and differs from the MD5 of the attached file.
    HashMismatch {
        /// MD5 of the attached bytes.
        computed: String,
    },
}

impl Problem {
    /// The problem in `lang`.
    pub fn message(&self, lang: Lang) -> String {
        let field = &self.field;
        match &self.kind {
            ProblemKind::Missing => Msg::FieldMissing.text(lang, &[field]),
            ProblemKind::Empty => Msg::FieldEmpty.text(lang, &[field]),
            ProblemKind::Invalid(why) => Msg::FieldInvalid.text(lang, &[field, &why.render(lang)]),
            ProblemKind::Unknown => Msg::FieldUnknown.text(lang, &[field]),
            ProblemKind::HashWithoutFile { file_field } => {
                Msg::HashWithoutFile.text(lang, &[field, file_field])
            }
            ProblemKind::HashMismatch { computed } => {
                Msg::HashMismatch.text(lang, &[field, computed])
            }
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message(Lang::En))
    }
}

/// Every problem of one record, reported together so the caller can fix them in one pass.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidationError {
    /// The endpoint name (`enter`, `leave`, `release`, `update`), or `request`.
    pub what: String,
    /// At least one problem.
    pub problems: Vec<Problem>,
}

impl ValidationError {
    pub(crate) fn single(what: &str, field: &str, kind: ProblemKind) -> Self {
        ValidationError {
            what: what.to_string(),
            problems: vec![Problem {
                field: field.to_string(),
                kind,
            }],
        }
    }

    /// The fields that are missing or empty, in the order found.
    pub fn missing_fields(&self) -> Vec<&str> {
        self.problems
            .iter()
            .filter(|p| matches!(p.kind, ProblemKind::Missing | ProblemKind::Empty))
            .map(|p| p.field.as_str())
            .collect()
    }
}

impl ValidationError {
    /// Every problem in `lang`, after the record's name.
    pub fn message(&self, lang: Lang) -> String {
        let problems: Vec<String> = self.problems.iter().map(|p| p.message(lang)).collect();
        let separator = Msg::ProblemSeparator.text(lang, &[]);
        Msg::RecordInvalid.text(lang, &[&self.what, &problems.join(&separator)])
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message(Lang::En))
    }
}

impl std::error::Error for ValidationError {}

pub use crate::text::strip_bom;

/// Everything that can go wrong in pyun.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The record (or request) is invalid; nothing was sent.
    Validation(ValidationError),
    /// Input that should be JSON is not, or has the wrong shape (also a malformed
    /// `application/x-www-form-urlencoded` push body, whose text says so).
    Json(Text),
    /// A file could not be read (a photo, a database); the path is included, never its content.
    File {
        /// The form field or role of the file, e.g. `enter_image_file`.
        role: String,
        /// The path that failed.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A bad argument or configuration (empty secret, unknown endpoint, bad URL...).
    Config(Text),
    /// A received push body that cannot be read: unknown encoding, bad charset, a malformed
    /// multipart body, a field given twice.
    Body(Text),
    /// A received push failed verification.
    Signature(VerifyError),
    /// The request did not get an answer: connection refused or dropped, DNS, TLS, timeout.
    Transport(crate::response::TransportError),
    /// The platform answered, and it is not an acceptance; see the outcome and response.
    Api(Box<crate::response::ApiFailure>),
    /// The outbox database failed (disk full or read-only, damaged file): what was being
    /// stored was not stored.
    Store(Text),
    /// Records the outbox had committed are missing from its database (a damaged WAL journal,
    /// an older copy of the file put back): they are lost. Reported by the open that finds it;
    /// from then on they are dead letters whose error starts with `LOST`.
    RecordsLost(RecordsLost),
    /// The outbox cannot tell whether committed records were lost, so it was not opened: its
    /// side file `<db>-enqueued` (the evidence of every committed enqueue) is missing, damaged
    /// or unreadable, or it belongs to another database (the database was deleted or replaced).
    /// An operator who knows the database is complete accepts it with
    /// [`crate::outbox::Outbox::accept_fresh_start`] (`pyun outbox accept-fresh-start`).
    OutboxUnverified(OutboxUnverified),
    /// The outbox is on a network share (an SMB/UNC path, a mapped network drive, NFS or CIFS),
    /// where SQLite's WAL journal cannot keep its guarantees; it was not opened. The message
    /// names the path and how it was recognised. `OutboxOptions::allow_network_share` opens it
    /// anyway.
    NetworkShare(Text),
}

/// Why an outbox was not opened; see [`Error::OutboxUnverified`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxUnverified {
    /// The outbox database.
    pub path: PathBuf,
    /// What is wrong with the side file, in a sentence.
    pub reason: Text,
    /// The committed records the side file names that the database does not hold (when it
    /// belongs to a database that was deleted or replaced): send them again from their source.
    pub records: Vec<LostRecord>,
}

/// Committed records an outbox database lost; see [`Error::RecordsLost`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordsLost {
    /// The outbox database.
    pub path: PathBuf,
    /// The lost records, by id.
    pub records: Vec<LostRecord>,
}

/// One lost record: its id, and its endpoint and key (`parking_serial`, or `flow_no` for an
/// update) when the outbox still knows them.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LostRecord {
    /// Its id in the outbox.
    pub id: i64,
    /// `enter`, `leave`, `release` or `update`, when known.
    pub endpoint: Option<String>,
    /// `parking_serial` or `flow_no`, when known.
    pub key: Option<String>,
}

impl RecordsLost {
    /// The loss in `lang`, naming the records.
    pub fn message(&self, lang: Lang) -> String {
        let mut m = Msg::RecordsLost.text(lang, &[&self.path.display(), &self.records.len()]);
        list_records(&mut m, &self.records, lang);
        m + &Msg::RecordsLostNext.text(lang, &[])
    }
}

impl fmt::Display for RecordsLost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message(Lang::En))
    }
}

/// " #id (endpoint key)" for the first 20 records, then how many more.
fn list_records(out: &mut String, records: &[LostRecord], lang: Lang) {
    use std::fmt::Write as _;
    for r in records.iter().take(20) {
        let _ = write!(out, " #{}", r.id);
        if let (Some(e), Some(k)) = (&r.endpoint, &r.key) {
            let _ = write!(out, " ({} {})", e, k);
        }
    }
    if records.len() > 20 {
        out.push_str(&Msg::MoreRecords.text(lang, &[&(records.len() - 20)]));
    }
}

impl OutboxUnverified {
    /// The refusal in `lang`, with what to do.
    pub fn message(&self, lang: Lang) -> String {
        let path = self.path.display();
        let mut m = Msg::OutboxUnverified.text(lang, &[&path, &self.reason.render(lang)]);
        if !self.records.is_empty() {
            m += &Msg::UnverifiedRecords.text(lang, &[&self.records.len()]);
            list_records(&mut m, &self.records, lang);
            m += &Msg::SendAgain.text(lang, &[]);
        }
        m + &Msg::UnverifiedAccept.text(lang, &[&path])
    }
}

impl fmt::Display for OutboxUnverified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message(Lang::En))
    }
}

impl Error {
    /// The message in `lang` (`Display` is English). Never holds a secret.
    pub fn message(&self, lang: Lang) -> String {
        match self {
            Error::Validation(e) => e.message(lang),
            // The variant also carries errors of urlencoded bodies (kept in it so the C and
            // Python result codes stay as they are); those messages name their format.
            Error::Json(e @ Text::Msg(Msg::UrlencodedMalformed, _)) => e.render(lang),
            Error::Json(e) => Msg::JsonMalformed.text(lang, &[&e.render(lang)]),
            Error::File { role, path, source } => {
                Msg::FileUnreadable.text(lang, &[role, &path.display(), &io_text(source, lang)])
            }
            Error::Config(e) => Msg::ConfigInvalid.text(lang, &[&e.render(lang)]),
            Error::Body(e) => Msg::BodyUnreadable.text(lang, &[&e.render(lang)]),
            Error::Signature(e) => e.message(lang),
            Error::Transport(e) => e.message(lang),
            Error::Api(e) => e.message(lang),
            Error::Store(e) | Error::NetworkShare(e) => e.render(lang),
            Error::RecordsLost(e) => e.message(lang),
            Error::OutboxUnverified(e) => e.message(lang),
        }
    }
}

impl Error {
    /// The message as a [`Text`] in every language, to quote inside another message.
    pub fn text(&self) -> Text {
        Text::Written {
            en: self.message(Lang::En),
            zh: self.message(Lang::Zh),
        }
    }
}

/// An I/O error pyun itself raises (not the system's): its message is from the catalog, so an
/// [`Error::File`] holding it is said in the language asked for.
#[derive(Debug)]
struct OwnIoError(Text);

impl fmt::Display for OwnIoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for OwnIoError {}

/// An `io::Error` of `kind` whose message is `text`.
pub(crate) fn own_io_error(kind: std::io::ErrorKind, text: Text) -> std::io::Error {
    std::io::Error::new(kind, OwnIoError(text))
}

/// An I/O error in `lang`: pyun's own from the catalog, the system's as the system words it.
fn io_text(e: &std::io::Error, lang: Lang) -> String {
    match e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<OwnIoError>())
    {
        Some(own) => own.0.render(lang),
        None => e.to_string(),
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message(Lang::En))
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::File { source, .. } => Some(source),
            Error::Validation(e) => Some(e),
            Error::Signature(e) => Some(e),
            _ => None,
        }
    }
}

impl From<ValidationError> for Error {
    fn from(e: ValidationError) -> Self {
        Error::Validation(e)
    }
}

impl From<VerifyError> for Error {
    fn from(e: VerifyError) -> Self {
        Error::Signature(e)
    }
}

/// Result with pyun's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
