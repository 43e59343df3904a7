"""Push a vehicle's enter and leave (with photos), an abnormal release and a record update.

    python push_records.py --base-url http://127.0.0.1:8040      # against `pyun sandbox`
    PYUN_APP_SECRET=... python push_records.py --base-url https://dev-api.4pyun.com

The secret comes from PYUN_APP_SECRET (or --app-secret), so it stays out of shell history.
Exits 0 when the platform accepted all four records.
"""
from __future__ import annotations

import argparse
import datetime
import logging
import os
import pathlib
import sys

import pyun
from pyun import CarType, LeaveRecord, Payment, PayType, PlateColor, VehicleType

DATA = pathlib.Path(__file__).resolve().parents[1] / "data"
PARK_UUID = "49f0cc52-e8c7-41e3-b54d-af666b8cc11a"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-url", default=pyun.TEST_URL)
    parser.add_argument("--app-secret", default=os.environ.get("PYUN_APP_SECRET"))
    parser.add_argument("--serial", default="PY-" + datetime.datetime.now().strftime("%Y%m%d%H%M%S%f"))
    args = parser.parse_args()
    if not args.app_secret:
        parser.error("give --app-secret or set PYUN_APP_SECRET")
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

    # strict: while integrating, an ignored record (bad signature) is an error, not a success.
    client = pyun.Client(args.app_secret, base_url=args.base_url, strict=True)
    entered = datetime.datetime.now(pyun.BEIJING) - datetime.timedelta(hours=2)
    left = entered + datetime.timedelta(hours=2)

    leave = LeaveRecord(
        park_uuid=PARK_UUID,
        parking_serial=args.serial,
        plate="粤B12345",
        plate_color=PlateColor.BLUE,
        enter_time=pyun.epoch_ms(entered),  # must equal the enter record's (page 001 note 9)
        car_type=CarType.TEMPORARY,
        car_desc="临停",
        charge_type="1",
        vehicle_type=VehicleType.SMALL,
        leave_time=pyun.epoch_ms(left),
        leave_gate="西门出口",
        total_value="1000",
        cash_value="600",
        online_value="400",
        payment_list=[
            Payment(pay_origin_desc="现金", pay_type=PayType.CASH, operator="李四",
                    pay_time=pyun.epoch_ms(left), value=600, free_value=0, parking_order=args.serial + "-1"),
            Payment(pay_origin_desc="微信", pay_type=PayType.ONLINE, operator="",
                    pay_time=pyun.epoch_ms(left), value=400, free_value=0, parking_order=args.serial + "-2"),
        ],
    )
    enter = {  # a plain dict with the platform's field names works as well as a typed record
        "park_uuid": PARK_UUID, "parking_serial": args.serial, "plate": "粤B12345", "plate_color": 1,
        "enter_time": pyun.epoch_ms(entered), "car_type": 1, "car_desc": "临停", "charge_type": "1",
        "enter_gate": "东门入口",
    }
    release = {
        "release_type": 2, "park_uuid": PARK_UUID, "parking_serial": args.serial + "-R", "plate": "粤B12345",
        "release_time": pyun.utc_time(left), "gate_name": "西门出口", "operator": "李四",
        "reason": "道闸故障，人工抬杆", "release_method": 1,
    }
    update = {
        "park_uuid": PARK_UUID, "flow_no": args.serial + "-U", "parking_serial": args.serial, "plate": "粤B12345",
        "car_type": 2, "car_desc": "月卡", "operate_time": pyun.utc_time(left), "operator": "王五",
        "reason": "车类更正为月卡",
    }

    try:
        results = [
            client.push_enter(enter, files={"enter_image_file": DATA / "enter.gif"}),
            client.push_leave(leave, files={"leave_image_file": DATA / "leave.bmp"}),
            client.push_release(release),
            client.push_update(update),
        ]
    except pyun.ApiError as e:
        print(f"refused: {e}", file=sys.stderr)
        if e.diagnosis:
            print(f"diagnosis: {e.diagnosis.summary}", file=sys.stderr)
        return 1
    except pyun.PyunError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    for r in results:
        print(f"{r.endpoint:<8} {r.outcome:<9} code={r.code} seqno={r.seqno} attempts={r.attempts} {r.elapsed * 1000:.0f} ms")
    return 0 if all(r.accepted for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
