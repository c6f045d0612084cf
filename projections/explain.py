"""Explaining a score: which events moved trust and alignment at an as-of date, and by how much.

Each row is one event that moved a score: a kept or missed commitment, a resolution that took
back part of a miss, or a review. Rows are in recording order. ``weight`` is what the event
counts for at the as-of date after decay (for a resolution, the part of the miss taken back).
``delta_trust`` is the event's marginal contribution in recording order: trust (at the as-of
date) with the events up to and including this one, minus trust with those before it; the
deltas add up to ``trust - 0.5``. ``delta_alignment`` is the same for alignment (None for the
first review, since there was no alignment before it). ``trust`` and ``alignment`` are the
running values. The last row, of type ``total``, carries the final values and the sum of the
trust deltas. The result depends only on the events, the as-of date and the config.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import NamedTuple

from trustledger.domain.events import Recorded
from trustledger.projections.beta import beta_trust
from trustledger.projections.config import DEFAULT_CONFIG, ModelConfig
from trustledger.projections.measures import Evidence, evidence, visible_reviews
from trustledger.projections.replay import fold
from trustledger.projections.state import PartnershipState, ReviewFacts
from trustledger.projections.trends import single_partnership

_EVIDENCE_TYPES = {
    "kept": "commitment_kept",
    "missed": "commitment_missed",
    "recovery": "issue_resolved",
}


class ExplainRow(NamedTuple):
    """One event's effect on the scores (or, with type ``total``, the totals)."""

    position: int | None
    occurred_on: date | None
    type: str
    subject: str
    weight: float | None
    delta_trust: float
    delta_alignment: float | None
    trust: float
    alignment: float | None


def _subject(item: Evidence, config: ModelConfig) -> str:
    side = "us" if item.by_us else "partner"
    if item.kind == "recovery":
        return (
            f"issue {item.issue} takes back {config.recovery_share:.0%} of missed "
            f"commitment {item.commitment} (by {side})"
        )
    return f"commitment {item.commitment} by {side}, weight {item.weight:g}"


def explain_partnership(ps: PartnershipState, as_of: date, config: ModelConfig) -> list[ExplainRow]:
    """The explanation rows for one folded partnership at the end of ``as_of``."""
    day = as_of.toordinal()
    inv_h = 1.0 / config.half_life_days
    inv_ha = 1.0 / config.alignment_half_life_days
    reviews = visible_reviews(ps, as_of)
    newest = reviews[-1][0].toordinal() if reviews else day
    movers: list[tuple[int, Evidence | ReviewFacts]] = [
        (item.position, item) for item in evidence(ps, as_of, config)
    ]
    movers.extend((review[1], review) for review in reviews)
    movers.sort(key=lambda pair: pair[0])

    rows: list[ExplainRow] = []
    r = s = num = den = 0.0
    trust = 0.5
    alignment: float | None = None
    for position, item in movers:
        if isinstance(item, Evidence):
            weight = item.weight * 2.0 ** ((item.anchor_on.toordinal() - day) * inv_h)
            if item.kind == "kept":
                r += weight
            elif item.kind == "missed":
                s += weight
            else:
                s -= weight
            after, _ = beta_trust(r, s)
            rows.append(
                ExplainRow(
                    position,
                    item.occurred_on,
                    _EVIDENCE_TYPES[item.kind],
                    _subject(item, config),
                    weight,
                    after - trust,
                    0.0 if alignment is not None else None,
                    after,
                    alignment,
                )
            )
            trust = after
        else:
            occurred_on, _, _, _, level, gap, review_alignment = item
            share = 2.0 ** ((occurred_on.toordinal() - newest) * inv_ha)
            num += share * review_alignment
            den += share
            new_alignment = num / den
            rows.append(
                ExplainRow(
                    position,
                    occurred_on,
                    "review_held",
                    f"review: alignment {review_alignment:.2f} (level {level:.2f}, gap {gap:.2f})",
                    2.0 ** ((occurred_on.toordinal() - day) * inv_ha),
                    0.0,
                    None if alignment is None else new_alignment - alignment,
                    trust,
                    new_alignment,
                )
            )
            alignment = new_alignment
    _, uncertainty = beta_trust(r, s)
    rows.append(
        ExplainRow(
            None,
            None,
            "total",
            f"{len(movers)} events; trust {trust:.2f} ± {uncertainty:.2f}"
            + (f", alignment {alignment:.2f}" if alignment is not None else ", no review"),
            max(r, 0.0) + max(s, 0.0),
            trust - 0.5,
            None,
            trust,
            alignment,
        )
    )
    return rows


def explain(
    events: Iterable[Recorded],
    as_of: date,
    config: ModelConfig = DEFAULT_CONFIG,
    known_at: datetime | None = None,
    partnership: str | None = None,
) -> list[ExplainRow]:
    """Explain one partnership's scores at the end of ``as_of`` from its events.

    ``events`` are that partnership's events (or any events, with ``partnership`` naming it).
    Without a registration by ``as_of`` only the total row (trust 0.5) is returned.
    """
    ps = single_partnership(fold(events, as_of, known_at, config), partnership)
    if ps is None:
        return [ExplainRow(None, None, "total", "no events", 0.0, 0.0, None, 0.5, None)]
    return explain_partnership(ps, as_of, config)
