#!/usr/bin/env python3
"""Runs the README's "Using it" block, command by command and in order, against the sandbox.

    python3 scripts/readme-test.py [BIN_DIR]      (scripts/test.sh runs it after the demo)

BIN_DIR holds the `pyun` to run (default target/release). The block is the ```sh block after
the `<!-- readme-test: ... -->` marker in README.md. Each command runs in bash in a fresh
directory whose `examples` is the repository's, so the files the README names are the ones
used, and what the commands write (outbox.db, pushes.db, the handler's log) stays out of the
checkout. A command ending in `&` (the sandbox, the listener) is started in the background
with `--port 0` instead of its port; once it prints its URL, that URL replaces
`http://127.0.0.1:<port>` in the commands after it. `export` lines set the environment of the
commands after them. Every other command must exit 0; some must also print what the README
says they do (EXPECT). Besides: every `examples/` path the README names exists, no command of
the block names the production host, and the README names no path outside the repository.
Prints one line per command and "readme-test: N commands, 0 failed"; exits 1 on a failure."""
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MARKER = "<!-- readme-test:"
# Output a command must hold (a substring of the command -> substrings of its output).
EXPECT = {
    # enter.json, release.json, enter-gbk.json (its plate 粤B54321 arrived as GBK → UTF-8).
    "_sandbox/records": ["DEMO-20261122-0001", "DEMO-20261122-0002", "DEMO-20261122-0003",
                         "粤B54321"],
    "sign examples/push/payment.json": ["37BB97F928694D6BF5DF684A5C3DD858"],
    "sign --canonical": ["&app_secret=***"],
    "verify examples/push/payment.form": ["valid"],
    "explain --json": ['"cause":"wrong_secret"'],
    "outbox.db drain": ["accepted"],
    "pushes --db pushes.db list": ["20210421164242075523115813", "591668151763415041"],
    "pushes --db pushes.db show": ["20210421164242075523115813"],
}
URL_LINE = re.compile(r"listening on (http://[0-9.]+:[0-9]+)")
START_SECONDS = 30
COMMAND_SECONDS = 120


def fail(message):
    print("readme-test: FAIL: " + message)
    sys.exit(1)


def readme_block(text):
    """The logical lines of the marked sh block (continuations joined)."""
    at = text.find(MARKER)
    if at < 0:
        fail("README.md has no %s marker" % MARKER)
    m = re.compile(r"```sh\n(.*?)```", re.S).search(text, at)
    if m is None:
        fail("no ```sh block after the marker")
    lines, pending = [], ""
    for raw in m.group(1).splitlines():
        line = pending + raw.strip()
        if line.endswith("\\"):
            pending = line[:-1] + " "
            continue
        pending = ""
        if line and not line.startswith("#"):
            lines.append(line)
    return lines


def check_files(text, block):
    """Every examples/ path the README names exists; no path outside; no production host."""
    missing = sorted({p.rstrip(".,:;)`'\"") for p in re.findall(r"examples/[\w./\\-]+", text)
                      if not os.path.exists(os.path.join(ROOT, p.rstrip(".,:;)`'\"")))})
    # Table rows name more files of the folder of their first one ("`examples/data/enter.gif`,
    # `leave.bmp`"): each is checked in that folder.
    for folder, names in re.findall(r"^\| `(examples/[\w/]+/)([^|]*)\|", text, re.M):
        for name in re.findall(r"`([\w.-]+\.\w+)`", "`" + names):
            path = os.path.join(ROOT, folder, name)
            if not os.path.exists(path):
                missing.append(folder + name)
    if missing:
        fail("README.md names files that do not exist: " + ", ".join(missing))
    if "../shared" in text:
        fail("README.md names a path outside the repository (../shared)")
    for line in block:
        if "api.4pyun.com" in line:
            fail("a command of the block names the production host: " + line)


def start_background(command, cwd, env, logs):
    """Starts `command` (its port made 0); returns the process and the URL it printed."""
    port = re.search(r"--port (\d+)", command)
    if port is None:
        fail("a background command without --port: " + command)
    command = command.replace(port.group(0), "--port 0")
    log = open(os.path.join(logs, "bg-%s.log" % port.group(1)), "w+")
    proc = subprocess.Popen(["bash", "-c", "exec " + command], cwd=cwd, env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        log.seek(0)
        m = URL_LINE.search(log.read())
        if m:
            return proc, port.group(1), m.group(1)
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    log.seek(0)
    fail("%s did not print its URL:\n%s" % (command, log.read()[-2000:]))


def main():
    bin_dir = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                              os.path.join(ROOT, "target", "release"))
    if not os.path.exists(os.path.join(bin_dir, "pyun")):
        fail("no pyun in %s (cargo build --release -p pyun-cli)" % bin_dir)
    text = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    block = readme_block(text)
    check_files(text, block)
    work = tempfile.mkdtemp(prefix="pyun-readme-")
    os.symlink(os.path.join(ROOT, "examples"), os.path.join(work, "examples"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYUN_")}
    env["PYUN_LANG"] = "en"  # the URL is read from an English line (URL_LINE)
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    urls, background, ran = {}, [], 0
    try:
        for command in block:
            for local, real in urls.items():
                command = command.replace("http://127.0.0.1:" + local, real)
            if command.endswith("&"):
                proc, port, url = start_background(command[:-1].strip(), work, env, work)
                background.append(proc)
                urls[port] = url
                print("ok   (background, %s) %s" % (url, command))
                ran += 1
                continue
            if command.startswith("export "):
                for word in shlex.split(command, comments=True)[1:]:
                    name, _, value = word.partition("=")
                    env[name] = value
                print("ok   " + command)
                ran += 1
                continue
            try:
                done = subprocess.run(["bash", "-c", command], cwd=work, env=env,
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                      timeout=COMMAND_SECONDS)
            except subprocess.TimeoutExpired:
                fail("took more than %d s: %s" % (COMMAND_SECONDS, command))
            out = done.stdout.decode("utf-8", "replace")
            if done.returncode != 0:
                fail("exit %d: %s\n%s" % (done.returncode, command, out[-3000:]))
            for needle, wants in EXPECT.items():
                if needle in command:
                    for want in wants:
                        if want not in out:
                            fail("%s: its output lacks %r:\n%s" % (command, want, out[-3000:]))
            print("ok   %s\n     %s" % (command, out.strip().splitlines()[-1][:160] if out.strip() else ""))
            ran += 1
        # The handler ran once per push, before each was acknowledged.
        handled = os.path.join(work, "handled-pushes.log")
        lines = open(handled).read().splitlines() if os.path.exists(handled) else []
        if len(lines) != 2 or "payment" not in lines[0] or "leave" not in lines[1]:
            fail("the handler's log is not one payment and one leave: %r" % lines)
        print("ok   the handler ran once per push: " + "; ".join(lines))
    finally:
        for proc in background:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        shutil.rmtree(work, ignore_errors=True)
    print("readme-test: %d commands, 0 failed" % ran)


if __name__ == "__main__":
    main()
