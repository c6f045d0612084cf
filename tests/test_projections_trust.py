"""Properties of the trust model (docs/MODEL.md, "Trust"), checked with hypothesis.

Trust is compared with a tolerance of 1e-12: the decayed sums are floats, and "never lowers"
must not fail on the last bit of a rounding.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from trustledger.domain.events import (
    CommitmentKept,
    CommitmentMissed,
    EventLine,
    IssueRaised,
    IssueResolved,
    Recorded,
)
from trustledger.projections import (
    ModelConfig,
    PartnershipView,
    fold,
    portfolio_at,
    replay,
    report_rows,
)
from trustledger.projections.beta import beta_trust, decay
from trustledger.projections.measures import trust_before_from_sums, trust_figures

from tests.test_projections_streams import BASE_DAY, Stream, days_around, last_day, streams

EPS = 1e-12
SETTINGS = settings(max_examples=150, deadline=None)

recovery_shares = st.floats(min_value=0.05, max_value=1.0)
half_lives = st.sampled_from([30.0, 90.0, 180.0, 365.0])


def view_of(
    events: list[Recorded], handle: str, as_of: date, config: ModelConfig
) -> PartnershipView:
    view = replay(events, as_of, config=config).get(handle)
    assert view is not None
    return view


def open_commitment(events: list[Recorded], data: st.DataObject) -> tuple[str, str, date] | None:
    """An open commitment at the end of ``events``: (partnership, commitment, made on)."""
    state = fold(events)
    candidates = sorted(
        (handle, c, ps.facts(c).made_on)
        for handle, ps in state.partnerships.items()
        if ps.ended_on is None
        for c in ps.commitments
        if ps.is_open(c)
    )
    return data.draw(st.sampled_from(candidates)) if candidates else None


def appended(stream: Stream, *lines: EventLine) -> list[Recorded]:
    """The stream's events followed by ``lines`` (the stream itself is left as it was)."""
    extended = Stream(list(stream.events), dict(stream.versions), stream.clock)
    for line in lines:
        extended.add(line)
    return extended.events


# -- no evidence ----------------------------------------------------------------------------


@SETTINGS
@given(streams(outcomes=False), st.integers(0, 2000))
def test_no_evidence_gives_trust_half_and_full_uncertainty(stream: Stream, later: int) -> None:
    """Issues, reviews, revenue, renegotiations and overdue commitments are not evidence."""
    as_of = last_day(stream.events) + timedelta(days=later)
    for view in replay(stream.events, as_of).partnerships:
        assert view.trust == 0.5
        assert view.trust_uncertainty == 1.0
        assert view.our_reliability == 0.5
        assert view.partner_reliability == 0.5
        assert view.outcomes == 0


def test_beta_formula() -> None:
    assert beta_trust(0, 0) == (0.5, 1.0)
    assert beta_trust(3, 1) == (4 / 6, 2 / 6)
    assert decay(180, 180) == 0.5
    assert decay(0, 180) == 1.0


def test_one_kept_commitment_decays_with_the_half_life() -> None:
    stream = Stream()
    stream.register("acme", BASE_DAY)
    stream.commit("acme", "c1", BASE_DAY, weight=2)
    stream.keep("acme", "c1", BASE_DAY + timedelta(days=10))
    at_keep = view_of(stream.events, "acme", BASE_DAY + timedelta(days=10), ModelConfig())
    assert at_keep.trust == pytest.approx(3 / 4)
    assert at_keep.trust_uncertainty == pytest.approx(2 / 4)
    half_life_later = view_of(stream.events, "acme", BASE_DAY + timedelta(days=190), ModelConfig())
    assert half_life_later.trust == pytest.approx(2 / 3)  # r = 2 * 0.5 = 1
    assert half_life_later.our_reliability == pytest.approx(2 / 3)
    assert half_life_later.partner_reliability == 0.5


# -- kept and missed ------------------------------------------------------------------------


@SETTINGS
@given(streams(), st.data(), half_lives)
def test_a_kept_commitment_never_lowers_trust(
    stream: Stream, data: st.DataObject, half_life: float
) -> None:
    found = open_commitment(stream.events, data)
    assume(found is not None)
    assert found is not None
    handle, commitment, made_on = found
    config = ModelConfig(half_life_days=half_life)
    kept_on = made_on + timedelta(days=data.draw(st.integers(0, 400)))
    after = appended(
        stream, CommitmentKept(partnership=handle, occurred_on=kept_on, commitment=commitment)
    )
    as_of = kept_on + timedelta(days=data.draw(st.integers(0, 800)))
    before_view = view_of(stream.events, handle, as_of, config)
    after_view = view_of(after, handle, as_of, config)
    assert after_view.trust >= before_view.trust - EPS
    by = fold(stream.events).partnerships[handle].facts(commitment).by_us
    side = "our_reliability" if by else "partner_reliability"
    other = "partner_reliability" if by else "our_reliability"
    assert getattr(after_view, side) >= getattr(before_view, side) - EPS
    assert getattr(after_view, other) == pytest.approx(getattr(before_view, other), abs=EPS)
    assert after_view.trust_uncertainty <= before_view.trust_uncertainty + EPS


