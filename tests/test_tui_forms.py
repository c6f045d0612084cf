"""The forms: every event type with valid input (recorded) and invalid input (the error shows
at the field, nothing is recorded)."""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import Checkbox, Input, Select, Static
from trustledger.domain.events import EVENT_TYPES
from trustledger.tui.dashboard.screens.portfolio import PortfolioScreen
from trustledger.tui.dashboard.screens.record import ChooseEventScreen, RecordScreen

from tests.test_tui_support import events_in, history, last_event, make_app, screen_text

SIZE = (80, 24)

# event type, partnership, values -> what must be stored (a subset of the line)
VALID: list[tuple[str, str | None, dict[str, Any], dict[str, Any]]] = [
    (
        "partnership_registered",
        None,
        {"partnership": "acme", "name": "Acme Corp", "kind": "channel", "review_every_days": "60"},
        {"partnership": "acme", "name": "Acme Corp", "kind": "channel", "review_every_days": 60},
    ),
    (
        "commitment_made",
        "northwind",
        {
            "commitment": "q1-plan",
            "by": "partner",
            "summary": "Q1 plan",
            "due": "2026-12-31",
            "weight": "3",
        },
        {"commitment": "q1-plan", "by": "partner", "due": "2026-12-31", "weight": 3},
    ),
    (
        "commitment_renegotiated",
        "northwind",
        {"commitment": "mdf-2027", "due": "2027-01-15", "reason": "budget cycle"},
        {"commitment": "mdf-2027", "due": "2027-01-15", "reason": "budget cycle"},
    ),
    ("commitment_kept", "northwind", {"commitment": "q4-pipeline"}, {"commitment": "q4-pipeline"}),
    (
        "commitment_missed",
        "helix-cloud",
        {"commitment": "private-offers", "note": "slipped again"},
        {"commitment": "private-offers", "note": "slipped again"},
    ),
    (
        "review_held",
        "papercraft",
        {"scores-vision": "4", "scores-risk": "2", "partner_scores-vision": "3"},
        {"scores": {"vision": 4, "risk": 2}, "partner_scores": {"vision": 3}},
    ),
    (
        "issue_raised",
        "meridian-health",
        {
            "issue": "late-invoice",
            "summary": "Invoice late",
            "severity": "high",
            "commitment": "campus-3",
            "partner_card": True,
        },
        {
            "issue": "late-invoice",
            "severity": "high",
            "commitment": "campus-3",
            "partner_card": True,
        },
    ),
    (
        "issue_resolved",
        "northwind",
        {"issue": "portal-sso", "resolution": "SSO session length fixed"},
        {"issue": "portal-sso", "resolution": "SSO session length fixed"},
    ),
    (
        "revenue_recorded",
        "papercraft",
        {"period": "2026-10", "amount": "1234.5", "currency": "EUR"},
        {"period": "2026-10", "amount": 1234.5, "currency": "EUR"},
    ),
    (
        "partnership_ended",
        "papercraft",
        {"reason": "supplier retired", "occurred_on": "2026-11-20", "actor": "tester"},
        {"reason": "supplier retired", "occurred_on": "2026-11-20", "actor": "tester"},
    ),
]

# event type, partnership, values -> {field: part of the message shown at it}
INVALID: list[tuple[str, str | None, dict[str, Any], dict[str, str]]] = [
    (
        "partnership_registered",
        None,
        {"partnership": "Bad Handle!", "review_every_days": "999"},
        {"partnership": "a handle", "name": "required", "review_every_days": "less than or equal"},
    ),
    (
        "commitment_made",
        "northwind",
        {"commitment": "x1", "summary": "s", "due": "2026-13-45"},
        {"by": "required", "due": "not a real calendar date"},
    ),
    (
        "commitment_renegotiated",
        "northwind",
        {"commitment": "mdf-2027", "due": "2020-01-01"},
        {"due": "is before"},
    ),
    (
        "commitment_kept",
        "northwind",
        {"commitment": "q4-pipeline", "occurred_on": "2020-01-01"},
        {"occurred_on": "is before partnership 'northwind' was registered"},
    ),
    ("commitment_missed", "helix-cloud", {}, {"commitment": "required"}),
    ("review_held", "papercraft", {}, {"scores": "at least one score"}),
    (
        "issue_raised",
        "northwind",
        {"issue": "portal-sso", "summary": "again"},
        {"issue": "already exists"},
    ),
    ("issue_resolved", "northwind", {"issue": "portal-sso"}, {"resolution": "required"}),
    (
        "revenue_recorded",
        "papercraft",
        {"period": "2026-13", "amount": "10", "currency": "usd"},
        {"period": "YYYY-MM", "currency": "ISO 4217"},
    ),
    (
        "partnership_ended",
        "papercraft",
        {"occurred_on": "2031-01-01"},
        {"occurred_on": "in the future"},
    ),
]


