//! Sends signed platform pushes (pages 000 and 004) to a subscriber's receiver, resending until
//! it answers `{"code":"1001"}`, as the platform does.

use std::io::Read;
use std::time::Duration;

use pyun_core::push::sign_push;
use pyun_core::receive::BodyEncoding;
use pyun_core::AppSecret;

/// How a push delivery went.
#[derive(Clone, Debug)]
pub struct PushDelivery {
    /// Attempts made.
    pub attempts: u32,
    /// Whether the receiver answered `{"code":"1001"}`.
    pub acknowledged: bool,
    /// The HTTP status of the last answer, if any.
    pub last_status: Option<u16>,
    /// The last answer's body (or the network error), cut to 512 bytes.
    pub last_body: String,
}

fn acknowledged(body: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            v.get("code").map(|c| {
                c.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| c.to_string())
            })
        })
        .is_some_and(|c| c == "1001")
}

/// Signs `fields` as the platform (adding `app_id`, `sign_type`, `timestamp`, `sign`) and POSTs
/// them as a form to `receiver_url`, every `interval`, until acknowledged or `max_attempts`.
/// `Err` only for an unusable URL or secret.
pub fn send_push(
    receiver_url: &str,
    fields: &[(String, String)],
    app_secret: &str,
    app_id: &str,
    max_attempts: u32,
    interval: Duration,
) -> Result<PushDelivery, String> {
    send_push_encoded(
        receiver_url,
        fields,
        app_secret,
        app_id,
        max_attempts,
        interval,
        BodyEncoding::Form,
    )
}

/// A push body in the given encoding, and its Content-Type.
pub fn encode_push(fields: &[(String, String)], encoding: BodyEncoding) -> (String, Vec<u8>) {
    match encoding {
        BodyEncoding::Form => {
            let mut ser = form_urlencoded::Serializer::new(String::new());
            for (k, v) in fields {
                ser.append_pair(k, v);
            }
            (
                "application/x-www-form-urlencoded; charset=UTF-8".into(),
                ser.finish().into_bytes(),
            )
        }
        BodyEncoding::Multipart => {
            // Field names and values are the platform's (ASCII names, text values); a boundary
            // that occurs in no value is picked.
            let mut n = 0u32;
            let boundary = loop {
                let b = format!("----pyunPushBoundary{:08x}", n);
                if !fields.iter().any(|(k, v)| k.contains(&b) || v.contains(&b)) {
                    break b;
                }
                n += 1;
            };
            let mut body = Vec::new();
            for (k, v) in fields {
                body.extend_from_slice(
                    format!(
                        "--{}\r\nContent-Disposition: form-data; name=\"{}\"\r\n\r\n",
                        boundary, k
                    )
                    .as_bytes(),
                );
                body.extend_from_slice(v.as_bytes());
                body.extend_from_slice(b"\r\n");
            }
            body.extend_from_slice(format!("--{}--\r\n", boundary).as_bytes());
            (format!("multipart/form-data; boundary={}", boundary), body)
        }
        BodyEncoding::Json => {
            let map: serde_json::Map<String, serde_json::Value> = fields
                .iter()
                .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
                .collect();
            (
                "application/json".into(),
                serde_json::Value::Object(map).to_string().into_bytes(),
            )
        }
    }
}

/// [`send_push`] with the body in `encoding` (form, multipart or JSON).
pub fn send_push_encoded(
    receiver_url: &str,
    fields: &[(String, String)],
    app_secret: &str,
    app_id: &str,
    max_attempts: u32,
    interval: Duration,
    encoding: BodyEncoding,
) -> Result<PushDelivery, String> {
    if app_secret.is_empty() {
        return Err("app_secret is empty".into());
    }
    if !(receiver_url.starts_with("http://") || receiver_url.starts_with("https://")) {
        return Err(format!(
            "receiver URL {:?} must start with http:// or https://",
            receiver_url
        ));
    }
    let signed = sign_push(fields, &AppSecret::new(app_secret), app_id, None);
    let (content_type, body) = encode_push(&signed, encoding);
    let agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(10)))
        .http_status_as_error(false)
        .build()
        .new_agent();
    let mut delivery = PushDelivery {
        attempts: 0,
        acknowledged: false,
        last_status: None,
        last_body: String::new(),
    };
    while delivery.attempts < max_attempts.max(1) {
        if delivery.attempts > 0 {
            std::thread::sleep(interval);
        }
        delivery.attempts += 1;
        let result = agent
            .post(receiver_url)
            .header("Content-Type", content_type.as_str())
            .send(&body[..]);
        let mut resp = match result {
            Ok(r) => r,
            Err(e) => {
                delivery.last_status = None;
                delivery.last_body = e.to_string();
                continue;
            }
        };
        delivery.last_status = Some(resp.status().as_u16());
        let mut text = String::new();
        let _ = resp
            .body_mut()
            .as_reader()
            .take(512)
            .read_to_string(&mut text);
        delivery.acknowledged = acknowledged(&text);
        delivery.last_body = text;
        if delivery.acknowledged {
            break;
        }
    }
    Ok(delivery)
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The fields of page 000's leave-record push (without the envelope, which is added when sent).
pub fn sample_leave_push() -> Vec<(String, String)> {
    pairs(&[
        ("total_value", "100"),
        ("latitude", "-1.0"),
        ("leave_image", "https://660pp.com/img/env_1.jpg"),
        ("plate", "川A660P1"),
        ("enter_image", "https://660pp.com/img/env_1.jpg"),
        ("park_name", "P云支付体验-停车场"),
        ("car_type", "1"),
        ("car_desc", ""),
        ("longitude", "-1.0"),
        ("parking_time", "305"),
        ("enter_gate", "入口"),
        ("park_uuid", "49f0cc52-e8c7-41e3-b54d-af666b8cc11a"),
        ("leave_time", "1618994585000"),
        ("leave_gate", "出口"),
        ("address", "广东省深圳市南山区粤海街道讯美科技广场3号楼"),
        ("plate_color", "-1"),
        ("area_code", "440305"),
        ("autopay_value", "0"),
        ("parking_serial", "591668151763415041"),
        ("vehicle_type", "0"),
        ("enter_time", "1618994280000"),
        ("free_value", "0"),
    ])
}

/// The fields of page 004's payment-order push, with a discount and a merchant coupon as JSON.
pub fn sample_payment_push() -> Vec<(String, String)> {
    pairs(&[
        ("park_uuid", "49f0cc52-e8c7-41e3-b54d-af666b8cc11a"),
        ("pay_serial", "20210421164242075523115813"),
        (
            "discounts",
            r#"[{"type":"1","token":"T1","openid":"o1","mobile":"13800000000","relief_amount":"1","relief_value":"100"}]"#,
        ),
        (
            "mcoupons",
            r#"[{"coupon_name":"10元停车券","coupon_code":"0x01","store_name":"肯德基","store_code":"0x02","coupon_type":"1","coupon_value":"1000","grant_time":"1618994500000","grant_serial":"G1"}]"#,
        ),
        ("pay_value", "100"),
        ("parking_serial", "591668151763415041"),
        ("park_name", "P云支付体验-停车场"),
        ("pay_time", "1618994563000"),
        ("plate", "川A660P1"),
        ("channel", "200102"),
        ("identity", "5aeV05nlt6/ig4LplITisYg="),
    ])
}
