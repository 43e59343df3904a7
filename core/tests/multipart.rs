//! The multipart writer against a real parser (multer, which axum and so the sandbox use):
//! whatever field names and values a request is built from, a parser reads back exactly the
//! fields that were signed, or the request is refused before anything is written. A field
//! name is written into a `Content-Disposition` header, where `"`, `\` or CR LF would change
//! what the server reads (issue 12, item 6).

use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use proptest::prelude::*;
use pyun_core::{AppSecret, BuildOptions, Endpoint, FileField, FilePart, SignedRequest};

struct NoWake;

impl Wake for NoWake {
    fn wake(self: Arc<Self>) {}
}

/// Runs a future that never waits: the parser's input is all in memory.
fn run<F: Future>(f: F) -> F::Output {
    let waker = Waker::from(Arc::new(NoWake));
    let mut cx = Context::from_waker(&waker);
    let mut f = Box::pin(f);
    match f.as_mut().poll(&mut cx) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("the parser waited for input it already had"),
    }
}

/// The parts of a multipart body as a parser reads them: (name, bytes).
fn parse(content_type: &str, body: Vec<u8>) -> Result<Vec<(String, Vec<u8>)>, multer::Error> {
    let boundary = multer::parse_boundary(content_type)?;
    let stream = futures_util::stream::iter(vec![Ok::<_, std::io::Error>(body)]);
    let mut multipart = multer::Multipart::new(stream, boundary);
    run(async move {
        let mut parts = Vec::new();
        while let Some(field) = multipart.next_field().await? {
            let name = field.name().unwrap_or("<no name>").to_string();
            parts.push((name, field.bytes().await?.to_vec()));
        }
        Ok(parts)
    })
}

/// The names the platform uses and could add: ASCII letters, digits and `_`.
fn allowed(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9_]{1,12}",
        "[A-Za-z0-9_]{1,12}",
        "\\PC{0,8}",
        any::<String>(),
        prop::sample::select(vec![
            "",
            "a\"b",
            "a\r\nb",
            "a\rb",
            "a\nb",
            "a\\",
            "a b",
            "a=b",
            "a&b",
            "a;b",
            "é",
            "a\0b",
            "a\tb",
            "x\"; filename=\"y",
            "x\r\nContent-Type: text/html",
        ])
        .prop_map(str::to_string),
    ]
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "\\PC{0,20}",
        prop::sample::select(vec!["\r\n--", "--\r\n\r\n", "a\"b", "\r\n\r\n"])
            .prop_map(str::to_string),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn a_parser_reads_back_exactly_what_was_signed(
        extra in prop::collection::vec((name(), value()), 0..4),
    ) {
        let mut text: Vec<(String, String)> = vec![
            ("park_uuid".into(), "49f0cc52-e8c7-41e3-b54d-af666b8cc11a".into()),
            ("parking_serial".into(), "S1".into()),
        ];
        text.extend(extra.iter().cloned());
        let photo = FilePart::new(FileField::EnterImage, vec![0u8, 13, 10, 45, 45].into()).unwrap();
        let built = SignedRequest::build(
            Endpoint::Enter,
            text,
            vec![photo],
            &AppSecret::new("s"),
            &BuildOptions::default(),
        );
        let refused: Vec<&String> = extra
            .iter()
            .filter(|(k, _)| !allowed(k))
            .map(|(k, _)| k)
            .collect();
        match built {
            Ok(request) => {
                let body = request.body_bytes().unwrap();
                let parsed = parse(&request.content_type(), body)
                    .map_err(|e| TestCaseError::fail(format!("the parser refused the body: {}", e)))?;
                let mut signed: Vec<(String, Vec<u8>)> = request
                    .fields()
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone().into_bytes()))
                    .collect();
                signed.push(("sign".into(), request.sign().as_bytes().to_vec()));
                signed.push(("enter_image_file".into(), vec![0, 13, 10, 45, 45]));
                prop_assert_eq!(parsed, signed);
                prop_assert!(refused.is_empty(), "built with field names {:?}", refused);
            }
            Err(e) => {
                prop_assert!(!refused.is_empty(), "refused good names: {}", e);
                let message = e.to_string();
                prop_assert!(
                    refused.iter().any(|k| message.contains(&format!("{:?}", k))),
                    "the refusal does not name the key: {}",
                    message
                );
            }
        }
    }
}
