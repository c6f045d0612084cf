"""``trustledger audit verify`` against stores tampered with behind the ledger's back.

The sample events are recorded with the real CLI into a real store (an SQLite file, or a
throwaway PostgreSQL database for the ``postgres``-marked cases); then rows are edited,
deleted, reordered, forged, garbled or moved straight in the database, the way someone
with write access to the store could. Every tamper case must make ``audit verify`` exit 1
with exactly one line on stderr naming the partnership, the position and what is wrong,
with nothing on stdout and no traceback, and must leave the store exactly as it found it.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import re
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql
from trustledger.domain.codec import chain_link

from tests.cli_helpers import Run, assert_no_traceback, run_cli
from tests.pg_server import PgServer
from tests.samples import SAMPLE_EVENTS, SAMPLE_PARTNERSHIPS, sample_paths
from tests.store_backends import BACKENDS, SQLITE

SAMPLES = sample_paths()
INTACT = f"intact: {SAMPLE_EVENTS} events in {SAMPLE_PARTNERSHIPS} partnerships, every link matches"


@dataclass(frozen=True)
class Row:
    position: int
    partnership: str
    version: int
    topic: str
    state: bytes

    @property
    def data(self) -> dict[str, Any]:
        return json.loads(self.state)


class TamperStore:
    """Direct SQL access to a recorded store, in the backend's own dialect."""

    kind: str
    url: str
    table: str
    pos: str  # the column holding the recording position
    line_id_index: str

    def execute(self, *statements: tuple[str, tuple[Any, ...]]) -> None:
        """Run ``statements`` (``{t}`` = table, ``{pos}`` = position column, ``?`` = a
        parameter) in one transaction."""
        raise NotImplementedError

    def query(self, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def snapshot(self) -> Any:
        """Everything verify could conceivably change."""
        raise NotImplementedError

    def _sql(self, statement: str) -> str:
        return statement.format(t=self.table, pos=self.pos)

    # -- reading -----------------------------------------------------------------------

    def rows(self) -> list[Row]:
        return [
            Row(int(p), o, int(v), t, bytes(s))
            for p, o, v, t, s in self.query(
                "SELECT {pos}, originator_id, originator_version, topic, state FROM {t} "
                "ORDER BY {pos}"
            )
        ]

    def row(self, partnership: str, version: int) -> Row:
        (found,) = [r for r in self.rows() if (r.partnership, r.version) == (partnership, version)]
        return found

    def last(self, partnership: str) -> Row:
        return max(
            (r for r in self.rows() if r.partnership == partnership), key=lambda r: r.version
        )

    def next_position(self) -> int:
        return max(r.position for r in self.rows()) + 1

    # -- tampering ---------------------------------------------------------------------

    def set_state(self, position: int, state: bytes) -> None:
        self.execute(("UPDATE {t} SET state=? WHERE {pos}=?", (state, position)))

    def edit(self, position: int, **changes: Any) -> None:
        """Change fields inside one event's stored JSON, keeping its link as it was."""
        (row,) = [r for r in self.rows() if r.position == position]
        data = row.data
        data.update(changes)
        self.set_state(position, json.dumps(data).encode())

    def delete(self, position: int) -> None:
        self.execute(("DELETE FROM {t} WHERE {pos}=?", (position,)))

    def swap_states(self, a: int, b: int) -> None:
        # Through a placeholder: the unique index on the line id is checked row by row.
        (state_a,) = [r.state for r in self.rows() if r.position == a]
        (state_b,) = [r.state for r in self.rows() if r.position == b]
        self.execute(
            ("UPDATE {t} SET state=? WHERE {pos}=?", (b"{}", a)),
            ("UPDATE {t} SET state=? WHERE {pos}=?", (state_a, b)),
            ("UPDATE {t} SET state=? WHERE {pos}=?", (state_b, a)),
        )

    def swap_positions(self, a: int, b: int) -> None:
        self.execute(
            ("UPDATE {t} SET {pos}=? WHERE {pos}=?", (-1, a)),
            ("UPDATE {t} SET {pos}=? WHERE {pos}=?", (a, b)),
            ("UPDATE {t} SET {pos}=? WHERE {pos}=?", (b, -1)),
        )

    def swap_versions(self, a: Row, b: Row) -> None:
        self.execute(
            ("UPDATE {t} SET originator_version=? WHERE {pos}=?", (-1, a.position)),
            ("UPDATE {t} SET originator_version=? WHERE {pos}=?", (a.version, b.position)),
            ("UPDATE {t} SET originator_version=? WHERE {pos}=?", (b.version, a.position)),
        )

    def move(self, position: int, partnership: str, version: int) -> None:
        self.execute(
            (
                "UPDATE {t} SET originator_id=?, originator_version=? WHERE {pos}=?",
                (partnership, version, position),
            )
        )

    def insert(self, partnership: str, version: int, topic: str, state: bytes) -> None:
        self.execute(
            (
                "INSERT INTO {t} (originator_id, originator_version, topic, state) "
                "VALUES (?, ?, ?, ?)",
                (partnership, version, topic, state),
            )
        )

    def drop_line_id_index(self) -> None:
        """What a tamperer does first to store bytes the line-id index cannot read."""
        self.execute((f"DROP INDEX {self.line_id_index}", ()))


class SQLiteTamper(TamperStore):
    kind = "sqlite"
    table = "stored_events"
    pos = "rowid"
    line_id_index = "stored_events_line_id"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.url = str(path)

    def execute(self, *statements: tuple[str, tuple[Any, ...]]) -> None:
        with closing(sqlite3.connect(self.path)) as conn, conn:
            for statement, params in statements:
                conn.execute(self._sql(statement), params)

    def query(self, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with closing(sqlite3.connect(self.path)) as conn:
            return conn.execute(self._sql(statement), params).fetchall()

    def snapshot(self) -> Any:
        files = sorted(self.path.parent.glob(self.path.name + "*"))
        return {f.name: f.read_bytes() for f in files}


class PostgresTamper(TamperStore):
    kind = "postgres"
    table = "public.trustledger_events"
    pos = "notification_id"
    line_id_index = "public.trustledger_events_line_id"

    def __init__(self, url: str) -> None:
        self.url = url

    def _sql(self, statement: str) -> str:
        return super()._sql(statement).replace("?", "%s")

    def execute(self, *statements: tuple[str, tuple[Any, ...]]) -> None:
        with psycopg.connect(self.url) as conn:  # commits on leaving
            for statement, params in statements:
                conn.execute(self._sql(statement), params)

    def query(self, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.url) as conn:
            return conn.execute(self._sql(statement), params).fetchall()

    def snapshot(self) -> Any:
        with psycopg.connect(self.url) as conn:
            rows = conn.execute(
                "SELECT notification_id, originator_id, originator_version, topic, state "
                "FROM public.trustledger_events ORDER BY notification_id"
            ).fetchall()
            indexes = conn.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname='public' "
                "ORDER BY indexname"
            ).fetchall()
            tables = conn.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema='public' ORDER BY table_name"
            ).fetchall()
        return rows, indexes, tables


