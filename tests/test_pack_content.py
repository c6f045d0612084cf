"""The review pack's content, read back from its HTML: the pack of every sample partnership.

The samples are recorded into a real SQLite store; ``trustledger pack --all`` writes every pack
and ``report --format json`` gives the figures they must equal. Which commitments and issues
belong to the period is worked out here from the sample NDJSON lines themselves, not through
the projections, so the pack cannot agree with itself by construction.
"""

from __future__ import annotations

import json
import re
import sys
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from trustledger.domain.events import Recorded
from trustledger.domain.ledger import Ledger, located_lines
from trustledger.domain.store import parse_store_url
from trustledger.projections.report import REPORT_KEYS
from trustledger.tui.pack import gather_pack, pack_context, render_pack

from tests.cli_helpers import invoke
from tests.samples import RECORDED, SAMPLE_FILES, SAMPLES_DIR

AS_OF = date(2026, 11, 20)
#: The first day of the default period: the 12 months up to the as-of date.
YEAR_START = date(2025, 11, 21)
MADE_AT = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)
HANDLES = sorted(
    json.loads(path.read_text(encoding="utf-8").split("\n", 1)[0])["partnership"]
    for path in SAMPLE_FILES
)


# -- reading a pack back ------------------------------------------------------------------


class PackPage(HTMLParser):
    """What a pack's HTML says, by its data attributes and sections."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.html = html
        self.figures: dict[str, Any] = {}
        self.commitments: dict[str, dict[str, str]] = {}
        self.issues: dict[str, dict[str, str]] = {}
        self.renegotiated: list[str] = []
        self.revenue: dict[str, float] = {}
        self.links: list[str] = []
        self.positions: list[int] = []
        self.ids: set[str] = set()
        self.svgs: dict[str, int] = {}
        self.hrefs: list[str] = []
        self.since: str | None = None
        self.main: dict[str, str] = {}
        self.section = ""
        self.in_style = False
        self.text_parts: list[str] = []
        self.feed(html)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.text_parts).split())

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "style":
            self.in_style = True
        if tag == "main":
            self.main = a
        if tag == "section":
            self.section = a.get("id", "")
        if tag == "svg":
            self.svgs[self.section] = self.svgs.get(self.section, 0) + 1
        if "href" in a:
            self.hrefs.append(a["href"])
        if "data-figure" in a and "data-value" in a:
            self.figures[a["data-figure"]] = json.loads(a["data-value"])
        if "data-commitment" in a:
            self.commitments[a["data-commitment"]] = a
        if "data-issue" in a:
            self.issues[a["data-issue"]] = a
        if "data-renegotiated" in a:
            self.renegotiated.append(a["data-renegotiated"])
        if "data-period" in a:
            self.revenue[a["data-period"]] = json.loads(a["data-amount"])
        if "data-link" in a:
            self.links.append(a["data-link"])
        if "data-position" in a:
            self.positions.append(int(a["data-position"]))
        if "data-since" in a:
            self.since = a["data-since"]

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self.in_style = False

    def handle_data(self, data: str) -> None:
        if not self.in_style:  # what a reader sees, not the stylesheet
            self.text_parts.append(data)


def read_page(path: Path) -> PackPage:
    return PackPage(path.read_text(encoding="utf-8"))


# -- the samples, read independently --------------------------------------------------------


def sample_lines(handle: str) -> list[dict[str, Any]]:
    for path in SAMPLE_FILES:
        lines = [json.loads(x) for x in path.read_text(encoding="utf-8").split("\n") if x]
        if lines[0]["partnership"] == handle:
            return [x for x in lines if date.fromisoformat(x["occurred_on"]) <= AS_OF]
    raise KeyError(handle)


def period_start(handle: str) -> date:
    registered = date.fromisoformat(sample_lines(handle)[0]["occurred_on"])
    return max(registered, YEAR_START)


def expected_commitments(handle: str, since: date) -> dict[str, str]:
    """Commitment -> outcome for those open at the as-of date or closed in the period."""
    closed: dict[str, tuple[str, date]] = {}
    made: list[str] = []
    for line in sample_lines(handle):
        if line["type"] == "commitment_made":
            made.append(line["commitment"])
        elif line["type"] in ("commitment_kept", "commitment_missed"):
            outcome = line["type"].removeprefix("commitment_")
            closed[line["commitment"]] = (outcome, date.fromisoformat(line["occurred_on"]))
    result = {}
    for handle_ in made:
        if handle_ not in closed:
            result[handle_] = "open"
        elif closed[handle_][1] >= since:
            result[handle_] = closed[handle_][0]
    return result


def expected_issues(handle: str, since: date) -> dict[str, bool]:
    """Issue -> still open, for those open at the as-of date or resolved in the period."""
    resolved: dict[str, date] = {}
    raised: list[str] = []
    for line in sample_lines(handle):
        if line["type"] == "issue_raised":
            raised.append(line["issue"])
        elif line["type"] == "issue_resolved":
            resolved[line["issue"]] = date.fromisoformat(line["occurred_on"])
    return {i: i not in resolved for i in raised if i not in resolved or resolved[i] >= since}


def expected_revenue(handle: str, since: date) -> dict[str, float]:
    first = f"{since.year:04d}-{since.month:02d}"
    totals: dict[str, float] = {}
    for line in sample_lines(handle):
        if line["type"] == "revenue_recorded" and line["period"] >= first:
            totals[line["period"]] = totals.get(line["period"], 0) + line["amount"]
    return totals


# -- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def samples(sample_template: Path) -> Path:
    """The session's sample store (the tests here only read it)."""
    return sample_template


