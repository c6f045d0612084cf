"""Recording event lines, all or nothing, for every front end.

:func:`record` is what ``trustledger record`` and the one-event commands do; a
:class:`Recorder` keeps one connection for a front end that records now and then (the
dashboard's forms). :func:`check_values` validates a line given as field values (options, a
form) without recording it. What was wrong is always a list of
:class:`~trustledger.domain.errors.LineError`, never a message to be taken apart again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trustledger.domain.errors import InvalidLine, LedgerError, LineError, error_lines
from trustledger.domain.events import EventLine
from trustledger.domain.ledger import Located, RecordResult, check_line, located_lines
from trustledger.domain.store import StoreConfig, sqlite_file_exists
from trustledger.tui.service.access import Access, NotAllowed, current_access
from trustledger.tui.service.clock import SYSTEM_CLOCK, Clock
from trustledger.tui.service.stores import open_ledger, opened, scrub

if TYPE_CHECKING:
    from trustledger.domain.ledger import Ledger

__all__ = [
    "LineError",
    "LineRejected",
    "Located",
    "RecordResult",
    "Recorder",
    "check_values",
    "error_lines",
    "located_lines",
    "record",
]

#: ``(phase, done, total)`` while a large input is checked and saved.
Progress = Callable[[str, int, int], None]


class LineRejected(LedgerError):
    """A line given as field values is not a valid event line."""

    def __init__(self, errors: list[LineError]) -> None:
        super().__init__("; ".join(error_lines(errors)))
        self.errors = errors


def check_values(values: dict[str, Any], source: str) -> EventLine:
    """The event line that ``values`` (its fields, ``type`` included) describe; raise
    :class:`LineRejected` naming each field at fault, the line known as ``source``."""
    try:
        return check_line(values)
    except InvalidLine as exc:
        raise LineRejected([LineError(source, 0, f, m) for f, m in exc.problems]) from None


def record(
    store: StoreConfig,
    lines: Sequence[Located],
    *,
    clock: Clock = SYSTEM_CLOCK,
    actor: str | None = None,
    progress: Progress | None = None,
    access: Access | None = None,
) -> RecordResult:
    """Record ``lines`` into ``store`` (created on the first write), all or nothing.

    A process started by ``trustledger serve`` records under its key's name only, and not
    at all for a viewer (:mod:`.access`: ``NotAllowed``); ``access`` names that identity
    (default: this process's, from its environment)."""
    access = access or current_access()
    access.require_recording()
    lines = access.stamp(lines)
    actor = access.actor or actor
    if store.kind == "sqlite" and store.path is not None and not sqlite_file_exists(store.path):
        # A new SQLite store: check the input against an empty ledger in memory first, so a
        # rejected input creates no file. (Deleting the file afterwards instead would race
        # another writer creating the same store, and lose what that writer recorded.) The
        # check saves nothing, and the lines it parsed are not parsed again.
        scratch_store = StoreConfig(kind="sqlite", path=Path(":memory:"))
        with opened(scratch_store, create=True, clock=clock) as scratch:
            checked = scratch.record(lines, actor=actor, dry_run=True)
        if not checked.ok:
            return checked
        lines = checked.parsed
    with opened(store, create=True, clock=clock) as ledger:
        return ledger.record(lines, actor=actor, progress=progress)


class Recorder:
    """Records one line at a time through one connection, opened on first use (thread-safe).

    Any failure of the store comes back as the result's error, so a form can show it.
    """

    def __init__(
        self, store: StoreConfig, clock: Clock = SYSTEM_CLOCK, access: Access | None = None
    ) -> None:
        self.store = store
        self.clock = clock
        self.access = access  # None: this process's (read at every record)
        self._ledger: Ledger | None = None
        self._lock = threading.Lock()

    def record(self, line: EventLine, source: str, actor: str | None = None) -> RecordResult:
        with self._lock:
            try:
                access = self.access or current_access()
                access.require_recording()
                line = access.stamp_line(line)
                actor = access.actor or actor
                if self._ledger is None:
                    self._ledger = open_ledger(self.store, clock=self.clock)
                return self._ledger.record([Located(source, 0, line)], actor=actor)
            except NotAllowed as exc:
                return RecordResult(errors=[LineError(source, 0, None, str(exc))])
            except LedgerError as exc:
                message = scrub(str(exc), self.store)
                return RecordResult(errors=[LineError(source, 0, None, message)])

    def close(self) -> None:
        with self._lock:
            if self._ledger is not None:
                self._ledger.close()
                self._ledger = None
