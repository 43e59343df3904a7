"""`pyun console` in headless chromium (selenium + chromium-driver), end to end.

An outbox is fed through a faulty sandbox (`pyun sandbox --fail-first 2`: the first attempts
get 503 and are retried): three records are delivered, two are dead letters (a wrong
app_secret). A console on it, with `pyun outbox drain --follow` (the right secret) running
beside it. In the page: the counts are those `pyun outbox status --json` prints, the chart has
points, a search finds a plate, and the requeue of a dead letter (confirmed in the page's
dialog) leads to its delivery, checked in the sandbox. A screenshot is saved in $OUT.

Run by scripts/test-console.sh (PYUN_BIN: the pyun binary; OUT: where the screenshot goes).
"""

import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

PYUN = os.environ["PYUN_BIN"]
OUT = Path(os.environ.get("OUT", "target/console"))
ROOT = Path(__file__).resolve().parents[2]
SECRET = "browser-secret-31"
PLATE = "粤B9B001"
DEADLINE = 60


def until(what, check, timeout=DEADLINE):
    """Waits for `check()` to be truthy (polling), or fails naming `what`. The page redraws its
    parts every few seconds: an element found just before a redraw is gone when read (stale),
    and one looked for during it is not there yet; both are "not yet"."""
    end = time.monotonic() + timeout
    while True:
        try:
            value = check()
        except (StaleElementReferenceException, NoSuchElementException):
            value = None
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def start(args, env=None):
    """A pyun process whose first line on stdout is read and returned with it."""
    p = subprocess.Popen([PYUN, *args], stdout=subprocess.PIPE, text=True, env=env)
    return p, p.stdout.readline().strip()


def pyun(*args, secret=None):
    env = dict(os.environ)
    if secret:
        env["PYUN_APP_SECRET"] = secret
    return subprocess.run([PYUN, *args], capture_output=True, text=True, env=env)


