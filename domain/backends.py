"""The few SQL statements the ledger needs beyond what eventsourcing's recorders offer.

Each backend adds a unique index on the event line's ``id`` inside the stored JSON, so
the store itself guarantees that an idempotency key is recorded once even when several
processes record at once (the loser of a race gets the library's ``IntegrityError`` and
re-decides). It also reads one partnership's rows with their notification ids, and the
raw rows for the audit walk.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

ID_CHUNK = 500


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
    def rows(self, after: int, limit: int) -> list[RawRow]: ...
    def handles(self) -> list[str]: ...


def _chunks(items: Sequence[str], size: int = ID_CHUNK) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _row(values: Iterable[Any]) -> RawRow:
    position, partnership, version, topic, state = values
    if type(state) is not bytes:
        # A row edited by hand may hold text or NULL where bytes belong: keep it readable
        # so the audit walk can report it instead of failing.
        state = state.encode() if isinstance(state, str) else bytes(state or b"")
    return RawRow(position, partnership, version, topic, state)


class SQLiteBackend:
    """SQL for the library's SQLite recorder (table ``stored_events``, rowid = position)."""

    ID_EXPR = "json_extract(CAST(state AS TEXT), '$.id')"

    def __init__(self, recorder: Any) -> None:
        self.datastore = recorder.datastore
        self.table = recorder.events_table_name

    def ensure_schema(self) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute(
                f"CREATE UNIQUE INDEX IF NOT EXISTS {self.table}_line_id "
                f"ON {self.table} ({self.ID_EXPR})"
            )

    def has_tables(self) -> bool:
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT name FROM sqlite_master WHERE type='table' AND name=?", (self.table,))
            return c.fetchone() is not None

    def find_ids(self, ids: Sequence[str]) -> dict[str, RawRow]:
        found: dict[str, RawRow] = {}
        with self.datastore.transaction(commit=False) as c:
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
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT rowid, originator_id, originator_version, topic, state FROM {self.table} "
                "WHERE originator_id=? ORDER BY originator_version",
                (handle,),
            )
            return [_row(tuple(row)) for row in c.fetchall()]

    def rows(self, after: int, limit: int) -> list[RawRow]:
        with self.datastore.transaction(commit=False) as c:
            cursor = c.sqlite_cursor
            # Plain tuples: the library's sqlite3.Row factory costs more than the rest of
            # reading a row when a replay reads millions of them.
            cursor.row_factory = None
            cursor.execute(
                f"SELECT rowid, originator_id, originator_version, topic, state FROM {self.table} "
                "WHERE rowid>? ORDER BY rowid LIMIT ?",
                (after, limit),
            )
            return [_row(row) for row in cursor.fetchall()]

    def handles(self) -> list[str]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT originator_id FROM {self.table} WHERE originator_version=1 "
                "ORDER BY originator_id"
            )
            return [row[0] for row in c.fetchall()]


class PostgresBackend:
    """SQL for the library's PostgreSQL recorder (table ``<app>_events``)."""

    def __init__(self, recorder: Any) -> None:
        self.datastore = recorder.datastore
        self.schema = self.datastore.schema
        self.table_name = recorder.events_table_name
        self.table = f'"{self.schema}"."{self.table_name}"'
        self.id_func = f'"{self.schema}".trustledger_line_id'

    def ensure_schema(self) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute(
                f"CREATE OR REPLACE FUNCTION {self.id_func}(state bytea) RETURNS text "
                "LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS "
                "$$ SELECT convert_from(state, 'UTF8')::jsonb ->> 'id' $$"
            )
            c.execute(
                f'CREATE UNIQUE INDEX IF NOT EXISTS "{self.table_name}_line_id" '
                f"ON {self.table} ({self.id_func}(state))"
            )

    def has_tables(self) -> bool:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                "SELECT 1 FROM information_schema.tables WHERE table_schema=%s AND table_name=%s",
                (self.schema, self.table_name),
            )
            return c.fetchone() is not None

    def find_ids(self, ids: Sequence[str]) -> dict[str, RawRow]:
        found: dict[str, RawRow] = {}
        with self.datastore.transaction(commit=False) as c:
            for chunk in _chunks(ids):
                c.execute(
                    f"SELECT {self.id_func}(state) AS line_id, notification_id, originator_id, "
                    f"originator_version, topic, state FROM {self.table} "
                    f"WHERE {self.id_func}(state) = ANY(%s)",
                    (list(chunk),),
                )
                for row in c.fetchall():
                    values = list(row.values())
                    found[values[0]] = _row(values[1:])
        return found

    def partnership_rows(self, handle: str) -> list[RawRow]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                "SELECT notification_id, originator_id, originator_version, topic, state "
                f"FROM {self.table} WHERE originator_id=%s ORDER BY originator_version",
                (handle,),
            )
            return [_row(row.values()) for row in c.fetchall()]

    def rows(self, after: int, limit: int) -> list[RawRow]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                "SELECT notification_id, originator_id, originator_version, topic, state "
                f"FROM {self.table} WHERE notification_id>%s ORDER BY notification_id LIMIT %s",
                (after, limit),
            )
            return [_row(row.values()) for row in c.fetchall()]

    def handles(self) -> list[str]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT originator_id FROM {self.table} WHERE originator_version=1 "
                "ORDER BY originator_id"
            )
            return [row["originator_id"] for row in c.fetchall()]
