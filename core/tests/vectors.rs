//! The two signing vectors printed in page 001 (secret `123`), reproduced from raw fields and
//! from typed records, plus the spec's GIF fixture.

use pyun_core::form::md5_hex;
use pyun_core::payment::{Payment, PaymentList};
use pyun_core::sign::{canonical_string, masked_canonical_string, sign};
use pyun_core::{codes::*, AppSecret, Endpoint, FileField, LeaveRecord, Record, SignedRequest};

const URL: &str = "https://t7.baidu.com/it/u=1595072465,3644073269&fm=193&f=GIF";
const PAYMENTS: &str = r#"[{"change_value":"500","free_value":100,"operator":"张三","parking_order":"1624937505093","pay_origin_desc":"现金","pay_time":"1624937505093","pay_type":"1","value":500},{"change_value":"0","free_value":100,"operator":"","parking_order":"1624937505193","pay_origin_desc":"在线支付","pay_time":"1624937505093","pay_type":"2","value":500},{"change_value":"0","free_value":0,"operator":"","parking_order":"1624937505193","pay_origin_desc":"储值卡余额支付","pay_time":"1624937505093","pay_type":"4","value":500}]"#;
const LEAVE_CANONICAL: &str = "car_color=1&car_desc=临时车&car_type=1&enter_time=1624874732253&leave_gate=出口名称&leave_image=https://t7.baidu.com/it/u=1595072465,3644073269&fm=193&f=GIF&leave_image_hash=3EF48C1A8A95DF308EFF872082280815&leave_release_reason=离场人工放行原因&leave_security=出口保安&leave_time=1624937505093&park_uuid=49f0cc52-e8c7-41e3-b54d-af666b8cc11a&parking_serial=202106028000000007&payment_list=[{\"change_value\":\"500\",\"free_value\":100,\"operator\":\"张三\",\"parking_order\":\"1624937505093\",\"pay_origin_desc\":\"现金\",\"pay_time\":\"1624937505093\",\"pay_type\":\"1\",\"value\":500},{\"change_value\":\"0\",\"free_value\":100,\"operator\":\"\",\"parking_order\":\"1624937505193\",\"pay_origin_desc\":\"在线支付\",\"pay_time\":\"1624937505093\",\"pay_type\":\"2\",\"value\":500},{\"change_value\":\"0\",\"free_value\":0,\"operator\":\"\",\"parking_order\":\"1624937505193\",\"pay_origin_desc\":\"储值卡余额支付\",\"pay_time\":\"1624937505093\",\"pay_type\":\"4\",\"value\":500}]&plate=粤X44444&plate_color=1&remain_parking_space=10&total_parking_space=100&vehicle_type=1";
const ENTER_CANONICAL: &str = "car_color=1&car_desc=临时车&car_type=1&enter_gate=入口名称&enter_image=https://t7.baidu.com/it/u=1595072465,3644073269&fm=193&f=GIF&enter_image_hash=3EF48C1A8A95DF308EFF872082280815&enter_release_reason=访问客户&enter_security=入口保安&enter_time=1624874732253&park_uuid=49f0cc52-e8c7-41e3-b54d-af666b8cc11a&parking_serial=202106028000000007&plate=粤X44444&plate_color=1&remain_parking_space=10&total_parking_space=100&vehicle_type=1";

fn secret() -> AppSecret {
    AppSecret::new("123")
}

/// Leave fields in the (unsorted) order the page's Java sample puts them.
fn leave_fields() -> Vec<(&'static str, &'static str)> {
    vec![
        ("park_uuid", "49f0cc52-e8c7-41e3-b54d-af666b8cc11a"),
        ("parking_serial", "202106028000000007"),
        ("plate", "粤X44444"),
        ("plate_color", "1"),
        ("enter_time", "1624874732253"),
        ("leave_image", URL),
        ("leave_gate", "出口名称"),
        ("leave_security", "出口保安"),
        ("car_type", "1"),
        ("car_desc", "临时车"),
        ("car_color", "1"),
        ("vehicle_type", "1"),
        ("leave_release_reason", "离场人工放行原因"),
        ("total_parking_space", "100"),
        ("remain_parking_space", "10"),
        ("leave_image_hash", "3EF48C1A8A95DF308EFF872082280815"),
        ("leave_time", "1624937505093"),
        ("payment_list", PAYMENTS),
    ]
}

#[test]
fn leave_vector_from_raw_fields() {
    let f = leave_fields();
    assert_eq!(canonical_string(&f), LEAVE_CANONICAL);
    assert_eq!(
        masked_canonical_string(&f),
        format!("{}&app_secret=***", LEAVE_CANONICAL)
    );
    assert_eq!(sign(&f, &secret()), "142FA4A7E91F18E7545328900498933B");
}