@pytest.fixture(scope="module")
def packs(samples: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("packs") / "all"
    run = invoke(samples, "pack", "--all", "--as-of", AS_OF.isoformat(), "-o", str(out))
    assert run.code == 0, run.err
    assert run.out.strip() == str(out / "index.html")
    return out


@pytest.fixture(scope="module")
def report(samples: Path) -> dict[str, dict[str, Any]]:
    run = invoke(samples, "report", "--format", "json", "--as-of", AS_OF.isoformat())
    assert run.code == 0, run.err
    return {row["partnership"]: row for row in json.loads(run.out)}


@pytest.fixture(scope="module")
def stored(samples: Path) -> dict[str, list[Recorded]]:
    with Ledger(parse_store_url(str(samples))) as ledger:
        return {handle: ledger.history(handle) for handle in HANDLES}


def pack_of(packs: Path, handle: str) -> PackPage:
    return read_page(packs / f"{handle}-{AS_OF.isoformat()}.html")


# -- every sample partnership --------------------------------------------------------------


def test_the_samples_are_ten_partnerships():
    assert len(HANDLES) == 10


@pytest.mark.parametrize("handle", HANDLES)
def test_the_pack_shows_the_reports_status_and_figures(packs, report, handle):
    page = pack_of(packs, handle)
    row = report[handle]
    assert page.main["data-partnership"] == handle
    assert page.main["data-status"] == row["status"]
    assert page.figures["status"] == row["status"]
    shown = set(REPORT_KEYS) - {"partnership", "name", "kind", "status_reason", "model_version"}
    for key in shown:
        assert key in page.figures, f"{key} is not in the pack"
        assert page.figures[key] == row[key], key
    assert row["name"] in page.text
    assert row["status_reason"] in page.text
    assert f"version {row['model_version']}" in page.text
    for alert in row["alerts"]:
        assert alert in page.text


@pytest.mark.parametrize("handle", HANDLES)
def test_every_commitment_and_issue_of_the_period_is_in_the_pack(packs, handle):
    page = pack_of(packs, handle)
    since = period_start(handle)
    assert page.since == since.isoformat()
    commitments = expected_commitments(handle, since)
    assert set(page.commitments) == set(commitments)
    for commitment, outcome in commitments.items():
        stage = page.commitments[commitment]["data-stage"]
        assert stage == outcome or (outcome == "open" and stage == "overdue"), commitment
    issues = expected_issues(handle, since)
    assert set(page.issues) == set(issues)
    for issue, is_open in issues.items():
        assert json.loads(page.issues[issue]["data-open"]) is is_open, issue


@pytest.mark.parametrize("handle", HANDLES)
def test_the_pack_shows_the_revenue_of_each_month_of_the_period(packs, handle):
    page = pack_of(packs, handle)
    expected = expected_revenue(handle, period_start(handle))
    assert {k: v for k, v in page.revenue.items() if v} == pytest.approx(expected)


@pytest.mark.parametrize("handle", HANDLES)
def test_the_footer_names_the_stored_link_of_the_newest_event(packs, stored, samples, handle):
    page = pack_of(packs, handle)
    counted = [e for e in stored[handle] if e.occurred_on <= AS_OF]
    newest = max(counted, key=lambda e: e.position)
    assert page.links == [newest.link]
    assert page.positions == [newest.position]
    run = invoke(samples, "audit", "verify", "--position", str(newest.position))
    assert run.code == 0, run.err
    assert run.out.splitlines()[-1] == (
        f"{handle} #{newest.version} at position {newest.position}: {newest.link}"
    )
    assert run.out.splitlines()[-1] in page.text


@pytest.mark.parametrize("handle", HANDLES)
def test_the_pack_is_self_contained(packs, handle):
    html = (packs / f"{handle}-{AS_OF.isoformat()}.html").read_text(encoding="utf-8")
    page = PackPage(html)
    assert "<script" not in html.lower()
    assert "<link" not in html.lower()
    assert not re.search(r"\bsrc\s*=", html)
    assert "url(" not in html
    assert "@import" not in html
    assert page.hrefs == []
    external = set(re.findall(r"https?://[^\s\"'<>)]+", html))
    assert external <= {"http://www.w3.org/2000/svg"}
    assert html.count('class="pygal-chart"') == sum(page.svgs.values())


# -- what the samples show ---------------------------------------------------------------------


def test_a_pack_with_evidence_draws_its_trend_and_charts(packs):
    page = pack_of(packs, "northwind")
    assert page.svgs["trend"] == 2  # trust and alignment; reliability of each side
    assert page.svgs["reviews"] == 1
    assert page.svgs["revenue"] == 1
    assert "no-trend" not in page.ids
    assert "insufficient-evidence" not in page.ids


def test_an_unproven_partnership_says_insufficient_evidence_and_draws_no_trend(packs, report):
    assert report["lumen-institute"]["status"] == "unproven"
    page = pack_of(packs, "lumen-institute")
    assert "insufficient-evidence" in page.ids
    assert "Insufficient evidence" in page.text
    assert "no-trend" in page.ids
    assert "trend" not in page.svgs


def test_renegotiations_in_the_period_show_their_reasons(packs):
    page = pack_of(packs, "vantage-retail")
    assert page.renegotiated == ["2026-07-28", "2026-09-28"]
    assert "POS vendor API access delayed" in page.text
    assert "Certification by POS vendor" in page.text


def test_partner_cards_and_asymmetric_dimensions_are_marked(packs):
    page = pack_of(packs, "vantage-retail")
    assert page.issues["coastline-conflict"].get("data-partner-card") == "true"
    assert all(
        "data-partner-card" not in a for k, a in page.issues.items() if k != "coastline-conflict"
    )
    html = page.html
    assert html.count('data-asymmetric="true"') == 8
    assert "◆ asymmetric" in page.text


@pytest.mark.parametrize("handle", HANDLES)
def test_issues_show_how_long_they_took(packs, handle):
    page = pack_of(packs, handle)
    raised: dict[str, date] = {}
    resolved: dict[str, date] = {}
    for line in sample_lines(handle):
        if line["type"] == "issue_raised":
            raised[line["issue"]] = date.fromisoformat(line["occurred_on"])
        elif line["type"] == "issue_resolved":
            resolved[line["issue"]] = date.fromisoformat(line["occurred_on"])
    days = dict(re.findall(r'data-issue="([^"]+)"[^>]*>.*?data-days="(\d+)"', page.html, re.S))
    assert set(days) == set(page.issues)
    for issue, shown in days.items():
        assert int(shown) == (resolved.get(issue, AS_OF) - raised[issue]).days, issue


def test_the_index_page_lists_every_pack_and_the_portfolio_picture(packs, report):
    index = read_page(packs / "index.html")
    assert sorted(index.hrefs) == sorted(f"{h}-{AS_OF.isoformat()}.html" for h in HANDLES)
    for href in index.hrefs:
        assert (packs / href).is_file()
    rows = re.findall(r'<tr data-partnership="([^"]+)" data-status="([^"]+)"', index.html)
    assert dict(rows) == {h: report[h]["status"] for h in HANDLES}
    counts = dict(re.findall(r'<tr data-status="([^"]+)" data-count="(\d+)"', index.html))
    for status in ("trusted", "emerging", "regular", "at_risk", "unproven", "ended"):
        expected = sum(1 for row in report.values() if row["status"] == status)
        assert int(counts[status]) == expected
    assert index.figures["trusted_target_share"] == 0.2
    assert index.figures["trusted_share"] == pytest.approx(1 / 9)  # keystone ended
    largest = max(report.values(), key=lambda r: r["revenue_share"] or 0)
    assert largest["partnership"] == "atlas-freight"
    assert index.figures["largest_revenue_share"] == pytest.approx(largest["revenue_share"], 1e-3)
    assert "atlas-freight" in index.text
    assert "The one-in-five rule" in index.text
    assert "<script" not in index.html


def test_a_corrections_section_only_where_a_correction_was_made(packs):
    # The samples correct one mistake: papercraft's review typed wrong, then amended.
    for handle in HANDLES:
        assert ("corrections" in pack_of(packs, handle).ids) is (handle == "papercraft"), handle
    assert "amended papercraft-0011" in pack_of(packs, "papercraft").text


def test_the_same_events_give_the_same_bytes(stored):
    events = sorted((e for history in stored.values() for e in history), key=lambda e: e.position)

    def html() -> str:
        context = pack_context(events, AS_OF, made_at=MADE_AT)
        return render_pack(gather_pack(context, "helix-cloud"))

    first, second = html(), html()
    assert first == second
    assert "2026-11-21 09:30:00 UTC" in first


# -- periods, known-at, a partnership without evidence -------------------------------------------


def test_since_narrows_the_period(samples, tmp_path):
    out = tmp_path / "northwind.html"
    run = invoke(
        samples,
        "pack",
        "northwind",
        "--as-of",
        "2026-11-20",
        "--since",
        "2026-06-01",
        "-o",
        str(out),
    )
    assert run.code == 0, run.err
    assert run.out.strip() == str(out)
    page = read_page(out)
    assert page.since == "2026-06-01"
    assert set(page.commitments) == set(expected_commitments("northwind", date(2026, 6, 1)))
    assert len(page.commitments) < len(expected_commitments("northwind", YEAR_START))
    assert min(page.revenue) == "2026-06"


def staged_store(path: Path) -> tuple[Path, datetime]:
    """Northwind recorded in two sittings a day apart; returns the store and the moment
    between them."""
    lines = (SAMPLES_DIR / "01-northwind.ndjson").read_text(encoding="utf-8").split("\n")
    lines = [x for x in lines if x]
    first_sitting = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
    store = parse_store_url(str(path))
    cut = next(i for i, x in enumerate(lines) if json.loads(x)["occurred_on"] > "2026-01-05")
    with Ledger(store, create=True, clock=lambda: first_sitting) as ledger:
        assert ledger.record(located_lines("first", lines[:cut])).ok
    with Ledger(store, clock=lambda: RECORDED) as ledger:
        assert ledger.record(located_lines("second", lines[cut:])).ok
    return path, first_sitting + timedelta(hours=1)


def test_a_known_at_pack_matches_the_known_at_report(tmp_path):
    store, between = staged_store(tmp_path / "staged.sqlite")
    known = between.isoformat()
    run = invoke(store, "report", "--format", "json", "--as-of", "2026-11-20", "--known-at", known)
    row = json.loads(run.out)[0]
    out = tmp_path / "known.html"
    run = invoke(
        store, "pack", "northwind", "--as-of", "2026-11-20", "--known-at", known, "-o", str(out)
    )
    assert run.code == 0, run.err
    page = read_page(out)
    for key in ("status", "trust", "trust_uncertainty", "alignment", "commitments", "alerts"):
        assert page.figures[key] == row[key], key
    with Ledger(parse_store_url(str(store))) as ledger:
        known_events = [e for e in ledger.history("northwind") if e.recorded_at <= between]
    newest = max(known_events, key=lambda e: e.position)
    assert page.links == [newest.link]
    assert "2026-01-10 13:00:00 UTC" in page.text


def test_a_partnership_without_evidence_says_so_and_draws_nothing(tmp_path):
    store = tmp_path / "new.sqlite"
    line = {
        "type": "partnership_registered",
        "partnership": "fresh",
        "name": "Fresh Start Ltd",
        "occurred_on": "2026-11-01",
    }
    run = invoke(store, "record", stdin=json.dumps(line) + "\n")
    assert run.code == 0, run.err
    out = tmp_path / "fresh.html"
    run = invoke(store, "pack", "fresh", "--as-of", "2026-11-20", "-o", str(out))
    assert run.code == 0, run.err
    page = read_page(out)
    assert page.figures["status"] == "unproven"
    assert page.figures["trust"] == 0.5 and page.figures["trust_uncertainty"] == 1.0
    assert "insufficient-evidence" in page.ids and "no-trend" in page.ids
    assert page.svgs == {}  # no chart at all: nothing to draw
    assert page.commitments == {} and page.issues == {}
    assert "No review has been held yet." in page.text


# -- the command line -----------------------------------------------------------------------------


def test_pack_to_stdout(samples):
    run = invoke(samples, "pack", "papercraft", "--as-of", "2026-11-20", "-o", "-")
    assert run.code == 0, run.err
    assert run.out.startswith("<!DOCTYPE html>")
    assert PackPage(run.out).main["data-partnership"] == "papercraft"


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["pack", "nobody", "--as-of", "2026-11-20"], 1, "no partnership 'nobody'"),
        (["pack", "lumen-institute", "--as-of", "2026-06-30"], 1, "registered by 2026-06-30"),
        (["pack"], 2, "name one partnership H, or give --all"),
        (["pack", "northwind", "--all"], 2, "name one partnership H, or give --all"),
        (["pack", "northwind", "--since", "2026-12-01", "--as-of", "2026-11-20"], 2, "--since"),
        (["pack", "northwind", "--as-of", "2026-13-01"], 2, "--as-of"),
        (["pack", "northwind", "--format", "docx"], 2, "docx"),
    ],
)
def test_bad_requests_fail_in_one_line_and_write_nothing(samples, tmp_path, args, code, message):
    out = tmp_path / "out.html"
    run = invoke(samples, *args, "-o", str(out))
    assert run.code == code, run.err
    assert message in run.err
    assert len(run.err.strip().splitlines()) == 1
    assert not out.exists()


