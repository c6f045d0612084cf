"""A glance at a store: its shared read model's view rows, read over a plain connection.

A dashboard's first frame needs the read model's meta, its view rows and the chain link of
the event at the meta's position (which tells that the rows are this store's). Opening the
ledger for that would load the event library and the line models first, a fifth of a
second of every start; here the same tables are read with ``sqlite3`` (read-only) or
``psycopg``, named as the library names them, in one read transaction, and nothing is
written. Whoever glances checks the rows (``trustledger.tui.service.readmodel``) and opens
the ledger afterwards to follow the store.

A store that does not exist, or holds no events table, is :class:`StoreMissing` with the
ledger's own words; one that cannot be read is a one-line :class:`StoreError`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

import orjson
from trustledger.domain.errors import StoreError, StoreMissing, first_line
from trustledger.domain.readstore import ReadStore, StoredRows
from trustledger.domain.store import (
    APP_NAME,
    StoreConfig,
    postgres_connect,
    sqlite_access,
    sqlite_file_exists,
    sqlite_uri,
)

#: The library's tables of stored events, named as it names them: its default on SQLite,
#: after the application on PostgreSQL.
SQLITE_EVENTS = "stored_events"
POSTGRES_EVENTS = f"{APP_NAME.lower()}_events"
#: How long a glance waits for an SQLite store busy writing (seconds).
WAIT = 5.0


@dataclass(frozen=True, slots=True)
class Glance:
    """The read model's meta and view rows (:class:`StoredRows`), the link of the stored
    event at the meta's position (None: no event there, or no meta), and the position of
    the store's newest event, read after the rows (None: no meta; 0: no event). When it is
    the meta's, the rows held every event recorded when it was read."""

    views: StoredRows
    position: int | None
    link: str | None
    newest: int | None = None

    def link_at(self, position: int) -> str | None:
        """The link of the event at ``position``, when it is the one the glance read."""
        if position <= 0:
            return ""
        return self.link if position == self.position else None


def glance(store: StoreConfig) -> Glance:
    """The read model of ``store`` and the link at its position (see the module docstring)."""
    with _connected(store) as (datastore, table):
        reader = ReadStore(_Backend(datastore, table), store.kind, store.display)
        views = reader.read_views()
        position = views.meta.get("position") if views.meta else None
        if not isinstance(position, int) or isinstance(position, bool):
            return Glance(views, None, None)
        link, newest = datastore.link_and_newest(table, position)
        return Glance(views, position, link, newest)


def probe(store: StoreConfig) -> None:
    """Raise :class:`StoreMissing` or :class:`StoreError` unless ``store`` can be read."""
    with _connected(store):
        pass


@contextmanager
def _connected(store: StoreConfig) -> Iterator[tuple[Any, str]]:
    """A plain read-only connection to ``store`` (a datastore for :class:`ReadStore`) and
    its events table, checked to exist; closed at the end."""
    datastore: _SQLite | _Postgres
    if store.kind == "sqlite":
        assert store.path is not None
        if not sqlite_file_exists(store.path):
            raise StoreMissing(f"no ledger at {store.display} (nothing recorded there yet)")
        datastore = _SQLite(store)
        table = SQLITE_EVENTS
    else:
        datastore = _Postgres(store)
        table = f'"{datastore.schema}"."{POSTGRES_EVENTS}"'
    try:
        if not datastore.has_events():
            raise StoreMissing(f"no ledger at {store.display} (nothing recorded there yet)")
        yield datastore, table
    finally:
        datastore.close()


class _Backend:
    """What :class:`ReadStore` reads of a backend: its datastore, events table and schema."""

    def __init__(self, datastore: Any, table: str) -> None:
        self.datastore = datastore
        self.table = table
        self.schema = getattr(datastore, "schema", "")


def _link(state: Any) -> str | None:
    try:
        found = orjson.loads(bytes(state))
    except (orjson.JSONDecodeError, TypeError):
        return None
    link = found.get("link") if isinstance(found, dict) else None
    return link if isinstance(link, str) else None


