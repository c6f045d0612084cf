"""Error lines of the command line: structured, one line each, bounded, in plain words.

A bad line is reported from the ledger's ``LineError`` data (source, line, field, message),
rendered by one function; hostile input (deep nesting, huge values) still gives the
contract's ``SOURCE:LINE: ...`` line and exit 1; usage errors name the command once.
"""

from __future__ import annotations

import json
from pathlib import Path

from trustledger.domain.errors import LineError, error_lines, quoted

from tests.cli_helpers import assert_no_traceback, export_text, invoke, ndjson, run_cli

REGISTER = {"type": "partnership_registered", "partnership": "acme", "name": "Acme"}


def registered(tmp_path: Path) -> str:
    store = str(tmp_path / "store.sqlite")
    assert invoke(store, "record", stdin=ndjson([REGISTER])).code == 0
    return store


def test_line_errors_render_as_the_contract_says() -> None:
    errors = [
        LineError("stdin", 3, "weight", "too big"),
        LineError("stdin", 3, "scores.vision", "out of range"),
        LineError("stdin", 5, None, "not valid JSON: Expecting value (column 1)"),
        LineError("trustledger kept", 0, "commitment", "'x' is not open"),
    ]
    assert error_lines(errors) == [
        "stdin:3: weight: too big; scores.vision: out of range",
        "stdin:5: not valid JSON: Expecting value (column 1)",
        "trustledger kept: commitment: 'x' is not open",
    ]
    assert error_lines(errors[:2], name=lambda field: "--" + field.replace("_", "-")) == [
        "stdin:3: --weight: too big; --scores.vision: out of range"
    ]


def test_quoted_values_are_cut_at_80_characters() -> None:
    assert quoted("short") == "'short'"
    long = quoted("x" * 1000)
    assert long == "'" + "x" * 80 + "…'"


def test_a_deeply_nested_line_is_a_bad_line(tmp_path: Path) -> None:
    store = registered(tmp_path)
    before = export_text(store)
    for text in ("[" * 10000, '{"type": "review_held", "scores": ' + "[" * 10000):
        run = run_cli(store, "record", stdin=text + "\n")
        assert run.code == 1, run
        assert_no_traceback(run)
        assert run.err.splitlines() == [
            "stdin:1: not valid JSON: nested too deeply",
            "trustledger: 1 bad line(s); nothing was recorded",
        ]
    assert export_text(store) == before


def test_a_huge_value_makes_a_short_error_line(tmp_path: Path) -> None:
    store = registered(tmp_path)
    huge = "x" * 1_000_000
    lines = [
        {"type": "commitment_kept", "partnership": "acme", "commitment": "c", "occurred_on": huge},
        {"type": huge, "partnership": "acme"},
        {"type": "commitment_kept", "partnership": "acme", "commitment": "c", huge: 1},
        {"type": "commitment_kept", "partnership": "acme", "commitment": "c", "id": huge[:128]},
    ]
    run = invoke(store, "record", stdin=ndjson(lines))
    assert run.code == 1
    errors = run.err.splitlines()[:-1]
    assert [e.split(": ", 1)[0] for e in errors] == ["stdin:1", "stdin:2", "stdin:3", "stdin:4"]
    for error in errors:
        assert len(error) < 400, error[:500]
    assert "…" in errors[0] and "…" in errors[1] and "…" in errors[2]
    assert errors[1].startswith("stdin:2: type: unknown event type 'xxx")


def test_messages_are_plain_words_not_pydantic_wording(tmp_path: Path) -> None:
    store = registered(tmp_path)
    run = invoke(store, "commit", "acme", "c1", "--by", "us", "--summary", "s", "--due", "soon")
    assert run.code == 1
    assert run.err.splitlines()[0] == (
        "trustledger commit: --due: 'soon' is not a date (YYYY-MM-DD) or an RFC 3339 timestamp"
    )
    line = {"type": "commitment_kept", "partnership": "acme", "commitment": "c", "occurred_on": "x"}
    run = invoke(store, "record", stdin=ndjson([line]))
    assert run.code == 1 and "Value error" not in run.err
    assert run.err.startswith("stdin:1: occurred_on: 'x' is not a date")
    # A compact or week date (which Python's ISO reader takes) is not one of the two forms.
    for compact in ("20270301", "2027-W09-1"):
        run = invoke(store, "record", stdin=ndjson([{**line, "occurred_on": compact}]))
        assert run.code == 1
        assert run.err.startswith(
            f"stdin:1: occurred_on: '{compact}' is not a date (YYYY-MM-DD) or an RFC 3339"
        ), run.err


def test_one_event_commands_name_their_options(tmp_path: Path) -> None:
    store = registered(tmp_path)
    run = invoke(store, "review", "acme", "--score", "vision=9", "--occurred-on", "2099-01-01")
    assert run.code == 1
    assert run.err.splitlines() == [
        "trustledger review: --score vision: Input should be less than or equal to 5",
        "trustledger: 1 bad line(s); nothing was recorded",
    ]
    run = invoke(store, "kept", "acme", "nope", "--occurred-on", "2099-01-01")
    assert run.err.splitlines()[0].startswith("trustledger kept: --occurred-on: 2099-01-01 is in")
    run = invoke(store, "partner", "add", "acme", "--name", "Again")
    assert run.err.splitlines()[0] == (
        "trustledger partner add: partnership: 'acme' is already registered"
    )


def test_usage_errors_name_the_command_once(tmp_path: Path) -> None:
    for args, first in (
        (["commit", "acme"], "trustledger commit: Missing argument 'COMMITMENT'"),
        (["partner", "add", "x"], "trustledger partner add: Missing option '--name'"),
        (["no-such-command"], "trustledger: No such command 'no-such-command'"),
    ):
        run = run_cli(tmp_path / "s.sqlite", *args)
        assert run.code == 2, run
        assert len(run.err.splitlines()) == 1, run.err
        assert run.err.startswith(first), run.err
        assert "trustledger: trustledger" not in run.err


def test_errors_of_the_store_never_show_the_password() -> None:
    run = run_cli("postgresql://someone:pa55word-here@127.0.0.1:1/nodb", "export")
    assert run.code == 2 and len(run.err.splitlines()) == 1, run
    assert "pa55word-here" not in run.err


def test_history_of_a_long_unknown_handle_is_short(tmp_path: Path) -> None:
    store = registered(tmp_path)
    run = invoke(store, "history", "y" * 5000, "--format", "json")
    assert run.code == 1 and len(run.err) < 300, run.err
    assert json.loads(invoke(store, "history", "acme", "--format", "json").out)[0]["name"]
