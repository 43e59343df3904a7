//! The sandbox's push sender against a real receiver that fails twice, then verifies and acks.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pyun_core::push::{parse_form_body, PaymentPush, ACK_BODY};
use pyun_core::AppSecret;
use pyun_sandbox::{pusher, sample_payment_push};

/// A minimal HTTP receiver on std only: enough for one request per connection.
fn receiver(fail_first: usize) -> (String, Arc<Mutex<Vec<PaymentPush>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/notify", listener.local_addr().unwrap());
    let got = Arc::new(Mutex::new(Vec::new()));
    let seen = got.clone();
    std::thread::spawn(move || {
        for (n, stream) in listener.incoming().enumerate() {
            let mut stream = stream.unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut len = 0;
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                if line == "\r\n" || line.is_empty() {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap();
                }
            }
            let mut body = vec![0; len];
            reader.read_exact(&mut body).unwrap();
            let answer = if n < fail_first {
                r#"{"code":"500"}"#.to_string()
            } else {
                let fields = parse_form_body(&body).unwrap();
                let push =
                    PaymentPush::verify_and_parse(&fields, &AppSecret::new("sub-secret")).unwrap();
                seen.lock().unwrap().push(push);
                ACK_BODY.to_string()
            };
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
                answer.len(),
                answer
            );
        }
    });
    (url, got)
}

#[test]
fn resends_until_acknowledged() {
    let (url, got) = receiver(2);
    let d = pusher::send_push(
        &url,
        &sample_payment_push(),
        "sub-secret",
        "op1",
        5,
        Duration::from_millis(10),
    )
    .unwrap();
    assert!(d.acknowledged, "{:?}", d);
    assert_eq!(d.attempts, 3);
    let pushes = got.lock().unwrap();
    assert_eq!(pushes.len(), 1);
    assert_eq!(pushes[0].pay_serial, "20210421164242075523115813");
    assert_eq!(pushes[0].mcoupons[0].store_name, "肯德基");
    assert_eq!(pushes[0].discounts[0].relief_value, "100");
}

#[test]
fn gives_up_after_max_attempts() {
    let (url, got) = receiver(100);
    let d = pusher::send_push(
        &url,
        &sample_payment_push(),
        "sub-secret",
        "op1",
        3,
        Duration::from_millis(5),
    )
    .unwrap();
    assert!(!d.acknowledged);
    assert_eq!((d.attempts, d.last_status), (3, Some(200)));
    assert!(got.lock().unwrap().is_empty());
}

#[test]
fn every_encoding_reads_back_and_verifies() {
    use pyun_core::receive::{verify_request, BodyEncoding};
    let secret = AppSecret::new("sub-secret");
    let mut fields = sample_payment_push();
    fields.push(("car_desc".into(), String::new()));
    let signed = pyun_core::push::sign_push(&fields, &secret, "app", None);
    for enc in [
        BodyEncoding::Form,
        BodyEncoding::Multipart,
        BodyEncoding::Json,
    ] {
        let (ct, body) = pusher::encode_push(&signed, enc);
        let p = verify_request(Some(&ct), &body, &secret).unwrap();
        assert_eq!(p.encoding, enc);
        assert_eq!(p.key, "20210421164242075523115813");
        let mut got = p.fields.clone();
        let mut want = signed.clone();
        got.sort();
        want.sort();
        assert_eq!(got, want, "{:?}", enc);
    }
}
