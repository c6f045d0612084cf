"""Creating a store: in a directory that exists, never a new directory for a store one names.

``--store /nonexistent/dir/x.sqlite`` used to create ``/nonexistent/dir/`` and a new ledger
there: a typo quietly started a second ledger. Only the default store's directory (the user
data directory) is created; any other store's directory must exist, or the command exits 2
naming it and creates nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_helpers import assert_no_traceback, ndjson, run_cli
from tests.hardening_support import registered

LINES = ndjson([registered("acme", occurred_on="2025-01-01")])


@pytest.mark.parametrize(
    "args",
    [
        ("record",),
        ("partner", "add", "acme", "--name", "Acme"),
    ],
)
def test_a_store_in_a_missing_directory_exits_2_and_creates_nothing(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    missing = tmp_path / "nonexistent" / "dir"
    store = missing / "x.sqlite"
    run = run_cli(store, *args, stdin=LINES)
    assert run.code == 2, run
    assert_no_traceback(run)
    assert len(run.err.splitlines()) == 1
    assert f"there is no directory {missing}" in run.err
    assert run.out == ""
    assert not (tmp_path / "nonexistent").exists()


def test_migrating_into_a_missing_directory_exits_2(tmp_path: Path) -> None:
    source = tmp_path / "source.sqlite"
    assert run_cli(source, "record", stdin=LINES).code == 0
    target = tmp_path / "nowhere" / "target.sqlite"
    run = run_cli(source, "migrate", "--to", str(target))
    assert run.code == 2, run
    assert f"there is no directory {target.parent}" in run.err
    assert not target.parent.exists()


def test_a_store_in_an_existing_directory_is_created(tmp_path: Path) -> None:
    store = tmp_path / "ledger.sqlite"
    run = run_cli(store, "record", stdin=LINES)
    assert (run.code, run.out) == (0, "recorded 1, already recorded 0\n"), run.err
    assert store.is_file()


def test_the_default_store_gets_its_directory(tmp_path: Path) -> None:
    """No --store and no TRUSTLEDGER_STORE: the default file in the user data directory,
    whose directories are created (privately)."""
    data_home = tmp_path / "xdg-data"
    run = run_cli(None, "record", stdin=LINES, env={"XDG_DATA_HOME": str(data_home)})
    assert (run.code, run.out) == (0, "recorded 1, already recorded 0\n"), run.err
    assert (data_home / "trustledger" / "events.sqlite").is_file()
