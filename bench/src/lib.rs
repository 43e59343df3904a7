//! Shared fixtures of the benchmarks: the realistic records they sign and send.

use pyun_core::sign::canonical_string;

/// A realistic leave record as flat fields: 25 fields plus a 3-entry `payment_list`, the
/// shape of page 001's sample with the optional fields a busy lot fills in.
pub fn leave_fields(serial: u64) -> Vec<(String, String)> {
    let payments = r#"[{"change_value":"500","free_value":100,"operator":"张三","parking_order":"1624937505093","pay_origin_desc":"现金","pay_time":"1624937505093","pay_type":"1","value":500},{"change_value":"0","free_value":100,"operator":"","parking_order":"1624937505193","pay_origin_desc":"在线支付","pay_time":"1624937505093","pay_type":"2","value":500},{"change_value":"0","free_value":0,"operator":"","parking_order":"1624937505193","pay_origin_desc":"储值卡余额支付","pay_time":"1624937505093","pay_type":"4","value":500}]"#;
    let pairs: [(&str, String); 26] = [
        ("park_uuid", "49f0cc52-e8c7-41e3-b54d-af666b8cc11a".into()),
        ("parking_serial", format!("2021060280{:08}", serial)),
        ("plate", "粤X44444".into()),
        ("plate_color", "1".into()),
        ("plate_type", "0".into()),
        ("enter_time", "1624874732253".into()),
        ("enter_gate", "入口名称".into()),
        ("enter_security", "入口保安".into()),
        (
            "enter_image",
            "https://t7.baidu.com/it/u=1595072465,3644073269&fm=193&f=GIF".into(),
        ),
        ("leave_time", "1624937505093".into()),
        ("leave_gate", "出口名称".into()),
        ("leave_security", "出口保安".into()),
        (
            "leave_image",
            "https://t7.baidu.com/it/u=1595072465,3644073269&fm=193&f=GIF".into(),
        ),
        (
            "leave_image_hash",
            "3EF48C1A8A95DF308EFF872082280815".into(),
        ),
        ("car_type", "1".into()),
        ("car_desc", "临时车".into()),
        ("car_color", "1".into()),
        ("charge_type", "1".into()),
        ("vehicle_type", "1".into()),
        ("total_value", "1500".into()),
        ("free_value", "200".into()),
        ("cash_value", "500".into()),
        ("online_value", "500".into()),
        ("leave_release_reason", "离场人工放行原因".into()),
        ("total_parking_space", "100".into()),
        ("payment_list", payments.into()),
    ];
    let mut v: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    v.push(("remain_parking_space".into(), "10".into()));
    v
}

/// The bytes a bare-MD5 baseline hashes: exactly what [`pyun_core::sign::sign`] hashes.
pub fn signed_bytes(fields: &[(String, String)], secret: &str) -> Vec<u8> {
    format!("{}&app_secret={}", canonical_string(fields), secret).into_bytes()
}

/// Walks the command line: `handle(arg, value)` for each argument, where `value(name)` takes
/// the argument after it (the value of flag `name`).
pub fn each_arg(mut handle: impl FnMut(&str, &mut dyn FnMut(&str) -> String)) {
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .unwrap_or_else(|| panic!("{} needs a value", name))
        };
        handle(&arg, &mut value);
    }
}

/// A bare HTTP/1.1 connection for replaying pre-built requests: the least a client can do per
/// request, so that a measured ceiling carries no client library's costs.
pub struct RawConnection {
    writer: std::net::TcpStream,
    reader: std::io::BufReader<std::net::TcpStream>,
}

impl RawConnection {
    /// Connects to `host:port`.
    pub fn open(addr: &str) -> RawConnection {
        let stream = std::net::TcpStream::connect(addr).expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        RawConnection {
            writer: stream.try_clone().expect("clone"),
            reader: std::io::BufReader::new(stream),
        }
    }

    /// Sends one request and returns the body of its `200` answer.
    pub fn round_trip(&mut self, request: &[u8]) -> Vec<u8> {
        self.send(request);
        self.answer()
    }

    /// Writes bytes of a request (all of it, or a piece of it).
    pub fn send(&mut self, bytes: &[u8]) {
        use std::io::Write;
        self.writer.write_all(bytes).expect("write");
    }

    /// Reads one answer, which must be a `200`, and returns its body.
    pub fn answer(&mut self) -> Vec<u8> {
        use std::io::{BufRead, Read};
        let mut line = String::new();
        self.reader.read_line(&mut line).expect("status");
        assert!(line.starts_with("HTTP/1.1 200"), "{}", line);
        let mut len = 0usize;
        loop {
            line.clear();
            self.reader.read_line(&mut line).expect("header");
            if line == "\r\n" {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                len = v.trim().parse().expect("content-length");
            }
        }
        let mut body = vec![0; len];
        self.reader.read_exact(&mut body).expect("body");
        body
    }
}

/// A signed request as the bytes of an HTTP/1.1 POST to `host` (`host:port`).
pub fn raw_request(req: &pyun_core::SignedRequest, host: &str) -> Vec<u8> {
    let mut raw = format!(
        "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n\r\n",
        req.path(),
        host,
        req.content_type(),
        req.content_length()
    )
    .into_bytes();
    raw.extend(req.body_bytes().expect("body"));
    raw
}
