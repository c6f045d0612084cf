"""Trends: trust and alignment at regular points, for sparklines and charts.

The points end at the as-of date and go back ``step_days`` at a time. Each series is one
sweep over the partnership's evidence and reviews sorted by the day they count from: the
trust and alignment accumulators are fed what counts by each point in turn and read there,
so no point replays anything. :func:`sparklines` does this for every partnership of a folded
state (the dashboard's portfolio screen), :func:`trend` for the events of one partnership.
Every point equals what a replay at that date would show.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from trustledger.domain.recorded import Recorded
from trustledger.projections.alignment import AlignmentSums
from trustledger.projections.config import DEFAULT_CONFIG, ModelConfig
from trustledger.projections.measures import evidence, fresh_sums, visible_reviews
from trustledger.projections.replay import fold
from trustledger.projections.state import PartnershipState, PortfolioState
from trustledger.projections.views import TrendPoint


def trend_dates(as_of: date, points: int, step_days: int) -> list[date]:
    """``points`` dates ending with ``as_of``, ``step_days`` apart, oldest first."""
    if points < 1 or step_days < 1:
        raise ValueError("a trend needs at least one point and a step of at least one day")
    last = as_of.toordinal()
    first = max(last - (points - 1) * step_days, 1)
    return [date.fromordinal(max(last - k * step_days, first)) for k in range(points - 1, -1, -1)]


def series(
    ps: PartnershipState,
    as_of: date,
    config: ModelConfig,
    points: int = 12,
    step_days: int = 30,
) -> list[TrendPoint]:
    """Trust and alignment of one folded partnership at each of :func:`trend_dates`."""
    items = sorted(evidence(ps, as_of, config), key=lambda e: (e.effective_on, e.position))
    reviews = visible_reviews(ps, as_of)
    trust = fresh_sums(ps, config)
    alignment = AlignmentSums(config.alignment_half_life_days, ps.registered_on)
    next_item = next_review = 0
    result: list[TrendPoint] = []
    for point in trend_dates(as_of, points, step_days):
        while next_item < len(items) and items[next_item].effective_on <= point:
            trust.add(items[next_item])
            next_item += 1
        while next_review < len(reviews) and reviews[next_review].occurred_on <= point:
            alignment.add(reviews[next_review])
            next_review += 1
        result.append(TrendPoint(point, trust.trust(point), alignment.figures()[0]))
    return result


def sparklines(
    state: PortfolioState, as_of: date, points: int = 12, step_days: int = 30
) -> dict[str, list[TrendPoint]]:
    """A series for every partnership registered by ``as_of``, by handle (sorted)."""
    return {
        handle: series(state.partnerships[handle], as_of, state.config, points, step_days)
        for handle in sorted(state.partnerships)
        if state.partnerships[handle].registered_on <= as_of
    }


def single_partnership(state: PortfolioState, partnership: str | None) -> PartnershipState | None:
    """The one partnership of ``state`` (or the named one); ValueError when it is ambiguous."""
    if partnership is not None:
        return state.partnerships.get(partnership)
    if len(state.partnerships) > 1:
        raise ValueError("events of several partnerships: name the partnership")
    return next(iter(state.partnerships.values()), None)


def trend(
    events: Iterable[Recorded],
    as_of: date,
    points: int = 12,
    step_days: int = 30,
    config: ModelConfig = DEFAULT_CONFIG,
    known_at: datetime | None = None,
    partnership: str | None = None,
) -> list[TrendPoint]:
    """Trust and alignment of one partnership at regular points up to ``as_of``.

    ``events`` are that partnership's events (or any events, with ``partnership`` naming it).
    Before registration the points show trust 0.5 and no alignment.
    """
    ps = single_partnership(fold(events, as_of, known_at, config), partnership)
    if ps is None:
        return [TrendPoint(day, 0.5, None) for day in trend_dates(as_of, points, step_days)]
    return series(ps, as_of, config, points, step_days)
