"""Trends: trust and alignment at regular points, for sparklines and charts.

The points end at the as-of date and go back ``step_days`` at a time. Each series is computed
in one sweep over the partnership's evidence and reviews sorted by the day they count from,
carrying decayed sums from point to point: no replay per point. :func:`sparklines` does this
for every partnership of a folded state (the dashboard's portfolio screen), :func:`trend` for
the events of one partnership. Every point equals what a replay at that date would show.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from trustledger.domain.events import Recorded
from trustledger.projections.beta import beta_trust
from trustledger.projections.config import DEFAULT_CONFIG, ModelConfig
from trustledger.projections.measures import evidence, visible_reviews
from trustledger.projections.replay import fold
from trustledger.projections.state import (
    R_ALIGNMENT,
    R_OCCURRED_ON,
    PartnershipState,
    PortfolioState,
)
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
    inv_h = 1.0 / config.half_life_days
    inv_ha = 1.0 / config.alignment_half_life_days
    entries = sorted(evidence(ps, as_of, config), key=lambda e: (e.effective_on, e.position))
    reviews = visible_reviews(ps, as_of)
    r = s = num = den = 0.0
    previous: int | None = None
    e_next = v_next = 0
    result: list[TrendPoint] = []
    for point in trend_dates(as_of, points, step_days):
        day = point.toordinal()
        if previous is not None and day != previous:
            factor = 2.0 ** ((previous - day) * inv_h)
            r *= factor
            s *= factor
            align_factor = 2.0 ** ((previous - day) * inv_ha)
            num *= align_factor
            den *= align_factor
        previous = day
        while e_next < len(entries) and entries[e_next].effective_on <= point:
            entry = entries[e_next]
            amount = entry.weight * 2.0 ** ((entry.anchor_on.toordinal() - day) * inv_h)
            if entry.kind == "kept":
                r += amount
            elif entry.kind == "missed":
                s += amount
            else:
                s -= amount
            e_next += 1
        while v_next < len(reviews) and reviews[v_next][R_OCCURRED_ON] <= point:
            review = reviews[v_next]
            weight = 2.0 ** ((review[R_OCCURRED_ON].toordinal() - day) * inv_ha)
            num += weight * review[R_ALIGNMENT]
            den += weight
            v_next += 1
        trust, _ = beta_trust(r, s)
        result.append(TrendPoint(point, trust, num / den if den > 0 else None))
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
