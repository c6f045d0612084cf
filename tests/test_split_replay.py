"""A past day's report or check replayed in two parts (two processes, on a big store) equals
a replay in one.

- The join itself (``projections/parts.py``), for random histories with random voids and
  amendments, a random split point, as-of day and known-at time (hypothesis): the report
  rows, the alerts and the portfolio figures of the joined parts are a replay's, with one
  part's views sent as view rows as between the processes.
- Reading a part (``Ledger.iter_events(part=...)``) gives exactly its partnerships' events,
  in recording order, on SQLite and PostgreSQL, for handles that a language's collation
  orders otherwise than their bytes.
- The service's replay in two real processes (``tui/service/split_replay.py``), on SQLite
  and PostgreSQL stores of the sample partnerships (a correction among them): the same
  report rows, table and alerts as a replay in one process, and a damaged row in the second
  process's part raises the same error as a replay in one process does. A process that may
  start none of its own (a daemonic one) replays alone.
"""

from __future__ import annotations

import json
import multiprocessing
import sqlite3
from contextlib import closing
from datetime import date, timedelta

import psycopg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from trustledger.domain.errors import LedgerError
from trustledger.domain.ledger import Ledger, located_lines
from trustledger.domain.store import parse_store_url
from trustledger.projections import ModelConfig, fold, replay, report_rows
from trustledger.projections.parts import (
    in_part,
    joined,
    part_rows,
    part_views,
    rows_part,
    split_handle,
)
from trustledger.projections.report import listed_alerts
from trustledger.projections.views import Portfolio
from trustledger.tui.cli.report import print_report_table
from trustledger.tui.service import split_replay
from trustledger.tui.service.ledger_service import LedgerService

from tests.samples import RECORDED, TODAY, record_samples
from tests.store_backends import BACKENDS, EVENTS_TABLE, is_postgres
from tests.test_corrections_property import corrected_histories
from tests.test_tui_support import CLOCK

CONFIGS = [ModelConfig(), ModelConfig(concentration_share=0.05)]


def figures(portfolio: Portfolio) -> tuple[object, ...]:
    """What a portfolio says beside its views."""
    return (
        portfolio.as_of,
        portfolio.known_at,
        portfolio.model_version,
        dict(portfolio.by_status),
        portfolio.active,
        portfolio.trusted_share,
        portfolio.trusted_target_share,
        portfolio.revenue_total_12m,
        portfolio.largest_revenue_share,
        portfolio.largest_revenue_partnership,
        portfolio.alert_count,
        portfolio.concentrated,
    )


# -- the join -------------------------------------------------------------------------------


@settings(max_examples=80, deadline=None)
@given(corrected_histories(), st.data())
def test_parts_joined_equal_a_replay_in_one(case, data) -> None:
    events, fixes, _, as_of = case
    stream = events + fixes
    handles = sorted({event.partnership for event in stream})
    split = data.draw(st.sampled_from(handles), label="split")
    known_at = data.draw(
        st.none() | st.sampled_from([event.recorded_at for event in stream]), label="known_at"
    )
    config = data.draw(st.sampled_from(CONFIGS), label="config")
    want = replay(iter(stream), as_of, known_at, config, fixes)
    parts = []
    for part, sent in (((None, split), False), ((split, None), True)):
        own = [event for event in stream if in_part(event.partnership, part)]
        own_fixes = [fix for fix in fixes if in_part(fix.partnership, part)]
        views = part_views(fold(iter(own), as_of, known_at, config, None, own_fixes), as_of)
        parts.append(rows_part(part_rows(views)) if sent else views)
    got = joined(parts, config, as_of, known_at, len(stream))
    assert figures(got) == figures(want)
    assert report_rows(got) == report_rows(want)
    assert listed_alerts(got) == listed_alerts(want)


