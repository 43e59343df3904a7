"""Signing, verification and pushes, against page 001's vectors and hand-made cases."""
from __future__ import annotations

import hashlib

import pytest

import pyun

URL = "https://t7.baidu.com/it/u=1595072465,3644073269&fm=193&f=GIF"
PAYMENTS = (
    '[{"change_value":"500","free_value":100,"operator":"张三","parking_order":"1624937505093",'
    '"pay_origin_desc":"现金","pay_time":"1624937505093","pay_type":"1","value":500},'
    '{"change_value":"0","free_value":100,"operator":"","parking_order":"1624937505193",'
    '"pay_origin_desc":"在线支付","pay_time":"1624937505093","pay_type":"2","value":500},'
    '{"change_value":"0","free_value":0,"operator":"","parking_order":"1624937505193",'
    '"pay_origin_desc":"储值卡余额支付","pay_time":"1624937505093","pay_type":"4","value":500}]'
)
LEAVE = {
    "park_uuid": "49f0cc52-e8c7-41e3-b54d-af666b8cc11a", "parking_serial": "202106028000000007",
    "plate": "粤X44444", "plate_color": "1", "enter_time": "1624874732253", "leave_image": URL,
    "leave_gate": "出口名称", "leave_security": "出口保安", "car_type": "1", "car_desc": "临时车",
    "car_color": "1", "vehicle_type": "1", "leave_release_reason": "离场人工放行原因",
    "total_parking_space": "100", "remain_parking_space": "10",
    "leave_image_hash": "3EF48C1A8A95DF308EFF872082280815", "leave_time": "1624937505093",
    "payment_list": PAYMENTS,
}


def test_page_001_leave_vector() -> None:
    assert pyun.sign(LEAVE, "123") == "142FA4A7E91F18E7545328900498933B"
    canonical = pyun.canonical_string(LEAVE)
    assert canonical.startswith("car_color=1&car_desc=临时车&car_type=1&enter_time=")
    assert f"&leave_image={URL}&" in canonical  # raw: `&` and `=` inside a value are not escaped


def test_page_001_enter_vector() -> None:
    enter = {k.replace("leave", "enter"): v for k, v in LEAVE.items() if k not in ("leave_time", "payment_list")}
    enter.update(enter_gate="入口名称", enter_security="入口保安", enter_release_reason="访问客户")
    assert pyun.sign(enter, "123") == "F58EDB51E299C99BE0E24D84739994CA"


def test_sign_matches_the_hand_written_rule() -> None:
    fields = {"b": "2", "a_b": "x", "aB": "y", "A": "z", "ab": "𠀀 4-byte", "a1": "&=,\" "}
    canonical = "&".join(f"{k}={fields[k]}" for k in sorted(fields))  # code-unit order, raw values
    assert pyun.canonical_string(fields) == canonical
    assert canonical.startswith("A=z&a1=")
    expected = hashlib.md5(f"{canonical}&app_secret=s".encode()).hexdigest().upper()
    assert pyun.sign(fields, "s") == expected


def test_every_kind_of_str_is_read_as_its_utf8() -> None:
    # CPython stores str as 1, 2 or 4 bytes per character; the native module reads each one's
    # UTF-8 without a copy where it can. A str subclass is a str too.
    class Plate(str):
        pass

    fields = {"ascii": "abc", "latin1": "café", "ucs2": "粤X44444", "ucs4": "𠀀", "sub": Plate("粤B")}
    canonical = "&".join(f"{k}={fields[k]}" for k in sorted(fields))
    expected = hashlib.md5(f"{canonical}&app_secret=s".encode()).hexdigest().upper()
    for _ in range(2):  # the second time from the UTF-8 the first one left cached in each str
        assert pyun.canonical_string(fields) == canonical
        assert pyun.sign(fields, "s") == expected


def test_a_lone_surrogate_is_a_validation_error_naming_the_field() -> None:
    with pytest.raises(pyun.ValidationError, match="`plate`: not valid Unicode text") as e:
        pyun.sign({"a": "1", "plate": "粤\ud800"}, "s")
    assert isinstance(e.value, ValueError)
    assert e.value.problems[0][0] == "plate"
    with pytest.raises(pyun.ValidationError, match="<field name>"):
        pyun.canonical_string({"\udc80": "1"})


