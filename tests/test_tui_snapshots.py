"""Snapshots of the portfolio and partnership screens at 80x24 and 120x40.

The sample data is recorded with a pinned clock and the app's as-of date is pinned to
2026-11-20, so the pictures are the same on every run. Update them with
``pytest tests/test_tui_snapshots.py --snapshot-update`` and look at the SVGs in
``tests/__snapshots__/`` (or open ``snapshot_report.html`` after a failure).
"""

from __future__ import annotations

import pytest

from tests.test_tui_support import make_app

SIZES = [(80, 24), (120, 40)]


async def _portfolio_loaded(pilot) -> None:
    await pilot.app.ready()
    await pilot.pause()


def _partnership_loaded(handle: str, tab: str | None = None):
    async def run_before(pilot) -> None:
        app = pilot.app
        await app.ready()
        await pilot.pause()
        app.open_partnership(handle)
        await app.detail_ready()
        if tab:
            await pilot.press(tab)
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_portfolio_snapshot(sample_store, snap_compare, size):
    assert snap_compare(make_app(sample_store), terminal_size=size, run_before=_portfolio_loaded)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_partnership_snapshot(sample_store, snap_compare, size):
    app = make_app(sample_store)
    assert snap_compare(app, terminal_size=size, run_before=_partnership_loaded("vantage-retail"))


def test_partnership_commitments_snapshot(sample_store, snap_compare):
    app = make_app(sample_store)
    assert snap_compare(
        app, terminal_size=(80, 24), run_before=_partnership_loaded("helix-cloud", "2")
    )
