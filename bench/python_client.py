"""`pyun.Client.push_leave` (the installed wheel) against a sandbox: the Python face of the
Client that bench/src/bin/client_vs_replay.rs times in Rust, on the same record
(examples/data/leave.json, a fresh `parking_serial` per push) and the same 57 KB photo given as
a path, one connection, every answer checked. Best of ROUNDS rounds of N pushes: pushes per
second, and the CPU time of the process per push (the Client's work on this thread, the
network wait excluded: less sensitive to a busy machine than the rate).

Run: python bench/python_client.py SANDBOX_URL [N] [ROUNDS]   (bench/client_replay.sh runs it
beside the Rust client when PYTHON names a Python with the wheel installed)
"""
import json
import os
import sys
import time

import pyun

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "examples", "data")


def main():
    url = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    with open(os.path.join(DATA, "leave.json"), encoding="utf-8") as f:
        base = json.load(f)
    files = {"leave_image_file": os.path.join(DATA, "leave.bmp")}
    client = pyun.Client("123", base_url=url)
    run = os.getpid()
    best, best_cpu = 0.0, float("inf")
    for r in range(rounds):
        cpu = time.process_time()
        started = time.perf_counter()
        for i in range(n):
            rec = dict(base)
            rec["parking_serial"] = f"PYC-{run}-{r}-{i}"
            result = client.push_leave(rec, files)
            assert result.accepted, result
        rate = n / (time.perf_counter() - started)
        cpu_us = (time.process_time() - cpu) / n * 1e6
        print(f"round {r + 1}: Python Client {rate:.0f}/s, {cpu_us:.0f} µs of CPU per push")
        best, best_cpu = max(best, rate), min(best_cpu, cpu_us)
    print(f"best of {rounds} rounds of {n}: Python Client {best:.0f}/s, {best_cpu:.0f} µs of CPU per push")


if __name__ == "__main__":
    main()
