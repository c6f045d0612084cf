"""Short words for event types and statuses, shared by the tables and the dashboard."""

from __future__ import annotations

EVENT_LABELS = {
    "partnership_registered": "registered",
    "commitment_made": "committed",
    "commitment_renegotiated": "renegotiated",
    "commitment_kept": "kept",
    "commitment_missed": "missed",
    "review_held": "review",
    "issue_raised": "issue",
    "issue_resolved": "resolved",
    "revenue_recorded": "revenue",
    "partnership_ended": "ended",
}


def event_label(event_type: str) -> str:
    return EVENT_LABELS.get(event_type, event_type)


# A symbol per status, so the status reads without colour (16-colour terminals, the
# colour-blind, copy-paste into a ticket).
STATUS_SYMBOLS = {
    "trusted": "✔",
    "emerging": "↗",
    "regular": "●",
    "at_risk": "▲",
    "unproven": "?",
    "ended": "✖",
}

STATUS_WORDS = {
    "trusted": "trusted",
    "emerging": "emerging",
    "regular": "regular",
    "at_risk": "at risk",
    "unproven": "unproven",
    "ended": "ended",
}


def status_label(status: str) -> str:
    """``✔ trusted``, ``▲ at risk`` …"""
    return f"{STATUS_SYMBOLS.get(status, ' ')} {STATUS_WORDS.get(status, status)}"
