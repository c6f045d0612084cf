"""Chaos: the ends of the calendar, in the dashboard and on the command line.

Audit mode steps by weeks and months; stepping past 0001-01-01 or 9999-12-31 stays on the
first or last day and says so, instead of crashing the app. Times that only exist in
another time zone (``0001-01-01T00:00:00+01:00`` is still year 0 in UTC) are usage errors.
"""

from __future__ import annotations

from datetime import date

import pytest
from trustledger.tui.dashboard.app import TrustLedgerApp
from trustledger.tui.dashboard.screens.portfolio import PortfolioTable

from tests.cli_helpers import invoke
from tests.test_tui_support import make_app, screen_text

SIZE = (80, 24)


def capture_notes(app: TrustLedgerApp) -> list[str]:
    notes: list[str] = []
    original = app.notify

    def notify(message, *args, **kwargs):
        notes.append(str(message))
        return original(message, *args, **kwargs)

    app.notify = notify  # type: ignore[method-assign]
    return notes


@pytest.mark.parametrize(
    ("start", "keys", "end"),
    [
        (date(1, 1, 1), "[", date(1, 1, 1)),
        (date(1, 1, 1), "{", date(1, 1, 1)),
        (date(1, 1, 5), "[", date(1, 1, 1)),
        (date(1, 1, 20), "{", date(1, 1, 1)),
        (date(9999, 12, 31), "]", date(9999, 12, 31)),
        (date(9999, 12, 31), "}", date(9999, 12, 31)),
        (date(9999, 12, 28), "]", date(9999, 12, 31)),
        (date(9999, 12, 10), "}", date(9999, 12, 31)),
    ],
)
async def test_audit_steps_stop_at_the_ends_of_the_calendar(sample_store, start, keys, end):
    app = make_app(sample_store, as_of=start)
    notes = capture_notes(app)
    async with app.run_test(size=SIZE) as pilot:
        await app.ready()
        await pilot.pause()
        await pilot.press(keys)
        await pilot.pause()
        await app.ready()
        await pilot.pause()
        assert app.is_running
        assert app.audit and app.as_of == end
        assert any(end.isoformat() in note for note in notes), notes
        assert f"AUDIT as of {end.isoformat()}" in screen_text(app)
        # And back the other way, one ordinary step.
        back = "]" if keys in "[{" else "["
        await pilot.press(back)
        await app.ready()
        await pilot.pause()
        assert app.as_of != end
    assert app.return_code in (0, None)


async def test_the_first_day_shows_an_empty_ledger(sample_store):
    app = make_app(sample_store, as_of=date(1, 1, 1))
    async with app.run_test(size=SIZE) as pilot:
        await app.ready()
        await pilot.pause()
        assert app.screen.query_one(PortfolioTable).row_count == 0
        await pilot.press("[", "[", "{")
        await app.ready()
        await pilot.pause()
        assert app.is_running and app.as_of == date(1, 1, 1)


@pytest.mark.parametrize(
    "args",
    [
        ("report", "--known-at", "0001-01-01T00:00:00+01:00"),
        ("report", "--known-at", "9999-12-31T23:59:59-01:00"),
        ("audit", "log", "--since", "0001-01-01T00:00:00+01:00"),
        ("audit", "log", "--since", "9999-12-31T23:30:00-05:00"),
    ],
)
def test_times_outside_the_utc_calendar_are_usage_errors(sample_store, args):
    run = invoke(sample_store.path, *args)
    assert run.code == 2, run
    option = args[-2]
    assert run.err.startswith(f"trustledger: {option}: "), run.err
    assert "out of range" in run.err
    assert len(run.err.strip().splitlines()) == 1


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_reports_at_the_ends_of_the_calendar(sample_store, day):
    for args in (
        ("report", "--as-of", day, "--format", "json"),
        ("check", "--as-of", day),
        ("history", "northwind", "--explain", "--as-of", day),
        ("report", "--known-at", day),
    ):
        run = invoke(sample_store.path, *args)
        assert run.code in (0, 1), (args, run)
        assert "unexpected" not in run.err
