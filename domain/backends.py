"""The few SQL statements the ledger needs beyond what eventsourcing's recorders offer.

Each backend adds a unique index on the event line's ``id`` inside the stored JSON, so
the store itself guarantees that an idempotency key is recorded once even when several
processes record at once (the loser of a race gets the library's ``IntegrityError`` and
re-decides). It also reads one partnership's rows with their notification ids, and the
raw rows for the audit walk.

It saves a record's events itself, in one transaction: on PostgreSQL in bounded chunks
without pipeline mode (the library sends a whole save as one pipelined statement, and from
about 25,000 events client and server both block on full socket buffers: psycopg issue
685), and on both backends waiting at most the time left of the record's lock timeout.

Reading errors become one-line ``StoreError``s, and on SQLite the file can be checked with
SQLite's own ``integrity_check``/``quick_check``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from eventsourcing.persistence import OperationalError, PersistenceError, StoredEvent
from trustledger.domain.errors import StoreDamaged, StoreError, StoreLocked, first_line

ID_CHUNK = 500
# Rows per INSERT statement when saving on PostgreSQL: small enough that neither side's
# socket buffer fills, large enough that round trips do not dominate.
SAVE_CHUNK = 1000
#: The stored topics (event types) of corrections, which a partial index finds quickly.
CORRECTION_TOPICS = ("event_voided", "event_amended")
_CORRECTION_WHERE = "topic IN ('event_voided', 'event_amended')"
# Marks the current definition of PostgreSQL's id function (see PostgresBackend).
PG_ID_FUNCTION_VERSION = "trustledger line id v2"
# Each partnership's decision state, saved with its events (see Ledger._load_many).
DECISIONS_TABLE = "trustledger_decisions"
DECISIONS_DDL_SQLITE = (
    f"CREATE TABLE IF NOT EXISTS {DECISIONS_TABLE} "
    "(handle TEXT PRIMARY KEY, version INTEGER NOT NULL, state BLOB NOT NULL)"
)


@dataclass(frozen=True, slots=True)
class RawRow:
    """A stored event exactly as it sits in the table."""

    position: int
    partnership: str
    version: int
    topic: str
    state: bytes


class Backend(Protocol):
    def ensure_schema(self) -> None: ...
    def has_tables(self) -> bool: ...
    def find_ids(self, ids: Sequence[str]) -> dict[str, RawRow]: ...
    def partnership_rows(self, handle: str) -> list[RawRow]: ...
    def correction_rows(self, upto: int) -> list[RawRow]: ...
    def rows(self, after: int, limit: int) -> list[RawRow]: ...
    def states(
        self, after: int, limit: int, part: Part | None = None
    ) -> list[tuple[int, int, bytes]]: ...
    def handles(self) -> list[str]: ...
    def event_counts(self) -> dict[str, int]: ...
    def insert_events(
        self,
        events: Sequence[StoredEvent],
        lock_timeout: float,
        decisions: Sequence[Decision] = (),
    ) -> None: ...
    def decisions(self, handles: Sequence[str]) -> dict[str, tuple[int, bytes, bytes]]: ...
    def integrity_problem(self, *, quick: bool = False) -> str | None: ...


#: A partnership's decision state as saved with its events: (handle, version, JSON bytes).
Decision = tuple[str, int, bytes]

#: Some of the partnerships, by handle: ``(first, before)``, those from ``first`` and before
#: ``before`` in the order of their bytes (None: no bound). Two parts that meet at one handle
#: hold every partnership once between them, whatever the database's text collation.
Part = tuple[str | None, str | None]

T = TypeVar("T")


def _chunks(items: Sequence[T], size: int = ID_CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class _Reading:
    """Turns a failed read into a one-line StoreError naming the store."""

    def __init__(self, where: str) -> None:
        self.where = where

    @contextmanager
    def _reading(self) -> Iterator[None]:
        try:
            yield
        except (PersistenceError, sqlite3.Error) as exc:
            raise self._read_failed(exc) from None

    def _read_failed(self, exc: BaseException) -> StoreError:
        return StoreError(f"cannot read store {self.where}: {first_line(exc)}")


def _part_where(part: Part | None, mark: str, collate: str) -> tuple[str, tuple[str, ...]]:
    """The SQL that keeps the rows of ``part`` (to follow a first condition), and its
    values; ``collate`` makes the database compare handles byte by byte."""
    if part is None:
        return "", ()
    first, before = part
    where: str = ""
    values: tuple[str, ...] = ()
    if first is not None:
        where, values = f" AND originator_id{collate} >= {mark}", (first,)
    if before is not None:
        where, values = f"{where} AND originator_id{collate} < {mark}", (*values, before)
    return where, values


def _row(values: Iterable[Any]) -> RawRow:
    position, partnership, version, topic, state = values
    if type(state) is not bytes:
        # A row edited by hand may hold text or NULL where bytes belong: keep it readable
        # so the audit walk can report it instead of failing.
        state = state.encode() if isinstance(state, str) else bytes(state or b"")
    return RawRow(position, partnership, version, topic, state)


class SQLiteBackend(_Reading):
    """SQL for the library's SQLite recorder (table ``stored_events``, rowid = position)."""

    ID_EXPR = "json_extract(CAST(state AS TEXT), '$.id')"

    def __init__(self, recorder: Any, where: str) -> None:
        super().__init__(where)
        self.datastore = recorder.datastore
        self.table = recorder.events_table_name

    def ensure_schema(self) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute(
                f"CREATE UNIQUE INDEX IF NOT EXISTS {self.table}_line_id "
                f"ON {self.table} ({self.ID_EXPR})"
            )
            c.execute(
                f"CREATE INDEX IF NOT EXISTS {self.table}_corrections "
                f"ON {self.table} (topic) WHERE {_CORRECTION_WHERE}"
            )
            c.execute(DECISIONS_DDL_SQLITE)

    def decisions(self, handles: Sequence[str]) -> dict[str, tuple[int, bytes, bytes]]:
        """The saved decision state of each of ``handles`` that has one at its newest event:
        ``(version, state, that event's stored state)``."""
        found: dict[str, tuple[int, bytes, bytes]] = {}
        with self._reading(), self.datastore.transaction(commit=False) as c:
            c.execute(
                "SELECT count(*) FROM sqlite_master WHERE type='table' AND name=?",
                (DECISIONS_TABLE,),
            )
            if not c.fetchone()[0]:
                return found
            for chunk in _chunks(handles):
                marks = ",".join("?" * len(chunk))
                c.execute(
                    f"SELECT d.handle, d.version, d.state, e.state FROM {DECISIONS_TABLE} d "
                    f"JOIN {self.table} e ON e.originator_id = d.handle "
                    "AND e.originator_version = d.version "
                    f"WHERE d.handle IN ({marks}) AND NOT EXISTS (SELECT 1 FROM {self.table} x "
                    "WHERE x.originator_id = d.handle AND x.originator_version > d.version)",
                    list(chunk),
                )
                for handle, version, state, event in map(tuple, c.fetchall()):
                    found[handle] = (version, bytes(state), bytes(event))
        return found

    def has_tables(self) -> bool:
        with self._reading(), self.datastore.transaction(commit=False) as c:
            c.execute("SELECT name FROM sqlite_master WHERE type='table' AND name=?", (self.table,))
            return c.fetchone() is not None

    def insert_events(
        self,
        events: Sequence[StoredEvent],
        lock_timeout: float,
        decisions: Sequence[Decision] = (),
    ) -> None:
        """Insert ``events`` (and replace the ``decisions`` of their partnerships) in one
        transaction, waiting at most ``lock_timeout`` seconds for another process's write
        lock (then StoreLocked)."""
        rows = [(e.originator_id, e.originator_version, e.topic, e.state) for e in events]
        try:
            with self.datastore.transaction(commit=True) as c:
                # The busy handler's limit for this write, the rest of the record's budget.
                c.execute(f"PRAGMA busy_timeout = {max(1, int(lock_timeout * 1000))}")
                c.executemany(
                    f"INSERT INTO {self.table} (originator_id, originator_version, topic, state) "
                    "VALUES (?, ?, ?, ?)",
                    rows,
                )
                if decisions:
                    c.execute(DECISIONS_DDL_SQLITE)  # a store set up before the table existed
                    # An update in place: a replace deletes the row and inserts it again
                    # at the table's end, writing about a third more pages into the WAL.
                    c.executemany(
                        f"INSERT INTO {DECISIONS_TABLE} (handle, version, state) "
                        "VALUES (?, ?, ?) ON CONFLICT (handle) DO UPDATE "
                        "SET version = excluded.version, state = excluded.state",
                        list(decisions),
                    )
        except OperationalError as exc:
            if "locked" in str(exc).lower() or "busy" in str(exc).lower():
                raise StoreLocked(f"store {self.where} is locked by another process") from None
            raise

    def _read_failed(self, exc: BaseException) -> StoreError:
        reason = first_line(exc)
        if "locked" not in reason.lower():
            problem = self.integrity_problem(quick=True)
            if problem is not None:
                return StoreDamaged(
                    f"store {self.where} is damaged: {problem} (SQLite's quick_check; "
                    f"reading failed with: {reason})",
                    problem,
                )
        return StoreError(f"cannot read store {self.where}: {reason}")

    def integrity_problem(
        self, *, quick: bool = False, connection: sqlite3.Connection | None = None
    ) -> str | None:
        """The first problem SQLite's own check finds in the file (None when it is sound).

        ``quick`` runs ``quick_check`` (pages and structure, not index contents: fast
        enough before every write); otherwise the full ``integrity_check``. ``connection``:
        check through this connection to the file instead of the library's.
        """
        pragma = "quick_check" if quick else "integrity_check"
        found: list[str] = []

        def run(c: Any) -> None:
            c.execute(f"PRAGMA {pragma}(20)")
            while (row := c.fetchone()) is not None:
                found.extend(str(row[0]).splitlines())

        try:
            if connection is not None:
                with closing(connection.cursor()) as cursor:
                    run(cursor)
            else:
                with self.datastore.transaction(commit=False) as c:
                    run(c)
        except (PersistenceError, sqlite3.Error) as exc:
            # The full check recomputes the id index and stops at a row whose stored state
            # is no longer JSON: what it found until then, or the quick check, names pages.
            if not found and not quick:
                return self.integrity_problem(quick=True) or first_line(exc)
            found.append(first_line(exc))
        problems = [line.strip() for line in found if line not in ("ok", "") and "***" not in line]
        if not problems:
            return None
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        return f"{problems[0]}{more}"

    def find_ids(self, ids: Sequence[str]) -> dict[str, RawRow]:
        found: dict[str, RawRow] = {}
        with self._reading(), self.datastore.transaction(commit=False) as c:
            for chunk in _chunks(ids):
                marks = ",".join("?" * len(chunk))
                c.execute(
                    f"SELECT {self.ID_EXPR}, rowid, originator_id, originator_version, topic, "
                    f"state FROM {self.table} WHERE {self.ID_EXPR} IN ({marks})",
                    list(chunk),
                )
                for row in c.fetchall():
                    found[row[0]] = _row(tuple(row)[1:])
        return found

    def partnership_rows(self, handle: str) -> list[RawRow]:
        with self._reading(), self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT rowid, originator_id, originator_version, topic, state FROM {self.table} "
                "WHERE originator_id=? ORDER BY originator_version",
                (handle,),
            )
            return [_row(tuple(row)) for row in c.fetchall()]

    def correction_rows(self, upto: int) -> list[RawRow]:
        """Every stored correction at or before position ``upto``, in recording order."""
        with self._reading(), self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT rowid, originator_id, originator_version, topic, state FROM {self.table} "
                f"WHERE {_CORRECTION_WHERE} AND rowid<=? ORDER BY rowid",
                (upto,),
            )
            return [_row(tuple(row)) for row in c.fetchall()]

    def _page(self, columns: str, after: int, limit: int, part: Part | None = None) -> list[Any]:
        """``columns`` of the rows after position ``after``, at most ``limit``, as tuples;
        those of the partnerships of ``part`` only, when it is given."""
        where, values = _part_where(part, "?", "")
        with self._reading(), self.datastore.transaction(commit=False) as c:
            cursor = c.sqlite_cursor
            # Plain tuples: the library's sqlite3.Row factory costs more than the rest of
            # reading a row when a replay reads millions of them.
            cursor.row_factory = None
            cursor.execute(
                f"SELECT {columns} FROM {self.table} WHERE rowid>?{where} ORDER BY rowid LIMIT ?",
                (after, *values, limit),
            )
            return cursor.fetchall()

    def rows(self, after: int, limit: int) -> list[RawRow]:
        columns = "rowid, originator_id, originator_version, topic, state"
        return [_row(row) for row in self._page(columns, after, limit)]

    def states(
        self, after: int, limit: int, part: Part | None = None
    ) -> list[tuple[int, int, bytes]]:
        """``(position, version, state)`` of the rows after ``after`` (of the partnerships of
        ``part``, when given): what a replay reads (the partnership and type are in the
        state), at the least cost per row."""
        return self._page("rowid, originator_version, state", after, limit, part)

    def handles(self) -> list[str]:
        with self._reading(), self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT originator_id FROM {self.table} WHERE originator_version=1 "
                "ORDER BY originator_id"
            )
            return [row[0] for row in c.fetchall()]

    def event_counts(self) -> dict[str, int]:
        """How many events each partnership has (from the table's key, not its rows)."""
        with self._reading(), self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT originator_id, count(*) FROM {self.table} GROUP BY originator_id")
            return {row[0]: row[1] for row in c.fetchall()}


