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
