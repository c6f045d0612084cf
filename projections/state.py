"""The fold: compact per-partnership state and ``evolve(state, recorded) -> state``.

:class:`PortfolioState` maps each handle to a :class:`PartnershipState` and remembers the last
position folded. The fold keeps compact facts, never the event objects: each commitment,
outcome, renegotiation, issue, review and revenue line becomes a small immutable tuple in a
dict of the partnership. Alongside, it keeps decayed evidence sums relative to a reference day
(the registration day, moved on only after hundreds of half-lives), so that trust at any as-of
date on or after the partnership's last event is O(1)::

    r(as_of) = 2 ** (-(as_of - ref) / h) * sum(w_i * 2 ** (-(ref - d_i) / h))

and the same for alignment. For an as-of date before some of the folded events (a follower
asked about the past, or "trust a month ago") :mod:`projections.measures` recomputes from the
facts, each of which knows the day from which it counts.

Speed (a replay folds about a million events): the facts are exact tuples of dates, numbers
and strings, which the garbage collector stops tracking, so a large state does not make every
collection slower; and a commitment's outcome, renegotiations and recoveries live in their own
dicts beside the facts of the commitment made, so that recording an outcome never copies (and
touches) the older facts.

``evolve`` updates the state in place and returns it: the state is owned by one fold (a
replay or a :class:`~projections.follower.Follower`) and copying it per event would cost more
than the rest of the work. Nothing here reads a clock or does I/O.

Events arrive in recording order. Lines that the domain would refuse (unknown partnership or
commitment, a second outcome, a second registration...) are skipped, so the fold is total and
deterministic on any input. What counts as evidence is decided in :mod:`projections.measures`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date
from functools import partial
from typing import Any

from domain.events import DIMENSIONS, EventLine, PartnershipRegistered, Recorded
from projections.alignment import mean_gap, review_alignment, review_gaps, review_level
from projections.config import DEFAULT_CONFIG, ModelConfig

KEPT = "kept"
MISSED = "missed"

# The facts are exact tuples, read by position through the constants below. (Tuples of plain
# values are dropped from the garbage collector's tracking; named tuples or objects would stay
# tracked, and a full collection over a million of them costs most of a second.)

CommitmentFacts = tuple[str, bool, str, int, date, int, date]
"""A commitment as made: ``(handle, by_us, summary, weight, made_on, made_pos, due)``."""
C_HANDLE, C_BY_US, C_SUMMARY, C_WEIGHT, C_MADE_ON, C_MADE_POS, C_DUE = range(7)

OutcomeFacts = tuple[str, date, int]
"""How a commitment closed: ``(kept|missed, occurred_on, position)``."""

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

ScoreRow = tuple[int | None, ...]
"""One side's scores in the order of ``domain.events.DIMENSIONS`` (None: not scored)."""

ReviewFacts = tuple[date, int, ScoreRow, ScoreRow | None, float, float, float]
"""A review: ``(occurred_on, position, scores, partner_scores, level, gap, alignment)``."""
R_OCCURRED_ON, R_POSITION, R_SCORES, R_PARTNER_SCORES, R_LEVEL, R_GAP, R_ALIGNMENT = range(7)

RevenueFacts = tuple[date, str, float, str, int]
"""A revenue line: ``(occurred_on, period YYYY-MM, amount, currency, position)``."""
V_OCCURRED_ON, V_PERIOD, V_AMOUNT, V_CURRENCY, V_POSITION = range(5)


def score_row(scores: Mapping[str, int] | None) -> ScoreRow | None:
    """Scores as a row in the canonical dimension order."""
    if not scores:
        return None
    return tuple(scores.get(dim) for dim in DIMENSIONS)


def score_map(row: ScoreRow | None) -> dict[str, int] | None:
    """A score row back as a mapping of the dimensions scored."""
    if row is None:
        return None
    return {dim: value for dim, value in zip(DIMENSIONS, row, strict=True) if value is not None}


