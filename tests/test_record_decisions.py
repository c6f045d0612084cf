"""Appending decides from each partnership's saved decision state, not from its history.

The ledger saves a partnership's decision state (its commitments' and issues' states, its
chain link) with every save; the next append reads that row instead of decoding every
event, as long as the row is at the partnership's newest event. A row left behind by an
older writer, or one that does not match, is ignored and the history decides instead.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from trustledger.domain.backends import DECISIONS_TABLE
from trustledger.domain.ledger import Ledger, Located
from trustledger.domain.store import StoreConfig, parse_store_url

from tests.cli_helpers import run_cli
from tests.samples import RECORDED, record_samples


def line(text: str) -> list[Located]:
    return [Located("-", 1, text)]


def loads_from_history(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The handles the ledger rebuilt from their events from now on."""
    loaded: list[str] = []
    real = Ledger._load

    def load(self: Ledger, handle: str):  # type: ignore[no-untyped-def]
        loaded.append(handle)
        return real(self, handle)

    monkeypatch.setattr(Ledger, "_load", load)
    return loaded


def test_an_append_decides_from_the_saved_state(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = record_samples(store_url)
    loaded = loads_from_history(monkeypatch)
    with Ledger(store, create=True, clock=lambda: RECORDED) as ledger:
        kept = ledger.record(
            line(
                '{"type": "commitment_kept", "partnership": "meridian-health",'
                ' "commitment": "latency-fix", "occurred_on": "2026-11-19"}'
            )
        )
        assert kept.ok, kept.errors
        assert loaded == []  # the append did not read the history
        again = ledger.record(
            line(
                '{"type": "commitment_missed", "partnership": "meridian-health",'
                ' "commitment": "latency-fix", "occurred_on": "2026-11-19"}'
            )
        )
    # Settling it again is refused with the day it was settled, which the history gives.
    assert loaded == ["meridian-health"]
    assert not again.ok
    assert "no longer open: kept on 2026-11-19" in again.errors[0].message
    assert run_cli(store_url, "audit", "verify").code == 0


def test_a_state_behind_the_newest_event_is_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = record_samples(tmp_path / "ledger.sqlite")
    # An older writer appended without saving a decision state: the row is one event behind.
    with closing(sqlite3.connect(str(store.path))) as conn, conn:
        conn.execute(
            f"UPDATE {DECISIONS_TABLE} SET version = version - 1 WHERE handle='meridian-health'"
        )
    loaded = loads_from_history(monkeypatch)
    append(store, "latency-fix")
    assert loaded == ["meridian-health"]
    assert run_cli(store.path, "audit", "verify").code == 0


def test_a_state_that_does_not_match_its_event_is_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = record_samples(tmp_path / "ledger.sqlite")
    with closing(sqlite3.connect(str(store.path))) as conn, conn:
        conn.execute(
            f'UPDATE {DECISIONS_TABLE} SET state = CAST(\'{{"last_link": "x"}}\' AS BLOB) '
            "WHERE handle='meridian-health'"
        )
        conn.execute(
            f"UPDATE {DECISIONS_TABLE} SET state = CAST('not json' AS BLOB) "
            "WHERE handle='northwind'"
        )
    loaded = loads_from_history(monkeypatch)
    append(store, "latency-fix")
    with Ledger(store, clock=lambda: RECORDED) as ledger:
        result = ledger.record(
            line(
                '{"type": "revenue_recorded", "partnership": "northwind", "period": "2026-10",'
                ' "amount": 5}'
            )
        )
        assert result.ok, result.errors
    assert loaded == ["meridian-health", "northwind"]
    assert run_cli(store.path, "audit", "verify").code == 0


def append(store: StoreConfig, commitment: str) -> None:
    with Ledger(store, clock=lambda: RECORDED) as ledger:
        result = ledger.record(
            line(
                f'{{"type": "commitment_kept", "partnership": "meridian-health",'
                f' "commitment": "{commitment}", "occurred_on": "2026-11-19"}}'
            )
        )
    assert result.ok, result.errors


def test_a_store_written_before_decision_states_gets_them_on_its_next_append(
    tmp_path: Path,
) -> None:
    store = record_samples(tmp_path / "ledger.sqlite")
    with closing(sqlite3.connect(str(store.path))) as conn, conn:
        conn.execute(f"DROP TABLE {DECISIONS_TABLE}")
    append(parse_store_url(str(store.path)), "latency-fix")
    with closing(sqlite3.connect(str(store.path))) as conn:
        rows = conn.execute(f"SELECT handle, version FROM {DECISIONS_TABLE}").fetchall()
    assert [handle for handle, _ in rows] == ["meridian-health"]


KEPT = (
    '{"id": "latency-kept", "type": "commitment_kept", "partnership": "meridian-health",'
    ' "commitment": "latency-fix", "occurred_on": "2026-11-19"}'
)
VOID = (
    '{"type": "event_voided", "partnership": "meridian-health", "event": "latency-kept",'
    ' "reason": "not kept after all"}'
)
MISSED = (
    '{"type": "commitment_missed", "partnership": "meridian-health",'
    ' "commitment": "latency-fix", "occurred_on": "2026-11-19"}'
)


def test_a_correction_decides_from_the_history_and_saves_the_corrected_state(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A correction is checked against the whole history, so its partnership is loaded
    from its events; the state it saves is the corrected one, from which the next ordinary
    line decides (the voided kept no longer closes the commitment)."""
    store = record_samples(store_url)
    loaded = loads_from_history(monkeypatch)
    with Ledger(store, create=True, clock=lambda: RECORDED) as ledger:
        assert ledger.record(line(KEPT)).ok
        assert loaded == []
        voided = ledger.record(line(VOID))
        assert voided.ok, voided.errors
        assert loaded == ["meridian-health"]  # the correction read the history
        missed = ledger.record(line(MISSED))
        assert missed.ok, missed.errors  # open again in the saved (corrected) state
        assert loaded == ["meridian-health"]  # ...which decided it, without the history
        again = ledger.record(line(MISSED))
    assert not again.ok and "no longer open" in again.errors[0].message
    assert run_cli(store_url, "audit", "verify").code == 0


def test_a_correction_and_an_ordinary_line_in_one_input(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = record_samples(store_url)
    with Ledger(store, create=True, clock=lambda: RECORDED) as ledger:
        assert ledger.record(line(KEPT)).ok
        both = ledger.record([Located("-", 1, VOID), Located("-", 2, MISSED)])
        assert both.ok, both.errors
    saved = json.loads(saved_states(store)["meridian-health"][1])
    assert "latency-fix" in saved["settled"] and "latency-fix" not in saved["open"]
    with Ledger(store, clock=lambda: RECORDED) as ledger:
        loaded = loads_from_history(monkeypatch)
        again = ledger.record(line(MISSED))
    # Settled in the saved state: settling it again reads the history, which gives the day.
    assert loaded == ["meridian-health"]
    assert not again.ok and "no longer open: missed on 2026-11-19" in again.errors[0].message


SAME_LINES = [
    '{"id": "d-1", "type": "commitment_kept", "partnership": "meridian-health",'
    ' "commitment": "latency-fix", "occurred_on": "2026-11-19"}',
    '{"id": "d-2", "type": "issue_resolved", "partnership": "meridian-health",'
    ' "issue": "dispatch-latency", "resolution": "Fixed", "occurred_on": "2026-11-19"}',
    '{"id": "d-3", "type": "commitment_made", "partnership": "meridian-health",'
    ' "commitment": "d-new", "by": "partner", "summary": "New", "due": "2027-01-31",'
    ' "occurred_on": "2026-11-19"}',
    '{"id": "d-4", "type": "issue_raised", "partnership": "meridian-health", "issue": "d-issue",'
    ' "summary": "About the BAA", "commitment": "hipaa-baa", "occurred_on": "2026-11-19"}',
    '{"id": "d-5", "type": "issue_resolved", "partnership": "vantage-retail",'
    ' "issue": "coastline-conflict", "resolution": "Split", "occurred_on": "2026-11-20"}',
    '{"id": "d-6", "type": "issue_resolved", "partnership": "atlas-freight",'
    ' "issue": "invoice-format", "resolution": "New format", "occurred_on": "2026-11-20"}',
    '{"id": "d-7", "type": "review_held", "partnership": "northwind", "scores": {"risk": 3},'
    ' "occurred_on": "2026-11-20"}',
]


def saved_states(store: StoreConfig) -> dict[str, tuple[int, bytes]]:
    with Ledger(store) as ledger:
        found = ledger.backend.decisions(ledger.handles())
    return {handle: (version, state) for handle, (version, state, _) in found.items()}


def test_a_saved_state_decides_and_saves_as_the_history_would(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same lines appended once from the saved states and once from the histories (a
    store without saved states) leave the same events and the same saved states, byte for
    byte: the saved commitments and issues a line does not name are written back as they
    were, in their order, beside those it changed and the new ones."""
    from_saved = record_samples(tmp_path / "saved.sqlite")
    from_history = record_samples(tmp_path / "history.sqlite")
    with closing(sqlite3.connect(str(from_history.path))) as conn, conn:
        conn.execute(f"DROP TABLE {DECISIONS_TABLE}")
    loaded = loads_from_history(monkeypatch)
    for store in (from_saved, from_history):
        with Ledger(store, clock=lambda: RECORDED) as ledger:
            result = ledger.record([Located("-", n, text) for n, text in enumerate(SAME_LINES)])
        assert result.ok, result.errors
    assert sorted(loaded) == ["atlas-freight", "meridian-health", "northwind", "vantage-retail"]
    saved, rebuilt = saved_states(from_saved), saved_states(from_history)
    assert set(rebuilt) == set(loaded)
    assert {handle: saved[handle] for handle in rebuilt} == rebuilt
    with Ledger(from_saved) as ours, Ledger(from_history) as theirs:
        assert [r.state for r in ours.read_raw(0, 1000)] == [
            r.state for r in theirs.read_raw(0, 1000)
        ]


def _change_saved(store: StoreConfig, change: Callable[[dict[str, Any]], None]) -> None:
    """Apply ``change`` to meridian-health's saved decision state, in place."""
    with closing(sqlite3.connect(str(store.path))) as conn, conn:
        (state,) = conn.execute(
            f"SELECT state FROM {DECISIONS_TABLE} WHERE handle='meridian-health'"
        ).fetchone()
        data = json.loads(state)
        change(data)
        conn.execute(
            f"UPDATE {DECISIONS_TABLE} SET state = ? WHERE handle='meridian-health'",
            (json.dumps(data, separators=(",", ":")).encode(),),
        )


NOT_DAYS = ["2025-06-02", "20250602", 0, 3_652_060, 739_000.5, True, None, [739_000]]


@pytest.mark.parametrize(
    ("entry", "column", "day"),
    [
        (entry, column, day)
        for entry in ("open", "issues")
        for column in (0, 1)
        for day in NOT_DAYS
        if not (entry == "issues" and column == 1 and day is None)  # an open issue
    ],
)  # fmt: skip
def test_a_state_with_a_day_not_as_saved_is_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, entry: str, column: int, day: object
) -> None:
    """An open commitment's or an issue's day that the ledger would not have written (text,
    a day out of range, not a whole number, missing) makes the whole saved state count for
    nothing: the history decides, and the state saved after it is the right one again."""
    store = record_samples(tmp_path / "ledger.sqlite")
    first: str = ""
    original: object = None

    def spoil(data: dict[str, Any]) -> None:
        nonlocal first, original
        first = next(key for key in data[entry] if key != "latency-fix")  # the one kept
        original = data[entry][first][column]
        data[entry][first][column] = day

    _change_saved(store, spoil)
    loaded = loads_from_history(monkeypatch)
    append(store, "latency-fix")
    assert loaded == ["meridian-health"]
    _, saved = saved_states(store)["meridian-health"]
    assert json.loads(saved)[entry][first][column] == original


@pytest.mark.parametrize(
    "change",
    [
        lambda data: data.pop("format"),
        lambda data: data.update(format=1),
        lambda data: data.update(registered_on="2024-01-01"),
        lambda data: data.update(format=2),
        lambda data: data["open"].update(x=["open", 739_000]),
        lambda data: data["open"].update(x=[739_000, 739_001, "open", None]),
        lambda data: data["settled"].append(739_000),
        lambda data: data["settled"].append(["x"]),
        lambda data: data["settled"].append(data["settled"][0]),
        lambda data: data["settled"].append("campus-3"),
        lambda data: data.update(settled={"x": 739_000}),
        lambda data: data.pop("settled"),
    ],
    ids=[
        "no layout",
        "older layout",
        "day as text",
        "layout 2",
        "open as settled",
        "older entry",
        "settled as a day",
        "settled as a list",
        "settled twice",
        "open and settled",
        "settled as a map",
        "no settled",
    ],
)
def test_a_state_of_another_layout_is_ignored_and_saved_anew(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: Callable[[dict[str, Any]], None]
) -> None:
    """A state written in an earlier layout (days as ISO text, four values per commitment,
    commitments in one map), with an entry of no known shape or a commitment saved twice:
    the history decides and the state is saved again, as the history gives it."""
    store = record_samples(tmp_path / "ledger.sqlite")
    before = saved_states(store)["meridian-health"][1]
    _change_saved(store, change)
    loaded = loads_from_history(monkeypatch)
    append(store, "latency-fix")
    assert loaded == ["meridian-health"]
    after = json.loads(saved_states(store)["meridian-health"][1])
    assert after["format"] == json.loads(before)["format"]
    assert "latency-fix" in after["settled"]
    assert "x" not in after["open"] and "x" not in after["settled"]
    assert "campus-3" in after["open"] and "campus-3" not in after["settled"]
    assert after == {**json.loads(before), "open": {"campus-3": after["open"]["campus-3"]},
                     "settled": after["settled"], "last_link": after["last_link"]}  # fmt: skip
    assert after["settled"] == sorted([*json.loads(before)["settled"], "latency-fix"])


def test_a_settled_commitment_is_saved_by_its_handle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A settled commitment is saved by its handle alone: making it again is refused and
    an issue about it is accepted from the saved state, without the history; settling it
    again is refused with the day of the first settlement, which the history gives."""
    store = record_samples(tmp_path / "ledger.sqlite")
    append(store, "latency-fix")
    saved = json.loads(saved_states(store)["meridian-health"][1])
    assert "latency-fix" in saved["settled"] and "latency-fix" not in saved["open"]
    made_again = (
        '{"type": "commitment_made", "partnership": "meridian-health", "commitment":'
        ' "latency-fix", "by": "us", "summary": "Again", "due": "2026-12-31",'
        ' "occurred_on": "2026-11-20"}'
    )
    about_it = (
        '{"type": "issue_raised", "partnership": "meridian-health", "issue": "slow-again",'
        ' "summary": "Slow again", "commitment": "latency-fix", "occurred_on": "2026-11-20"}'
    )
    loaded = loads_from_history(monkeypatch)
    with Ledger(store, clock=lambda: RECORDED) as ledger:
        refused = ledger.record(line(made_again))
        raised = ledger.record(line(about_it))
        assert loaded == []
        again = ledger.record(line(MISSED))
    assert not refused.ok
    assert "'latency-fix' already exists in 'meridian-health'" in refused.errors[0].message
    assert raised.ok, raised.errors
    assert loaded == ["meridian-health"]
    assert not again.ok
    assert "no longer open: kept on 2026-11-19" in again.errors[0].message
