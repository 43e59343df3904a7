"""A `pyun console` (pyun.exe under wine) checked from Linux, for scripts/windows/console.sh.

    console_check.py BASE TOKEN STATUS PUSHES ACTION

BASE: http://127.0.0.1:PORT; TOKEN: its access token; STATUS: `pyun --json outbox status` of
its outbox (taken by the CLI); PUSHES: `pyun --json pushes list` of its push store (its last
line is the list); ACTION: `requeue:ID` or `purge:DAYS`, the POST to take. Checks: the page
with the token, 401 without it and 403 with a wrong one; /api/summary shows the CLI's counts
and push total; the POST refused from another origin or with none, done from the console's
own. Prints the counts after the action as JSON (last line); exits non-zero naming what failed.
"""
import json
import sys
import urllib.error
import urllib.request

base, token, status_file, pushes_file, action = sys.argv[1:6]


def send(path, headers=None, post=False):
    req = urllib.request.Request(base + path, data=b"" if post else None, headers=headers or {},
                                 method="POST" if post else "GET")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read().decode("utf-8")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")


def expect(what, got, want):
    if got != want:
        sys.exit(f"{what}: {got!r}, expected {want!r}")


status, page = send(f"/?token={token}")
expect("the page with the token", status, 200)
expect("the page holds the console's script", 'src="/app.js"' in page, True)
expect("the page without the token", send("/")[0], 401)
expect("/api/summary without the token", send("/api/summary")[0], 401)
expect("/api/summary with a wrong token", send("/api/summary", {"X-Pyun-Token": "0" * 64})[0], 403)

with_token = {"X-Pyun-Token": token}
status, body = send("/api/summary", with_token)
expect("/api/summary", status, 200)
summary = json.loads(body)
cli = json.load(open(status_file, encoding="utf-8"))["counts"]
expect("the console's counts against the CLI's", summary["outboxes"][0]["counts"], cli)
pushes = json.loads(open(pushes_file, encoding="utf-8").read().strip().splitlines()[-1])
expect("the console's push total against pushes list", summary["pushes"]["total"], len(pushes))

kind, value = action.split(":")
path = f"/api/requeue?id={value}" if kind == "requeue" else f"/api/purge?days={value}"
for origin in ("http://evil.example", None):
    headers = dict(with_token, **({"Origin": origin} if origin else {}))
    status, body = send(path, headers, post=True)
    expect(f"POST {path} from origin {origin}", (status, "Origin" in body), (403, True))
status, body = send(path, dict(with_token, Origin=base), post=True)
expect(f"POST {path} from the console's page", status, 200)
done = json.loads(body)
expect(f"POST {path}: how many", done.get("requeued", done.get("purged", 0)) >= 1, True)
after = json.loads(send("/api/summary", with_token)[1])["outboxes"][0]["counts"]
print(f"{kind}: {body}; counts before {json.dumps(cli, sort_keys=True)}")
print(json.dumps(after, sort_keys=True))
