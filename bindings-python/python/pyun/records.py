"""Typed records and the platform's enumerations. A record becomes the dict of the platform's
field names that the Rust core validates; unknown codes are plain ints and pass through."""
from __future__ import annotations

import dataclasses
import datetime
import enum
from typing import Any, Dict, List, Optional, Union

#: China Standard Time (UTC+8), the clock of the parking lots: `datetime(..., tzinfo=BEIJING)`.
BEIJING = datetime.timezone(datetime.timedelta(hours=8), "Asia/Shanghai")
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def _aware(moment: datetime.datetime) -> datetime.datetime:
    # A naive datetime could be the lot PC's local time or UTC; guessing would shift records
    # by 8 hours without a sound, so it is refused.
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("a naive datetime is ambiguous: give tzinfo (pyun.BEIJING for lot time)")
    return moment


def epoch_ms(moment: datetime.datetime) -> str:
    """`enter_time` / `leave_time` of enter and leave records: epoch milliseconds as a string."""
    # Integer arithmetic on timedeltas: a float timestamp can be off by one millisecond.
    return str((_aware(moment) - _EPOCH) // datetime.timedelta(milliseconds=1))


def utc_time(moment: datetime.datetime) -> str:
    """Times of release and update records: UTC `yyyy-MM-ddTHH:mm:ss.SSSZ`
    (08:00 Beijing is `T00:00:00.000Z`)."""
    utc = _aware(moment).astimezone(datetime.timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


class PlateColor(enum.IntEnum):
    BLUE = 1
    YELLOW = 2
    WHITE = 3
    BLACK = 4
    GREEN = 5
    UNKNOWN = -1


class CarColor(enum.IntEnum):
    BLUE = 1
    YELLOW = 2
    WHITE = 3
    BLACK = 4
    GREEN = 5
    SILVER = 6
    GREY = 7
    ORANGE = 8
    UNKNOWN = -1


class CarType(enum.IntEnum):
    UNKNOWN = 0
    TEMPORARY = 1
    MONTHLY = 2
    VIP = 3
    STORED_VALUE = 4


class VehicleType(enum.IntEnum):
    SMALL = 1
    LARGE = 2
    MOTORCYCLE = 3
    UNKNOWN = -1


class PlateType(enum.IntEnum):
    MAINLAND = 0
    FOREIGN = 1
    EBIKE = 2


class PayType(enum.IntEnum):
    CASH = 1
    ONLINE = 2
    NO_STOP = 3
    STORED_VALUE = 4
    COUPON = 8


class ReleaseType(enum.IntEnum):
    ENTER = 1
    LEAVE = 2


class ReleaseMethod(enum.IntEnum):
    UNKNOWN = 0
    MANUAL = 1
    AUTOMATIC = 2
    TAILGATING = 3


class DiscountType(enum.IntEnum):
    AMOUNT = 1
    TIME = 2
    FREE = 3
    PRICING = 4
    LONG_TERM = 5
    DISCOUNT = 6


Code = Union[int, enum.IntEnum]
Text = Optional[str]
Number = Optional[Union[int, str]]


def _plain(value: Any) -> Any:
    if isinstance(value, enum.IntEnum):
        return int(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_dict(value)
    return value


def to_dict(record: Any) -> Dict[str, Any]:
    """The platform-named dict of a typed record; unset (None) fields are left out."""
    out: Dict[str, Any] = {}
    for f in dataclasses.fields(record):
        value = getattr(record, f.name)
        if value is None or (f.name == "extra" and not value):
            continue
        out[f.name] = _plain(value)
    return out


@dataclasses.dataclass
class Payment:
    pay_origin_desc: Text = None
    pay_type: Optional[Code] = None
    operator: Text = None
    pay_time: Number = None
    value: Number = None
    free_value: Number = None
    parking_order: Text = None
    change_value: Number = None


@dataclasses.dataclass
class EnterRecord:
    ENDPOINT = "enter"
    park_uuid: Text = None
    merchant: Text = None
    parking_serial: Text = None
    plate: Text = None
    plate_color: Optional[Code] = None
    plate_type: Optional[Code] = None
    enter_time: Number = None
    enter_image: Text = None
    #: Computed from `enter_image_file` when the photo is attached; give it only to check it.
    enter_image_hash: Text = None
    enter_plate_image: Text = None
    enter_plate_image_hash: Text = None
    enter_gate: Text = None
    enter_security: Text = None
    car_type: Optional[Code] = None
    car_desc: Text = None
    car_color: Optional[Code] = None
    charge_type: Text = None
    vehicle_type: Optional[Code] = None
    idcard_name: Text = None
    idcard_no: Text = None
    idcard_image: Text = None
    enter_release_reason: Text = None
    total_parking_space: Number = None
    remain_parking_space: Number = None
    extra: Dict[str, str] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class LeaveRecord(EnterRecord):
    ENDPOINT = "leave"
    leave_time: Number = None
    leave_image: Text = None
    leave_image_hash: Text = None
    leave_plate_image: Text = None
    leave_plate_image_hash: Text = None
    leave_gate: Text = None
    leave_security: Text = None
    total_value: Number = None
    free_value: Number = None
    online_value: Number = None
    balance_value: Number = None
    cash_value: Number = None
    prepaid_value: Number = None
    leave_release_reason: Text = None
    payment_list: Optional[List[Payment]] = None


@dataclasses.dataclass
class ReleaseRecord:
    ENDPOINT = "release"
    release_type: Optional[Code] = None
    park_uuid: Text = None
    parking_serial: Text = None
    plate: Text = None
    plate_color: Optional[Code] = None
    release_time: Text = None
    capture_image: Text = None
    gate_name: Text = None
    gate_id: Text = None
    car_type: Optional[Code] = None
    car_desc: Text = None
    operator: Text = None
    reason: Text = None
    release_method: Optional[Code] = None
    release_method_desc: Text = None
    extra: Dict[str, str] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class UpdateRecord:
    ENDPOINT = "update"
    park_uuid: Text = None
    flow_no: Text = None
    parking_serial: Text = None
    plate: Text = None
    plate_color: Optional[Code] = None
    car_type: Optional[Code] = None
    car_desc: Text = None
    enter_time: Text = None
    leave_time: Text = None
    operate_time: Text = None
    operator: Text = None
    reason: Text = None
    extra: Dict[str, str] = dataclasses.field(default_factory=dict)
