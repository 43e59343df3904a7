//! Building the exact signed wire request, as a streaming body or as bytes.
//!
//! Without files the body is `application/x-www-form-urlencoded` (UTF-8); with files it is
//! `multipart/form-data` with `text/plain; charset=UTF-8` text parts and
//! `application/octet-stream` file parts, as the platform's own sample sends.

use std::collections::BTreeSet;
use std::fmt;
use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

pub use crate::body::Body;
use crate::body::Segment;
use crate::endpoint::Endpoint;
use crate::error::{Error, Problem, ProblemKind, Result, ValidationError};
use crate::form::{md5_hex, FileField, FilePart, FileSource};
use crate::messages::{Lang, Msg, Text};
use crate::record::Record;
use crate::secret::AppSecret;
use crate::sign::{self, SIGN_FIELD};

/// `encoding=URL` mode percent-encodes everything but Java `URLEncoder`'s safe characters
/// (`A-Z a-z 0-9 - . _ *`); a space becomes `%20`, not `+`, which every decoder reads the same.
const URL_MODE_SET: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'*');

/// Options for building a request, shared by every record a client sends.
#[derive(Clone, Debug, Default)]
pub struct BuildOptions {
    /// `app_id` assigned by the platform; a parking lot's own requests may leave it out.
    pub app_id: Option<String>,
    /// `api_type`, sent only together with `app_id` (page 001).
    pub api_type: Option<String>,
    /// `encoding=URL` mode (page 001, 数据编码): for senders that cannot send UTF-8 correctly,
    /// every value is percent-encoded, and the encoded values are signed and sent.
    pub url_encoding: bool,
}

impl BuildOptions {
    /// Checks the pair rule: `api_type` needs `app_id`, and `app_id` needs `api_type`
    /// (the page marks `api_type` 必填 whenever `app_id` is sent).
    pub fn check(&self) -> Result<()> {
        let set = |o: &Option<String>| o.as_deref().is_some_and(|s| !s.is_empty());
        match (set(&self.app_id), set(&self.api_type)) {
            (true, false) => Err(Error::Config(Text::new(Msg::ConfigApiTypeMissing, &[]))),
            (false, true) => Err(Error::Config(Text::new(Msg::ConfigAppIdMissing, &[]))),
            _ => Ok(()),
        }
    }
}

/// A request ready to send: its fields in signing order, the `sign`, the files, and the body.
#[derive(Clone)]
pub struct SignedRequest {
    endpoint: Endpoint,
    fields: Vec<(String, String)>,
    sign: String,
    canonical_masked: String,
    files: Vec<FilePart>,
    boundary: Option<String>,
}

impl fmt::Debug for SignedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedRequest")
            .field("endpoint", &self.endpoint)
            .field("canonical", &self.canonical_masked)
            .field("sign", &self.sign)
            .field("files", &self.files)
            .finish()
    }
}

