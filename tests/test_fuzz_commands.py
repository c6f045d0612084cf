"""Fuzz: every command with options and input it was never meant to get.

Each example runs one command of the command line (every command but the dashboard) on a
fresh copy of a small real SQLite store, with some of its options given values that are
plausible, or nasty (see :mod:`tests.fuzz_support`), and sometimes an option it does not
take; ``record`` reads generated NDJSON. Whatever happens:

- no traceback and no "unexpected error": the exit code is 0, 1 or 2;
- errors are lines on stderr, each starting with ``trustledger`` or ``SOURCE:LINE:``;
- a command that failed (exit 1 other than ``check``'s alerts, or 2) changed nothing in
  the store.

Most examples run in-process (``CliRunner``, with a pinned clock); a smaller number run the
real ``trustledger`` console script, exactly as a script would.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import trustledger.tui.__main__  # noqa: F401  (registers the dashboard's command)
from hypothesis import Phase, assume, given, settings
from trustledger.domain.ledger import Ledger, located_lines
from trustledger.domain.store import parse_store_url
from trustledger.tui.cli.main import main
from trustledger.tui.service.clock import FixedClock

from tests.cli_helpers import Run, invoke, run_cli
from tests.fuzz_support import (
    BASE_LINES,
    CONFIG_FILES,
    NDJSON_INPUTS,
    command_lines,
    count,
    fuzz_settings,
    leaf_commands,
)

CLOCK = FixedClock(datetime(2025, 6, 1, 12, 0, tzinfo=UTC))
COMMANDS = leaf_commands(main)
LOCATED = re.compile(r"^[^\n]*:\d+: ")
#: A process per example is slow to shrink: a failure is reported as found.
PROCESS_PHASES = (Phase.explicit, Phase.reuse, Phase.generate)


@pytest.fixture(scope="module")
def base_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small store: two partnerships (one ended), an open commitment and issue."""
    import json

    path = tmp_path_factory.mktemp("fuzz-base") / "ledger.sqlite"
    lines = [json.dumps(line | {"occurred_on": "2025-01-01"}) for line in BASE_LINES]
    with Ledger(parse_store_url(str(path)), create=True, clock=CLOCK.now) as ledger:
        assert ledger.record(located_lines("base", lines)).ok
    return path


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The directory the commands run in: every relative name they are given is here."""
    path = tmp_path_factory.mktemp("fuzz-cwd")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(path)
        patch.setenv("XDG_CONFIG_HOME", str(path / "xdg-config"))
        patch.setenv("XDG_CACHE_HOME", str(path / "xdg-cache"))
        patch.setenv("XDG_DATA_HOME", str(path / "xdg-data"))
        yield path


def fresh_store(base: Path, workdir: Path) -> Path:
    store = workdir / "ledger.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{store}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(base, store)
    return store


def stored(store: Path) -> list[tuple[int, bytes]]:
    import sqlite3
    from contextlib import closing

    with closing(sqlite3.connect(store)) as conn:
        return conn.execute("SELECT rowid, state FROM stored_events ORDER BY rowid").fetchall()


def assert_contract(run: Run, argv: list[str], before: list, after: list) -> None:
    where = f"argv={argv!r}\nstderr={run.err!r}"
    assert run.code in (0, 1, 2), where
    assert "Traceback" not in run.err and "unexpected error" not in run.err, where
    # Split at newlines only: a line broken by U+0085 or U+2028 is a broken line.
    lines = run.err.removesuffix("\n").split("\n") if run.err else []
    for line in lines:
        assert line.startswith("trustledger") or LOCATED.match(line), where
    if run.code != 0:
        assert run.err.strip(), where  # a failure says why
    if run.code == 2:
        assert len(lines) == 1, f"a usage error is one line\n{where}"
    elif run.code == 1 and argv[:1] != ["check"]:
        # One line per bad input line ("SOURCE:LINE: ..." or "trustledger end: --option:
        # ..."), then the one line that sums up.
        summary = [line for line in lines if line.startswith("trustledger: ")]
        assert len(summary) == 1 and lines[-1] == summary[0], f"one summing-up line\n{where}"
    alerts = argv[:1] == ["check"] and run.code == 1
    if run.code != 0 and not alerts:
        assert after == before, f"a failed command changed the store\n{where}"


def prepare(workdir: Path, lines: list[str], config: str) -> str:
    (workdir / "lines.ndjson").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (workdir / "config.toml").write_text(config, encoding="utf-8")
    return "\n".join(lines) + "\n"


@fuzz_settings(quick=300, full=3000)
@given(argv=command_lines(COMMANDS), lines=NDJSON_INPUTS, config=CONFIG_FILES)
def test_every_command_keeps_the_contract(base_store, workdir, argv, lines, config):
    count("commands in-process")
    store = fresh_store(base_store, workdir)
    stdin = prepare(workdir, lines, config)
    before = stored(store)
    run = invoke(store, *argv, stdin=stdin, store_after=True, clock=CLOCK)
    assert_contract(run, argv, before, stored(store))


@fuzz_settings(quick=300, full=3000)
@given(lines=NDJSON_INPUTS)
def test_record_is_all_or_nothing(base_store, workdir, lines):
    count("record in-process")
    store = fresh_store(base_store, workdir)
    before = stored(store)
    run = invoke(store, "record", stdin=prepare(workdir, lines, ""), clock=CLOCK)
    after = stored(store)
    assert_contract(run, ["record"], before, after)
    if run.code == 0:
        recorded, already = map(int, re.findall(r"\d+", run.out)[:2])
        assert recorded + already == sum(1 for line in lines if line.strip())
        assert len(after) == len(before) + recorded
    else:
        bad = [line for line in run.err.splitlines() if line.startswith("stdin:")]
        assert bad or run.code == 2, run.err  # one line per bad input line
        assert len(bad) == len({line.split(":")[1] for line in bad})


@settings(fuzz_settings(quick=25, full=300), phases=PROCESS_PHASES)
@given(argv=command_lines(COMMANDS), lines=NDJSON_INPUTS, config=CONFIG_FILES)
def test_the_real_command_line_keeps_the_contract(base_store, workdir, argv, lines, config):
    # A process cannot be given NUL in its arguments (the in-process fuzzer gives it).
    assume(not any("\x00" in arg for arg in argv))
    count("commands as processes")
    store = fresh_store(base_store, workdir)
    stdin = prepare(workdir, lines, config)
    before = stored(store)
    run = run_cli(store, *argv, stdin=stdin, store_after=True, cwd=workdir, timeout=60)
    assert_contract(run, argv, before, stored(store))


def test_the_fuzzers_reach_every_command():
    names = {" ".join(path) for path, _ in COMMANDS}
    assert {"record", "report", "check", "export", "audit verify", "partner add"} <= names
    assert "tui" not in names and "demo" not in names
