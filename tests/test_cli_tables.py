"""The command line's tables outside a terminal: every column at its natural width.

In a pipe (a script, cron's mail, ``| less``) a table used to be cut at 80 columns, so long
handles and notes ended in ``…``. When stdout is not a terminal nothing is cut or wrapped.
"""

from __future__ import annotations

from pathlib import Path

from tests.cli_helpers import ndjson, run_cli
from tests.hardening_support import registered

HANDLE = "a-partnership-with-a-handle-long-enough-to-matter"
NOTE = "a note " * 30


def test_tables_in_a_pipe_keep_every_column_whole(tmp_path: Path) -> None:
    store = tmp_path / "ledger.sqlite"
    lines = ndjson([registered(HANDLE, occurred_on="2025-01-01", note=NOTE.strip())])
    assert run_cli(store, "record", stdin=lines).code == 0
    report = run_cli(store, "report", "--as-of", "2025-06-30")
    assert report.code == 0, report.err
    assert "…" not in report.out
    row = next(line for line in report.out.splitlines() if HANDLE in line)
    assert "? unproven" in row  # the whole row on one line
    history = run_cli(store, "history", HANDLE)
    assert history.code == 0, history.err
    assert "…" not in history.out
    assert any(NOTE.strip() in line for line in history.out.splitlines())  # not wrapped
    assert max(len(line) for line in history.out.splitlines()) > 80
