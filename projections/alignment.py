"""Alignment arithmetic over review scores (pure functions; no state, no dates but arguments).

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
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

from trustledger.domain.events import DIMENSIONS
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


def weighted_alignment(
    reviews: Iterable[tuple[date, float, float]], as_of: date, half_life_days: float
) -> tuple[float | None, float | None]:
    """``(alignment, perception_gap)`` from ``(day, review_alignment, review_gap)`` triples.

    The weights are relative to the latest day given, so the result does not depend on how far
    ``as_of`` lies beyond it (a weighted mean is scale-free); ``as_of`` only bounds the reviews.
    """
    items = [item for item in reviews if item[0] <= as_of]
    if not items:
        return None, None
    latest = max(item[0] for item in items).toordinal()
    num = gap_num = den = 0.0
    for day, align, gap in items:
        weight = 2.0 ** ((day.toordinal() - latest) / half_life_days)
        num += weight * align
        gap_num += weight * gap
        den += weight
    return num / den, gap_num / den
