"""``trustledger audit log``: who recorded what, when, in recording order, and its filters.

Three ``record`` runs by different actors (named in the lines, or left out so the ledger
stamps the invoking login name), each on a clock pinned to its own recording time, so the
filters on recording time see the same times on every run, whatever the machine's clock.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from trustledger.tui.service.clock import FixedClock

from tests.cli_helpers import assert_no_traceback, invoke, ndjson, run_cli

BATCH_1 = [
    {
        "type": "partnership_registered",
        "partnership": "acme",
        "name": "Acme",
        "occurred_on": "2026-01-01",
        "actor": "alice",
    },
    {
        "type": "commitment_made",
        "partnership": "acme",
        "commitment": "c1",
        "by": "us",
        "summary": "Pilot",
        "due": "2026-12-31",
        "occurred_on": "2026-01-10",
        "actor": "alice",
    },
    {
        "type": "partnership_registered",
        "partnership": "globex",
        "name": "Globex",
        "occurred_on": "2026-01-01",
        "actor": "bob",
    },
    {
        "type": "revenue_recorded",
        "partnership": "globex",
        "period": "2026-01",
        "amount": 1200.0,
        "occurred_on": "2026-02-01",
        "actor": "bob",
    },
]
# No actor in the first line: the ledger stamps the login name ("carol", see below).
BATCH_2 = [
    {"type": "commitment_kept", "partnership": "acme", "commitment": "c1"},
    {"type": "review_held", "partnership": "globex", "scores": {"vision": 4}, "actor": "bob"},
]
BATCH_3 = [
    {
        "type": "revenue_recorded",
        "partnership": "acme",
        "period": "2026-02",
        "amount": 50.0,
        "actor": "alice",
    },
    {
        "type": "commitment_made",
        "partnership": "globex",
        "commitment": "g1",
        "by": "partner",
        "summary": "Referral",
        "due": "2027-01-31",
        "actor": "alice",
    },
    {
        "type": "partnership_registered",
        "partnership": "initech",
        "name": "Initech",
        "occurred_on": "2026-01-01",
        "actor": "dave",
    },
]
BATCHES = [BATCH_1, BATCH_2, BATCH_3]
# When each batch was recorded: across a UTC midnight, with microseconds.
BATCH_TIMES = [
    datetime(2026, 11, 19, 16, 5, 0, 250_000, tzinfo=UTC),
    datetime(2026, 11, 20, 9, 30, 12, 500_001, tzinfo=UTC),
    datetime(2026, 11, 20, 17, 45, 0, 125_000, tzinfo=UTC),
]

# (batch, actor, partnership, type) of every event, in recording order.
EXPECTED = [
    (0, "alice", "acme", "partnership_registered"),
    (0, "alice", "acme", "commitment_made"),
    (0, "bob", "globex", "partnership_registered"),
    (0, "bob", "globex", "revenue_recorded"),
    (1, "carol", "acme", "commitment_kept"),
    (1, "bob", "globex", "review_held"),
    (2, "alice", "acme", "revenue_recorded"),
    (2, "alice", "globex", "commitment_made"),
    (2, "dave", "initech", "partnership_registered"),
]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("audit-log") / "ledger.sqlite"
    login = {"LOGNAME": "carol", "USER": "carol", "LNAME": "carol", "USERNAME": "carol"}
    for batch, at in zip(BATCHES, BATCH_TIMES, strict=True):
        run = invoke(path, "record", stdin=ndjson(batch), env=login, clock=FixedClock(at))
        assert run.code == 0, run.err
        assert run.out.strip() == f"recorded {len(batch)}, already recorded 0"
    return path


def log(store: Path, *args: str) -> list[dict[str, Any]]:
    run = invoke(store, "audit", "log", "--format", "json", *args)
    assert run.code == 0, run.err
    assert run.err == ""
    return json.loads(run.out)


def picked(entries: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    return [(e["actor"], e["partnership"], e["type"]) for e in entries]


def expected(keep: Any = lambda batch, actor, partnership: True) -> list[tuple[str, str, str]]:
    return [(a, p, t) for b, a, p, t in EXPECTED if keep(b, a, p)]


@pytest.fixture(scope="module")
def batch_times(store: Path) -> list[datetime]:
    """The recording time of each batch (one per ``record`` run)."""
    entries = log(store)
    times = [datetime.fromisoformat(e["recorded_at"]) for e in entries]
    by_batch: dict[int, set[datetime]] = {}
    for (batch, *_), stamp in zip(EXPECTED, times, strict=True):
        by_batch.setdefault(batch, set()).add(stamp)
    assert all(len(stamps) == 1 for stamps in by_batch.values()), by_batch
    times = [by_batch[b].pop() for b in sorted(by_batch)]
    assert times == BATCH_TIMES  # each run stamped its clock's time
    return times


def rfc3339(stamp: datetime) -> str:
    return stamp.isoformat()


# -- the whole log -----------------------------------------------------------------------


def test_json_lists_every_event_in_recording_order(store: Path, batch_times: list[datetime]):
    entries = log(store)
    assert picked(entries) == expected()
    assert [e["position"] for e in entries] == list(range(1, len(EXPECTED) + 1))
    assert set(entries[0]) == {
        "position",
        "recorded_at",
        "actor",
        "partnership",
        "type",
        "id",
        "occurred_on",
    }
    # Recording times are UTC, one per record run, strictly later run after run.
    assert all(t.utcoffset() == timedelta(0) for t in batch_times)
    assert batch_times == sorted(set(batch_times))
    stamps = [datetime.fromisoformat(e["recorded_at"]) for e in entries]
    assert stamps == sorted(stamps)
    # Given fields come through; omitted ones were filled in by the ledger.
    assert entries[1]["occurred_on"] == "2026-01-10"
    assert all(e["id"] for e in entries)
    assert len({e["id"] for e in entries}) == len(entries)


def test_log_agrees_with_export(store: Path):
    exported = [json.loads(line) for line in invoke(store, "export").out.splitlines()]
    entries = log(store)
    assert [(e["id"], e["recorded_at"], e["actor"]) for e in entries] == [
        (x["id"], x["recorded_at"], x["actor"]) for x in exported
    ]


def test_actor_defaults_to_the_login_name(store: Path):
    kept = [e for e in log(store) if e["type"] == "commitment_kept"]
    assert [e["actor"] for e in kept] == ["carol"]


def test_table_shows_who_did_what_in_order(store: Path):
    run = run_cli(store, "audit", "log")  # table is the default format
    assert run.code == 0, run.err
    assert run.err == ""
    lines = run.out.splitlines()
    assert lines[0].strip() == f"{len(EXPECTED)} events"
    header = next(line for line in lines if "actor" in line)
    for column in ("recorded (UTC)", "actor", "partnership", "type", "occurred"):
        assert column in header
    body = [line.split() for line in lines if re.match(r"^\s*\d{4}-\d{2}-\d{2} ", line)]
    assert len(body) == len(EXPECTED)
    labels = {
        "partnership_registered": "registered",
        "commitment_made": "committed",
        "commitment_kept": "kept",
        "review_held": "review",
        "revenue_recorded": "revenue",
    }
    # date, time, actor, partnership, label, occurred
    assert [(r[2], r[3], r[4]) for r in body] == [(a, p, labels[t]) for _, a, p, t in EXPECTED]
    assert body[0][0] == log(store)[0]["recorded_at"][:10]


def test_table_and_json_agree_under_a_filter(store: Path):
    run = invoke(store, "audit", "log", "--actor", "bob", "--format", "table")
    assert run.code == 0, run.err
    assert run.out.splitlines()[0].strip() == "3 events"
    assert run.out.count(" bob ") == 3


# -- filters -----------------------------------------------------------------------------


@pytest.mark.parametrize("actor", ["alice", "bob", "carol", "dave"])
def test_actor_filter(store: Path, actor: str):
    assert picked(log(store, "--actor", actor)) == expected(lambda b, a, p: a == actor)


@pytest.mark.parametrize("handle", ["acme", "globex", "initech"])
def test_partnership_filter(store: Path, handle: str):
    entries = log(store, "--partnership", handle)
    assert picked(entries) == expected(lambda b, a, p: p == handle)
    assert [e["position"] for e in entries] == sorted(e["position"] for e in entries)


def test_unknown_actor_or_partnership_gives_an_empty_log(store: Path):
    assert log(store, "--actor", "nobody") == []
    assert log(store, "--partnership", "nothere") == []
    run = invoke(store, "audit", "log", "--actor", "nobody")
    assert run.code == 0
    assert run.out.splitlines()[0].strip() == "0 events"


def test_since_an_exact_recording_time_is_inclusive(store: Path, batch_times: list[datetime]):
    for n, stamp in enumerate(batch_times):
        entries = log(store, "--since", rfc3339(stamp))
        assert picked(entries) == expected(lambda b, a, p, n=n: b >= n)


def test_since_in_another_offset_and_with_z(store: Path, batch_times: list[datetime]):
    second = batch_times[1]
    plus_two = second.astimezone(timezone(timedelta(hours=2))).isoformat()
    zulu = second.astimezone(UTC).isoformat().replace("+00:00", "Z")
    want = expected(lambda b, a, p: b >= 1)
    assert picked(log(store, "--since", plus_two)) == want
    assert picked(log(store, "--since", zulu)) == want


def test_since_just_after_the_last_batch_is_empty(store: Path, batch_times: list[datetime]):
    later = batch_times[-1] + timedelta(microseconds=1)
    assert log(store, "--since", rfc3339(later)) == []
    just_before = batch_times[-1] - timedelta(microseconds=1)
    assert picked(log(store, "--since", rfc3339(just_before))) == expected(lambda b, a, p: b == 2)


def test_since_a_date_means_its_start_in_utc(store: Path, batch_times: list[datetime]):
    first_day = batch_times[0].astimezone(UTC).date()
    assert picked(log(store, "--since", first_day.isoformat())) == expected()
    assert picked(log(store, "--since", "2020-01-01")) == expected()
    next_day = batch_times[-1].astimezone(UTC).date() + timedelta(days=1)
    assert log(store, "--since", next_day.isoformat()) == []


def test_filters_combine(store: Path, batch_times: list[datetime]):
    since = rfc3339(batch_times[1])
    assert picked(log(store, "--actor", "alice", "--partnership", "globex")) == [
        ("alice", "globex", "commitment_made")
    ]
    assert picked(log(store, "--since", since, "--actor", "alice")) == [
        ("alice", "acme", "revenue_recorded"),
        ("alice", "globex", "commitment_made"),
    ]
    assert picked(log(store, "--since", since, "--partnership", "acme", "--actor", "carol")) == [
        ("carol", "acme", "commitment_kept")
    ]
    assert picked(log(store, "--since", since, "--partnership", "globex")) == [
        ("bob", "globex", "review_held"),
        ("alice", "globex", "commitment_made"),
    ]
    assert log(store, "--since", rfc3339(batch_times[2]), "--actor", "bob") == []


def test_store_option_after_the_subcommand(store: Path):
    run = invoke(store, "audit", "log", "--format", "json", "--actor", "dave", store_after=True)
    assert run.code == 0, run.err
    assert picked(json.loads(run.out)) == [("dave", "initech", "partnership_registered")]


# -- errors ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "since",
    ["yesterday", "2025-13-01", "2025-06-31", "2025-06-30T17:00:00", "2025-06-30 lunch", "soon"],
)
def test_bad_since_is_a_usage_error(store: Path, since: str):
    run = invoke(store, "audit", "log", "--since", since)
    assert run.code == 2, run
    assert run.out == ""
    lines = run.err.splitlines()
    assert len(lines) == 1, run.err
    assert lines[0].startswith("trustledger: --since: "), lines[0]
    assert repr(since) in lines[0]


def test_bad_since_from_the_real_command(store: Path):
    run = run_cli(store, "audit", "log", "--since", "last tuesday", "--format", "json")
    assert_no_traceback(run)
    assert run.code == 2, run
    assert run.out == ""
    assert run.err.splitlines() == [
        "trustledger: --since: 'last tuesday' is not an RFC 3339 timestamp "
        "(2025-06-30T17:00:00Z) or a date"
    ]


def test_log_of_a_missing_store_creates_nothing(tmp_path: Path):
    missing = tmp_path / "nothing.sqlite"
    run = run_cli(missing, "audit", "log")
    assert_no_traceback(run)
    assert run.code == 2
    assert len(run.err.splitlines()) == 1
    assert not missing.exists()