def _failed(store: StoreConfig, exc: BaseException) -> StoreError:
    return StoreError(f"cannot open store {store.display}: {first_line(exc)}")


class _Cursor(sqlite3.Cursor):
    """A cursor that is its own ``sqlite_cursor`` (what :class:`ReadStore` asks the
    library's cursor for)."""

    @property
    def sqlite_cursor(self) -> _Cursor:
        return self


class _SQLite:
    def __init__(self, store: StoreConfig) -> None:
        assert store.path is not None
        self.store = store
        access = sqlite_access(store.path)
        uri = sqlite_uri(store.path, "ro" if access == "rw" else access)
        try:
            self.connection = sqlite3.connect(
                uri, uri=True, timeout=WAIT, check_same_thread=False, isolation_level=None
            )
        except sqlite3.Error as exc:
            raise _failed(store, exc) from None

    @contextmanager
    def transaction(self, commit: bool = False) -> Iterator[_Cursor]:
        assert not commit, "a glance never writes"
        cursor = self.connection.cursor(_Cursor)
        try:
            cursor.execute("BEGIN")
            yield cursor
        finally:
            with suppress(sqlite3.Error):  # no transaction left to end (it failed)
                cursor.execute("ROLLBACK")
            cursor.close()

    def has_events(self) -> bool:
        try:
            with self.transaction() as c:
                c.execute(
                    "SELECT count(*) FROM sqlite_master WHERE type='table' AND name=?",
                    (SQLITE_EVENTS,),
                )
                return bool(c.fetchone()[0])
        except sqlite3.Error as exc:
            raise _failed(self.store, exc) from None

    def link_and_newest(self, table: str, position: int) -> tuple[str | None, int]:
        """The link of the event at ``position`` (None: no event there) and the newest
        event's position (0: none)."""
        try:
            with self.transaction() as c:
                c.execute(f"SELECT state FROM {table} WHERE rowid=?", (position,))
                row = c.fetchone()
                c.execute(f"SELECT max(rowid) FROM {table}")
                newest = c.fetchone()[0]
        except sqlite3.Error as exc:
            raise _failed(self.store, exc) from None
        return (None if row is None else _link(row[0])), newest or 0

    def close(self) -> None:
        self.connection.close()


class _Postgres:
    def __init__(self, store: StoreConfig) -> None:
        import psycopg

        self.store = store
        self.schema = store.schema.strip() or "public"
        try:
            self.connection = postgres_connect(store)
        except psycopg.Error as exc:  # the ledger's words for it
            raise StoreError(f"cannot reach {store.display}: {first_line(exc)}") from None
        self.connection.read_only = True

    @contextmanager
    def transaction(self, commit: bool = False) -> Iterator[Any]:
        assert not commit, "a glance never writes"
        try:
            with self.connection.cursor() as cursor:
                yield cursor
        finally:
            self.connection.rollback()

    def has_events(self) -> bool:
        import psycopg

        try:
            with self.transaction() as c:
                c.execute(
                    "SELECT count(*) FROM information_schema.tables "
                    "WHERE table_schema=%s AND table_name=%s",
                    (self.schema, POSTGRES_EVENTS),
                )
                return bool(c.fetchone()[0])
        except psycopg.Error as exc:
            raise _failed(self.store, exc) from None

    def link_and_newest(self, table: str, position: int) -> tuple[str | None, int]:
        """As :meth:`_SQLite.link_and_newest`."""
        import psycopg

        try:
            with self.transaction() as c:
                c.execute(f"SELECT state FROM {table} WHERE notification_id=%s", (position,))
                row = c.fetchone()
                c.execute(f"SELECT max(notification_id) FROM {table}")
                newest = c.fetchone()[0]
        except psycopg.Error as exc:
            raise _failed(self.store, exc) from None
        return (None if row is None else _link(row[0])), newest or 0

    def close(self) -> None:
        self.connection.close()
