"""The rules' view of a partnership: the state its standing history leaves, and the checks
a new line must pass against it (the contract's rules: registered first, commitment and issue
lifecycles, nothing but revenue after the end, dates not before registration).

The *standing* history is every event recorded with the corrections applied (a voided event
left out, an amended one replaced by its corrected line): see
:mod:`~trustledger.domain.corrections`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

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


@dataclass(slots=True)
class Standing:
    """What the rules look at: the state a partnership's standing history leaves."""

    handle: str
    name: str = ""
    registered_on: date | None = None
    ended_on: date | None = None
    commitments: dict[str, CommitmentState] = field(default_factory=dict)
    issues: dict[str, IssueState] = field(default_factory=dict)
    #: Commitments settled before a saved decision state, by handle only (not in
    #: ``commitments``): a line may refer to them, not make them again.
    settled: frozenset[str] = frozenset()

    @classmethod
    def of(cls, handle: str, lines: Iterable[EventLine]) -> Standing:
        """The state ``lines`` leave (no checks: see :meth:`absorb`)."""
        standing = cls(handle)
        for line in lines:
            standing.absorb(line)
        return standing

    def check(self, line: EventLine) -> None:
        """Raise RuleError when ``line`` may not follow this history."""
        day = line.occurred_on
        assert day is not None
        handle = self.handle
        if isinstance(line, PartnershipRegistered):
            if self.registered_on is not None:
                raise RuleError("partnership", f"{handle!r} is already registered")
            return
        if self.registered_on is None:
            raise RuleError("partnership", f"{handle!r} is not registered (register it first)")
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
            if line.commitment in self.commitments or line.commitment in self.settled:
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
            if (
                line.commitment is not None
                and line.commitment not in self.commitments
                and line.commitment not in self.settled
            ):
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
        if state is None and handle in self.settled:  # the ledger decides these from history
            raise RuleError("commitment", f"{handle!r} is no longer open")
        if state is None:
            raise RuleError("commitment", f"{handle!r} is not a commitment of {self.handle!r}")
        if state.outcome != "open":
            raise RuleError(
                "commitment", f"{handle!r} is no longer open: {state.outcome} on {state.settled_on}"
            )
        return state

    def absorb(self, line: EventLine) -> None:
        """Evolve the state by one line. No checks: history is what it is, and a line that
        does not apply (its commitment voided meanwhile, say) changes nothing."""
        day = line.occurred_on
        assert day is not None
        if isinstance(line, PartnershipRegistered):
            self.name = line.name
            self.registered_on = day
        elif isinstance(line, CommitmentMade):
            self.commitments.setdefault(line.commitment, CommitmentState(made_on=day, due=line.due))
        elif isinstance(line, CommitmentRenegotiated):
            if line.commitment in self.commitments:
                self.commitments[line.commitment].due = line.due
        elif isinstance(line, CommitmentKept | CommitmentMissed):
            state = self.commitments.get(line.commitment)
            if state is not None and state.outcome == "open":
                state.outcome = "kept" if isinstance(line, CommitmentKept) else "missed"
                state.settled_on = day
        elif isinstance(line, IssueRaised):
            self.issues.setdefault(line.issue, IssueState(raised_on=day))
        elif isinstance(line, IssueResolved):
            issue = self.issues.get(line.issue)
            if issue is not None and issue.resolved_on is None:
                issue.resolved_on = day
        elif isinstance(line, PartnershipEnded):
            self.ended_on = self.ended_on or day