class PartnershipState:
    """One partnership's folded facts plus its decayed evidence and alignment sums.

    Commitments are keyed by handle in four dicts: ``commitments`` (as made), ``closed``
    (outcome), ``renegotiations`` (every change, in recording order) and ``recoveries``
    (resolutions that take back part of a miss, in recording order). Reviews and revenue are
    keyed by position, so they iterate in recording order.

    The sums are relative to reference days (ordinals): ``ev_ref`` for the evidence
    ``r_us``/``s_us``/``r_partner``/``s_partner`` (each a sum of ``w * 2 ** ((d - ev_ref) / h)``)
    and ``al_ref`` for the review sums (weights ``2 ** ((d - al_ref) / h_alignment)``). Both
    start at the registration day. They are exact for any as-of date on or after ``max_day``,
    the latest ``occurred_on`` folded: ``r(as_of) = r_us * 2 ** ((ev_ref - as_of) / h)``.
    """

    __slots__ = (
        "al_den",
        "al_gap",
        "al_num",
        "al_ref",
        "closed",
        "commitments",
        "end_reason",
        "ended_on",
        "ended_pos",
        "ev_ref",
        "handle",
        "issues",
        "kind",
        "max_day",
        "name",
        "owner",
        "r_partner",
        "r_us",
        "recoveries",
        "registered_on",
        "registered_pos",
        "renegotiations",
        "revenue",
        "review_every_days",
        "reviews",
        "s_partner",
        "s_us",
    )

    def __init__(self, line: PartnershipRegistered, position: int) -> None:
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
        self.max_day: date = day
        self.commitments: dict[str, CommitmentFacts] = {}
        self.closed: dict[str, OutcomeFacts] = {}
        self.renegotiations: dict[str, tuple[RenegotiationFacts, ...]] = {}
        self.recoveries: dict[str, tuple[RecoveryFacts, ...]] = {}
        self.issues: dict[str, IssueFacts] = {}
        self.reviews: dict[int, ReviewFacts] = {}
        self.revenue: dict[int, RevenueFacts] = {}
        self.ev_ref = self.al_ref = day.toordinal()
        self.r_us = self.s_us = self.r_partner = self.s_partner = 0.0
        self.al_num = self.al_gap = self.al_den = 0.0

    def due(self, handle: str) -> date:
        """A commitment's due date after every renegotiation folded."""
        changes = self.renegotiations.get(handle)
        return changes[-1][1] if changes else self.commitments[handle][C_DUE]

    def due_on(self, handle: str, as_of: date) -> date:
        """A commitment's due date in force at the end of ``as_of``."""
        due = self.commitments[handle][C_DUE]
        for occurred_on, new_due, _ in self.renegotiations.get(handle, ()):
            if occurred_on <= as_of:
                due = new_due
        return due

    def outcome_on(self, handle: str, as_of: date) -> OutcomeFacts | None:
        """How a commitment had closed by the end of ``as_of`` (None: still open)."""
        outcome = self.closed.get(handle)
        return outcome if outcome is not None and outcome[1] <= as_of else None

    def recovery_on(self, handle: str, as_of: date) -> RecoveryFacts | None:
        """The first resolution (in recording order) taking back part of a miss at ``as_of``."""
        for recovery in self.recoveries.get(handle, ()):
            if recovery[0] <= as_of:
                return recovery
        return None


class PortfolioState:
    """The fold's state for the whole store: partnerships by handle and the last position.

    It holds the :class:`ModelConfig` it was built with (decay and recovery are folded in), so
    a state is only meaningful with that config.
    """

    __slots__ = (
        "config",
        "inv_alignment_half_life",
        "inv_half_life",
        "last_position",
        "partnerships",
        "recovery_share",
    )

    def __init__(self, config: ModelConfig = DEFAULT_CONFIG) -> None:
        self.config = config
        self.partnerships: dict[str, PartnershipState] = {}
        self.last_position = 0
        self.inv_half_life = 1.0 / config.half_life_days
        self.inv_alignment_half_life = 1.0 / config.alignment_half_life_days
        self.recovery_share = config.recovery_share


# -- the handlers: each returns True when the line changed the partnership -------------------
# They read the line's fields by name without isinstance checks: the dispatch is by ``type``.

Handler = Callable[[PortfolioState, PartnershipState, Any, int], bool]

# The decayed sums are kept relative to a reference day ``ref``: evidence of weight ``w`` on day
# ``d`` adds ``w * 2 ** ((d - ref) / h)`` whatever the order of days, so adding is one power and
# one addition. When a day lies very far past ``ref`` the sums move to a new reference, to stay
# well inside the floating-point range.
REBASE_HALF_LIVES = 256.0


def _made(state: PortfolioState, ps: PartnershipState, line: Any, position: int) -> bool:
    commitments = ps.commitments
    handle = line.commitment
    if handle in commitments:
        return False
    commitments[handle] = (
        handle,
        line.by == "us",
        line.summary,
        line.weight,
        line.occurred_on,
        position,
        line.due,
    )
    return True


