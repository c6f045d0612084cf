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
view, so ``stored_view(view_body(v, s)).made() == (lean(v), s)`` for every view ``v`` and
sparkline ``s``, float for float.

A row is read in two steps (:class:`StoredView`): what a portfolio is counted and ordered by
at once, the rest when the view is first asked for. A first screen of ten thousand
partnerships so makes the views of the rows it draws, not of all.

Revenue shares are not kept: they depend on the whole portfolio's revenue, and are filled in
when the portfolio is assembled (:func:`~trustledger.projections.portfolio.with_share`), as
for any view a follower caches. Nothing here is code to run: data of another shape raises
:class:`~trustledger.projections.persist.BadStateData` and the caller rebuilds.

:data:`VIEW_FORMAT` names this layout (it is part of the read model's key).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, NamedTuple

import orjson
from trustledger.projections.persist import BadStateData
from trustledger.projections.views import (
    STATUSES,
    Alert,
    Asymmetry,
    CommitmentCounts,
    IssueView,
    PartnershipView,
    Status,
    TrendPoint,
    changed_view,
)

#: The layout of a stored view row (bump it when the layout, or what a view holds, changes).
VIEW_FORMAT = 2

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


def view_body(view: PartnershipView, spark: Sequence[TrendPoint]) -> bytes:
    """One partnership's lean view and sparkline as a view row's body: a JSON *head* of
    the figures a portfolio is counted, filtered and ordered by, a newline, and a JSON
    *tail* of the rest (asymmetries, open issues, alerts, sparkline). A start reads every
    head and each tail when its view is first asked for (:class:`StoredView`)."""
    counts = view.counts
    issues = [issue for issue in view.issues if issue.is_open]
    alerts = [list(alert) for alert in view.alerts if alert.kind != "concentration"]
    head = [
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
        [counts.open, counts.overdue, counts.kept, counts.missed],
        _day(view.last_review),
        _day(view.next_review_due),
        len(issues),
        len(alerts),
    ]
    tail = [
        [list(asymmetry) for asymmetry in view.asymmetries],
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
            for issue in issues
        ],
        alerts,
        [[point.on.toordinal(), point.trust, point.alignment] for point in spark],
    ]
    return orjson.dumps(head) + b"\n" + orjson.dumps(tail)


def stored_view(body: bytes) -> StoredView:
    """The view a view row's ``body`` holds (:func:`view_body`), its head read and checked;
    :class:`BadStateData` when it has another shape."""
    head, newline, tail = body.partition(b"\n")
    try:
        if not newline:
            raise BadStateData("stored view has no tail")
        return StoredView(orjson.loads(head), tail)
    except BadStateData:
        raise
    except (orjson.JSONDecodeError, *_SHAPE_ERRORS) as exc:
        raise _another_shape(exc) from None


_SHAPE_ERRORS = (KeyError, IndexError, TypeError, ValueError, AttributeError, OverflowError)


def _another_shape(exc: Exception) -> BadStateData:
    """What a row whose reading raised ``exc`` (one of :data:`_SHAPE_ERRORS`) is refused with."""
    return BadStateData(f"stored view has another shape: {type(exc).__name__}: {exc}")


class ReportParts(NamedTuple):
    """What a report reads of a view row besides its head's checked values
    (:meth:`StoredView.report_parts`); each alert is a list of :class:`~.views.Alert`'s
    values."""

    our_reliability: float
    partner_reliability: float
    alignment: float | None
    perception_gap: float | None
    last_review: date | None
    alerts: list[list[Any]]


