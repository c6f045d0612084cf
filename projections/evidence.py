"""Trust evidence: the items that move trust, and the one accumulator that sums them.

Every trust figure -- a partnership's trust and reliabilities in its view and report row,
the trust-drop alert's look back, each point of a trend, each row of an explanation -- is
read from a :class:`TrustSums` fed with :class:`Evidence` items. Nothing else does the
arithmetic of the model (the README's "Trust"):

- a kept commitment adds ``w`` to ``r``, a missed one adds ``w`` to ``s``, with
  ``w = weight * 2 ** (-age_days / half_life_days)`` and the age counted from the kept or
  missed day (the item's ``anchor_on``) to the as-of date;
- a **recovery** (an issue naming a missed commitment, resolved after the miss) takes back
  ``recovery_share`` of that miss's decayed weight from ``s``, once per miss: an item of weight
  ``share * weight`` anchored on the miss's day, so it decays with the miss and trust never
  rises above its value before the miss;
- ``trust = (r + 1) / (r + s + 2)`` and ``uncertainty = 2 / (r + s + 2)``
  (:func:`~trustledger.projections.beta.beta_trust`); each side's reliability is the same over
  the items of the commitments made by that side.

An item counts from its ``effective_on`` day (the latest day of the events it rests on): at
the end of an as-of day the visible evidence is exactly the items with ``effective_on <=
as_of``, so the figures at any date are the figures of the items visible then.

The sums are kept relative to a base day: an item adds ``weight * 2 ** ((anchor - base) /
h)`` whatever the order of the items, and the figures at ``as_of`` scale them by ``2 **
((base - as_of) / h)``; adding, removing and reading are O(1), and the result is exact for
any as-of date on or after every anchor added. An anchor more than
:data:`REBASE_HALF_LIVES` half-lives past the base moves the base there (rescaling the sums),
so they stay far inside the float range; evidence that much older underflows to 0, which is
what it is worth by then.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Literal, NamedTuple

from trustledger.projections.beta import REBASE_HALF_LIVES, beta_trust, decay

EvidenceKind = Literal["kept", "missed", "recovery"]
KEPT: EvidenceKind = "kept"
MISSED: EvidenceKind = "missed"
RECOVERY: EvidenceKind = "recovery"


class Evidence(NamedTuple):
    """One piece of trust evidence.

    ``weight`` is undecayed: the commitment's weight, or for a recovery the share of it taken
    back. The item decays from ``anchor_on`` (the kept or missed day; for a recovery, the
    miss's) and counts from ``effective_on``. ``position`` and ``occurred_on`` are those of
    the event that brought it (for a recovery, the resolution), ``issue`` the resolved issue.
    The fold keeps a commitment's kept or missed item as its outcome.
    """

    kind: EvidenceKind
    by_us: bool
    weight: float
    anchor_on: date
    effective_on: date
    position: int
    occurred_on: date
    commitment: str
    issue: str | None


class TrustFigures(NamedTuple):
    """Trust and the two reliabilities, each with its uncertainty, and the outcome count."""

    trust: float
    uncertainty: float
    our_reliability: float
    our_uncertainty: float
    partner_reliability: float
    partner_uncertainty: float
    outcomes: int


class TrustSums:
    """The trust accumulator: decayed ``r`` and ``s`` per side, relative to a base day.

    ``base`` is a day ordinal, normally the partnership's registration day (every anchor is
    on or after it). ``outcomes`` counts the kept and missed items added.
    """

    __slots__ = ("base", "inv_half_life", "outcomes", "r_partner", "r_us", "s_partner", "s_us")

    def __init__(self, half_life_days: float, base: date) -> None:
        self.base = base.toordinal()
        self.inv_half_life = 1.0 / half_life_days
        self.r_us = self.s_us = self.r_partner = self.s_partner = 0.0
        self.outcomes = 0

    def add(self, item: Evidence, sign: int = 1) -> None:
        """Count ``item`` (with ``sign`` -1, stop counting one that was added)."""
        exponent = (item.anchor_on.toordinal() - self.base) * self.inv_half_life
        if exponent > REBASE_HALF_LIVES:
            self.rebase(item.anchor_on.toordinal())
            exponent = 0.0
        amount = sign * item.weight * 2.0**exponent
        kind = item.kind
        if kind == KEPT:
            self.outcomes += sign
            if item.by_us:
                self.r_us += amount
            else:
                self.r_partner += amount
            return
        if kind == MISSED:
            self.outcomes += sign
        else:  # a recovery takes back part of a miss
            amount = -amount
        if item.by_us:
            self.s_us += amount
        else:
            self.s_partner += amount

    def remove(self, item: Evidence) -> None:
        """Stop counting ``item`` (one that was added)."""
        self.add(item, -1)

    def rebase(self, base: int) -> None:
        """Move the sums to the base day ordinal ``base``."""
        factor = 2.0 ** ((self.base - base) * self.inv_half_life)
        self.r_us *= factor
        self.s_us *= factor
        self.r_partner *= factor
        self.s_partner *= factor
        self.base = base

    def copy(self) -> TrustSums:
        twin = TrustSums.__new__(TrustSums)
        twin.base, twin.inv_half_life, twin.outcomes = self.base, self.inv_half_life, self.outcomes
        twin.r_us, twin.s_us = self.r_us, self.s_us
        twin.r_partner, twin.s_partner = self.r_partner, self.s_partner
        return twin

    def sides(self, as_of: date) -> tuple[float, float, float, float]:
        """``(r_us, s_us, r_partner, s_partner)`` at the end of ``as_of`` (``s`` at least 0:
        a take-back can leave float noise below it)."""
        r_us, s_us, r_partner, s_partner = self.r_us, self.s_us, self.r_partner, self.s_partner
        if not (r_us or s_us or r_partner or s_partner):
            return 0.0, 0.0, 0.0, 0.0
        factor = 2.0 ** ((self.base - as_of.toordinal()) * self.inv_half_life)
        return (
            r_us * factor,
            max(s_us * factor, 0.0),
            r_partner * factor,
            max(s_partner * factor, 0.0),
        )

    def totals(self, as_of: date) -> tuple[float, float]:
        """``(r, s)`` over both sides at the end of ``as_of``."""
        r_us, s_us, r_partner, s_partner = self.sides(as_of)
        return r_us + r_partner, s_us + s_partner

    def figures(self, as_of: date) -> TrustFigures:
        """Trust and reliabilities at the end of ``as_of`` (on or after every anchor added)."""
        r_us, s_us, r_partner, s_partner = self.sides(as_of)
        trust, uncertainty = beta_trust(r_us + r_partner, s_us + s_partner)
        ours, ours_uncertainty = beta_trust(r_us, s_us)
        theirs, theirs_uncertainty = beta_trust(r_partner, s_partner)
        return TrustFigures(
            trust,
            uncertainty,
            ours,
            ours_uncertainty,
            theirs,
            theirs_uncertainty,
            self.outcomes,
        )

    def trust(self, as_of: date) -> float:
        """Trust alone at the end of ``as_of`` (:meth:`figures`' first figure)."""
        r, s = self.totals(as_of)
        return beta_trust(r, s)[0]


def sum_evidence(items: Iterable[Evidence], half_life_days: float, base: date) -> TrustSums:
    """A fresh accumulator with base day ``base`` fed every item (the from-scratch fold)."""
    sums = TrustSums(half_life_days, base)
    for item in items:
        sums.add(item)
    return sums


def recovery_item(
    miss: Evidence, share: float, since: date, position: int, resolved_on: date, issue: str
) -> Evidence:
    """The take-back of ``share`` of ``miss``, counting from ``since``, brought by the
    resolution of ``issue`` at ``position`` on ``resolved_on``."""
    return Evidence(
        RECOVERY,
        miss.by_us,
        share * miss.weight,
        miss.anchor_on,
        since,
        position,
        resolved_on,
        miss.commitment,
        issue,
    )


def decayed_weight(item: Evidence, as_of: date, half_life_days: float) -> float:
    """What ``item`` counts for at the end of ``as_of``."""
    return item.weight * decay(as_of.toordinal() - item.anchor_on.toordinal(), half_life_days)
