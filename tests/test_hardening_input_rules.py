"""Input rules added by the hardening work, on SQLite and PostgreSQL.

- A revenue line carries at most 1e15: two lines of 1e308 used to make the portfolio sum
  infinite and ``report --format json`` print NaN. At the maximum, the JSON stays strict.
- Text fields refuse control characters (NUL, ESC, the rest of C0 and C1, DEL); free text
  keeps tab and newline. ``SOURCE:LINE: field: control character not allowed``.
- A store written before these rules (NUL and escapes in its text, a huge amount) stays
  readable and verifiable, and ``migrate`` copies it into PostgreSQL, which cannot hold
  NUL in text or jsonb (the id index read the stored JSON as jsonb).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.cli_helpers import (
    assert_no_traceback,
    error_lines,
    export_events,
    export_text,
    invoke,
    ndjson,
    run_cli,
)
from tests.hardening_support import registered, store_directly
from tests.store_backends import POSTGRES, SQLITE, store_exists

MAX_AMOUNT = 1e15


def revenue(period: str, amount: Any, **fields: Any) -> dict[str, Any]:
    return {
        "type": "revenue_recorded",
        "partnership": "acme",
        "period": period,
        "amount": amount,
        "occurred_on": "2025-12-01",
    } | fields


def refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not JSON")


def test_two_maximal_amounts_keep_the_report_json_strict(store_url: str) -> None:
    lines = [
        registered("acme", occurred_on="2025-01-01"),
        registered("other", occurred_on="2025-01-01"),
        revenue("2025-10", MAX_AMOUNT),
        revenue("2025-11", MAX_AMOUNT),
        revenue("2025-11", MAX_AMOUNT, partnership="other"),
    ]
    assert run_cli(store_url, "record", stdin=ndjson(lines)).code == 0
    run = run_cli(store_url, "report", "--as-of", "2025-12-15", "--format", "json")
    assert run.code == 0, run.err
    rows = json.loads(run.out, parse_constant=refuse_constant)
    shares = {row["partnership"]: row["revenue_share"] for row in rows}
    assert shares == {"acme": 0.6667, "other": 0.3333}  # as the report rounds them


def test_amounts_stored_before_the_maximum_count_at_the_maximum(tmp_path: Path) -> None:
    """A store written before the maximum may hold amounts whose sum no float can hold: they
    count at the maximum, so JSON stays strict and no text figure reads nan or inf."""
    store = tmp_path / "legacy.sqlite"
    huge = [revenue(period, 1e308) for period in ("2025-10", "2025-11")]
    store_directly(
        store,
        [
            registered("acme", occurred_on="2025-01-01"),
            registered("other", occurred_on="2025-01-01"),
            *huge,
            revenue("2025-11", MAX_AMOUNT, partnership="other"),
        ],
    )
    for args in (("report", "--format", "json"), ("check", "--format", "json")):
        run = run_cli(store, *args, "--as-of", "2025-12-15")
        assert run.code in (0, 1), run.err
        json.loads(run.out, parse_constant=refuse_constant)
    run = run_cli(store, "report", "--as-of", "2025-12-15", "--format", "json")
    shares = {row["partnership"]: row["revenue_share"] for row in json.loads(run.out)}
    assert shares == {"acme": 0.6667, "other": 0.3333}
    for args in (("report",), ("check",)):
        text = run_cli(store, *args, "--as-of", "2025-12-15").out.lower()
        assert "nan" not in text and "inf%" not in text, text


def test_an_amount_above_the_maximum_is_a_field_error(store_url: str) -> None:
    lines = [
        registered("acme", occurred_on="2025-01-01"),
        revenue("2025-10", MAX_AMOUNT),
        revenue("2025-11", 1e308),
        revenue("2025-12", MAX_AMOUNT * 1.000001),
    ]
    run = run_cli(store_url, "record", stdin=ndjson(lines))
    assert run.code == 1
    assert_no_traceback(run)
    assert error_lines(run.err, "stdin") == [
        f"stdin:{n}: amount: must be at most 1e15 (1,000,000,000,000,000) per line" for n in (3, 4)
    ]
    assert not store_exists(store_url) or export_text(store_url) == ""


# Each line breaks one text field with one control character; line 1 registers.
BAD_TEXT: list[tuple[str, dict[str, Any]]] = [
    ("name", registered("nul", name="Nul\x00Co")),
    ("summary", {"type": "issue_raised", "issue": "i1", "summary": "red \x1b[31malert"}),
    ("note", {"type": "issue_raised", "issue": "i2", "summary": "s", "note": "bell\x07"}),
    ("resolution", {"type": "issue_resolved", "issue": "i0", "resolution": "csi \x9b2J"}),
    ("reason", {"type": "partnership_ended", "reason": "del\x7f"}),
    ("owner", registered("own", owner="o\x1b]8;;x\x07")),
    ("actor", {"type": "issue_raised", "issue": "i3", "summary": "s", "actor": "me\rhidden"}),
    ("id", {"type": "issue_raised", "issue": "i4", "summary": "s", "id": "a\tb"}),
    ("summary", {"type": "issue_raised", "issue": "i5", "summary": "next\x85line"}),
]


def test_control_characters_are_refused_at_their_field(store_url: str) -> None:
    lines = [
        registered("acme", occurred_on="2025-01-01"),
        {"type": "issue_raised", "partnership": "acme", "issue": "i0", "summary": "open"},
    ]
    lines += [{"partnership": "acme"} | line for _, line in BAD_TEXT]
    run = run_cli(store_url, "record", stdin=ndjson(lines))
    assert run.code == 1
    assert_no_traceback(run)
    assert error_lines(run.err, "stdin") == [
        f"stdin:{n}: {field}: control character not allowed"
        for n, (field, _) in enumerate(BAD_TEXT, 3)
    ]
    assert not store_exists(store_url) or export_text(store_url) == ""


def test_free_text_keeps_tab_and_newline(store_url: str) -> None:
    text = "first line\n\tindented second line"
    lines = [
        registered("acme", occurred_on="2025-01-01", name="Acme\tCo", note=text),
        {"type": "issue_raised", "partnership": "acme", "issue": "i", "summary": text},
    ]
    run = run_cli(store_url, "record", stdin=ndjson(lines))
    assert run.code == 0, run.err
    events = export_events(store_url)
    assert events[0]["name"] == "Acme\tCo"
    assert events[0]["note"] == events[1]["summary"] == text


LEGACY = [
    registered("old", name="Old\x00Co", occurred_on="2025-01-01", note="esc \x1b[2J"),
    {"type": "issue_raised", "partnership": "old", "issue": "i", "summary": "nul\x00here"},
    {"type": "revenue_recorded", "partnership": "old", "period": "2025-01", "amount": 1e308},
]


@pytest.mark.parametrize(
    "source_backend", [SQLITE, pytest.param(POSTGRES, marks=pytest.mark.postgres)]
)
def test_a_store_written_before_the_rules_stays_readable(
    new_store: Callable[..., str], source_backend: str
) -> None:
    # PostgreSQL never held NUL (its id index refused it): only the rest was written there.
    legacy = LEGACY if source_backend == SQLITE else [LEGACY[0] | {"name": "Old Co"}, *LEGACY[2:]]
    store = new_store(source_backend, "legacy")
    store_directly(store, legacy)
    events = export_events(store)
    assert [e["type"] for e in events] == [line["type"] for line in legacy]
    assert events[0]["note"] == "esc \x1b[2J"
    assert events[-1]["amount"] == 1e308
    run = run_cli(store, "audit", "verify")
    assert run.code == 0, run.err
    # Recording more into it still works: the rules apply to new lines only.
    more = {"type": "partnership_ended", "partnership": "old", "reason": "done"}
    assert invoke(store, "record", stdin=ndjson([more])).code == 0


@pytest.mark.postgres
def test_migrate_copies_nul_text_into_postgresql(new_store: Callable[..., str]) -> None:
    source = new_store(SQLITE, "legacy")
    store_directly(source, LEGACY)
    target = new_store(POSTGRES)
    run = run_cli(source, "migrate", "--to", target)
    assert run.code == 0, run.err
    assert_no_traceback(run)
    assert run.out.startswith(f"copied {len(LEGACY)}, already there 0")
    assert export_text(target) == export_text(source)
    assert export_events(target)[1]["summary"] == "nul\x00here"
    verified = run_cli(target, "audit", "verify")
    assert verified.code == 0, verified.err
    # The id index holds the copied rows: a copied id is found, not recorded again.
    clash = registered("old", name="Other", occurred_on="2025-01-01", id="legacy-1")
    again = run_cli(target, "record", stdin=ndjson([clash]))
    assert again.code == 1
    assert error_lines(again.err, "stdin") == [
        "stdin:1: id: 'legacy-1' is already recorded with other content"
    ]
