"""Copying a ledger into another store, row for row.

Rows are copied as stored (partnership, version, type and the exact state bytes), in
recording order, so ids, occurred and recorded times, actors and the hash chain all
survive, and so do the partnerships' saved decision states (what an append decides
from). A target that already holds exactly a prefix of the source (an interrupted
copy) is resumed; any other non-empty target is refused. Each batch is one transaction that
waits at most the target's lock timeout for other writers. A damaged SQLite source is
refused before anything is copied (the walk starts with SQLite's integrity check).

Text recorded before control characters were refused may hold NUL, which PostgreSQL cannot
hold in text or jsonb: the stored state is bytea there, and the id index reads such a row's
NUL as U+FFFD (see ``backends.PostgresBackend``), so these rows are copied like any other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from eventsourcing.persistence import StoredEvent
from trustledger.domain.audit import iter_rows
from trustledger.domain.errors import LedgerError
from trustledger.domain.ledger import Ledger

BATCH = 1000


class TargetNotEmpty(LedgerError):
    """The target holds events that are not a prefix of the source."""


@dataclass(frozen=True)
class MigrateResult:
    copied: int
    already: int


def migrate(
    source: Ledger, target: Ledger, progress: Callable[[int], None] | None = None
) -> MigrateResult:
    source_rows = iter_rows(source.read_raw)
    already = 0
    for theirs in iter_rows(target.read_raw):
        mine = next(source_rows, None)
        if mine is None or (mine.partnership, mine.version, mine.state) != (
            theirs.partnership,
            theirs.version,
            theirs.state,
        ):
            raise TargetNotEmpty(
                f"the target already holds other events (its event {already + 1} differs "
                "from the source's); migrate only into an empty store or an interrupted copy"
            )
        already += 1
    copied = 0
    batch: list[StoredEvent] = []
    for row in source_rows:
        batch.append(StoredEvent(row.partnership, row.version, row.topic, row.state))
        if len(batch) == BATCH:
            target.backend.insert_events(batch, target.store.lock_timeout)
            copied += len(batch)
            batch = []
            if progress:
                progress(copied)
    if batch:
        target.backend.insert_events(batch, target.store.lock_timeout)
        copied += len(batch)
    _copy_decision_states(source, target)
    return MigrateResult(copied=copied, already=already)


def _copy_decision_states(source: Ledger, target: Ledger) -> None:
    """Copy each partnership's saved decision state that is at its newest event, as stored.

    The target then decides its first append to a partnership from the state, as the
    source would, instead of reading the partnership's whole history (on PostgreSQL a query
    for each: 54 s for 10,000 partnerships). A state is used only where it matches the
    target's newest event of its partnership (same version, same chain link), so one whose
    partnership the source recorded more of during the copy is left unused there."""
    handles = source.handles()
    for start in range(0, len(handles), BATCH):
        saved = source.backend.decisions(handles[start : start + BATCH])
        states = [(handle, version, state) for handle, (version, state, _) in saved.items()]
        if states:
            target.backend.insert_events([], target.store.lock_timeout, sorted(states))
