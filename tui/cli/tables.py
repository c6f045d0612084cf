"""Plain-text tables for the command line: fitted to a terminal, whole in a pipe.

Rendered with rich. On a terminal a table fits its width: the columns marked as wrappable
wrap, and the first column (names) may be cut short. When stdout is not a terminal (a pipe,
a file, cron's mail) nothing is cut or wrapped: every column has its natural width, however
wide the table gets. Colour codes are never emitted into a pipe. Every cell is
stored text: it is shown through ``terminal_safe`` (a stored escape sequence is printed
visibly, never obeyed) and as plain text (rich markup such as ``[bold]`` in a name is shown
as it is, not interpreted).

In a pipe the table is written by :func:`plain_table`, character for character what rich
writes there (a test holds the two together): rich renders each cell through its layout
engine, some eight seconds for a report of ten thousand partnerships (eleven on a
terminal), where padding strings takes a few hundredths. On a terminal a table whose
columns do not wrap is likewise written by :func:`print_fitted_table`, rich laying out only
its title, headers and column widths.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterable, Sequence

from rich import box
from rich.cells import cell_len, set_cell_size
from rich.console import Console
from rich.table import Table
from rich.text import Text
from trustledger.domain.text import terminal_safe


def terminal_width() -> int | None:
    """The terminal's width, or None when stdout is not a terminal."""
    return shutil.get_terminal_size((80, 24)).columns if sys.stdout.isatty() else None


def console(width: int | None = None) -> Console:
    return Console(width=max(width or 80, 60), highlight=False, soft_wrap=False)


def print_table(
    title: str | None,
    headers: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    wrap: set[str] | frozenset[str] = frozenset(),
    right: set[str] | frozenset[str] = frozenset(),
) -> None:
    rows = [[terminal_safe(cell) for cell in row] for row in rows]
    headers = [terminal_safe(header) for header in headers]
    title = terminal_safe(title) if title is not None else None
    if terminal_width() is None:
        sys.stdout.write(plain_table(title, headers, rows, right))
        return
    if not wrap and print_fitted_table(title, headers, rows, right):
        return
    print_rich_table(title, headers, rows, wrap=wrap, right=right)


def plain_table(
    title: str | None,
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    right: set[str] | frozenset[str] = frozenset(),
) -> str:
    """The table of cells already made safe, as rich writes it into a pipe (box
    ``SIMPLE_HEAD``, no colour, every column of its natural width): the title on a line of
    its own, a blank edge, the headers, a rule, the rows and a blank edge. Each column is
    followed by a space of padding and one of separator, the last by neither, and each
    line has a space at either end."""
    widths = [
        max([cell_len(header)] + [cell_len(row[i]) for row in rows])
        for i, header in enumerate(headers)
    ]
    rights = [header in right for header in headers]
    total = sum(widths) + 2 * len(headers)
    edge = " " * total + "\n"
    out = [] if title is None else [title + "\n"]
    out += [edge, _fitted_row(headers, widths, rights), " " + "\u2500" * (total - 2) + " \n"]
    out += [_fitted_row(row, widths, rights) for row in rows]
    out.append(edge)
    return "".join(out)


def print_rich_table(
    title: str | None,
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    wrap: set[str] | frozenset[str] = frozenset(),
    right: set[str] | frozenset[str] = frozenset(),
) -> None:
    """:func:`print_table` of cells already made safe, rendered by rich (what a terminal
    gets, fitted to its width; :func:`plain_table` gives what a pipe gets)."""
    out, table = _rich_table(title, headers, rows, wrap, right)
    out.print(table)


