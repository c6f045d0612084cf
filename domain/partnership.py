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

from datetime import date, datetime
from typing import Any

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

#: A commitment's outcomes in a saved decision state.
OUTCOMES = frozenset(("open", "kept", "missed"))


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
        if isinstance(line, EventVoided):
            self._check_date(line)
            self.history.check_void(line, self.id, voided_alongside)
        elif isinstance(line, EventAmended):
            self._check_date(line)
            self.history.check_amend(line, self.id, voided_alongside)
        else:
            self.state.check(line)

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
        """What deciding the next ordinary event needs, ready for ``orjson.dumps`` (which
        writes its days as ISO text): the ledger keeps it in the store with each save, so that
        an append does not read and decode the whole history.

        It is the *standing* state (corrections applied), so an ordinary line decides
        correctly from it; a correction needs the whole history (what relies on the event it
        corrects), so the ledger decides those from the events. None when nothing stands
        (the registration voided): the next decision reads the events.
        """
        standing = self.state
        if standing.registered_on is None:
            return None
        # Days stay ``date``s: orjson writes them as ISO text itself, several times faster
        # than isoformat() for each of the hundreds of days a long history holds.
        return {
            "name": standing.name,
            "registered_on": standing.registered_on,
            "ended_on": standing.ended_on,
            "commitments": {
                handle: [c.made_on, c.due, c.outcome, c.settled_on]
                for handle, c in standing.commitments.items()
            },
            "issues": {
                handle: [i.raised_on, i.resolved_on] for handle, i in standing.issues.items()
            },
            "last_link": self.last_link,
        }

    @classmethod
    def from_decision_state(
        cls, handle: str, version: int, modified_on: datetime, data: dict[str, Any]
    ) -> Partnership:
        """The aggregate at ``version`` from its :meth:`decision_state` (ValueError, KeyError
        or TypeError when ``data`` has another shape). It holds the standing state only, not
        the history: it decides ordinary lines, never a correction."""
        day = date.fromisoformat
        outcomes = OUTCOMES

        def maybe(text: str | None) -> date | None:
            return None if text is None else day(text)

        aggregate = cls.__new__(cls)
        aggregate.__base_init__(handle, version, modified_on)
        aggregate.__init__()  # type: ignore[misc]
        standing = Standing(handle)
        standing.name = str(data["name"])
        standing.registered_on = day(data["registered_on"])
        standing.ended_on = maybe(data["ended_on"])
        # JSON object keys are always text. The loops below run once per commitment and issue
        # of the history, hence no helper calls in them.
        commitments = standing.commitments
        for key, (made_on, due, outcome, settled_on) in data["commitments"].items():
            if outcome not in outcomes:
                raise ValueError(f"unknown outcome {outcome!r}")
            commitments[key] = CommitmentState(
                day(made_on), day(due), outcome, None if settled_on is None else day(settled_on)
            )
        issues = standing.issues
        for key, (raised_on, resolved_on) in data["issues"].items():
            issues[key] = IssueState(
                day(raised_on), None if resolved_on is None else day(resolved_on)
            )
        link = data["last_link"]
        if not isinstance(link, str):
            raise TypeError("last_link is not text")
        aggregate.standing = standing
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


PARTNERSHIP_TOPIC = f"{Partnership.__module__}:{Partnership.__qualname__}"
