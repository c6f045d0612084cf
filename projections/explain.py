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

The running values come from the trust and alignment accumulators, fed one event at a time
in recording order: the same arithmetic as every other trust and alignment figure.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import NamedTuple

from trustledger.domain.events import Recorded
from trustledger.projections.alignment import AlignmentSums
from trustledger.projections.beta import decay
from trustledger.projections.config import DEFAULT_CONFIG, ModelConfig
from trustledger.projections.evidence import Evidence, decayed_weight
from trustledger.projections.facts import ReviewFacts
from trustledger.projections.measures import evidence, fresh_sums, visible_reviews
from trustledger.projections.replay import fold
from trustledger.projections.state import PartnershipState
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
    movers: list[Evidence | ReviewFacts] = [*evidence(ps, as_of, config)]
    movers.extend(visible_reviews(ps, as_of))
    movers.sort(key=lambda item: item.position)

    sums = fresh_sums(ps, config)
    reviews = AlignmentSums(config.alignment_half_life_days, ps.registered_on)
    rows: list[ExplainRow] = []
    trust = 0.5
    alignment: float | None = None
    for item in movers:
        if isinstance(item, Evidence):
            sums.add(item)
            after = sums.trust(as_of)
            rows.append(
                ExplainRow(
                    item.position,
                    item.occurred_on,
                    _EVIDENCE_TYPES[item.kind],
                    _subject(item, config),
                    decayed_weight(item, as_of, config.half_life_days),
                    after - trust,
                    0.0 if alignment is not None else None,
                    after,
                    alignment,
                )
            )
            trust = after
        else:
            reviews.add(item)
            new_alignment = reviews.figures()[0]
            rows.append(
                ExplainRow(
                    item.position,
                    item.occurred_on,
                    "review_held",
                    f"review: alignment {item.alignment:.2f} "
                    f"(level {item.level:.2f}, gap {item.gap:.2f})",
                    decay((as_of - item.occurred_on).days, config.alignment_half_life_days),
                    0.0,
                    None
                    if alignment is None or new_alignment is None
                    else new_alignment - alignment,
                    trust,
                    new_alignment,
                )
            )
            alignment = new_alignment
    figures = sums.figures(as_of)
    r, s = sums.totals(as_of)
    rows.append(
        ExplainRow(
            None,
            None,
            "total",
            f"{len(movers)} events; trust {figures.trust:.2f} ± {figures.uncertainty:.2f}"
            + (f", alignment {alignment:.2f}" if alignment is not None else ", no review"),
            r + s,
            figures.trust - 0.5,
            None,
            figures.trust,
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
