"""Status classification: one of six statuses, and the human reason for it.

Checks run in this order, the first that applies wins:

1. ``ended``    -- the partnership was ended by the as-of date.
2. ``unproven`` -- trust uncertainty above ``unproven_uncertainty`` and no review yet:
   "insufficient evidence", never a false green.
3. ``at_risk``  -- trust below ``at_risk_max_trust``, or a partner card played within
   ``partner_card_window_days``, or alignment below ``at_risk_max_alignment``, or at least
   ``at_risk_overdue`` overdue commitments.
4. ``trusted``  -- trust >= ``trusted_min_trust``, uncertainty <= ``trusted_max_uncertainty``,
   alignment >= ``trusted_min_alignment`` (so at least one review) and no open high-severity
   issue.
5. ``emerging`` -- could become trusted: trust >= ``emerging_min_trust`` and, when there has
   been a review, alignment >= ``emerging_min_alignment``.
6. ``regular``  -- everything else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from trustledger.projections.config import ModelConfig
from trustledger.projections.views import Status


@dataclass(frozen=True, slots=True)
class StatusInputs:
    """The facts status depends on, at the end of the as-of day."""

    trust: float
    trust_uncertainty: float
    alignment: float | None
    outcomes: int = 0
    reviews: int = 0
    overdue: int = 0
    open_high_issues: int = 0
    partner_card_on: date | None = None
    partner_card_issue: str | None = None
    ended_on: date | None = None
    end_reason: str | None = None


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _alignment_text(alignment: float | None) -> str:
    return "no review" if alignment is None else f"alignment {alignment:.2f}"


def _versus(value: float, threshold: float) -> str:
    """``value`` to 2 places, or more when 2 would print it equal to ``threshold``."""
    for places in (2, 3, 4):
        text = f"{value:.{places}f}"
        if text != f"{threshold:.{places}f}":
            return text
    return f"{value:.6f}"


def _below(name: str, value: float, threshold: float) -> str:
    return f"{name} {_versus(value, threshold)} below {threshold:.2f}"


def classify(facts: StatusInputs, config: ModelConfig) -> tuple[Status, str]:
    """The status and its reason."""
    if facts.ended_on is not None:
        reason = f"ended on {facts.ended_on.isoformat()}"
        return "ended", f"{reason}: {facts.end_reason}" if facts.end_reason else reason

    if facts.trust_uncertainty > config.unproven_uncertainty and facts.reviews == 0:
        return "unproven", f"insufficient evidence: {_plural(facts.outcomes, 'outcome')}, no review"

    trust, uncertainty, alignment = facts.trust, facts.trust_uncertainty, facts.alignment
    risks: list[str] = []
    if trust < config.at_risk_max_trust:
        risks.append(_below("trust", trust, config.at_risk_max_trust))
    if facts.partner_card_on is not None:
        about = f" (issue {facts.partner_card_issue})" if facts.partner_card_issue else ""
        risks.append(f"partner card played on {facts.partner_card_on.isoformat()}{about}")
    if alignment is not None and alignment < config.at_risk_max_alignment:
        risks.append(_below("alignment", alignment, config.at_risk_max_alignment))
    if facts.overdue >= config.at_risk_overdue:
        risks.append(f"{_plural(facts.overdue, 'commitment')} overdue")
    if risks:
        return "at_risk", "at risk: " + "; ".join(risks)

    # As many places as tell trust apart from the thresholds it is held against, so the
    # summary never reads "trust 0.60" beside "trust 0.596 below 0.60".
    shown = max(
        (_versus(trust, limit) for limit in (config.trusted_min_trust, config.emerging_min_trust)),
        key=len,
    )
    summary = f"trust {shown} ± {uncertainty:.2f}, {_alignment_text(alignment)}"
    short_of_trusted: list[str] = []
    if trust < config.trusted_min_trust:
        short_of_trusted.append(_below("trust", trust, config.trusted_min_trust))
    if uncertainty > config.trusted_max_uncertainty:
        limit = config.trusted_max_uncertainty
        short_of_trusted.append(f"uncertainty {_versus(uncertainty, limit)} above {limit:.2f}")
    if alignment is None:
        short_of_trusted.append("no review yet")
    elif alignment < config.trusted_min_alignment:
        short_of_trusted.append(_below("alignment", alignment, config.trusted_min_alignment))
    if facts.open_high_issues:
        short_of_trusted.append(_plural(facts.open_high_issues, "open high issue"))
    if not short_of_trusted:
        return "trusted", f"{summary}, no open high issues"

    short_of_emerging: list[str] = []
    if trust < config.emerging_min_trust:
        short_of_emerging.append(_below("trust", trust, config.emerging_min_trust))
    if alignment is not None and alignment < config.emerging_min_alignment:
        short_of_emerging.append(_below("alignment", alignment, config.emerging_min_alignment))
    if not short_of_emerging:
        return "emerging", f"{summary}; not yet trusted: {', '.join(short_of_trusted)}"
    return "regular", f"{summary}; {', '.join(short_of_emerging)}"