# -- fixtures ----------------------------------------------------------------------------


def record_samples(url: str) -> None:
    run = run_cli(url, "record", *SAMPLES)
    assert run.code == 0, run.err
    assert run.out.strip() == f"recorded {SAMPLE_EVENTS}, already recorded 0"


@pytest.fixture(scope="module")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The samples recorded once through the CLI; each test tampers with its own copy."""
    path = tmp_path_factory.mktemp("template") / "ledger.sqlite"
    record_samples(str(path))
    return path


def sqlite_copy(template: Path, directory: Path) -> SQLiteTamper:
    for file in template.parent.glob(template.name + "*"):
        shutil.copy(file, directory / file.name.replace(template.name, "ledger.sqlite"))
    return SQLiteTamper(directory / "ledger.sqlite")


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> TamperStore:
    if request.param == SQLITE:
        return sqlite_copy(request.getfixturevalue("sqlite_template"), tmp_path)
    clone: Callable[[], str] = request.getfixturevalue("postgres_clone")
    return PostgresTamper(clone())


@pytest.fixture(scope="module")
def postgres_template(postgres_server: PgServer) -> Iterator[str]:
    """The samples recorded once through the CLI into a database used as a template."""
    name = f"audit_template_{os.getpid()}"
    url = postgres_server.create_database(name)
    record_samples(url)
    yield name
    with contextlib.suppress(psycopg.Error):
        postgres_server.drop_database(name)


@pytest.fixture
def postgres_clone(
    postgres_server: PgServer, postgres_template: str
) -> Iterator[Callable[[], str]]:
    """A fresh copy of the recorded template per test (a file copy: much faster than
    recording again), dropped afterwards."""
    made: list[str] = []

    def clone() -> str:
        name = f"audit_{os.getpid()}_{next(_clones)}"
        with psycopg.connect(postgres_server.url, autocommit=True) as conn:
            fast = conn.info.server_version >= 150000
            conn.execute(
                sql.SQL(
                    "CREATE DATABASE {} TEMPLATE {}" + (" STRATEGY FILE_COPY" if fast else "")
                ).format(sql.Identifier(name), sql.Identifier(postgres_template))
            )
        made.append(name)
        return postgres_server.url_for(name)

    yield clone
    for name in made:
        with contextlib.suppress(psycopg.Error):
            postgres_server.drop_database(name)


_clones = itertools.count(1)


def verify(store: TamperStore) -> Run:
    run = run_cli(store.url, "audit", "verify")
    assert_no_traceback(run)
    return run


def assert_broken(store: TamperStore, position: int, partnership: str, problem: str) -> str:
    """``audit verify`` exits 1 with one stderr line naming place and problem; the store
    is left exactly as it was."""
    before = store.snapshot()
    run = verify(store)
    after = store.snapshot()
    assert run.code == 1, run
    assert run.out == "", run.out
    lines = run.err.splitlines()
    assert len(lines) == 1, run.err
    prefix = f"trustledger: broken at position {position} ({partnership}): "
    assert lines[0].startswith(prefix), lines[0]
    assert re.search(problem, lines[0][len(prefix) :]), lines[0]
    assert after == before, "audit verify changed the store"
    return lines[0]


# -- the intact store --------------------------------------------------------------------


def test_intact_store_verifies(store: TamperStore) -> None:
    before = store.snapshot()
    run = verify(store)
    assert run.code == 0, run.err
    assert run.err == ""
    assert run.out.splitlines() == [INTACT]
    assert store.snapshot() == before


def test_json_reformatted_without_changing_content_still_verifies(store: TamperStore) -> None:
    """The links cover the content, not its spelling: key order and spacing may change."""
    row = store.row("northwind", 10)
    store.set_state(row.position, json.dumps(row.data, indent=2, sort_keys=False).encode())
    assert verify(store).code == 0


# -- (a) an edited field -----------------------------------------------------------------


def test_edited_amount(store: TamperStore) -> None:
    revenue = [r for r in store.rows() if r.topic == "revenue_recorded"]
    row = revenue[len(revenue) // 2]
    store.edit(row.position, amount=row.data["amount"] + 1000)
    assert_broken(
        store, row.position, row.partnership, rf"event #{row.version}: link does not match"
    )


def test_edited_actor(store: TamperStore) -> None:
    row = store.row("brightpath", 7)
    assert row.data["actor"] != "mallory"
    store.edit(row.position, actor="mallory")
    assert_broken(store, row.position, "brightpath", r"event #7: link does not match")


def test_edited_recording_time(store: TamperStore) -> None:
    row = store.row("vantage-retail", 3)
    store.edit(row.position, recorded_at="2020-01-01T00:00:00+00:00")
    assert_broken(store, row.position, "vantage-retail", r"event #3: link does not match")


def test_edited_event_with_its_own_link_recomputed_breaks_the_next_link(
    store: TamperStore,
) -> None:
    """Relinking the edited event is not enough: the next event was chained to the old link."""
    previous = store.row("keystone", 9)
    row = store.row("keystone", 10)
    data = row.data
    data.pop("link")
    data["actor"] = "mallory"
    data["link"] = chain_link(previous.data["link"], "keystone", 10, data)
    store.set_state(row.position, json.dumps(data).encode())
    following = store.row("keystone", 11)
    assert_broken(store, following.position, "keystone", r"event #11: link does not match")


# -- (b) a deleted row -------------------------------------------------------------------


def test_deleted_middle_row(store: TamperStore) -> None:
    row = store.row("meridian-health", 20)
    store.delete(row.position)
    if store.kind == "sqlite":
        problem = rf"position {row.position} missing: a stored event was deleted"
    else:  # positions may have gaps on PostgreSQL: the version gap gives it away
        problem = r"event #21 follows event #19: event #20 is missing or moved"
    assert_broken(store, row.position + 1, "meridian-health", problem)


def test_deleted_registration(store: TamperStore) -> None:
    first = store.row("papercraft", 1)
    store.delete(first.position)
    problem = (
        rf"position {first.position} missing"
        if store.kind == "sqlite"
        else r"event #2 follows event #0: event #1 is missing or moved"
    )
    assert_broken(store, first.position + 1, "papercraft", problem)


# -- (c) reordered rows ------------------------------------------------------------------


def test_swapped_states_within_a_partnership(store: TamperStore) -> None:
    a, b = store.row("northwind", 30), store.row("northwind", 31)
    store.swap_states(a.position, b.position)
    assert_broken(store, a.position, "northwind", r"event #30: link does not match")


def test_swapped_positions(store: TamperStore) -> None:
    a, b = store.row("helix-cloud", 12), store.row("helix-cloud", 13)
    store.swap_positions(a.position, b.position)
    assert_broken(
        store,
        a.position,
        "helix-cloud",
        r"event #13 follows event #11: event #12 is missing or moved",
    )


def test_swapped_versions(store: TamperStore) -> None:
    a, b = store.row("atlas-freight", 25), store.row("atlas-freight", 26)
    store.swap_versions(a, b)
    assert_broken(
        store,
        a.position,
        "atlas-freight",
        r"event #26 follows event #24: event #25 is missing or moved",
    )


# -- (d) forged rows ---------------------------------------------------------------------


def test_forged_event_appended_with_made_up_link(store: TamperStore) -> None:
    last = store.last("northwind")
    forged = {
        "type": "revenue_recorded",
        "partnership": "northwind",
        "period": "2026-10",
        "amount": 999999.0,
        "currency": "USD",
        "id": "northwind-9999",
        "actor": "tom.reyes",
        "occurred_on": "2026-11-01",
        "recorded_at": last.data["recorded_at"],
        "schema": 1,
        "link": "ab" * 32,
    }
    position = store.next_position()
    store.insert("northwind", last.version + 1, "revenue_recorded", json.dumps(forged).encode())
    assert_broken(store, position, "northwind", rf"event #{last.version + 1}: link does not match")


def test_forged_copy_of_a_real_event(store: TamperStore) -> None:
    """A valid-looking row: a real event's JSON (and its real link) under a new version."""
    original = store.row("helix-cloud", 5)
    last = store.last("helix-cloud")
    data = original.data
    data["id"] = "helix-replayed"
    position = store.next_position()
    store.insert("helix-cloud", last.version + 1, original.topic, json.dumps(data).encode())
    assert_broken(
        store, position, "helix-cloud", rf"event #{last.version + 1}: link does not match"
    )


