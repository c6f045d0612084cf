"""Correcting the record: a partnership's history with its voids and amendments.

Nothing recorded is ever rewritten. A mis-recorded event is corrected by a later line that
names it by ``id``: ``event_voided`` (it no longer counts) or ``event_amended`` (its
corrected ``line`` counts in its place). :class:`Corrections` keeps one partnership's
history by id and the corrections made to it, gives the *standing* history (the events
with the corrections applied, in recording order), and decides whether a new correction
may be made:

- it names an event of the same partnership that is not itself a correction, and not
  already voided (an amended event may be amended again: the latest amendment counts);
- the standing history after it still keeps every rule, checked line by line as if it had
  been recorded that way. So voiding a commitment is refused while later events refer to
  it (its outcome, a renegotiation, an issue naming it) unless those are voided first or in
  the same input, and an amendment whose corrected line breaks a rule is refused at that
  line's field;
- the registration may only be voided when no other event stands (end the partnership
  instead); after that the handle may be registered again.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from trustledger.domain.errors import RuleError, quoted
from trustledger.domain.events import (
    CORRECTION_TYPES,
    EventAmended,
    EventLine,
    EventVoided,
    PartnershipRegistered,
)
from trustledger.domain.standing import Standing

#: How many refused events an error names before "and N more".
NAMED = 5


@dataclass(frozen=True, slots=True)
class Entry:
    """One event of the history: its line as recorded and its version (1 = registration)."""

    line: EventLine
    version: int


def entry_name(entry: Entry) -> str:
    return f"{quoted(entry.line.id)} ({entry.line.type}, #{entry.version})"


def _names(entries: list[Entry]) -> str:
    shown = ", ".join(entry_name(entry) for entry in entries[:NAMED])
    more = len(entries) - NAMED
    return shown + (f" and {more} more" if more > 0 else "")


class Corrections:
    """One partnership's history by id, with its voids and amendments (module docstring)."""

    __slots__ = ("amended", "entries", "voided")

    def __init__(self) -> None:
        self.entries: dict[str, Entry] = {}  # every event by id, in recording order
        self.voided: dict[str, EventVoided] = {}  # target id -> its void
        self.amended: dict[str, EventAmended] = {}  # target id -> its latest amendment

    def add(self, line: EventLine, version: int) -> None:
        """Take in one recorded line (the partnership's ``version``-th event)."""
        key = line.id if line.id is not None else f"#{version}"
        self.entries[key] = Entry(line, version)
        if isinstance(line, EventVoided):
            self.voided[line.event] = line
        elif isinstance(line, EventAmended):
            self.amended[line.event] = line

    def standing_lines(
        self,
        skip: frozenset[str] = frozenset(),
        replace: Mapping[str, EventLine] | None = None,
    ) -> Iterator[tuple[str, EventLine]]:
        """``(id, line)`` of every standing event in recording order: corrections, voided
        events and those in ``skip`` left out, amended ones (and those in ``replace``)
        replaced by their corrected line."""
        for key, entry in self.entries.items():
            line = entry.line
            if line.type in CORRECTION_TYPES or key in self.voided or key in skip:
                continue
            if replace and key in replace:
                yield key, replace[key]
            elif key in self.amended:
                yield key, self.amended[key].line
            else:
                yield key, line

    def standing(self, handle: str) -> Standing:
        return Standing.of(handle, (line for _, line in self.standing_lines()))

    # -- deciding -----------------------------------------------------------------------

    def target(self, event: str, handle: str) -> Entry:
        """The event a correction names: one of this partnership, neither a correction nor
        voided (RuleError at the ``event`` field otherwise)."""
        entry = self.entries.get(event)
        if entry is None:
            raise RuleError("event", f"{quoted(event)} is not an event of {handle!r}")
        if entry.line.type in CORRECTION_TYPES:
            raise RuleError(
                "event",
                f"{quoted(event)} is itself a correction ({entry.line.type}); corrections "
                "are not corrected: record the event again instead",
            )
        void = self.voided.get(event)
        if void is not None:
            raise RuleError(
                "event",
                f"{quoted(event)} was already voided on {void.occurred_on} by "
                f"{void.actor or 'someone'} ({quoted(void.id)})",
            )
        return entry

    def check_void(self, line: EventVoided, handle: str, alongside: frozenset[str]) -> None:
        """Raise RuleError when ``line`` may not be recorded next."""
        entry = self.target(line.event, handle)
        if isinstance(entry.line, PartnershipRegistered):
            others = [
                self.entries[key]
                for key, _ in self.standing_lines(skip=alongside)
                if key != line.event
            ]
            if others:
                raise RuleError(
                    "event",
                    f"the registration of {handle!r} cannot be voided while {len(others)} "
                    f"other events stand ({_names(others)}): void them first or in the same "
                    "input, or end the partnership instead",
                )
            return
        broken = self.breaks(handle, skip=alongside | {line.event})
        if broken:
            raise RuleError(
                "event",
                f"later events rely on {entry_name(entry)}: "
                f"{_names([self.entries[key] for key, _ in broken])}; void them first or in "
                "the same input",
            )

    def check_amend(self, line: EventAmended, handle: str, alongside: frozenset[str]) -> None:
        """Raise RuleError when ``line`` (completed: see :meth:`completed`) may not be
        recorded next; a fault of the corrected line is named at its field (``line.due``)."""
        entry = self.target(line.event, handle)
        corrected = line.line
        if corrected.type != entry.line.type:
            raise RuleError(
                "line.type",
                f"must stay {entry.line.type}: an amendment keeps the event's type (void it "
                "and record the right event instead)",
            )
        if corrected.partnership != handle:
            raise RuleError(
                "line.partnership",
                f"must stay {handle!r}: an amendment keeps the event's partnership",
            )
        if corrected.id != line.event:
            raise RuleError("line.id", f"must be the amended event's id {quoted(line.event)}")
        broken = self.breaks(handle, skip=alongside - {line.event}, replace={line.event: corrected})
        for key, problem in broken:
            if key == line.event:
                raise RuleError(f"line.{problem.field}", problem.message)
        if broken:
            key, problem = broken[0]
            raise RuleError(
                "line",
                f"the corrected line breaks later event {entry_name(self.entries[key])}: "
                f"{problem.field}: {problem.message}"
                + (f" (and {len(broken) - 1} more)" if len(broken) > 1 else ""),
            )

    def breaks(
        self,
        handle: str,
        skip: frozenset[str] = frozenset(),
        replace: Mapping[str, EventLine] | None = None,
    ) -> list[tuple[str, RuleError]]:
        """The events of the standing history (with ``skip`` and ``replace``) that would
        break a rule, each with the rule: checked one by one in recording order, a line
        that breaks one left out of what follows."""
        standing = Standing(handle)
        broken: list[tuple[str, RuleError]] = []
        for key, line in self.standing_lines(skip, replace):
            try:
                standing.check(line)
            except RuleError as exc:
                broken.append((key, exc))
                continue
            standing.absorb(line)
        return broken

    def completed(self, line: EventAmended) -> EventAmended:
        """``line`` with its corrected line's missing ``occurred_on``, ``id`` and ``actor``
        taken from the event it amends, and its ``recorded_at`` dropped (unchanged when the
        event is not one of this history)."""
        entry = self.entries.get(line.event)
        if entry is None:
            return line
        corrected = line.line
        update: dict[str, object] = {"recorded_at": None}
        for name in ("occurred_on", "id", "actor"):
            if getattr(corrected, name) is None:
                update[name] = getattr(entry.line, name)
        return line.model_copy(update={"line": corrected.model_copy(update=update)})
