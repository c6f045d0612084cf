"""The floor under a dashboard's first screen: a Textual app with nothing of the ledger.

A header, a table of 40 rows and 9 columns, a bar that says "N events" (N from the command
line) and a footer, the dashboard's shape without its store, model or screens: the time
from its process start to that count on the terminal is what Python, Textual and the
terminal take on this machine before any of the ledger's own work. ``live_load_bench.py
--starts N`` runs it beside the dashboard. ``q`` quits.

Usage: python benchmarks/bare_textual.py COUNT
"""

from __future__ import annotations

import sys

from textual.app import App, ComposeResult
from textual.widgets import DataTable, Footer, Header, Static


class Bare(App[None]):
    BINDINGS = [("q", "quit", "Quit")]
    CSS = "DataTable { height: 1fr; } Static { dock: bottom; height: 1; margin-bottom: 1; }"

    def __init__(self, count: int) -> None:
        super().__init__()
        self.count = count

    def compose(self) -> ComposeResult:
        yield Header()
        yield DataTable()
        yield Static(f"LIVE  {self.count:,} events")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(*(f"column {n}" for n in range(9)))
        for row in range(40):
            table.add_row(f"p{row:05}", *(f"{row * n / 7:.2f}" for n in range(1, 9)))


if __name__ == "__main__":
    Bare(int(sys.argv[1])).run()
