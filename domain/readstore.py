"""Where the shared read model lives: two tables of its own beside the stored events.

``trustledger_read_model`` holds one row per partnership (its handle, its folded state as
JSON bytes, and a digest of both); ``trustledger_read_model_meta`` holds what the rows
reflect as one JSON value: the layout and model they were folded with (``key``), the store
position of the last event folded and that event's chain link, and the number of rows. The
same tables on SQLite and PostgreSQL. Nothing here knows what a state means: the service
(``trustledger.tui.service.readmodel``) folds, checks and decides; this module reads and
writes rows.

Writes are compare-and-set on the position: :meth:`ReadStore.advance` (in one transaction,
holding the store's write lock on SQLite or an advisory lock on PostgreSQL) replaces the rows
of the partnerships that have events between the stored position and the new one, and moves
the position, only when the stored rows have the same key and are not already further on.
So several viewers can keep one read model current and it always reflects exactly one
position. :meth:`ReadStore.replace` writes every row afresh (a rebuild).

The rows are data (JSON), never code, and each row's digest lets a reader tell a damaged
row from a sound one before using it.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import orjson
from trustledger.domain.errors import StoreError, first_line

ROWS_TABLE = "trustledger_read_model"
VIEWS_TABLE = "trustledger_read_model_views"
META_TABLE = "trustledger_read_model_meta"
META_NAME = "state"
# Any constant shared by every trustledger process (PostgreSQL advisory lock).
WRITE_LOCK_KEY = 0x72656164
# How long a viewer waits for the store's write lock to update the read model (seconds):
# short, since a viewer can always try again later and must never hold up its screen.
WRITE_WAIT = 2.0

#: ``(handles or None for every partnership) -> [(handle, body), ...]``: the rows to write.
RowsFor = Callable[[Sequence[str] | None], Iterable[tuple[str, bytes]]]
#: The same for view rows; None when the caller has no views for the meta's ``views_day``.
ViewsFor = Callable[[Sequence[str] | None], Iterable[tuple[str, bytes]] | None]


def row_digest(handle: str, body: bytes) -> str:
    """The digest stored beside a row: damage to either shows as a mismatch."""
    digest = hashlib.blake2b(handle.encode(), digest_size=16)
    digest.update(b"\0")
    digest.update(body)
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class StoredRows:
    """The read model as stored: its meta (None when there is none) and its rows."""

    meta: dict[str, Any] | None
    rows: list[tuple[str, bytes, str]]


class ReadStoreError(StoreError):
    """The read model's tables cannot be read or written (read-only store, a lock)."""


def _persistence_error() -> type[Exception]:
    # Named when a failure is caught: reading view rows over a plain connection
    # (:mod:`~trustledger.domain.glance`) loads no event library.
    from eventsourcing.persistence import PersistenceError

    return PersistenceError