def test_every_event_type_has_a_valid_and_an_invalid_case():
    assert {case[0] for case in VALID} == set(EVENT_TYPES)
    assert {case[0] for case in INVALID} == set(EVENT_TYPES)


def fill(screen: RecordScreen, values: dict[str, Any]) -> None:
    for name, value in values.items():
        widget = screen.query_one(f"#f-{name}")
        if isinstance(widget, Checkbox):
            widget.value = bool(value)
        elif isinstance(widget, Select):
            widget.value = value
        else:
            assert isinstance(widget, Input)
            widget.value = str(value)


async def open_form(app, pilot, event_type: str, handle: str | None) -> RecordScreen:
    screen = app.open_form(event_type, handle)
    await pilot.pause()
    assert app.screen is screen
    return screen


async def recorded(app, pilot) -> None:
    """Wait for the form's recording worker (not the follow worker, which never ends)."""
    await pilot.pause()
    running = [w for w in app.workers if w.group == "record"]
    if running:  # (an empty list would mean: wait for every worker)
        await app.workers.wait_for_complete(running)
    await pilot.pause()


async def save(app, pilot) -> None:
    await pilot.press("ctrl+s")
    await recorded(app, pilot)


CASES = {case[0]: case for case in VALID}
BAD = {case[0]: case for case in INVALID}


@pytest.mark.parametrize("event_type", list(EVENT_TYPES))
async def test_form_refuses_invalid_input_then_records_valid_input(sample_store, event_type):
    """Invalid: each error shows at its field, the form stays open, nothing is recorded.
    Then, in a fresh form, valid input: the form closes and the event is in the store."""
    app = make_app(sample_store)
    before = events_in(sample_store)
    async with app.run_test(size=SIZE) as pilot:
        await app.ready()

        _, handle, values, errors = BAD[event_type]
        screen = await open_form(app, pilot, event_type, handle)
        fill(screen, values)
        await save(app, pilot)
        assert app.screen is screen  # still open
        for field, words in errors.items():
            message = screen.query_one(f"#err-{field}", Static)
            assert message.has_class("-shown"), field
            assert words in str(message.render()), (field, str(message.render()))
        shown = {w.id.removeprefix("err-") for w in screen.query(".field-error.-shown") if w.id}
        assert shown == set(errors)
        # The first field at fault has the cursor.
        assert app.focused is not None and app.focused.has_class("-invalid")
        assert events_in(sample_store) == before
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, PortfolioScreen)

        _, handle, values, stored = CASES[event_type]
        screen = await open_form(app, pilot, event_type, handle)
        fill(screen, values)
        await save(app, pilot)
        assert not isinstance(app.screen, RecordScreen), screen_text(app)
        assert isinstance(app.screen, PortfolioScreen)
    assert events_in(sample_store) == before + 1
    partnership = handle or values["partnership"]
    assert history(sample_store, partnership)[-1] == event_type
    line = last_event(sample_store, partnership)
    for key, value in stored.items():
        assert line[key] == value, (key, line)


async def test_errors_clear_when_corrected(sample_store):
    app = make_app(sample_store)
    async with app.run_test(size=SIZE) as pilot:
        await app.ready()
        screen = await open_form(app, pilot, "issue_resolved", "northwind")
        fill(screen, {"issue": "portal-sso"})
        await save(app, pilot)
        assert screen.query_one("#err-resolution", Static).has_class("-shown")
        assert app.focused is screen.query_one("#f-resolution", Input)
        await pilot.press(*"fixed")
        await pilot.press("enter")
        await recorded(app, pilot)
        assert isinstance(app.screen, PortfolioScreen)
    assert history(sample_store, "northwind")[-1] == "issue_resolved"


