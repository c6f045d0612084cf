"""Each sample partnership ends in the status sample_events/README.md gives it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from trustledger.domain.ledger import Ledger
from trustledger.domain.store import parse_store_url
from trustledger.projections.replay import replay
from trustledger.projections.report import report_rows

from tests.samples import SAMPLES_DIR, TODAY, sample_dicts

AS_OF = TODAY  # the date the README's statuses are stated for


def expected_statuses() -> dict[str, str]:
    """Parse the README's table: the `handle` and `expected status` columns."""
    lines = (SAMPLES_DIR / "README.md").read_text().splitlines()
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
def report(sample_template: Path) -> list[dict]:
    with Ledger(parse_store_url(str(sample_template))) as ledger:
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
    types = {line["type"] for line in sample_dicts()}
    from trustledger.domain.events import EVENT_TYPES

    assert types == set(EVENT_TYPES) | {"event_amended"}  # and one corrected mistake


def test_samples_span_eighteen_months():
    days = [date.fromisoformat(line["occurred_on"]) for line in sample_dicts()]
    assert (max(days) - min(days)).days >= 18 * 30
