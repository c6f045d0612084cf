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

Corrections are named: a row of type ``event_voided`` or ``event_amended`` for each one known
at ``known_at`` (it moves nothing itself: the other rows count the corrected history), and
the rows of amended events say so.

The running values come from the trust and alignment accumulators, fed one event at a time
in recording order: the same arithmetic as every other trust and alignment figure.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any, NamedTuple

from trustledger.domain.recorded import CORRECTION_NAMES, Recorded
from trustledger.projections.alignment import AlignmentSums
from trustledger.projections.beta import decay
from trustledger.projections.config import DEFAULT_CONFIG, ModelConfig
from trustledger.projections.corrections import in_force, is_correction
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
    events = events if isinstance(events, Sequence) else list(events)
    ps = single_partnership(fold(events, as_of, known_at, config), partnership)
    if ps is None:
        return [ExplainRow(None, None, "total", "no events", 0.0, 0.0, None, 0.5, None)]
    rows = explain_partnership(ps, as_of, config)
    return named_corrections(rows, events, known_at, ps.handle)


def named_corrections(
    rows: list[ExplainRow], events: Sequence[Recorded], known_at: datetime | None, handle: str
) -> list[ExplainRow]:
    """``rows`` with the partnership's corrections known at ``known_at`` named: a row of its
    own for each (in recording order; it moves nothing by itself, the rows around it already
    count the corrected history), and "amended" on the rows of the events amended."""
    corrections = [e for e in events if e.partnership == handle and is_correction(e)]
    force = in_force(corrections, known_at)
    if not force:
        return rows
    originals = {e.line.id: e for e in events if e.partnership == handle and e.line.id in force}
    amended_at = {
        e.position: amendment
        for key, e in originals.items()
        if key is not None and (amendment := force[key].amendment) is not None
    }
    by_position: dict[int, ExplainRow] = {}
    for row in rows[:-1]:
        position = row.position or 0
        amendment = amended_at.get(position)
        if amendment is not None:
            reason = getattr(amendment.line, "reason", "")
            row = row._replace(subject=f"{row.subject} (amended: {reason})")
        by_position[position] = row
    for correction in corrections:
        if correction.line.id is None or not any(correction in f.all for f in force.values()):
            continue
        line: Any = correction.line
        original = originals.get(line.event)
        what = (
            f"{original.type} of {original.occurred_on} ({line.event})"
            if original is not None
            else line.event
        )
        verb = "voids" if correction.type == "event_voided" else "amends"
        by_position[correction.position] = ExplainRow(
            correction.position,
            correction.occurred_on,
            correction.type,
            f"{verb} {what}: {line.reason}",
            None,
            0.0,
            None,
            0.5,
            None,
        )
    ordered = [by_position[position] for position in sorted(by_position)]
    trust, alignment = 0.5, None
    for n, row in enumerate(ordered):  # a correction's row shows the running values there
        if row.type in CORRECTION_NAMES:
            ordered[n] = row._replace(trust=trust, alignment=alignment)
        else:
            trust, alignment = row.trust, row.alignment
    return [*ordered, rows[-1]]