@SETTINGS
@given(streams(), st.data(), half_lives)
def test_a_missed_commitment_never_raises_trust(
    stream: Stream, data: st.DataObject, half_life: float
) -> None:
    found = open_commitment(stream.events, data)
    assume(found is not None)
    assert found is not None
    handle, commitment, made_on = found
    config = ModelConfig(half_life_days=half_life)
    missed_on = made_on + timedelta(days=data.draw(st.integers(0, 400)))
    after = appended(
        stream, CommitmentMissed(partnership=handle, occurred_on=missed_on, commitment=commitment)
    )
    as_of = missed_on + timedelta(days=data.draw(st.integers(0, 800)))
    before_view = view_of(stream.events, handle, as_of, config)
    after_view = view_of(after, handle, as_of, config)
    assert after_view.trust <= before_view.trust + EPS
    assert after_view.our_reliability <= before_view.our_reliability + EPS
    assert after_view.partner_reliability <= before_view.partner_reliability + EPS


# -- recovery ---------------------------------------------------------------------------------


@SETTINGS
@given(streams(), st.data(), recovery_shares, half_lives)
def test_a_resolution_raises_trust_but_not_above_its_value_before_the_miss(
    stream: Stream, data: st.DataObject, share: float, half_life: float
) -> None:
    found = open_commitment(stream.events, data)
    assume(found is not None)
    assert found is not None
    handle, commitment, made_on = found
    config = ModelConfig(recovery_share=share, half_life_days=half_life)
    days = st.integers(0, 300)
    missed_on = made_on + timedelta(days=data.draw(days))
    raised_on = missed_on + timedelta(days=data.draw(days))
    resolved_on = raised_on + timedelta(days=data.draw(days))
    as_of = resolved_on + timedelta(days=data.draw(st.integers(0, 600)))

    miss = CommitmentMissed(partnership=handle, occurred_on=missed_on, commitment=commitment)
    raised = IssueRaised(
        partnership=handle,
        occurred_on=raised_on,
        issue="dispute-x",
        summary="late",
        commitment=commitment,
    )
    resolved = IssueResolved(
        partnership=handle, occurred_on=resolved_on, issue="dispute-x", resolution="credit note"
    )

    before_miss = view_of(stream.events, handle, as_of, config).trust
    after_miss = view_of(appended(stream, miss), handle, as_of, config).trust
    after_resolution = view_of(
        appended(stream, miss, raised, resolved), handle, as_of, config
    ).trust
    assert after_resolution <= before_miss + EPS
    if decay((as_of - missed_on).days, half_life) > 1e-6:
        assert after_resolution > after_miss
    else:  # the miss has all but decayed away: the take-back is below float resolution
        assert after_resolution >= after_miss - EPS


def test_recovery_takes_back_the_share_once() -> None:
    stream = Stream()
    stream.register("acme", BASE_DAY)
    stream.commit("acme", "c1", BASE_DAY, weight=4)
    stream.miss("acme", "c1", BASE_DAY)
    for issue in ("i1", "i2", "i3"):
        stream.raise_issue("acme", issue, BASE_DAY, commitment="c1")
        stream.resolve("acme", issue, BASE_DAY)
    view = view_of(stream.events, "acme", BASE_DAY, ModelConfig(recovery_share=0.5))
    assert view.trust == pytest.approx(1 / 4)  # s = 4 - 0.5 * 4 = 2
    assert view.commitments[0].recovered


def test_a_resolution_before_the_miss_recovers_nothing() -> None:
    stream = Stream()
    stream.register("acme", BASE_DAY)
    stream.commit("acme", "c1", BASE_DAY)
    stream.raise_issue("acme", "i1", BASE_DAY, commitment="c1")
    stream.resolve("acme", "i1", BASE_DAY)
    stream.miss("acme", "c1", BASE_DAY + timedelta(days=1))
    view = view_of(stream.events, "acme", BASE_DAY + timedelta(days=1), ModelConfig())
    assert view.trust == pytest.approx(1 / 3)


# -- decay ------------------------------------------------------------------------------------


