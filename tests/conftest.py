"""Shared fixtures: fresh stores on either backend, the sample store, the PostgreSQL server.

The tests run on a pinned day whatever the real date (``tests/samples.py``: ``TODAY``);
``tests/pg_server.py`` holds the throwaway server behind ``postgres_server``/``postgres_url``.
"""

from __future__ import annotations

import contextlib
import itertools
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from trustledger.domain.store import StoreConfig

from tests.faketime_support import bridge_subprocesses, bridge_timed_waits
from tests.pg_server import PgServer, postgres_server, postgres_url  # noqa: F401
from tests.samples import copy_sqlite, record_samples
from tests.store_backends import BACKENDS, POSTGRES, SQLITE

bridge_timed_waits()  # only under libfaketime (make test-dates)
bridge_subprocesses()  # and in the processes the tests start


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh store URL: an SQLite path in ``tmp_path`` (file not yet created), or a new,
    empty PostgreSQL database on the suite's server (started only when a postgres case runs).
    """
    if request.param == POSTGRES:
        return str(request.getfixturevalue("postgres_url"))
    return str(tmp_path / "ledger.sqlite")


_extra_db_counter = itertools.count(1)


@pytest.fixture
def new_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[..., str]]:
    """A factory for more fresh stores in one test: ``new_store(backend, name)`` -> URL.

    ``backend`` is ``"sqlite"`` (a path in ``tmp_path``, not yet created) or ``"postgres"``
    (a new, empty database on the suite's server, dropped after the test).
    """
    created: list[tuple[PgServer, str]] = []

    def make(backend: str, name: str = "extra") -> str:
        if backend == SQLITE:
            return str(tmp_path / f"{name}.sqlite")
        assert backend == POSTGRES, backend
        server: PgServer = request.getfixturevalue("postgres_server")
        # Not test_<pid>_<n>: that is what postgres_url and create_database() name theirs.
        dbname = f"extra_{os.getpid()}_{next(_extra_db_counter)}"
        url = str(server.create_database(dbname))
        created.append((server, dbname))
        return url

    yield make
    for server, dbname in created:
        with contextlib.suppress(psycopg.Error):
            server.drop_database(dbname)


@pytest.fixture(scope="session")
def sample_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample events recorded once per session into an SQLite file, at a pinned
    recording time (so timelines are the same on every run); copied, never changed."""
    path = tmp_path_factory.mktemp("sample") / "sample.sqlite"
    record_samples(path)
    return path


@pytest.fixture
def sample_store(sample_template: Path, tmp_path: Path) -> StoreConfig:
    """A private copy of the sample store, for one test."""
    return copy_sqlite(sample_template, tmp_path / "sample.sqlite")
