"""The two store backends for tests that must behave the same on SQLite and PostgreSQL.

``tests/conftest.py`` builds the ``store_url`` fixture (one fresh store per test,
parametrized over :data:`BACKENDS`) and the ``new_store`` factory (more fresh stores of
either backend in one test) from these. The PostgreSQL cases carry ``pytest.mark.postgres``
and start the suite's throwaway server only when one of them runs. :class:`SharedPgStore`
hands a prepared PostgreSQL store to many tests that must each leave it unchanged.
"""

from __future__ import annotations

import contextlib
import itertools
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest

SQLITE = "sqlite"
POSTGRES = "postgres"
EVENTS_TABLE = "trustledger_events"

BACKENDS = [
    pytest.param(SQLITE, id=SQLITE),
    pytest.param(POSTGRES, id=POSTGRES, marks=pytest.mark.postgres),
]


def backend_pairs() -> list[Any]:
    """Every (from, to) pair of backends, e.g. for "record into A, export, record into B"."""
    return [
        pytest.param(
            a,
            b,
            id=f"{a}-to-{b}",
            marks=[pytest.mark.postgres] if POSTGRES in (a, b) else [],
        )
        for a in (SQLITE, POSTGRES)
        for b in (SQLITE, POSTGRES)
    ]


def is_postgres(store: str | Path) -> bool:
    return str(store).lower().startswith(("postgresql://", "postgres://"))


def backend_of(store: str | Path) -> str:
    return POSTGRES if is_postgres(store) else SQLITE


def pg_table_exists(url: str, table: str = EVENTS_TABLE) -> bool:
    """Does the PostgreSQL database at ``url`` hold ``table`` (in any schema)?"""
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = %s", (table,)
        ).fetchone()
    return bool(row and row[0])


def store_exists(store: str | Path) -> bool:
    """SQLite: the file exists. PostgreSQL: the ledger's events table exists."""
    if is_postgres(store):
        return pg_table_exists(str(store))
    return Path(store).exists()


class SharedPgStore:
    """One PostgreSQL store shared by many tests, handed out only in its built state.

    Creating a database per test costs more than most of the tests that read a prepared
    store (the bad-input matrices: each must leave the store as it found it). ``get()``
    checks that the previous user left every stored row as it was built, and rebuilds the
    store in a new database when not: a test that wrongly recorded something fails itself,
    and the next one still starts from the built state.
    """

    def __init__(self, server: Any, build: Callable[[str], None], prefix: str) -> None:
        self.server = server
        self.build = build
        self.prefix = prefix
        self.dbname: str | None = None
        self.url = ""
        self.snapshot: tuple[Any, ...] | None = None
        self._counter = itertools.count(1)

    def get(self) -> str:
        if self.dbname is None or self._fingerprint() != self.snapshot:
            self._rebuild()
        return self.url

    def _fingerprint(self) -> tuple[Any, ...] | None:
        """Every stored row, in order, boiled down: changes when anything is recorded."""
        try:
            with psycopg.connect(self.url, autocommit=True) as conn:
                row = conn.execute(
                    f"SELECT count(*), md5(string_agg(notification_id::text || ':' || "
                    f"originator_id || ':' || originator_version::text || ':' || md5(state), "
                    f"',' ORDER BY notification_id)) FROM {EVENTS_TABLE}"
                ).fetchone()
        except psycopg.Error:
            return None
        return tuple(row) if row else None

    def _rebuild(self) -> None:
        self.close()
        self.dbname = f"{self.prefix}_{os.getpid()}_{next(self._counter)}"
        self.url = str(self.server.create_database(self.dbname))
        self.build(self.url)
        self.snapshot = self._fingerprint()
        assert self.snapshot is not None and self.snapshot[0] > 0, "nothing was built"

    def close(self) -> None:
        if self.dbname is not None:
            with contextlib.suppress(psycopg.Error):
                self.server.drop_database(self.dbname)
            self.dbname = None
