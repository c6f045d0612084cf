"""The fold: per-partnership state and ``evolve(state, recorded) -> state``.

:class:`PortfolioState` maps each handle to a :class:`PartnershipState` and remembers the last
position folded. The fold keeps compact facts, never the event objects: each commitment,
outcome, renegotiation, issue, review and revenue line becomes a small immutable record
(:mod:`~trustledger.projections.facts`) in a dict of the partnership. A commitment's outcome
is its kept or missed :class:`~trustledger.projections.evidence.Evidence` item, and the
outcomes, renegotiations and recoveries live in their own dicts beside the commitments as
made, so that recording an outcome never copies (or touches) the older facts.

Alongside, each partnership keeps its accumulators: a
:class:`~trustledger.projections.evidence.TrustSums` fed every piece of evidence as it is
folded, and an :class:`~trustledger.projections.alignment.AlignmentSums` fed every review.
Both are exact for any as-of date on or after the partnership's last event, so trust and
alignment then cost O(1). For an as-of date before some of the folded events (a follower
asked about the past, "trust a month ago") :mod:`~trustledger.projections.measures` feeds a
fresh accumulator the evidence visible then: each fact knows the day from which it counts.

``evolve`` updates the state in place and returns it: the state is owned by one fold (a
replay or a :class:`~trustledger.projections.follower.Follower`) and copying it per event
would cost more than the rest of the work. Nothing here reads a clock or does I/O.

Events arrive in recording order. Lines that the domain would refuse (unknown partnership or
commitment, a second outcome, a second registration...) are skipped, so the fold is total and
deterministic on any input. What counts as evidence is decided in
:mod:`~trustledger.projections.evidence`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any, cast

from trustledger.domain.recorded import MAX_AMOUNT, Recorded
from trustledger.projections.alignment import (
    AlignmentSums,
    review_alignment,
    review_gap,
    review_level,
)
from trustledger.projections.config import DEFAULT_CONFIG, ModelConfig
from trustledger.projections.evidence import (
    KEPT,
    MISSED,
    Evidence,
    TrustSums,
    recovery_item,
)
from trustledger.projections.facts import (
    CommitmentFacts,
    IssueFacts,
    RecoveryFacts,
    RenegotiationFacts,
    RevenueFacts,
    ReviewFacts,
    new_record,
)

if TYPE_CHECKING:
    from trustledger.domain.events import EventLine, PartnershipRegistered


class PartnershipState:
    """One partnership's folded facts and its trust and alignment accumulators.

    Commitments are keyed by handle in four dicts: ``commitments`` (the facts as made, in
    the order made), ``outcomes`` (the kept or missed evidence item of each closed one, in
    recording order), ``renegotiations`` (every change, in recording order) and
    ``recoveries`` (resolutions that take back part of a miss, in recording order). Issues
    are keyed by handle; reviews and revenue by position (recording order).

    ``trust`` holds every piece of evidence folded and ``alignment`` every review, so both
    answer for any as-of date on or after the latest ``occurred_on`` folded.
    """

    __slots__ = (
        "alignment",
        "commitments",
        "end_reason",
        "ended_on",
        "ended_pos",
        "handle",
        "issues",
        "kind",
        "name",
        "outcomes",
        "owner",
        "recoveries",
        "registered_on",
        "registered_pos",
        "renegotiations",
        "revenue",
        "review_every_days",
        "reviews",
        "trust",
    )

    def __init__(self, line: PartnershipRegistered, position: int, config: ModelConfig) -> None:
        day = line.occurred_on
        assert day is not None
        self.handle: str = line.partnership
        self.name: str = line.name
        self.kind: str = line.kind
        self.owner: str | None = line.owner
        self.review_every_days: int = line.review_every_days
        self.registered_on: date = day
        self.registered_pos = position
        self.ended_on: date | None = None
        self.ended_pos = 0
        self.end_reason: str | None = None
        self.commitments: dict[str, CommitmentFacts] = {}
        self.outcomes: dict[str, Evidence] = {}
        self.renegotiations: dict[str, tuple[RenegotiationFacts, ...]] = {}
        self.recoveries: dict[str, tuple[RecoveryFacts, ...]] = {}
        self.issues: dict[str, IssueFacts] = {}
        self.reviews: dict[int, ReviewFacts] = {}
        self.revenue: dict[int, RevenueFacts] = {}
        self.trust = TrustSums(config.half_life_days, day)
        self.alignment = AlignmentSums(config.alignment_half_life_days, day)

    def is_open(self, handle: str) -> bool:
        """Whether a commitment was made and is not yet kept or missed (after every event)."""
        return handle in self.commitments and handle not in self.outcomes

    def facts(self, handle: str) -> CommitmentFacts:
        """A commitment's facts as made (KeyError when there is no such commitment)."""
        return self.commitments[handle]

    def outcome(self, handle: str) -> Evidence | None:
        """How a commitment closed, after every event (None: open, or unknown)."""
        return self.outcomes.get(handle)

    def outcome_on(self, handle: str, as_of: date) -> Evidence | None:
        """How a commitment had closed by the end of ``as_of`` (None: still open)."""
        outcome = self.outcomes.get(handle)
        return outcome if outcome is not None and outcome.occurred_on <= as_of else None

    def all_commitments(self) -> Iterator[tuple[CommitmentFacts, Evidence | None]]:
        """``(facts, outcome or None)`` of every commitment, in the order they were made."""
        outcomes = self.outcomes
        for handle, facts in self.commitments.items():
            yield facts, outcomes.get(handle)

    def closed(self) -> Iterator[tuple[CommitmentFacts, Evidence]]:
        """``(facts, kept or missed item)`` of every closed commitment, in recording order."""
        commitments = self.commitments
        for handle, outcome in self.outcomes.items():
            yield commitments[handle], outcome

    def closed_count(self) -> int:
        return len(self.outcomes)

    def due(self, handle: str) -> date:
        """A commitment's due date after every renegotiation folded."""
        changes = self.renegotiations.get(handle)
        return changes[-1].due if changes else self.commitments[handle].due

    def due_on(self, handle: str, as_of: date) -> date:
        """A commitment's due date in force at the end of ``as_of``."""
        due = self.commitments[handle].due
        for change in self.renegotiations.get(handle, ()):
            if change.occurred_on <= as_of:
                due = change.due
        return due

    def recovery_on(self, handle: str, as_of: date) -> RecoveryFacts | None:
        """The first resolution (in recording order) taking back part of a miss at ``as_of``."""
        for recovery in self.recoveries.get(handle, ()):
            if recovery.effective_on <= as_of:
                return recovery
        return None


