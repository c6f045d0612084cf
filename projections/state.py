"""The fold: compact per-partnership state and ``evolve(state, recorded) -> state``.

:class:`PortfolioState` maps each handle to a :class:`PartnershipState` and remembers the last
position folded. The fold keeps compact facts, never the event objects: each commitment,
outcome, renegotiation, issue, review and revenue line becomes a small immutable tuple in a
dict of the partnership. Alongside, it keeps decayed evidence sums relative to a reference day
(the registration day, moved on only after hundreds of half-lives), so that trust at any as-of
date on or after the partnership's last event is O(1)::

    r(as_of) = 2 ** (-(as_of - ref) / h) * sum(w_i * 2 ** (-(ref - d_i) / h))

and the same for alignment. For an as-of date before some of the folded events (a follower
asked about the past, or "trust a month ago") :mod:`measures` recomputes from the
facts, each of which knows the day from which it counts.

Speed (a replay folds about a million events): the facts are exact tuples of dates, numbers
and strings, which the garbage collector stops tracking, so a large state does not make every
collection slower; and a commitment's outcome, renegotiations and recoveries live in their own
dicts beside the facts of the commitment made, so that recording an outcome never copies (and
touches) the older facts.

``evolve`` updates the state in place and returns it: the state is owned by one fold (a
replay or a :class:`Follower`) and copying it per event would cost more
than the rest of the work. Nothing here reads a clock or does I/O.

Events arrive in recording order. Lines that the domain would refuse (unknown partnership or
commitment, a second outcome, a second registration...) are skipped, so the fold is total and
deterministic on any input. What counts as evidence is decided in :mod:`measures`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date
from typing import Any

from trustledger.domain.events import EventLine, PartnershipRegistered, Recorded
from trustledger.projections.alignment import review_alignment, review_gap, review_level
from trustledger.projections.config import DEFAULT_CONFIG, ModelConfig

KEPT = "kept"
MISSED = "missed"

# The facts are exact tuples, read by position through the constants below. (Tuples of plain
# values are dropped from the garbage collector's tracking; named tuples or objects would stay
# tracked, and a full collection over a million of them costs most of a second.)

CommitmentFacts = tuple[str, bool, str, int, date, int, date]
"""A commitment as made: ``(handle, by_us, summary, weight, made_on, made_pos, due)``."""
C_HANDLE, C_BY_US, C_SUMMARY, C_WEIGHT, C_MADE_ON, C_MADE_POS, C_DUE = range(7)
C_LENGTH = 7  # an open commitment's value is its CommitmentFacts; a ClosedFacts has 4 items

OutcomeFacts = tuple[str, date, int]
"""How a commitment closed: ``(kept|missed, occurred_on, position)``."""

ClosedFacts = tuple[CommitmentFacts, str, date, int]
"""A closed commitment: ``(facts as made, kept|missed, occurred_on, position)``. Closing wraps
the facts instead of copying them, so it touches nothing but the tuple in hand."""

RenegotiationFacts = tuple[date, date, int]
"""``(occurred_on, new due, position)``: a new due date, in force from ``occurred_on``."""

RecoveryFacts = tuple[date, int, str]
"""``(effective_on, position, issue)``: a resolution taking back part of a miss.

``effective_on`` is the latest day of the events it rests on (the commitment made, the miss,
the issue raised and resolved): before that day, a store holding only the events that had
occurred would not contain it.
"""

IssueFacts = tuple[str, str, str, str | None, bool, date, int, date | None, int, str | None]
"""An issue: ``(handle, summary, severity, commitment, partner_card, raised_on, raised_pos,
resolved_on, resolved_pos, resolution)``."""
(
    I_HANDLE,
    I_SUMMARY,
    I_SEVERITY,
    I_COMMITMENT,
    I_PARTNER_CARD,
    I_RAISED_ON,
    I_RAISED_POS,
    I_RESOLVED_ON,
    I_RESOLVED_POS,
    I_RESOLUTION,
) = range(10)

ScorePairs = tuple[tuple[str, int], ...]
"""One side's scores as ``(dimension, score)`` pairs (``dict(pairs)`` gives them back)."""

ReviewFacts = tuple[date, int, ScorePairs, ScorePairs | None, float, float, float]
"""A review: ``(occurred_on, position, scores, partner_scores, level, gap, alignment)``."""
R_OCCURRED_ON, R_POSITION, R_SCORES, R_PARTNER_SCORES, R_LEVEL, R_GAP, R_ALIGNMENT = range(7)

