"""The contract's report rows: one JSON-ready dict per partnership, sorted by handle.

Keys (docs/CONTRACT.md, ``report --format json``): ``partnership``, ``name``, ``kind``, ``status``,
``trust``, ``trust_uncertainty``, ``our_reliability``, ``partner_reliability``, ``alignment``
(null before the first review), ``perception_gap`` (null before the first review),
``commitments`` (``{"open", "overdue", "kept", "missed"}``: ``open`` counts every commitment
not yet kept or missed, the overdue ones included; ``overdue`` is that subset), ``open_issues``,
``last_review``, ``next_review_due`` (null once ended), ``revenue_share`` (null when no revenue
was recorded in the 12-month window), ``alerts`` (messages), plus ``status_reason`` and
``model_version``: :data:`REPORT_KEYS`, in order, the columns of the CSV too. The JSON rows
also carry ``alert_details`` (:data:`JSON_ONLY_KEYS`): one object per alert, in the order of
``alerts``, with its ``kind``, ``subject_kind`` (``commitment``, ``issue``, ``review`` or
null), ``subject`` (the commitment's or issue's handle, the review's position as text, or
null) and ``message``. Floats are rounded to 4 places, dates are ISO strings.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from trustledger.projections.views import Alert, PartnershipView, Portfolio

REPORT_KEYS: tuple[str, ...] = (
    "partnership",
    "name",
    "kind",
    "status",
    "status_reason",
    "trust",
    "trust_uncertainty",
    "our_reliability",
    "partner_reliability",
    "alignment",
    "perception_gap",
    "commitments",
    "open_issues",
    "last_review",
    "next_review_due",
    "revenue_share",
    "alerts",
    "model_version",
)

JSON_ONLY_KEYS: tuple[str, ...] = ("alert_details",)

DIGITS = 4


def _number(value: float | None) -> float | None:
    return None if value is None else round(value, DIGITS)


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def alert_detail(alert: Alert) -> dict[str, str | None]:
    """One alert as an ``alert_details`` object."""
    return {
        "kind": alert.kind,
        "subject_kind": alert.subject_kind,
        "subject": alert.subject,
        "message": alert.message,
    }


def report_row(view: PartnershipView, model_version: str) -> dict[str, Any]:
    """The contract's JSON object for one partnership."""
    counts = view.counts
    return {
        "partnership": view.handle,
        "name": view.name,
        "kind": view.kind,
        "status": view.status,
        "status_reason": view.reason,
        "trust": _number(view.trust),
        "trust_uncertainty": _number(view.trust_uncertainty),
        "our_reliability": _number(view.our_reliability),
        "partner_reliability": _number(view.partner_reliability),
        "alignment": _number(view.alignment),
        "perception_gap": _number(view.perception_gap),
        "commitments": {
            "open": counts.open,
            "overdue": counts.overdue,
            "kept": counts.kept,
            "missed": counts.missed,
        },
        "open_issues": sum(1 for issue in view.issues if issue.is_open),
        "last_review": _day(view.last_review),
        "next_review_due": _day(view.next_review_due),
        "revenue_share": _number(view.revenue_share),
        "alerts": view.alert_messages,
        "model_version": model_version,
        "alert_details": [alert_detail(alert) for alert in view.alerts],
    }


def report_rows(portfolio: Portfolio) -> list[dict[str, Any]]:
    """One row per partnership, sorted by handle (see the module docstring for the keys)."""
    views = sorted(portfolio.partnerships, key=lambda view: view.handle)
    return [report_row(view, portfolio.model_version) for view in views]
