"""Trends for sparklines and charts, and explaining which events moved the scores."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from trustledger.domain.events import Recorded
from trustledger.projections import ModelConfig, explain, fold, replay, sparklines, trend
from trustledger.projections.trends import trend_dates

from tests.test_projections_streams import BASE_DAY, Stream, days_around, streams

SETTINGS = settings(max_examples=80, deadline=None)


def of(events: list[Recorded], handle: str) -> list[Recorded]:
    return [recorded for recorded in events if recorded.partnership == handle]


@SETTINGS
@given(streams(max_steps=25), st.data())
def test_each_trend_point_equals_a_replay_at_that_date(stream: Stream, data: st.DataObject) -> None:
    as_of = data.draw(days_around(stream.events))
    step = data.draw(st.sampled_from([7, 30, 91]))
    lines = sparklines(fold(stream.events), as_of, points=6, step_days=step)
    for handle, points in lines.items():
        assert points == trend(of(stream.events, handle), as_of, points=6, step_days=step)
        assert [p.on for p in points] == trend_dates(as_of, 6, step)
        for point in points:
            view = replay(stream.events, point.on).get(handle)
            if view is None:  # not yet registered
                assert point.trust == 0.5 and point.alignment is None
                continue
            assert point.trust == pytest.approx(view.trust, rel=1e-9, abs=1e-12)
            if view.alignment is None:
                assert point.alignment is None
            else:
                assert point.alignment == pytest.approx(view.alignment, rel=1e-9)


def test_trend_dates() -> None:
    assert trend_dates(BASE_DAY, 3, 10) == [
        BASE_DAY - timedelta(days=20),
        BASE_DAY - timedelta(days=10),
        BASE_DAY,
    ]
    with pytest.raises(ValueError):
        trend_dates(BASE_DAY, 0, 10)


def test_a_trend_without_the_partnership_is_flat() -> None:
    points = trend([], BASE_DAY, points=3)
    assert [(p.trust, p.alignment) for p in points] == [(0.5, None)] * 3


@SETTINGS
@given(streams(max_steps=30), st.data())
def test_explanation_adds_up_to_the_scores(stream: Stream, data: st.DataObject) -> None:
    as_of = data.draw(days_around(stream.events))
    portfolio = replay(stream.events, as_of)
    for view in portfolio.partnerships:
        rows = explain(of(stream.events, view.handle), as_of)
        *moves, total = rows
        assert total.type == "total"
        assert total.trust == pytest.approx(view.trust, rel=1e-9, abs=1e-12)
        assert sum(row.delta_trust for row in moves) == pytest.approx(view.trust - 0.5, abs=1e-9)
        assert total.delta_trust == pytest.approx(view.trust - 0.5, abs=1e-12)
        if view.alignment is None:
            assert total.alignment is None
        else:
            assert total.alignment == pytest.approx(view.alignment, rel=1e-9)
        assert [row.position for row in moves] == sorted(row.position for row in moves)
        kept = sum(1 for row in moves if row.type == "commitment_kept")
        missed = sum(1 for row in moves if row.type == "commitment_missed")
        assert (kept, missed) == (view.counts.kept, view.counts.missed)
        assert sum(1 for row in moves if row.type == "review_held") == len(view.reviews)
        assert rows == explain(of(stream.events, view.handle), as_of)  # deterministic


def test_explanation_by_hand() -> None:
    stream = Stream()
    stream.register("acme", BASE_DAY)
    stream.commit("acme", "c1", BASE_DAY, weight=2)
    stream.keep("acme", "c1", BASE_DAY)
    stream.commit("acme", "c2", BASE_DAY, by="partner")
    stream.miss("acme", "c2", BASE_DAY + timedelta(days=180))
    stream.raise_issue("acme", "i1", BASE_DAY + timedelta(days=180), commitment="c2")
    stream.resolve("acme", "i1", BASE_DAY + timedelta(days=180))
    stream.review("acme", BASE_DAY + timedelta(days=180), {"vision": 5})
    as_of = BASE_DAY + timedelta(days=180)
    kept, missed, resolved, review, total = explain(stream.events, as_of, ModelConfig())
    assert (kept.type, kept.position, kept.weight) == ("commitment_kept", 3, pytest.approx(1.0))
    assert kept.delta_trust == pytest.approx(2 / 3 - 1 / 2)  # r = 2 * 0.5
    assert missed.type == "commitment_missed" and missed.weight == pytest.approx(1.0)
    assert missed.trust == pytest.approx(2 / 4)
    assert resolved.type == "issue_resolved" and resolved.weight == pytest.approx(0.5)
    assert resolved.trust == pytest.approx(2 / 3.5)
    assert "c2" in resolved.subject and "i1" in resolved.subject
    assert review.type == "review_held" and review.delta_alignment is None
    assert review.alignment == 1.0 and review.delta_trust == 0.0
    assert total.trust == pytest.approx(2 / 3.5) and total.alignment == 1.0


def test_explain_needs_one_partnership() -> None:
    stream = Stream()
    stream.register("a", BASE_DAY)
    stream.register("b", BASE_DAY)
    with pytest.raises(ValueError):
        explain(stream.events, BASE_DAY)
    assert explain(stream.events, BASE_DAY, partnership="b")[-1].trust == 0.5
    assert explain([], BASE_DAY) == explain(stream.events, BASE_DAY, partnership="zz")
