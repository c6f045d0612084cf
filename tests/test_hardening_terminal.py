"""Stored text never drives the terminal: ``terminal_safe`` and the command line's tables.

A store written before control characters were refused may hold escape sequences (a title
change, a screen clear, a hyperlink, colours). Every table cell shows them as visible text.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from trustledger.domain.text import terminal_safe

from tests.cli_helpers import run_cli
from tests.hardening_support import registered, store_directly


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("plain, ünïcödé 🎉 and NBSP\u00a0too", "plain, ünïcödé 🎉 and NBSP\u00a0too"),
        ("red \x1b[31malert\x1b[0m", "red \\x1b[31malert\\x1b[0m"),
        ("title \x1b]0;owned\x07", "title \\x1b]0;owned\\x07"),
        ("nul\x00 del\x7f csi\x9b2J", "nul\\x00 del\\x7f csi\\x9b2J"),
        ("a\tb", "a b"),
        ("one\ntwo\r\nthree", "one↵two\\x0d↵three"),
        ("abc\u202edcba\u2066x\u2069", "abc\\u202edcba\\u2066x\\u2069"),
        ("line\u2028sep", "line\\u2028sep"),
    ],
)
def test_terminal_safe_shows_controls_visibly(stored: str, shown: str) -> None:
    assert terminal_safe(stored) == shown


def test_terminal_safe_keeps_newlines_where_asked() -> None:
    assert terminal_safe("one\n\x1b[2Jtwo", multiline=True) == "one\n\\x1b[2Jtwo"


ESCAPES = "\x1b]0;pwned\x07\x1b[2J\x1b[31m"


def test_tables_show_stored_escape_sequences_as_text(tmp_path: Path) -> None:
    store = tmp_path / "ledger.sqlite"
    store_directly(
        store,
        [
            registered("evil", name=f"Evil{ESCAPES} [bold]Co[/]", occurred_on="2025-01-01"),
            {
                "type": "issue_raised",
                "partnership": "evil",
                "issue": "i",
                "summary": f"look{ESCAPES}here\u202e",
                "actor": "mal\x1b[8m",
            },
        ],
    )
    for args in (("history", "evil"), ("audit", "log"), ("report",)):
        run = run_cli(store, *args, env={"COLUMNS": "200"})
        assert run.code == 0, run.err
        assert "\x1b" not in run.out and "\x07" not in run.out and "\u202e" not in run.out
    history = run_cli(store, "history", "evil").out
    assert "\\x1b" in history  # shown (wrapped anywhere in the details column)
    assert "[bold]" in history  # as typed: not taken for rich markup
    assert "mal\\x1b[8m" in run_cli(store, "audit", "log").out