class StoredView:
    """One partnership's lean view as its view row holds it (see :func:`view_body`).

    What a portfolio is counted, filtered and ordered by (:class:`~.views.Listed`) is read
    from the head at once; the view itself and the sparkline are made from the tail when
    first asked for (:meth:`made`), and kept. A start of ten thousand partnerships so reads
    the figures of all and makes the views of the forty rows on screen; the rest are made
    right after its first picture (:meth:`~.follower.Follower.complete`). Making them may
    find a tail of another shape: :class:`BadStateData`, as for a head.

    Two threads may make the same view at once (the screen draws a row while the follower
    completes its views): each makes an equal one, and either is kept.
    """

    __slots__ = (
        "_head",
        "_made",
        "_tail",
        "alert_count",
        "alignment",
        "counts",
        "handle",
        "kind",
        "name",
        "next_review_due",
        "open_issue_count",
        "owner",
        "reason",
        "revenue_12m",
        "status",
        "trust",
        "trust_uncertainty",
    )

    #: A view row holds a lean view (no commitments or reviews).
    detailed = False

    def __init__(self, head: list[Any], tail: bytes) -> None:
        if not isinstance(head, list) or len(head) != 15:
            raise BadStateData("stored view head is not a list of 15 values")
        handle, name, kind, owner, _, _, _, status, reason, figures, counts = head[:11]
        _texts(handle, name, kind, reason)
        if owner is not None:
            _texts(owner)
        if status not in STATUSES:
            raise BadStateData(f"stored view has an unknown status {status!r}")
        if not isinstance(figures, list) or len(figures) != 9:
            raise BadStateData("stored view figures are not a list of 9 values")
        alignment = figures[6]
        self.handle: str = handle
        self.name: str = name
        self.kind: str = kind
        self.owner: str | None = owner
        self.status: Status = status
        self.reason: str = reason
        self.trust = float(figures[0])
        self.trust_uncertainty = float(figures[1])
        self.alignment = None if alignment is None else float(alignment)
        self.revenue_12m = float(figures[8])
        self.counts = CommitmentCounts(*map(int, counts))
        self.next_review_due = _maybe_day(head[12])
        self.open_issue_count = int(head[13])
        self.alert_count = int(head[14])
        self._head = head
        self._tail: bytes | None = tail
        self._made: tuple[PartnershipView, list[TrendPoint]] | None = None

    def made(self) -> tuple[PartnershipView, list[TrendPoint]]:
        """The lean view and sparkline (made from the tail the first time)."""
        made = self._made
        if made is None:
            tail = self._tail
            if tail is None:  # another thread made them in between
                made = self._made
                assert made is not None
                return made
            try:
                made = _rebuild(self._head, orjson.loads(tail))
            except BadStateData:
                raise
            except (orjson.JSONDecodeError, *_SHAPE_ERRORS) as exc:
                raise _another_shape(exc) from None
            view = made[0]
            if len(view.issues) != self.open_issue_count or len(view.alerts) != self.alert_count:
                raise BadStateData("stored view counts disagree with its issues or alerts")
            self._made = made
            self._tail = None
        return made

    def report_parts(self) -> ReportParts:
        """What a report reads of the row beyond the head's checked values: a few more of its
        figures and the tail's alerts. The tail is read for them (not kept), and checked as
        far as a report reads it (the alerts' shape, the head's counts of issues and
        alerts). :class:`BadStateData` when it has another shape."""
        tail = self._tail  # read first: it is let go only once the view is made
        if tail is None:
            view = self.made()[0]
            return ReportParts(
                view.our_reliability,
                view.partner_reliability,
                view.alignment,
                view.perception_gap,
                view.last_review,
                [list(alert) for alert in view.alerts],
            )
        try:
            _, issues, alerts, _ = orjson.loads(tail)
            if len(issues) != self.open_issue_count or len(alerts) != self.alert_count:
                raise BadStateData("stored view counts disagree with its issues or alerts")
            for alert in alerts:
                if type(alert) is not list or len(alert) != len(Alert._fields):
                    raise BadStateData(f"stored Alert is not a list of {len(Alert._fields)}")
                kind, partnership, message, subject_kind, subject = alert
                _texts(kind, partnership, message)
                _maybe_texts(subject_kind, subject)
            figures = self._head[9]
            gap = figures[7]
            return ReportParts(
                float(figures[3]),
                float(figures[4]),
                self.alignment,
                None if gap is None else float(gap),
                _maybe_day(self._head[11]),
                alerts,
            )
        except BadStateData:
            raise
        except (orjson.JSONDecodeError, *_SHAPE_ERRORS) as exc:
            raise _another_shape(exc) from None

    @property
    def is_made(self) -> bool:
        """Whether the view and sparkline are made yet."""
        return self._made is not None

    @property
    def view(self) -> PartnershipView:
        return self.made()[0]

    @property
    def spark(self) -> list[TrendPoint]:
        return self.made()[1]

    def shown(self) -> tuple[PartnershipView, list[TrendPoint]]:
        """What to show: :meth:`made`, or when the tail has another shape, the view of the
        head alone (every figure, no issues, alerts or sparkline) and no sparkline. A screen
        drawing a row never fails on it; the follower's :meth:`~.follower.Follower.complete`
        finds the row and the start goes on without it."""
        try:
            return self.made()
        except BadStateData:
            return _rebuild(self._head, [[], [], [], []])[0], []


def made_view(view: PartnershipView | StoredView) -> PartnershipView:
    """``view`` as a :class:`PartnershipView` (made from its view row's tail, if it is one:
    :meth:`StoredView.shown`)."""
    return view.shown()[0] if isinstance(view, StoredView) else view


def _rebuild(head: list[Any], tail: Any) -> tuple[PartnershipView, list[TrendPoint]]:
    # Ten thousand of these make a big portfolio's views: positional arguments, and
    # tuples made directly (their number of values checked where unpacking does not).
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
        counts,
        last_review,
        next_review_due,
        _,
        _,
    ) = head
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
    asymmetries, issues, alerts, spark = tail
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


def _maybe_texts(*values: Any) -> None:
    for value in values:
        if value is not None and type(value) is not str:
            raise BadStateData(f"expected text or null, found {type(value).__name__}")


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