def _renegotiated(state: PortfolioState, ps: PartnershipState, line: Any, position: int) -> bool:
    handle = line.commitment
    if handle not in ps.commitments or handle in ps.closed:
        return False
    change = (line.occurred_on, line.due, position)
    ps.renegotiations[handle] = (*ps.renegotiations.get(handle, ()), change)
    return True


def _rebase_evidence(state: PortfolioState, ps: PartnershipState, ordinal: int) -> None:
    factor = 2.0 ** ((ps.ev_ref - ordinal) * state.inv_half_life)
    ps.r_us *= factor
    ps.s_us *= factor
    ps.r_partner *= factor
    ps.s_partner *= factor
    ps.ev_ref = ordinal


def _closed(
    outcome: str, state: PortfolioState, ps: PartnershipState, line: Any, position: int
) -> bool:
    handle = line.commitment
    c = ps.commitments.get(handle)
    if c is None or handle in ps.closed:
        return False
    day: date = line.occurred_on
    ps.closed[handle] = (outcome, day, position)
    exponent = (day.toordinal() - ps.ev_ref) * state.inv_half_life
    if exponent > REBASE_HALF_LIVES:
        _rebase_evidence(state, ps, day.toordinal())
        exponent = 0.0
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
    outcome = ps.closed.get(about) if about else None
    if outcome is None or outcome[0] != MISSED:
        return True
    c = ps.commitments[about]  # type: ignore[index]
    missed_on = outcome[1]
    effective = max(day, issue[I_RAISED_ON], c[C_MADE_ON], missed_on)
    earlier = ps.recoveries.get(about, ())  # type: ignore[arg-type]
    if not earlier:
        # Take back a share of the miss, decayed from the miss's own day.
        amount = (
            state.recovery_share
            * c[C_WEIGHT]
            * 2.0 ** ((missed_on.toordinal() - ps.ev_ref) * state.inv_half_life)
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
    gap = mean_gap(review_gaps(scores, partner))
    align = review_alignment(level, gap)
    ps.reviews[position] = (
        day,
        position,
        score_row(scores),  # type: ignore[arg-type]
        score_row(partner),
        level,
        gap,
        align,
    )
    ordinal = day.toordinal()
    exponent = (ordinal - ps.al_ref) * state.inv_alignment_half_life
    if exponent > REBASE_HALF_LIVES:
        factor = 2.0**-exponent
        ps.al_num *= factor
        ps.al_gap *= factor
        ps.al_den *= factor
        ps.al_ref = ordinal
        exponent = 0.0
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
    "commitment_made": _made,
    "commitment_renegotiated": _renegotiated,
    "commitment_kept": partial(_closed, KEPT),
    "commitment_missed": partial(_closed, MISSED),
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
    state.partnerships[line.partnership] = PartnershipState(line, position)
    return True


def apply_event(state: PortfolioState, recorded: Recorded) -> bool:
    """Fold one recorded event into ``state``; tell whether a partnership changed."""
    line = recorded.line
    position = recorded.position
    state.last_position = position
    ps = state.partnerships.get(line.partnership)
    if ps is None:
        return _register(state, line, position)
    handler = HANDLERS.get(line.type)
    if handler is None or not handler(state, ps, line, position):
        return False
    day = line.occurred_on
    if day > ps.max_day:  # type: ignore[operator]
        ps.max_day = day  # type: ignore[assignment]
    return True


def evolve(state: PortfolioState, recorded: Recorded) -> PortfolioState:
    """Fold one recorded event into ``state`` (in place) and return it.

    Lines that do not apply (see the module docstring) leave the partnership untouched; the
    last position always advances.
    """
    apply_event(state, recorded)
    return state


def evolve_all(state: PortfolioState, events: Iterable[Recorded]) -> PortfolioState:
    """``evolve`` over many events: the same result, with the per-event overhead inlined."""
    partnerships = state.partnerships
    handlers = HANDLERS
    position = state.last_position
    for recorded in events:
        line = recorded.line
        position = recorded.position
        ps = partnerships.get(line.partnership)
        if ps is None:
            _register(state, line, position)
            continue
        handler = handlers.get(line.type)
        if handler is not None and handler(state, ps, line, position):
            day = line.occurred_on
            if day > ps.max_day:  # type: ignore[operator]
                ps.max_day = day  # type: ignore[assignment]
    state.last_position = position
    return state
