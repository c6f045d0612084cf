"""The ledger application: opening a store, recording lines all-or-nothing, reading back.

``Ledger`` is the eventsourcing ``Application`` over the Partnership aggregates plus the
shell the front ends call. Recording is decide-then-save: every line is checked against
the store and the earlier lines of the same input; if any fails nothing is written;
otherwise every new event of the input is saved in one transaction. A concurrent writer
that got there first makes the save fail with a version conflict (or an id clash); the
ledger then reloads, decides again and retries with jitter, so no input is lost.

Two separate limits end the retries: ``MAX_ATTEMPTS`` version conflicts, and the store's
``lock_timeout``, the total time spent waiting for other processes' locks
(``StoreLocked``, "store is locked by another process"). Before its first write a ledger
runs SQLite's ``quick_check`` and refuses to write into a damaged file (``StoreDamaged``).

Opening: a new SQLite store's file is created 0600 and the directories the ledger creates
0700; it creates directories only for the default store (``StoreConfig.create_directories``):
a store in a directory that does not exist is an error naming the directory. An existing
SQLite store is opened read-only when this process cannot write it (a read-only file,
directory or medium), so that reading commands still work there.
"""

from __future__ import annotations

import gc
import getpass
import json
import os
import random
import sqlite3
import threading
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from operator import attrgetter
from pathlib import Path
from typing import Any, cast

import orjson
from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError, OperationalError, PersistenceError
from pydantic import ValidationError
from trustledger.domain.backends import (
    DECISIONS_TABLE,
    PG_ID_FUNCTION_VERSION,
    Backend,
    Part,
    PostgresBackend,
    RawRow,
    SQLiteBackend,
)
from trustledger.domain.codec import (
    DecodeError,
    decode_state,
    line_from_state,
    line_payload,
    trusted_line_from_state,
    trusted_rows,
)
from trustledger.domain.errors import (
    QUOTE_LIMIT,
    InvalidLine,
    LineError,
    RuleError,
    StoreDamaged,
    StoreError,
    StoreLocked,
    StoreMissing,
    clip,
    first_line,
    quoted,
)
from trustledger.domain.events import (
    LINE_ADAPTER,
    LINE_TYPES,
    CommitmentKept,
    CommitmentMissed,
    CommitmentRenegotiated,
    EventAmended,
    EventLine,
    EventVoided,
    PartnershipRegistered,
    Recorded,
)
from trustledger.domain.paging import PAGE as READ_PAGE
from trustledger.domain.paging import items
from trustledger.domain.partnership import Partnership, decision_bytes
from trustledger.domain.readstore import ReadStore
from trustledger.domain.store import (
    APP_NAME,
    LOCK_TIMEOUT_ENV,
    SQLiteAccess,
    StoreConfig,
    postgres_connect,
    sqlite_access,
    sqlite_file_exists,
)
from trustledger.domain.watch import NotifyWatcher, PollingWatcher, Watcher

MAX_ATTEMPTS = 50
#: Partnerships whose decision states are read at once while deciding an input.
LOAD_BATCH = 500
SETUP_LOCK_KEY = 0x7472757374  # any constant shared by every trustledger process

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class Located:
    """A line (raw text or an already-built model) and where it came from."""

    source: str
    lineno: int
    content: str | EventLine

    def where(self) -> str:
        return f"{self.source}:{self.lineno}" if self.lineno else self.source

    def error(self, field: str | None, message: str) -> LineError:
        """A problem with this line."""
        return LineError(self.source, self.lineno, field, message)