def test_sign_field_is_not_signed_and_empty_values_are() -> None:
    assert pyun.sign({"a": "1", "sign": "X"}, "s") == pyun.sign({"a": "1"}, "s")
    assert pyun.canonical_string({"a": "", "b": "1"}) == "a=&b=1"


def test_bad_inputs_are_type_errors_naming_the_field() -> None:
    with pytest.raises(TypeError, match='field "a" must be a str, not int'):
        pyun.sign({"a": 1}, "s")
    with pytest.raises(TypeError, match="field names must be a str, not int"):
        pyun.canonical_string({1: "a"})
    with pytest.raises(TypeError, match="mapping"):
        pyun.sign(["a"], "s")  # type: ignore[arg-type]
    with pytest.raises(pyun.ConfigError, match="empty"):
        pyun.sign({"a": "1"}, "")
    with pytest.raises(TypeError, match="app_secret must be a str, not bytes"):
        pyun.sign({"a": "1"}, b"s")  # type: ignore[arg-type]
    with pytest.raises(pyun.ConfigError, match="app_secret is not valid Unicode") as e:
        pyun.verify({"a": "1", "sign": "X"}, "Zq7\ud800Wk9")
    assert "Zq7" not in str(e.value) and "Wk9" not in str(e.value)  # never echoed
    assert pyun.sign.__doc__ and "sign" in pyun.sign.__doc__


def test_verify_round_trip_and_any_change_breaks_it() -> None:
    push = pyun.sign_push({"parking_serial": "S1", "plate": "川A660P1", "car_desc": ""}, "k", "app1", 1618994585000)
    assert push["sign_type"] == "MD5" and push["timestamp"] == "1618994585000" and push["app_id"] == "app1"
    assert pyun.verify(push, "k")
    assert pyun.verify_or_raise(push, "k") == "included"
    assert not pyun.verify(push, "other")
    for key in push:
        if key != "sign":
            assert not pyun.verify({**push, key: push[key] + "x"}, "k"), key
    assert not pyun.verify({**push, "added_by_platform": "1"}, "k")  # unknown fields are signed too
    assert pyun.verify({**push, "sign": push["sign"].lower()}, "k")  # case-insensitive
    with pytest.raises(pyun.SignatureError):
        pyun.verify_or_raise({k: v for k, v in push.items() if k != "sign"}, "k")


def test_verify_accepts_the_older_skip_empties_rule() -> None:
    fields = {"a": "1", "b": "", "app_id": "x", "sign_type": "MD5", "timestamp": "1"}
    old = pyun.sign({k: v for k, v in fields.items() if v}, "k")
    assert pyun.verify_or_raise({**fields, "sign": old}, "k") == "skipped"


def test_parse_form_and_parse_push() -> None:
    pushed = pyun.sign_push({"parking_serial": "S9", "plate": "粤B1", "discounts": "[]"}, "k", "a")
    body = "&".join(f"{k}={v}" for k, v in pushed.items()).replace("粤", "%E7%B2%A4").encode()
    fields = pyun.parse_form(body)
    assert fields["plate"] == "粤B1" and pyun.verify(fields, "k")
    leave = pyun.parse_push("leave", fields, "k")
    assert leave["parking_serial"] == "S9" and leave["plate"] == "粤B1"
    with pytest.raises(pyun.SignatureError):
        pyun.parse_push("leave", fields, "wrong")
    with pytest.raises(pyun.ConfigError, match="unknown push kind"):
        pyun.parse_push("exit", fields, "k")
    assert pyun.ACK_BODY == '{"code":"1001"}'


@pytest.mark.parametrize("empty", ["", "null", "{}", "[]"])
def test_a_list_sent_as_null_empty_or_an_empty_object_parses_as_empty(empty: str) -> None:
    signed = pyun.sign_push({"pay_serial": "P1", "discounts": empty, "mcoupons": empty}, "s3cret", "app")
    push = pyun.parse_push("payment", signed, "s3cret")
    assert push["discounts"] == [] and push["mcoupons"] == []
