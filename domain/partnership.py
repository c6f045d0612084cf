"""The Partnership aggregate: the consistency boundary that enforces the ledger's rules.

One aggregate per partnership handle (the handle is the aggregate id). Every accepted
event line becomes one aggregate event; the aggregate refuses lines that break the
contract's rules (registered first, commitment and issue lifecycles, nothing but revenue
after the end, dates not before registration). Each event carries a ``link`` that chains
it to the one before it in the partnership (see ``trustledger.domain.codec.chain_link``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from eventsourcing.domain import BaseAggregate, CanInitAggregate, CanMutateAggregate
from trustledger.domain.codec import GENESIS_LINK, seal
from trustledger.domain.errors import RuleError
from trustledger.domain.events import (
    CommitmentKept,
    CommitmentMade,
    CommitmentMissed,
    CommitmentRenegotiated,
    EventLine,
    IssueRaised,
    IssueResolved,
    PartnershipEnded,
    PartnershipRegistered,
    RevenueRecorded,
)


@dataclass(slots=True)
class CommitmentState:
    made_on: date
    due: date
    outcome: str = "open"  # open | kept | missed
    settled_on: date | None = None


@dataclass(slots=True)
class IssueState:
    raised_on: date
    resolved_on: date | None = None


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
            aggregate.absorb(self.line, self.link)

    class Registered(Event, CanInitAggregate[str]):
        """The first event of every partnership."""

        def __init__(self, originator_topic: str = "", **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.originator_topic = originator_topic

    def __init__(self) -> None:
        self.name = ""
        self.registered_on: date | None = None
        self.ended_on: date | None = None
        self.commitments: dict[str, CommitmentState] = {}
        self.issues: dict[str, IssueState] = {}
        self.last_link = GENESIS_LINK

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

    def record(self, line: EventLine, recorded_at: datetime) -> None:
        """Check ``line`` against the rules and, when it passes, add it as the next event."""
        self.check(line)
        link, state = seal(line, recorded_at, self.last_link, self.id, self.version + 1)
        self.trigger_event(
            self.Event, timestamp=recorded_at, line=line, link=link, state_bytes=state
        )

    def check(self, line: EventLine) -> None:
        """Raise RuleError when ``line`` may not follow this partnership's history."""
        day = line.occurred_on
        assert day is not None and self.registered_on is not None
        handle = self.id
        if isinstance(line, PartnershipRegistered):
            raise RuleError("partnership", f"{handle!r} is already registered")
        if self.ended_on is not None and not isinstance(line, RevenueRecorded):
            raise RuleError(
                "type",
                f"partnership {handle!r} ended on {self.ended_on}; only revenue_recorded "
                "may follow",
            )
        if day < self.registered_on:
            raise RuleError(
                "occurred_on",
                f"{day} is before partnership {handle!r} was registered ({self.registered_on})",
            )
        if isinstance(line, CommitmentMade):
            if line.commitment in self.commitments:
                raise RuleError("commitment", f"{line.commitment!r} already exists in {handle!r}")
            if line.due < day:
                raise RuleError("due", f"{line.due} is before the commitment was made ({day})")
        elif isinstance(line, CommitmentRenegotiated | CommitmentKept | CommitmentMissed):
            state = self._open_commitment(line.commitment)
            if day < state.made_on:
                raise RuleError(
                    "occurred_on",
                    f"{day} is before commitment {line.commitment!r} was made ({state.made_on})",
                )
            if isinstance(line, CommitmentRenegotiated) and line.due < day:
                raise RuleError("due", f"the new due date {line.due} is before {day}")
        elif isinstance(line, IssueRaised):
            if line.issue in self.issues:
                raise RuleError("issue", f"{line.issue!r} already exists in {handle!r}")
            if line.commitment is not None and line.commitment not in self.commitments:
                raise RuleError(
                    "commitment", f"{line.commitment!r} is not a commitment of {handle!r}"
                )
        elif isinstance(line, IssueResolved):
            issue = self.issues.get(line.issue)
            if issue is None:
                raise RuleError("issue", f"{line.issue!r} is not an issue of {handle!r}")
            if issue.resolved_on is not None:
                raise RuleError(
                    "issue", f"{line.issue!r} was already resolved on {issue.resolved_on}"
                )
            if day < issue.raised_on:
                raise RuleError(
                    "occurred_on",
                    f"{day} is before issue {line.issue!r} was raised ({issue.raised_on})",
                )

    def _open_commitment(self, handle: str) -> CommitmentState:
        state = self.commitments.get(handle)
        if state is None:
            raise RuleError("commitment", f"{handle!r} is not a commitment of {self.id!r}")
        if state.outcome != "open":
            raise RuleError(
                "commitment", f"{handle!r} is no longer open: {state.outcome} on {state.settled_on}"
            )
        return state

    # -- the decision state, kept beside the events ---------------------------------------

    def decision_state(self) -> dict[str, Any]:
        """What deciding the next event needs (JSON-ready): the ledger keeps it in the store
        with each save, so that an append does not read and decode the whole history."""
        assert self.registered_on is not None
        return {
            "name": self.name,
            "registered_on": self.registered_on.isoformat(),
            "ended_on": self.ended_on.isoformat() if self.ended_on else None,
            "commitments": {
                handle: [
                    c.made_on.isoformat(),
                    c.due.isoformat(),
                    c.outcome,
                    c.settled_on.isoformat() if c.settled_on else None,
                ]
                for handle, c in self.commitments.items()
            },
            "issues": {
                handle: [
                    i.raised_on.isoformat(),
                    i.resolved_on.isoformat() if i.resolved_on else None,
                ]
                for handle, i in self.issues.items()
            },
            "last_link": self.last_link,
        }

    @classmethod
    def from_decision_state(
        cls, handle: str, version: int, modified_on: datetime, data: dict[str, Any]
    ) -> Partnership:
        """The aggregate at ``version`` from its :meth:`decision_state` (ValueError, KeyError
        or TypeError when ``data`` has another shape)."""
        day = date.fromisoformat

        def maybe(text: str | None) -> date | None:
            return None if text is None else day(text)

        aggregate = cls.__new__(cls)
        aggregate.__base_init__(handle, version, modified_on)
        aggregate.__init__()  # type: ignore[misc]
        aggregate.name = str(data["name"])
        aggregate.registered_on = day(data["registered_on"])
        aggregate.ended_on = maybe(data["ended_on"])
        for key, (made_on, due, outcome, settled_on) in data["commitments"].items():
            if outcome not in ("open", "kept", "missed"):
                raise ValueError(f"unknown outcome {outcome!r}")
            aggregate.commitments[str(key)] = CommitmentState(
                day(made_on), day(due), outcome, maybe(settled_on)
            )
        for key, (raised_on, resolved_on) in data["issues"].items():
            aggregate.issues[str(key)] = IssueState(day(raised_on), maybe(resolved_on))
        link = data["last_link"]
        if not isinstance(link, str):
            raise TypeError("last_link is not text")
        aggregate.last_link = link
        return aggregate

    # -- evolving -----------------------------------------------------------------------

    def absorb(self, line: EventLine, link: str) -> None:
        """Evolve the state by one accepted line (no checks: history is what it is)."""
        day = line.occurred_on
        assert day is not None
        self.last_link = link
        if isinstance(line, PartnershipRegistered):
            self.name = line.name
            self.registered_on = day
        elif isinstance(line, CommitmentMade):
            self.commitments[line.commitment] = CommitmentState(made_on=day, due=line.due)
        elif isinstance(line, CommitmentRenegotiated):
            self.commitments[line.commitment].due = line.due
        elif isinstance(line, CommitmentKept | CommitmentMissed):
            state = self.commitments[line.commitment]
            state.outcome = "kept" if isinstance(line, CommitmentKept) else "missed"
            state.settled_on = day
        elif isinstance(line, IssueRaised):
            self.issues[line.issue] = IssueState(raised_on=day)
        elif isinstance(line, IssueResolved):
            self.issues[line.issue].resolved_on = day
        elif isinstance(line, PartnershipEnded):
            self.ended_on = day


PARTNERSHIP_TOPIC = f"{Partnership.__module__}:{Partnership.__qualname__}"
