"""The HTML pages as a person sees them: headless Chromium opens the class report and a
`grad --format html` page from disk and must lay them out. Driven over the DevTools protocol
on a pipe (--remote-debugging-pipe: no port, no network): a screenshot that is not blank,
every MathML element laid out with a size (a fraction taller than its numerator, so the
browser typeset it as MathML and did not run its parts together as text), no console error,
no request beyond the file itself. The page holds no script; the measuring is the test's.

Needs Debian's `chromium` package (.ci/run installs it). Without it the test skips, saying
why, except under CI=true, where it fails.
"""

import base64
import json
import os
import select
import shutil
import signal
import struct
import subprocess
import tempfile
import time
import zlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rnn_cli.cli import app

BROWSER = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--window-size=1200,1600", "--remote-debugging-pipe")
TIMEOUT = 90


@pytest.fixture(scope="module")
def browser():
    if BROWSER is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is not installed: .ci/run must install Debian's chromium")
        pytest.skip("headless Chromium is not installed (Debian: apt-get install chromium)")
    # Chromium's helper processes may still write to the profile as it is removed
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:
        b = Browser(profile)
        try:
            yield b
        finally:
            b.close()


class Browser:
    """Chromium with the DevTools protocol on fds 3 (its input) and 4 (its output): JSON
    messages ended by a NUL byte."""

    def __init__(self, profile: str):
        to_child, self._out = os.pipe()
        self._in, from_child = os.pipe()

        def fds():
            os.dup2(to_child, 3)
            os.dup2(from_child, 4)

        self.proc = subprocess.Popen([BROWSER, *FLAGS, f"--user-data-dir={profile}",
                                      "about:blank"], pass_fds=(3, 4), preexec_fn=fds,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        os.close(to_child)
        os.close(from_child)
        self._buf, self._id, self.events = b"", 0, []

    def close(self):
        """Chromium and its helper processes (its own process group), all ended."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=30)
        os.close(self._in)
        os.close(self._out)

    def _read(self, deadline: float) -> dict:
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._in], [], [], left)[0]:
                raise TimeoutError("Chromium did not answer")
            chunk = os.read(self._in, 1 << 20)
            if not chunk:
                raise EOFError("Chromium closed the pipe")
            self._buf += chunk
        msg, _, self._buf = self._buf.partition(b"\0")
        return json.loads(msg)

    def send(self, method: str, session: str | None = None, **params) -> dict:
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params}
        if session:
            msg["sessionId"] = session
        os.write(self._out, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + TIMEOUT
        while True:
            m = self._read(deadline)
            if m.get("id") == self._id:
                if "error" in m:
                    raise RuntimeError(f"{method}: {m['error']}")
                return m.get("result", {})
            self.events.append(m)

    def wait(self, method: str, session: str) -> dict:
        deadline = time.monotonic() + TIMEOUT
        for m in self.events:
            if m.get("method") == method and m.get("sessionId") == session:
                return m
        while True:
            m = self._read(deadline)
            self.events.append(m)
            if m.get("method") == method and m.get("sessionId") == session:
                return m

    def open(self, path: Path) -> tuple[str, list]:
        """A new tab showing the file; returns its session and the events of its load."""
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        s = self.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable", s)
        self.events.clear()
        self.send("Page.navigate", s, url=path.resolve().as_uri())
        self.wait("Page.loadEventFired", s)
        self.send("Runtime.evaluate", s, expression="1", awaitPromise=True)   # settle
        return s, [e for e in self.events if e.get("sessionId") == s]

    def evaluate(self, session: str, expression: str):
        r = self.send("Runtime.evaluate", session, expression=expression, returnByValue=True)
        return r["result"].get("value")


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """A PNG's width, height and rows of RGBA (or RGB) bytes, unfiltered (8-bit only)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, w = 8, b"", 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, colour = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and colour in (2, 6)
            bpp = 4 if colour == 6 else 3
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw, rows, prev = zlib.decompress(idat), [], bytes(w * bpp)
    stride = w * bpp
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, rows


MEASURE = """JSON.stringify({
  maths: [...document.querySelectorAll('math')].map(m => {
    const r = m.getBoundingClientRect(); return [r.width, r.height]; }),
  fractions: [...document.querySelectorAll('mfrac')].slice(0, 20).map(f => {
    const r = f.getBoundingClientRect(), top = f.firstElementChild.getBoundingClientRect();
    return [r.height, top.height, top.bottom <= f.lastElementChild.getBoundingClientRect().top + 1];
  }),
  svgs: [...document.querySelectorAll('svg')].map(s => s.getBoundingClientRect().width),
  scripts: document.scripts.length })"""


def _check_page(browser, path: Path, tmp_path: Path):
    s, events = browser.open(path)
    errors = [e for e in events if e.get("method") == "Runtime.exceptionThrown"
              or e.get("method") == "Runtime.consoleAPICalled"
              and e["params"].get("type") in ("error", "assert")
              or e.get("method") == "Log.entryAdded"
              and e["params"]["entry"].get("level") == "error"]
    assert errors == [], errors
    urls = [e["params"]["request"]["url"] for e in events
            if e.get("method") == "Network.requestWillBeSent"]
    assert urls and all(u == path.resolve().as_uri() for u in urls), urls
    m = json.loads(browser.evaluate(s, MEASURE))
    assert m["scripts"] == 0
    assert m["maths"] and all(w > 0 and h > 0 for w, h in m["maths"]), m["maths"][:5]
    # a fraction stacks: taller than its numerator, the numerator above the denominator
    assert m["fractions"] and all(h > top * 1.5 and above for h, top, above in m["fractions"])
    shot = base64.b64decode(browser.send("Page.captureScreenshot", s, format="png")["data"])
    (tmp_path / f"{path.stem}.png").write_bytes(shot)
    w, h, rows = png_pixels(shot)
    bpp = len(rows[0]) // w
    colours = {row[i:i + 3] for row in rows[::7] for i in range(0, len(row), 7 * bpp)}
    inked = sum(1 for row in rows[::4] for i in range(0, len(row), 4 * bpp)
                if sum(row[i:i + 3]) < 600)
    assert len(colours) > 20 and inked > 500, (len(colours), inked)
    return m


def test_grad_page_renders(browser, tmp_path):
    r = CliRunner().invoke(app, ["grad", "--wrt", "all", "--format", "html"])
    assert r.exit_code == 0
    page = tmp_path / "grad.html"
    page.write_text(r.stdout)
    m = _check_page(browser, page, tmp_path)
    assert len(m["maths"]) > 50


def test_class_report_renders(browser, tmp_path):
    run = CliRunner().invoke
    assert run(app, ["variants", "assignment3", "--count", "8", "--seed", "4", "-o",
                     str(tmp_path / "v")]).exit_code == 0
    subs = []
    for i in range(1, 9):
        sid = f"s{i:03}"
        text = (tmp_path / "v" / "problems" / f"{sid}.toml").read_text()
        p = tmp_path / f"{sid}.toml"
        p.write_text(text + f"\n[answers]\nh_1 = {i}\nh_2 = 2\n\"dL/dw_h\" = 8\n")
        subs.append(str(p))
    r = run(app, ["check", *subs, "--keys", str(tmp_path / "v" / "keys.toml"), "--format",
                  "html", "-o", str(tmp_path / "report.html")])
    assert r.exit_code == 1, r.output
    m = _check_page(browser, tmp_path / "report.html", tmp_path)
    assert len(m["svgs"]) >= 2 and all(w > 100 for w in m["svgs"])