class PortfolioState:
    """The fold's state for the whole store: partnerships by handle and the last position.

    It holds the :class:`ModelConfig` it was built with (decay and recovery are folded into
    the accumulators), so a state is only meaningful with that config. ``max_day`` is the
    latest ``occurred_on`` folded: for an as-of date on or after it, every partnership's
    accumulators are exact.
    """

    __slots__ = ("config", "last_position", "max_day", "partnerships", "recovery_share")

    def __init__(self, config: ModelConfig = DEFAULT_CONFIG) -> None:
        self.config = config
        self.partnerships: dict[str, PartnershipState] = {}
        self.last_position = 0
        self.max_day = date.min  # the latest occurred_on folded, of any partnership
        self.recovery_share = config.recovery_share


# -- folding ---------------------------------------------------------------------------------
# The handlers of the less frequent events (the frequent ones are inline in evolve_all) return
# True when the line changed the partnership. They read the line's fields by name without
# isinstance checks: the dispatch is by ``type``. The records of the frequent events (revenue
# and reviews among them) are built with ``new_record``, which skips the named tuple's
# Python-level constructor.

Handler = Callable[[PortfolioState, PartnershipState, Any, int], bool]


def _renegotiated(state: PortfolioState, ps: PartnershipState, line: Any, position: int) -> bool:
    handle = line.commitment
    if not ps.is_open(handle):
        return False
    change = RenegotiationFacts(line.occurred_on, line.due, position)
    ps.renegotiations[handle] = (*ps.renegotiations.get(handle, ()), change)
    return True


def _raised(state: PortfolioState, ps: PartnershipState, line: Any, position: int) -> bool:
    handle = line.issue
    if handle in ps.issues:
        return False
    ps.issues[handle] = IssueFacts(
        handle,
        line.summary,
        line.severity,
        line.commitment,
        line.partner_card,
        line.occurred_on,
        position,
    )
    return True


def _resolved(state: PortfolioState, ps: PartnershipState, line: Any, position: int) -> bool:
    issue = ps.issues.get(line.issue)
    if issue is None or issue.resolved_on is not None:
        return False
    day: date = line.occurred_on
    ps.issues[issue.handle] = IssueFacts(
        issue.handle,
        issue.summary,
        issue.severity,
        issue.commitment,
        issue.partner_card,
        issue.raised_on,
        issue.raised_pos,
        resolved_on=day,
        resolved_pos=position,
        resolution=line.resolution,
    )
    about = issue.commitment
    miss = ps.outcomes.get(about) if about is not None else None
    if about is None or miss is None or miss.kind != MISSED:
        return True
    made_on = ps.commitments[about].made_on
    effective = max(day, issue.raised_on, made_on, miss.occurred_on)
    earlier = ps.recoveries.get(about, ())
    ps.recoveries[about] = (*earlier, RecoveryFacts(effective, position, issue.handle))
    if not earlier:  # only the first resolution of a miss takes anything back
        ps.trust.add(
            recovery_item(miss, state.recovery_share, effective, position, day, issue.handle)
        )
    return True


