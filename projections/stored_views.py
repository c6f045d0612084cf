"""Lean partnership views as plain data: what the shared read model keeps for today's portfolio.

The read model's state rows (:mod:`~trustledger.projections.persist`) hold every fact of every
partnership: enough to answer for any day, and as big as the history. Today's portfolio needs
far less: each partnership's figures, status, open issues, alerts and sparkline. Those are
kept beside the state rows, one *view row* per partnership, computed for one day (the read
model's ``views_day``), so that a dashboard, a ``serve`` session or ``report`` for that day
starts from a few kilobytes per partnership instead of its whole history.

A view read back is *lean* (:attr:`PartnershipView.detailed` False): it has every figure of
the full view, its open issues and its alerts, but no commitments or reviews (the
partnership's history gives those when it is opened). :func:`lean` makes the same of a full
view, so ``view_from_data(view_data(v)) == lean(v)`` for every view ``v``, float for float.

Revenue shares are not kept: they depend on the whole portfolio's revenue, and are filled in
when the portfolio is assembled (:func:`~trustledger.projections.portfolio.with_share`), as
for any view a follower caches. Nothing here is code to run: data of another shape raises
:class:`~trustledger.projections.persist.BadStateData` and the caller rebuilds.

:data:`VIEW_FORMAT` names this layout (it is part of the read model's key).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from trustledger.projections.persist import BadStateData
from trustledger.projections.views import (
    Alert,
    Asymmetry,
    CommitmentCounts,
    IssueView,
    PartnershipView,
    TrendPoint,
    changed_view,
)

#: The layout of a stored view row (bump it when the layout, or what a view holds, changes).
VIEW_FORMAT = 1

_fromordinal = date.fromordinal
_new = tuple.__new__


def _day(value: date | None) -> int | None:
    return None if value is None else value.toordinal()


def _maybe_day(value: int | None) -> date | None:
    return None if value is None else _fromordinal(value)


def lean(view: PartnershipView) -> PartnershipView:
    """``view`` as a view row gives it back: without commitments, reviews, closed issues
    and revenue share (and its concentration alert)."""
    return changed_view(
        view,
        commitments=(),
        reviews=(),
        issues=tuple(issue for issue in view.issues if issue.is_open),
        revenue_share=None,
        alerts=tuple(alert for alert in view.alerts if alert.kind != "concentration"),
        detailed=False,
    )


def view_data(view: PartnershipView, spark: Sequence[TrendPoint]) -> list[Any]:
    """One partnership's lean view and sparkline as JSON-ready data."""
    counts = view.counts
    return [
        view.handle,
        view.name,
        view.kind,
        view.owner,
        view.review_every_days,
        view.registered_on.toordinal(),
        _day(view.ended_on),
        view.status,
        view.reason,
        [
            view.trust,
            view.trust_uncertainty,
            view.trust_window_start,
            view.our_reliability,
            view.partner_reliability,
            view.outcomes,
            view.alignment,
            view.perception_gap,
            view.revenue_12m,
        ],
        [list(asymmetry) for asymmetry in view.asymmetries],
        [counts.open, counts.overdue, counts.kept, counts.missed],
        [
            [
                issue.handle,
                issue.summary,
                issue.severity,
                issue.commitment,
                issue.partner_card,
                issue.raised_on.toordinal(),
                issue.days_open,
            ]
            for issue in view.issues
            if issue.is_open
        ],
        _day(view.last_review),
        _day(view.next_review_due),
        [list(alert) for alert in view.alerts if alert.kind != "concentration"],
        [[point.on.toordinal(), point.trust, point.alignment] for point in spark],
    ]


def view_from_data(data: Any) -> tuple[PartnershipView, list[TrendPoint]]:
    """The lean view and sparkline :func:`view_data` gave ``data`` for; :class:`BadStateData`
    when ``data`` does not have that shape."""
    try:
        return _rebuild(data)
    except BadStateData:
        raise
    except (KeyError, IndexError, TypeError, ValueError, AttributeError, OverflowError) as exc:
        raise BadStateData(f"stored view has another shape: {type(exc).__name__}: {exc}") from None


def _rebuild(data: list[Any]) -> tuple[PartnershipView, list[TrendPoint]]:
    # Ten thousand of these make a big portfolio's first screen: positional arguments, and
    # tuples made directly (their number of values checked where unpacking does not).
    if not isinstance(data, list) or len(data) != 17:
        raise BadStateData("stored view is not a list of 17 values")
    (
        handle,
        name,
        kind,
        owner,
        review_every_days,
        registered_on,
        ended_on,
        status,
        reason,
        figures,
        asymmetries,
        counts,
        issues,
        last_review,
        next_review_due,
        alerts,
        spark,
    ) = data
    (
        trust,
        uncertainty,
        window_start,
        ours,
        theirs,
        outcomes,
        alignment,
        gap,
        revenue,
    ) = figures
    _texts(handle, name, kind, reason)
    if owner is not None:
        _texts(owner)
    open_issues = []
    for issue_handle, summary, severity, commitment, card, raised_on, days_open in issues:
        _texts(issue_handle, summary)
        open_issues.append(
            _new(
                IssueView,
                (
                    issue_handle,
                    summary,
                    severity,
                    commitment,
                    bool(card),
                    _fromordinal(raised_on),
                    None,
                    None,
                    int(days_open),
                ),
            )
        )
    view = PartnershipView(
        handle,
        name,
        kind,
        owner,
        int(review_every_days),
        _fromordinal(registered_on),
        _maybe_day(ended_on),
        status,
        reason,
        float(trust),
        float(uncertainty),
        float(window_start),
        float(ours),
        float(theirs),
        int(outcomes),
        None if alignment is None else float(alignment),
        None if gap is None else float(gap),
        _tuples(Asymmetry, asymmetries),
        (),
        CommitmentCounts(*counts),
        tuple(open_issues),
        (),
        _maybe_day(last_review),
        _maybe_day(next_review_due),
        float(revenue),
        None,
        _tuples(Alert, alerts),
        False,
    )
    points = [
        _new(TrendPoint, (_fromordinal(on), float(point_trust), None if al is None else float(al)))
        for on, point_trust, al in spark
    ]
    return view, points


def _tuples(cls: Any, rows: list[Any]) -> tuple[Any, ...]:
    """``rows`` as named tuples of ``cls``, each of its number of values."""
    made = tuple([_new(cls, row) for row in rows])
    size = len(cls._fields)
    for row in made:
        if len(row) != size:
            raise BadStateData(f"stored {cls.__name__} has {len(row)} values, not {size}")
    return made


def _texts(*values: Any) -> None:
    for value in values:
        if type(value) is not str:
            raise BadStateData(f"expected text, found {type(value).__name__}")


def with_items(view: PartnershipView, full: PartnershipView) -> PartnershipView:
    """The lean ``view`` with the commitments, reviews and issues of ``full`` (the same
    partnership's view folded from its history): every figure stays ``view``'s."""
    return changed_view(
        view,
        commitments=full.commitments,
        reviews=full.reviews,
        issues=full.issues,
        detailed=True,
    )