def test_forged_new_partnership(store: TamperStore) -> None:
    forged = {
        "type": "partnership_registered",
        "partnership": "shellco",
        "name": "Shell Co",
        "kind": "customer",
        "review_every_days": 90,
        "id": "shellco-0001",
        "actor": "mallory",
        "occurred_on": "2026-01-01",
        "recorded_at": "2026-01-01T00:00:00+00:00",
        "schema": 1,
        "link": "0" * 64,
    }
    position = store.next_position()
    store.insert("shellco", 1, "partnership_registered", json.dumps(forged).encode())
    assert_broken(store, position, "shellco", r"event #1: link does not match")


# -- (e) undecodable rows ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "problem"),
    [
        (b"\x00\xff\xfe garbage \x80", r"event #15 cannot be decoded: stored state is not JSON"),
        (b"", r"event #15 cannot be decoded: stored state is not JSON"),
        (b"[1, 2, 3]", r"event #15 cannot be decoded: stored state is not a JSON object"),
    ],
    ids=["garbage-bytes", "empty", "json-array"],
)
def test_state_that_is_not_a_json_object(store: TamperStore, state: bytes, problem: str) -> None:
    row = store.row("orbital-analytics", 15)
    store.drop_line_id_index()
    store.set_state(row.position, state)
    assert_broken(store, row.position, "orbital-analytics", problem)