def _review(state: PortfolioState, ps: PartnershipState, line: Any, position: int) -> bool:
    day: date = line.occurred_on
    scores: Mapping[str, int] = line.scores
    partner: Mapping[str, int] | None = line.partner_scores or None
    level = review_level(scores, partner)
    gap = review_gap(scores, partner)
    review: ReviewFacts = new_record(
        ReviewFacts,
        (
            day,
            position,
            tuple(scores.items()),
            tuple(partner.items()) if partner else None,
            level,
            gap,
            review_alignment(level, gap),
        ),
    )
    ps.reviews[position] = review
    ps.alignment.add(review)
    return True


def _revenue(state: PortfolioState, ps: PartnershipState, line: Any, position: int) -> bool:
    # A store written before the per-line maximum may hold larger amounts; counted at the
    # maximum, no sum of them overflows a float (10,000 lines at 1e15 are 1e19).
    amount = min(line.amount, MAX_AMOUNT)
    ps.revenue[position] = new_record(
        RevenueFacts, (line.occurred_on, line.period, amount, line.currency, position)
    )
    return True


def _ended(state: PortfolioState, ps: PartnershipState, line: Any, position: int) -> bool:
    if ps.ended_on is not None:
        return False
    ps.ended_on = line.occurred_on
    ps.ended_pos = position
    ps.end_reason = line.reason
    return True


def _registered(state: PortfolioState, ps: PartnershipState, line: Any, position: int) -> bool:
    return False  # a second registration of a handle


HANDLERS: dict[str, Handler] = {
    "commitment_renegotiated": _renegotiated,
    "issue_raised": _raised,
    "issue_resolved": _resolved,
    "review_held": _review,
    "revenue_recorded": _revenue,
    "partnership_ended": _ended,
    "partnership_registered": _registered,
}


def _register(state: PortfolioState, line: EventLine, position: int) -> bool:
    if line.type != "partnership_registered":
        return False  # an event of a partnership not registered (yet): skipped
    registered = cast("PartnershipRegistered", line)  # a line's type names its model
    state.partnerships[line.partnership] = PartnershipState(registered, position, state.config)
    return True


OUTCOMES = {"commitment_kept": KEPT, "commitment_missed": MISSED}


def evolve_all(
    state: PortfolioState,
    events: Iterable[Recorded],
    changed: set[str] | None = None,
    until: date | None = None,
) -> PortfolioState:
    """Fold events (in recording order) into ``state`` in place and return it.

    This is the one fold loop (:func:`evolve` folds a single event through it). The handles of
    partnerships that an event changed are added to ``changed`` when it is given. Events that
    occurred after ``until`` (when given) are left out, as if they were not there: what
    :func:`~trustledger.projections.replay.select` does for an as-of date, without a
    generator's step per event. The three
    most frequent events (a commitment made, kept or missed) are folded inline, since a
    function call per event would cost as much as their work; the others go through
    ``HANDLERS``. Lines that do not apply are skipped (see the module docstring).
    """
    partnerships = state.partnerships
    handlers = HANDLERS
    outcomes = OUTCOMES
    new = new_record
    position = state.last_position
    max_day = state.max_day
    for recorded in events:
        # Any: the line's fields are read by name after dispatching on its type (no
        # isinstance checks per event), as in the handlers.
        line: Any = recorded.line
        day = line.occurred_on
        if until is not None and day is not None and day > until:
            continue
        position = recorded.position
        if day is None:
            continue  # not a stored line: the ledger fills in every line's day
        ps = partnerships.get(line.partnership)
        if ps is None:
            if not _register(state, line, position):
                continue
        else:
            kind = line.type
            if kind == "commitment_made":
                commitments = ps.commitments
                handle = line.commitment
                if handle in commitments:
                    continue
                commitments[handle] = new(
                    CommitmentFacts,
                    (handle, line.by == "us", line.summary, line.weight, day, position, line.due),
                )
            elif kind in outcomes:
                c = ps.commitments.get(line.commitment)
                if c is None or c.handle in ps.outcomes:
                    continue  # unknown, or closed already
                handle = c.handle  # the very string the commitment is keyed by
                made_on = c.made_on
                item = new(
                    Evidence,
                    (
                        outcomes[kind],
                        c.by_us,
                        c.weight,
                        day,
                        day if day >= made_on else made_on,
                        position,
                        day,
                        handle,
                        None,
                    ),
                )
                ps.outcomes[handle] = item
                ps.trust.add(item)
            else:
                handler = handlers.get(kind)
                if handler is None or not handler(state, ps, line, position):
                    continue
        if changed is not None:
            changed.add(line.partnership)
        if day > max_day:
            max_day = day
    state.last_position = position
    state.max_day = max_day
    return state


def evolve(state: PortfolioState, recorded: Recorded) -> PortfolioState:
    """Fold one recorded event into ``state`` (in place) and return it.

    Lines that do not apply (see the module docstring) leave the partnership untouched; the
    last position always advances.
    """
    return evolve_all(state, (recorded,))
