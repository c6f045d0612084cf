"""The command line's tables outside a terminal: every column at its natural width.

In a pipe (a script, cron's mail, ``| less``) a table used to be cut at 80 columns, so long
handles and notes ended in ``…``. When stdout is not a terminal nothing is cut or wrapped.
There the table is written by ``plain_table``, the same characters rich writes, for any
cells (wide, combining and emoji characters, spaces at either end, empty cells). On a
terminal a table whose columns do not wrap is fitted to its width by
``print_fitted_table``: the same characters and colour codes rich writes, at any width.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.console import Console
from trustledger.domain.text import terminal_safe
from trustledger.tui.cli import tables as cli_tables
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


# -- on a terminal: fitted to its width --------------------------------------------------


def on_a_terminal(width: int, print_it: Callable[[], object]) -> tuple[object, str]:
    """What ``print_it`` returns and writes as on a colour terminal ``width`` columns wide."""
    screen = io.StringIO()

    def console(w: int | None = None) -> Console:
        return Console(
            width=max(w or 80, 60),
            highlight=False,
            soft_wrap=False,
            force_terminal=True,
            color_system="standard",
            file=screen,
        )

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cli_tables, "terminal_width", lambda: width)
        patch.setattr(cli_tables, "console", console)
        returned = print_it()
    return returned, screen.getvalue()


def rich_and_fitted(width: int, table: Any) -> tuple[str, bool, str]:
    """A table as rich writes it, whether it was fitted, and what fitting it wrote."""
    title, headers, rows, right = table
    _, by_rich = on_a_terminal(
        width, lambda: cli_tables.print_rich_table(title, headers, rows, right=right)
    )
    fitted, written = on_a_terminal(
        width, lambda: cli_tables.print_fitted_table(title, headers, rows, right)
    )
    return by_rich, bool(fitted), written


@settings(max_examples=300, deadline=None)
@given(tables(), st.integers(min_value=40, max_value=140))
def test_a_fitted_table_is_what_rich_writes_on_the_terminal(table, width) -> None:
    # Written by rich, a report of ten thousand partnerships took 11 s on a terminal. The
    # fitted table writes the same characters and colour codes, or leaves it to rich.
    by_rich, fitted, written = rich_and_fitted(width, table)
    if fitted:
        assert written == by_rich
    else:
        assert written == ""


def test_a_wide_report_is_fitted_to_the_terminal() -> None:
    # Rows enough to be slow through rich, cells cut short with an ellipsis.
    headers = ["partnership", "status", "trust", "next review"]
    rows = [
        [f"partnership-number-{n:05d}-{'x' * (n % 50)}", "at risk", f"{n / 1e4:.2f}", "2026-11-03"]
        for n in range(3000)
    ]
    title = "as of 2026-12-03: " + "a long title that wraps " * 6
    for width in (60, 80, 132):
        by_rich, fitted, written = rich_and_fitted(width, (title, headers, rows, {"trust"}))
        assert fitted, width
        assert written == by_rich
        body = [line for line in written.splitlines() if "partnership-number-" in line]
        assert len(body) == len(rows)
        assert all(cell_len(line) <= width for line in body)
        cut = [line for line in body if "\u2026" in line]
        assert (width < 100) == bool(cut), width  # names cut short only when too wide
        assert "\x1b[1m" in written  # the headers bold, as rich writes them
