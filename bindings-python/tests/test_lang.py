"""Exceptions in the language the environment asks for (PYUN_LANG, the locale; English by
default), read when the exception is made; the platform's phrase 参数`x`未传递 as it writes it."""
from __future__ import annotations

import pytest

import pyun
from conftest import load

LANG_VARS = ("PYUN_LANG", "LC_ALL", "LC_MESSAGES", "LANG")


@pytest.fixture(autouse=True)
def no_language_set(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in LANG_VARS:
        monkeypatch.delenv(name, raising=False)


def missing_leave_time() -> pyun.ValidationError:
    record = load("leave.json")
    del record["leave_time"]
    # Refused before anything is sent: the port is never connected to.
    with pytest.raises(pyun.ValidationError) as info:
        pyun.Client("s", base_url="http://127.0.0.1:9").push_leave(record)
    return info.value


def test_pyun_lang_zh_gives_chinese_exceptions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYUN_LANG", "zh")
    e = missing_leave_time()
    assert str(e) == "leave 记录无效：缺少必填字段 `leave_time`（参数`leave_time`未传递）"
    assert e.problems == [("leave_time", "缺少必填字段 `leave_time`（参数`leave_time`未传递）")]
    with pytest.raises(pyun.ConfigError, match="^配置无效：app_secret（密钥）为空$"):
        pyun.Client("")


def test_a_chinese_locale_gives_chinese_exceptions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert "缺少必填字段 `leave_time`" in str(missing_leave_time())


def test_english_by_default_and_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    english = "invalid leave record: `leave_time` is required but missing (参数`leave_time`未传递)"
    assert str(missing_leave_time()) == english
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    monkeypatch.setenv("PYUN_LANG", "en")
    assert str(missing_leave_time()) == english


def test_store_errors_in_chinese(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    import sqlite3

    other = tmp_path / "other.db"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE t (x)")
    monkeypatch.setenv("PYUN_LANG", "zh")
    with pytest.raises(pyun.StoreError) as info:
        pyun.Outbox(other)
    assert "这是其他程序的 SQLite 数据库（application_id 0，1 个结构对象），不是发件箱" in str(info.value)
    monkeypatch.setenv("PYUN_LANG", "en")
    with pytest.raises(pyun.StoreError, match="not an outbox; it was left untouched"):
        pyun.Outbox(other)