RevenueFacts = tuple[date, str, float, str, int]
"""A revenue line: ``(occurred_on, period YYYY-MM, amount, currency, position)``."""
V_OCCURRED_ON, V_PERIOD, V_AMOUNT, V_CURRENCY, V_POSITION = range(5)


class PartnershipState:
    """One partnership's folded facts plus its decayed evidence and alignment sums.

    Commitments are keyed by handle in three dicts: ``commitments`` (the facts as made while
    open, :data:`ClosedFacts` once kept or missed; use the methods below to read them),
    ``renegotiations`` (every change, in recording order) and ``recoveries`` (resolutions that
    take back part of a miss, in recording order). Reviews and revenue are keyed by position
    (recording order).

    The sums are relative to the reference day ``ref_day`` (an ordinal, shared by the whole
    portfolio so the fold never reads it from here): ``r_us``/``s_us``/``r_partner``/
    ``s_partner`` are sums of ``w * 2 ** ((d - ref_day) / h)`` and the review sums use weights
    ``2 ** ((d - ref_day) / h_alignment)``. They are exact for any as-of date on or after the
    latest ``occurred_on`` folded: ``r(as_of) = (r_us + r_partner) * 2 ** ((ref_day - as_of) /
    h)``.
    """

    __slots__ = (
        "al_den",
        "al_gap",
        "al_num",
        "commitments",
        "end_reason",
        "ended_on",
        "ended_pos",
        "handle",
        "issues",
        "kind",
        "name",
        "owner",
        "r_partner",
        "r_us",
        "recoveries",
        "ref_day",
        "registered_on",
        "registered_pos",
        "renegotiations",
        "revenue",
        "review_every_days",
        "reviews",
        "s_partner",
        "s_us",
    )

    def __init__(self, line: PartnershipRegistered, position: int, ref_day: int) -> None:
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
        self.commitments: dict[str, CommitmentFacts | ClosedFacts] = {}
        self.renegotiations: dict[str, tuple[RenegotiationFacts, ...]] = {}
        self.recoveries: dict[str, tuple[RecoveryFacts, ...]] = {}
        self.issues: dict[str, IssueFacts] = {}
        self.reviews: dict[int, ReviewFacts] = {}
        self.revenue: dict[int, RevenueFacts] = {}
        self.ref_day = ref_day
        self.r_us = self.s_us = self.r_partner = self.s_partner = 0.0
        self.al_num = self.al_gap = self.al_den = 0.0

    def is_open(self, handle: str) -> bool:
        """Whether a commitment was made and is not yet kept or missed (after every event)."""
        value = self.commitments.get(handle)
        return value is not None and len(value) == C_LENGTH

    def facts(self, handle: str) -> CommitmentFacts:
        """A commitment's facts as made (KeyError when there is no such commitment)."""
        value = self.commitments[handle]
        return value if len(value) == C_LENGTH else value[0]  # type: ignore[return-value]

    def outcome(self, handle: str) -> OutcomeFacts | None:
        """How a commitment closed, after every event (None: open, or unknown)."""
        value = self.commitments.get(handle)
        return None if value is None or len(value) == C_LENGTH else value[1:]  # type: ignore[return-value]

    def outcome_on(self, handle: str, as_of: date) -> OutcomeFacts | None:
        """How a commitment had closed by the end of ``as_of`` (None: still open)."""
        outcome = self.outcome(handle)
        return outcome if outcome is not None and outcome[1] <= as_of else None

    def all_commitments(self) -> Iterator[tuple[CommitmentFacts, OutcomeFacts | None]]:
        """``(facts, outcome or None)`` of every commitment, in the order they were made."""
        for value in self.commitments.values():
            if len(value) == C_LENGTH:
                yield value, None  # type: ignore[misc]
            else:
                yield value[0], value[1:]  # type: ignore[misc]

    def closed(self) -> Iterator[tuple[CommitmentFacts, OutcomeFacts]]:
        """``(facts, (kept|missed, day, position))`` of every closed commitment."""
        for value in self.commitments.values():
            if len(value) != C_LENGTH:
                yield value[0], value[1:]  # type: ignore[misc]

    def closed_count(self) -> int:
        return sum(1 for value in self.commitments.values() if len(value) != C_LENGTH)

    def due(self, handle: str) -> date:
        """A commitment's due date after every renegotiation folded."""
        changes = self.renegotiations.get(handle)
        return changes[-1][1] if changes else self.facts(handle)[C_DUE]

    def due_on(self, handle: str, as_of: date) -> date:
        """A commitment's due date in force at the end of ``as_of``."""
        due = self.facts(handle)[C_DUE]
        for occurred_on, new_due, _ in self.renegotiations.get(handle, ()):
            if occurred_on <= as_of:
                due = new_due
        return due

    def recovery_on(self, handle: str, as_of: date) -> RecoveryFacts | None:
        """The first resolution (in recording order) taking back part of a miss at ``as_of``."""
        for recovery in self.recoveries.get(handle, ()):
            if recovery[0] <= as_of:
                return recovery
        return None


