"""Short words for event types and statuses, shared by the tables and the dashboard."""

from __future__ import annotations

from trustledger.domain.events import EventLine

COMMON_FIELDS = {"type", "partnership", "occurred_on", "id", "actor", "note", "recorded_at"}

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


def describe(line: EventLine) -> str:
    """An event's own fields in a few words, for tables and the timeline."""
    data = line.model_dump(mode="json", exclude_none=True, exclude=COMMON_FIELDS)
    parts = []
    for key, value in data.items():
        if isinstance(value, dict):
            value = " ".join(f"{k}={v}" for k, v in value.items())
        parts.append(f"{key}={value}")
    if line.note:
        parts.append(f"note={line.note}")
    return ", ".join(parts)