async def test_keyboard_only_commitment_form(sample_store):
    """r, then c, then type every field, Tab between them, Enter saves."""
    app = make_app(sample_store)
    async with app.run_test(size=SIZE) as pilot:
        await app.ready()
        await pilot.pause()
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, ChooseEventScreen)
        assert "Record an event for Northwind Distribution" in screen_text(app)
        await pilot.press("c")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, RecordScreen)
        assert screen.query_one("#f-partnership", Input).value == "northwind"
        assert app.focused is screen.query_one("#f-commitment", Input)
        await pilot.press(*"kb-refresh", "tab")
        await pilot.press("enter", "down", "enter", "tab")  # the "by" Select: us
        await pilot.press(*"KB", "tab")
        await pilot.press(*"2026-12-24", "enter")
        await recorded(app, pilot)
        assert isinstance(app.screen, PortfolioScreen), screen_text(app)
    line = last_event(sample_store, "northwind")
    assert line["commitment"] == "kb-refresh"
    assert line["by"] == "us"
    assert line["due"] == "2026-12-24"


async def test_chooser_cancels_with_escape(sample_store):
    app = make_app(sample_store)
    async with app.run_test(size=SIZE) as pilot:
        await app.ready()
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, ChooseEventScreen)
        await pilot.press("a", "q")  # audit and quit keys do nothing while a modal is open
        await pilot.pause()
        assert isinstance(app.screen, ChooseEventScreen)
        assert app.is_running
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, PortfolioScreen)


# -- picking, errors that go, what a save says -------------------------------------------


def open_commitments(app, handle: str) -> list[str]:
    return [c.handle for c in app.picture.get(handle).open_commitments]


async def test_kept_is_recorded_by_choosing_from_the_open_commitments(sample_store):
    """r, k on the highlighted partnership: the form lists its open commitments; one is
    chosen with the keyboard, and that one is recorded as kept."""
    app = make_app(sample_store)
    notes: list[str] = []
    original = app.notify

    def notify(message, *args, **kwargs):
        notes.append(str(message))
        return original(message, *args, **kwargs)

    app.notify = notify  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await app.ready()
        await pilot.pause()
        await pilot.press("r", "k")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, RecordScreen) and screen.event_type == "commitment_kept"
        pick = screen.query_one("#f-commitment", Select)
        offered = [value for _, value in screen.rows()["commitment"].options or []]
        assert offered == open_commitments(app, "northwind") and len(offered) == 2
        assert app.focused is pick  # the first field still to fill
        text = screen_text(app)
        assert "northwind" in text and "choose the commitment" in text
        await pilot.press("enter", "down", "enter")  # open the list, take the first
        await pilot.pause()
        assert pick.value == offered[0]
        await save(app, pilot)
        assert isinstance(app.screen, PortfolioScreen), screen_text(app)
    line = last_event(sample_store, "northwind")
    assert line["type"] == "commitment_kept" and line["commitment"] == offered[0]
    assert f"Commitment kept: {offered[0]} — Northwind Distribution (northwind)" in notes


async def test_the_list_follows_the_partnership_typed(sample_store):
    app = make_app(sample_store)
    async with app.run_test(size=SIZE) as pilot:
        await app.ready()
        screen = await open_form(app, pilot, "commitment_missed", None)
        row = screen.rows()["commitment"]
        assert not row.options  # no partnership yet: nothing to pick
        assert "no open commitments to choose from" in screen_text(app)
        screen.query_one("#f-partnership", Input).value = "helix-cloud"
        await pilot.pause()
        assert [value for _, value in row.options or []] == open_commitments(app, "helix-cloud")
        issues = await open_form(app, pilot, "issue_resolved", "vantage-retail")
        assert [v for _, v in issues.rows()["issue"].options or []] == ["coastline-conflict"]


async def test_an_error_goes_once_its_field_is_filled(sample_store):
    app = make_app(sample_store)
    async with app.run_test(size=SIZE) as pilot:
        await app.ready()
        screen = await open_form(app, pilot, "commitment_kept", "northwind")
        await save(app, pilot)
        error = screen.query_one("#err-commitment", Static)
        assert error.has_class("-shown") and "required" in str(error.render())
        screen.query_one("#f-commitment", Select).value = open_commitments(app, "northwind")[0]
        await pilot.pause()
        assert not error.has_class("-shown")  # filled: the error is gone before saving


async def test_a_wrong_partnership_lists_the_registered_ones(sample_store):
    app = make_app(sample_store)
    before = events_in(sample_store)
    async with app.run_test(size=SIZE) as pilot:
        await app.ready()
        screen = await open_form(app, pilot, "partnership_ended", None)
        fill(screen, {"partnership": "northwnd"})
        await save(app, pilot)
        message = str(screen.query_one("#err-partnership", Static).render())
        assert "is not registered" in message
        assert "registered: northwind," in message  # the nearest first
    assert events_in(sample_store) == before
