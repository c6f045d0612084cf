"""Events stored in an older shape are read back as the current model (upcasting).

The scenario: ``RevenueRecorded`` is at schema version 2, whose only change from version
1 is that the amount was stored as ``value``. Version 2 is simulated by monkeypatching the
model's ``class_version`` and giving it the static ``upcast_v1_v2`` the codec looks for; a
version-1 row is written straight into the store, chained correctly with the codec's own
``chain_link``, and read back through the ledger, the audit walk and the CLI.
"""

from __future__ import annotations

import inspect
import json
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from trustledger.domain.codec import DecodeError, chain_link, decode_state, line_from_state
from trustledger.domain.events import RevenueRecorded
from trustledger.domain.ledger import Ledger, located_lines
from trustledger.domain.store import parse_store_url

from tests.cli_helpers import assert_no_traceback, invoke, run_cli

REGISTRATION = {
    "type": "partnership_registered",
    "partnership": "acme",
    "name": "Acme",
    "occurred_on": "2026-01-01",
    "actor": "alice",
    "id": "acme-1",
}
RECORDED_AT = "2026-02-02T09:00:00+00:00"
V1_REVENUE = {
    "type": "revenue_recorded",
    "partnership": "acme",
    "period": "2026-01",
    "value": 1234.5,  # version 1 called the amount "value"
    "currency": "EUR",
    "id": "acme-rev-v1",
    "actor": "tom",
    "occurred_on": "2026-02-01",
    "recorded_at": RECORDED_AT,
    "schema": 1,
}


def upcast_v1_v2(data: dict[str, Any]) -> None:
    data["amount"] = data.pop("value")


