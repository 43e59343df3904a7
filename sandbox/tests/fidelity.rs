//! The sandbox against the evidence in the pages and the platform's own Java demo, over real
//! loopback HTTP with hand-made bodies (not pyun's client).

use std::path::PathBuf;

use pyun_core::sign::sign;
use pyun_core::AppSecret;
use pyun_sandbox::{Sandbox, SandboxConfig};
use serde_json::Value;

const GIF: &[u8] = &[
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x05, 0x04, 0x04,
    0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44,
    0x01, 0x00, 0x3b,
];

fn sandbox() -> Sandbox {
    Sandbox::start(SandboxConfig::default()).unwrap()
}

fn post(sb: &Sandbox, path: &str, content_type: &str, body: &[u8]) -> Value {
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent();
    let mut resp = agent
        .post(format!("{}{}", sb.url(), path))
        .header("Content-Type", content_type)
        .send(body)
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let text = resp.body_mut().read_to_string().unwrap();
    serde_json::from_str(&text).unwrap()
}

fn form(fields: &[(&str, &str)]) -> Vec<u8> {
    let mut ser = form_urlencoded::Serializer::new(String::new());
    for (k, v) in fields {
        ser.append_pair(k, v);
    }
    ser.finish().into_bytes()
}

const FORM: &str = "application/x-www-form-urlencoded; charset=UTF-8";
const LEAVE: &str = "/gate/1.0/parking/internal/leave";