def test_a_missing_store_is_exit_2(tmp_path):
    run = invoke(tmp_path / "none.sqlite", "pack", "northwind")
    assert run.code == 2
    assert not (tmp_path / "none.sqlite").exists()


def test_audit_verify_prints_each_partnerships_newest_link(samples, stored):
    run = invoke(samples, "audit", "verify", "--links")
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    assert lines[0].startswith("intact: 381 events in 10 partnerships")
    newest = {h: max(events, key=lambda e: e.position) for h, events in stored.items()}
    assert lines[1:] == [
        f"{h} #{e.version} at position {e.position}: {e.link}" for h, e in sorted(newest.items())
    ]


def test_audit_verify_of_a_position_that_does_not_exist_is_exit_1(samples):
    run = invoke(samples, "audit", "verify", "--position", "9999")
    assert run.code == 1
    assert "no event at position 9999" in run.err


def test_rendering_in_worker_processes_writes_the_same_files(samples, tmp_path, monkeypatch):
    from trustledger.tui.cli import main

    assert main.main.get_command(None, "pack") is not None  # type: ignore[arg-type]
    pack_command = sys.modules["trustledger.tui.cli.pack"]  # loaded by get_command

    monkeypatch.setattr(pack_command, "clock", lambda: MADE_AT)
    outputs = {}
    for jobs in ("1", "2"):
        out = tmp_path / f"jobs-{jobs}"
        run = invoke(
            samples, "pack", "--all", "--as-of", "2026-11-20", "--jobs", jobs, "-o", str(out)
        )
        assert run.code == 0, run.err
        assert run.err == ""  # stderr is no terminal: no progress bar
        outputs[jobs] = {p.name: p.read_bytes() for p in out.iterdir()}
    assert len(outputs["1"]) == 11
    assert outputs["1"] == outputs["2"]


