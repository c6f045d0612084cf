"""Properties of corrections in the projections: a voided event counts as if it had never
been recorded, an amended one as if its corrected line had been recorded in its place, and
what was known before a correction stays what it was.

For random histories (``tests.test_projections_streams.streams``) and random sets of voided
and amended events, every projection -- the portfolio (trust, alignment, status, alerts,
report rows), the trends and the explanation -- equals a replay of the same history with
those events left out or replaced (``--as-of`` alone), and equals a replay of the original
history when known at a time before the corrections (``--known-at``). The live follower,
fed the same events in batches, agrees with the replay.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from trustledger.domain.events import (
    CommitmentMade,
    EventAmended,
    EventLine,
    EventVoided,
    Recorded,
    ReviewHeld,
)
from trustledger.domain.ledger import Ledger, Located
from trustledger.domain.store import StoreConfig
from trustledger.projections import Follower, explain, replay, report_rows, trend
from trustledger.projections.corrections import corrected

from tests.test_projections_streams import (
    Stream,
    assert_close,
    days_around,
    score_maps,
    streams,
)

SETTINGS = settings(max_examples=60, deadline=None)


def with_ids(events: list[Recorded]) -> list[Recorded]:
    """The events with an id on each line (as the ledger stores them)."""
    return [
        Recorded(
            e.position,
            e.version,
            e.recorded_at,
            e.line.model_copy(update={"id": f"e{e.position}"}),
            e.link,
        )
        for e in events
    ]


def corrections_for(
    events: list[Recorded],
    voided: set[int],
    amended: dict[int, EventLine],
) -> list[Recorded]:
    """Correction events (recorded a day after the last event) voiding the events at the
    positions ``voided`` and amending those of ``amended`` to the given lines."""
    when = max(e.recorded_at for e in events) + timedelta(days=1)
    versions: dict[str, int] = {}
    for e in events:
        versions[e.partnership] = max(versions.get(e.partnership, 0), e.version)
    out: list[Recorded] = []
    targets = [(p, None) for p in sorted(voided)] + sorted(amended.items())
    for n, (position, line) in enumerate(targets):
        original = events[position - 1]
        handle = original.partnership
        versions[handle] += 1
        common = {
            "partnership": handle,
            "occurred_on": date(2030, 1, 1),
            "id": f"fix{n}",
            "actor": "auditor",
            "event": original.line.id,
            "reason": "recorded by mistake",
        }
        correction: EventLine = (
            EventVoided(**common) if line is None else EventAmended(**common, line=line)
        )
        out.append(
            Recorded(
                len(events) + n + 1, versions[handle], when + timedelta(seconds=n), correction, "x"
            )
        )
    return out


@st.composite
def corrected_histories(
    draw: st.DrawFn,
) -> tuple[list[Recorded], list[Recorded], list[Recorded], date]:
    """``(original events, corrections, the history as corrected, an as-of date)``.

    Voided: any events but registrations. Amended: reviews (other scores) and commitments
    (another weight), never one also voided.
    """
    events = with_ids(draw(streams(max_steps=30)).events)
    candidates = [e.position for e in events if e.type != "partnership_registered"]
    voided = set(draw(st.lists(st.sampled_from(candidates), max_size=6))) if candidates else set()
    amended: dict[int, EventLine] = {}
    for e in events:
        if e.position in voided or draw(st.integers(0, 3)) != 0:
            continue
        if isinstance(e.line, ReviewHeld):
            amended[e.position] = e.line.model_copy(update={"scores": draw(score_maps)})
        elif isinstance(e.line, CommitmentMade):
            amended[e.position] = e.line.model_copy(update={"weight": draw(st.integers(1, 5))})
    fixes = corrections_for(events, voided, amended)
    as_corrected = [
        Recorded(e.position, e.version, e.recorded_at, amended[e.position], e.link)
        if e.position in amended
        else e
        for e in events
        if e.position not in voided
    ]
    as_of = draw(days_around(events))
    return events, fixes, as_corrected, as_of


@SETTINGS
@given(corrected_histories())
def test_as_of_alone_equals_a_replay_of_the_corrected_history(case) -> None:
    events, fixes, as_corrected, as_of = case
    with_fixes = events + fixes
    got = replay(with_fixes, as_of)
    want = replay(as_corrected, as_of)
    assert got == want
    assert report_rows(got) == report_rows(want)
    # Read once, with the store's corrections given first (as the report reads a store).
    assert replay(iter(with_fixes), as_of, corrections=fixes) == want


@SETTINGS
@given(corrected_histories())
def test_known_at_before_the_corrections_equals_the_original(case) -> None:
    events, fixes, _, as_of = case
    before = max(e.recorded_at for e in events)
    assert replay(events + fixes, as_of, before) == replay(events, as_of, before)
    assert report_rows(replay(events + fixes, as_of, before)) == report_rows(replay(events, as_of))


@SETTINGS
@given(corrected_histories())
def test_trends_and_explanations_follow_the_corrections(case) -> None:
    events, fixes, as_corrected, as_of = case
    for handle in sorted({e.partnership for e in events}):
        got = trend(events + fixes, as_of, 6, 45, partnership=handle)
        assert got == trend(as_corrected, as_of, 6, 45, partnership=handle)
        before = max(e.recorded_at for e in events)
        assert trend(events + fixes, as_of, 6, 45, known_at=before, partnership=handle) == trend(
            events, as_of, 6, 45, partnership=handle
        )
        rows = explain(events + fixes, as_of, partnership=handle)
        plain = explain(as_corrected, as_of, partnership=handle)
        # The same movers and totals; the corrections are named on rows of their own.
        named = [row for row in rows if row.type in ("event_voided", "event_amended")]
        registered = next(e.occurred_on for e in events if e.partnership == handle)
        if registered <= as_of:  # (before registration there is nothing to explain)
            assert len(named) == len([f for f in fixes if f.partnership == handle])
        movers = [row for row in rows if row.type not in ("event_voided", "event_amended")]
        assert [(r.position, r.delta_trust, r.trust, r.alignment) for r in movers] == [
            (r.position, r.delta_trust, r.trust, r.alignment) for r in plain
        ]


@SETTINGS
@given(corrected_histories(), st.integers(1, 7))
def test_the_follower_fed_in_batches_agrees_with_the_replay(case, size) -> None:
    events, fixes, as_corrected, _ = case
    everything = events + fixes
    follower = Follower()

    def history(handle: str) -> list[Recorded]:
        return [e for e in everything if e.partnership == handle]

    for start in range(0, len(everything), size):
        follower.apply(everything[start : start + size], history)
    day = max(e.occurred_on for e in as_corrected) + timedelta(days=3)
    assert_close(follower.view(day), replay(as_corrected, day))


def test_the_stream_step_leaves_a_history_without_corrections_as_it_is() -> None:
    stream = Stream()
    stream.register("p0", date(2025, 1, 1))
    stream.review("p0", date(2025, 2, 1), {"vision": 4})
    events = with_ids(stream.events)
    assert corrected(events) is events
    known = datetime.max.replace(tzinfo=events[0].recorded_at.tzinfo)
    assert list(corrected(events, known)) == events


# -- through the ledger: the rules accept a closed set of voids, the report follows -----------


def dependents(events: list[Recorded], chosen: set[int]) -> set[int]:
    """``chosen`` with every later event that relies on one of them (a commitment's
    renegotiations, outcome and issues; an issue's resolution), so the set may be voided."""
    found = set(chosen)
    changed = True
    while changed:
        changed = False
        made = {
            (e.partnership, e.line.commitment)  # type: ignore[attr-defined]
            for e in events
            if e.position in found and e.type == "commitment_made"
        }
        raised = {
            (e.partnership, e.line.issue)  # type: ignore[attr-defined]
            for e in events
            if e.position in found and e.type == "issue_raised"
        }
        for e in events:
            if e.position in found:
                continue
            line: Any = e.line
            about = getattr(line, "commitment", None)
            relies = (e.type != "commitment_made" and (e.partnership, about) in made) or (
                e.type == "issue_resolved" and (e.partnership, line.issue) in raised
            )
            if relies:
                found.add(e.position)
                changed = True
    return found


@settings(max_examples=25, deadline=None)
@given(streams(max_steps=25), st.data())
def test_the_ledger_accepts_voids_and_the_report_equals_a_store_without_them(stream, data):
    events = with_ids(stream.events)
    candidates = [e.position for e in events if e.type != "partnership_registered"]
    chosen = (
        set(data.draw(st.lists(st.sampled_from(candidates), max_size=4))) if candidates else set()
    )
    voided = dependents(events, chosen)
    order = data.draw(st.permutations(sorted(voided)))
    far = date(2100, 1, 1)

    def ledger() -> Ledger:
        return Ledger(
            StoreConfig(kind="sqlite", path=Path(":memory:")), create=True, today=lambda: far
        )

    with ledger() as corrected_store, ledger() as clean_store:
        lines = [Located("h", n, e.line) for n, e in enumerate(events, 1)]
        assert corrected_store.record(lines).ok
        voids = [
            Located(
                "fix",
                n,
                EventVoided(
                    partnership=events[p - 1].partnership,
                    event=f"e{p}",
                    reason="recorded by mistake",
                    occurred_on=far,
                ),
            )
            for n, p in enumerate(order, 1)
        ]
        result = corrected_store.record(voids)
        assert result.ok, result.errors
        kept = [
            Located("h", n, e.line) for n, e in enumerate(events, 1) if e.position not in voided
        ]
        assert clean_store.record(kept).ok
        as_of = max(e.occurred_on for e in events)
        got = report_rows(replay(list(corrected_store.iter_events()), as_of))
        want = report_rows(replay(list(clean_store.iter_events()), as_of))
    # Review alerts name a recording position, which differs between the two stores.
    assert [strip_positions(row) for row in got] == [strip_positions(row) for row in want]


def strip_positions(row: dict[str, Any]) -> dict[str, Any]:
    details = [{k: v for k, v in a.items() if k != "subject"} for a in row.get("alert_details", [])]
    return {**row, "alert_details": details}
