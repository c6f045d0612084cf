"""The Partnership aggregate: the consistency boundary that enforces the ledger's rules.

One aggregate per partnership handle (the handle is the aggregate id). Every accepted
event line becomes one aggregate event; the aggregate refuses lines that break the
contract's rules (registered first, commitment and issue lifecycles, nothing but revenue
after the end, dates not before registration). Each event carries a ``link`` that chains
it to the one before it in the partnership (see ``trustledger.domain.codec.chain_link``).

The rules look at the partnership's *standing* history: every event recorded, with the
corrections applied (a voided event left out, an amended one replaced by its corrected
line). :class:`~trustledger.domain.standing.Standing` is the state that history leaves and
checks every other line; :class:`~trustledger.domain.corrections.Corrections` keeps the
history and decides whether a correction may be made.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime
from typing import Any, NamedTuple

import orjson
from eventsourcing.domain import BaseAggregate, CanInitAggregate, CanMutateAggregate
from trustledger.domain.codec import GENESIS_LINK, seal
from trustledger.domain.corrections import Corrections
from trustledger.domain.errors import RuleError
from trustledger.domain.events import (
    CORRECTION_TYPES,
    EventAmended,
    EventLine,
    EventVoided,
    PartnershipRegistered,
)
from trustledger.domain.standing import CommitmentState, IssueState, Standing

#: The layout of a saved decision state (see :meth:`Partnership.decision_state`); a state of
#: another layout is ignored, and the partnership decides from its events and saves anew.
DECISION_FORMAT = 3
#: The days a decision state may hold, as ``date.toordinal()`` gives them.
_FIRST_DAY, _LAST_DAY = date.min.toordinal(), date.max.toordinal()
_fromordinal = date.fromordinal


class Partnership(BaseAggregate[str]):
    """A partnership's history as a rule-keeping aggregate."""

    class Event(CanMutateAggregate[str]):
        """An accepted event line, stamped with its recording time and chain link."""

        def __init__(
            self,
            originator_id: str,
            originator_version: int,
            timestamp: datetime,
            line: EventLine,
            link: str = "",
            state_bytes: bytes | None = None,
            **_: Any,
        ) -> None:
            self.originator_id = originator_id
            self.originator_version = originator_version
            self.timestamp = timestamp
            self.line = line
            self.link = link
            # The exact bytes to store, computed once when the event is decided.
            self.state_bytes = state_bytes

        @classmethod
        def restore(cls, **kwargs: Any) -> Partnership.Event:
            if issubclass(cls, CanInitAggregate):
                kwargs["originator_topic"] = PARTNERSHIP_TOPIC
            return cls(**kwargs)

        def apply(self, aggregate: Partnership) -> None:
            aggregate.absorb(self.line, self.link, self.originator_version)

    class Registered(Event, CanInitAggregate[str]):
        """The first event of every partnership."""

        def __init__(self, originator_topic: str = "", **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.originator_topic = originator_topic

    def __init__(self) -> None:
        self.last_link = GENESIS_LINK
        self.standing: Standing | None = None  # made on the first event (the id is known then)
        self.history = Corrections()
        # From a saved decision state: its commitments and issues as saved, each made a
        # CommitmentState or IssueState in the standing only when a line names it.
        self.saved: Saved | None = None

    @property
    def name(self) -> str:
        return self.state.name

    @property
    def registered_on(self) -> date | None:
        return self.state.registered_on

    @property
    def ended_on(self) -> date | None:
        return self.state.ended_on

    @property
    def state(self) -> Standing:
        if self.standing is None:
            self.standing = Standing(self.id)
        return self.standing

    # -- deciding -----------------------------------------------------------------------

    @classmethod
    def register(cls, line: PartnershipRegistered, recorded_at: datetime) -> Partnership:
        link, state = seal(line, recorded_at, GENESIS_LINK, line.partnership, 1)
        return cls._create(
            cls.Registered,
            id=line.partnership,
            timestamp=recorded_at,
            line=line,
            link=link,
            state_bytes=state,
        )

    def record(
        self, line: EventLine, recorded_at: datetime, voided_alongside: frozenset[str] = frozenset()
    ) -> None:
        """Check ``line`` against the rules and, when it passes, add it as the next event.

        ``voided_alongside``: the ids of this partnership's events that the same input also
        voids (a commitment may be voided together with the events that refer to it).
        """
        self.check(line, voided_alongside)
        link, state = seal(line, recorded_at, self.last_link, self.id, self.version + 1)
        self.trigger_event(
            self.Event, timestamp=recorded_at, line=line, link=link, state_bytes=state
        )

    def check(self, line: EventLine, voided_alongside: frozenset[str] = frozenset()) -> None:
        """Raise RuleError when ``line`` may not follow this partnership's history."""
        if self.saved is not None:
            self._take_saved(line)
        if isinstance(line, EventVoided):
            self._check_date(line)
            self.history.check_void(line, self.id, voided_alongside)
        elif isinstance(line, EventAmended):
            self._check_date(line)
            self.history.check_amend(line, self.id, voided_alongside)
        else:
            self.state.check(line)

    def _take_saved(self, line: EventLine) -> None:
        """Put the saved commitment and issue that ``line`` names (if any) into the standing,
        where the rules look for them."""
        assert self.saved is not None
        standing = self.state
        fields = line.__dict__  # not getattr: most types have neither field
        key = fields.get("commitment")
        if key is not None and key not in standing.commitments:
            opened = self.saved.opened.get(key)
            if opened is not None:
                made_on, due = opened
                standing.commitments[key] = CommitmentState(
                    _fromordinal(made_on), _fromordinal(due)
                )
        key = fields.get("issue")
        if key is not None and key in self.saved.issues and key not in standing.issues:
            raised_on, resolved_on = self.saved.issues[key]
            standing.issues[key] = IssueState(
                _fromordinal(raised_on), None if resolved_on is None else _fromordinal(resolved_on)
            )

    def _check_date(self, line: EventLine) -> None:
        day, registered_on = line.occurred_on, self.state.registered_on
        if day is not None and registered_on is not None and day < registered_on:
            raise RuleError(
                "occurred_on",
                f"{day} is before partnership {self.id!r} was registered ({registered_on})",
            )

    def completed(self, line: EventAmended) -> EventAmended:
        """``line`` with its corrected line's missing ``occurred_on``, ``id`` and ``actor``
        taken from the event it amends (unchanged when there is no such event)."""
        return self.history.completed(line)

    # -- the decision state, kept beside the events ---------------------------------------

    def decision_state(self) -> dict[str, Any] | None:
        """What deciding the next ordinary event needs, ready for :func:`decision_bytes`:
        the ledger keeps it in the store with each save, so that an append does not read and
        decode the whole history.

        It is the *standing* state (corrections applied), so an ordinary line decides
        correctly from it; a correction needs the whole history (what relies on the event it
        corrects), so the ledger decides those from the events. None when nothing stands
        (the registration voided): the next decision reads the events.

        Days are ordinals (``date.toordinal()``). ``open`` maps an open commitment to
        ``[made on, due]``; ``settled`` lists the handles of the settled ones, sorted: a
        new line may only name one of those to refer to it (an issue about it) or be refused
        (made again), and a line that settles or renegotiates one again is decided from the
        history, which says when it was settled (see :meth:`settles_again`). Most of a long
        history's commitments are settled, and every append reads and writes its
        partnership's whole state: a list of handles is small to store and quick to parse
        and check. ``issues`` maps an issue to ``[raised on, resolved on or null]``.
        """
        standing = self.state
        if standing.registered_on is None:
            return None
        opened: dict[str, list[int]] = {}
        settled: list[str] = []
        for handle, c in standing.commitments.items():
            if c.settled_on is None:
                opened[handle] = [c.made_on.toordinal(), c.due.toordinal()]
            else:
                settled.append(handle)
        issues: dict[str, list[int | None]] = {
            handle: [
                i.raised_on.toordinal(),
                None if i.resolved_on is None else i.resolved_on.toordinal(),
            ]
            for handle, i in standing.issues.items()
        }
        saved = self.saved
        if saved is None:
            settled.sort()
        else:
            # The saved entries the lines did not name, beside those they named or added.
            named = standing.commitments
            opened = {k: v for k, v in saved.opened.items() if k not in named} | opened
            settled = sorted([*saved.settled, *settled]) if settled else saved.settled
            issues = saved.issues | issues
        ended_on = standing.ended_on
        return {
            "format": DECISION_FORMAT,
            "name": standing.name,
            "registered_on": standing.registered_on.toordinal(),
            "ended_on": None if ended_on is None else ended_on.toordinal(),
            "open": opened,
            "settled": settled,
            "issues": issues,
            "last_link": self.last_link,
        }

    def settles_again(self, commitments: Collection[str]) -> bool:
        """Does a line settling or renegotiating one of ``commitments`` meet one that its
        saved decision state holds as settled (the rules' refusal names the day it was
        settled, which that state does not keep: such a partnership decides from its
        history)?"""
        return not self.state.settled.isdisjoint(commitments)

    @classmethod
    def from_decision_state(
        cls, handle: str, version: int, modified_on: datetime, data: dict[str, Any]
    ) -> Partnership:
        """The aggregate at ``version`` from its :meth:`decision_state` (ValueError, KeyError
        or TypeError when ``data`` has another shape or layout). It holds the standing state
        only, not the history: it decides ordinary lines, never a correction.

        Every commitment and issue is checked here, but only those a line names become
        states (see :meth:`_take_saved`): an append touches one or two of the dozens a
        partnership holds, and :meth:`decision_state` writes the others back as they came.
        """
        if data["format"] != DECISION_FORMAT:
            raise ValueError(f"a decision state of layout {data['format']!r}")
        aggregate = cls.__new__(cls)
        aggregate.__base_init__(handle, version, modified_on)
        aggregate.__init__()  # type: ignore[misc]
        standing = Standing(handle)
        name = data["name"]
        if type(name) is not str:
            raise TypeError("name is not text")
        standing.name = name
        standing.registered_on = _saved_day(data["registered_on"])
        ended_on = data["ended_on"]
        standing.ended_on = None if ended_on is None else _saved_day(ended_on)
        settled = data["settled"]
        if type(settled) is not list:
            raise TypeError("settled commitments are not a list")
        saved = Saved(
            _saved_pairs(data["open"], "commitment", open_end=False),
            settled,
            _saved_pairs(data["issues"], "issue", open_end=True),
        )
        standing.settled = frozenset(settled)  # TypeError: not hashable
        if settled and not (
            set(map(type, settled)) == {str}
            and len(standing.settled) == len(settled)
            and standing.settled.isdisjoint(saved.opened)
            and settled == sorted(settled)
        ):
            raise ValueError(
                "a settled commitment that is not a handle, saved twice or out of order"
            )
        link = data["last_link"]
        if not isinstance(link, str):
            raise TypeError("last_link is not text")
        aggregate.standing = standing
        aggregate.saved = saved
        aggregate.last_link = link
        return aggregate

    # -- evolving -----------------------------------------------------------------------

    def absorb(self, line: EventLine, link: str, version: int) -> None:
        """Evolve the state by one accepted line, the partnership's ``version``-th (no
        checks: history is what it is)."""
        self.last_link = link
        self.history.add(line, version)
        if line.type in CORRECTION_TYPES:
            self.standing = self.history.standing(self.id)
        else:
            self.state.absorb(line)


class Saved(NamedTuple):
    """A saved decision state's open commitments and issues, as saved (see
    :meth:`Partnership.decision_state`); its settled commitments are the standing's
    ``settled``."""

    opened: dict[str, list[int]]
    settled: list[str]  # sorted; the standing's ``settled`` holds them for the rules
    issues: dict[str, list[Any]]  # [raised on, resolved on or None]


def decision_bytes(state: dict[str, Any]) -> bytes:
    """A decision state as stored: JSON with its keys sorted, so that the same state is the
    same bytes whichever way it was reached (from the history, or from a saved state)."""
    # Copied out of orjson's result, which keeps each result in a buffer of several
    # kilobytes: the 6,300 states one append keeps for its save took 50 MB of fresh memory
    # (12,500 first touches of a page, about 0.05 s); the copy is the state's own size.
    return bytes(memoryview(orjson.dumps(state, option=orjson.OPT_SORT_KEYS)))


def _saved_day(value: Any) -> date:
    """A day of a saved decision state: an ordinal (ValueError or TypeError otherwise)."""
    if type(value) is not int:
        raise TypeError(f"{value!r} is not a day as saved")
    return _fromordinal(value)  # ValueError out of range


def _saved_pairs(entries: Any, what: str, *, open_end: bool) -> dict[str, Any]:
    """A saved map of open commitments or of issues to ``[day, day]`` (the second may be
    null for an issue: not resolved). ValueError or TypeError otherwise."""
    if type(entries) is not dict:
        raise TypeError(f"{what}s are not an object")
    first_day, last_day = _FIRST_DAY, _LAST_DAY
    # JSON object keys are always text. One pass per entry, hence no calls in it.
    for entry in entries.values():
        if type(entry) is not list or len(entry) != 2:
            raise ValueError(f"not a saved {what}: {entry!r}")
        first, second = entry
        if not (
            type(first) is int
            and first_day <= first <= last_day
            and (
                (open_end and second is None)
                or (type(second) is int and first_day <= second <= last_day)
            )
        ):
            raise ValueError(f"not a saved {what}: {entry!r}")
    return entries


PARTNERSHIP_TOPIC = f"{Partnership.__module__}:{Partnership.__qualname__}"
