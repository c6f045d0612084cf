"""The evidence stream and the one trust accumulator, checked with hypothesis.

The fold feeds each partnership's :class:`TrustSums` as events arrive (the incremental path);
every other reader feeds a fresh one the evidence visible at its date (the from-scratch
path). Both must agree with each other, and with the model's definition computed directly.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from trustledger.domain.events import Recorded
from trustledger.projections import Follower, ModelConfig, fold, replay
from trustledger.projections.evidence import Evidence, TrustFigures, TrustSums, sum_evidence
from trustledger.projections.measures import evidence, trust_before_from_sums, trust_figures
from trustledger.projections.state import PartnershipState

from tests.test_projections_streams import BASE_DAY, Stream, days_around, last_day, streams

SETTINGS = settings(max_examples=150, deadline=None)

half_lives = st.sampled_from([1.0, 30.0, 180.0, 365.0])
recovery_shares = st.floats(min_value=0.0, max_value=1.0)


def configs() -> st.SearchStrategy[ModelConfig]:
    return st.builds(
        lambda h, share: ModelConfig(half_life_days=h, recovery_share=share),
        half_lives,
        recovery_shares,
    )


def from_scratch(ps: PartnershipState, as_of: date, config: ModelConfig) -> TrustFigures:
    """A fresh accumulator fed the evidence visible at ``as_of``, in recording order."""
    return sum_evidence(
        evidence(ps, as_of, config), config.half_life_days, ps.registered_on
    ).figures(as_of)


def by_definition(items: list[Evidence], as_of: date, half_life: float) -> TrustFigures:
    """The README's formulas, summed directly at ``as_of`` (no base day, no accumulator)."""
    sums = {(side, kind): 0.0 for side in (True, False) for kind in ("r", "s")}
    for item in items:
        w = item.weight * 2.0 ** (-(as_of - item.anchor_on).days / half_life)
        if item.kind == "kept":
            sums[item.by_us, "r"] += w
        elif item.kind == "missed":
            sums[item.by_us, "s"] += w
        else:
            sums[item.by_us, "s"] -= w

    def beta(r: float, s: float) -> tuple[float, float]:
        r, s = max(r, 0.0), max(s, 0.0)
        return (r + 1) / (r + s + 2), 2 / (r + s + 2)

    r_us, s_us = sums[True, "r"], max(sums[True, "s"], 0.0)
    r_partner, s_partner = sums[False, "r"], max(sums[False, "s"], 0.0)
    trust = beta(r_us + r_partner, s_us + s_partner)
    outcomes = sum(1 for item in items if item.kind != "recovery")
    return TrustFigures(*trust, *beta(r_us, s_us), *beta(r_partner, s_partner), outcomes)


def assert_figures_close(left: TrustFigures, right: TrustFigures) -> None:
    assert left.outcomes == right.outcomes
    for a, b in zip(left, right, strict=True):
        assert a == pytest.approx(b, rel=1e-9, abs=1e-12)


# -- incremental equals from scratch ------------------------------------------------------------


@SETTINGS
@given(streams(), configs(), st.integers(0, 3000))
def test_the_folds_accumulator_equals_a_fold_of_its_evidence_from_scratch(
    stream: Stream, config: ModelConfig, later: int
) -> None:
    """Same items in the same order from the same base: the very same floats."""
    state = fold(stream.events, config=config)
    as_of = state.max_day + timedelta(days=later)
    for ps in state.partnerships.values():
        assert ps.trust.figures(as_of) == from_scratch(ps, as_of, config)
        assert trust_figures(ps, as_of, config, current=True) == ps.trust.figures(as_of)


@SETTINGS
@given(streams(), configs(), st.data())
def test_after_every_event_the_accumulator_equals_a_fold_from_scratch(
    stream: Stream, config: ModelConfig, data: st.DataObject
) -> None:
    """Fed one event at a time (as a follower is), the running sums never drift."""
    follower = Follower(config)
    for recorded in stream.events:
        follower.apply([recorded])
        state = follower.state
        as_of = state.max_day + timedelta(days=data.draw(st.integers(0, 400)))
        ps = state.partnerships.get(recorded.partnership)
        if ps is None:
            continue
        assert ps.trust.figures(as_of) == from_scratch(ps, as_of, config)


@SETTINGS
@given(streams(), configs(), st.data())
def test_the_accumulator_agrees_with_the_definition_at_any_date(
    stream: Stream, config: ModelConfig, data: st.DataObject
) -> None:
    """Past, current or future as-of dates; the evidence in any order."""
    state = fold(stream.events, config=config)
    as_of = data.draw(days_around(stream.events))
    for ps in state.partnerships.values():
        if ps.registered_on > as_of:
            continue
        items = evidence(ps, as_of, config)
        expected = by_definition(items, as_of, config.half_life_days)
        assert_figures_close(trust_figures(ps, as_of, config), expected)
        shuffled = list(items)
        random.Random(data.draw(st.integers(0, 2**16))).shuffle(shuffled)
        any_order = sum_evidence(shuffled, config.half_life_days, ps.registered_on)
        assert_figures_close(any_order.figures(as_of), expected)
        if as_of >= state.max_day:
            assert_figures_close(ps.trust.figures(as_of), expected)


