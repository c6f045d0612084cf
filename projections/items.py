"""Item views at an as-of date: a partnership's commitments, issues and reviews.

:class:`CommitmentList` and :class:`ReviewList` are sequences built on first use from a
snapshot of the folded facts: a report needs only the commitment counts and the latest
review, while the dashboard's partnership screen reads every item of one partnership.
:func:`issue_views` builds the issues eagerly (they are few). Item views are named tuples,
built with :data:`~trustledger.projections.facts.new_record` (what a named tuple's ``_make``
does, without the Python-level call), since a portfolio holds hundreds of thousands of them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from operator import attrgetter, countOf
from typing import overload

from trustledger.projections.alignment import compare
from trustledger.projections.config import ModelConfig
from trustledger.projections.evidence import MISSED, Evidence
from trustledger.projections.facts import (
    CommitmentFacts,
    RecoveryFacts,
    RenegotiationFacts,
    ReviewFacts,
    new_record,
)
from trustledger.projections.state import PartnershipState
from trustledger.projections.views import (
    CommitmentCounts,
    CommitmentStage,
    CommitmentView,
    IssueView,
    ReviewView,
)

_new = new_record
_kind = attrgetter("kind")


def review_view(review: ReviewFacts, config: ModelConfig) -> ReviewView:
    """A review with its per-dimension gaps and asymmetries."""
    return _review_view(review, config.asymmetry_high, config.asymmetry_low)


def _review_view(review: ReviewFacts, high: int, low: int) -> ReviewView:
    scores = dict(review.scores)
    partner = dict(review.partner_scores) if review.partner_scores else None
    gaps, flagged = compare(scores, partner, high, low)
    return _new(
        ReviewView,
        (
            review.occurred_on,
            review.position,
            scores,
            partner,
            gaps,
            review.level,
            review.gap,
            review.alignment,
            flagged,
        ),
    )


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
    facts: CommitmentFacts,
    outcome: Evidence | None,
    changes: Mapping[str, tuple[RenegotiationFacts, ...]],
    recoveries: Mapping[str, tuple[RecoveryFacts, ...]],
    as_of: date,
    current: bool,
) -> CommitmentView | None:
    """One commitment at the end of ``as_of`` (None when not yet made then).

    ``facts`` and ``outcome`` are its entries in ``PartnershipState.commitments`` and
    ``.outcomes``; ``current`` tells that ``as_of`` is on or after every folded event
    (nothing needs filtering by day).
    """
    handle = facts.handle
    if facts.made_on > as_of:
        return None
    closed_on = outcome.occurred_on if outcome is not None else None
    due = facts.due
    renegotiations = 0
    if current:
        if handle in changes:
            renegotiations = len(changes[handle])
            due = changes[handle][-1].due
    else:
        if closed_on is not None and closed_on > as_of:
            outcome = closed_on = None
        for change in changes.get(handle, ()):
            if change.occurred_on <= as_of:
                due = change.due
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
    elif outcome.kind == MISSED:
        stage = "missed"
        recovered = any(recovery.effective_on <= as_of for recovery in recoveries.get(handle, ()))
    else:
        stage = "kept"
    return _new(
        CommitmentView,
        (
            handle,
            "us" if facts.by_us else "partner",
            facts.summary,
            facts.weight,
            facts.made_on,
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

    __slots__ = (
        "_as_of",
        "_built",
        "_changes",
        "_current",
        "_outcomes",
        "_recoveries",
        "_values",
    )

    def __init__(self, ps: PartnershipState, as_of: date, current: bool) -> None:
        self._values = tuple(ps.commitments.values())
        self._outcomes = dict(ps.outcomes)
        self._changes = dict(ps.renegotiations)
        self._recoveries = dict(ps.recoveries)
        self._as_of = as_of
        self._current = current
        self._built: tuple[CommitmentView, ...] | None = None

    def _views(self) -> tuple[CommitmentView, ...]:
        if self._built is None:
            outcomes, changes, recoveries = self._outcomes, self._changes, self._recoveries
            as_of, current = self._as_of, self._current
            built = (
                commitment_view(
                    facts, outcomes.get(facts.handle), changes, recoveries, as_of, current
                )
                for facts in self._values
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
        overdue_views: list[CommitmentView] = []
        changes, outcomes, as_of = self._changes, self._outcomes, self._as_of
        for facts in self._values:
            handle = facts.handle
            if handle in outcomes:
                continue
            due = changes[handle][-1].due if handle in changes else facts.due
            if due < as_of:
                view = commitment_view(facts, None, changes, self._recoveries, as_of, True)
                if view is not None:
                    overdue_views.append(view)
        missed = countOf(map(_kind, outcomes.values()), MISSED)
        kept = len(outcomes) - missed
        counts = (len(self._values) - len(outcomes), len(overdue_views), kept, missed)
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
        raised_on = issue.raised_on
        if raised_on > as_of:
            continue
        resolved, resolution = issue.resolved_on, issue.resolution
        if resolved is not None and resolved > as_of:
            resolved = resolution = None
        days_open = ((resolved or as_of) - raised_on).days
        views.append(
            _new(
                IssueView,
                (
                    issue.handle,
                    issue.summary,
                    issue.severity,
                    issue.commitment,
                    issue.partner_card,
                    raised_on,
                    resolved,
                    resolution,
                    days_open,
                ),
            )
        )
    return tuple(views)
