"""Alignment arithmetic over review scores, and the one accumulator of review alignments.

A review scores dimensions 1-5 for our side and, optionally, the partner's side:

- level = mean of ``(score - 1) / 4`` over every score given, by either side;
- per-dimension gap = ``|ours - theirs| / 4`` for each dimension both sides scored, and the
  review's gap is their mean (0 when only one side scored);
- review alignment = ``level * (1 - gap)``.

A partnership's alignment is the recency-weighted mean of its review alignments, with weights
``2 ** (-age / alignment_half_life_days)`` at the as-of date; its perception gap is the same
weighted mean of the review gaps. Both are None before the first review. An asymmetry is a
dimension of the latest review that one side scored high (>= asymmetry_high) and the other
low (<= asymmetry_low).

:class:`AlignmentSums` is the one place those weighted means are summed: the fold's
running figures, a past date's, each trend point's and each explanation row's. Like the
trust accumulator it keeps its sums relative to a base day, moved on when a review lies more
than ``REBASE_HALF_LIVES`` half-lives past it; a weighted mean does not depend on the as-of
date once every review counted is on or before it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Protocol

from trustledger.domain.recorded import DIMENSIONS
from trustledger.projections.beta import REBASE_HALF_LIVES
from trustledger.projections.views import Asymmetry

ScoreMap = Mapping[str, int]


def review_level(scores: ScoreMap, partner_scores: ScoreMap | None) -> float:
    """Mean of ``(score - 1) / 4`` over every score of both sides.

    Computed as ``(sum - count) / (4 * count)`` over the integer scores: the same number,
    rounded once.
    """
    total = sum(scores.values())
    count = len(scores)
    if partner_scores:
        total += sum(partner_scores.values())
        count += len(partner_scores)
    return (total - count) / (4 * count) if count else 0.0


def review_gap(scores: ScoreMap, partner_scores: ScoreMap | None) -> float:
    """The review's perception gap: mean ``|ours - theirs| / 4`` over the dimensions both
    sides scored, 0 when they share none (computed from integer sums, rounded once)."""
    if not partner_scores:
        return 0.0
    total = shared = 0
    for dim, theirs in partner_scores.items():
        ours = scores.get(dim)
        if ours is not None:
            total += abs(ours - theirs)
            shared += 1
    return total / (4 * shared) if shared else 0.0


def compare(
    scores: ScoreMap, partner_scores: ScoreMap | None, high: int = 4, low: int = 2
) -> tuple[dict[str, float], tuple[Asymmetry, ...]]:
    """Per-dimension gaps and asymmetries of one review, in one pass.

    A gap is ``|ours - theirs| / 4`` for each dimension both sides scored (in the canonical
    order); an asymmetry is a dimension one side scored ``>= high`` and the other ``<= low``.
    """
    gaps: dict[str, float] = {}
    if not partner_scores:
        return gaps, ()
    found: list[Asymmetry] = []
    for dim in DIMENSIONS:
        ours = scores.get(dim)
        theirs = partner_scores.get(dim)
        if ours is None or theirs is None:
            continue
        gaps[dim] = abs(ours - theirs) / 4
        if (ours >= high and theirs <= low) or (theirs >= high and ours <= low):
            found.append(Asymmetry(dim, ours, theirs))
    return gaps, tuple(found)


def review_gaps(scores: ScoreMap, partner_scores: ScoreMap | None) -> dict[str, float]:
    """``|ours - theirs| / 4`` per dimension both sides scored, in the canonical order."""
    return compare(scores, partner_scores)[0]


def mean_gap(gaps: Mapping[str, float]) -> float:
    """The mean of per-dimension gaps (as from :func:`review_gaps`), 0 when there are none.

    Equal to :func:`review_gap` of the same scores: the gaps are exact quarters.
    """
    return sum(gaps.values()) / len(gaps) if gaps else 0.0


def review_alignment(level: float, gap: float) -> float:
    """``level * (1 - gap)``."""
    return level * (1.0 - gap)


def asymmetries(
    scores: ScoreMap, partner_scores: ScoreMap | None, high: int = 4, low: int = 2
) -> tuple[Asymmetry, ...]:
    """Dimensions one side scored ``>= high`` and the other ``<= low``."""
    return compare(scores, partner_scores, high, low)[1]


# Below this, review weights have lost precision to underflow.
_TINY = 1e-200


class ReviewFigures(Protocol):
    """What the accumulator reads of a review (a ``ReviewFacts``)."""

    @property
    def occurred_on(self) -> date: ...
    @property
    def alignment(self) -> float: ...
    @property
    def gap(self) -> float: ...


class AlignmentSums:
    """Recency-weighted means of review alignments and gaps, with their total weight.

    The weights are relative to a base day ordinal. The means are updated in place (``m +=
    w / total * (x - m)``) rather than kept as weighted sums to divide, so that reviews of
    equal alignment give exactly that alignment, not a neighbour a rounding away.
    """

    __slots__ = ("alignment", "base", "gap", "inv_half_life", "weight")

    def __init__(self, half_life_days: float, base: date) -> None:
        self.base = base.toordinal()
        self.inv_half_life = 1.0 / half_life_days
        self.weight = self.alignment = self.gap = 0.0

    def add(self, review: ReviewFigures) -> None:
        """Count a review."""
        day = review.occurred_on.toordinal()
        exponent = (day - self.base) * self.inv_half_life
        if exponent > REBASE_HALF_LIVES:
            self.weight *= 2.0 ** ((self.base - day) * self.inv_half_life)
            self.base = day
            exponent = 0.0
        weight = 2.0**exponent
        self.weight += weight
        if self.weight > 0.0:
            share = weight / self.weight
            self.alignment += share * (review.alignment - self.alignment)
            self.gap += share * (review.gap - self.gap)

    def figures(self) -> tuple[float | None, float | None]:
        """``(alignment, perception_gap)`` of the reviews added; both None before any.

        Reviews far older than the base (hundreds of half-lives) weigh nothing; when every
        review counted is that old, the figures are None: start from a base on or before
        them (:func:`weighted_alignment`).
        """
        if self.weight <= _TINY:
            return None, None
        return self.alignment, self.gap


def weighted_alignment(
    reviews: Iterable[ReviewFigures], as_of: date, half_life_days: float
) -> tuple[float | None, float | None]:
    """``(alignment, perception_gap)`` of the reviews held by the end of ``as_of``.

    A fresh accumulator whose base is the latest review's day: the weighted mean does not
    depend on how far ``as_of`` lies beyond it; ``as_of`` only bounds the reviews.
    """
    held = [review for review in reviews if review.occurred_on <= as_of]
    if not held:
        return None, None
    sums = AlignmentSums(half_life_days, max(review.occurred_on for review in held))
    for review in held:
        sums.add(review)
    return sums.figures()
