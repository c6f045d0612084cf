"""Plain-text tables for the command line, readable at 80 columns.

Rendered with rich: it wraps the columns marked as wrappable, fits the terminal width
(80 when stdout is not a terminal) and never emits colour codes into a pipe.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterable, Sequence

from rich import box
from rich.console import Console
from rich.table import Table


def console() -> Console:
    width = shutil.get_terminal_size((80, 24)).columns if sys.stdout.isatty() else 80
    return Console(width=max(width, 60), highlight=False, soft_wrap=False)


def print_table(
    title: str | None,
    headers: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    wrap: set[str] | frozenset[str] = frozenset(),
    right: set[str] | frozenset[str] = frozenset(),
) -> None:
    table = Table(
        title=title, box=box.SIMPLE_HEAD, title_justify="left", pad_edge=False, expand=bool(wrap)
    )
    for header in headers:
        wraps = header in wrap
        table.add_column(
            header,
            overflow="fold" if wraps else "ellipsis",
            no_wrap=not wraps,
            ratio=1 if wraps else None,
            min_width=24 if wraps else None,
            justify="right" if header in right else "left",
        )
    for row in rows:
        table.add_row(*row)
    console().print(table)