@SETTINGS
@given(streams(), st.integers(0, 1500), st.integers(0, 1500), half_lives)
def test_with_no_new_events_trust_drifts_toward_one_half(
    stream: Stream, first: int, more: int, half_life: float
) -> None:
    config = ModelConfig(half_life_days=half_life)
    state = fold(stream.events, config=config)
    earlier = last_day(stream.events) + timedelta(days=first)
    later = earlier + timedelta(days=more)
    for ps in state.partnerships.values():
        then = trust_figures(ps, earlier, config, current=True)
        now = trust_figures(ps, later, config, current=True)
        assert abs(now.trust - 0.5) <= abs(then.trust - 0.5) + EPS
        assert now.uncertainty >= then.uncertainty - EPS
        assert abs(now.our_reliability - 0.5) <= abs(then.our_reliability - 0.5) + EPS
        assert abs(now.partner_reliability - 0.5) <= abs(then.partner_reliability - 0.5) + EPS


@SETTINGS
@given(streams(), st.integers(0, 3000))
def test_the_folds_accumulator_agrees_with_summing_the_evidence_afresh(
    stream: Stream, later: int
) -> None:
    """The O(1) path (the fold's accumulator) and a fresh one fed the evidence agree."""
    config = ModelConfig()
    state = fold(stream.events, config=config)
    as_of = last_day(stream.events) + timedelta(days=later)
    for ps in state.partnerships.values():
        fast = trust_figures(ps, as_of, config, current=True)
        fresh = trust_figures(ps, as_of, config, current=False)
        assert fast.outcomes == fresh.outcomes
        for a, b in zip(fast, fresh, strict=True):
            assert a == pytest.approx(b, rel=1e-9, abs=1e-12)


# -- determinism --------------------------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(streams(), st.integers(-30, 800))
def test_replaying_the_same_events_gives_identical_results(stream: Stream, offset: int) -> None:
    as_of = last_day(stream.events) + timedelta(days=offset)
    first = replay(stream.events, as_of)
    copies = [
        Recorded(r.position, r.version, r.recorded_at, r.line.model_copy(deep=True), r.link)
        for r in stream.events
    ]
    second = replay(copies, as_of)
    assert first == second
    assert json.dumps(report_rows(first)) == json.dumps(report_rows(second))
    assert portfolio_at(fold(stream.events), as_of) == portfolio_at(fold(copies), as_of)


def test_short_half_lives_over_long_spans_stay_finite() -> None:
    """The accumulators move their base day instead of overflowing."""
    config = ModelConfig(half_life_days=1.0, alignment_half_life_days=1.0)
    stream = Stream()
    stream.register("old", BASE_DAY)
    stream.review("old", BASE_DAY, {"vision": 4})
    stream.commit("old", "c0", BASE_DAY)
    stream.keep("old", "c0", BASE_DAY)
    stream.register("new", BASE_DAY)
    for year in range(1, 6):
        day = BASE_DAY + timedelta(days=365 * year)
        stream.commit("new", f"c{year}", day)
        stream.keep("new", f"c{year}", day)
        stream.review("new", day, {"vision": 2})
    as_of = BASE_DAY + timedelta(days=365 * 5)
    state = fold(stream.events, config=config)
    new_state = state.partnerships["new"]
    assert new_state.trust.base > BASE_DAY.toordinal()  # moved on
    assert new_state.alignment.base > BASE_DAY.toordinal()
    old, new = replay(stream.events, as_of, config=config).partnerships[::-1]
    assert old.handle == "old" and old.trust == 0.5 and old.alignment == pytest.approx(0.75)
    assert new.trust == pytest.approx(2 / 3) and new.alignment == pytest.approx(0.25)
    for ps in state.partnerships.values():
        fast = trust_figures(ps, as_of, config, current=True)
        fresh = trust_figures(ps, as_of, config, current=False)
        assert fast.trust == pytest.approx(fresh.trust)


@SETTINGS
@given(streams(), st.data(), recovery_shares)
def test_looking_back_from_the_sums_agrees_with_the_facts(
    stream: Stream, data: st.DataObject, share: float
) -> None:
    """Trust at an earlier day from the current sums less later evidence (trust-drop alert)."""
    config = ModelConfig(recovery_share=share)
    state = fold(stream.events, config=config)
    start = data.draw(days_around(stream.events))
    assume(start <= state.max_day)
    for ps in state.partnerships.values():
        from_sums = trust_before_from_sums(ps, start, config)
        from_facts = trust_figures(ps, start, config)
        assert from_sums.outcomes == from_facts.outcomes
        for a, b in zip(from_sums, from_facts, strict=True):
            assert a == pytest.approx(b, rel=1e-9, abs=1e-12)
