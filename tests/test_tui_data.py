"""The dashboard's pieces without a terminal: form fields from the models, error mapping,
cells, and the audit picture against a plain replay."""

from __future__ import annotations

from datetime import date

import pytest
from trustledger.domain.errors import LineError
from trustledger.domain.events import EVENT_TYPES
from trustledger.domain.ledger import Ledger
from trustledger.projections.config import DEFAULT_CONFIG
from trustledger.projections.replay import replay
from trustledger.tui.dashboard.screens.record import RecordScreen, friendly
from trustledger.tui.dashboard.widgets.cells import Palette, days_text, score_text, status_text
from trustledger.tui.dashboard.widgets.fields import SKIPPED, form_fields
from trustledger.tui.service.labels import describe
from trustledger.tui.service.live import audit_picture, detail_from_events

from tests.samples import TODAY


@pytest.mark.parametrize("event_type", list(EVENT_TYPES))
def test_a_form_asks_for_every_field_of_its_model(event_type):
    model = EVENT_TYPES[event_type]
    specs = form_fields(model)
    assert {s.name for s in specs} == set(model.model_fields) - set(SKIPPED)
    assert specs[0].name == "partnership"
    for spec in specs:
        assert spec.required == model.model_fields[spec.name].is_required()


def test_field_kinds_follow_the_types():
    by_name = {s.name: s for s in form_fields(EVENT_TYPES["issue_raised"])}
    assert by_name["severity"].kind == "choice"
    assert by_name["severity"].choices == ("low", "medium", "high")
    assert by_name["severity"].default == "medium"
    assert by_name["partner_card"].kind == "bool"
    assert by_name["occurred_on"].kind == "date"
    review = {s.name: s for s in form_fields(EVENT_TYPES["review_held"])}
    assert review["scores"].kind == "scores" and review["scores"].required
    assert review["partner_scores"].kind == "scores" and not review["partner_scores"].required
    revenue = {s.name: s for s in form_fields(EVENT_TYPES["revenue_recorded"])}
    assert revenue["amount"].kind == "float"
    made = {s.name: s for s in form_fields(EVENT_TYPES["commitment_made"])}
    assert made["weight"].kind == "int" and made["weight"].default == 1


def test_ledger_errors_show_at_their_field():
    errors = [
        LineError("form", 0, "commitment", "'x' is not open"),
        LineError("form", 0, "scores.vision", "out of range"),
        LineError("form", 0, None, "the store is gone"),
    ]
    shown: list = []
    screen = RecordScreen("review_held")
    screen.show_errors = shown.extend  # type: ignore[method-assign]
    screen.show_rule_errors(errors)
    assert shown == [
        ("commitment", None, "'x' is not open"),
        ("scores", "vision", "out of range"),
        (None, None, "the store is gone"),
    ]


def test_friendly_messages():
    assert friendly({"type": "missing", "msg": "Field required"}, "name") == "required"
    assert "handle" in friendly({"type": "string_pattern_mismatch", "msg": "x"}, "issue")
    assert friendly({"type": "value_error", "msg": "Value error, bad day"}, "due") == "bad day"


def test_palette_blends_alpha_and_falls_back():
    palette = Palette.from_variables({"foreground-muted": "#E0E0E099", "background": "#000000"})
    assert palette("foreground-muted").startswith("#")
    assert len(palette("foreground-muted")) == 7
    assert palette("error") == "#FF0000"  # not in the theme: plain red
    few = Palette.from_variables({"error": "#B93C5B", "text-error": "#D17E92"}, few_colours=True)
    assert few("text-error") == few("error")


def test_status_cells_carry_a_symbol_and_never_a_false_green():
    palette = Palette.from_variables({})
    assert status_text("unproven", palette).plain == "? unproven"  # the CLI's and JSON's word
    assert "green" not in str(status_text("unproven", palette).style)
    assert status_text("trusted", palette).plain == "✔ trusted"
    assert score_text(None, [], palette, 5).plain.strip() == "—"
    assert score_text(0.8234, [0.5, 0.9], palette, 5).plain == "0.82 ▅▇"  # fixed 0-1 scale


def test_review_dates_read_relative_to_the_as_of_date():
    today = date(2026, 11, 20)
    assert days_text(date(2026, 11, 25), today) == ("in 5d", False)
    assert days_text(today, today) == ("today", False)
    assert days_text(date(2026, 11, 17), today) == ("late 3d", True)
    assert days_text(None, today) == ("—", False)


def test_audit_picture_is_a_replay(sample_store):
    with Ledger(sample_store) as ledger:
        events = list(ledger.iter_events())
    picture = audit_picture(events, date(2026, 6, 30), None, DEFAULT_CONFIG)
    assert picture.portfolio == replay(events, date(2026, 6, 30))
    visible = [e for e in events if e.occurred_on <= date(2026, 6, 30)]
    assert picture.audit and picture.position == visible[-1].position
    assert set(picture.sparks) == set(picture.portfolio.handles)


def test_partnership_detail_filters_in_audit_mode(sample_store):
    with Ledger(sample_store) as ledger:
        events = ledger.history("keystone")
    live = detail_from_events("keystone", events, TODAY, None, DEFAULT_CONFIG, audit=False)
    past = detail_from_events(
        "keystone", events, date(2026, 1, 1), None, DEFAULT_CONFIG, audit=True
    )
    assert len(past.events) < len(live.events) == len(events)
    assert all(e.occurred_on <= date(2026, 1, 1) for e in past.events)
    assert live.trend[-1].on == TODAY and past.trend[-1].on == date(2026, 1, 1)
    assert live.explanation[-1].type == "total"
    review = next(e.line for e in events if e.type == "review_held")
    assert describe(review).startswith("scores=")
