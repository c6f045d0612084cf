"""Each sample partnership ends in the status sample_events/README.md gives it."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from trustledger.domain.ledger import Ledger, located_lines
from trustledger.domain.store import parse_store_url
from trustledger.projections.replay import replay
from trustledger.projections.report import report_rows

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_events"
AS_OF = date(2026, 11, 20)  # the date the README's statuses are stated for


def expected_statuses() -> dict[str, str]:
    """Parse the README's table: the `handle` and `expected status` columns."""
    lines = (SAMPLES / "README.md").read_text().splitlines()
    header = next(i for i, line in enumerate(lines) if "expected status" in line)
    columns = [c.strip() for c in lines[header].strip("|").split("|")]
    handle_at, status_at = columns.index("handle"), columns.index("expected status")
    table: dict[str, str] = {}
    for line in lines[header + 2 :]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        table[cells[handle_at].strip("`")] = cells[status_at]
    return table


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> list[dict]:
    store = parse_store_url(str(tmp_path_factory.mktemp("samples") / "samples.sqlite"))
    with Ledger(store, create=True) as ledger:
        for path in sorted(SAMPLES.glob("*.ndjson")):
            result = ledger.record(located_lines(path.name, path.read_text().splitlines()))
            assert result.ok, result.errors
        return report_rows(replay(ledger.iter_events(), AS_OF))


def test_the_readme_lists_every_sample_partnership(report):
    expected = expected_statuses()
    assert len(expected) == 10
    assert set(expected) == {row["partnership"] for row in report}
    assert set(expected.values()) == {
        "trusted",
        "emerging",
        "regular",
        "at_risk",
        "unproven",
        "ended",
    }


@pytest.mark.parametrize("handle", sorted(expected_statuses()))
def test_sample_partnership_ends_in_its_status(report, handle):
    row = next(row for row in report if row["partnership"] == handle)
    assert row["status"] == expected_statuses()[handle], row["status_reason"]


def test_every_event_type_is_used_by_the_samples():
    types = {
        json.loads(line)["type"]
        for path in SAMPLES.glob("*.ndjson")
        for line in path.read_text().splitlines()
        if line.strip()
    }
    from trustledger.domain.events import EVENT_TYPES

    assert types == set(EVENT_TYPES)


def test_samples_span_eighteen_months():
    days = [
        date.fromisoformat(json.loads(line)["occurred_on"])
        for path in SAMPLES.glob("*.ndjson")
        for line in path.read_text().splitlines()
        if line.strip()
    ]
    assert (max(days) - min(days)).days >= 18 * 30