def test_json_that_is_not_an_event(store: TamperStore) -> None:
    row = store.row("orbital-analytics", 16)
    store.set_state(row.position, b'{"hello": "world"}')
    assert_broken(store, row.position, "orbital-analytics", r"event #16 has no link")


def test_invalid_line_with_a_matching_link(store: TamperStore) -> None:
    """A last event rewritten to break the rules, relinked so its chain still matches."""
    last = store.last("keystone")
    previous = store.row("keystone", last.version - 1)
    data = last.data
    data.pop("link")
    assert data["type"] == "revenue_recorded"
    data["amount"] = -5
    data["link"] = chain_link(previous.data["link"], "keystone", last.version, data)
    store.set_state(last.position, json.dumps(data).encode())
    assert_broken(
        store,
        last.position,
        "keystone",
        rf"event #{last.version} cannot be decoded: stored line is invalid: .*amount",
    )


def test_topic_that_disagrees_with_the_content(store: TamperStore) -> None:
    row = store.row("lumen-institute", 2)
    store.execute(("UPDATE {t} SET topic=? WHERE {pos}=?", ("commitment_missed", row.position)))
    assert_broken(
        store,
        row.position,
        "lumen-institute",
        rf"event #2 is a {row.topic} stored as commitment_missed",
    )