class PostgresBackend(_Reading):
    """SQL for the library's PostgreSQL recorder (table ``<app>_events``).

    The id index is over a SQL function of the stored bytes. PostgreSQL's text and jsonb
    cannot hold NUL, so a row whose JSON holds ``\\u0000`` anywhere (possible in a store
    written before control characters were refused, then migrated here) would make the
    jsonb cast fail; for those rows alone the escape is read as U+FFFD first. Every other
    row gets the same id as before, so an existing index stays valid when the function is
    replaced.
    """

    def __init__(self, recorder: Any, where: str) -> None:
        super().__init__(where)
        self.datastore = recorder.datastore
        self.schema = self.datastore.schema
        self.table_name = recorder.events_table_name
        self.table = f'"{self.schema}"."{self.table_name}"'
        self.id_func = f'"{self.schema}".trustledger_line_id'
        self.channel = recorder.channel_name
        self.decisions_table = f'"{self.schema}"."{DECISIONS_TABLE}"'
        # Once seen, the decisions table is not looked up again (nothing drops it): an
        # append reads its states a batch at a time, and the catalog query took 2 ms each.
        self._decisions_seen = False

    def ensure_schema(self) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute(
                f"CREATE OR REPLACE FUNCTION {self.id_func}(state bytea) RETURNS text "
                "LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ "
                f"/* {PG_ID_FUNCTION_VERSION} */ "
                r"SELECT CASE WHEN strpos(t, '\u0000') = 0 THEN t::jsonb ->> 'id' "
                r"ELSE regexp_replace(t, '(?<!\\)((?:\\\\)*)\\u0000', '\1\\ufffd', 'g')"
                "::jsonb ->> 'id' END FROM convert_from(state, 'UTF8') AS t $$"
            )
            c.execute(
                f'CREATE UNIQUE INDEX IF NOT EXISTS "{self.table_name}_line_id" '
                f"ON {self.table} ({self.id_func}(state))"
            )
            c.execute(
                f'CREATE INDEX IF NOT EXISTS "{self.table_name}_corrections" '
                f"ON {self.table} (topic) WHERE {_CORRECTION_WHERE}"
            )
            c.execute(self._decisions_ddl())

    def _decisions_ddl(self) -> str:
        return (
            f"CREATE TABLE IF NOT EXISTS {self.decisions_table} "
            "(handle TEXT PRIMARY KEY, version BIGINT NOT NULL, state BYTEA NOT NULL)"
        )

    def decisions(self, handles: Sequence[str]) -> dict[str, tuple[int, bytes, bytes]]:
        """As :meth:`SQLiteBackend.decisions`."""
        found: dict[str, tuple[int, bytes, bytes]] = {}
        with self._reading(), self.datastore.transaction(commit=False) as c:
            if not self._decisions_seen:
                c.execute(
                    "SELECT 1 FROM information_schema.tables "
                    "WHERE table_schema=%s AND table_name=%s",
                    (self.schema, DECISIONS_TABLE),
                )
                if c.fetchone() is None:
                    return found
                self._decisions_seen = True
            for chunk in _chunks(handles):
                c.execute(
                    f"SELECT d.handle, d.version, d.state, e.state AS event "
                    f"FROM {self.decisions_table} d "
                    f"JOIN {self.table} e ON e.originator_id = d.handle "
                    "AND e.originator_version = d.version "
                    f"WHERE d.handle = ANY(%s) AND NOT EXISTS (SELECT 1 FROM {self.table} x "
                    "WHERE x.originator_id = d.handle AND x.originator_version > d.version)",
                    (list(chunk),),
                    binary=True,  # the states as their bytes, not as hex text to decode
                )
                for row in c.fetchall():
                    handle, version, state, event = row.values()
                    found[handle] = (version, bytes(state), bytes(event))
        return found

    def insert_events(
        self,
        events: Sequence[StoredEvent],
        lock_timeout: float,
        decisions: Sequence[Decision] = (),
    ) -> None:
        """Insert ``events`` (and replace the ``decisions`` of their partnerships) in one
        transaction, in chunks of SAVE_CHUNK rows, waiting at most ``lock_timeout`` seconds
        for the table lock (then StoreLocked)."""
        from psycopg import sql

        # The arrays go in PostgreSQL's binary format (%b): as text, each state's bytes are
        # written as hex and parsed back by the server, which took seven times as long as
        # sending them (a thousand states: 35 ms against 5 ms).
        insert = sql.SQL(
            "INSERT INTO {} (originator_id, originator_version, topic, state) "
            "SELECT * FROM unnest(%b::text[], %b::bigint[], %b::text[], %b::bytea[])"
        ).format(sql.Identifier(self.schema, self.table_name))
        try:
            with self.datastore.get_connection() as conn, conn.transaction():
                cursor = conn.cursor()
                milliseconds = max(1, int(lock_timeout * 1000))  # 0 would mean no limit
                cursor.execute(
                    sql.SQL("SET LOCAL lock_timeout = {}").format(sql.Literal(f"{milliseconds}ms"))
                )
                # As the library does: writers take turns, so that notification ids become
                # visible in order and a follower never skips one committed late.
                cursor.execute(
                    sql.SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(
                        sql.Identifier(self.schema, self.table_name)
                    )
                )
                if events:  # followers are woken only by a commit that inserted events
                    cursor.execute(sql.SQL("NOTIFY {}").format(sql.Identifier(self.channel)))
                for chunk in _chunks(events, SAVE_CHUNK):
                    cursor.execute(
                        insert,
                        (
                            [e.originator_id for e in chunk],
                            [e.originator_version for e in chunk],
                            [e.topic for e in chunk],
                            [e.state for e in chunk],
                        ),
                    )
                if decisions:  # a store set up before the table existed
                    cursor.execute(self._decisions_ddl())
                upsert = sql.SQL(
                    "INSERT INTO {} (handle, version, state) "
                    "SELECT * FROM unnest(%b::text[], %b::bigint[], %b::bytea[]) "
                    "ON CONFLICT (handle) DO UPDATE "
                    "SET version = EXCLUDED.version, state = EXCLUDED.state"
                ).format(sql.Identifier(self.schema, DECISIONS_TABLE))
                for part in _chunks(decisions, SAVE_CHUNK):
                    cursor.execute(
                        upsert,
                        ([d[0] for d in part], [d[1] for d in part], [d[2] for d in part]),
                    )
        except OperationalError as exc:
            if getattr(exc.__cause__, "sqlstate", None) == "55P03":  # lock_not_available
                raise StoreLocked(f"store {self.where} is locked by another process") from None
            raise

    def integrity_problem(self, *, quick: bool = False) -> str | None:
        """PostgreSQL keeps its own files sound; nothing to check from here."""
        return None

    def has_tables(self) -> bool:
        with self._reading(), self.datastore.transaction(commit=False) as c:
            c.execute(
                "SELECT 1 FROM information_schema.tables WHERE table_schema=%s AND table_name=%s",
                (self.schema, self.table_name),
            )
            return c.fetchone() is not None

    def find_ids(self, ids: Sequence[str]) -> dict[str, RawRow]:
        found: dict[str, RawRow] = {}
        with self._reading(), self.datastore.transaction(commit=False) as c:
            for chunk in _chunks(ids):
                c.execute(
                    f"SELECT {self.id_func}(state) AS line_id, notification_id, originator_id, "
                    f"originator_version, topic, state FROM {self.table} "
                    f"WHERE {self.id_func}(state) = ANY(%s)",
                    (list(chunk),),
                    binary=True,
                )
                for row in c.fetchall():
                    values = list(row.values())
                    found[values[0]] = _row(values[1:])
        return found

    def partnership_rows(self, handle: str) -> list[RawRow]:
        with self._reading(), self.datastore.transaction(commit=False) as c:
            c.execute(
                "SELECT notification_id, originator_id, originator_version, topic, state "
                f"FROM {self.table} WHERE originator_id=%s ORDER BY originator_version",
                (handle,),
                binary=True,
            )
            return [_row(row.values()) for row in c.fetchall()]

    def correction_rows(self, upto: int) -> list[RawRow]:
        """Every stored correction at or before position ``upto``, in recording order."""
        with self._reading(), self.datastore.transaction(commit=False) as c:
            c.execute(
                "SELECT notification_id, originator_id, originator_version, topic, state "
                f"FROM {self.table} WHERE {_CORRECTION_WHERE} AND notification_id<=%s "
                "ORDER BY notification_id",
                (upto,),
                binary=True,
            )
            return [_row(row.values()) for row in c.fetchall()]

    def _page(self, columns: str, after: int, limit: int, part: Part | None = None) -> list[Any]:
        """``columns`` of the rows after position ``after``, at most ``limit``, as dicts;
        those of the partnerships of ``part`` only, when it is given."""
        where, values = _part_where(part, "%s", ' COLLATE "C"')
        with self._reading(), self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT {columns} FROM {self.table} "
                f"WHERE notification_id>%s{where} ORDER BY notification_id LIMIT %s",
                (after, *values, limit),
                # The states as their bytes: as hex text, decoding them took as long again
                # as the rest of reading a page (300,000 rows: 1.35-1.47 s, now 0.71-0.97).
                binary=True,
            )
            return c.fetchall()

    def rows(self, after: int, limit: int) -> list[RawRow]:
        columns = "notification_id, originator_id, originator_version, topic, state"
        return [_row(row.values()) for row in self._page(columns, after, limit)]

    def states(
        self, after: int, limit: int, part: Part | None = None
    ) -> list[tuple[int, int, bytes]]:
        """``(position, version, state)`` of the rows after ``after`` (see SQLite's)."""
        page = self._page("notification_id, originator_version, state", after, limit, part)
        return [tuple(row.values()) for row in page]

    def handles(self) -> list[str]:
        with self._reading(), self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT originator_id FROM {self.table} WHERE originator_version=1 "
                "ORDER BY originator_id"
            )
            return [row["originator_id"] for row in c.fetchall()]

    def event_counts(self) -> dict[str, int]:
        """How many events each partnership has (see SQLite's)."""
        with self._reading(), self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT originator_id, count(*) AS n FROM {self.table} GROUP BY originator_id"
            )
            return {row["originator_id"]: row["n"] for row in c.fetchall()}
