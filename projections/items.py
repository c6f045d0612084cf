"""Item views at an as-of date: a partnership's commitments, issues and reviews.

:class:`CommitmentList` and :class:`ReviewList` are sequences built on first use from a
snapshot of the folded facts: a report needs only the commitment counts and the latest
review, while the dashboard's partnership screen reads every item of one partnership.
:func:`issue_views` builds the issues eagerly (they are few). Item views are named tuples,
built with ``tuple.__new__`` (what a named tuple's ``_make`` does, without the Python-level
call), since a portfolio holds hundreds of thousands of them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import overload

from trustledger.projections.alignment import compare
from trustledger.projections.config import ModelConfig
from trustledger.projections.state import (
    C_DUE,
    C_HANDLE,
    C_LENGTH,
    MISSED,
    ClosedFacts,
    CommitmentFacts,
    PartnershipState,
    RecoveryFacts,
    RenegotiationFacts,
    ReviewFacts,
)
from trustledger.projections.views import (
    CommitmentCounts,
    CommitmentStage,
    CommitmentView,
    IssueView,
    ReviewView,
)

_new = tuple.__new__


def review_view(review: ReviewFacts, config: ModelConfig) -> ReviewView:
    """A review with its per-dimension gaps and asymmetries."""
    return _review_view(review, config.asymmetry_high, config.asymmetry_low)


def _review_view(review: ReviewFacts, high: int, low: int) -> ReviewView:
    day, position, score_pairs, partner_pairs, level, gap, alignment = review
    scores = dict(score_pairs)
    partner = dict(partner_pairs) if partner_pairs else None
    gaps, flagged = compare(scores, partner, high, low)
    return _new(ReviewView, (day, position, scores, partner, gaps, level, gap, alignment, flagged))


class ReviewList(Sequence[ReviewView]):
    """A view's reviews (by day), built on first use: a report needs none of them.

    Compares equal to another list of the same reviews, or to any sequence of the same
    :class:`ReviewView` items.
    """

    __slots__ = ("_built", "_high", "_low", "facts")

    def __init__(self, facts: Sequence[ReviewFacts], config: ModelConfig) -> None:
        self.facts = tuple(facts)
        self._high = config.asymmetry_high
        self._low = config.asymmetry_low
        self._built: tuple[ReviewView, ...] | None = None

    def _views(self) -> tuple[ReviewView, ...]:
        if self._built is None:
            high, low = self._high, self._low
            self._built = tuple(_review_view(review, high, low) for review in self.facts)
        return self._built

    @overload
    def __getitem__(self, index: int) -> ReviewView: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[ReviewView, ...]: ...
    def __getitem__(self, index: int | slice) -> ReviewView | tuple[ReviewView, ...]:
        return self._views()[index]

    def __len__(self) -> int:
        return len(self.facts)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ReviewList):
            return (self.facts, self._high, self._low) == (other.facts, other._high, other._low)
        if isinstance(other, Sequence):
            return self._views() == tuple(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"ReviewList({list(self._views())!r})"


def commitment_view(
    value: CommitmentFacts | ClosedFacts,
    changes: Mapping[str, tuple[RenegotiationFacts, ...]],
    recoveries: Mapping[str, tuple[RecoveryFacts, ...]],
    as_of: date,
    current: bool,
) -> CommitmentView | None:
    """One commitment at the end of ``as_of`` (None when not yet made then).

    ``value`` is its entry in ``PartnershipState.commitments``; ``current`` tells that
    ``as_of`` is on or after every folded event (nothing needs filtering by day).
    """
    if len(value) == C_LENGTH:
        facts, outcome, closed_on = value, None, None
    else:
        facts, outcome, closed_on, _ = value  # type: ignore[misc]
    handle, by_us, summary, weight, made_on, _, due = facts  # type: ignore[misc]
    if made_on > as_of:
        return None
    renegotiations = 0
    if current:
        if handle in changes:
            renegotiations = len(changes[handle])
            due = changes[handle][-1][1]
    else:
        if closed_on is not None and closed_on > as_of:
            outcome = closed_on = None
        for occurred_on, new_due, _ in changes.get(handle, ()):
            if occurred_on <= as_of:
                due = new_due
                renegotiations += 1
    days_overdue = 0
    recovered = False
    stage: CommitmentStage
    if outcome is None:
        if due < as_of:
            stage = "overdue"
            days_overdue = (as_of - due).days
        else:
            stage = "open"
    elif outcome == MISSED:
        stage = "missed"
        recovered = any(recovery[0] <= as_of for recovery in recoveries.get(handle, ()))
    else:
        stage = "kept"
    return _new(
        CommitmentView,
        (
            handle,
            "us" if by_us else "partner",
            summary,
            weight,
            made_on,
            due,
            stage,
            closed_on,
            days_overdue,
            renegotiations,
            recovered,
        ),
    )


class CommitmentList(Sequence[CommitmentView]):
    """A view's commitments (in the order made), built on first use: a report needs only the
    counts. It keeps a snapshot of the facts, so a follower moving on does not change it.

    Compares equal to any sequence of the same :class:`CommitmentView` items.
    """

    __slots__ = ("_as_of", "_built", "_changes", "_current", "_recoveries", "_values")

    def __init__(self, ps: PartnershipState, as_of: date, current: bool) -> None:
        self._values = tuple(ps.commitments.values())
        self._changes = dict(ps.renegotiations)
        self._recoveries = dict(ps.recoveries)
        self._as_of = as_of
        self._current = current
        self._built: tuple[CommitmentView, ...] | None = None

    def _views(self) -> tuple[CommitmentView, ...]:
        if self._built is None:
            changes, recoveries, as_of, current = (
                self._changes,
                self._recoveries,
                self._as_of,
                self._current,
            )
            built = (
                commitment_view(value, changes, recoveries, as_of, current)
                for value in self._values
            )
            self._built = tuple(view for view in built if view is not None)
        return self._built

    def counts(self) -> tuple[CommitmentCounts, list[CommitmentView]]:
        """The counts by stage and the overdue commitments (without building every view)."""
        if not self._current:
            views = self._views()
            stages = [view.stage for view in views]
            overdue = [view for view in views if view.stage == "overdue"]
            counts = (
                stages.count("open") + len(overdue),
                len(overdue),
                stages.count("kept"),
                stages.count("missed"),
            )
            return _new(CommitmentCounts, counts), overdue
        # Current: every commitment had been made, every outcome had happened.
        open_count = kept = missed = 0
        overdue_views: list[CommitmentView] = []
        changes, as_of, open_length = self._changes, self._as_of, C_LENGTH
        for value in self._values:
            if len(value) == open_length:
                open_count += 1
                handle = value[C_HANDLE]
                due = changes[handle][-1][1] if handle in changes else value[C_DUE]
                if due < as_of:
                    view = commitment_view(value, changes, self._recoveries, as_of, True)
                    overdue_views.append(view)  # type: ignore[arg-type]
            elif value[1] == MISSED:
                missed += 1
            else:
                kept += 1
        counts = (open_count, len(overdue_views), kept, missed)
        return _new(CommitmentCounts, counts), overdue_views

    @overload
    def __getitem__(self, index: int) -> CommitmentView: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[CommitmentView, ...]: ...
    def __getitem__(self, index: int | slice) -> CommitmentView | tuple[CommitmentView, ...]:
        return self._views()[index]

    def __len__(self) -> int:
        return len(self._views())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence):
            return self._views() == tuple(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"CommitmentList({list(self._views())!r})"


def issue_views(ps: PartnershipState, as_of: date) -> tuple[IssueView, ...]:
    """The issues raised by the end of ``as_of``, in the order raised."""
    views: list[IssueView] = []
    for issue in ps.issues.values():
        (
            handle,
            summary,
            severity,
            commitment,
            partner_card,
            raised_on,
            _,
            resolved,
            _,
            resolution,
        ) = issue
        if raised_on > as_of:
            continue
        if resolved is not None and resolved > as_of:
            resolved = resolution = None
        days_open = ((resolved or as_of) - raised_on).days
        views.append(
            _new(
                IssueView,
                (
                    handle,
                    summary,
                    severity,
                    commitment,
                    partner_card,
                    raised_on,
                    resolved,
                    resolution,
                    days_open,
                ),
            )
        )
    return tuple(views)