@dataclass
class RecordResult:
    """What recording an input did: how many lines were recorded or already there, or,
    when any line was bad (and so nothing was recorded), what was wrong with each."""

    recorded: int = 0
    already: int = 0
    errors: list[LineError] = field(default_factory=list)
    # A dry run's lines, parsed (a later record of them does not parse them again).
    parsed: list[Located] = field(default_factory=list, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def bad_lines(self) -> int:
        return len({(e.source, e.line) for e in self.errors})


def login_name() -> str:
    try:
        return getpass.getuser()
    except Exception:  # getuser raises OSError/KeyError when no login is known
        return "unknown"


def validation_problems(
    exc: ValidationError, *, tagged: bool = False
) -> list[tuple[str | None, str]]:
    """The field(s) at fault in a pydantic error, each with a message for a person.

    ``tagged``: the error came from the union of every type, whose locations start with
    the event type (not a field).

    Values are quoted at most :data:`~trustledger.domain.errors.QUOTE_LIMIT` characters long,
    and pydantic's own wording ("Value error, ...") is left out.
    """
    problems: list[tuple[str | None, str]] = []
    for err in exc.errors():
        loc = [str(p) for p in err["loc"]]
        if tagged and loc and loc[0] in LINE_TYPES:
            loc = loc[1:]
        if len(loc) > 1 and loc[0] == "line" and loc[1] in LINE_TYPES:
            del loc[1]  # a correction's corrected line: its type is not a field either
        nested = "line." if loc[:1] == ["line"] else ""
        where = ".".join(clip(p) for p in loc if p != "[key]") or "type"
        msg = err["msg"]
        given = err.get("input")
        if err["type"] == "union_tag_not_found":
            where, msg = f"{nested}type", "missing: every line needs a type"
        elif err["type"] == "union_tag_invalid":
            where = f"{nested}type"
            msg = (
                f"unknown event type {quoted(given.get('type'))}"
                if isinstance(given, dict)
                else msg
            )
        elif err["type"] == "extra_forbidden":
            msg = "unknown field"
        elif err["type"] == "value_error":
            msg = str(err.get("ctx", {}).get("error", msg.removeprefix("Value error, ")))
            if isinstance(given, str):
                # The validators quote what they were given: never the whole of a long value.
                for text in (given, given.strip()):
                    msg = msg.replace(repr(text), quoted(text))
        problems.append((where, clip(msg, 4 * QUOTE_LIMIT)))
    return problems


def check_line(data: dict[str, Any]) -> EventLine:
    """Validate an event line given as a mapping (a form, command-line options); raise
    :class:`InvalidLine` naming the field(s) at fault."""
    type_name = data.get("type")
    model = LINE_TYPES.get(type_name) if isinstance(type_name, str) else None
    try:
        # One type's own model when the type is known: only its validator is built.
        return model.model_validate(data) if model else LINE_ADAPTER.validate_python(data)
    except ValidationError as exc:
        raise InvalidLine(validation_problems(exc, tagged=model is None)) from None


def parse_line(text: str) -> EventLine:
    """Validate one NDJSON line; raise :class:`InvalidLine` naming the field(s) at fault."""
    try:
        return LINE_ADAPTER.validate_json(text)
    except ValidationError:
        pass  # take the slow path below for a precise message
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidLine([(None, f"not valid JSON: {exc.msg} (column {exc.colno})")]) from None
    except RecursionError:
        raise InvalidLine([(None, "not valid JSON: nested too deeply")]) from None
    if not isinstance(data, dict):
        raise InvalidLine([(None, "each line must be a JSON object")])
    return check_line(data)


def same_content(given: EventLine, stored: EventLine) -> bool:
    """Does ``stored`` agree with every field ``given`` states (recorded_at aside)? An
    amendment's corrected line is compared the same way, field by field."""
    if type(given) is not type(stored):
        return False
    fields = given.model_fields_set - {"recorded_at", "line"}
    mine = given.model_dump(mode="json", include=fields)
    theirs = stored.model_dump(mode="json", include=fields)
    if isinstance(given, EventAmended) and isinstance(stored, EventAmended):
        return mine == theirs and same_content(given.line, stored.line)
    return mine == theirs


def to_recorded(row: RawRow, *, trusted: bool = False) -> Recorded:
    """Decode a stored row; ``trusted`` skips re-validating what the ledger itself wrote
    (see ``trustledger.domain.codec.trusted_line_from_state``): for replays, not for audits."""
    decode = trusted_line_from_state if trusted else line_from_state
    line, recorded_at, link = decode(decode_state(row.state))
    return Recorded(row.position, row.version, recorded_at, line, link)


class LedgerApp(Application[str]):
    """The eventsourcing application that stores Partnership aggregates."""

    name = APP_NAME


class Ledger:
    """The ledger over one store: record, read, follow."""

    def __init__(
        self,
        store: StoreConfig,
        *,
        create: bool = False,
        clock: Callable[[], datetime] | None = None,
        today: Callable[[], date] | None = None,
    ) -> None:
        self.store = store
        self._watcher: Watcher | None = None
        self._checked_before_writing = False
        self._check: _QuickCheck | None = None  # that check, when it runs beside the deciding
        # Recording time comes from here; tests and demos may pin it.
        self.clock = clock or (lambda: datetime.now(UTC))
        # A line's default day; the recording time's local day unless the caller pins it.
        self.today = today or (lambda: self.clock().astimezone().date())
        access: SQLiteAccess = "rw"
        if store.kind == "sqlite" and not create:
            assert store.path is not None
            if not sqlite_file_exists(store.path):
                raise StoreMissing(f"no ledger at {store.display} (nothing recorded there yet)")
            access = sqlite_access(store.path)
        if store.kind == "sqlite" and create:
            assert store.path is not None
            if str(store.path) != ":memory:":
                _create_private(store.path, make_directories=store.create_directories)
            _sqlite_wal(store)
        setup_lock = _postgres_setup_lock(store) if store.kind == "postgresql" else None
        try:
            if setup_lock is not None and create and _postgres_is_set_up(setup_lock, store):
                create = False  # tables and index exist: no DDL, no lock contention
            elif setup_lock is not None and create:
                # Several processes creating the tables at once make PostgreSQL fail with
                # "tuple concurrently updated": the first one sets up, the others wait.
                _postgres_setup_wait(setup_lock, store)
            self.app = LedgerApp(env=store.library_env(create=create, access=access))
            self.backend: Backend = (
                SQLiteBackend(self.app.recorder, store.display)
                if store.kind == "sqlite"
                else PostgresBackend(self.app.recorder, store.display)
            )
            if create:
                self.backend.ensure_schema()
            elif not self.backend.has_tables():
                raise StoreMissing(f"no ledger at {store.display} (nothing recorded there yet)")
        except StoreError:
            raise
        except (PersistenceError, OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open store {store.display}: {first_line(exc)}") from None
        finally:
            if setup_lock is not None:
                setup_lock.close()  # closing the session releases the advisory lock

    def close(self) -> None:
        if self._check is not None:
            self._check.stop()  # no record waits for it (one whose input was refused)
            self._check = None
        if self._watcher is not None:
            self._watcher.close()
            self._watcher = None
        self.app.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- recording ----------------------------------------------------------------------

    def record(
        self,
        lines: Sequence[Located],
        *,
        actor: str | None = None,
        progress: Progress | None = None,
        dry_run: bool = False,
    ) -> RecordResult:
        """Record ``lines`` all or nothing (see the module docstring). ``dry_run``: check
        them only, and return them parsed (``RecordResult.parsed``) for a later record."""
        with _collector_paused():
            return self._record(lines, actor, progress, dry_run)

    def _record(
        self,
        lines: Sequence[Located],
        actor: str | None,
        progress: Progress | None,
        dry_run: bool,
    ) -> RecordResult:
        if not dry_run:
            self._start_check()
        parsed: list[tuple[int, Located, EventLine]] = []
        errors: list[tuple[int, LineError]] = []
        for n, item in enumerate(lines):
            if isinstance(item.content, EventLine):
                parsed.append((n, item, item.content))
            else:
                try:
                    parsed.append((n, item, parse_line(item.content)))
                except InvalidLine as exc:
                    errors.extend((n, item.error(f, m)) for f, m in exc.problems)
            if progress and n % 5000 == 0:
                progress("reading", n, len(lines))
        default_actor = actor or login_name()
        conflicts = 0
        lock_wait_left = self.store.lock_timeout  # for every attempt together
        while True:
            waiting_since: float | None = None
            try:
                seen = self.max_position()
                result, rule_errors, aggregates = self._decide(parsed, default_actor, progress)
                if rule_errors and self.max_position() != seen:
                    # Another writer recorded while we read (ids, then aggregates): the
                    # verdicts may mix two states of the store, so decide again.
                    raise IntegrityError("the store changed while deciding")
                if errors or rule_errors:
                    return RecordResult(errors=_in_input_order(errors + rule_errors))
                if dry_run:
                    result.parsed = [Located(w.source, w.lineno, line) for _, w, line in parsed]
                    return result
                if aggregates:
                    if progress:
                        progress("saving", 0, result.recorded)
                    waiting_since = time.monotonic()
                    self._save(aggregates, lock_wait_left)
                return result
            except IntegrityError:
                conflicts += 1  # someone else recorded first: reload and decide again
                if conflicts >= MAX_ATTEMPTS:
                    raise StoreError(
                        f"gave up after {MAX_ATTEMPTS} attempts: other writers kept changing "
                        "the same partnerships; nothing was recorded"
                    ) from None
                pause = random.uniform(0, min(0.5, 0.005 * 2 ** min(conflicts, 7)))
            except (StoreLocked, OperationalError) as exc:
                if isinstance(exc, OperationalError) and not _is_lock_wait(exc):
                    raise StoreError(f"store {self.store.display}: {first_line(exc)}") from None
                if waiting_since is not None:
                    lock_wait_left -= time.monotonic() - waiting_since
                if lock_wait_left <= 0:
                    raise self._locked() from None
                # A lock refused at once (not after waiting): try again shortly.
                pause = min(lock_wait_left, random.uniform(0.01, 0.05))
                lock_wait_left -= pause
            except PersistenceError as exc:
                raise StoreError(f"store {self.store.display}: {first_line(exc)}") from None
            time.sleep(pause)

    def _save(self, aggregates: list[Partnership], lock_timeout: float) -> None:
        """Save the new events of ``aggregates`` in one transaction, waiting at most
        ``lock_timeout`` seconds for other processes' locks."""
        if not self._checked_before_writing:
            check, self._check = self._check, None
            problem = check.result() if check else self.backend.integrity_problem(quick=True)
            if problem is not None:
                raise StoreDamaged(
                    f"store {self.store.display} is damaged, nothing was recorded: {problem} "
                    "(SQLite's quick_check; 'trustledger audit verify' shows more)",
                    problem,
                )
            self._checked_before_writing = True
        to_stored = self.app.mapper.to_stored_event
        events = [to_stored(event) for a in aggregates for event in a.collect_events()]
        # The states in the order of their handles, the order of the table's index: one
        # pass over its pages instead of a page here and there for each (the events keep
        # the input's order, which is their recording order).
        decisions = [
            (a.id, a.version, decision_bytes(state))
            for a in sorted(aggregates, key=attrgetter("id"))
            if (state := a.decision_state()) is not None
        ]
        self.backend.insert_events(events, lock_timeout, decisions)

    def _start_check(self) -> None:
        """Start the check before the first write (SQLite's ``quick_check``) in a thread and
        over a connection of its own, so that it runs while the lines are read and decided:
        SQLite works outside Python's global lock, and on a large file the check takes as
        long as deciding thousands of lines. ``_save`` waits for its verdict before it writes
        anything; a record that refuses its input leaves it running, and ``close`` stops it.
        An in-memory store is checked in ``_save`` itself."""
        if self._checked_before_writing or self._check is not None:
            return
        backend, path = self.backend, self.store.path
        if not isinstance(backend, SQLiteBackend) or path is None or str(path) == ":memory:":
            return
        # When no connection can be had here, ``_save`` checks through the library's.
        with suppress(sqlite3.Error):
            self._check = _QuickCheck(backend, path, self.store.lock_timeout)

    def _locked(self) -> StoreLocked:
        limit = self.store.lock_timeout
        return StoreLocked(
            f"store is locked by another process: {self.store.display} stayed locked for "
            f"{limit:g} s (the lock timeout, {LOCK_TIMEOUT_ENV}); nothing was recorded"
        )

    def _decide(
        self,
        parsed: list[tuple[int, Located, EventLine]],
        default_actor: str,
        progress: Progress | None,
    ) -> tuple[RecordResult, list[tuple[int, LineError]], list[Partnership]]:
        now = self.clock()
        today = self.today()
        latest_day = today + timedelta(days=1)
        result = RecordResult()
        errors: list[tuple[int, LineError]] = []
        given_ids = [line.id for _, _, line in parsed if line.id is not None]
        # The events corrections name: those of another partnership are told apart.
        targets = [line.event for _, _, line in parsed if isinstance(line, CORRECTIONS)]
        wanted = sorted(set(given_ids) | set(targets))
        stored_ids = self.backend.find_ids(wanted) if wanted else {}
        voided = voided_in(line for _, _, line in parsed)
        seen_ids: dict[str, EventLine] = {}
        ids = iter(new_ids(sum(1 for _, _, line in parsed if line.id is None), now))
        aggregates: dict[str, Partnership | None] = {}
        # The partnerships of the input, loaded a batch at a time as the lines need them.
        # A batch holds neighbouring handles, so that reading its saved states visits a few
        # neighbouring pages of the tables and indexes (in a batch of handles from all over,
        # each state was a page of its own, and the batches read the same pages again).
        appearing = list(dict.fromkeys(line.partnership for _, _, line in parsed))
        handles = sorted(appearing)
        batches = [handles[i : i + LOAD_BATCH] for i in range(0, len(handles), LOAD_BATCH)]
        batch_of = {handle: n for n, batch in enumerate(batches) for handle in batch}
        # Those the input corrects: a correction is decided along the whole history (what
        # relies on the event it corrects), so they are loaded from their events.
        corrected = {line.partnership for _, _, line in parsed if isinstance(line, CORRECTIONS)}
        # The commitments the input settles or renegotiates, by partnership: one a saved
        # decision state holds as settled is refused with its day, which the history gives.
        settling: dict[str, set[str]] = {}
        for _, _, line in parsed:
            if isinstance(line, SETTLING):
                settling.setdefault(line.partnership, set()).add(line.commitment)
        for n, (index, where, line) in enumerate(parsed, 1):
            if progress and n % 5000 == 0:
                progress("checking", n, len(parsed))
            try:
                if line.id is not None:
                    earlier = seen_ids.get(line.id)
                    if earlier is None and line.id in stored_ids:
                        earlier = to_recorded(stored_ids[line.id]).line
                    if earlier is not None:
                        if not same_content(line, earlier):
                            raise RuleError(
                                "id", f"{quoted(line.id)} is already recorded with other content"
                            )
                        result.already += 1
                        continue
                update: dict[str, Any] = {}
                if line.occurred_on is None:
                    update["occurred_on"] = today
                elif line.occurred_on > latest_day:
                    raise RuleError("occurred_on", f"{line.occurred_on} is in the future")
                if line.actor is None:
                    update["actor"] = default_actor
                if line.id is None:
                    update["id"] = next(ids)
                if line.recorded_at is not None:
                    update["recorded_at"] = None
                full = line.model_copy(update=update) if update else line
                handle = full.partnership
                if handle not in aggregates:
                    batch = batches[batch_of[handle]]
                    aggregates.update(self._load_many(batch, corrected, settling))
                aggregate = aggregates[handle]
                if isinstance(full, PartnershipRegistered) and aggregate is None:
                    aggregates[handle] = Partnership.register(full, now)
                elif aggregate is None:
                    raise RuleError(
                        "partnership", f"{handle!r} is not registered (register it first)"
                    )
                else:
                    if isinstance(full, CORRECTIONS):
                        _own_event(full, stored_ids, aggregate)
                    if isinstance(full, EventAmended):
                        full = aggregate.completed(full)
                        day = full.line.occurred_on
                        if day is not None and day > latest_day:
                            raise RuleError("line.occurred_on", f"{day} is in the future")
                    aggregate.record(full, now, voided.get(handle, frozenset()))
                if line.id is not None:
                    seen_ids[line.id] = full  # as it will be stored: a retry matches it
                result.recorded += 1
            except RuleError as exc:
                errors.append((index, where.error(exc.field, exc.message)))
        # Saved partnership by partnership in the order they first appear in the input.
        changed = [
            a for h in appearing if (a := aggregates.get(h)) is not None and a.pending_events
        ]
        return result, errors, changed

    def _load(self, handle: str) -> Partnership | None:
        """A partnership rebuilt from every one of its events (None: not registered)."""
        try:
            return self.app.repository.get(handle)
        except AggregateNotFoundError:
            return None

    def _load_many(
        self,
        batch: list[str],
        whole: Collection[str] = (),
        settling: Mapping[str, Collection[str]] | None = None,
    ) -> dict[str, Partnership | None]:
        """The partnerships of ``batch``, each from its saved decision state when that state
        is at the partnership's newest event (same version, same chain link), else from its
        events: an append decides without reading and decoding whole histories. Those in
        ``whole`` always come from their events, as do those whose ``settling`` commitments
        (settled or renegotiated by the input) the saved state holds as settled already."""
        saved = self.backend.decisions([h for h in batch if h not in whole])
        found: dict[str, Partnership | None] = {}
        for handle in batch:
            aggregate = self._from_decision(handle, saved.get(handle))
            named = settling.get(handle) if settling else None
            if aggregate is None or (named and aggregate.settles_again(named)):
                aggregate = self._load(handle)
            found[handle] = aggregate
        return found

    @staticmethod
    def _from_decision(handle: str, saved: tuple[int, bytes, bytes] | None) -> Partnership | None:
        if saved is None:
            return None
        version, state, newest = saved
        try:
            event = decode_state(newest)
            data = orjson.loads(state)
            if not isinstance(data, dict) or data.get("last_link") != event.get("link"):
                return None  # not the state after that very event: decide from the events
            recorded_at = datetime.fromisoformat(event["recorded_at"])
            return Partnership.from_decision_state(handle, version, recorded_at, data)
        except (DecodeError, orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            return None

    # -- reading ------------------------------------------------------------------------

    def max_position(self) -> int:
        """The position of the newest recorded event (0 when the store is empty)."""
        return self.app.recorder.max_notification_id() or 0

    def read_raw(self, after: int = 0, limit: int = READ_PAGE) -> list[RawRow]:
        return self.backend.rows(after, limit)

    def read(
        self,
        after: int = 0,
        limit: int = READ_PAGE,
        *,
        trusted: bool = False,
        part: Part | None = None,
    ) -> list[Recorded]:
        """The recorded events after position ``after``, oldest first, at most ``limit``.
        ``trusted``: decoded as the ledger's own rows (:func:`trusted_rows`); ``part``: of
        those partnerships only (trusted reading only)."""
        if trusted:
            return trusted_rows(self.backend.states(after, limit, part))
        if part is not None:
            raise ValueError("a part of the partnerships is read trusted")
        return [to_recorded(row) for row in self.backend.rows(after, limit)]

    def iter_events(
        self,
        after: int = 0,
        page: int = READ_PAGE,
        *,
        trusted: bool = False,
        part: Part | None = None,
    ) -> Iterator[Recorded]:
        """Every recorded event after ``after`` in recording order, read page by page
        (``trusted`` and ``part`` as for :meth:`read`)."""
        return items(
            lambda start, limit: self.read(start, limit, trusted=trusted, part=part), after, page
        )

    def history(self, handle: str, *, trusted: bool = False) -> list[Recorded]:
        """One partnership's events, oldest first; ``trusted`` as for :meth:`read` (for
        folds of the ledger's own rows, not for audits)."""
        rows = self.backend.partnership_rows(handle)
        if trusted:
            return trusted_rows((row.position, row.version, row.state) for row in rows)
        return [to_recorded(row) for row in rows]

    def handles(self) -> list[str]:
        return self.backend.handles()

    def event_counts(self) -> dict[str, int]:
        """How many events each partnership has."""
        return self.backend.event_counts()

    def link_at(self, position: int) -> str | None:
        """The chain link of the event at ``position`` ("" for 0; None when the store holds
        no event there): what tells one store's history from another's."""
        if position <= 0:
            return ""
        found = self.read_raw(position - 1, 1)
        if not found or found[0].position != position:
            return None
        try:
            link = decode_state(found[0].state).get("link")
        except DecodeError:
            return None
        return link if isinstance(link, str) else None

    def read_store(self) -> ReadStore:
        """The tables of the shared read model in this store (``domain.readstore``)."""
        return ReadStore(self.backend, self.store.kind, self.store.display)

    def corrections(self, upto: int | None = None) -> list[Recorded]:
        """Every recorded correction (at or before position ``upto``), oldest first: what a
        replay of a stream read once needs to know before it starts."""
        limit = self.max_position() if upto is None else upto
        return [to_recorded(row) for row in self.backend.correction_rows(limit)]

    def wait_for_new(self, after: int, timeout: float) -> bool:
        """Block until an event past position ``after`` is recorded (True) or ``timeout``
        seconds pass (False): LISTEN/NOTIFY on PostgreSQL, polling on SQLite."""
        if self._watcher is None:
            self._watcher = self.watcher()
        return self._watcher.wait(after, timeout)

    def watcher(self, stop: threading.Event | None = None) -> Watcher:
        """A waiter for new events (``trustledger.domain.watch``): LISTEN/NOTIFY on
        PostgreSQL, polling on SQLite; setting ``stop`` ends any wait at once."""
        if self.store.kind == "postgresql":
            return NotifyWatcher(
                self.max_position,
                listen=lambda: postgres_connect(self.store, autocommit=True),
                channel=cast(Any, self.app.recorder).channel_name,
                stop=stop,
                where=self.store.display,
            )
        return PollingWatcher(
            self.max_position, stop=stop, path=self.store.path, where=self.store.display
        )


CORRECTIONS = (EventVoided, EventAmended)
#: The lines that settle or renegotiate a commitment (see ``Ledger._load_many``).
SETTLING = (CommitmentKept, CommitmentMissed, CommitmentRenegotiated)


#: A version 7 UUID's fixed bits (RFC 9562) beside its time: the version, and the variant.
_UUID7_VERSION = 0x7 << 76
_UUID7_VARIANT = 0b10 << 62
_RAND_A = 0xFFF << 68  # the 12 random bits after the version
_RAND_B = (1 << 62) - 1  # the 62 random bits after the variant
_MILLIS = (1 << 48) - 1


def new_ids(count: int, at: datetime) -> list[str]:
    """``count`` new event ids in increasing order: version 7 UUIDs (RFC 9562) as text,
    the milliseconds of ``at`` (the recording time) then 74 random bits, from one read of
    the system's random source.

    The ids of one record sit side by side in the store's index of ids, so that saving
    thousands of lines rewrites a few of its pages, where random (version 4) ids land one
    to a page all over it."""
    head = (int(at.timestamp() * 1000) & _MILLIS) << 80 | _UUID7_VERSION | _UUID7_VARIANT
    raw = os.urandom(10 * count)
    numbers = sorted(
        head | (r & _RAND_A) >> 4 | r & _RAND_B
        for r in (int.from_bytes(raw[s : s + 10]) for s in range(0, 10 * count, 10))
    )
    made = []
    for n in numbers:
        h = f"{n:032x}"
        made.append(f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}")
    return made


def voided_in(lines: Iterable[EventLine]) -> dict[str, frozenset[str]]:
    """The ids each partnership's ``event_voided`` lines name."""
    found: dict[str, set[str]] = {}
    for line in lines:
        if isinstance(line, EventVoided):
            found.setdefault(line.partnership, set()).add(line.event)
    return {handle: frozenset(ids) for handle, ids in found.items()}


def _own_event(
    line: EventVoided | EventAmended, stored: dict[str, RawRow], aggregate: Partnership
) -> None:
    """Refuse a correction naming another partnership's event, saying whose it is."""
    row = stored.get(line.event)
    if row is not None and row.partnership != aggregate.id:
        raise RuleError(
            "event",
            f"{quoted(line.event)} is an event of partnership {row.partnership!r}, not "
            f"{aggregate.id!r}: a correction names an event of its own partnership",
        )


class _QuickCheck:
    """SQLite's ``quick_check`` of a store file in a thread of its own, over a connection of
    its own (which :meth:`stop` interrupts); :meth:`result` waits for the verdict."""

    def __init__(self, backend: SQLiteBackend, path: Path, timeout: float) -> None:
        # mode=rw: the file exists (the ledger has opened it); never create one.
        self._connection = sqlite3.connect(
            f"{path.absolute().as_uri()}?mode=rw",
            uri=True,
            timeout=timeout,
            check_same_thread=False,
        )
        self._problem: str | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._run, args=(backend,), name="trustledger-quick-check", daemon=True
        )
        self._thread.start()

    def _run(self, backend: SQLiteBackend) -> None:
        try:
            self._problem = backend.integrity_problem(quick=True, connection=self._connection)
        except BaseException as exc:  # handed to the thread that waits for the verdict
            self._error = exc

    def result(self) -> str | None:
        """The problem the check found (None: sound); what it raised is raised here."""
        self._thread.join()
        self._connection.close()
        if self._error is not None:
            raise self._error
        return self._problem

    def stop(self) -> None:
        """End the check early; its verdict is not wanted."""
        if self._thread.is_alive():
            self._connection.interrupt()  # open until joined: closed only here or in result()
        self._thread.join()
        self._connection.close()


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Hold off Python's cycle collector for the duration.

    A record keeps everything it builds (lines, decision states, new events) until its save,
    and its input holds no reference cycles to free; but the allocations alone start the
    collector's passes, each over every live object, which made up about a fifth of a large
    append's time. Nested or concurrent uses leave the collector as the outermost found it.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _in_input_order(errors: list[tuple[int, LineError]]) -> list[LineError]:
    return [error for _, error in sorted(errors, key=lambda pair: pair[0])]


def export_line(event: Recorded) -> dict[str, Any]:
    """An event as an NDJSON object that ``record`` accepts again."""
    data = line_payload(event.line)
    data["recorded_at"] = event.recorded_at.isoformat()
    return data


def _postgres_setup_lock(store: StoreConfig) -> Any:
    """A first, plain connection: it gives the real reason when the server cannot be
    reached or refuses the login, and it holds the advisory lock while tables are made."""
    import psycopg

    try:
        return postgres_connect(store, autocommit=True)
    except psycopg.Error as exc:
        # The service scrubs the password from every store error it passes on.
        raise StoreError(f"cannot reach {store.display}: {first_line(exc)}") from None


def _postgres_is_set_up(conn: Any, store: StoreConfig) -> bool:
    """Are the index and the current id function in place (then no DDL is needed)?"""
    import psycopg

    schema = store.schema or "public"
    try:
        row = conn.execute(
            "SELECT count(*) = 2 FROM pg_indexes WHERE schemaname=%s AND indexname IN (%s, %s)",
            (schema, f"{APP_NAME}_events_line_id", f"{APP_NAME}_events_corrections"),
        ).fetchone()
        function = conn.execute(
            "SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname=%s AND p.proname='trustledger_line_id' AND p.prosrc LIKE %s",
            (schema, f"%{PG_ID_FUNCTION_VERSION}%"),
        ).fetchone()
        decisions = conn.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema=%s "
            "AND table_name=%s",
            (schema, DECISIONS_TABLE),
        ).fetchone()
    except psycopg.Error as exc:  # the server went away meanwhile
        raise StoreError(f"cannot reach {store.display}: {first_line(exc)}") from None
    return bool(row and row[0] and function and function[0] and decisions and decisions[0])


def _postgres_setup_wait(conn: Any, store: StoreConfig) -> None:
    """Take the setup lock, waiting at most the store's lock timeout."""
    import psycopg

    milliseconds = max(1, int(store.lock_timeout * 1000))
    try:
        conn.execute(f"SET lock_timeout = {milliseconds}")
        conn.execute("SELECT pg_advisory_lock(%s)", (SETUP_LOCK_KEY,))
    except psycopg.errors.LockNotAvailable:
        raise StoreLocked(
            f"store is locked by another process: {store.display} is being set up by "
            f"another process for longer than the lock timeout ({store.lock_timeout:g} s)"
        ) from None
    except psycopg.Error as exc:  # the server went away meanwhile
        raise StoreError(f"cannot reach {store.display}: {first_line(exc)}") from None


def _create_private(path: Path, *, make_directories: bool = False) -> None:
    """Create the store's file (0600) and, when ``make_directories``, its missing directories
    (0700), whatever the umask: an event history is nobody else's business. SQLite gives the
    -wal and -shm files the database file's mode. What already exists keeps its mode.

    Without ``make_directories`` a missing directory is a ``StoreError`` naming it, and
    nothing is created."""
    missing: list[Path] = []
    directory = path.parent
    while not directory.exists():
        missing.append(directory)
        directory = directory.parent
    if missing and not make_directories:
        raise StoreError(
            f"cannot create the store {path}: there is no directory {path.parent} (create it first)"
        )
    try:
        for directory in reversed(missing):
            try:
                directory.mkdir(mode=0o700)
            except FileExistsError:
                continue  # another process made it first
            os.chmod(directory, 0o700)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return
        try:
            os.fchmod(fd, 0o600)
        finally:
            os.close(fd)
    except OSError as exc:
        raise StoreError(f"cannot create {exc.filename or path}: {exc.strerror}") from None


def _is_lock_wait(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "locked" in text or "lock timeout" in text


def _sqlite_wal(store: StoreConfig) -> None:
    """Put the SQLite file in WAL mode before the library opens it.

    The library switches a new file to WAL on its first connection, and that switch fails at
    once with "database is locked" (no busy wait) when another process is creating the same
    file at that moment. Switching here, with retries, lets concurrent first writers all
    succeed; the library then finds WAL already on.
    """
    assert store.path is not None
    deadline = time.monotonic() + store.lock_timeout
    while True:
        try:
            with closing(sqlite3.connect(store.path, timeout=store.lock_timeout)) as conn:
                conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc).lower() and time.monotonic() > deadline:
                raise StoreLocked(
                    f"store is locked by another process: {store.display} stayed locked for "
                    f"{store.lock_timeout:g} s (the lock timeout, {LOCK_TIMEOUT_ENV})"
                ) from None
            if "locked" not in str(exc).lower():
                raise StoreError(f"cannot open store {store.display}: {exc}") from None
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open store {store.display}: {exc}") from None
        time.sleep(random.uniform(0.005, 0.05))


def located_lines(source: str, text_lines: Iterable[str]) -> list[Located]:
    """Non-blank lines of one input, numbered from 1."""
    return [Located(source, n, text) for n, text in enumerate(text_lines, 1) if text.strip()]


__all__ = [
    "DecodeError",
    "Ledger",
    "Located",
    "RecordResult",
    "export_line",
    "located_lines",
    "parse_line",
]