class PortfolioState:
    """The fold's state for the whole store: partnerships by handle and the last position.

    It holds the :class:`ModelConfig` it was built with (decay and recovery are folded in), so
    a state is only meaningful with that config. ``max_day`` is the latest ``occurred_on``
    folded: for an as-of date on or after it, every partnership's decayed sums are exact.
    ``ref_day`` is the reference day (ordinal) of every partnership's decayed sums: the first
    registration day, moved on (and every sum rescaled) only when a day lies more than
    ``REBASE_HALF_LIVES`` half-lives past it. Evidence far older than the reference underflows
    to 0, which is what it is worth at any as-of date on or after the reference.
    """

    __slots__ = (
        "config",
        "inv_alignment_half_life",
        "inv_half_life",
        "last_position",
        "max_day",
        "partnerships",
        "recovery_share",
        "ref_day",
    )

    def __init__(self, config: ModelConfig = DEFAULT_CONFIG) -> None:
        self.config = config
        self.partnerships: dict[str, PartnershipState] = {}
        self.last_position = 0
        self.max_day = date.min  # the latest occurred_on folded, of any partnership
        self.ref_day = 0  # set by the first registration
        self.inv_half_life = 1.0 / config.half_life_days
        self.inv_alignment_half_life = 1.0 / config.alignment_half_life_days
        self.recovery_share = config.recovery_share


# -- folding ---------------------------------------------------------------------------------
# The handlers of the less frequent events (the frequent ones are inline in evolve_all) return
# True when the line changed the partnership. They read the line's fields by name without
# isinstance checks: the dispatch is by ``type``.

Handler = Callable[[PortfolioState, PartnershipState, Any, int], bool]

# The decayed sums are kept relative to the portfolio's reference day ``ref``: evidence of
# weight ``w`` on day ``d`` adds ``w * 2 ** ((d - ref) / h)`` whatever the order of days, so
# adding is one power and one addition. When a day lies very far past ``ref``, every sum moves
# to a new reference, to stay well inside the floating-point range.
REBASE_HALF_LIVES = 256.0


def _rebase(state: PortfolioState, ordinal: int) -> None:
    """Move every partnership's sums to the reference day ``ordinal``."""
    shift = state.ref_day - ordinal
    evidence = 2.0 ** (shift * state.inv_half_life)
    reviews = 2.0 ** (shift * state.inv_alignment_half_life)
    for ps in state.partnerships.values():
        ps.r_us *= evidence
        ps.s_us *= evidence
        ps.r_partner *= evidence
        ps.s_partner *= evidence
        ps.al_num *= reviews
        ps.al_gap *= reviews
        ps.al_den *= reviews
        ps.ref_day = ordinal
    state.ref_day = ordinal


def _exponent(state: PortfolioState, day: date, inverse_half_life: float) -> float:
    """``(day - ref) / half_life``, after moving the reference when it would be too large."""
    exponent = (day.toordinal() - state.ref_day) * inverse_half_life
    if exponent > REBASE_HALF_LIVES:
        _rebase(state, day.toordinal())
        return 0.0
    return exponent


def _renegotiated(state: PortfolioState, ps: PartnershipState, line: Any, position: int) -> bool:
    handle = line.commitment
    if not ps.is_open(handle):
        return False
    change = (line.occurred_on, line.due, position)
    ps.renegotiations[handle] = (*ps.renegotiations.get(handle, ()), change)
    return True


def _raised(state: PortfolioState, ps: PartnershipState, line: Any, position: int) -> bool:
    handle = line.issue
    if handle in ps.issues:
        return False
    ps.issues[handle] = (
        handle,
        line.summary,
        line.severity,
        line.commitment,
        line.partner_card,
        line.occurred_on,
        position,
        None,
        0,
        None,
    )
    return True