def _meta(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    try:
        found = orjson.loads(value)
    except orjson.JSONDecodeError:
        return {}  # damaged: a meta that matches nothing
    return found if isinstance(found, dict) else {}


class ReadStore:
    """The read model's tables in one store (see the module docstring)."""

    def __init__(self, backend: Any, kind: str, where: str) -> None:
        self.datastore = backend.datastore
        self.kind = kind
        self.where = where
        if kind == "sqlite":
            self.rows_table, self.meta_table = ROWS_TABLE, META_TABLE
            self.views_table = VIEWS_TABLE
            self.events_table = backend.table
            self.position = "rowid"
            self.mark = "?"
        else:
            schema = backend.schema
            self.rows_table = f'"{schema}"."{ROWS_TABLE}"'
            self.meta_table = f'"{schema}"."{META_TABLE}"'
            self.views_table = f'"{schema}"."{VIEWS_TABLE}"'
            self.events_table = backend.table
            self.position = "notification_id"
            self.mark = "%s"

    # -- reading --------------------------------------------------------------------------

    @contextmanager
    def _failures(self, doing: str) -> Iterator[None]:
        try:
            yield
        except ReadStoreError:
            raise
        except (_persistence_error(), sqlite3.Error, OSError) as exc:
            raise ReadStoreError(
                f"cannot {doing} the read model of {self.where}: {first_line(exc)}"
            ) from None
        except Exception as exc:  # psycopg's own errors, without importing it here
            if type(exc).__module__.startswith("psycopg"):
                raise ReadStoreError(
                    f"cannot {doing} the read model of {self.where}: {first_line(exc)}"
                ) from None
            raise

    def _has_tables(self, c: Any) -> bool:
        if self.kind == "sqlite":
            c.execute(
                "SELECT count(*) FROM sqlite_master WHERE type='table' AND name IN (?, ?)",
                (ROWS_TABLE, META_TABLE),
            )
            return bool(_values(c.fetchone())[0] == 2)
        c.execute(
            "SELECT count(*) FROM information_schema.tables "
            "WHERE table_schema=%s AND table_name IN (%s, %s)",
            (self.datastore.schema, ROWS_TABLE, META_TABLE),
        )
        return bool(_values(c.fetchone())[0] == 2)

    def _has_views(self, c: Any) -> bool:
        if self.kind == "sqlite":
            c.execute(
                "SELECT count(*) FROM sqlite_master WHERE type='table' AND name=?", (VIEWS_TABLE,)
            )
        else:
            c.execute(
                "SELECT count(*) FROM information_schema.tables "
                "WHERE table_schema=%s AND table_name=%s",
                (self.datastore.schema, VIEWS_TABLE),
            )
        return bool(_values(c.fetchone())[0] == 1)

    def read_meta(self) -> dict[str, Any] | None:
        """The stored meta alone (None when there is no read model)."""
        with self._failures("read"), self.datastore.transaction(commit=False) as c:
            if not self._has_tables(c):
                return None
            c.execute(f"SELECT value FROM {self.meta_table} WHERE name={self.mark}", (META_NAME,))
            row = c.fetchone()
            return _meta(_values(row)[0]) if row is not None else None

    def read(self) -> StoredRows:
        """The meta and every row, in one read transaction (one consistent view)."""
        with self._failures("read"), self.datastore.transaction(commit=False) as c:
            if not self._has_tables(c):
                return StoredRows(None, [])
            c.execute(f"SELECT value FROM {self.meta_table} WHERE name={self.mark}", (META_NAME,))
            row = c.fetchone()
            if row is None:
                return StoredRows(None, [])
            meta = _meta(_values(row)[0])
            return StoredRows(meta, self._all_rows(c, self.rows_table))

    def read_some(self, handles: Sequence[str]) -> StoredRows:
        """The meta and the state rows of ``handles`` (those the read model holds), in one
        read transaction; no meta when there is none. Asked for at each live update, it
        does not look for the tables first: without them it fails (``ReadStoreError``)."""
        with self._failures("read"), self.datastore.transaction(commit=False) as c:
            meta = self._current(c)
            if meta is None or not handles:
                return StoredRows(meta, [])
            marks = ", ".join([self.mark] * len(handles))
            cursor = self._rows_cursor_with(
                c,
                f"SELECT handle, body, digest FROM {self.rows_table} WHERE handle IN ({marks})",
                tuple(handles),
            )
            rows = [(handle, bytes(body), digest) for handle, body, digest in cursor.fetchall()]
            return StoredRows(meta, rows)

    def read_each(
        self,
        on_meta: Callable[[dict[str, Any] | None], bool],
        on_row: Callable[[str, bytes, str], bool],
        page: int = 500,
    ) -> None:
        """The meta, then every state row one at a time, in one read transaction (one
        consistent view), without holding every row at once: ``on_meta`` and ``on_row``
        return False to stop."""
        with self._failures("read"), self.datastore.transaction(commit=False) as c:
            if not self._has_tables(c):
                on_meta(None)
                return
            if not on_meta(self._current(c)):
                return
            cursor = self._rows_cursor(c, f"SELECT handle, body, digest FROM {self.rows_table}")
            while rows := cursor.fetchmany(page):
                for handle, body, digest in rows:
                    if not on_row(handle, bytes(body), digest):
                        return

    def read_views(self) -> StoredRows:
        """The meta and every view row, in one read transaction (no view rows when the
        store has none: a read model written before views were kept)."""
        with self._failures("read"), self.datastore.transaction(commit=False) as c:
            if not self._has_tables(c):
                return StoredRows(None, [])
            meta = self._current(c)
            if meta is None or not self._has_views(c):
                return StoredRows(meta, [])
            return StoredRows(meta, self._all_rows(c, self.views_table))

    def _rows_cursor(self, c: Any, query: str) -> Any:
        """A cursor that has run ``query`` in ``c``'s transaction and gives rows as tuples.
        On PostgreSQL it asks for binary results: bodies come as their bytes rather than as
        hex text to decode (a million-event store's view rows are 14 MB), and no dictionary
        is made per row."""
        return self._rows_cursor_with(c, query, ())

    def _rows_cursor_with(self, c: Any, query: str, parameters: tuple[Any, ...]) -> Any:
        """:meth:`_rows_cursor` of a query with ``parameters``."""
        if self.kind == "sqlite":
            cursor = c.sqlite_cursor
            cursor.execute(query, parameters)
            return cursor
        from psycopg.rows import tuple_row

        cursor = c.connection.cursor(row_factory=tuple_row, binary=True)
        cursor.execute(query, parameters)
        return cursor

    def _all_rows(self, c: Any, table: str) -> list[tuple[str, bytes, str]]:
        """Every ``(handle, body, digest)`` row of ``table``, in ``c``'s transaction."""
        cursor = self._rows_cursor(c, f"SELECT handle, body, digest FROM {table}")
        return [(handle, bytes(body), digest) for handle, body, digest in cursor.fetchall()]

    # -- writing --------------------------------------------------------------------------

    @contextmanager
    def _writing(self) -> Iterator[Any]:
        """A write transaction holding the read model's write lock, tables in place."""
        with self._failures("write"), self.datastore.transaction(commit=True) as c:
            if self.kind == "sqlite":
                c.execute(f"PRAGMA busy_timeout = {int(WRITE_WAIT * 1000)}")
                # Take the write lock first (the library began a deferred transaction, and
                # nothing was read in it yet): a transaction that reads and then writes can
                # find its snapshot outdated by another writer, with no waiting possible.
                c.execute("COMMIT")
                c.execute("BEGIN IMMEDIATE")
                c.execute(
                    f"CREATE TABLE IF NOT EXISTS {META_TABLE} (name TEXT PRIMARY KEY, value TEXT)"
                )
                for table in (ROWS_TABLE, VIEWS_TABLE):
                    c.execute(
                        f"CREATE TABLE IF NOT EXISTS {table} "
                        "(handle TEXT PRIMARY KEY, body BLOB NOT NULL, digest TEXT NOT NULL)"
                    )
            else:
                c.execute(f"SET LOCAL lock_timeout = '{int(WRITE_WAIT * 1000)}ms'")
                c.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK_KEY,))
                if not self._has_tables(c):
                    c.execute(
                        f"CREATE TABLE IF NOT EXISTS {self.meta_table} "
                        "(name TEXT PRIMARY KEY, value TEXT)"
                    )
                    c.execute(
                        f"CREATE TABLE IF NOT EXISTS {self.rows_table} "
                        "(handle TEXT PRIMARY KEY, body BYTEA NOT NULL, digest TEXT NOT NULL)"
                    )
                if not self._has_views(c):
                    c.execute(
                        f"CREATE TABLE IF NOT EXISTS {self.views_table} "
                        "(handle TEXT PRIMARY KEY, body BYTEA NOT NULL, digest TEXT NOT NULL)"
                    )
            yield c

    def _current(self, c: Any) -> dict[str, Any] | None:
        c.execute(f"SELECT value FROM {self.meta_table} WHERE name={self.mark}", (META_NAME,))
        row = c.fetchone()
        return _meta(_values(row)[0]) if row is not None else None

    def _put_rows(
        self, c: Any, rows: Iterable[tuple[str, bytes]], table: str | None = None
    ) -> None:
        table = self.rows_table if table is None else table
        values = [(handle, body, row_digest(handle, body)) for handle, body in rows]
        if not values:
            return
        if self.kind == "sqlite":
            c.executemany(
                f"INSERT OR REPLACE INTO {table} (handle, body, digest) VALUES (?, ?, ?)",
                values,
            )
        else:
            c.executemany(
                f"INSERT INTO {table} (handle, body, digest) VALUES (%s, %s, %s) "
                "ON CONFLICT (handle) DO UPDATE SET body = EXCLUDED.body, digest = EXCLUDED.digest",
                values,
            )

    def _put_meta(self, c: Any, meta: dict[str, Any]) -> None:
        # Delete, then insert: one row whatever the table's keys (a table made by hand).
        c.execute(f"DELETE FROM {self.meta_table} WHERE name={self.mark}", (META_NAME,))
        c.execute(
            f"INSERT INTO {self.meta_table} (name, value) VALUES ({self.mark}, {self.mark})",
            (META_NAME, orjson.dumps(meta).decode()),
        )

    def replace(
        self,
        meta: dict[str, Any],
        rows: Iterable[tuple[str, bytes]],
        views: Iterable[tuple[str, bytes]] | None = None,
    ) -> None:
        """Every row afresh, the view rows too (none when ``views`` is None: ``meta`` then
        has no ``views_day``), and ``meta`` (a rebuild)."""
        with self._writing() as c:
            c.execute(f"DELETE FROM {self.rows_table}")
            c.execute(f"DELETE FROM {self.views_table}")
            self._put_rows(c, rows)
            if views is not None:
                self._put_rows(c, views, self.views_table)
            self._put_meta(c, meta)

    def advance(
        self, meta: dict[str, Any], rows_for: RowsFor, views_for: ViewsFor | None = None
    ) -> bool:
        """Move the stored read model on to ``meta["position"]`` (see the module docstring):
        write the rows ``rows_for`` gives for the partnerships with events since the stored
        position. False (nothing written) when the stored read model has another key or is
        at that position or further already.

        The view rows go with it: when the stored ones are of ``meta["views_day"]`` already,
        only those of the same partnerships are written; otherwise every one
        (``views_for(None)``). When ``views_for`` has none, ``meta`` is stored without a
        ``views_day`` (the view rows then count for nothing)."""
        with self._writing() as c:
            current = self._current(c)
            if current is None or current.get("key") != meta["key"]:
                return False
            stored = current.get("position")
            if not isinstance(stored, int) or stored >= meta["position"]:
                return False
            c.execute(
                f"SELECT DISTINCT originator_id FROM {self.events_table} "
                f"WHERE {self.position} > {self.mark} AND {self.position} <= {self.mark}",
                (stored, meta["position"]),
            )
            handles = sorted(_values(row)[0] for row in c.fetchall())
            self._put_rows(c, rows_for(handles))
            day = meta.get("views_day")
            same_day = day is not None and current.get("views_day") == day
            views = (
                None
                if views_for is None or day is None
                else views_for(handles if same_day else None)
            )
            if views is None:
                meta = {**meta, "views_day": None}
            else:
                if not same_day:
                    c.execute(f"DELETE FROM {self.views_table}")
                self._put_rows(c, views, self.views_table)
            self._put_meta(c, meta)
            return True

    def put_views(self, meta: dict[str, Any], views: Iterable[tuple[str, bytes]]) -> bool:
        """Every view row afresh and ``meta`` (its ``views_day`` and ``views``), when the
        stored read model has the same key and is at ``meta["position"]``; False (nothing
        written) otherwise."""
        with self._writing() as c:
            current = self._current(c)
            if current is None or current.get("key") != meta["key"]:
                return False
            if current.get("position") != meta["position"]:
                return False
            c.execute(f"DELETE FROM {self.views_table}")
            self._put_rows(c, views, self.views_table)
            self._put_meta(c, meta)
            return True

    def drop_row(self, handle: str) -> None:
        """Remove one row (tests use it to show that a missing row is noticed)."""
        with self._writing() as c:
            c.execute(f"DELETE FROM {self.rows_table} WHERE handle={self.mark}", (handle,))


def _values(row: Any) -> tuple[Any, ...]:
    """A row's values, whether the driver gives tuples (SQLite) or dicts (PostgreSQL)."""
    return tuple(row.values()) if isinstance(row, dict) else tuple(row)