def test_the_split_handle_halves_the_events() -> None:
    counts = {"b": 10, "a": 30, "c": 20, "d": 40}
    # a, b, c hold 60 of 100 events: the first part is a to c, the second d.
    assert split_handle(counts) == "d"
    assert split_handle({"a": 1, "b": 1}) == "b"
    assert split_handle({"a": 5}) is None
    assert split_handle({}) is None


# -- reading a part -------------------------------------------------------------------------

#: Handles that a collation such as en_US orders otherwise than their bytes ("-" and "_"
#: are ignored at first there): a part read in another order would lose or repeat some.
HANDLES = ["a-b", "a0", "a_b", "ab", "ac", "b"]


@pytest.mark.parametrize("store_url", BACKENDS, indirect=True)
def test_a_part_reads_exactly_its_partnerships_events_in_order(store_url) -> None:
    store = parse_store_url(store_url)
    lines = [
        f'{{"type": "partnership_registered", "partnership": "{handle}", "name": "P {handle}", '
        f'"kind": "customer", "occurred_on": "2026-01-0{n % 9 + 1}"}}'
        for n, handle in enumerate(HANDLES)
    ] + [
        f'{{"type": "revenue_recorded", "partnership": "{handle}", "period": "2026-0{n % 9 + 1}", '
        f'"amount": {n}, "occurred_on": "2026-10-01"}}'
        for n, handle in enumerate(HANDLES * 3)
    ]
    with Ledger(store, create=True, clock=lambda: RECORDED) as ledger:
        assert ledger.record(located_lines("h.ndjson", lines)).ok
    if is_postgres(store_url):
        # A database whose text collation orders "a_b" before "a-b" (bytes: after).
        with psycopg.connect(store_url, autocommit=True) as conn:
            conn.execute(
                f"ALTER TABLE {EVENTS_TABLE} ALTER COLUMN originator_id "
                'TYPE text COLLATE "en-x-icu"'
            )
            assert conn.execute(
                f"SELECT count(*) FROM {EVENTS_TABLE} WHERE originator_id < 'a-b'"
            ).fetchone() == (4,)
    with Ledger(store, clock=lambda: RECORDED) as ledger:
        every = list(ledger.iter_events(trusted=True))
        for split in HANDLES:
            first = list(ledger.iter_events(page=4, trusted=True, part=(None, split)))
            second = list(ledger.iter_events(page=4, trusted=True, part=(split, None)))
            assert first == [e for e in every if e.partnership < split]
            assert second == [e for e in every if e.partnership >= split]
        middle = list(ledger.iter_events(trusted=True, part=("a0", "ac")))
        assert {e.partnership for e in middle} == {"a0", "a_b", "ab"}
        assert ledger.event_counts() == dict.fromkeys(HANDLES, 4)


# -- the service, in two processes ----------------------------------------------------------


@pytest.fixture
def split_runs(monkeypatch) -> list[bool]:
    """Whether each replay in two processes got its second part (not None)."""
    runs: list[bool] = []
    real = split_replay.replay_in_two

    def counted(*args, **kwargs):
        found = real(*args, **kwargs)
        runs.append(found is not None)
        return found

    monkeypatch.setattr(split_replay, "replay_in_two", counted)
    return runs


def services(store_url: str) -> tuple[LedgerService, LedgerService]:
    """The sample store's service replaying in one process, and one that splits any store."""
    store = parse_store_url(store_url)
    one, two = LedgerService(store, clock=CLOCK), LedgerService(store, clock=CLOCK)
    one.split_from = 10**12
    two.split_from = 0
    return one, two