def main():
    work = Path(tempfile.mkdtemp(prefix="pyun-console-browser-"))
    db = str(work / "outbox.db")
    procs = []
    try:
        sandbox, line = start(["sandbox", "--port", "0", "--fail-first", "2", "--app-secret", SECRET])
        procs.append(sandbox)
        base_url = line.split()[-1]
        assert base_url.startswith("http://127.0.0.1:"), line
        enter = (ROOT / "examples/data/enter.json").read_text(encoding="utf-8")

        def enqueue(n):
            record = enter.replace("DEMO-20261122-0001", f"BRW-{n}").replace("粤B12345", f"粤B9B00{n}")
            path = work / f"enter-{n}.json"
            path.write_text(record, encoding="utf-8")
            r = pyun("outbox", "--db", db, "--json", "enqueue", "enter", str(path))
            assert r.returncode == 0, r.stderr
            return json.loads(r.stdout)["id"]

        # Delivered through the faults (503s, retried by the client).
        for n in (3, 4, 5):
            enqueue(n)
        r = pyun("outbox", "--db", db, "drain", "--base-url", base_url, secret=SECRET)
        assert r.returncode == 0, r.stdout + r.stderr
        # Two dead letters: a wrong secret.
        dead_id = enqueue(1)
        enqueue(2)
        r = pyun("outbox", "--db", db, "drain", "--attempts", "1", "--base-url", base_url, secret="wrong")
        assert r.returncode == 1, r.stdout + r.stderr
        status = json.loads(pyun("outbox", "--db", db, "--json", "status").stdout)["counts"]
        assert (status["done"], status["dead"]) == (3, 2), status

        console, line = start(["console", "--outbox", db, "--port", "0"])
        procs.append(console)
        url = line.split()[-1]
        assert "/?token=" in url, line
        env = dict(os.environ, PYUN_APP_SECRET=SECRET)
        follow = subprocess.Popen(
            [PYUN, "outbox", "--db", db, "drain", "--follow", "--interval-ms", "200", "--base-url", base_url],
            stdout=subprocess.DEVNULL, env=env)
        procs.append(follow)

        options = webdriver.ChromeOptions()
        options.binary_location = "/usr/bin/chromium"
        for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1800"):
            options.add_argument(arg)
        driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        try:
            driver.get(url)
            wait = WebDriverWait(driver, DEADLINE)
            wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "#ob-0 .pending")))
            # The token left the address bar (it is in a cookie now).
            assert "token=" not in driver.current_url, driver.current_url

            def shown(cls):
                # A number read from one rendering of the counts (`until`: not a stale one).
                text = until(f"the {cls} count", lambda: driver.find_element(By.CSS_SELECTOR, f"#ob-0 .{cls}").text)
                return int(text)

            cli = json.loads(pyun("outbox", "--db", db, "--json", "status").stdout)["counts"]
            for cls, key in (("pending", "pending"), ("done", "done"), ("dead", "dead")):
                assert shown(cls) == cli[key], (cls, shown(cls), cli)

            # The chart: drawn (a canvas), with the accepted records among its points.
            until("the chart", lambda: driver.execute_script(
                "return window.pyunChart && document.querySelector('#chart canvas') !== null"))
            accepted = driver.execute_script("return window.pyunChart.accepted.reduce((a, b) => a + b, 0)")
            enqueued = driver.execute_script("return window.pyunChart.enqueued.reduce((a, b) => a + b, 0)")
            assert (accepted, enqueued) == (3, 5), (accepted, enqueued)
            p95 = driver.execute_script("return window.pyunChart.p95_ms.filter(v => v !== null).length")
            assert p95 >= 1, p95

            # Search by plate, and the record's story.
            box = driver.find_element(By.ID, "q")
            box.send_keys(PLATE)
            driver.find_element(By.ID, "search").click()
            found = wait.until(EC.presence_of_element_located((By.ID, "found-records")))
            assert "BRW-1" in found.text and PLATE in found.text, found.text
            opener = found.find_element(By.CSS_SELECTOR, "button.open-record")
            driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", opener)
            opener.click()
            until("the story", lambda: "BRW-1" in driver.find_element(By.ID, "story").text)
            assert "签名验证不通过" in driver.find_element(By.ID, "story").text

            # Requeue the dead letter, confirmed in the dialog; the sandbox gets it.
            button = wait.until(EC.element_to_be_clickable(
                (By.CSS_SELECTOR, f'#dead-{dead_id} button.requeue')))
            driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
            button.click()
            alert = wait.until(EC.alert_is_present())
            assert str(dead_id) in alert.text, alert.text
            alert.accept()

            def delivered():
                with urllib.request.urlopen(base_url + "/_sandbox/records", timeout=10) as r:
                    return any(rec["key"] == "BRW-1" for rec in json.load(r))

            until("the requeued record in the sandbox", delivered)
            until("the page to show it delivered", lambda: shown("done") == 4 and shown("dead") == 1)
            # Chinese.
            driver.get(url.split("/?")[0] + "/?lang=zh")
            until("the Chinese page", lambda: driver.find_element(By.CSS_SELECTOR, "h1").text == "pyun 控制台")
            until("the counts in Chinese", lambda: driver.find_elements(By.CSS_SELECTOR, "#ob-0 .done"))
            # The search's table in Chinese: its headings and the stored states' words.
            driver.find_element(By.ID, "q").send_keys(PLATE)
            driver.find_element(By.ID, "search").click()
            found = wait.until(EC.presence_of_element_located((By.ID, "found-records")))
            heading = found.find_element(By.CSS_SELECTOR, "tr").text
            assert heading.split() == ["记录", "发件箱", "接口", "键", "车牌", "状态"], heading
            until("a delivered record in Chinese", lambda: "已送达" in found.text)
            driver.get(url.split("/?")[0] + "/?lang=en")
            until("the counts again", lambda: driver.find_elements(By.CSS_SELECTOR, "#ob-0 .done"))
            driver.find_element(By.ID, "q").send_keys(PLATE)
            driver.find_element(By.ID, "search").click()
            wait.until(EC.presence_of_element_located((By.ID, "found-records")))
            OUT.mkdir(parents=True, exist_ok=True)
            driver.save_screenshot(str(OUT / "console.png"))
            logs = [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
            assert not logs, logs
        finally:
            driver.quit()
        print(f"console in chromium: counts, chart, search, requeue -> delivered; screenshot {OUT / 'console.png'}")
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()


if __name__ == "__main__":
    sys.exit(main())
