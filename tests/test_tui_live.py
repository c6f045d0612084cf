"""Live following: another process records, the dashboard shows it in place."""

from __future__ import annotations

import gc
import sqlite3
import threading
import time
from contextlib import closing
from datetime import date, timedelta
from unittest.mock import patch

import pytest
from trustledger.domain.events import LINE_ADAPTER
from trustledger.domain.ledger import Ledger, Located
from trustledger.domain.watch import POLL_SECONDS, PollingWatcher
from trustledger.tui.dashboard.screens.portfolio import PortfolioTable
from trustledger.tui.dashboard.widgets.cells import spark
from trustledger.tui.service.live import (
    LedgerSource,
    LiveFollower,
    LiveUpdate,
    alert_key,
    new_alerts,
)

from tests.cli_helpers import run_cli
from tests.samples import SAMPLE_FILES, record_samples
from tests.test_tui_support import make_app, pause_until


def row_keys(table: PortfolioTable) -> list[str]:
    return [table.coordinate_to_cell_key((r, 0)).row_key.value for r in range(table.row_count)]


def cursor(table: PortfolioTable) -> str:
    return row_keys(table)[table.cursor_row]


async def test_a_record_from_another_process_shows_in_place(sample_store, tmp_path):
    # Both run on the tests' day: the app by its clock, the other process by TRUSTLEDGER_TODAY.
    app = make_app(sample_store)
    notes: list[str] = []
    original_notify = app.notify

    def notify(message, *args, **kwargs):
        notes.append(str(message))
        return original_notify(message, *args, **kwargs)

    app.notify = notify  # type: ignore[method-assign]
    lines = tmp_path / "new.ndjson"
    lines.write_text(
        '{"type": "partnership_registered", "partnership": "zenith", "name": "Zenith Labs",'
        ' "kind": "alliance"}\n'
        '{"type": "commitment_kept", "partnership": "meridian-health",'
        ' "commitment": "latency-fix"}\n'
        '{"type": "issue_raised", "partnership": "northwind", "issue": "card",'
        ' "summary": "They invoked the partnership", "partner_card": true}\n',
        encoding="utf-8",
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await app.ready()
        await pilot.pause()
        table = app.screen.query_one(PortfolioTable)
        table.move_cursor(row=row_keys(table).index("meridian-health"))
        await pilot.pause()
        kept_before = table.get_cell("meridian-health", "trust").plain
        assert "zenith" not in row_keys(table)

        done = run_cli(sample_store.path, "record", str(lines))
        assert done.code == 0, done.err
        assert "recorded 3" in done.out

        await pause_until(pilot, lambda: "zenith" in row_keys(table), "the new row showing")
        await pilot.pause()
        assert cursor(table) == "meridian-health"  # the cursor stayed on its row
        assert table.row_count == 11
        assert table.get_cell("meridian-health", "trust").plain != kept_before
        assert table.get_cell("zenith", "status").plain == "? unproven"
        assert any("partner card played in issue card" in note for note in notes), notes


# -- the follow loop without Textual ------------------------------------------------------


class FakeSource:
    """An EventSource over a list that a test appends to."""

    def __init__(self, events):
        self.events = list(events)
        self.waits = 0

    def max_position(self):
        return self.events[-1].position if self.events else 0

    def read(self, after, limit):
        return [e for e in self.events if e.position > after][:limit]

    def history(self, handle):
        return [e for e in self.events if e.partnership == handle]

    def wait_for_new(self, position, timeout):
        self.waits += 1
        return self.max_position() > position

    def close(self):
        pass


def recorded_events(store):
    with Ledger(store) as ledger:
        return list(ledger.iter_events())


def test_live_follower_emits_initial_then_only_changes(sample_store):
    from trustledger.projections.config import DEFAULT_CONFIG

    events = recorded_events(sample_store)
    source = FakeSource(events[:-5])
    live = LiveFollower(source, lambda: date(2026, 11, 20), DEFAULT_CONFIG)
    first = live.step(initial=True)
    assert first.initial and first.alerts == []
    assert first.picture.position == events[-6].position
    source.events = events
    second = live.step()
    assert second.picture.position == events[-1].position
    assert second.changed == {e.partnership for e in events[-5:]}


def test_live_follower_run_stops_and_turns_the_day(sample_store):
    from trustledger.projections.config import DEFAULT_CONFIG

    days = [date(2026, 11, 20)]
    source = FakeSource(recorded_events(sample_store))
    live = LiveFollower(source, lambda: days[0], DEFAULT_CONFIG, wake_every=0.01)
    got: list[LiveUpdate] = []
    stop = threading.Event()

    def emit(update: LiveUpdate) -> None:
        got.append(update)
        if len(got) == 1:
            days[0] += timedelta(days=1)  # midnight passes: a new picture, no new events
        else:
            stop.set()

    source.wait_for_new = lambda position, timeout: (time.sleep(timeout), False)[1]
    thread = threading.Thread(target=live.run, args=(stop, emit))
    thread.start()
    thread.join(5)
    assert not thread.is_alive()
    assert [u.picture.as_of for u in got] == [date(2026, 11, 20), date(2026, 11, 21)]


def wait_in_thread(watcher, after: int, timeout: float) -> tuple[threading.Thread, list[bool]]:
    answers: list[bool] = []
    thread = threading.Thread(target=lambda: answers.append(watcher.wait(after, timeout)))
    thread.start()
    return thread, answers


def test_the_sqlite_watcher_polls_and_stop_ends_a_wait(sample_store):
    with Ledger(sample_store) as ledger:
        stop = threading.Event()
        source = LedgerSource(ledger, stop)
        assert isinstance(source.watcher, PollingWatcher)
        assert source.watcher.poll_interval == POLL_SECONDS
        top = ledger.max_position()
        assert source.wait_for_new(top - 1, 1.0) is True
        assert source.wait_for_new(top, 0.1) is False
        # A wait of an hour ends as soon as the follower is told to stop.
        thread, answers = wait_in_thread(source.watcher, top, 3600)
        stop.set()
        thread.join(30)
        assert not thread.is_alive() and answers == [False]
        line = LINE_ADAPTER.validate_python(
            {"type": "commitment_kept", "partnership": "northwind", "commitment": "mdf-2027"}
        )
        assert ledger.record([Located("t", 1, line)]).ok
        stop.clear()
        assert source.wait_for_new(top, 1.0) is True
        source.close()


@pytest.mark.postgres
def test_the_postgres_watcher_listens_and_stop_ends_a_wait(postgres_url):
    from trustledger.domain.ledger import located_lines
    from trustledger.domain.store import parse_store_url
    from trustledger.domain.watch import NotifyWatcher

    store = parse_store_url(postgres_url)
    line = '{"type": "partnership_registered", "partnership": "p", "name": "P"}'
    with Ledger(store, create=True) as ledger:
        assert ledger.record(located_lines("t", [line])).ok
        stop = threading.Event()
        source = LedgerSource(ledger, stop)
        assert isinstance(source.watcher, NotifyWatcher)
        top = ledger.max_position()
        assert source.wait_for_new(top, 0.1) is False
        thread, answers = wait_in_thread(source.watcher, top, 3600)
        stop.set()
        thread.join(30)
        assert not thread.is_alive() and answers == [False]
        stop.clear()
        thread, answers = wait_in_thread(source.watcher, top, 3600)
        revenue = (
            '{"type": "revenue_recorded", "partnership": "p", "period": "2026-01", "amount": 5}'
        )
        with Ledger(store) as writer:
            assert writer.record(located_lines("t", [revenue])).ok
        thread.join(30)
        assert not thread.is_alive() and answers == [True]
        source.close()


def test_new_alerts_are_told_apart_from_old_ones(sample_store):
    from trustledger.projections.replay import replay

    events = recorded_events(sample_store)
    before = replay(events, date(2026, 11, 20))
    later = replay(events, date(2026, 11, 21))  # day counts change, the alerts do not
    assert new_alerts(before, later) == []
    assert {alert_key(a) for a in before.alerts} == {alert_key(a) for a in later.alerts}
    assert new_alerts(None, later) == []


def test_sparklines_share_one_fixed_scale():
    """Trust and alignment live on 0-1, and every row is drawn on that scale: a steady
    score draws a flat line, and a higher steady score a higher one."""
    low, high = spark([0.61] * 8), spark([0.95] * 8)
    assert len(set(low)) == 1 and len(set(high)) == 1  # steady: flat, not ██▁▁▁▁▁▁
    assert high[0] > low[0]  # the blocks are in height order
    assert spark([0.0, 0.5, 1.0]) == "▁▅█"
    assert spark([None, 0.2])[0] == " "
    assert spark([0.90, 0.91, 0.92]) == "▇▇▇"  # a hundredth is not a cliff


async def test_the_dashboard_starts_from_the_read_model_and_keeps_it_current(
    sample_store, tmp_path, monkeypatch
):
    import trustledger.tui.service.live
    from trustledger.domain.readstore import META_TABLE, ROWS_TABLE
    from trustledger.tui.service.readmodel import ReadModel

    monkeypatch.setattr(trustledger.tui.service.live, "PERSIST_SECONDS", 0.0)
    started: list[str | None] = []
    real_start = ReadModel.start

    def start(self, progress=None):
        state, reason = real_start(self, progress)
        started.append(reason)
        return state, reason

    real_lean = ReadModel.load_lean
    lean_starts: list[str | None] = []

    def load_lean(self, as_of):
        found = real_lean(self, as_of)
        lean_starts.append(found.reason)
        return found

    real_glanced = trustledger.tui.service.live.glanced_views
    glances: list[str | None] = []

    def glanced(*args, **kwargs):
        found = real_glanced(*args, **kwargs)
        glances.append(found.reason)
        return found

    monkeypatch.setattr(ReadModel, "start", start)
    monkeypatch.setattr(ReadModel, "load_lean", load_lean)
    # The view rows a dashboard's first frame is drawn from, read before the ledger is open.
    monkeypatch.setattr(trustledger.tui.service.live, "glanced_views", glanced)
    # The sample store may hold a read model already (a report for today builds one): start
    # without, to see the first dashboard build it.
    with closing(sqlite3.connect(str(sample_store.path))) as conn, conn:
        conn.execute(f"DROP TABLE IF EXISTS {ROWS_TABLE}")
        conn.execute(f"DROP TABLE IF EXISTS {META_TABLE}")
    for round_ in range(2):
        app = make_app(sample_store, warm_start=True)
        async with app.run_test(size=(80, 24)) as pilot:
            await app.ready()
            await pilot.pause()
            table = app.screen.query_one(PortfolioTable)
            assert table.row_count == 10 + round_
            if round_ == 0:
                done = run_cli(sample_store.path, "partner", "add", "zenith", "--name", "Zenith")
                assert done.code == 0, done.err
                await pause_until(pilot, lambda t=table: t.row_count == 11, "the new row showing")
        if round_ == 0:
            # The first dashboard writes the read model on to the new event (with today's
            # view rows) from its follow thread, which may finish just after it quits: a
            # second one started before that would (rightly) find no views of today.
            with Ledger(sample_store) as ledger:
                model = ReadModel(ledger, app.config)
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline:
                    if real_lean(model, app.service.clock.today()).reason is None:
                        break
                    time.sleep(0.05)
    assert glances[0] == lean_starts[0] == "no read model yet"
    assert started == ["no read model yet"]  # the first start built it from the events
    # The second drew its first frame from its view rows, read at a glance, lean; the
    # ledger it then opened went on from there without reading them again.
    assert glances[1] is None and len(glances) == 2
    assert len(lean_starts) == 1
    with Ledger(sample_store) as ledger:
        stored = ReadModel(ledger, app.config).load().state
        views = ReadModel(ledger, app.config).load_lean(app.service.clock.today()).follower
    # The first dashboard moved the stored read model on to the event recorded meanwhile,
    # with today's view rows.
    assert stored is not None and stored.last_position == 382
    assert "zenith" in stored.partnerships
    assert views is not None and views.last_position == 382 and "zenith" in views.handles()


@pytest.mark.postgres
async def test_live_dashboard_on_postgresql(postgres_url):
    store = record_samples(postgres_url, SAMPLE_FILES[:3])
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.ready()
        await pilot.pause()
        table = app.screen.query_one(PortfolioTable)
        assert table.row_count == 3
        table.move_cursor(row=row_keys(table).index("brightpath"))
        done = run_cli(postgres_url, "partner", "add", "zenith", "--name", "Zenith Labs")
        assert done.code == 0, done.err
        await pause_until(pilot, lambda: "zenith" in row_keys(table), "the new row showing")
        assert cursor(table) == "brightpath"
        assert app.store_label.startswith("postgresql://")


def test_live_follower_starts_again_after_an_unexpected_error(sample_store):
    from trustledger.projections.config import DEFAULT_CONFIG

    events = recorded_events(sample_store)
    source = FakeSource(events[:-5])
    reads = source.read
    broken = [True]

    def read(after, limit):
        if after > 0 and broken[0] and source.max_position() > after:
            broken[0] = False
            raise RuntimeError("a fault while folding")
        return reads(after, limit)

    source.read = read
    live = LiveFollower(source, lambda: date(2026, 11, 20), DEFAULT_CONFIG, wake_every=0.01)
    got: list[LiveUpdate] = []
    errors: list[str] = []
    stop = threading.Event()

    def emit(update: LiveUpdate) -> None:
        got.append(update)
        if len(got) == 1:
            source.events = events  # five new events: the first read of them fails
        elif len(got) == 2:
            stop.set()

    with patch("trustledger.tui.service.live.retry_delays", lambda: iter([0.01] * 10)):
        thread = threading.Thread(target=live.run, args=(stop, emit, errors.append))
        thread.start()
        thread.join(10)
    assert not thread.is_alive()
    assert len(errors) == 1 and "RuntimeError: a fault while folding" in errors[0]
    # Started again from a fresh state: everything, the new events included.
    assert got[1].initial and got[1].picture.position == events[-1].position
    fresh = LiveFollower(FakeSource(events), lambda: date(2026, 11, 20), DEFAULT_CONFIG)
    assert got[1].picture.portfolio == fresh.step(initial=True).picture.portfolio


async def test_a_fault_in_reading_the_first_picture_at_a_glance_falls_back_to_the_ledger(
    sample_store, monkeypatch
):
    # The glance is a shortcut: a fault in it (not meant to happen) must cost neither the
    # first picture nor the live view. The start then goes through the ledger, as before it.
    import trustledger.tui.service.live
    from trustledger.projections import ModelConfig
    from trustledger.tui.service.ledger_service import LedgerService

    from tests.test_tui_support import CLOCK

    LedgerService(sample_store, clock=CLOCK).rebuild(ModelConfig())  # a glance would be used
    calls: list[int] = []

    def broken(*args, **kwargs):
        calls.append(1)
        raise RuntimeError("broken on purpose")

    monkeypatch.setattr(trustledger.tui.service.live, "glanced_views", broken)
    app = make_app(sample_store, warm_start=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.ready()
        await pilot.pause()
        assert calls == [1]
        assert app.screen.query_one(PortfolioTable).row_count == 10
        assert not app.reconnecting


@pytest.fixture
def collector_paused():
    """The cyclic collector paused, as the console script leaves it; restored after."""
    was = gc.isenabled()
    gc.disable()
    yield
    if was:
        gc.enable()
    else:
        gc.disable()


async def test_the_collector_runs_again_once_the_first_rows_are_drawn(
    sample_store, collector_paused
):
    # The launch leaves the collector paused for the dashboard's start: the app lets it run
    # again once the home screen has drawn its first picture's rows, with what was made for
    # them frozen out of its walks.
    app = make_app(sample_store, warm_start=True, resume_collector=True)
    frozen = gc.get_freeze_count()
    async with app.run_test(size=(80, 24)) as pilot:
        assert not gc.isenabled()  # nothing drawn yet
        await app.ready()
        await pause_until(pilot, gc.isenabled, "the collector running again")
        assert app.screen.query_one(PortfolioTable).row_count == 10
        assert gc.get_freeze_count() > frozen


async def test_the_collector_runs_again_when_no_picture_comes(
    tmp_path, collector_paused, monkeypatch
):
    import trustledger.tui.dashboard.app
    from trustledger.domain.store import parse_store_url

    monkeypatch.setattr(trustledger.tui.dashboard.app, "COLLECTOR_WAIT", 0.2)
    app = make_app(parse_store_url(str(tmp_path / "missing.sqlite")), resume_collector=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await pause_until(pilot, gc.isenabled, "the collector running again")
        assert app.picture is None  # no store: no picture, the collector runs anyway
