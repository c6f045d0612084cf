"""Stored text never drives the terminal: ``terminal_safe``, and everything the command line
prints.

A store written before control characters were refused may hold escape sequences (a title
change, a screen clear, a hyperlink, colours). Every table cell shows them as visible text;
JSON output writes them (and C1 controls, bidi marks, line separators) as JSON escapes, so
a program reads the stored text exactly; error lines that echo input escape it too.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import orjson
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from trustledger.domain.text import terminal_safe
from trustledger.tui.cli.output import json_bytes

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


# Characters JSON leaves as they are unless asked: DEL, a C1 CSI, a bidi override, the
# line and paragraph separators, NEL.
RAW_IN_JSON = "\x7f\x9b2J\u202e\u2028\u2029\x85"
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2028\u2029]")
# What the JSON output escapes beyond JSON's own escapes (its C0 controls).
UNSAFE_FOR_JSON = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


@pytest.fixture
def legacy_store(tmp_path: Path) -> Path:
    """A store written before the input rules, its text full of terminal controls."""
    store = tmp_path / "ledger.sqlite"
    store_directly(
        store,
        [
            registered("evil", name=f"Evil{ESCAPES}{RAW_IN_JSON}Co", occurred_on="2025-01-01"),
            {
                "type": "issue_raised",
                "partnership": "evil",
                "issue": "i",
                "summary": f"look{ESCAPES}{RAW_IN_JSON}here",
                "actor": f"mal{RAW_IN_JSON}lory",
            },
        ],
    )
    return store


@pytest.mark.parametrize(
    "args",
    [
        ("export",),
        ("report", "--format", "json"),
        ("check", "--format", "json"),
        ("history", "evil", "--format", "json"),
        ("audit", "log", "--format", "json"),
    ],
    ids=" ".join,
)
def test_json_output_escapes_what_could_drive_a_terminal(
    legacy_store: Path, args: tuple[str, ...]
) -> None:
    run = run_cli(legacy_store, *args)
    assert run.code in (0, 1), run.err  # check: 1 when there are alerts
    assert not UNSAFE.search(run.out), [c for c in run.out if UNSAFE.match(c)]
    # JSON's own escapes: a program reading the output gets the stored text exactly.
    text = run.out if args[0] != "export" else "[" + ",".join(run.out.splitlines()) + "]"
    parsed = json.dumps(json.loads(text), ensure_ascii=False)
    assert args[0] == "check" or RAW_IN_JSON in parsed  # check's alerts quote no names


# Each escaped range with its neighbours, and characters that share a first UTF-8 byte with them.
EDGES = "\x7e\x7f\x80\x9f\xa0\xb1\u061b\u061c\u061d\u2014\u2026\u20ac" + "".join(
    chr(c) for c in [*range(0x200D, 0x2011), *range(0x2027, 0x2030), *range(0x2065, 0x206B)]
)


# Text as a store holds it: valid UTF-8, so no lone surrogates.
@given(st.text(st.sampled_from(EDGES) | st.characters(codec="utf-8")))
@example(EDGES)
def test_json_bytes_escapes_exactly_the_characters_json_leaves_raw(text: str) -> None:
    """The byte-level escaping of a report equals escaping its text character by character."""
    data = {"texts": [text, text[::-1]], "n": 1.5}
    raw = orjson.dumps(data, option=orjson.OPT_INDENT_2).decode()
    expected = UNSAFE_FOR_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", raw) + "\n"
    made = json_bytes(data)
    assert made == expected.encode()
    assert json.loads(made) == data


def test_csv_and_text_output_show_controls_as_text(legacy_store: Path) -> None:
    for args in (("report", "--format", "csv"), ("check",)):
        run = run_cli(legacy_store, *args)
        assert run.code in (0, 1), run.err
        assert not UNSAFE.search(run.out), args
    assert "\\x1b]0;pwned" in run_cli(legacy_store, "report", "--format", "csv").out


@pytest.mark.parametrize(
    "line",
    [
        '{"type": "partnership_registered", "partnership": "a", "name": "A", "\\u001b[2J": 1}',
        '{"type": "partnership_registered", "partnership": "a", "name": "A", "x\\u0085y": 1}',
        '{"type": "partnership_registered", "partnership": "a", "name": "A", "\\u2028": 1}',
    ],
)
def test_error_lines_never_echo_controls(tmp_path: Path, line: str) -> None:
    """An unknown field's name comes from the input: an error line names it escaped, on
    one line (NEL and U+2028 break lines in many readers)."""
    run = run_cli(tmp_path / "ledger.sqlite", "record", stdin=line + "\n")
    assert run.code == 1
    lines = run.err.removesuffix("\n").split("\n")
    assert len(lines) == 2, run.err  # the bad line, then the summary
    assert lines[0].startswith("stdin:1: ") and "unknown field" in lines[0]
    assert not UNSAFE.search(run.err), repr(run.err)


def test_a_failure_message_never_echoes_controls(legacy_store: Path) -> None:
    run = run_cli(legacy_store, "history", "\x1b]0;pwned\x07")
    assert run.code == 1
    assert run.err.count("\n") == 1 and not UNSAFE.search(run.err), repr(run.err)
    assert "\\x1b]0;pwned\\x07" in run.err
