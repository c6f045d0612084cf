"""The command line's tables outside a terminal: every column at its natural width.

In a pipe (a script, cron's mail, ``| less``) a table used to be cut at 80 columns, so long
handles and notes ended in ``…``. When stdout is not a terminal nothing is cut or wrapped.
There the table is written by ``plain_table``, the same characters rich writes, for any
cells (wide, combining and emoji characters, spaces at either end, empty cells).
"""

from __future__ import annotations

import io
from contextlib import redirect_stdout
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from trustledger.domain.text import terminal_safe
from trustledger.tui.cli.tables import plain_table, print_rich_table

from tests.cli_helpers import ndjson, run_cli
from tests.hardening_support import registered
from tests.samples import SAMPLE_PARTNERSHIPS

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


#: Narrow, wide (CJK, emoji), combining and box characters, spaces and dashes; a header
#: starts with a letter, as a column's name does.
PIECES = ["a", "Z", "7", " ", "-", "\u2014", "\u00b1", "\u65e5", "\U0001f642", "\u0301", "\u25b2"]
CELL = st.lists(st.sampled_from(PIECES), max_size=12).map(lambda p: terminal_safe("".join(p)))


@st.composite
def tables(draw: st.DrawFn) -> tuple[str | None, list[str], list[list[str]], set[str]]:
    headers = draw(
        st.lists(st.builds(str.__add__, st.sampled_from("aZ"), CELL), min_size=1, max_size=6)
    )
    rows = draw(st.lists(st.lists(CELL, min_size=len(headers), max_size=len(headers)), max_size=8))
    right = set(draw(st.lists(st.sampled_from(headers), max_size=len(headers))))
    title = draw(st.none() | CELL)
    return title, headers, rows, right


@settings(max_examples=300, deadline=None)
@given(tables())
def test_a_table_in_a_pipe_is_what_rich_writes_there(table) -> None:
    title, headers, rows, right = table
    with redirect_stdout(io.StringIO()) as rich_out:
        print_rich_table(title, headers, rows, right=right)
    assert plain_table(title, headers, rows, right) == rich_out.getvalue()


def test_a_report_table_in_a_pipe_has_a_row_per_partnership(sample_store) -> None:
    report = run_cli(sample_store.path, "report")
    assert report.code == 0, report.err
    title, edge, header, rule, *rows, bottom = report.out.splitlines()
    assert title.startswith("as of ") and header.split()[:2] == ["partnership", "status"]
    assert len(rows) == SAMPLE_PARTNERSHIPS
    assert edge == bottom == " " * cell_len(header) and rule.strip(" ") == "\u2500" * (
        len(rule) - 2
    )
    assert {cell_len(line) for line in rows} == {cell_len(header)}


@pytest.mark.parametrize("args", [("report",), ("history", "northwind"), ("check",)])
def test_an_ascii_output_gets_escapes_and_the_whole_output(sample_store, args) -> None:
    """An output that cannot encode the tables' characters (a cron job's ASCII locale) gets
    them as backslash escapes; the command does not end half-written."""
    run = run_cli(sample_store.path, *args, env={"PYTHONIOENCODING": "ascii"})
    assert run.code == (1 if args == ("check",) else 0), run.err  # check: 1 on alerts
    assert "unexpected error" not in run.err
    assert run.out.isascii() and len(run.out.splitlines()) > 5
    if args[0] != "check":
        assert "\\u2500" in run.out  # the rule under the headers