@SETTINGS
@given(streams(), configs(), st.data())
def test_removing_evidence_undoes_adding_it(
    stream: Stream, config: ModelConfig, data: st.DataObject
) -> None:
    state = fold(stream.events, config=config)
    as_of = last_day(stream.events) + timedelta(days=data.draw(st.integers(0, 400)))
    for ps in state.partnerships.values():
        items = evidence(ps, as_of, config)
        kept = data.draw(st.lists(st.booleans(), min_size=len(items), max_size=len(items)))
        sums = ps.trust.copy()
        for item, stays in zip(items, kept, strict=True):
            if not stays:
                sums.remove(item)
        rest = [item for item, stays in zip(items, kept, strict=True) if stays]
        assert_figures_close(sums.figures(as_of), by_definition(rest, as_of, config.half_life_days))
        assert ps.trust.figures(as_of) == from_scratch(ps, as_of, config)  # the copy was apart


@SETTINGS
@given(streams(), configs(), st.data())
def test_the_evidence_visible_at_a_date_is_what_a_replay_then_would_hold(
    stream: Stream, config: ModelConfig, data: st.DataObject
) -> None:
    """Filtering the stream by ``effective_on`` equals folding only the events of then."""
    as_of = data.draw(days_around(stream.events))
    full = fold(stream.events, config=config)
    then = fold(stream.events, as_of, config=config)
    for handle, ps in then.partnerships.items():
        assert evidence(full.partnerships[handle], as_of, config) == evidence(ps, as_of, config)


@SETTINGS
@given(streams(), configs(), st.data())
def test_looking_back_from_the_accumulator_agrees_with_a_fold_from_scratch(
    stream: Stream, config: ModelConfig, data: st.DataObject
) -> None:
    """The trust-drop alert's look back, with short half-lives too."""
    state = fold(stream.events, config=config)
    start = data.draw(days_around(stream.events))
    for ps in state.partnerships.values():
        assert_figures_close(
            trust_before_from_sums(ps, start, config), trust_figures(ps, start, config)
        )


# -- every reader reads the same figures --------------------------------------------------------


@settings(max_examples=80, deadline=None)
@given(streams(), configs(), st.data())
def test_views_trends_and_explanations_read_the_accumulators_figures(
    stream: Stream, config: ModelConfig, data: st.DataObject
) -> None:
    from trustledger.projections import explain, sparklines

    as_of = data.draw(days_around(stream.events))
    state = fold(stream.events, config=config)
    portfolio = replay(stream.events, as_of, config=config)
    lines = sparklines(state, as_of, points=3, step_days=30)
    for view in portfolio.partnerships:
        ps = state.partnerships[view.handle]
        figures = from_scratch(ps, as_of, config)
        assert (view.trust, view.trust_uncertainty) == pytest.approx(
            (figures.trust, figures.uncertainty), rel=1e-9, abs=1e-12
        )
        assert (view.our_reliability, view.partner_reliability) == pytest.approx(
            (figures.our_reliability, figures.partner_reliability), rel=1e-9, abs=1e-12
        )
        assert view.outcomes == figures.outcomes
        assert lines[view.handle][-1].trust == pytest.approx(figures.trust, rel=1e-12)
        events = [r for r in stream.events if r.partnership == view.handle]
        assert explain(events, as_of, config)[-1].trust == pytest.approx(figures.trust, rel=1e-12)


# -- by hand ------------------------------------------------------------------------------------


def recorded_stream() -> list[Recorded]:
    stream = Stream()
    stream.register("acme", BASE_DAY)
    stream.commit("acme", "c1", BASE_DAY, weight=2)
    stream.keep("acme", "c1", BASE_DAY + timedelta(days=10))
    stream.commit("acme", "c2", BASE_DAY, by="partner", weight=4)
    stream.miss("acme", "c2", BASE_DAY + timedelta(days=20))
    stream.raise_issue("acme", "i1", BASE_DAY + timedelta(days=25), commitment="c2")
    stream.resolve("acme", "i1", BASE_DAY + timedelta(days=30))
    return stream.events


def test_the_evidence_stream_by_hand() -> None:
    config = ModelConfig(recovery_share=0.25)
    ps = fold(recorded_stream(), config=config).partnerships["acme"]
    kept, missed, recovery = evidence(ps, BASE_DAY + timedelta(days=30), config)
    assert (kept.kind, kept.by_us, kept.weight, kept.position) == ("kept", True, 2, 3)
    assert (missed.kind, missed.by_us, missed.weight) == ("missed", False, 4)
    assert (recovery.kind, recovery.issue, recovery.commitment) == ("recovery", "i1", "c2")
    assert recovery.weight == 1.0 and recovery.anchor_on == missed.anchor_on
    assert recovery.effective_on == BASE_DAY + timedelta(days=30)
    assert evidence(ps, BASE_DAY + timedelta(days=29), config) == [kept, missed]
    assert ps.outcome("c1") is kept and ps.outcome("c2") is missed
    at = BASE_DAY + timedelta(days=20)
    sums = TrustSums(180.0, BASE_DAY)
    sums.add(kept)
    sums.add(missed)
    r_us = 2 * 2 ** (-10 / 180)
    assert sums.figures(at) == pytest.approx(
        TrustFigures(
            (r_us + 1) / (r_us + 4 + 2),
            2 / (r_us + 4 + 2),
            (r_us + 1) / (r_us + 2),
            2 / (r_us + 2),
            1 / 6,
            2 / 6,
            2,
        )
    )
