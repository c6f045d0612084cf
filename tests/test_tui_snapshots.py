"""Snapshots of the screens at 80x24 (and the main ones at 120x40).

At 80x24: the portfolio, every tab of Vantage's partnership screen (its five alerts all on
the Overview, with the revenue share), the alerts view, the help screen and a form whose
commitment is picked from a list. The sample data is recorded with a pinned clock and the
app's as-of date is pinned to 2026-11-20, so the pictures are the same on every run. Update
them with ``pytest tests/test_tui_snapshots.py --snapshot-update`` and look at the SVGs in
``tests/__snapshots__/`` (or open ``snapshot_report.html`` after a failure).
"""

from __future__ import annotations

import pytest
from trustledger.tui.dashboard.screens.partnership import TABS

from tests.test_tui_support import make_app

SIZES = [(80, 24), (120, 40)]
SMALL = (80, 24)


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


def _keys(*keys: str):
    async def run_before(pilot) -> None:
        await pilot.app.ready()
        await pilot.pause()
        await pilot.press(*keys)
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_portfolio_snapshot(sample_store, snap_compare, size):
    assert snap_compare(make_app(sample_store), terminal_size=size, run_before=_portfolio_loaded)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_partnership_snapshot(sample_store, snap_compare, size):
    app = make_app(sample_store)
    assert snap_compare(app, terminal_size=size, run_before=_partnership_loaded("vantage-retail"))


@pytest.mark.parametrize("tab", range(2, len(TABS) + 1), ids=lambda n: TABS[n - 1])
def test_partnership_tab_snapshot(sample_store, snap_compare, tab):
    """Vantage's other tabs at 80x24 (the Overview is the one above)."""
    app = make_app(sample_store)
    assert snap_compare(
        app, terminal_size=SMALL, run_before=_partnership_loaded("vantage-retail", str(tab))
    )


def test_partnership_commitments_snapshot(sample_store, snap_compare):
    app = make_app(sample_store)
    assert snap_compare(
        app, terminal_size=SMALL, run_before=_partnership_loaded("helix-cloud", "2")
    )


def test_alerts_snapshot(sample_store, snap_compare):
    assert snap_compare(
        make_app(sample_store), terminal_size=SMALL, run_before=_keys("exclamation_mark")
    )


def test_help_snapshot(sample_store, snap_compare):
    assert snap_compare(
        make_app(sample_store), terminal_size=SMALL, run_before=_keys("question_mark")
    )


def test_pick_list_form_snapshot(sample_store, snap_compare):
    """Vantage highlighted (j x7), r, k: the kept form, its commitment list opened."""
    assert snap_compare(
        make_app(sample_store),
        terminal_size=SMALL,
        run_before=_keys(*"jjjjjjj", "r", "k", "enter"),
    )