@pytest.fixture
def revenue_v2(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """RevenueRecorded at schema version 2, with its upcaster from version 1."""
    monkeypatch.setattr(RevenueRecorded, "class_version", 2)
    monkeypatch.setattr(RevenueRecorded, "upcast_v1_v2", staticmethod(upcast_v1_v2), raising=False)
    return monkeypatch


def append_raw(path: Path, content: dict[str, Any]) -> int:
    """Append a stored event exactly as given (plus a correct link); return its position."""
    handle = content["partnership"]
    with closing(sqlite3.connect(path)) as conn, conn:
        version, state = conn.execute(
            "SELECT originator_version, state FROM stored_events WHERE originator_id=? "
            "ORDER BY originator_version DESC LIMIT 1",
            (handle,),
        ).fetchone()
        stored = dict(content)
        stored["link"] = chain_link(json.loads(state)["link"], handle, version + 1, content)
        cursor = conn.execute(
            "INSERT INTO stored_events (originator_id, originator_version, topic, state) "
            "VALUES (?, ?, ?, ?)",
            (handle, version + 1, content["type"], json.dumps(stored).encode()),
        )
        return int(cursor.lastrowid or 0)


def raw_state(path: Path, position: int) -> dict[str, Any]:
    with closing(sqlite3.connect(path)) as conn:
        (state,) = conn.execute(
            "SELECT state FROM stored_events WHERE rowid=?", (position,)
        ).fetchone()
    return json.loads(state)


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """A store with acme registered (through the ledger) and a version-1 revenue row."""
    path = tmp_path / "ledger.sqlite"
    with Ledger(parse_store_url(str(path)), create=True) as ledger:
        result = ledger.record(located_lines("setup", [json.dumps(REGISTRATION)]))
        assert result.ok, result.errors
    assert append_raw(path, V1_REVENUE) == 2
    return path


def open_ledger(path: Path) -> Ledger:
    return Ledger(parse_store_url(str(path)))


# -- reading an old row as the current model ---------------------------------------------


def test_v1_row_reads_back_as_the_current_model(revenue_v2: pytest.MonkeyPatch, store: Path):
    with open_ledger(store) as ledger:
        history = ledger.history("acme")
        streamed = list(ledger.iter_events())
        page = ledger.read(after=1)
        # The replay fast path (when there is one) must upcast as well.
        replayed = (
            list(ledger.iter_events(trusted=True))
            if "trusted" in inspect.signature(Ledger.iter_events).parameters
            else streamed
        )
    assert [e.type for e in history] == ["partnership_registered", "revenue_recorded"]
    for event in (history[1], streamed[1], page[0], replayed[1]):
        assert isinstance(event.line, RevenueRecorded)
        assert event.line.amount == 1234.5
        assert event.line.currency == "EUR"
        assert event.line.period == "2026-01"
        assert event.line.actor == "tom"
        assert event.line.id == "acme-rev-v1"
        assert "value" not in event.line.model_dump()
        assert event.recorded_at.isoformat() == RECORDED_AT
        assert event.position == 2
        assert event.version == 2
    # Reading never rewrites stored history: the row is still version 1.
    stored = raw_state(store, 2)
    assert stored["schema"] == 1
    assert stored["value"] == 1234.5
    assert "amount" not in stored


def test_audit_verify_log_and_export_see_the_upcast_event(
    revenue_v2: pytest.MonkeyPatch, store: Path
):
    # In-process (CliRunner), so the monkeypatched schema version applies.
    run = invoke(store, "audit", "verify")
    assert run.code == 0, run.err
    assert run.out.strip() == "intact: 2 events in 1 partnerships, every link matches"
    run = invoke(store, "audit", "log", "--format", "json", "--actor", "tom")
    assert run.code == 0, run.err
    assert [(e["position"], e["type"], e["id"]) for e in json.loads(run.out)] == [
        (2, "revenue_recorded", "acme-rev-v1")
    ]
    run = invoke(store, "export")
    assert run.code == 0, run.err
    exported = [json.loads(line) for line in run.out.splitlines()]
    assert exported[1]["amount"] == 1234.5
    assert "value" not in exported[1]
    assert exported[1]["recorded_at"] == RECORDED_AT


def test_new_events_are_stored_in_the_new_shape_and_chain_onto_old_ones(
    revenue_v2: pytest.MonkeyPatch, store: Path
):
    line = {
        "type": "revenue_recorded",
        "partnership": "acme",
        "period": "2026-02",
        "amount": 10.0,
        "occurred_on": "2026-03-01",
        "actor": "tom",
    }
    with open_ledger(store) as ledger:
        assert ledger.record(located_lines("new", [json.dumps(line)])).ok
        events = ledger.history("acme")
    assert [e.line.amount for e in events[1:]] == [1234.5, 10.0]  # type: ignore[attr-defined]
    stored = raw_state(store, 3)
    assert stored["schema"] == 2
    assert stored["amount"] == 10.0
    assert invoke(store, "audit", "verify").code == 0


def test_same_content_retry_of_an_upcast_event_is_already_recorded(
    revenue_v2: pytest.MonkeyPatch, store: Path
):
    """An id recorded in the old shape matches a retry written in the new one."""
    retry = {k: v for k, v in V1_REVENUE.items() if k not in ("value", "schema", "recorded_at")}
    retry["amount"] = 1234.5
    with open_ledger(store) as ledger:
        result = ledger.record(located_lines("retry", [json.dumps(retry)]))
    assert (result.ok, result.recorded, result.already) == (True, 0, 1)


def test_without_the_upcaster_the_old_row_is_not_a_valid_line(store: Path):
    assert RevenueRecorded.class_version == 1
    with open_ledger(store) as ledger, pytest.raises(DecodeError, match="value"):
        ledger.history("acme")


# -- the codec's upcasting rules ---------------------------------------------------------


def stored(content: dict[str, Any]) -> dict[str, Any]:
    return {**content, "link": "0" * 64}


def test_upcasters_run_in_order_up_to_the_current_version(monkeypatch: pytest.MonkeyPatch):
    calls: list[str] = []

    def v1_v2(data: dict[str, Any]) -> None:
        calls.append("v1_v2")
        upcast_v1_v2(data)

    def v2_v3(data: dict[str, Any]) -> None:
        calls.append("v2_v3")
        assert "amount" in data  # v1_v2 ran first
        data.setdefault("note", f"migrated from {data['currency']}")

    monkeypatch.setattr(RevenueRecorded, "class_version", 3)
    monkeypatch.setattr(RevenueRecorded, "upcast_v1_v2", staticmethod(v1_v2), raising=False)
    monkeypatch.setattr(RevenueRecorded, "upcast_v2_v3", staticmethod(v2_v3), raising=False)
    line, recorded_at, link = line_from_state(stored(V1_REVENUE))
    assert calls == ["v1_v2", "v2_v3"]
    assert isinstance(line, RevenueRecorded)
    assert (line.amount, line.note) == (1234.5, "migrated from EUR")
    assert link == "0" * 64
    assert recorded_at.isoformat() == RECORDED_AT

    calls.clear()
    v2 = {k: v for k, v in V1_REVENUE.items() if k != "value"} | {"amount": 5.0, "schema": 2}
    line, _, _ = line_from_state(stored(v2))
    assert calls == ["v2_v3"]
    assert line.amount == 5.0  # type: ignore[attr-defined]

    calls.clear()
    v3 = v2 | {"schema": 3}
    assert line_from_state(stored(v3))[0].amount == 5.0  # type: ignore[attr-defined]
    assert calls == []


def test_an_upcaster_does_not_touch_the_callers_state(revenue_v2: pytest.MonkeyPatch):
    state = stored(V1_REVENUE)
    before = json.loads(json.dumps(state))
    line_from_state(state)
    assert state == before


def test_a_missing_upcaster_is_a_decode_error(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(RevenueRecorded, "class_version", 2)
    with pytest.raises(DecodeError, match="no upcaster from schema version 1 of RevenueRecorded"):
        line_from_state(stored(V1_REVENUE))


def test_an_upcaster_failing_on_odd_old_data_is_a_decode_error(revenue_v2: pytest.MonkeyPatch):
    odd = {k: v for k, v in V1_REVENUE.items() if k != "value"}
    with pytest.raises(DecodeError, match="cannot upcast schema version 1 of RevenueRecorded"):
        line_from_state(stored(odd))


@pytest.mark.parametrize("schema", [2, 99, 0, -1, "1", None, 1.5])
def test_unknown_schema_versions_are_a_clear_decode_error(schema: Any):
    state = stored({k: v for k, v in V1_REVENUE.items() if k != "value"} | {"amount": 1.0})
    state["schema"] = schema
    with pytest.raises(DecodeError) as caught:
        line_from_state(state)
    assert str(caught.value) == f"unknown schema version {schema!r} of RevenueRecorded"


def test_monkeypatch_is_undone(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(RevenueRecorded, "class_version", 2)
    monkeypatch.setattr(RevenueRecorded, "upcast_v1_v2", staticmethod(upcast_v1_v2), raising=False)
    monkeypatch.undo()
    assert RevenueRecorded.class_version == 1
    assert not hasattr(RevenueRecorded, "upcast_v1_v2")


# -- a row from the future, through the real command -------------------------------------


@pytest.fixture
def future_store(tmp_path: Path) -> Path:
    """acme registered, then a revenue row written by a newer trustledger (schema 2)."""
    path = tmp_path / "ledger.sqlite"
    with Ledger(parse_store_url(str(path)), create=True) as ledger:
        assert ledger.record(located_lines("setup", [json.dumps(REGISTRATION)])).ok
    future = {k: v for k, v in V1_REVENUE.items() if k != "value"}
    future |= {"amount": 99.0, "schema": 2, "id": "acme-rev-future"}
    assert append_raw(path, future) == 2
    return path


def test_future_schema_is_a_decode_error_when_reading(future_store: Path):
    with (
        open_ledger(future_store) as ledger,
        pytest.raises(DecodeError, match=r"^unknown schema version 2 of RevenueRecorded$"),
    ):
        ledger.history("acme")
    # The raw bytes are fine JSON: only the schema version is unknown.
    with closing(sqlite3.connect(future_store)) as conn:
        (raw,) = conn.execute("SELECT state FROM stored_events WHERE rowid=2").fetchone()
    assert decode_state(raw)["schema"] == 2


def test_audit_verify_reports_a_future_schema_without_a_traceback(future_store: Path):
    run = run_cli(future_store, "audit", "verify")
    assert_no_traceback(run)
    assert run.code == 1, run
    assert run.out == ""
    assert run.err.splitlines() == [
        "trustledger: broken at position 2 (acme): event #2 cannot be decoded: "
        "unknown schema version 2 of RevenueRecorded"
    ]


def test_audit_log_reports_a_future_schema_in_one_line(future_store: Path):
    run = run_cli(future_store, "audit", "log")
    assert_no_traceback(run)
    assert run.code == 2, run
    assert run.out == ""
    assert run.err.splitlines() == [
        "trustledger: the stored history cannot be read: unknown schema version 2 of "
        "RevenueRecorded (run 'trustledger audit verify' to find where)"
    ]
