"""The shared read model in the store: always equal to a full replay, never trusted blindly.

Real SQLite files and a real PostgreSQL server; hypothesis interleaves writes, restarts,
rebuilds and viewers moving the stored rows on, and after every step the stored read model
must equal a fold of the events up to the position it names, and a start from it must equal
a replay of every event. A read model of another model version, another configuration or
another store, a damaged row, a missing row, a row holding a pickle: each is refused and
rebuilt from the events, and nothing stored is ever run as code.
"""

from __future__ import annotations

import pickle
import sqlite3
import tempfile
from contextlib import closing
from datetime import timedelta
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from trustledger.domain.ledger import Ledger
from trustledger.domain.readstore import META_TABLE, ROWS_TABLE, row_digest
from trustledger.domain.store import StoreConfig, parse_store_url
from trustledger.projections import (
    Follower,
    ModelConfig,
    Portfolio,
    PortfolioState,
    fold,
    portfolio_at,
    replay,
    report_rows,
    sparklines,
)
from trustledger.projections.persist import STATE_FIELDS, partnership_data
from trustledger.projections.stored_views import lean
from trustledger.tui.service.ledger_service import LedgerService
from trustledger.tui.service.readmodel import (
    SPARK_POINTS,
    SPARK_STEP_DAYS,
    ReadModel,
    caught_up,
    model_key,
)

from tests.cli_helpers import run_cli
from tests.samples import (
    RECORDED,
    SAMPLE_EVENTS,
    TODAY,
    another_store_with_its_read_model,
    record_samples,
    sample_lines,
)
from tests.store_backends import is_postgres
from tests.test_tui_support import CLOCK

CONFIG = ModelConfig()
AS_OF = TODAY + timedelta(days=1)


def every_event(ledger: Ledger) -> list:
    return list(ledger.iter_events(trusted=True))


def stored_data(state: PortfolioState) -> dict[str, dict]:
    return {handle: partnership_data(ps) for handle, ps in state.partnerships.items()}


def assert_matches_the_events(ledger: Ledger) -> None:
    """The stored read model (if any) is the fold of the events up to its position, and a
    start from it is a replay of every event."""
    events = every_event(ledger)
    loaded = ReadModel(ledger, CONFIG).load()
    if loaded.state is not None:
        position = loaded.state.last_position
        expected = fold([e for e in events if e.position <= position], config=CONFIG)
        assert stored_data(loaded.state) == stored_data(expected)
        assert loaded.state.max_day == expected.max_day
    state, _ = ReadModel(ledger, CONFIG).start()
    assert state.last_position == (events[-1].position if events else 0)
    assert portfolio_at(state, AS_OF) == replay(events, AS_OF, config=CONFIG)
    assert_lean_matches_the_events(ledger, events)


def lean_figures(portfolio: Portfolio) -> tuple:
    """What a lean portfolio holds of ``portfolio``: its lean views, shares and figures."""
    return (
        [lean(view) for view in portfolio.partnerships],
        [view.revenue_share for view in portfolio.partnerships],
        portfolio.by_status,
        portfolio.revenue_total_12m,
        portfolio.largest_revenue_partnership,
        portfolio.alert_count,
        portfolio.alerts,
    )


def assert_lean_matches_the_events(ledger: Ledger, events: list) -> None:
    """The stored view rows (if any, of ``AS_OF``) are the lean views of a fold of the events
    up to the read model's position, and a lean start caught up is a replay's lean views;
    so is a lean start made from the stored states, for that day and a later one."""
    for day in (AS_OF, AS_OF + timedelta(days=45)):
        made = ReadModel(ledger, CONFIG).lean_from_states(day).follower
        if made is not None:
            caught_up(ledger, made)
            assert made.last_position == (events[-1].position if events else 0)
            assert lean_figures(made.view(day)) == lean_figures(replay(events, day, config=CONFIG))
    loaded = ReadModel(ledger, CONFIG).load_lean(AS_OF)
    follower = loaded.follower
    if follower is None:
        return
    position = follower.last_position
    expected = fold([e for e in events if e.position <= position], config=CONFIG)
    held = follower.stored_views(AS_OF)
    assert held is not None
    assert {h: view for h, (view, _) in held.items()} == {
        view.handle: lean(view) for view in portfolio_at(expected, AS_OF).partnerships
    }
    assert {h: spark for h, (_, spark) in held.items()} == sparklines(
        expected, AS_OF, SPARK_POINTS, SPARK_STEP_DAYS
    )
    caught_up(ledger, follower)
    assert follower.last_position == (events[-1].position if events else 0)
    assert lean_figures(follower.view(AS_OF)) == lean_figures(replay(events, AS_OF, config=CONFIG))


