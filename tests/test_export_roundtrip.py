"""``export`` writes lines that ``record`` accepts again, unchanged (docs/CONTRACT.md: "Every line
that ``export`` writes is a valid line for ``record``").

Store A gets the sample data through the real console script; its export goes into a fresh
store B; B's export must be A's in every event's type, fields, id, occurred_on and actor,
in the same order, with B's own recording times.

A and B are each SQLite and PostgreSQL (a real server started by the test suite), in every
combination: an export from one backend records into the other.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import psycopg
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
from tests.samples import SAMPLE_FILES, sample_dicts
from tests.store_backends import BACKENDS, POSTGRES, backend_pairs

SAMPLES = SAMPLE_FILES
SAMPLE_LINES = sample_dicts()


OLD_STAMP = "2001-02-03T04:05:06+00:00"


def parse(text: str) -> list[dict]:
    return [json.loads(line) for line in text.split("\n") if line]


def without_recorded_at(events: list[dict]) -> list[dict]:
    return [{k: v for k, v in e.items() if k != "recorded_at"} for e in events]


@pytest.fixture(scope="module", params=BACKENDS)
def store_a(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    """Store A with every sample file recorded, and A's export (both via the real script).

    Shared by the module's tests (recording 380 lines is the slow part), once per backend;
    the tests that use it add nothing to it.
    """
    server = None
    if request.param == POSTGRES:
        server = request.getfixturevalue("postgres_server")
        dbname = f"store_a_{os.getpid()}"
        store = str(server.create_database(dbname))
    else:
        store = str(tmp_path_factory.mktemp("a") / "a.sqlite")
    run = run_cli(store, "record", *map(str, SAMPLES))
    assert run == (0, f"recorded {len(SAMPLE_LINES)}, already recorded 0\n", ""), run
    exported = run_cli(store, "export")
    assert exported.code == 0 and exported.err == "", exported
    yield store, exported.out
    if server is not None:
        with contextlib.suppress(psycopg.Error):
            server.drop_database(dbname)


def test_samples_are_many_and_varied() -> None:
    assert len(SAMPLES) == 10
    assert len(SAMPLE_LINES) >= 300
    assert len({line["type"] for line in SAMPLE_LINES}) == 11  # ten event types, a correction


def test_export_keeps_recording_order_and_every_given_field(store_a: tuple[str, str]) -> None:
    _, exported = store_a
    events = parse(exported)
    assert [e["id"] for e in events] == [line["id"] for line in SAMPLE_LINES]
    for given, out in zip(SAMPLE_LINES, events, strict=True):
        # Every field the sample gives comes back as given (numbers as numbers).
        assert {k: out.get(k) for k in given} == given
        assert out["actor"] and out["occurred_on"]
        datetime.fromisoformat(out["recorded_at"])


@pytest.mark.parametrize(
    "backend_b", [pytest.param(p.values[0], id=f"into-{p.id}", marks=p.marks) for p in BACKENDS]
)
def test_export_recorded_into_a_fresh_store_exports_the_same(
    store_a: tuple[str, str], tmp_path: Path, new_store: Callable[..., str], backend_b: str
) -> None:
    _, exported = store_a
    export_file = tmp_path / "a-export.ndjson"
    # Recording times in a file are accepted and ignored: these, far in the past, must not stay.
    export_file.write_text(
        ndjson(e | {"recorded_at": OLD_STAMP} for e in parse(exported)), encoding="utf-8"
    )
    store_b = new_store(backend_b, "b")

    run = run_cli(store_b, "record", str(export_file))
    assert run == (0, f"recorded {len(SAMPLE_LINES)}, already recorded 0\n", ""), run

    events_a = parse(exported)
    events_b = parse(run_cli(store_b, "export").out)
    assert without_recorded_at(events_b) == without_recorded_at(events_a)
    # The ledger stamps its own recording time: the one in the file was ignored.
    assert all(datetime.fromisoformat(e["recorded_at"]) for e in events_b)
    assert OLD_STAMP not in {e["recorded_at"] for e in events_b}


def test_recording_the_export_again_adds_nothing(store_a: tuple[str, str], tmp_path: Path) -> None:
    store, exported = store_a
    export_file = tmp_path / "a-export.ndjson"
    export_file.write_text(exported, encoding="utf-8")
    run = run_cli(store, "record", str(export_file))
    assert run == (0, f"recorded 0, already recorded {len(SAMPLE_LINES)}\n", ""), run
    # ...and so does recording the sample files again (they omit nothing they were given).
    run = invoke(store, "record", *map(str, SAMPLES))
    assert run.out == f"recorded 0, already recorded {len(SAMPLE_LINES)}\n"
    assert export_text(store) == exported


def test_export_with_other_content_under_the_same_id_is_rejected(
    store_a: tuple[str, str], tmp_path: Path
) -> None:
    store, exported = store_a
    events = parse(exported)
    target = next(i for i, e in enumerate(events) if e["type"] == "commitment_made")
    events[target]["summary"] += " (edited)"
    export_file = tmp_path / "edited.ndjson"
    export_file.write_text(ndjson(events), encoding="utf-8")

    run = run_cli(store, "record", str(export_file))
    assert run.code == 1
    assert_no_traceback(run)
    errors = error_lines(run.err, str(export_file))
    assert len(errors) == 1, run.err
    assert errors[0].startswith(f"{export_file}:{target + 1}: id: "), errors
    assert events[target]["id"] in errors[0]
    assert run.out == ""
    assert export_text(store) == exported


def test_export_of_one_partnership(store_a: tuple[str, str]) -> None:
    store, exported = store_a
    everything = parse(exported)
    handle = everything[-1]["partnership"]
    only = export_events(store, "--partnership", handle)
    assert only == [e for e in everything if e["partnership"] == handle]
    assert only[0]["type"] == "partnership_registered"


@pytest.mark.parametrize(("backend_a", "backend_b"), backend_pairs())
def test_round_trip_of_awkward_text(
    new_store: Callable[..., str], backend_a: str, backend_b: str
) -> None:
    """Notes and names with line separators, quotes, backslashes and non-BMP characters."""
    awkward = 'a\u2028b\u2029c\u00a0d "quoted" back\\slash tab\t 🎉 ünïcödé'
    lines = [
        {
            "type": "partnership_registered",
            "partnership": "odd",
            "name": awkward,
            "occurred_on": "2025-01-01",
            "note": awkward,
            "id": "odd-1",
            "actor": "zoë",
        },
        {
            "type": "revenue_recorded",
            "partnership": "odd",
            "period": "2025-01",
            "amount": 0.1,
            "currency": "EUR",
            "occurred_on": "2025-02-01",
            "id": "odd-2",
        },
        {
            "type": "review_held",
            "partnership": "odd",
            "scores": {"vision": 5, "roles": 1},
            "partner_scores": {"risk": 2},
            "occurred_on": "2025-02-02",
            "id": "odd-3",
        },
    ]
    store_a, store_b = new_store(backend_a, "a"), new_store(backend_b, "b")
    assert invoke(store_a, "record", stdin=ndjson(lines)).code == 0
    exported = run_cli(store_a, "export").out
    run = run_cli(store_b, "record", stdin=exported)
    assert run.code == 0, run.err
    events = export_events(store_b)
    assert without_recorded_at(events) == without_recorded_at(parse(exported))
    assert events[0]["name"] == events[0]["note"] == awkward
    assert events[0]["actor"] == "zoë"
    assert events[1]["amount"] == 0.1
    assert run_cli(store_a, "record", stdin=exported).out == "recorded 0, already recorded 3\n"
