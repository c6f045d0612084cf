"""Reading commands work on a store this process cannot write (read-only media, a file or a
directory without write permission).

SQLite in WAL mode needs its -shm file: a reader used to fail with "attempt to write a
readonly database". The ledger now opens such a store read-only (``mode=ro``), and immutable
when not even the directory is writable. Root ignores permission bits, so as root the
commands run without CAP_DAC_OVERRIDE (``setpriv``), under which the bits hold as they do
for everyone else.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from tests.cli_helpers import TRUSTLEDGER, Run, assert_no_traceback, cli_env, run_cli
from tests.hardening_support import unprivileged_prefix
from tests.samples import sample_paths

SAMPLES = sample_paths()[:3]
READING = [
    ("report", "--as-of", "2026-11-20", "--format", "json"),
    ("export",),
    ("history", "northwind", "--format", "json"),
    ("audit", "verify"),
    ("audit", "log", "--format", "json"),
    ("check", "--as-of", "2026-11-20", "--format", "json"),
]


def run_unprivileged(store: Path, *args: str) -> Run:
    proc = subprocess.run(
        [*unprivileged_prefix(), str(TRUSTLEDGER), "--store", str(store), *args],
        capture_output=True,
        env=cli_env(store),
        timeout=120,
        check=False,
    )
    return Run(proc.returncode, proc.stdout.decode(), proc.stderr.decode())


@pytest.fixture(params=["directory-and-file", "file-only"])
def read_only_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Path]:
    """A recorded store whose file (and, in the first case, directory) is read-only."""
    directory = tmp_path / "media"
    directory.mkdir()
    store = directory / "ledger.sqlite"
    assert run_cli(store, "record", *SAMPLES).code == 0
    assert not Path(f"{store}-wal").exists()  # checkpointed and removed by the last writer
    locked: Sequence[Path] = (
        [store, directory] if request.param == "directory-and-file" else [store]
    )
    modes = {path: path.stat().st_mode for path in locked}
    for path in locked:
        os.chmod(path, 0o555 if path.is_dir() else 0o444)
    try:
        yield store
    finally:
        for path, mode in modes.items():
            os.chmod(path, mode)


def test_reading_commands_work_on_a_read_only_store(read_only_store: Path) -> None:
    # What the commands print, read with write access (on a copy: the store stays as is).
    copy = read_only_store.parent.parent / "copy.sqlite"
    copy.write_bytes(read_only_store.read_bytes())
    for args in READING:
        expected = run_cli(copy, *args)
        run = run_unprivileged(read_only_store, *args)
        assert_no_traceback(run)
        assert (run.code, run.err) == (expected.code, expected.err), args
        assert run.out == expected.out, args
    assert json.loads(run_unprivileged(read_only_store, "export").out.splitlines()[0])


def test_recording_into_a_read_only_store_is_one_clear_error(read_only_store: Path) -> None:
    before = read_only_store.read_bytes()
    line = '{"type": "partnership_ended", "partnership": "northwind"}\n'
    proc = subprocess.run(
        [*unprivileged_prefix(), str(TRUSTLEDGER), "--store", str(read_only_store), "record"],
        input=line.encode(),
        capture_output=True,
        env=cli_env(read_only_store),
        timeout=120,
        check=False,
    )
    err = proc.stderr.decode()
    assert proc.returncode == 2
    assert err.count("\n") == 1 and "readonly" in err.replace("read-only", "readonly"), err
    assert "Traceback" not in err
    assert read_only_store.read_bytes() == before