# -- (f) a row moved to another partnership ----------------------------------------------


def test_row_moved_to_another_partnership(store: TamperStore) -> None:
    row = store.row("northwind", 20)
    target_version = store.last("helix-cloud").version + 1
    store.move(row.position, "helix-cloud", target_version)
    assert_broken(
        store,
        row.position,
        "helix-cloud",
        rf"event #{target_version} names partnership 'northwind' but is stored under "
        "'helix-cloud'",
    )


def test_row_moved_keeping_its_version(store: TamperStore) -> None:
    row = store.row("atlas-freight", 6)  # lumen-institute has only 4 events: #6 is free
    store.move(row.position, "lumen-institute", 6)
    assert_broken(
        store,
        row.position,
        "lumen-institute",
        r"event #6 names partnership 'atlas-freight' but is stored under 'lumen-institute'",
    )


# -- PostgreSQL: gaps in positions are normal --------------------------------------------


@pytest.mark.postgres
def test_postgres_position_gaps_are_not_a_break(postgres_url: str) -> None:
    """Rolled-back inserts leave holes in PostgreSQL's notification ids: not tampering."""
    store = PostgresTamper(postgres_url)
    record_samples(postgres_url)
    store.execute(
        (
            "SELECT setval(pg_get_serial_sequence('public.trustledger_events', "
            "'notification_id'), 5000)",
            (),
        )
    )
    line = {
        "type": "revenue_recorded",
        "partnership": "northwind",
        "period": "2026-10",
        "amount": 10.0,
        "occurred_on": "2026-11-01",
        "actor": "tom.reyes",
    }
    run = run_cli(postgres_url, "record", stdin=json.dumps(line) + "\n")
    assert run.code == 0, run.err
    assert store.rows()[-1].position == 5001
    run = verify(store)
    assert run.code == 0, run.err
    assert run.out.strip() == (
        f"intact: {SAMPLE_EVENTS + 1} events in {SAMPLE_PARTNERSHIPS} partnerships, "
        "every link matches"
    )


def test_sqlite_position_hole_is_a_deletion(sqlite_template: Path, tmp_path: Path) -> None:
    """SQLite positions (rowids) are dense, so a hole is a deleted row even where no
    partnership's versions skip: here the last event is moved far past the end."""
    store = sqlite_copy(sqlite_template, tmp_path)
    last = store.last("lumen-institute")
    store.execute(("UPDATE {t} SET {pos}=? WHERE {pos}=?", (1000, last.position)))
    assert_broken(
        store,
        1000,
        "lumen-institute",
        rf"positions {last.position}-999 missing: a stored event was deleted",
    )


def test_sqlite_version_that_is_not_a_number(sqlite_template: Path, tmp_path: Path) -> None:
    """SQLite stores whatever a hand edit puts in a column: a text version is reported."""
    store = sqlite_copy(sqlite_template, tmp_path)
    row = store.row("brightpath", 12)
    store.execute(("UPDATE {t} SET originator_version=? WHERE {pos}=?", ("x", row.position)))
    assert_broken(
        store, row.position, "brightpath", r"the event's version 'x' is not a whole number"
    )
