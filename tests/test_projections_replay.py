"""Replay with time (--as-of, --known-at) and following the store, checked with hypothesis."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from trustledger.domain.events import PartnershipRegistered, Recorded
from trustledger.projections import (
    Follower,
    ModelConfig,
    PortfolioState,
    fold,
    portfolio_at,
    replay,
    report_rows,
    select,
    sparklines,
)
from trustledger.projections.persist import BadStateData, partnership_data, partnership_from_data

from tests.test_projections_streams import (
    BASE_DAY,
    Stream,
    assert_close,
    days_around,
    last_day,
    streams,
)

SETTINGS = settings(max_examples=120, deadline=None)


def occurred_by(events: list[Recorded], as_of: date) -> list[Recorded]:
    return [recorded for recorded in events if recorded.occurred_on <= as_of]


# -- as-of ------------------------------------------------------------------------------------


@SETTINGS
@given(streams(), st.data())
def test_as_of_equals_a_store_holding_only_the_events_that_occurred_by_then(
    stream: Stream, data: st.DataObject
) -> None:
    as_of = data.draw(days_around(stream.events))
    only_then = occurred_by(stream.events, as_of)
    expected = replay(only_then, as_of)
    assert replay(stream.events, as_of) == expected
    # The same answer from a state that folded everything, later events included: the
    # facts are filtered by the day they count from (the path a follower takes).
    assert_close(portfolio_at(fold(stream.events), as_of), expected)


@SETTINGS
@given(streams(), st.data())
def test_known_at_ignores_events_recorded_later(stream: Stream, data: st.DataObject) -> None:
    first = stream.events[0].recorded_at
    span = int((stream.clock - first).total_seconds())
    known_at = first + timedelta(seconds=data.draw(st.integers(-60, span + 60)))
    as_of = data.draw(days_around(stream.events))
    known = [recorded for recorded in stream.events if recorded.recorded_at <= known_at]
    assert replay(stream.events, as_of, known_at=known_at) == replay(
        known, as_of, known_at=known_at
    )
    assert list(select(stream.events, as_of, known_at)) == occurred_by(known, as_of)


def test_known_at_accepts_naive_times_as_utc() -> None:
    stream = Stream()
    registration = PartnershipRegistered(partnership="acme", name="Acme", occurred_on=BASE_DAY)
    stream.add(registration, recorded_at=datetime(2024, 3, 1, 12, 0, tzinfo=UTC))
    as_of = BASE_DAY + timedelta(days=100)
    assert replay(stream.events, as_of, known_at=datetime(2024, 3, 1, 11, 59)).partnerships == ()
    assert len(replay(stream.events, as_of, known_at=datetime(2024, 3, 1, 12, 0)).partnerships) == 1


def test_an_open_commitment_is_open_as_of_a_day_before_its_outcome() -> None:
    stream = Stream()
    stream.register("acme", BASE_DAY)
    stream.commit("acme", "c1", BASE_DAY, due=BASE_DAY + timedelta(days=10), weight=3)
    stream.renegotiate("acme", "c1", BASE_DAY + timedelta(days=5), BASE_DAY + timedelta(days=40))
    stream.keep("acme", "c1", BASE_DAY + timedelta(days=20))
    at = {
        offset: replay(stream.events, BASE_DAY + timedelta(days=offset)).partnerships[0]
        for offset in (3, 12, 19, 20)
    }
    assert at[3].commitments[0].stage == "open"
    assert at[3].commitments[0].due == BASE_DAY + timedelta(days=10)
    assert at[12].commitments[0].due == BASE_DAY + timedelta(days=40)
    assert at[12].commitments[0].stage == "open"  # renegotiated before it fell due
    assert at[19].trust == 0.5 and at[19].counts.open == 1
    assert at[20].commitments[0].stage == "kept" and at[20].trust == pytest.approx(4 / 5)


def test_as_of_in_the_future_shows_what_silence_would_do() -> None:
    stream = Stream()
    stream.register("acme", BASE_DAY)
    stream.commit("acme", "c1", BASE_DAY, weight=5)
    stream.keep("acme", "c1", BASE_DAY)
    now = replay(stream.events, BASE_DAY).partnerships[0]
    later = replay(stream.events, BASE_DAY + timedelta(days=3650)).partnerships[0]
    assert now.trust == pytest.approx(6 / 7)
    assert 0.5 < later.trust < now.trust


# -- following ----------------------------------------------------------------------------------


@SETTINGS
@given(streams(), st.data())
def test_following_after_any_split_equals_one_full_replay(
    stream: Stream, data: st.DataObject
) -> None:
    events = stream.events
    cuts = sorted(data.draw(st.lists(st.integers(0, len(events)), max_size=6)))
    follower = Follower()
    changed: set[str] = set()
    start = 0
    for cut in [*cuts, len(events)]:
        changed |= follower.apply(events[start:cut])
        start = cut
    assert follower.last_position == len(events)
    assert changed == {r.line.partnership for r in events}
    full = fold(events)
    for as_of in (last_day(events), data.draw(days_around(events))):
        assert follower.view(as_of) == portfolio_at(full, as_of)
    as_of = last_day(events) + timedelta(days=data.draw(st.integers(0, 400)))
    assert follower.view(as_of) == replay(events, as_of)


@SETTINGS
@given(streams(), st.data())
def test_views_between_batches_match_replays_of_the_prefix(
    stream: Stream, data: st.DataObject
) -> None:
    """The cached views of a follower never go stale as batches arrive."""
    events = stream.events
    as_of = last_day(events) + timedelta(days=30)
    follower = Follower()
    start = 0
    for cut in sorted(data.draw(st.lists(st.integers(0, len(events)), max_size=5))):
        follower.apply(events[start:cut])
        start = cut
        assert follower.view(as_of) == replay(events[:cut], as_of)
    follower.apply(events[start:])
    assert follower.view(as_of) == replay(events, as_of)


@SETTINGS
@given(streams(), st.data())
def test_a_follower_from_stored_data_continues_like_a_cold_one(
    stream: Stream, data: st.DataObject
) -> None:
    """The read model's round trip: a state turned into JSON and back, then fed the rest
    (some of it again), answers exactly as a replay of every event."""
    events = stream.events
    cut = data.draw(st.integers(0, len(events)))
    overlap = data.draw(st.integers(0, cut))
    first = fold(events[:cut])
    restored = PortfolioState(first.config)
    for handle, ps in first.partnerships.items():
        text = orjson.dumps(partnership_data(ps))
        restored.partnerships[handle] = partnership_from_data(orjson.loads(text), first.config)
    restored.last_position, restored.max_day = first.last_position, first.max_day
    warm = Follower.from_state(restored)
    assert warm.last_position == cut
    warm.apply(events[overlap:])  # re-delivered events are skipped
    as_of = last_day(events) + timedelta(days=1)
    assert warm.view(as_of) == replay(events, as_of)
    assert report_rows(warm.view(as_of)) == report_rows(replay(events, as_of))
    assert warm.sparklines(as_of, 4, 30) == sparklines(fold(events), as_of, 4, 30)


def test_stored_data_of_another_shape_is_refused_as_data() -> None:
    stream = Stream()
    stream.register("acme", BASE_DAY)
    ps = fold(stream.events).partnerships["acme"]
    good = partnership_data(ps)
    config = ModelConfig()
    assert partnership_data(partnership_from_data(good, config)) == good
    for bad in (
        None,
        [],
        {**good, "trust": [1, 2]},
        {**good, "handle": 7},
        {**good, "commitments": [[1, 2]]},
        {k: v for k, v in good.items() if k != "issues"},
        {**good, "registered": ["2024-01-01", 1]},
    ):
        with pytest.raises(BadStateData):
            partnership_from_data(bad, config)


def test_events_of_unregistered_partnerships_are_skipped() -> None:
    stream = Stream()
    stream.register("acme", BASE_DAY)
    orphan = Stream()
    orphan.register("ghost", BASE_DAY)
    orphan.commit("ghost", "c1", BASE_DAY)
    stream.add(orphan.events[1].line)
    follower = Follower()
    assert follower.apply(stream.events) == {"acme"}
    assert follower.view(BASE_DAY).handles == ["acme"]


@settings(max_examples=60, deadline=None)
@given(streams(), st.data())
def test_a_followers_sparklines_match_the_portfolio_ones(
    stream: Stream, data: st.DataObject
) -> None:
    events = stream.events
    as_of = last_day(events)
    follower = Follower()
    start = 0
    for cut in sorted(data.draw(st.lists(st.integers(0, len(events)), max_size=4))):
        follower.apply(events[start:cut])
        start = cut
        assert follower.sparklines(as_of, 4, 30) == sparklines(fold(events[:cut]), as_of, 4, 30)
    follower.apply(events[start:])
    assert follower.sparklines(as_of, 4, 30) == sparklines(fold(events), as_of, 4, 30)


@SETTINGS
@given(streams(), st.data())
def test_a_followers_portfolios_stay_as_they_were_and_read_one_by_one_as_a_whole(
    stream: Stream, data: st.DataObject
) -> None:
    """A follower's portfolio keeps its figures by difference and makes its views (with
    their revenue shares) when read: one read by handle equals the one in ``partnerships``,
    the partnerships carrying a concentration alert are named, and later batches leave an
    earlier portfolio as it was."""
    events = stream.events
    as_of = data.draw(days_around(events))
    follower = Follower()
    shown = []
    start = 0
    for cut in [*sorted(data.draw(st.lists(st.integers(0, len(events)), max_size=5))), len(events)]:
        follower.apply(events[start:cut])
        start = cut
        portfolio = follower.view(as_of)
        expected = portfolio_at(fold(events[:cut]), as_of)
        # Read some views one by one first: they are made on their own.
        for handle in data.draw(st.lists(st.sampled_from(["p0", "p1", "p2", "nobody"]))):
            assert portfolio.get(handle) == expected.get(handle)
        shown.append((portfolio, cut))
    for portfolio, cut in shown:
        expected = portfolio_at(fold(events[:cut]), as_of)
        assert portfolio == expected
        assert (
            portfolio.concentrated
            == expected.concentrated
            == {
                view.handle
                for view in expected.partnerships
                if any(alert.kind == "concentration" for alert in view.alerts)
            }
        )
        assert dict(portfolio.by_handle) == {view.handle: view for view in expected.partnerships}
        assert [portfolio.get(view.handle) for view in expected.partnerships] == list(
            expected.partnerships
        )


def test_a_followers_largest_share_and_concentration_move_with_each_revenue() -> None:
    """The largest share goes to the first handle among equal revenues, as a walk in handle
    order finds it; concentration alerts come and go as revenue moves the shares, and an
    ended partnership carries none."""
    stream = Stream()
    for handle in ("a", "b", "c", "d"):
        stream.register(handle, BASE_DAY)
    period = f"{BASE_DAY:%Y-%m}"
    follower = Follower()
    follower.apply(stream.events)
    steps = [
        ("c", 100.0),  # c alone: 100%, concentrated
        ("b", 100.0),  # b and c tie at 50%: b is named
        ("a", 50.0),
        ("d", 400.0),  # d holds 62.5%
        ("end", 0.0),  # d ends: its share stays the largest, with no alert
        ("a", 1000.0),
    ]
    for handle, amount in steps:
        if handle == "end":
            record = stream.end("d", BASE_DAY)
        else:
            record = stream.revenue(handle, period, amount, BASE_DAY)
        follower.apply([record])
        portfolio = follower.view(BASE_DAY)
        expected = replay(stream.events, BASE_DAY)
        assert portfolio == expected
        assert portfolio.concentrated == expected.concentrated
    first = replay(stream.events[:5], BASE_DAY)
    assert (first.largest_revenue_partnership, first.concentrated) == ("c", {"c"})
    tie = replay(stream.events[:6], BASE_DAY)
    assert (tie.largest_revenue_partnership, tie.largest_revenue_share) == ("b", 0.5)
    ended = replay(stream.events[:9], BASE_DAY)
    assert ended.largest_revenue_partnership == "d"
    assert ended.concentrated == frozenset()
    assert follower.view(BASE_DAY).concentrated == {"a"}
