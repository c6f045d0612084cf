"""Deciding from saved decision states is deciding from the histories.

Random inputs over a few partnerships, recorded one after another into two stores: one
decides each append from the saved decision states, the other is made to read every
partnership's history. Commitments and issues are drawn from small pools of handles, so
that lines make, settle, renegotiate and refer to commitments already settled, raise issues
twice and resolve them again, and end partnerships before more lines come. Both stores must
give the same verdict on every input (the same error messages, in the same order), store
the same events byte for byte, and save the same decision states.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from trustledger.domain.backends import DECISIONS_TABLE
from trustledger.domain.ledger import Ledger, located_lines
from trustledger.domain.store import StoreConfig, parse_store_url

PARTNERSHIPS = ("alpha", "beta")
COMMITMENTS = ("c1", "c2", "c3")
ISSUES = ("i1", "i2")
START = date(2026, 3, 2)
RECORDED = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
#: The kinds of line drawn, as often as they appear here.
KINDS = [
    *["made"] * 6, *["kept", "missed"] * 4, *["raised", "renegotiated", "resolved"] * 2,
    "review", "revenue", "ended",
]  # fmt: skip


def line_fields(draw: st.DrawFn, made: set[str], raised: set[str]) -> dict[str, Any]:
    """One line's own fields (its type among them), with no day, id or partnership yet:
    mostly on the commitments and issues the earlier lines made (``made``, ``raised``), so
    that most inputs pass and settled commitments are met again."""
    commitment = st.sampled_from(sorted(made) or COMMITMENTS)
    issue = st.sampled_from(sorted(raised) or ISSUES)
    kind = draw(st.sampled_from(KINDS))
    if kind == "made":
        made.add(key := draw(st.sampled_from(COMMITMENTS)))
        return {"type": "commitment_made", "commitment": key, "by": "us",
                "summary": "Do it", "due_in": draw(st.integers(0, 60))}  # fmt: skip
    if kind in ("kept", "missed"):
        return {"type": f"commitment_{kind}", "commitment": draw(commitment)}
    if kind == "renegotiated":
        return {"type": "commitment_renegotiated", "commitment": draw(commitment),
                "due_in": draw(st.integers(0, 60))}  # fmt: skip
    if kind == "raised":
        about = draw(st.none() | commitment)
        raised.add(key := draw(st.sampled_from(ISSUES)))
        fields = {"type": "issue_raised", "issue": key, "summary": "Late"}
        return fields if about is None else {**fields, "commitment": about}
    if kind == "resolved":
        return {"type": "issue_resolved", "issue": draw(issue), "resolution": "Done"}
    if kind == "review":
        return {"type": "review_held", "scores": {"vision": draw(st.integers(1, 5))}}
    if kind == "revenue":
        return {"type": "revenue_recorded", "period": "2026-10", "amount": draw(st.integers(1, 9))}
    return {"type": "partnership_ended", "reason": "Over"}


@st.composite
def inputs(draw: st.DrawFn) -> list[list[str]]:
    """Several inputs, each of a few lines on random partnerships, days moving forward."""
    made: dict[str, set[str]] = {handle: set() for handle in PARTNERSHIPS}
    raised: dict[str, set[str]] = {handle: set() for handle in PARTNERSHIPS}
    case: list[list[str]] = []
    number = 0
    for n in range(draw(st.integers(3, 10))):
        day = START + timedelta(days=7 * (n + 1))
        lines = []
        for _ in range(draw(st.integers(1, 2))):
            handle = draw(st.sampled_from(PARTNERSHIPS))
            fields = line_fields(draw, made[handle], raised[handle])
            number += 1
            due_in = fields.pop("due_in", None)
            if due_in is not None:
                fields["due"] = (day + timedelta(days=due_in)).isoformat()
            fields.update(
                partnership=handle, occurred_on=day.isoformat(), id=f"e-{number}", actor="tester"
            )
            lines.append(json.dumps(fields))
        case.append(lines)
    return case


def registered(path: Path) -> StoreConfig:
    store = parse_store_url(str(path))
    lines = [
        json.dumps({"type": "partnership_registered", "partnership": handle, "name": handle,
                    "occurred_on": START.isoformat(), "id": f"r-{handle}", "actor": "tester"})
        for handle in PARTNERSHIPS
    ]  # fmt: skip
    with Ledger(store, create=True, clock=lambda: RECORDED) as ledger:
        assert ledger.record(located_lines("register.ndjson", lines)).ok
    return store


def stored(ledger: Ledger) -> tuple[list[bytes], dict[str, tuple[int, bytes]]]:
    events = [row.state for row in ledger.read_raw(0, 10_000)]
    with ledger.backend.datastore.transaction(commit=False) as c:  # type: ignore[attr-defined]
        c.execute(f"SELECT handle, version, state FROM {DECISIONS_TABLE}")
        decisions = {handle: (version, bytes(state)) for handle, version, state in c.fetchall()}
    return events, decisions


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=inputs())
def test_saved_states_decide_as_the_histories_do(tmp_path: Path, case: list[list[str]]) -> None:
    run = tmp_path / f"run-{len(list(tmp_path.iterdir()))}"
    run.mkdir()
    from_saved, from_history = registered(run / "saved.sqlite"), registered(run / "history.sqlite")
    saw_saved_state = False
    for n, lines in enumerate(case):
        clock = RECORDED + timedelta(minutes=n + 1)
        verdicts = []
        for store, history in ((from_saved, False), (from_history, True)):
            with Ledger(store, clock=lambda c=clock: c) as ledger:
                if history:
                    ledger._from_decision = lambda handle, saved: None  # type: ignore[method-assign]
                else:
                    saw_saved_state |= bool(ledger.backend.decisions(list(PARTNERSHIPS)))
                result = ledger.record(located_lines(f"input-{n}.ndjson", lines))
                verdicts.append((result.ok, [e.message for e in result.errors], result.recorded))
        assert verdicts[0] == verdicts[1], lines
    assert saw_saved_state
    with Ledger(from_saved) as ours, Ledger(from_history) as theirs:
        assert stored(ours) == stored(theirs)
