"""Typed records, enumerations, time helpers, request building and explain (no network)."""
from __future__ import annotations

import dataclasses
import datetime
import hashlib
import re

import pytest

import pyun
from conftest import DATA, load
from pyun import CarType, EnterRecord, LeaveRecord, Payment, PayType, PlateColor, UpdateRecord

GIF = DATA / "enter.gif"


def enter_record(**overrides: object) -> EnterRecord:
    base = dict(park_uuid="p-1", parking_serial="S-1", plate="粤B12345", plate_color=PlateColor.BLUE,
                enter_time="1763791200000", car_type=CarType.TEMPORARY, car_desc="临停", charge_type="1")
    base.update(overrides)
    return EnterRecord(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize("cls", [EnterRecord, LeaveRecord, pyun.ReleaseRecord, UpdateRecord])
def test_typed_records_have_exactly_the_core_fields(cls: type) -> None:
    core_fields, required = pyun._pyun.record_fields(cls.ENDPOINT)
    mine = [f.name for f in dataclasses.fields(cls) if f.name != "extra"]
    assert sorted(mine) == sorted(core_fields)
    assert set(required) <= set(mine)


def test_typed_and_dict_records_sign_the_same() -> None:
    typed = pyun.build_request(None, enter_record(), app_secret="s")
    as_dict = pyun.build_request("enter", pyun.to_dict(enter_record()), app_secret="s")
    assert typed == as_dict
    assert typed.path == "/gate/1.0/parking/internal/enter"
    assert typed.url("http://127.0.0.1:1/") == "http://127.0.0.1:1/gate/1.0/parking/internal/enter"
    assert typed.headers["Content-Type"] == "application/x-www-form-urlencoded; charset=UTF-8"
    assert typed.canonical.endswith("&app_secret=***") and "plate_color=1&" in typed.canonical
    assert b"sign=" + typed.sign.encode() in typed.body


def test_enums_are_ints_and_unknown_codes_pass_through() -> None:
    assert PlateColor.GREEN == 5 and PayType.COUPON == 8
    r = pyun.build_request(None, enter_record(plate_color=42, car_type=9), app_secret="s")
    assert "car_type=9&" in r.canonical and "plate_color=42&" in r.canonical


def test_payment_list_is_serialised_once_and_signed_as_sent() -> None:
    leave = LeaveRecord(**pyun.to_dict(enter_record()), leave_time="1763798400000",  # type: ignore[arg-type]
                        payment_list=[Payment(pay_type=PayType.CASH, value=500, pay_origin_desc="现金")])
    r = pyun.build_request(None, leave, app_secret="s")
    signed = re.search(r"payment_list=(\[.*?\])&", r.canonical)
    assert signed is not None
    assert '"pay_type":"1"' in signed.group(1) or '"pay_type":1' in signed.group(1)
    assert "现金" in signed.group(1)
    assert "现金".encode() not in r.body  # the body is form-urlencoded: percent-encoded UTF-8


def test_photo_hash_is_computed_and_signed_but_not_the_bytes() -> None:
    md5 = hashlib.md5(GIF.read_bytes()).hexdigest().upper()
    by_path = pyun.build_request(None, enter_record(), {"enter_image_file": GIF}, app_secret="s")
    by_bytes = pyun.build_request(None, enter_record(), {"enter_image_file": GIF.read_bytes()}, app_secret="s")
    assert f"enter_image_hash={md5}&" in by_path.canonical
    assert by_path.sign == by_bytes.sign
    assert by_path.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    assert GIF.read_bytes() in by_path.body and b"filename*=" not in by_path.body


def test_url_encoding_mode_signs_the_encoded_values() -> None:
    r = pyun.build_request(None, enter_record(), app_secret="s", url_encoding=True)
    assert "plate=%E7%B2%A4B12345&" in r.canonical and "encoding=URL&" in r.canonical


def test_validation_names_every_problem_before_sending() -> None:
    with pytest.raises(pyun.ValidationError) as info:
        pyun.build_request("leave", {"plate": "x", "enter_time": "soon", "colour": "1"}, app_secret="s")
    fields = [f for f, _ in info.value.problems]
    assert {"park_uuid", "parking_serial", "leave_time", "enter_time", "colour"} <= set(fields)
    assert "参数`park_uuid`未传递" in str(info.value)
    assert isinstance(info.value, ValueError)


def test_malformed_inputs_get_specific_errors() -> None:
    with pytest.raises(pyun.ValidationError, match="hash"):
        pyun.build_request(None, enter_record(enter_image_hash="ABC"), app_secret="s")
    with pytest.raises(pyun.FileError) as missing:
        pyun.build_request(None, enter_record(), {"enter_image_file": DATA / "nope.jpg"}, app_secret="s")
    assert missing.value.field == "enter_image_file" and missing.value.path.endswith("nope.jpg")
    assert isinstance(missing.value, OSError)
    with pytest.raises(pyun.ConfigError, match="unknown file field"):
        pyun.build_request(None, enter_record(), {"enter_photo": b"x"}, app_secret="s")
    with pytest.raises(TypeError, match="path or bytes"):
        pyun.build_request(None, enter_record(), {"enter_image_file": 3}, app_secret="s")  # type: ignore[dict-item]
    with pytest.raises(pyun.ConfigError):
        pyun.build_request("exit", {}, app_secret="s")
    with pytest.raises(pyun.ConfigError, match="goes to the 'enter' endpoint"):
        pyun.build_request("leave", enter_record(), app_secret="s")
    with pytest.raises(TypeError, match="dict or a pyun record"):
        pyun.build_request("enter", "park_uuid=1", app_secret="s")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        pyun.build_request("enter", {"plate": object()}, app_secret="s")


def test_update_times_and_the_time_helpers() -> None:
    eight = datetime.datetime(2025, 11, 22, 8, 0, tzinfo=pyun.BEIJING)
    assert pyun.utc_time(eight) == "2025-11-22T00:00:00.000Z"
    assert pyun.epoch_ms(eight) == "1763769600000"
    with pytest.raises(ValueError, match="naive"):
        pyun.epoch_ms(datetime.datetime(2025, 11, 22, 8, 0))
    rec = UpdateRecord(**load("update.json"))
    assert pyun.build_request(None, rec, app_secret="s").path.endswith("/update")
    with pytest.raises(pyun.ValidationError, match="operate_time"):
        pyun.build_request(None, UpdateRecord(**{**load("update.json"), "operate_time": "22/11/2025"}), app_secret="s")


def test_explain_names_a_wrong_secret_and_a_charset_problem() -> None:
    rec = enter_record()
    local = pyun.build_request(None, rec, app_secret="s").canonical.replace("&app_secret=***", "")
    same = pyun.explain(f"签名验证不通过[{local}&app_secret=***]", rec)
    assert same.cause == "wrong_secret", same
    garbled = pyun.explain(f"签名验证不通过[{local.replace('粤B12345', '?B12345')}&app_secret=***]", rec)
    assert garbled.differing and garbled.differing[0]["field"] == "plate"
    assert "charset" in garbled.summary.lower() or "encod" in garbled.summary.lower()
    missing = pyun.explain("参数`enter_time`未传递", rec)
    assert missing.missing_parameter == "enter_time"


def test_explain_sees_the_photos_sent() -> None:
    """Issue 13: a push with a photo and a wrong secret is diagnosed as the secret, given the
    same files as the push (or the hash field), not as "fields differ"."""
    rec = enter_record()
    photo = (DATA / "enter.gif").read_bytes()
    sent = pyun.build_request(None, rec, files={"enter_image_file": photo}, app_secret="s")
    hint = f"签名验证不通过[{sent.canonical}]"
    assert pyun.explain(hint, rec).cause == "fields_differ"
    assert pyun.explain(hint, rec, files={"enter_image_file": photo}).cause == "wrong_secret"
    assert pyun.explain(hint, rec, files={"enter_image_file": str(DATA / "enter.gif")}).cause == "wrong_secret"
    with_hash = {**pyun.to_dict(rec), "enter_image_hash": hashlib.md5(photo).hexdigest().upper()}
    assert pyun.explain(hint, with_hash, endpoint="enter").cause == "wrong_secret"


@pytest.mark.parametrize("plate, cause", [("\ufffd\ufffdB12345", "GBK"), ("?B12345", "code page"),
                                          ("\u00e7\u00b2\u00a4B12345", "Latin-1")])
def test_damaged_text_is_refused_before_anything_is_sent(plate: str, cause: str) -> None:
    with pytest.raises(pyun.ValidationError, match=cause) as e:
        pyun.build_request(None, enter_record(plate=plate), app_secret="s")
    assert [field for field, _ in e.value.problems] == ["plate"]
