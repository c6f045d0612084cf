"""Alignment (docs/MODEL.md, "Alignment"): review figures, recency weighting and asymmetries."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from trustledger.domain.events import DIMENSIONS
from trustledger.projections import ModelConfig, fold, portfolio_at, replay
from trustledger.projections.alignment import (
    AlignmentSums,
    asymmetries,
    mean_gap,
    review_alignment,
    review_gap,
    review_gaps,
    review_level,
    weighted_alignment,
)
from trustledger.projections.facts import ReviewFacts
from trustledger.projections.views import Asymmetry

from tests.test_projections_streams import BASE_DAY, Stream

SETTINGS = settings(max_examples=150, deadline=None)

dimension_sets = st.sets(st.sampled_from(DIMENSIONS), min_size=1)
review_days = st.lists(st.integers(0, 1500), min_size=1, max_size=6)


def reviewed(days: list[int], scores: dict[str, int], partner: dict[str, int] | None) -> Stream:
    stream = Stream()
    stream.register("acme", BASE_DAY)
    for offset in days:
        stream.review("acme", BASE_DAY + timedelta(days=offset), scores, partner)
    return stream


@SETTINGS
@given(review_days, dimension_sets, st.none() | dimension_sets, st.integers(0, 1000))
def test_all_fives_give_alignment_one_and_all_ones_give_zero(
    days: list[int], ours: set[str], theirs: set[str] | None, later: int
) -> None:
    as_of = BASE_DAY + timedelta(days=max(days) + later)
    for score, expected in ((5, 1.0), (1, 0.0)):
        partner = dict.fromkeys(theirs, score) if theirs else None
        stream = reviewed(days, dict.fromkeys(ours, score), partner)
        view = replay(stream.events, as_of).partnerships[0]
        assert view.alignment == pytest.approx(expected, abs=1e-12)
        assert view.perception_gap == pytest.approx(0.0, abs=1e-12)
        assert view.asymmetries == ()


@SETTINGS
@given(review_days, st.dictionaries(st.sampled_from(DIMENSIONS), st.integers(1, 5), min_size=1))
def test_equal_scores_on_both_sides_give_no_gap(days: list[int], scores: dict[str, int]) -> None:
    stream = reviewed(days, scores, dict(scores))
    view = replay(stream.events, BASE_DAY + timedelta(days=max(days))).partnerships[0]
    assert view.perception_gap == pytest.approx(0.0, abs=1e-12)
    assert all(gap == 0 for review in view.reviews for gap in review.gaps.values())
    assert view.alignment == pytest.approx(review_level(scores, scores))


@SETTINGS
@given(
    st.lists(
        st.tuples(
            st.integers(0, 1000),
            st.dictionaries(st.sampled_from(DIMENSIONS), st.integers(1, 5), min_size=1),
            st.none() | st.dictionaries(st.sampled_from(DIMENSIONS), st.integers(1, 5), min_size=1),
        ),
        min_size=1,
        max_size=6,
    ),
    st.integers(0, 800),
)
def test_alignment_is_the_recency_weighted_mean_of_review_alignments(
    reviews: list[tuple[int, dict[str, int], dict[str, int] | None]], later: int
) -> None:
    stream = Stream()
    stream.register("acme", BASE_DAY)
    for offset, ours, theirs in reviews:
        stream.review("acme", BASE_DAY + timedelta(days=offset), ours, theirs)
    as_of = BASE_DAY + timedelta(days=max(r[0] for r in reviews) + later)
    half_life = ModelConfig().alignment_half_life_days
    weights = [2 ** (-(later + max(r[0] for r in reviews) - r[0]) / half_life) for r in reviews]
    figures = [
        (review_level(ours, theirs), mean_gap(review_gaps(ours, theirs)))
        for _, ours, theirs in reviews
    ]
    pairs = list(zip(weights, figures, strict=True))
    expected = sum(w * review_alignment(level, gap) for w, (level, gap) in pairs)
    expected_gap = sum(w * gap for w, (_, gap) in pairs)
    view = replay(stream.events, as_of).partnerships[0]
    assert view.alignment == pytest.approx(expected / sum(weights), rel=1e-9)
    assert view.perception_gap == pytest.approx(expected_gap / sum(weights), rel=1e-9, abs=1e-12)
    assert 0.0 <= view.alignment <= 1.0
    # The same figures from the facts afresh (as of a day before a later event).
    stream.commit("acme", "later", as_of + timedelta(days=1))
    past = portfolio_at(fold(stream.events), as_of).partnerships[0]
    assert past.alignment == pytest.approx(view.alignment, rel=1e-9)


def test_review_figures_by_hand() -> None:
    ours = {"vision": 5, "values": 3, "risk": 1}
    theirs = {"vision": 3, "values": 3, "roles": 5}
    # level over all six scores: (4 + 2 + 0 + 2 + 2 + 4) / 4 / 6 = 0.5833...
    assert review_level(ours, theirs) == pytest.approx(14 / 24)
    assert review_gaps(ours, theirs) == {"vision": 0.5, "values": 0.0}
    assert mean_gap(review_gaps(ours, theirs)) == 0.25
    assert review_alignment(14 / 24, 0.25) == pytest.approx(14 / 24 * 0.75)
    assert mean_gap(review_gaps(ours, None)) == 0.0
    assert review_level(ours, None) == pytest.approx(6 / 12)


def test_no_review_means_no_alignment() -> None:
    stream = Stream()
    stream.register("acme", BASE_DAY)
    view = replay(stream.events, BASE_DAY).partnerships[0]
    assert view.alignment is None and view.perception_gap is None
    assert view.last_review is None and view.reviews == ()
    assert weighted_alignment([], BASE_DAY, 180) == (None, None)


def test_asymmetry_is_flagged_in_the_latest_review_only() -> None:
    assert asymmetries({"vision": 4, "risk": 2}, {"vision": 2, "risk": 5}) == (
        Asymmetry("vision", 4, 2),
        Asymmetry("risk", 2, 5),
    )
    assert asymmetries({"vision": 4}, {"vision": 3}) == ()
    assert asymmetries({"vision": 5}, None) == ()
    stream = Stream()
    stream.register("acme", BASE_DAY)
    stream.review("acme", BASE_DAY + timedelta(days=10), {"risk": 5}, {"risk": 1})
    stream.review("acme", BASE_DAY + timedelta(days=5), {"vision": 1}, {"vision": 4})
    as_of = BASE_DAY + timedelta(days=10)
    view = replay(stream.events, as_of).partnerships[0]
    # The latest by day is the first recorded one.
    assert view.last_review == as_of
    assert view.asymmetries == (Asymmetry("risk", 5, 1),)
    assert [r.occurred_on for r in view.reviews] == [as_of - timedelta(days=5), as_of]
    earlier = replay(stream.events, date(2024, 1, 7)).partnerships[0]
    assert earlier.asymmetries == (Asymmetry("vision", 1, 4),)


def test_asymmetry_thresholds_come_from_the_config() -> None:
    stream = Stream()
    stream.register("acme", BASE_DAY)
    stream.review("acme", BASE_DAY, {"risk": 5}, {"risk": 3})
    strict = replay(stream.events, BASE_DAY, config=ModelConfig(asymmetry_low=3))
    assert strict.partnerships[0].asymmetries == (Asymmetry("risk", 5, 3),)
    assert replay(stream.events, BASE_DAY).partnerships[0].asymmetries == ()


score_dicts = st.dictionaries(st.sampled_from(DIMENSIONS), st.integers(1, 5), min_size=1)


@SETTINGS
@given(score_dicts, st.none() | score_dicts)
def test_review_figures_follow_their_definitions(
    ours: dict[str, int], theirs: dict[str, int] | None
) -> None:
    every = list(ours.values()) + list((theirs or {}).values())
    assert review_level(ours, theirs) == sum((v - 1) / 4 for v in every) / len(every)
    gaps = review_gaps(ours, theirs)
    shared = [d for d in DIMENSIONS if theirs and d in ours and d in theirs]
    assert list(gaps) == shared
    assert review_gap(ours, theirs) == mean_gap(gaps)
    assert 0.0 <= review_alignment(review_level(ours, theirs), review_gap(ours, theirs)) <= 1.0


# -- the alignment accumulator ------------------------------------------------------------------


def review_on(day: date, alignment: float, gap: float) -> ReviewFacts:
    return ReviewFacts(day, 0, (), None, level=alignment, gap=gap, alignment=alignment)


unit = st.floats(min_value=0.0, max_value=1.0)


@SETTINGS
@given(
    st.lists(st.tuples(st.integers(0, 3000), unit, unit), min_size=1, max_size=12),
    st.sampled_from([1.0, 30.0, 180.0]),
    st.randoms(use_true_random=False),
)
def test_the_accumulator_is_the_recency_weighted_mean_in_any_order(
    reviews: list[tuple[int, float, float]], half_life: float, rng: random.Random
) -> None:
    items = [review_on(BASE_DAY + timedelta(days=d), a, g) for d, a, g in reviews]
    latest = max(d for d, _, _ in reviews)
    weights = [2.0 ** ((d - latest) / half_life) for d, _, _ in reviews]
    expected_alignment = sum(w * a for w, (_, a, _) in zip(weights, reviews, strict=True)) / sum(
        weights
    )
    expected_gap = sum(w * g for w, (_, _, g) in zip(weights, reviews, strict=True)) / sum(weights)
    rng.shuffle(items)
    sums = AlignmentSums(half_life, BASE_DAY)
    for item in items:
        sums.add(item)
    alignment, gap = sums.figures()
    assert alignment == pytest.approx(expected_alignment, rel=1e-9, abs=1e-12)
    assert gap == pytest.approx(expected_gap, rel=1e-9, abs=1e-12)
    as_of = BASE_DAY + timedelta(days=latest)
    assert weighted_alignment(items, as_of, half_life) == pytest.approx(
        (expected_alignment, expected_gap), rel=1e-9, abs=1e-12
    )


@SETTINGS
@given(st.lists(st.integers(0, 3000), min_size=1, max_size=12), unit, unit)
def test_reviews_of_one_alignment_give_exactly_that_alignment(
    days: list[int], alignment: float, gap: float
) -> None:
    """No rounding noise: a flat series is flat (a sparkline shows no steps)."""
    sums = AlignmentSums(180.0, BASE_DAY)
    for day in days:
        sums.add(review_on(BASE_DAY + timedelta(days=day), alignment, gap))
    assert sums.figures() == (alignment, gap)
