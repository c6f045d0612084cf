"""What a partnership's folded state says at the end of a day: its evidence, trust and
reliabilities, alignment.

What counts as evidence (the model's decision; the arithmetic is
:mod:`~trustledger.projections.evidence`'s):

- **Evidence** is commitment outcomes only: each kept or missed commitment is one item,
  counted from the later of the day it was made and the day it was kept or missed.
- **Recovery**: resolving an issue that names a commitment already missed at that point takes
  back ``recovery_share`` of that miss's weight, decayed as the miss is. It happens at most
  once per miss (later resolutions of the same miss add nothing), so trust never rises above
  what it would be without the miss. It counts from the earliest day one of its resolutions
  would (the latest day of the events that resolution rests on).
- **Not evidence**: issues (raised or open), partner-card appeals, reviews and overdue
  commitments. They are signals for status and alerts (see
  :mod:`~trustledger.projections.status` and :mod:`~trustledger.projections.alerts`). An
  overdue commitment is not a miss until a miss is recorded: the ledger records facts and a
  late delivery may still be kept; counting it twice (as overdue now and missed later) would
  also make trust jump back when the miss is recorded. Reviews feed alignment, not trust.

:func:`evidence` is the partnership's evidence stream at a date. Two ways to read trust from
it, with the same result: for an as-of date on or after the last folded event
(``PortfolioState.max_day``; the callers say so with ``current=True``) the accumulator the
fold fed answers in O(1); for an earlier date a fresh accumulator is fed the items visible
then. Alignment likewise.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from operator import attrgetter

from trustledger.projections.alignment import weighted_alignment
from trustledger.projections.config import ModelConfig
from trustledger.projections.evidence import (
    Evidence,
    TrustFigures,
    TrustSums,
    recovery_item,
)
from trustledger.projections.facts import ReviewFacts
from trustledger.projections.state import PartnershipState

__all__ = [
    "Evidence",
    "TrustFigures",
    "alignment_figures",
    "evidence",
    "recoveries",
    "trust_before_from_sums",
    "trust_figures",
    "visible_reviews",
]

_by_position = attrgetter("position")

#: How far (in half-lives) past ``start`` the evidence taken out of the sums may be before
#: :func:`trust_before_from_sums` sums afresh (never, with the default config and window).
LOOK_BACK_HALF_LIVES = 16.0


def evidence(ps: PartnershipState, as_of: date, config: ModelConfig) -> list[Evidence]:
    """Every piece of evidence visible at the end of ``as_of``, in recording order.

    The kept and missed items are the fold's own; a recovery is the take-back of the first
    resolution (in recording order) visible at ``as_of``.
    """
    found = [item for item in ps.outcomes.values() if item.effective_on <= as_of]
    if ps.recoveries:
        found.extend(recoveries(ps, as_of, config))
        found.sort(key=_by_position)
    return found


def recoveries(ps: PartnershipState, as_of: date, config: ModelConfig) -> Iterator[Evidence]:
    """The recovery items visible at the end of ``as_of``, one per miss at most."""
    for handle, resolutions in ps.recoveries.items():
        visible = [resolution for resolution in resolutions if resolution.effective_on <= as_of]
        if not visible:
            continue
        first = visible[0]
        yield recovery_item(
            ps.outcomes[handle],
            config.recovery_share,
            min(resolution.effective_on for resolution in visible),
            first.position,
            ps.issues[first.issue].resolved_on or first.effective_on,
            first.issue,
        )


def fresh_sums(ps: PartnershipState, config: ModelConfig) -> TrustSums:
    """An empty trust accumulator for ``ps``, with the base day its fold's started from."""
    return TrustSums(config.half_life_days, ps.registered_on)


def trust_figures(
    ps: PartnershipState, as_of: date, config: ModelConfig, current: bool = False
) -> TrustFigures:
    """Trust and reliabilities at the end of ``as_of``.

    ``current`` tells that ``as_of`` is on or after every event folded into the state (its
    ``PortfolioState.max_day``): the fold's accumulator then answers in O(1); otherwise a
    fresh one is fed the evidence visible at ``as_of``.
    """
    if current:
        return ps.trust.figures(as_of)
    sums = fresh_sums(ps, config)
    for item in evidence(ps, as_of, config):
        sums.add(item)
    return sums.figures(as_of)


def trust_before_from_sums(ps: PartnershipState, start: date, config: ModelConfig) -> TrustFigures:
    """:func:`trust_figures` at ``start``: the fold's accumulator less what came after it.

    The accumulator must be current (the state's events all on or before some as-of date
    after ``start``); ``start`` may be any earlier day. Only the evidence that counts from a
    day after ``start`` costs any arithmetic, so this is much cheaper than feeding a fresh
    accumulator when looking back a few weeks (the trust-drop alert).
    """
    later = [item for item in ps.outcomes.values() if item.effective_on > start]
    if ps.recoveries:
        later.extend(item for item in recoveries(ps, date.max, config) if item.effective_on > start)
    if later:
        newest = max(item.anchor_on for item in later)
        if (newest - start).days > LOOK_BACK_HALF_LIVES * config.half_life_days:
            # Taking out evidence that outweighs what remains by more than 2 ** 16 would
            # lose the rest to rounding: sum what remains afresh instead.
            return trust_figures(ps, start, config)
    sums = ps.trust.copy()
    for item in later:
        sums.remove(item)
    return sums.figures(start)


def visible_reviews(ps: PartnershipState, as_of: date) -> list[ReviewFacts]:
    """The reviews held by the end of ``as_of``, by day (then recording order)."""
    reviews = [review for review in ps.reviews.values() if review.occurred_on <= as_of]
    reviews.sort(key=lambda review: (review.occurred_on, review.position))
    return reviews


def alignment_figures(
    ps: PartnershipState, as_of: date, config: ModelConfig, current: bool = False
) -> tuple[float | None, float | None]:
    """``(alignment, perception_gap)`` at the end of ``as_of``; both None before any review.

    ``current`` as for :func:`trust_figures`.
    """
    if current:
        alignment, gap = ps.alignment.figures()
        if alignment is not None:
            return alignment, gap
    # No review, reviews far older than the accumulator's base, or a past as-of date:
    # a fresh accumulator over the reviews held by then.
    return weighted_alignment(ps.reviews.values(), as_of, config.alignment_half_life_days)