#[test]
fn enter_vector_from_raw_fields() {
    let f = [
        ("park_uuid", "49f0cc52-e8c7-41e3-b54d-af666b8cc11a"),
        ("parking_serial", "202106028000000007"),
        ("plate", "粤X44444"),
        ("plate_color", "1"),
        ("enter_time", "1624874732253"),
        ("enter_image", URL),
        ("enter_gate", "入口名称"),
        ("enter_security", "入口保安"),
        ("car_type", "1"),
        ("car_desc", "临时车"),
        ("car_color", "1"),
        ("vehicle_type", "1"),
        ("enter_release_reason", "访问客户"),
        ("total_parking_space", "100"),
        ("remain_parking_space", "10"),
        ("enter_image_hash", "3EF48C1A8A95DF308EFF872082280815"),
    ];
    assert_eq!(canonical_string(&f), ENTER_CANONICAL);
    assert_eq!(sign(&f, &secret()), "F58EDB51E299C99BE0E24D84739994CA");
}

fn payment(
    desc: &str,
    ty: PayType,
    op: &str,
    order: &str,
    value: u64,
    free: u64,
    change: u64,
) -> Payment {
    Payment {
        pay_origin_desc: Some(desc.into()),
        pay_type: Some(ty),
        operator: Some(op.into()),
        pay_time: pyun_core::time::EpochMillis::new(1_624_937_505_093).ok(),
        value: Some(pyun_core::amount::Fen(value)),
        free_value: Some(pyun_core::amount::Fen(free)),
        parking_order: Some(order.into()),
        change_value: Some(pyun_core::amount::Fen(change)),
        extra: Default::default(),
    }
}

/// The typed leave record serialises `payment_list` to exactly the text the platform signed.
#[test]
fn leave_vector_from_typed_record() {
    let list = PaymentList(vec![
        payment(
            "现金",
            PayType::Cash,
            "张三",
            "1624937505093",
            500,
            100,
            500,
        ),
        payment(
            "在线支付",
            PayType::Online,
            "",
            "1624937505193",
            500,
            100,
            0,
        ),
        payment(
            "储值卡余额支付",
            PayType::StoredValue,
            "",
            "1624937505193",
            500,
            0,
            0,
        ),
    ]);
    assert_eq!(list.to_json(), PAYMENTS);

    let mut json = serde_json::Map::new();
    for (k, v) in leave_fields() {
        if k != "payment_list" {
            json.insert(k.into(), v.into());
        }
    }
    json.insert(
        "payment_list".into(),
        serde_json::from_str(PAYMENTS).unwrap(),
    );
    let rec = LeaveRecord::from_value(json.into()).unwrap();
    assert_eq!(rec.payment_list.as_ref(), Some(&list));
    assert_eq!(rec.plate_color, Some(PlateColor::Blue));
    assert_eq!(
        sign(&rec.to_fields(), &secret()),
        "142FA4A7E91F18E7545328900498933B"
    );

    // payment_list given as the JSON text (what a C caller often has) signs the same.
    let as_text = serde_json::to_string(&rec).unwrap();
    let again: LeaveRecord = serde_json::from_str(&as_text).unwrap();
    assert_eq!(
        sign(&again.to_fields(), &secret()),
        "142FA4A7E91F18E7545328900498933B"
    );

    // The page marks charge_type required, and the sample leaves it out: validation says so.
    assert_eq!(
        rec.validate().unwrap_err().missing_fields(),
        vec!["charge_type"]
    );
}

#[test]
fn gif_fixture_becomes_signed_hash() {
    let gif = base64_gif();
    assert_eq!(md5_hex(&gif), "DF16D33739DEFE9BDA1F4C45D36FD7A7");
    let part = pyun_core::FilePart::new(FileField::EnterImage, gif.into()).unwrap();
    let text = vec![("parking_serial".to_string(), "1".to_string())];
    let req = SignedRequest::build(
        Endpoint::Enter,
        text,
        vec![part],
        &secret(),
        &Default::default(),
    )
    .unwrap();
    assert_eq!(
        req.canonical(),
        "enter_image_hash=DF16D33739DEFE9BDA1F4C45D36FD7A7&parking_serial=1"
    );
    assert_eq!(
        req.sign(),
        md5_hex(
            b"enter_image_hash=DF16D33739DEFE9BDA1F4C45D36FD7A7&parking_serial=1&app_secret=123"
        )
    );
}

/// The spec gives the GIF as base64; decoded here by hand to keep dev-dependencies small.
fn base64_gif() -> Vec<u8> {
    const B64: &str = "R0lGODlhAQABAIAAAAUEBAAAACwAAAAAAQABAAACAkQBADs=";
    let val = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        _ => 63,
    };
    let mut out = Vec::new();
    let clean: Vec<u8> = B64.bytes().filter(|&c| c != b'=').collect();
    for chunk in clean.chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= (val(c) as u32) << (18 - 6 * i);
        }
        for i in 0..chunk.len() - 1 {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    out
}