def print_fitted_table(
    title: str | None,
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    right: set[str] | frozenset[str] = frozenset(),
) -> bool:
    """:func:`print_rich_table` for a table whose columns do not wrap, written as rich
    writes it: rich lays out the title, the headers and every column's width from two rows
    that measure as all rows do (each column's widest cell, and its cell with the longest
    word), and each row is cut and padded here as rich cuts and pads a cell that does not
    wrap. False, having written nothing, when rich's layout of those two rows is not what
    this gives them (a rich that lays tables out otherwise): print the table with rich."""
    if not rows:
        return False
    measuring = [
        [max((row[i] for row in rows), key=key) for i in range(len(headers))]
        for key in (_widest, _longest_word)
    ]
    out, table = _rich_table(title, headers, measuring, frozenset(), right)
    try:
        widths = table._calculate_column_widths(
            out, out.options.update_width(out.options.max_width - table._extra_width)
        )
    except Exception:  # rich's own layout, read through its private method: use rich
        return False
    # Content widths: every column has one space of padding on its right but the last.
    inner = [width - (0 if i == len(widths) - 1 else 1) for i, width in enumerate(widths)]
    rights = [header in right for header in headers]
    with out.capture() as captured:
        out.print(table)
    laid = captured.get().splitlines(keepends=True)
    head, measured, bottom = laid[:-3], laid[-3:-1], laid[-1]
    if measured != [_fitted_row(row, inner, rights) for row in measuring]:
        return False
    out.file.write("".join([*head, *(_fitted_row(row, inner, rights) for row in rows), bottom]))
    out.file.flush()
    return True


def _widest(cell: str) -> int:
    return cell_len(cell)


def _longest_word(cell: str) -> int:
    """What rich measures as a cell's least width: its longest word (all of it when it
    has none)."""
    words = cell.split()
    return max(map(cell_len, words)) if words else cell_len(cell)


def _fitted_row(cells: Sequence[str], widths: Sequence[int], rights: Sequence[bool]) -> str:
    """A row as rich draws it with these content widths, no cell wrapping: each column
    followed by a space of padding and one of separator, the last by neither, a space at
    either end; a cell too wide ends in an ellipsis, and a right-justified one loses its
    trailing spaces first (as rich justifies), then is padded on its left."""
    last = len(cells) - 1
    parts = []
    for i, cell in enumerate(cells):
        width = widths[i]
        if rights[i]:
            cell = cell.rstrip()
        size = cell_len(cell)
        if size > width:
            cell, size = set_cell_size(cell, width - 1) + "\u2026", width
        pad = " " * (width - size)
        text = pad + cell if rights[i] else cell + pad
        parts.append(text if i == last else text + " ")
    return " " + " ".join(parts) + " \n"


def _rich_table(
    title: str | None,
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    wrap: set[str] | frozenset[str],
    right: set[str] | frozenset[str],
) -> tuple[Console, Table]:
    """The console and the rich table :func:`print_rich_table` prints."""
    naturals = [
        max([cell_len(h)] + [cell_len(row[i]) for row in rows]) for i, h in enumerate(headers)
    ]
    # Each column has one space of padding and one of separator, plus the edge.
    natural_width = sum(naturals) + 2 * len(headers) + 1
    width = terminal_width()
    if width is None:  # not a terminal: the natural width, nothing cut or wrapped
        out = console(natural_width)
        wrap = frozenset()
        if title is not None:  # on its own line: a table's title wraps at the table's width
            out.print(Text(title, style="table.title"), soft_wrap=True)
            title = None
    else:
        out = console(width)
    overflow = natural_width - out.width
    first_max = max(8, naturals[0] - overflow) if overflow > 0 and not wrap else None
    table = Table(
        title=Text(title, style="table.title") if title is not None else None,
        box=box.SIMPLE_HEAD,
        title_justify="left",
        pad_edge=False,
        padding=(0, 1, 0, 0),
        expand=bool(wrap),
    )
    for i, header in enumerate(headers):
        wraps = header in wrap
        natural = naturals[i]
        table.add_column(
            Text(header),
            overflow="fold" if wraps else "ellipsis",
            no_wrap=not wraps,
            ratio=1 if wraps else None,
            # Every column keeps its natural width but the first (names can be cut short)
            # and the wrapping ones, which take what is left.
            min_width=None if wraps or i == 0 else natural,
            max_width=first_max if i == 0 else None,
            justify="right" if header in right else "left",
        )
    for row in rows:
        table.add_row(*(Text(cell) for cell in row))
    return out, table
