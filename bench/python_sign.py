"""`pyun.sign` against the pure-Python signing a user would write (`sorted` + `hashlib.md5`),
on the same realistic leave record as the Rust benches (`pyun_bench::leave_fields`: 26 fields
plus a 3-entry `payment_list`), in one run.

Run: python bench/python_sign.py   (needs the installed `pyun` wheel; bench/run.sh runs it)
"""
import hashlib
import timeit

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
FIELDS = {
    "park_uuid": "49f0cc52-e8c7-41e3-b54d-af666b8cc11a", "parking_serial": "202106028000000007",
    "plate": "粤X44444", "plate_color": "1", "plate_type": "0", "enter_time": "1624874732253",
    "enter_gate": "入口名称", "enter_security": "入口保安", "enter_image": URL,
    "leave_time": "1624937505093", "leave_gate": "出口名称", "leave_security": "出口保安",
    "leave_image": URL, "leave_image_hash": "3EF48C1A8A95DF308EFF872082280815", "car_type": "1",
    "car_desc": "临时车", "car_color": "1", "charge_type": "1", "vehicle_type": "1", "total_value": "1500",
    "free_value": "200", "cash_value": "500", "online_value": "500", "leave_release_reason": "离场人工放行原因",
    "total_parking_space": "100", "payment_list": PAYMENTS, "remain_parking_space": "10",
}
SECRET = "123"


def python_sign(fields, secret):
    text = "&".join(f"{k}={fields[k]}" for k in sorted(fields) if k != "sign") + "&app_secret=" + secret
    return hashlib.md5(text.encode("utf-8")).hexdigest().upper()


def best_per_call(fns, number=5000, rounds=40):
    """The best time per call of each function, measured in interleaved rounds: on a shared
    machine both sides then see the same moments of noise, and the minimum drops it."""
    best = [float("inf")] * len(fns)
    for _ in range(rounds):
        for i, fn in enumerate(fns):
            best[i] = min(best[i], timeit.timeit(fn, number=number) / number)
    return best


def main():
    assert pyun.sign(FIELDS, SECRET) == python_sign(FIELDS, SECRET)
    rust, py = best_per_call([lambda: pyun.sign(FIELDS, SECRET), lambda: python_sign(FIELDS, SECRET)])
    print(f"pyun.sign (Rust core via PyO3)       {rust * 1e6:6.2f} µs per record")
    print(f"sorted + hashlib.md5 (pure Python)   {py * 1e6:6.2f} µs per record")
    print(f"pyun.sign is {py / rust:.2f}x the speed of the pure-Python signing")


if __name__ == "__main__":
    main()
