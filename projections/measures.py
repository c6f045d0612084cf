"""What a partnership's folded state says at the end of a day: trust, reliabilities, alignment.

What counts as evidence (the model's decision):

- **Evidence** is commitment outcomes only. A kept commitment adds ``w`` to ``r``, a missed one
  adds ``w`` to ``s``, with ``w = weight * 2 ** (-age_days / half_life_days)`` and the age
  counted from the kept/missed event's ``occurred_on`` to the as-of date.
  ``trust = (r + 1) / (r + s + 2)``, ``uncertainty = 2 / (r + s + 2)``;
  ``our_reliability`` / ``partner_reliability`` are the same over commitments made ``by`` us /
  the partner.
- **Recovery**: resolving an issue that names a commitment already missed at that point takes
  back ``recovery_share`` of that miss's weight, decayed as the miss is (``s`` shrinks by
  ``share * w_miss``). It happens at most once per miss, so trust never rises above what it
  would be without the miss.
- **Not evidence**: issues (raised or open), partner-card appeals, reviews and overdue
  commitments. They are signals for status and alerts (see :mod:`trustledger.projections.status` and
  :mod:`alerts`). An overdue commitment is not a miss until a miss is recorded:
  the ledger records facts and a late delivery may still be kept; counting it twice (as
  overdue now and missed later) would also make trust jump back when the miss is recorded.
  Reviews feed alignment, not trust.

Two ways to evaluate, with the same result: for an as-of date on or after the last folded
event (``PortfolioState.max_day``; the callers say so with ``current=True``) the decayed sums
of :class:`PartnershipState` give O(1) answers; for an earlier date the
facts are filtered to what had occurred by then (each fact knows the day from which it
counts) and summed afresh.
"""

from __future__ import annotations

from datetime import date
from typing import Literal, NamedTuple

from trustledger.projections.alignment import weighted_alignment
from trustledger.projections.beta import beta_trust
from trustledger.projections.config import ModelConfig
from trustledger.projections.state import (
    C_BY_US,
    C_HANDLE,
    C_LENGTH,
    C_MADE_ON,
    C_WEIGHT,
    I_RESOLVED_ON,
    KEPT,
    R_ALIGNMENT,
    R_GAP,
    R_OCCURRED_ON,
    R_POSITION,
    PartnershipState,
    ReviewFacts,
)

# Below this, review weights have lost precision to underflow (see PortfolioState.ref_day).
_TINY = 1e-200


class TrustFigures(NamedTuple):
    """Trust and the two reliabilities, each with its uncertainty, and the outcome count."""

    trust: float
    uncertainty: float
    our_reliability: float
    our_uncertainty: float
    partner_reliability: float
    partner_uncertainty: float
    outcomes: int


class Evidence(NamedTuple):
    """One piece of trust evidence visible at an as-of date.

    ``weight`` is undecayed (the commitment's weight; for a recovery, the share taken back);
    it decays from ``anchor_on`` (the kept/missed day) and counts from ``effective_on``.
    ``position`` and ``occurred_on`` are those of the event that brought it (for a recovery,
    the resolution).
    """

    position: int
    occurred_on: date
    kind: Literal["kept", "missed", "recovery"]
    commitment: str
    issue: str | None
    by_us: bool
    weight: float
    anchor_on: date
    effective_on: date


def figures_from_sums(
    r_us: float, s_us: float, r_partner: float, s_partner: float, outcomes: int
) -> TrustFigures:
    """Combine per-side evidence into :class:`TrustFigures`."""
    s_us = max(s_us, 0.0)
    s_partner = max(s_partner, 0.0)
    trust, uncertainty = beta_trust(r_us + r_partner, s_us + s_partner)
    ours, ours_u = beta_trust(r_us, s_us)
    theirs, theirs_u = beta_trust(r_partner, s_partner)
    return TrustFigures(trust, uncertainty, ours, ours_u, theirs, theirs_u, outcomes)


def trust_figures(
    ps: PartnershipState, as_of: date, config: ModelConfig, current: bool = False
) -> TrustFigures:
    """Trust and reliabilities at the end of ``as_of``.

    ``current`` tells that ``as_of`` is on or after every event folded into the state (its
    ``PortfolioState.max_day``): the decayed sums then answer in O(1) (but for counting the
    outcomes); otherwise the facts that had occurred by ``as_of`` are summed afresh.
    """
    if current:
        return trust_from_sums(ps, as_of, config, ps.closed_count())
    return _trust_from_facts(ps, as_of, config)


def trust_from_sums(
    ps: PartnershipState, as_of: date, config: ModelConfig, outcomes: int
) -> TrustFigures:
    """:func:`trust_figures` from the decayed sums, in O(1) (``as_of`` must be current)."""
    factor = 2.0 ** ((ps.ref_day - as_of.toordinal()) / config.half_life_days)
    return figures_from_sums(
        ps.r_us * factor,
        ps.s_us * factor,
        ps.r_partner * factor,
        ps.s_partner * factor,
        outcomes,
    )


