"""Correcting the record from the dashboard: the timeline's void and amend forms.

On the partnership screen's timeline, ``x`` voids the highlighted event and ``e`` amends it
(the form pre-filled with the event as it stands). The live view then shows the corrected
scores, and the voided event stays on the timeline, struck through, with who voided it,
when and why.
"""

from __future__ import annotations

import json
from datetime import timedelta

from textual.widgets import DataTable, Input, TextArea
from trustledger.domain.events import EventVoided
from trustledger.domain.ledger import Ledger, Located
from trustledger.domain.store import StoreConfig
from trustledger.tui.dashboard.screens.correct import CorrectionScreen

from tests.samples import RECORDED
from tests.test_tui_support import last_event, make_app, pause_until

MISSED = "brightpath-0030"  # renewal-addon, missed on 2026-05-04


def row_key(app, event_id: str) -> str:
    screen = app.screen
    return str(next(e.position for e in screen.detail.events if e.line.id == event_id))


async def open_timeline(app, pilot, handle: str) -> DataTable:
    await app.ready()
    app.open_partnership(handle)
    await app.detail_ready()
    await pilot.press("5")
    await pilot.pause()
    return app.screen.query_one("#timeline-table", DataTable)


def struck(cell) -> bool:
    """Whether a timeline cell (a rich Text) is struck through, whole or by its one span."""
    styles = [str(cell.style), *(str(span.style) for span in cell.spans)]
    return any("strike" in style for style in styles)


async def highlight(pilot, table: DataTable, key: str) -> None:
    table.move_cursor(row=table.get_row_index(key))
    await pilot.pause()


async def test_voiding_an_event_from_the_timeline(sample_store: StoreConfig) -> None:
    app = make_app(sample_store)
    async with app.run_test(size=(120, 40)) as pilot:
        table = await open_timeline(app, pilot, "brightpath")
        trust_before = app.picture.get("brightpath").trust
        missed_before = app.picture.get("brightpath").counts.missed
        key = row_key(app, MISSED)
        await highlight(pilot, table, key)
        await pilot.press("x")
        await pause_until(pilot, lambda: isinstance(app.screen, CorrectionScreen), "the form")
        form = app.screen
        assert form.kind == "void" and form.event.line.id == MISSED
        # Without a reason the ledger's model refuses it, in the form; nothing is recorded.
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, CorrectionScreen)
        assert "reason" in str(form.query_one("#error").render())
        form.query_one("#reason", Input).value = "budget was found: it was kept"
        await pilot.press("ctrl+s")
        await pause_until(pilot, lambda: not isinstance(app.screen, CorrectionScreen), "saved")
        assert last_event(sample_store, "brightpath")["type"] == "event_voided"
        await pause_until(
            pilot,
            lambda: app.picture.get("brightpath").counts.missed == missed_before - 1,
            "the live view shows the corrected history",
        )
        assert app.picture.get("brightpath").trust > trust_before
        await pause_until(
            pilot,
            lambda: (
                table.row_count and any(e.type == "event_voided" for e in app.screen.detail.events)
            ),
            "the timeline shows the void",
        )
        cells = table.get_row(key)
        assert all(struck(cell) for cell in cells), cells
        assert "by " in cells[-1].plain and "budget was found" in cells[-1].plain


async def test_amending_a_review_from_the_timeline_is_pre_filled(sample_store) -> None:
    app = make_app(sample_store)
    async with app.run_test(size=(120, 40)) as pilot:
        table = await open_timeline(app, pilot, "papercraft")
        key = row_key(app, "papercraft-0008")
        await highlight(pilot, table, key)
        await pilot.press("e")
        await pause_until(pilot, lambda: isinstance(app.screen, CorrectionScreen), "the form")
        form = app.screen
        area = form.query_one("#line", TextArea)
        line = json.loads(area.text)
        assert line["id"] == "papercraft-0008" and line["scores"]["vision"] == 3
        line["scores"]["vision"] = 9  # out of range: refused at its field
        area.text = json.dumps(line)
        form.query_one("#reason", Input).value = "vision was 4"
        await pilot.press("ctrl+s")
        await pause_until(
            pilot,
            lambda: "line.scores.vision" in str(form.query_one("#error").render()),
            "the error",
        )
        line["scores"]["vision"] = 4
        area.text = json.dumps(line)
        await pilot.press("ctrl+s")
        await pause_until(pilot, lambda: not isinstance(app.screen, CorrectionScreen), "saved")
        amended = last_event(sample_store, "papercraft")
        assert amended["type"] == "event_amended"
        assert amended["line"]["scores"]["vision"] == 4


def void_in_advance(store: StoreConfig) -> None:
    """A void recorded at a pinned time (the snapshot shows who voided what, and when)."""
    line = EventVoided(
        partnership="papercraft",
        event="papercraft-0009",
        reason="price hold not confirmed yet",
        occurred_on=RECORDED.date(),
        actor="priya.nair",
        id="papercraft-fix-1",
    )
    with Ledger(store, clock=lambda: RECORDED + timedelta(hours=1)) as ledger:
        result = ledger.record([Located("test", 1, line)])
    assert result.ok, result.errors


def test_timeline_with_corrections_snapshot(sample_store, snap_compare) -> None:
    void_in_advance(sample_store)

    async def run_before(pilot) -> None:
        app = pilot.app
        await app.ready()
        app.open_partnership("papercraft")
        await app.detail_ready()
        await pilot.press("5")
        await pilot.pause()
        # On the voided row: the line under the table says who voided it, when and why.
        table = app.screen.query_one("#timeline-table", DataTable)
        await highlight(pilot, table, row_key(app, "papercraft-0009"))

    assert snap_compare(make_app(sample_store), terminal_size=(80, 24), run_before=run_before)


async def test_a_viewer_has_no_correction_keys(sample_store: StoreConfig, monkeypatch) -> None:
    """Over ``serve`` a viewer's dashboard has no forms: ``x`` on the timeline is the app's
    export, as on every other screen, and ``e`` does nothing; nothing is recorded."""
    from trustledger.tui.dashboard.screens.export import ExportScreen
    from trustledger.tui.service.access import ROLE_ENV

    monkeypatch.setenv(ROLE_ENV, "viewer")
    app = make_app(sample_store)
    before = last_event(sample_store, "brightpath")
    async with app.run_test(size=(120, 40)) as pilot:
        table = await open_timeline(app, pilot, "brightpath")
        await highlight(pilot, table, row_key(app, MISSED))
        await pilot.press("e")
        await pilot.pause()
        assert not isinstance(app.screen, CorrectionScreen)
        await pilot.press("x")
        await pause_until(pilot, lambda: isinstance(app.screen, ExportScreen), "the export")
    assert last_event(sample_store, "brightpath") == before