/// The answer printed in a page, as JSON.
fn page_answer(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

/// Page 001, "正常返回 带hint": a leave with no `charge_type`, answered with the signature
/// hint, so the platform checks the signature before the required fields.
#[test]
fn page_001_hint_example_replayed() {
    let page = page_answer(include_str!("fixtures/page_001_hint.json"));
    let payment_list = r#"[{"change_value":"500","free_value":100,"operator":"张三","parking_order":"1624938055655","pay_origin_desc":"现金","pay_time":"1624938055655","pay_type":"1","value":500},{"change_value":"0","free_value":100,"operator":"","parking_order":"1624938055755","pay_origin_desc":"在线支付","pay_time":"1624938055655","pay_type":"2","value":500},{"change_value":"0","free_value":0,"operator":"","parking_order":"1624938055755","pay_origin_desc":"储值卡余额支付","pay_time":"1624938055655","pay_type":"4","value":500}]"#;
    let fields = [
        ("car_color", "1"),
        ("car_desc", "临时车"),
        ("car_type", "1"),
        ("enter_time", "1624874732253"),
        ("leave_gate", "出口名称"),
        (
            "leave_image",
            "https://t7.baidu.com/it/u=1595072465,3644073269&fm=193&f=GIF",
        ),
        ("leave_image_hash", "3EF48C1A8A95DF308EFF872082280815"),
        ("leave_release_reason", "离场人工放行原因"),
        ("leave_security", "出口保安"),
        ("leave_time", "1624938055655"),
        ("park_uuid", "49f0cc52-e8c7-41e3-b54d-af666b8cc11a"),
        ("parking_serial", "202106028000000007"),
        ("payment_list", payment_list),
        ("plate", "粤X44444"),
        ("plate_color", "1"),
        ("remain_parking_space", "10"),
        ("total_parking_space", "100"),
        ("vehicle_type", "1"),
        ("sign", "00000000000000000000000000000000"),
    ];
    let sb = sandbox();
    let got = post(&sb, LEAVE, FORM, &form(&fields));
    for key in ["code", "message", "hint", "path"] {
        assert_eq!(got[key], page[key], "{}: {}", key, got);
    }
    assert!(sb.records().is_empty());
}

/// Page 002's 401 example: a release with no `release_type`, answered 401.
#[test]
fn page_002_401_example_replayed() {
    let page = page_answer(include_str!("fixtures/page_002_401.json"));
    let fields = [
        ("park_uuid", "49f0cc52-e8c7-41e3-b54d-af666b8cc11a"),
        ("parking_serial", "parking_serialxxxxx"),
        ("plate", "?KKKKKK"),
        ("release_time", "2023-03-21T15:59:59Z"),
        ("sign", "00000000000000000000000000000000"),
    ];
    let sb = sandbox();
    let got = post(
        &sb,
        "/gate/1.0/parking/internal/release",
        FORM,
        &form(&fields),
    );
    for key in ["code", "message", "hint", "path"] {
        assert_eq!(got[key], page[key], "{}: {}", key, got);
    }
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Page 001's Java demo request, as HttpClient writes it: signed right with `123`, so the
/// missing `charge_type` is what the sandbox answers.
#[test]
fn java_demo_request_recorded() {
    let body = std::fs::read(fixture("java_demo_leave.multipart")).unwrap();
    let ct = std::fs::read_to_string(fixture("java_demo_leave.content-type")).unwrap();
    let sb = sandbox();
    let got = post(&sb, LEAVE, ct.trim(), &body);
    assert_eq!(got["code"], "400", "{}", got);
    assert_eq!(got["hint"], "参数`charge_type`未传递", "{}", got);

    // With a wrong secret the same request gets the signature hint (page 001's example).
    let other = Sandbox::start(SandboxConfig {
        app_secret: "not-123".into(),
        ..SandboxConfig::default()
    })
    .unwrap();
    let got = post(&other, LEAVE, ct.trim(), &body);
    assert_eq!(got["code"], "200", "{}", got);
    assert_eq!(got["message"], "已忽略当前请求");
    assert!(got["hint"]
        .as_str()
        .unwrap()
        .starts_with("签名验证不通过[car_color=1&car_desc=临时车&car_type=1&enter_time=1624874732253&leave_gate=出口名称&leave_image=https://t7.baidu.com/it/u=1595072465,3644073269&fm=193&f=GIF&leave_image_hash=DF16D33739DEFE9BDA1F4C45D36FD7A7&"));
}

/// The multipart body HttpClient writes: text parts with only a Content-Disposition, file
/// parts as given.
fn multipart(boundary: &str, text: &[(String, String)], files: &[(&str, &str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (k, v) in text {
        out.extend_from_slice(
            format!(
                "--{}\r\nContent-Disposition: form-data; name=\"{}\"\r\n\r\n{}\r\n",
                boundary, k, v
            )
            .as_bytes(),
        );
    }
    for (name, headers, bytes) in files {
        out.extend_from_slice(
            format!(
                "--{}\r\nContent-Disposition: form-data; name=\"{}\"\r\n{}\r\n",
                boundary, name, headers
            )
            .as_bytes(),
        );
        out.extend_from_slice(bytes);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{}--\r\n", boundary).as_bytes());
    out
}

fn signed(fields: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = fields
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let s = sign(&v, &AppSecret::new("123"));
    v.push(("sign".into(), s));
    v
}

const ENTER: &str = "/gate/1.0/parking/internal/enter";

fn enter_fields<'a>(serial: &'a str, hash: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("park_uuid", "P-1"),
        ("parking_serial", serial),
        ("plate", "粤B12345"),
        ("plate_color", "1"),
        ("enter_time", "1624874732253"),
        ("car_type", "1"),
        ("car_desc", "临时车"),
        ("charge_type", "1"),
        ("vehicle_type", "1"),
        ("enter_image_hash", hash),
    ]
}

/// HttpClient's `addBinaryBody(name, byte[])`: no filename. A part named `*_image_file` is a
/// file whatever its bytes, even bytes that are valid UTF-8.
#[test]
fn image_file_part_without_filename_is_a_file() {
    let sb = sandbox();
    let b = "BoUnDaRy-1";
    // Not UTF-8, with HttpClient's octet-stream header.
    let binary: &[u8] = &[0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10];
    let hash = pyun_core::form::md5_hex(binary);
    let text = signed(&enter_fields("NOFN-1", &hash));
    let body = multipart(
        b,
        &text,
        &[(
            "enter_image_file",
            "Content-Type: application/octet-stream\r\n",
            binary,
        )],
    );
    let ct = format!("multipart/form-data; boundary={}", b);
    let got = post(&sb, ENTER, &ct, &body);
    assert_eq!(got["code"], "200", "{}", got);
    assert!(got.get("hint").is_none(), "{}", got);
    // Valid UTF-8 bytes (a GIF header happens to be ASCII) and no headers at all.
    let ascii: &[u8] = b"GIF89a-all-ascii";
    let hash = pyun_core::form::md5_hex(ascii);
    let text = signed(&enter_fields("NOFN-2", &hash));
    let body = multipart(b, &text, &[("enter_image_file", "", ascii)]);
    let got = post(&sb, ENTER, &ct, &body);
    assert_eq!(got["code"], "200", "{}", got);
    assert!(got.get("hint").is_none(), "{}", got);
    let recs = sb.records();
    assert_eq!(recs.len(), 2);
    assert_eq!(recs[0].files["enter_image_file"].len, binary.len() as u64);
    assert_eq!(recs[1].files["enter_image_file"].md5, hash);
    assert!(!recs[1].fields.contains_key("enter_image_file"));
    let _ = GIF;
}

/// A text field that is not UTF-8: the hint says how the sandbox tells files from fields.
#[test]
fn non_utf8_text_part_hint_explains_the_rule() {
    let sb = sandbox();
    let b = "BoUnDaRy-2";
    let mut text = signed(&enter_fields("NOTUTF-1", "X"));
    text.retain(|(k, _)| k != "enter_image_hash");
    let mut body = multipart(b, &text, &[]);
    // Splice a bad text part in before the closing boundary.
    let close = format!("--{}--\r\n", b);
    body.truncate(body.len() - close.len());
    body.extend_from_slice(
        format!(
            "--{}\r\nContent-Disposition: form-data; name=\"car_desc\"\r\n\r\n",
            b
        )
        .as_bytes(),
    );
    body.extend_from_slice(&[0xc1, 0xd9, 0xca, 0xb1]);
    body.extend_from_slice(b"\r\n");
    body.extend_from_slice(close.as_bytes());
    let got = post(
        &sb,
        ENTER,
        &format!("multipart/form-data; boundary={}", b),
        &body,
    );
    assert_eq!(got["code"], "400", "{}", got);
    let hint = got["hint"].as_str().unwrap();
    assert!(hint.contains("car_desc"), "{}", hint);
    assert!(hint.contains("_image_file"), "{}", hint);
    assert!(hint.contains("filename"), "{}", hint);
}

/// encoding=URL values decoded as Java's URLDecoder: `+` is a space.
#[test]
fn url_mode_plus_is_a_space() {
    let sb = sandbox();
    let mut fields = enter_fields("PLUS-1", "");
    fields.retain(|(k, _)| *k != "enter_image_hash");
    fields.retain(|(k, _)| *k != "car_desc" && *k != "plate");
    // What java.net.URLEncoder writes for "临时 车" and "粤B12345".
    fields.push(("car_desc", "%E4%B8%B4%E6%97%B6+%E8%BD%A6"));
    fields.push(("plate", "%E7%B2%A4B12345"));
    fields.push(("encoding", "URL"));
    let text = signed(&fields);
    let pairs: Vec<(&str, &str)> = text.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let got = post(&sb, ENTER, FORM, &form(&pairs));
    assert_eq!(got["code"], "200", "{}", got);
    let rec = &sb.records()[0];
    assert_eq!(rec.decoded["car_desc"], "临时 车");
    assert_eq!(rec.decoded["plate"], "粤B12345");
}