impl SignedRequest {
    /// Signs text fields plus files for an endpoint.
    ///
    /// For each file the matching `*_hash` field is computed and signed (a hash the caller gave
    /// must equal it); a `*_hash` without its file, a file the endpoint does not take, or the
    /// same file twice is an error. Empty values are left out (never sent empty), so are `sign`
    /// fields. Nothing is sent; validation problems are reported together.
    pub fn build(
        endpoint: Endpoint,
        text: Vec<(String, String)>,
        files: Vec<FilePart>,
        secret: &AppSecret,
        options: &BuildOptions,
    ) -> Result<SignedRequest> {
        if secret.is_empty() {
            return Err(Error::Config(Text::new(Msg::AppSecretEmpty, &[])));
        }
        options.check()?;
        let mut problems: Vec<Problem> = text
            .iter()
            .filter_map(|(k, _)| {
                field_name_problem(k).map(|why| Problem {
                    field: format!("{:?}", k),
                    kind: ProblemKind::Invalid(why),
                })
            })
            .collect();
        let mut fields: Vec<(String, String)> = text
            .into_iter()
            .filter(|(k, v)| k != SIGN_FIELD && !v.is_empty())
            .collect();
        let mut seen = BTreeSet::new();
        for part in &files {
            let field = part.field();
            if !endpoint.file_fields().contains(&field) {
                problems.push(Problem {
                    field: field.name().into(),
                    kind: ProblemKind::Invalid(Text::new(Msg::FileNotTaken, &[&endpoint])),
                });
            }
            if fields.iter().any(|(k, _)| k == field.name()) {
                problems.push(Problem {
                    field: field.name().into(),
                    kind: ProblemKind::Invalid(Msg::FileAndText.into()),
                });
            }
            if !seen.insert(field) {
                problems.push(Problem {
                    field: field.name().into(),
                    kind: ProblemKind::Invalid(Msg::FileTwice.into()),
                });
            }
            if let Some(hash_field) = field.hash_field() {
                match fields.iter().find(|(k, _)| k == hash_field) {
                    Some((_, given)) if !given.eq_ignore_ascii_case(part.md5()) => {
                        problems.push(Problem {
                            field: hash_field.into(),
                            kind: ProblemKind::HashMismatch {
                                computed: part.md5().into(),
                            },
                        })
                    }
                    Some(_) => {}
                    None => fields.push((hash_field.into(), part.md5().into())),
                }
            }
        }
        for f in FileField::ALL {
            if let Some(hash_field) = f.hash_field() {
                if !seen.contains(&f) && fields.iter().any(|(k, _)| k == hash_field) {
                    problems.push(Problem {
                        field: hash_field.into(),
                        kind: ProblemKind::HashWithoutFile {
                            file_field: f.name().into(),
                        },
                    });
                }
            }
        }
        if !problems.is_empty() {
            return Err(ValidationError {
                what: endpoint.name().into(),
                problems,
            }
            .into());
        }
        // The platform's hash comparison is on uppercase hex: normalise what the caller gave.
        for (k, v) in fields.iter_mut() {
            if k.ends_with("_hash") {
                v.make_ascii_uppercase();
            }
        }
        if let (Some(app_id), Some(api_type)) = (&options.app_id, &options.api_type) {
            if !app_id.is_empty() {
                fields.retain(|(k, _)| k != "app_id" && k != "api_type");
                fields.push(("app_id".into(), app_id.clone()));
                fields.push(("api_type".into(), api_type.clone()));
            }
        }
        if options.url_encoding {
            fields.retain(|(k, _)| k != "encoding");
            for (_, v) in fields.iter_mut() {
                *v = utf8_percent_encode(v, URL_MODE_SET).to_string();
            }
            fields.push(("encoding".into(), "URL".into()));
        }
        fields.sort_by(|a, b| sign::java_key_order(&a.0, &b.0));
        fields.dedup_by(|later, earlier| later.0 == earlier.0);
        let sign = sign::sign(&fields, secret);
        let canonical_masked = sign::masked_canonical_string(&fields);
        let boundary = if files.is_empty() {
            None
        } else {
            Some(new_boundary(&sign, &fields))
        };
        Ok(SignedRequest {
            endpoint,
            fields,
            sign,
            canonical_masked,
            files,
            boundary,
        })
    }

    /// The endpoint.
    pub fn endpoint(&self) -> Endpoint {
        self.endpoint
    }