@pytest.mark.parametrize("store_url", BACKENDS, indirect=True)
def test_a_report_in_two_processes_is_the_report_of_one(
    store_url, split_runs, monkeypatch, capsys
) -> None:
    monkeypatch.setattr(split_replay, "cores", lambda: 2)  # a machine of one core: still split
    record_samples(store_url)
    one, two = services(store_url)
    known = RECORDED + timedelta(seconds=1)
    # Before some partnerships were registered, mid-way, and the last day, with and without
    # a known-at time, under two configurations.
    for as_of, known_at in [
        (date(2025, 3, 1), None),
        (date(2026, 6, 30), known),
        (TODAY - timedelta(days=1), None),
    ]:
        for config in CONFIGS:
            assert two.report(as_of, known_at, config) == one.report(as_of, known_at, config)
            assert two.alerts(as_of, config) == one.alerts(as_of, config)
    assert split_runs and all(split_runs)
    print_report_table(one.listed(date(2026, 6, 30), None, ModelConfig()))
    alone = capsys.readouterr().out
    print_report_table(two.listed(date(2026, 6, 30), None, ModelConfig()))
    assert capsys.readouterr().out == alone
    # Today's report is read from the read model, never split.
    runs = len(split_runs)
    assert two.report(TODAY, None, ModelConfig()) == one.report(TODAY, None, ModelConfig())
    assert len(split_runs) == runs


def damage_last_partnership(store_url: str) -> str:
    """Give the newest event of the last partnership (in the second process's part) a type
    that no event has; its handle."""
    if is_postgres(store_url):
        with psycopg.connect(store_url, autocommit=True) as conn:
            handle, position, state = conn.execute(
                f"SELECT originator_id, notification_id, state FROM {EVENTS_TABLE} "
                'ORDER BY originator_id COLLATE "C" DESC, notification_id DESC LIMIT 1'
            ).fetchone()
            conn.execute(
                f"UPDATE {EVENTS_TABLE} SET state = %s WHERE notification_id = %s",
                (unknown_type(bytes(state)), position),
            )
        return handle
    with closing(sqlite3.connect(store_url)) as conn, conn:
        handle, position, state = conn.execute(
            "SELECT originator_id, rowid, state FROM stored_events "
            "ORDER BY originator_id DESC, rowid DESC LIMIT 1"
        ).fetchone()
        conn.execute(
            "UPDATE stored_events SET state = ? WHERE rowid = ?", (unknown_type(state), position)
        )
    return handle


def unknown_type(state: bytes) -> bytes:
    data = json.loads(state)
    data["type"] = "no_such_event"
    return json.dumps(data).encode()


@pytest.mark.parametrize("store_url", BACKENDS, indirect=True)
def test_a_damaged_row_in_the_second_part_fails_as_in_one_process(
    store_url, split_runs, monkeypatch
) -> None:
    monkeypatch.setattr(split_replay, "cores", lambda: 2)
    record_samples(store_url)
    handle = damage_last_partnership(store_url)
    one, two = services(store_url)
    day = date(2026, 6, 30)
    with pytest.raises(LedgerError) as alone:
        one.report(day, None, ModelConfig())
    with pytest.raises(LedgerError) as split:
        two.report(day, None, ModelConfig())
    assert type(split.value) is type(alone.value)
    assert str(split.value) == str(alone.value)
    assert split_runs == []  # raised from the second process's answer, not replayed again
    with Ledger(parse_store_url(store_url)) as ledger:
        assert split_handle(ledger.event_counts()) <= handle


def _report_in_a_daemon(store_url: str, sending) -> None:
    """In a daemonic process (which may start none of its own): a report that would split."""
    service = LedgerService(parse_store_url(store_url), clock=CLOCK)
    service.split_from = 0
    sending.send(service.report(date(2026, 6, 30), None, ModelConfig()))


def test_a_process_that_may_start_none_replays_alone(sample_store) -> None:
    url = str(sample_store.path)
    one, _ = services(url)
    context = multiprocessing.get_context("spawn")
    receiving, sending = context.Pipe(duplex=False)
    daemon = context.Process(target=_report_in_a_daemon, args=(url, sending), daemon=True)
    daemon.start()
    sending.close()
    try:
        assert receiving.poll(60)
        assert receiving.recv() == one.report(date(2026, 6, 30), None, ModelConfig())
    finally:
        daemon.join(10)
    assert daemon.exitcode == 0