def _resolved(state: PortfolioState, ps: PartnershipState, line: Any, position: int) -> bool:
    issue = ps.issues.get(line.issue)
    if issue is None or issue[I_RESOLVED_ON] is not None:
        return False
    day: date = line.occurred_on
    handle = issue[I_HANDLE]
    ps.issues[handle] = (*issue[:I_RESOLVED_ON], day, position, line.resolution)
    about = issue[I_COMMITMENT]
    outcome = ps.outcome(about) if about else None
    if outcome is None or outcome[0] != MISSED:
        return True
    c = ps.facts(about)  # type: ignore[arg-type]
    missed_on = outcome[1]
    effective = max(day, issue[I_RAISED_ON], c[C_MADE_ON], missed_on)
    earlier = ps.recoveries.get(about, ())  # type: ignore[arg-type]
    if not earlier:
        # Take back a share of the miss, decayed from the miss's own day.
        amount = (
            state.recovery_share
            * c[C_WEIGHT]
            * 2.0 ** _exponent(state, missed_on, state.inv_half_life)
        )
        if c[C_BY_US]:
            ps.s_us -= amount
        else:
            ps.s_partner -= amount
    ps.recoveries[about] = (*earlier, (effective, position, handle))  # type: ignore[index]
    return True


def _review(state: PortfolioState, ps: PartnershipState, line: Any, position: int) -> bool:
    day: date = line.occurred_on
    scores: Mapping[str, int] = line.scores
    partner: Mapping[str, int] | None = line.partner_scores or None
    level = review_level(scores, partner)
    gap = review_gap(scores, partner)
    align = review_alignment(level, gap)
    ps.reviews[position] = (
        day,
        position,
        tuple(scores.items()),
        tuple(partner.items()) if partner else None,
        level,
        gap,
        align,
    )
    exponent = (day.toordinal() - state.ref_day) * state.inv_alignment_half_life
    if exponent > REBASE_HALF_LIVES:
        exponent = _exponent(state, day, state.inv_alignment_half_life)
    weight = 2.0**exponent
    ps.al_num += weight * align
    ps.al_gap += weight * gap
    ps.al_den += weight
    return True


def _revenue(state: PortfolioState, ps: PartnershipState, line: Any, position: int) -> bool:
    ps.revenue[position] = (line.occurred_on, line.period, line.amount, line.currency, position)
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
    if not isinstance(line, PartnershipRegistered):
        return False  # an event of a partnership not registered (yet): skipped
    if not state.partnerships:
        state.ref_day = line.occurred_on.toordinal()  # type: ignore[union-attr]
    state.partnerships[line.partnership] = PartnershipState(line, position, state.ref_day)
    return True


OUTCOMES = {"commitment_kept": KEPT, "commitment_missed": MISSED}


def evolve_all(
    state: PortfolioState, events: Iterable[Recorded], changed: set[str] | None = None
) -> PortfolioState:
    """Fold events (in recording order) into ``state`` in place and return it.

    This is the one fold loop (:func:`evolve` folds a single event through it). The handles of
    partnerships that an event changed are added to ``changed`` when it is given. The three
    most frequent events (a commitment made, kept or missed) are folded inline, since a
    function call per event would cost as much as their work; the others go through
    ``HANDLERS``. Lines that do not apply are skipped (see the module docstring).
    """
    partnerships = state.partnerships
    handlers = HANDLERS
    outcomes = OUTCOMES
    inv_h = state.inv_half_life
    position = state.last_position
    max_day = state.max_day
    for recorded in events:
        line = recorded.line
        position = recorded.position
        day = line.occurred_on
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
                commitments[handle] = (
                    handle, line.by == "us", line.summary, line.weight, day, position, line.due
                )  # fmt: skip
            elif kind in outcomes:
                commitments = ps.commitments
                handle = line.commitment
                c = commitments.get(handle)
                if c is None or len(c) != C_LENGTH:
                    continue  # unknown, or closed already
                outcome = outcomes[kind]
                commitments[handle] = (c, outcome, day, position)
                # Evidence w * 2 ** ((day - ref) / h) joins the sums (see _exponent).
                exponent = (day.toordinal() - state.ref_day) * inv_h
                if exponent > REBASE_HALF_LIVES:
                    exponent = _exponent(state, day, inv_h)
                amount = c[C_WEIGHT] * 2.0**exponent
                if outcome is KEPT:
                    if c[C_BY_US]:
                        ps.r_us += amount
                    else:
                        ps.r_partner += amount
                elif c[C_BY_US]:
                    ps.s_us += amount
                else:
                    ps.s_partner += amount
            else:
                handler = handlers.get(kind)
                if handler is None or not handler(state, ps, line, position):
                    continue
        if changed is not None:
            changed.add(line.partnership)
        if day > max_day:  # type: ignore[operator]
            max_day = day  # type: ignore[assignment]
    state.last_position = position
    state.max_day = max_day
    return state


def evolve(state: PortfolioState, recorded: Recorded) -> PortfolioState:
    """Fold one recorded event into ``state`` (in place) and return it.

    Lines that do not apply (see the module docstring) leave the partnership untouched; the
    last position always advances.
    """
    return evolve_all(state, (recorded,))