# -- random interleavings ---------------------------------------------------------------------

LINES = sample_lines()
Step = tuple[str, int]
steps = st.lists(
    st.one_of(
        st.tuples(st.just("write"), st.integers(1, 60)),
        st.tuples(st.just("restart"), st.just(0)),
        st.tuples(st.just("rebuild"), st.just(0)),
        st.tuples(st.just("viewer"), st.integers(0, 3)),
        st.tuples(st.just("lean"), st.integers(0, 3)),
    ),
    min_size=1,
    max_size=12,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps)
def test_the_read_model_equals_a_full_replay_after_any_interleaving(plan: list[Step]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        store = parse_store_url(str(Path(folder) / "ledger.sqlite"))
        written = 0
        viewers: list[PortfolioState] = []  # states that viewers hold, some of them stale
        leans: list[Follower] = []  # lean viewers, some of them stale
        ledger = Ledger(store, create=True, clock=lambda: RECORDED)
        try:
            for kind, amount in plan:
                if kind == "write" and written < len(LINES):
                    result = ledger.record(LINES[written : written + amount])
                    assert result.ok, result.errors
                    written = min(len(LINES), written + amount)
                elif kind == "restart":
                    ledger.close()
                    ledger = Ledger(store, clock=lambda: RECORDED)
                    state, _ = ReadModel(ledger, CONFIG).start()
                    viewers.append(state)
                elif kind == "rebuild":
                    viewers.append(ReadModel(ledger, CONFIG).rebuild(as_of=AS_OF))
                elif kind == "viewer" and viewers:
                    # A viewer (perhaps far behind) folds what is new and moves the stored
                    # read model on, or is refused because another got further.
                    from trustledger.tui.service.readmodel import fold_new

                    state = viewers[amount % len(viewers)]
                    fold_new(ledger, state)
                    ReadModel(ledger, CONFIG).advance(Follower.from_state(state))
                elif kind == "lean":
                    # A lean viewer starts from the view rows (when there are some of the
                    # day), or an older one goes on; it folds what is new and moves the
                    # stored read model on with its views, and lets go of what it stored.
                    model = ReadModel(ledger, CONFIG)
                    found = model.load_lean(AS_OF).follower
                    if found is not None and amount % 2 == 0:
                        leans.append(found)
                    if leans:
                        # Half of them take up the partnerships new events touch from the
                        # stored states (when the read model stands where that holds), the
                        # others from their histories: both are a replay.
                        stored = model.stored_states if amount < 2 else None
                        follower = caught_up(ledger, leans[amount % len(leans)], stored)
                        events = list(ledger.iter_events(trusted=True))
                        assert lean_figures(follower.view(AS_OF)) == lean_figures(
                            replay(events, AS_OF, config=CONFIG)
                        )
                        follower.sparklines(AS_OF, SPARK_POINTS, SPARK_STEP_DAYS)
                        if model.advance(follower, AS_OF) or model.put_views(follower, AS_OF):
                            follower.make_lean()
                assert_matches_the_events(ledger)
        finally:
            ledger.close()


def test_a_stale_viewer_never_moves_the_read_model_back(tmp_path: Path) -> None:
    store = parse_store_url(str(tmp_path / "ledger.sqlite"))
    with Ledger(store, create=True, clock=lambda: RECORDED) as ledger:
        assert ledger.record(LINES[:100]).ok
        behind = ReadModel(ledger, CONFIG).rebuild()
        assert ledger.record(LINES[100:200]).ok
        ahead, _ = ReadModel(ledger, CONFIG).start()
        assert ReadModel(ledger, CONFIG).load().state.last_position == ahead.last_position
        assert not ReadModel(ledger, CONFIG).advance(Follower.from_state(behind))
        assert ReadModel(ledger, CONFIG).load().state.last_position == ahead.last_position


def test_the_state_layout_is_pinned_to_its_format() -> None:
    # Adding or renaming a field of the fold's state changes what the read model holds:
    # bump projections.persist.STATE_FORMAT with it, and update this list.
    assert sorted(STATE_FIELDS) == [
        "alignment",
        "commitments",
        "end_reason",
        "ended_on",
        "ended_pos",
        "handle",
        "issues",
        "kind",
        "name",
        "outcomes",
        "owner",
        "recoveries",
        "registered_on",
        "registered_pos",
        "renegotiations",
        "revenue",
        "review_every_days",
        "reviews",
        "trust",
    ]


# -- refused and rebuilt ----------------------------------------------------------------------


def built(url: str) -> StoreConfig:
    store = record_samples(url)
    with Ledger(store) as ledger:
        ReadModel(ledger, CONFIG).rebuild()
        assert ReadModel(ledger, CONFIG).load().state is not None
    return store


def execute(store: StoreConfig, url: str, sql: str, *params: object) -> None:
    if is_postgres(url):
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql.replace("?", "%s"), params)
    else:
        with closing(sqlite3.connect(str(store.path))) as conn, conn:
            conn.execute(sql, params)