    /// The URL path (`/gate/1.0/parking/internal/...`).
    pub fn path(&self) -> &'static str {
        self.endpoint.path()
    }

    /// The `sign` value.
    pub fn sign(&self) -> &str {
        &self.sign
    }

    /// The signed text fields, in signing order, as sent (without `sign`).
    pub fn fields(&self) -> &[(String, String)] {
        &self.fields
    }

    /// The value of one text field as sent.
    pub fn field(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The signed string with the secret masked (`...&app_secret=***`): what to log and what
    /// to compare with a platform hint.
    pub fn canonical_masked(&self) -> &str {
        &self.canonical_masked
    }

    /// The canonical string without the secret suffix.
    pub fn canonical(&self) -> &str {
        let suffix = "&app_secret=".len() + crate::secret::MASK.len();
        &self.canonical_masked[..self.canonical_masked.len() - suffix]
    }

    /// The attached files.
    pub fn files(&self) -> &[FilePart] {
        &self.files
    }

    /// The `Content-Type` header value.
    pub fn content_type(&self) -> String {
        match &self.boundary {
            Some(b) => format!("multipart/form-data; boundary={}", b),
            None => "application/x-www-form-urlencoded; charset=UTF-8".to_string(),
        }
    }

    fn segments(&self) -> Vec<Segment> {
        let boundary = match &self.boundary {
            None => {
                let mut ser = form_urlencoded::Serializer::new(String::new());
                for (k, v) in &self.fields {
                    ser.append_pair(k, v);
                }
                ser.append_pair(SIGN_FIELD, &self.sign);
                return vec![Segment::Bytes(ser.finish().into_bytes().into())];
            }
            Some(b) => b,
        };
        let mut head = Vec::with_capacity(256 * (self.fields.len() + 1));
        let text_parts = self
            .fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .chain(std::iter::once((SIGN_FIELD, self.sign.as_str())));
        for (k, v) in text_parts {
            head.extend_from_slice(b"--");
            head.extend_from_slice(boundary.as_bytes());
            head.extend_from_slice(b"\r\nContent-Disposition: form-data; name=\"");
            head.extend_from_slice(k.as_bytes());
            head.extend_from_slice(b"\"\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n");
            head.extend_from_slice(v.as_bytes());
            head.extend_from_slice(b"\r\n");
        }
        let mut segments = Vec::with_capacity(self.files.len() * 2 + 1);
        for part in &self.files {
            head.extend_from_slice(b"--");
            head.extend_from_slice(boundary.as_bytes());
            head.extend_from_slice(
                format!(
                    "\r\nContent-Disposition: form-data; name=\"{}\"; filename=\"{}\"\r\nContent-Type: application/octet-stream\r\n\r\n",
                    part.field().name(),
                    part.filename()
                )
                .as_bytes(),
            );
            segments.push(Segment::Bytes(std::mem::take(&mut head).into()));
            segments.push(match (part.source(), part.held()) {
                (FileSource::Bytes(b), _) | (FileSource::Path(_), Some(b)) => {
                    Segment::Bytes(b.clone())
                }
                (FileSource::Path(p), None) => Segment::File {
                    role: part.field().name(),
                    path: p.clone(),
                    len: part.len(),
                },
            });
            head.extend_from_slice(b"\r\n");
        }
        head.extend_from_slice(b"--");
        head.extend_from_slice(boundary.as_bytes());
        head.extend_from_slice(b"--\r\n");
        segments.push(Segment::Bytes(head.into()));
        segments
    }

    /// The body as a reader: files read once are sent from memory, larger ones are streamed
    /// from disk; call again for a retry. A streamed file that changed size since it was hashed
    /// makes the read fail.
    pub fn body_reader(&self) -> Body {
        Body::new(self.segments())
    }

    /// The exact body length, for `Content-Length`.
    pub fn content_length(&self) -> u64 {
        self.segments().iter().map(Segment::len).sum()
    }

    /// The whole body in memory, for callers with their own HTTP stack.
    pub fn body_bytes(&self) -> Result<Vec<u8>> {
        let mut out = Vec::with_capacity(self.content_length() as usize);
        let mut body = self.body_reader();
        body.read_to_end(&mut out).map_err(|e| body.error_for(e))?;
        Ok(out)
    }
}

pub use crate::record::field_name_problem;

