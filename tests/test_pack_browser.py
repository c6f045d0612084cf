"""The review pack in a real browser and as a real PDF.

Headless Chromium (Debian's ``chromium``) opens the pack's HTML; the test talks to it over the
DevTools protocol on a pipe (``--remote-debugging-pipe``: no port, no extra library) and fails
on any console error, uncaught exception, failed load or network request, then checks that a
screenshot and the printed pages (A4 and Letter) are not blank. The PDF that
``trustledger pack --format pdf`` writes is rasterised with ``pdftoppm`` and read back with
``pdftotext``.

Chromium and poppler-utils come from ``.ci/install-browser``. Without them the tests skip,
except under CI (the ``CI`` environment variable set), where they fail.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import select
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.cli_helpers import invoke
from tests.samples import copy_sqlite

AS_OF = "2026-11-20"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--enable-logging=stderr",
    "--v=0",
]
#: A guard against a hung browser, not a measurement: nothing asserts how long anything took.
PROTOCOL_TIMEOUT = 120.0
#: Printable areas in CSS pixels (96 per inch) with the pack's 12 mm side margins.
PRINT_WIDTHS = {"A4": (210 - 24) / 25.4 * 96, "Letter": (215.9 - 24) / 25.4 * 96}
PAPERS = {"A4": (8.27, 11.69), "Letter": (8.5, 11.0)}


def tool(*names: str) -> str:
    """The path of the first of ``names`` on PATH; skip (or fail under CI) when none is."""
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    message = f"{' / '.join(names)} is not installed (run .ci/install-browser)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


# -- a minimal DevTools client over --remote-debugging-pipe ---------------------------------


class ProtocolError(RuntimeError):
    pass


class Browser:
    """Headless Chromium driven over the DevTools pipe: one page, its events recorded."""

    def __init__(self, chromium: str, profile: Path, log: Path) -> None:
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        self._log = log.open("wb")

        def wire_pipes() -> None:
            # The protocol pipe is fd 3 (commands in) and fd 4 (replies out) in the browser.
            r = os.dup(to_browser_r)
            w = os.dup(from_browser_w)
            os.dup2(r, 3)
            os.dup2(w, 4)

        self.process = subprocess.Popen(
            [
                chromium,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={profile}",
                "--remote-debugging-pipe",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=self._log,
            pass_fds=(3, 4),
            preexec_fn=wire_pipes,
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        self.session: str | None = None

    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ProtocolError("no answer from the browser")
            ready, _, _ = select.select([self._from_browser], [], [], left)
            if ready:
                chunk = os.read(self._from_browser, 1 << 20)
                if not chunk:
                    raise ProtocolError("the browser closed the pipe")
                self._buffer += chunk
        raw, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(raw)

    def send(self, method: str, params: dict[str, Any] | None = None, **kw: Any) -> Any:
        """Send a command (to the page's session once attached) and return its result."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        session = kw.get("session", self.session)
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + PROTOCOL_TIMEOUT
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise ProtocolError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str) -> dict[str, Any]:
        deadline = time.monotonic() + PROTOCOL_TIMEOUT
        for event in self.events:
            if event.get("method") == method:
                return event
        while True:
            event = self._read_message(deadline)
            self.events.append(event)
            if event.get("method") == method:
                return event

    def open_page(self) -> None:
        target = self.send("Target.createTarget", {"url": "about:blank"}, session=None)
        attached = self.send(
            "Target.attachToTarget", {"targetId": target["targetId"], "flatten": True}
        )
        self.session = attached["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable")

    def load(self, url: str, width: int, height: int) -> None:
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )
        self.events.clear()
        self.send("Page.navigate", {"url": url})
        self.wait_for("Page.loadEventFired")

    def evaluate(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in result:
            raise ProtocolError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def problems(self, page_url: str) -> list[str]:
        """Console errors, uncaught exceptions, failed loads and network requests seen."""
        found = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                details = params["exceptionDetails"]
                thrown = details.get("exception", {}).get("description", "")
                found.append(f"exception: {details.get('text')} {thrown}")
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                found.append(f"console.{params['type']}: {params.get('args')}")
            elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
                found.append(f"log: {params['entry'].get('text')} {params['entry'].get('url')}")
            elif method == "Network.loadingFailed":
                found.append(f"failed to load: {params.get('errorText')}")
            elif method == "Network.requestWillBeSent":
                url = params["request"]["url"]
                if url != page_url and not url.startswith("data:"):
                    found.append(f"request: {url}")
        return found

    def screenshot(self) -> Image.Image:
        data = self.send("Page.captureScreenshot", {"format": "png"})["data"]
        return Image.open(io.BytesIO(base64.b64decode(data)))

    def print_pdf(self, paper: str) -> bytes:
        width, height = PAPERS[paper]
        result = self.send(
            "Page.printToPDF",
            {"paperWidth": width, "paperHeight": height, "preferCSSPageSize": False},
        )
        return base64.b64decode(result["data"])

    def close(self) -> None:
        with contextlib.suppress(ProtocolError, OSError):
            self.send("Browser.close", session=None)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for fd in (self._to_browser, self._from_browser):
            os.close(fd)
        self._log.close()


# -- what a picture must show -----------------------------------------------------------------


def assert_not_blank(image: Image.Image, what: str) -> None:
    """Not one flat colour: ink on at least 2% of the pixels and many distinct colours."""
    grey = image.convert("L")
    histogram = grey.histogram()
    background = max(range(256), key=lambda v: histogram[v])
    ink = sum(count for value, count in enumerate(histogram) if abs(value - background) > 40)
    assert ink > 0.02 * grey.width * grey.height, f"{what} is (nearly) blank"
    colours = image.convert("RGB").getcolors(maxcolors=1 << 20) or []
    assert len(colours) > 16, f"{what} has only {len(colours)} colours"


def rasterise(pdf: Path, out: Path, *pages: int) -> list[Image.Image]:
    """Pages of ``pdf`` as PNG through pdftoppm (which must not complain)."""
    pdftoppm = tool("pdftoppm")
    first, last = min(pages), max(pages)
    run = subprocess.run(
        [pdftoppm, "-r", "60", "-png", "-f", str(first), "-l", str(last), str(pdf), str(out)],
        capture_output=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert run.stderr == b"", run.stderr.decode()
    images = []
    for path in sorted(out.parent.glob(f"{out.name}-*.png")):
        with Image.open(path) as image:
            images.append(image.copy())
    assert len(images) == last - first + 1
    return images


# -- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def packs(sample_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("browser-packs")
    store = root / "samples.sqlite"
    copy_sqlite(sample_template, store)
    run = invoke(store, "pack", "--all", "--as-of", AS_OF, "-o", str(root / "html"))
    assert run.code == 0, run.err
    run = invoke(
        store,
        "pack",
        "vantage-retail",
        "--as-of",
        AS_OF,
        "--format",
        "pdf",
        "-o",
        str(root / "vantage-retail.pdf"),
    )
    assert run.code == 0, run.err
    return root


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    chromium = tool("chromium", "chromium-browser")
    root = tmp_path_factory.mktemp("chromium")
    browser = Browser(chromium, root / "profile", root / "chromium.log")
    try:
        browser.open_page()
        yield browser
    finally:
        browser.close()


# -- the tests --------------------------------------------------------------------------------


def test_the_browser_check_sees_errors(browser, tmp_path):
    """The check itself: a page with a console error, a throw and a missing image fails it."""
    page = tmp_path / "broken.html"
    page.write_text(
        "<!DOCTYPE html><p>broken</p><img src='missing.png'>"
        "<script>console.error('boom'); undefinedFunction();</script>"
    )
    url = page.as_uri()
    browser.load(url, 400, 300)
    problems = " ".join(browser.problems(url))
    assert "boom" in problems
    assert "undefinedFunction" in problems
    assert "missing.png" in problems


@pytest.mark.parametrize(
    "name",
    ["northwind", "vantage-retail", "lumen-institute", "keystone", "index"],
)
def test_the_pack_renders_in_chromium_without_errors(browser, packs, name):
    file = packs / "html" / ("index.html" if name == "index" else f"{name}-{AS_OF}.html")
    url = file.as_uri()
    browser.load(url, 1000, 1400)
    assert browser.problems(url) == []
    assert browser.evaluate("document.readyState") == "complete"
    heights = browser.evaluate(
        "Array.from(document.querySelectorAll('svg')).map(s => s.getBoundingClientRect().height)"
    )
    if name == "lumen-institute":
        assert heights == []  # insufficient evidence: nothing drawn
    else:
        assert heights and min(heights) > 60, heights
    assert_not_blank(browser.screenshot(), f"the screenshot of {name}")


@pytest.mark.parametrize("paper", ["A4", "Letter"])
@pytest.mark.parametrize("name", ["northwind", "vantage-retail", "index"])
def test_the_pack_prints_on_a4_and_letter(browser, packs, tmp_path, name, paper):
    file = packs / "html" / ("index.html" if name == "index" else f"{name}-{AS_OF}.html")
    url = file.as_uri()
    browser.load(url, round(PRINT_WIDTHS[paper]), 1000)
    browser.send("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        overflow = browser.evaluate(
            "Array.from(document.querySelectorAll('main *'))"
            ".filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)"
            ".map(e => e.tagName + '.' + e.className)"
        )
        assert overflow == [], f"wider than {paper}'s printable width: {overflow[:5]}"
        pdf = tmp_path / f"{name}-{paper}.pdf"
        pdf.write_bytes(browser.print_pdf(paper))
    finally:
        browser.send("Emulation.setEmulatedMedia", {"media": ""})
    assert browser.problems(url) == []
    first, second = rasterise(pdf, tmp_path / paper, 1, 2)
    assert_not_blank(first, f"page 1 printed on {paper}")
    assert_not_blank(second, f"page 2 printed on {paper}")


def test_the_pdf_pack_rasterises_and_reads(packs, tmp_path):
    pdf = packs / "vantage-retail.pdf"
    assert pdf.read_bytes().startswith(b"%PDF-")
    pages = rasterise(pdf, tmp_path / "page", 1, 2)
    for number, page in enumerate(pages, 1):
        assert_not_blank(page, f"PDF page {number}")
    pdftotext = tool("pdftotext")
    text = subprocess.run(
        [pdftotext, "-layout", str(pdf), "-"], capture_output=True, check=True, text=True
    ).stdout
    assert "Vantage Retail Group" in text
    assert "At risk" in text
    assert "coastline-conflict" in text
    assert "page 1 of" in text  # the running footer on paper
    assert page_size(pdf) == "595.276 x 841.89 pts (A4)"


def page_size(pdf: Path) -> str:
    pdfinfo = tool("pdfinfo")
    info = subprocess.run([pdfinfo, str(pdf)], capture_output=True, check=True, text=True)
    line = next(x for x in info.stdout.splitlines() if x.startswith("Page size:"))
    return line.split(":", 1)[1].strip()


def test_the_pdf_pack_on_letter_paper(packs, tmp_path):
    pdf = tmp_path / "northwind-letter.pdf"
    run = invoke(
        packs / "samples.sqlite",
        "pack",
        "northwind",
        "--as-of",
        AS_OF,
        "--format",
        "pdf",
        "--paper",
        "letter",
        "-o",
        str(pdf),
    )
    assert run.code == 0, run.err
    assert page_size(pdf) == "612 x 792 pts (letter)"
    (first,) = rasterise(pdf, tmp_path / "letter", 1)
    assert_not_blank(first, "page 1 on Letter")
