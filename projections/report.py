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

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, TypeVar

from trustledger.projections.follower import SharedViews
from trustledger.projections.stored_views import StoredView
from trustledger.projections.views import Alert, Listed, PartnershipView, Portfolio

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
    return _row(
        view,
        view.our_reliability,
        view.partner_reliability,
        view.alignment,
        view.perception_gap,
        view.last_review,
        view.revenue_share,
        view.alerts,
        model_version,
    )


def stored_report_row(
    stored: StoredView, share: float | None, extra: list[Alert], model_version: str
) -> dict[str, Any]:
    """:func:`report_row` of the view ``stored`` holds, with its revenue ``share`` and
    ``extra`` alerts (its concentration alert), read from its view row without making the
    view: the same row, value for value. :class:`BadStateData` when the row has another
    shape."""
    parts = stored.report_parts()
    alerts: Sequence[Sequence[Any]] = parts.alerts
    if extra:
        alerts = [*alerts, *extra]
    return _row(
        stored,
        parts.our_reliability,
        parts.partner_reliability,
        parts.alignment,
        parts.perception_gap,
        parts.last_review,
        share,
        alerts,
        model_version,
    )


def _row(
    listed: Listed,
    ours: float,
    theirs: float,
    alignment: float | None,
    gap: float | None,
    last_review: date | None,
    share: float | None,
    alerts: Sequence[Sequence[Any]],
    model_version: str,
) -> dict[str, Any]:
    """The JSON object of ``listed`` and the rest of its figures; each alert holds
    :class:`Alert`'s values, in order."""
    # Ten thousand of these make a big portfolio's report: rounding and alert objects are
    # written out here rather than called for, value by value.
    counts = listed.counts
    next_review = listed.next_review_due
    return {
        "partnership": listed.handle,
        "name": listed.name,
        "kind": listed.kind,
        "status": listed.status,
        "status_reason": listed.reason,
        "trust": round(listed.trust, DIGITS),
        "trust_uncertainty": round(listed.trust_uncertainty, DIGITS),
        "our_reliability": round(ours, DIGITS),
        "partner_reliability": round(theirs, DIGITS),
        "alignment": None if alignment is None else round(alignment, DIGITS),
        "perception_gap": None if gap is None else round(gap, DIGITS),
        "commitments": {
            "open": counts.open,
            "overdue": counts.overdue,
            "kept": counts.kept,
            "missed": counts.missed,
        },
        "open_issues": listed.open_issue_count,
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
