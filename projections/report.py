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

from collections.abc import Callable
from typing import Any, TypeVar

from trustledger.projections.follower import SharedViews
from trustledger.projections.stored_views import StoredView
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

T = TypeVar("T")

DIGITS = 4


def report_row(view: PartnershipView, model_version: str) -> dict[str, Any]:
    """The contract's JSON object for one partnership."""
    # Ten thousand of these make a big portfolio's report: rounding and alert objects are
    # written out here rather than called for, value by value.
    counts = view.counts
    alignment, gap, share = view.alignment, view.perception_gap, view.revenue_share
    last_review, next_review = view.last_review, view.next_review_due
    alerts = view.alerts
    return {
        "partnership": view.handle,
        "name": view.name,
        "kind": view.kind,
        "status": view.status,
        "status_reason": view.reason,
        "trust": round(view.trust, DIGITS),
        "trust_uncertainty": round(view.trust_uncertainty, DIGITS),
        "our_reliability": round(view.our_reliability, DIGITS),
        "partner_reliability": round(view.partner_reliability, DIGITS),
        "alignment": None if alignment is None else round(alignment, DIGITS),
        "perception_gap": None if gap is None else round(gap, DIGITS),
        "commitments": {
            "open": counts.open,
            "overdue": counts.overdue,
            "kept": counts.kept,
            "missed": counts.missed,
        },
        "open_issues": sum(1 for issue in view.issues if issue.is_open),
        "last_review": None if last_review is None else last_review.isoformat(),
        "next_review_due": None if next_review is None else next_review.isoformat(),
        "revenue_share": None if share is None else round(share, DIGITS),
        "alerts": [alert.message for alert in alerts],
        "model_version": model_version,
        "alert_details": [
            {
                "kind": kind,
                "subject_kind": subject_kind,
                "subject": subject,
                "message": message,
            }
            for kind, _, message, subject_kind, subject in alerts
        ],
    }


def stored_report_row(
    stored: StoredView, share: float | None, extra: list[Alert], model_version: str
) -> dict[str, Any]:
    """:func:`report_row` of the view ``stored`` holds, with its revenue ``share`` and
    ``extra`` alerts (its concentration alert), read from its view row without making the
    view: the same row, value for value. :class:`BadStateData` when the row has another
    shape."""
    parts = stored.report_parts()
    alerts = parts.alerts
    if extra:
        alerts = [*alerts, *map(list, extra)]
    alignment, gap = parts.alignment, parts.perception_gap
    counts = stored.counts
    last_review, next_review = parts.last_review, stored.next_review_due
    return {
        "partnership": stored.handle,
        "name": stored.name,
        "kind": stored.kind,
        "status": stored.status,
        "status_reason": stored.reason,
        "trust": round(stored.trust, DIGITS),
        "trust_uncertainty": round(stored.trust_uncertainty, DIGITS),
        "our_reliability": round(parts.our_reliability, DIGITS),
        "partner_reliability": round(parts.partner_reliability, DIGITS),
        "alignment": None if alignment is None else round(alignment, DIGITS),
        "perception_gap": None if gap is None else round(gap, DIGITS),
        "commitments": {
            "open": counts.open,
            "overdue": counts.overdue,
            "kept": counts.kept,
            "missed": counts.missed,
        },
        "open_issues": stored.open_issue_count,
        "last_review": None if last_review is None else last_review.isoformat(),
        "next_review_due": None if next_review is None else next_review.isoformat(),
        "revenue_share": None if share is None else round(share, DIGITS),
        "alerts": [alert[2] for alert in alerts],
        "model_version": model_version,
        "alert_details": [
            {
                "kind": kind,
                "subject_kind": subject_kind,
                "subject": subject,
                "message": message,
            }
            for kind, _, message, subject_kind, subject in alerts
        ],
    }


def report_rows(portfolio: Portfolio) -> list[dict[str, Any]]:
    """One row per partnership, sorted by handle (see the module docstring for the keys).

    A view still as read from its view row (today's portfolio from the shared read model) is
    reported from the row (:func:`stored_report_row`): a report of ten thousand partnerships
    then makes no view. :class:`BadStateData` when such a row has another shape."""
    version = portfolio.model_version
    return each_listed(
        portfolio,
        lambda view: report_row(view, version),
        lambda stored, share, extra: stored_report_row(stored, share, extra, version),
    )


def listed_alerts(portfolio: Portfolio) -> list[Alert]:
    """``portfolio.alerts``, those of views still as read from view rows read from the rows
    (:meth:`StoredView.report_parts`) without making the views. :class:`BadStateData` when
    such a row has another shape."""
    found = each_listed(
        portfolio,
        lambda view: view.alerts,
        lambda stored, _, extra: [*(Alert(*a) for a in stored.report_parts().alerts), *extra],
    )
    return [alert for alerts in found for alert in alerts]


def each_listed(
    portfolio: Portfolio,
    made: Callable[[PartnershipView], T],
    stored: Callable[[StoredView, float | None, list[Alert]], T],
) -> list[T]:
    """For each partnership, sorted by handle: ``made(view)`` of its view with its revenue
    share, or when the view is still as read from its view row, ``stored(row, share,
    concentration alert)`` (:meth:`SharedViews.unmade`), which makes no view."""
    by_handle = portfolio.by_handle
    if not isinstance(by_handle, SharedViews):
        return [made(view) for view in sorted(portfolio.partnerships, key=lambda v: v.handle)]
    found = []
    for handle in by_handle:  # sorted
        unmade = by_handle.unmade(handle)
        found.append(made(by_handle[handle]) if unmade is None else stored(*unmade))
    return found
