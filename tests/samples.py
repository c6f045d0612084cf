"""The sample data and the day the tests take for today.

Every test runs as if it were :data:`TODAY`, the last day of the sample data, whatever the
real date: in-process through a :class:`FixedClock` (``invoke``, the dashboard's ``make_app``),
in a subprocess through ``TRUSTLEDGER_TODAY`` (``run_cli`` and ``cli_env``). Recording times
stay real in a subprocess, so a test that needs "recorded now" reads the real clock itself.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from trustledger.domain.ledger import Ledger, Located, located_lines
from trustledger.domain.store import StoreConfig, parse_store_url

SAMPLES_DIR = Path(__file__).resolve().parent.parent / "sample_events"
#: The sample files in recording order.
SAMPLE_FILES = sorted(SAMPLES_DIR.glob("*.ndjson"))
SAMPLE_EVENTS = 381
SAMPLE_PARTNERSHIPS = 10

#: The tests' today: the last day of the sample data (sample_events/README.md).
TODAY = date(2026, 11, 20)
#: When the in-process sample store was "recorded" (pinned, so timelines are stable).
RECORDED = datetime(2026, 11, 20, 18, 30, tzinfo=UTC)


def sample_paths(files: list[Path] | None = None) -> list[str]:
    """The sample files (or ``files``) as command-line arguments."""
    return [str(path) for path in (SAMPLE_FILES if files is None else files)]


def sample_dicts() -> list[dict[str, Any]]:
    """Every sample line, parsed, in recording order."""
    return [
        json.loads(text)
        for path in SAMPLE_FILES
        for text in path.read_text(encoding="utf-8").splitlines()
        if text.strip()
    ]


def sample_lines(files: list[Path] | None = None) -> list[Located]:
    """The lines of the sample files (or of ``files``), located for ``Ledger.record``."""
    lines: list[Located] = []
    for file in SAMPLE_FILES if files is None else files:
        lines.extend(located_lines(file.name, file.read_text(encoding="utf-8").split("\n")))
    return lines


def record_samples(path: Path | str, files: list[Path] | None = None) -> StoreConfig:
    """Record the sample files (or ``files``) into a new store at ``path``, at :data:`RECORDED`."""
    store = parse_store_url(str(path))
    with Ledger(store, create=True, clock=lambda: RECORDED) as ledger:
        result = ledger.record(sample_lines(files))
    assert result.ok, result.errors
    return store


def copy_sqlite(source: Path | str, target: Path | str) -> StoreConfig:
    """A consistent copy of an SQLite store (what its WAL holds included)."""
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
    return parse_store_url(str(target))


def another_store_with_its_read_model(first: StoreConfig, path: Path | str) -> StoreConfig:
    """A second SQLite store at ``path`` holding the sample lines recorded a second later
    (the same positions, other chain links), with ``first``'s read model tables copied in:
    a read model of another store."""
    from datetime import timedelta

    from trustledger.domain.readstore import META_TABLE, ROWS_TABLE, VIEWS_TABLE

    second = parse_store_url(str(path))
    with Ledger(second, create=True, clock=lambda: RECORDED + timedelta(seconds=1)) as ledger:
        assert ledger.record(sample_lines()).ok
    with closing(sqlite3.connect(str(second.path))) as conn, conn:
        conn.execute("ATTACH DATABASE ? AS first", (str(first.path),))
        tables = {row[0] for row in conn.execute("SELECT name FROM first.sqlite_master")}
        for table in (ROWS_TABLE, META_TABLE, VIEWS_TABLE):
            if table in tables:
                conn.execute(f"CREATE TABLE {table} AS SELECT * FROM first.{table}")
    return second