def restarted(store: StoreConfig) -> tuple[str | None, PortfolioState]:
    """Why a new viewer rebuilt the read model (None: it did not), and what it holds after."""
    with Ledger(store) as ledger:
        state, reason = ReadModel(ledger, CONFIG).start()
        assert portfolio_at(state, AS_OF) == replay(every_event(ledger), AS_OF)
        again = ReadModel(ledger, CONFIG).load()
        assert again.state is not None, again.reason  # rebuilt and stored
        return reason, state


def test_a_read_model_of_another_model_version_is_rebuilt(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = built(store_url)
    monkeypatch.setattr("trustledger.tui.service.readmodel.MODEL_VERSION", "99.0")
    reason, _ = restarted(store)
    assert reason is not None and "another model" in reason
    with Ledger(store) as ledger:
        assert ledger.read_store().read_meta()["key"] == model_key(CONFIG)
        assert "model 99.0" in model_key(CONFIG)


def test_a_read_model_of_another_configuration_is_rebuilt(store_url: str) -> None:
    store = built(store_url)
    other = ModelConfig(half_life_days=90)
    with Ledger(store) as ledger:
        loaded = ReadModel(ledger, other).load()
        assert loaded.state is None and "another model" in (loaded.reason or "")
        state, reason = ReadModel(ledger, other).start()
        assert reason is not None
        events = every_event(ledger)
        assert portfolio_at(state, AS_OF) == replay(events, AS_OF, config=other)


def test_a_read_model_of_another_store_is_rebuilt(tmp_path: Path) -> None:
    first = built(str(tmp_path / "first.sqlite"))
    second = another_store_with_its_read_model(first, tmp_path / "second.sqlite")
    reason, _ = restarted(second)
    assert reason is not None and "another store" in reason


def test_a_read_model_past_the_stores_end_is_rebuilt(tmp_path: Path) -> None:
    store = built(str(tmp_path / "ledger.sqlite"))
    meta = {"key": model_key(CONFIG), "position": SAMPLE_EVENTS + 5, "link": "x"}
    meta |= {"partnerships": 10, "max_day": 1}
    execute(
        store,
        str(store.path),
        f"UPDATE {META_TABLE} SET value=? WHERE name='state'",
        orjson.dumps(meta).decode(),
    )
    reason, _ = restarted(store)
    assert reason is not None and "another store" in reason


def test_a_damaged_row_is_detected_and_rebuilt(store_url: str) -> None:
    store = built(store_url)
    # One number changed inside a row: still valid JSON, still the right shape.
    execute(
        store,
        store_url,
        f"UPDATE {ROWS_TABLE} SET body=? WHERE handle='northwind'",
        orjson.dumps({"handle": "northwind", "name": "Someone Else"}),
    )
    reason, state = restarted(store)
    assert reason is not None and "damaged" in reason
    assert state.partnerships["northwind"].name != "Someone Else"


def test_view_rows_and_a_start_from_the_states_equal_a_replay(store_url: str) -> None:
    """On SQLite and PostgreSQL: the view rows a rebuild stores, and a lean start made from
    the stored states one row at a time for a later day, give a replay's lean portfolio."""
    store = built(store_url)
    with Ledger(store) as ledger:
        ReadModel(ledger, CONFIG).rebuild(as_of=AS_OF)
        events = every_event(ledger)
        stored = ReadModel(ledger, CONFIG).load_lean(AS_OF).follower
        later = AS_OF + timedelta(days=60)
        made = ReadModel(ledger, CONFIG).lean_from_states(later).follower
    assert stored is not None and made is not None
    assert lean_figures(stored.view(AS_OF)) == lean_figures(replay(events, AS_OF, config=CONFIG))
    assert lean_figures(made.view(later)) == lean_figures(replay(events, later, config=CONFIG))


def test_a_missing_row_is_detected_and_rebuilt(store_url: str) -> None:
    store = built(store_url)
    with Ledger(store) as ledger:
        ledger.read_store().drop_row("northwind")
    reason, state = restarted(store)
    assert reason is not None and "rows" in reason
    assert "northwind" in state.partnerships


class Planted:
    """Unpickling this would create the file ``marker`` (it never may)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (Path.write_text, (str(self.marker), "code ran"))  # type: ignore[return-value]


def test_a_row_holding_a_pickle_is_data_that_is_refused(store_url: str, tmp_path: Path) -> None:
    store = built(store_url)
    marker = tmp_path / "ran"
    body = pickle.dumps(Planted(marker))
    # Even with a digest that matches (someone who knows the format), it is only bytes.
    execute(
        store,
        store_url,
        f"UPDATE {ROWS_TABLE} SET body=?, digest=? WHERE handle='northwind'",
        body,
        row_digest("northwind", body),
    )
    reason, _ = restarted(store)
    assert reason is not None and "cannot be read" in reason
    assert not marker.exists()


def test_report_today_comes_from_the_read_model_and_a_past_day_from_the_events(
    tmp_path: Path,
) -> None:
    store = record_samples(tmp_path / "ledger.sqlite")
    service = LedgerService(store, clock=CLOCK)
    with Ledger(store) as ledger:
        events = every_event(ledger)
        assert ReadModel(ledger, CONFIG).load().state is None
    assert service.portfolio(TODAY, None, CONFIG) == replay(events, TODAY)
    with Ledger(store) as ledger:  # the report built the read model on its way
        assert ReadModel(ledger, CONFIG).load().state is not None
        assert ReadModel(ledger, CONFIG).load_lean(TODAY).follower is not None  # and views
    # The next report for today reads today's view rows: a lean portfolio, the same report.
    again = service.portfolio(TODAY, None, CONFIG)
    assert not any(view.detailed for view in again.partnerships)
    assert report_rows(again) == report_rows(replay(events, TODAY))
    past = TODAY - timedelta(days=200)
    assert service.portfolio(past, None, CONFIG) == replay(events, past)


def test_rebuild_command(store_url: str) -> None:
    record_samples(store_url)
    done = run_cli(store_url, "rebuild")
    assert done.code == 0, done.err
    assert done.out.strip() == f"rebuilt the read model: {SAMPLE_EVENTS} events, 10 partnerships"
    store = parse_store_url(store_url)
    with Ledger(store) as ledger:
        assert ReadModel(ledger, CONFIG).load().state is not None


def test_rebuild_of_a_read_only_store_says_why(tmp_path: Path) -> None:
    from tests.test_hardening_read_only import run_unprivileged

    directory = tmp_path / "media"
    directory.mkdir()
    store = record_samples(directory / "ledger.sqlite")
    assert store.path is not None
    store.path.chmod(0o444)
    directory.chmod(0o555)
    try:
        done = run_unprivileged(store.path, "rebuild")
        report = run_unprivileged(store.path, "report", "--format", "json")
    finally:
        directory.chmod(0o700)
        store.path.chmod(0o600)
    assert done.code == 2, done.err
    assert done.err.startswith("trustledger: cannot write the read model")
    assert len(done.err.strip().splitlines()) == 1
    # Reading still works: the report replays what it cannot keep.
    assert report.code == 0, report.err
    assert len(orjson.loads(report.out)) == 10


async def test_planted_cache_and_read_model_files_never_run_and_never_wedge_the_dashboard(
    sample_store: StoreConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from trustledger.tui.dashboard.screens.portfolio import PortfolioTable

    from tests.test_tui_support import make_app

    marker = tmp_path / "ran"
    planted = pickle.dumps(Planted(marker))
    # Where earlier versions kept a warm-start pickle: nothing reads the user cache now.
    cache = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    (cache / "trustledger" / "snapshots").mkdir(parents=True)
    for name in ("planted.pickle", "damaged.pickle"):
        (cache / "trustledger" / "snapshots" / name).write_bytes(planted[: len(planted) // 2])
    (cache / "trustledger" / "snapshots" / "planted.pickle").write_bytes(planted)
    # And a read model in the store whose rows are a pickle and a damaged row.
    with Ledger(sample_store) as ledger:
        ReadModel(ledger, CONFIG).rebuild()
    url = str(sample_store.path)
    execute(
        sample_store,
        url,
        f"UPDATE {ROWS_TABLE} SET body=?, digest=? WHERE handle='northwind'",
        planted,
        row_digest("northwind", planted),
    )
    execute(sample_store, url, f"UPDATE {ROWS_TABLE} SET body=x'00ff' WHERE handle='brightpath'")
    app = make_app(sample_store, warm_start=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.ready()
        await pilot.pause()
        assert app.screen.query_one(PortfolioTable).row_count == 10
    assert not marker.exists()
    with Ledger(sample_store) as ledger:  # the dashboard rebuilt it on its way in
        assert ReadModel(ledger, CONFIG).load().state is not None


# -- a lean follower takes up touched partnerships from the stored states ----------------


class Reads:
    """The histories and stored states a lean follower asks for while it folds."""

    def __init__(self, ledger: Ledger, model: ReadModel) -> None:
        self.ledger, self.model = ledger, model
        self.histories: list[str] = []
        self.stored: list[str] = []

    def history(self, handle: str) -> list:
        self.histories.append(handle)
        return self.ledger.history(handle, trusted=True)

    def states(self, handles: list[str], since: int, upto: int) -> dict:
        found = self.model.stored_states(handles, since, upto)
        self.stored += found
        return found

    def fold(self, follower: Follower) -> Follower:
        for batch in [every_event(self.ledger)]:
            follower.apply(batch, self.history, self.states)
        return follower


def assert_a_replay(follower: Follower, ledger: Ledger) -> None:
    events = every_event(ledger)
    assert follower.last_position == events[-1].position
    assert lean_figures(follower.view(AS_OF)) == lean_figures(replay(events, AS_OF, config=CONFIG))


def revenue(handles: list[str], amount: int) -> list:
    """A revenue line for each of ``handles``, on the tests' today."""
    from trustledger.tui.service.recording import located_lines

    return located_lines(
        "more.ndjson",
        [
            orjson.dumps(
                {
                    "type": "revenue_recorded",
                    "partnership": handle,
                    "period": "2026-11",
                    "amount": amount,
                    "occurred_on": TODAY.isoformat(),
                }
            ).decode()
            for handle in handles
        ],
    )


def lean_at_the_end(store: StoreConfig) -> tuple[Ledger, ReadModel, Follower]:
    """Every sample recorded, the read model rebuilt, and a lean follower from its views."""
    ledger = Ledger(store, create=True, clock=lambda: RECORDED)
    assert ledger.record(LINES).ok
    model = ReadModel(ledger, CONFIG)
    model.rebuild(as_of=AS_OF)
    follower = model.load_lean(AS_OF).follower
    assert follower is not None and follower.is_lean
    return ledger, model, follower


def test_a_lean_follower_folds_new_events_onto_the_stored_states(store_url: str) -> None:
    # A live view started from view rows held no partnership's state: each new event's
    # partnership was folded from its whole history. It is now taken from the stored
    # states, when the read model stands where they are still that partnership's state.
    ledger, model, follower = lean_at_the_end(parse_store_url(store_url))
    with ledger:
        assert ledger.record(revenue(["northwind", "vantage-retail", "papercraft"], 10)).ok
        reads = Reads(ledger, model)
        assert_a_replay(reads.fold(follower), ledger)
        assert sorted(reads.stored) == ["northwind", "papercraft", "vantage-retail"]
        assert reads.histories == []
        # Stored and let go: the states stored then are taken up for the next events, those
        # of the partnerships it held as well as the others'.
        follower.sparklines(AS_OF, SPARK_POINTS, SPARK_STEP_DAYS)
        assert model.advance(follower, AS_OF) and follower.make_lean()
        assert ledger.record(revenue(["northwind", "helix-cloud"], 20)).ok
        again = Reads(ledger, model)
        assert_a_replay(again.fold(follower), ledger)
        assert sorted(again.stored) == ["helix-cloud", "northwind"] and again.histories == []


def test_stored_states_past_the_follower_or_damaged_are_not_taken(store_url: str) -> None:
    store = parse_store_url(store_url)
    ledger, model, damaged = lean_at_the_end(store)
    with ledger:
        behind = model.load_lean(AS_OF).follower
        assert behind is not None
        assert ledger.record(revenue(["northwind", "papercraft"], 10)).ok
        # A row damaged (another name in it, its digest kept): that one from its history.
        position = damaged.last_position
        assert "northwind" in model.stored_states(["northwind"], position, position)
        execute(
            store,
            store_url,
            f"UPDATE {ROWS_TABLE} SET body=? WHERE handle=?",
            orjson.dumps({"handle": "northwind", "name": "Someone Else"}),
            "northwind",
        )
        assert model.stored_states(["northwind"], position, position) == {}
        reads = Reads(ledger, model)
        assert_a_replay(reads.fold(damaged), ledger)
        assert reads.stored == ["papercraft"] and reads.histories == ["northwind"]
        # Another viewer moved the read model past this follower: none is taken.
        ReadModel(ledger, CONFIG).rebuild(as_of=AS_OF)
        assert ledger.record(revenue(["helix-cloud"], 30)).ok
        late = Reads(ledger, model)
        assert_a_replay(late.fold(behind), ledger)
        assert late.stored == [] and sorted(late.histories) == [
            "helix-cloud",
            "northwind",
            "papercraft",
        ]


def test_no_stored_state_is_taken_from_a_store_without_a_read_model(store_url: str) -> None:
    store = parse_store_url(store_url)
    ledger, model, follower = lean_at_the_end(store)
    with ledger:
        position = follower.last_position
        assert set(model.stored_states(["northwind"], position, position)) == {"northwind"}
        for table in (ROWS_TABLE, META_TABLE):
            execute(store, store_url, f"DROP TABLE {table}")
        assert model.stored_states(["northwind"], position, position) == {}
        assert ledger.record(revenue(["northwind"], 10)).ok
        reads = Reads(ledger, model)
        assert_a_replay(reads.fold(follower), ledger)
        assert reads.stored == [] and reads.histories == ["northwind"]