def trust_before_from_sums(ps: PartnershipState, start: date, config: ModelConfig) -> TrustFigures:
    """:func:`trust_figures` at ``start``, from the decayed sums less what came after it.

    The sums must be current (for an as-of date on or after every folded event); ``start``
    may be any earlier day. Only the outcomes after ``start`` (and misses whose take-back
    came after it) cost any arithmetic, so this is much cheaper than summing the facts afresh
    when looking back a few weeks (the trust-drop alert).
    """
    inv_h = 1.0 / config.half_life_days
    ref = ps.ref_day
    share = config.recovery_share
    recoveries = ps.recoveries
    r_us, s_us, r_partner, s_partner = ps.r_us, ps.s_us, ps.r_partner, ps.s_partner
    closed = [value for value in ps.commitments.values() if len(value) != C_LENGTH]
    later = [value for value in closed if value[2] > start or value[0][C_MADE_ON] > start]
    for c, outcome, closed_on, _ in later:
        # Take it out of the sums, as they hold it: the sums took back part of every miss
        # that has a resolution naming it.
        amount = c[C_WEIGHT] * 2.0 ** ((closed_on.toordinal() - ref) * inv_h)
        if outcome == KEPT:
            if c[C_BY_US]:
                r_us -= amount
            else:
                r_partner -= amount
            continue
        if c[C_HANDLE] in recoveries:
            amount *= 1.0 - share
        if c[C_BY_US]:
            s_us -= amount
        else:
            s_partner -= amount
    for handle in recoveries:
        # A miss counted at `start` whose take-back only came later: give the share back.
        value = ps.commitments[handle]
        if len(value) == C_LENGTH or ps.recovery_on(handle, start) is not None:
            continue
        c, _, closed_on, _ = value  # type: ignore[misc]
        if closed_on <= start and c[C_MADE_ON] <= start:
            amount = share * c[C_WEIGHT] * 2.0 ** ((closed_on.toordinal() - ref) * inv_h)
            if c[C_BY_US]:
                s_us += amount
            else:
                s_partner += amount
    factor = 2.0 ** ((ref - start.toordinal()) * inv_h)
    return figures_from_sums(
        r_us * factor,
        s_us * factor,
        r_partner * factor,
        s_partner * factor,
        len(closed) - len(later),
    )


def _trust_from_facts(ps: PartnershipState, as_of: date, config: ModelConfig) -> TrustFigures:
    day = as_of.toordinal()
    inv_h = 1.0 / config.half_life_days
    keep_share = 1.0 - config.recovery_share
    recoveries = ps.recoveries
    r_us = s_us = r_partner = s_partner = 0.0
    outcomes = 0
    for value in ps.commitments.values():
        if len(value) == C_LENGTH:
            continue  # still open
        c, outcome, closed_on, _ = value
        if closed_on > as_of or c[C_MADE_ON] > as_of:
            continue
        outcomes += 1
        amount = c[C_WEIGHT] * 2.0 ** ((closed_on.toordinal() - day) * inv_h)
        if outcome == KEPT:
            if c[C_BY_US]:
                r_us += amount
            else:
                r_partner += amount
            continue
        handle = c[C_HANDLE]
        if handle in recoveries and ps.recovery_on(handle, as_of) is not None:
            amount *= keep_share
        if c[C_BY_US]:
            s_us += amount
        else:
            s_partner += amount
    return figures_from_sums(r_us, s_us, r_partner, s_partner, outcomes)


def evidence(ps: PartnershipState, as_of: date, config: ModelConfig) -> list[Evidence]:
    """Every piece of evidence visible at the end of ``as_of``, in recording order."""
    found: list[Evidence] = []
    for c, (outcome, closed_on, closed_pos) in ps.closed():
        handle = c[C_HANDLE]
        made_on = c[C_MADE_ON]
        if closed_on > as_of or made_on > as_of:
            continue
        kind: Literal["kept", "missed"] = "kept" if outcome == KEPT else "missed"
        by_us, weight = c[C_BY_US], c[C_WEIGHT]
        found.append(
            Evidence(
                closed_pos,
                closed_on,
                kind,
                handle,
                None,
                by_us,
                float(weight),
                closed_on,
                max(closed_on, made_on),
            )
        )
        recovery = ps.recovery_on(handle, as_of) if kind == "missed" else None
        if recovery is not None:
            # The first resolution (in recording order) is the one that counts; the recovery
            # counts from the earliest day any of them would (each takes back the same).
            since = min(r[0] for r in ps.recoveries[handle] if r[0] <= as_of)
            effective_on, position, issue = recovery
            resolved = ps.issues[issue][I_RESOLVED_ON] or effective_on
            found.append(
                Evidence(
                    position,
                    resolved,
                    "recovery",
                    handle,
                    issue,
                    by_us,
                    config.recovery_share * weight,
                    closed_on,
                    since,
                )
            )
    found.sort(key=lambda item: item.position)
    return found


def visible_reviews(ps: PartnershipState, as_of: date) -> list[ReviewFacts]:
    """The reviews held by the end of ``as_of``, by day (then recording order)."""
    reviews = [review for review in ps.reviews.values() if review[R_OCCURRED_ON] <= as_of]
    reviews.sort(key=lambda review: (review[R_OCCURRED_ON], review[R_POSITION]))
    return reviews


def alignment_figures(
    ps: PartnershipState, as_of: date, config: ModelConfig, current: bool = False
) -> tuple[float | None, float | None]:
    """``(alignment, perception_gap)`` at the end of ``as_of``; both None before any review.

    ``current`` as for :func:`trust_figures`.
    """
    if current and ps.al_den > _TINY:
        return ps.al_num / ps.al_den, ps.al_gap / ps.al_den
    # No review, reviews so old against the reference day that their weights underflow, or a
    # past as-of date: from the reviews themselves.
    return weighted_alignment(
        ((r[R_OCCURRED_ON], r[R_ALIGNMENT], r[R_GAP]) for r in ps.reviews.values()),
        as_of,
        config.alignment_half_life_days,
    )
