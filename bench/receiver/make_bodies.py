"""Writes N signed payment-order pushes (distinct pay_serial), urlencoded, one per line, for
wrk to send (bench/receiver/push.lua). Usage: python make_bodies.py N SECRET OUT"""
import sys
import urllib.parse

import pyun

n, secret, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
with open(out, "w") as f:
    for i in range(n):
        fields = {
            "park_uuid": "49f0cc52-e8c7-41e3-b54d-af666b8cc11a", "pay_serial": f"BENCH{i:09d}",
            "pay_value": "100", "parking_serial": f"591668151763{i:06d}", "park_name": "P云支付体验-停车场",
            "pay_time": "1618994563000", "plate": "川A660P1", "channel": "200102",
            "identity": "5aeV05nlt6/ig4LplITisYg=", "discounts": "[]", "mcoupons": "[]", "car_desc": "",
        }
        f.write(urllib.parse.urlencode(pyun.sign_push(fields, secret, "op00961963581daa7")) + "\n")