/// Validates a record, hashes its files and signs it: the one step between a record and the
/// wire. Nothing is sent; a record that could never be accepted is refused here, and a plate of
/// a doubtful shape is warned of in the log (`plate.rs`: a warning, since a real plate must not
/// be refused).
pub fn build_request(
    record: &dyn Record,
    files: &[(FileField, FileSource)],
    secret: &AppSecret,
    options: &BuildOptions,
) -> Result<SignedRequest> {
    build_request_in(record, files, secret, options, None)
}

/// [`build_request`] logging in `lang` (`None`: the process's language), the language of the
/// client it builds for.
pub(crate) fn build_request_in(
    record: &dyn Record,
    files: &[(FileField, FileSource)],
    secret: &AppSecret,
    options: &BuildOptions,
    lang: Option<Lang>,
) -> Result<SignedRequest> {
    record.validate()?;
    let fields = record.to_fields();
    let field = |name: &str| {
        fields
            .iter()
            .find(|(f, _)| f == name)
            .map(|(_, v)| v.as_str())
    };
    if let (Some(plate), None | Some("0")) = (field("plate"), field("plate_type")) {
        if let Some(why) = crate::plate::doubt(plate) {
            let lang = lang.unwrap_or_else(Lang::from_env);
            log::warn!(
                "{}",
                Msg::PlateWarning.text(
                    lang,
                    &[
                        &crate::text::shown_quoted(plate, 32).render(lang),
                        &why.render(lang)
                    ]
                )
            );
        }
    }
    let parts = files
        .iter()
        .map(|(field, source)| FilePart::new(*field, source.clone()))
        .collect::<Result<Vec<_>>>()?;
    SignedRequest::build(record.endpoint(), fields, parts, secret, options)
}