def test_pack_all_shows_a_progress_bar_on_a_terminal(samples, tmp_path):
    import os
    import pty
    import subprocess

    from tests.cli_helpers import TRUSTLEDGER, cli_env

    controller, terminal = pty.openpty()
    proc = subprocess.Popen(
        [
            str(TRUSTLEDGER),
            "--store",
            str(samples),
            "pack",
            "--all",
            "--as-of",
            "2026-11-20",
            "-o",
            str(tmp_path / "packs"),
        ],
        stdout=subprocess.PIPE,
        stderr=terminal,
        env=cli_env(samples, {"COLUMNS": "100", "TERM": "xterm"}),
    )
    os.close(terminal)
    shown = b""
    while True:
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        shown += chunk
    out, _ = proc.communicate(timeout=300)
    os.close(controller)
    assert proc.returncode == 0, shown
    assert out.decode().strip() == str(tmp_path / "packs" / "index.html")
    assert b"packs" in shown and b"10/10" in shown


def test_the_command_offers_the_packs_formats():
    from trustledger.tui import pack
    from trustledger.tui.cli import main

    assert main.main.get_command(None, "pack") is not None  # type: ignore[arg-type]
    command = sys.modules["trustledger.tui.cli.pack"]
    assert command.FORMATS == pack.FORMATS
    assert command.PAPERS == pack.PAPERS