/// A boundary that no part contains. Derived from the signature, a clock and a counter, so it
/// needs no random-number dependency; a text value that happens to contain it is checked for.
fn new_boundary(sign: &str, fields: &[(String, String)]) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    loop {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let seed = format!("{}:{}:{}", sign, nanos, n);
        let b = format!("----pyun{}", &md5_hex(seed.as_bytes())[..24]);
        if !fields.iter().any(|(_, v)| v.contains(&b)) {
            return b;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(k: &str, v: &str) -> (String, String) {
        (k.to_string(), v.to_string())
    }

    #[test]
    fn urlencoded_without_files() {
        let secret = AppSecret::new("123");
        let req = SignedRequest::build(
            Endpoint::Update,
            vec![s("plate", "粤B 1&2"), s("park_uuid", "p"), s("empty", "")],
            vec![],
            &secret,
            &BuildOptions::default(),
        )
        .unwrap();
        assert_eq!(req.canonical(), "park_uuid=p&plate=粤B 1&2");
        let body = String::from_utf8(req.body_bytes().unwrap()).unwrap();
        assert_eq!(
            body,
            format!("park_uuid=p&plate=%E7%B2%A4B+1%262&sign={}", req.sign())
        );
        assert_eq!(req.content_length(), body.len() as u64);
        assert!(req
            .content_type()
            .starts_with("application/x-www-form-urlencoded"));
    }

    #[test]
    fn url_mode_signs_encoded_values() {
        let secret = AppSecret::new("123");
        let opts = BuildOptions {
            url_encoding: true,
            ..Default::default()
        };
        let req = SignedRequest::build(
            Endpoint::Update,
            vec![s("plate", "中文ABC x")],
            vec![],
            &secret,
            &opts,
        )
        .unwrap();
        assert_eq!(
            req.canonical(),
            "encoding=URL&plate=%E4%B8%AD%E6%96%87ABC%20x"
        );
    }

    #[test]
    fn hash_rules() {
        let secret = AppSecret::new("123");
        let gif = crate::form::tests::GIF;
        let part = FilePart::new(FileField::EnterImage, gif.to_vec().into()).unwrap();
        let ok = SignedRequest::build(
            Endpoint::Enter,
            vec![s("a", "1")],
            vec![part.clone()],
            &secret,
            &BuildOptions::default(),
        )
        .unwrap();
        assert_eq!(
            ok.field("enter_image_hash"),
            Some("DF16D33739DEFE9BDA1F4C45D36FD7A7")
        );
        assert!(ok
            .content_type()
            .starts_with("multipart/form-data; boundary=----pyun"));
        let body = ok.body_bytes().unwrap();
        assert_eq!(body.len() as u64, ok.content_length());
        assert!(body.windows(gif.len()).any(|w| w == gif));

        let err = SignedRequest::build(
            Endpoint::Enter,
            vec![s("leave_image_hash", "AB")],
            vec![FilePart::new(FileField::CaptureImage, gif.to_vec().into()).unwrap()],
            &secret,
            &BuildOptions::default(),
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("leave_image_hash` given without `leave_image_file"),
            "{}",
            text
        );
        assert!(text.contains("capture_image"), "{}", text);

        let err = SignedRequest::build(
            Endpoint::Enter,
            vec![s("enter_image_hash", "00")],
            vec![part],
            &secret,
            &BuildOptions::default(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("differs"), "{}", err);
    }

    fn photo_request(path: &std::path::Path) -> SignedRequest {
        let part = FilePart::new(FileField::LeaveImage, path.into()).unwrap();
        SignedRequest::build(
            Endpoint::Leave,
            vec![s("a", "1")],
            vec![part],
            &AppSecret::new("123"),
            &BuildOptions::default(),
        )
        .unwrap()
    }

    #[test]
    fn a_small_photo_rewritten_after_hashing_is_sent_as_it_was_hashed() {
        let dir = std::env::temp_dir().join(format!("pyun-read-once-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("car.jpg");
        let original: Vec<u8> = (0..57_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &original).unwrap();
        let req = photo_request(&path);
        let hash = req.field("leave_image_hash").unwrap().to_string();
        // The camera overwrites the file: same size, another car; then a different size.
        let other: Vec<u8> = original.iter().map(|b| b ^ 0xff).collect();
        std::fs::write(&path, &other).unwrap();
        let body = req.body_bytes().unwrap();
        assert_eq!(body.len() as u64, req.content_length());
        assert!(body.windows(original.len()).any(|w| w == original));
        assert_eq!(md5_hex(&original), hash);
        std::fs::write(&path, b"short").unwrap();
        assert_eq!(
            req.body_bytes().unwrap(),
            body,
            "a retry sends the same bytes"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_large_photo_that_changes_size_after_hashing_is_not_sent() {
        let dir = std::env::temp_dir().join(format!("pyun-streamed-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("big.jpg");
        let len = crate::form::READ_ONCE_LIMIT as usize + 1;
        std::fs::write(&path, vec![7u8; len]).unwrap();
        let req = photo_request(&path);
        assert!(req.files()[0].held().is_none(), "streamed, not held");
        for changed in [len - 1, len + 1] {
            std::fs::write(&path, vec![7u8; changed]).unwrap();
            let text = req.body_bytes().unwrap_err().to_string();
            assert!(
                text.contains("leave_image_file") && text.contains("changed size"),
                "{}",
                text
            );
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn app_id_needs_api_type() {
        let secret = AppSecret::new("123");
        let opts = BuildOptions {
            app_id: Some("op1".into()),
            ..Default::default()
        };
        assert!(SignedRequest::build(Endpoint::Enter, vec![], vec![], &secret, &opts).is_err());
        let opts = BuildOptions {
            app_id: Some("op1".into()),
            api_type: Some("T".into()),
            ..Default::default()
        };
        let req = SignedRequest::build(Endpoint::Enter, vec![s("a", "1")], vec![], &secret, &opts)
            .unwrap();
        assert_eq!(req.canonical(), "a=1&api_type=T&app_id=op1");
    }
}
