"""The exact rows a ``record`` stores: every event's stored state and chain link, and every
saved decision state, byte for byte, for a fixed input at a pinned clock.

The events' digests below were taken from the ledger as it stood before the recording path
was made faster, the decision states' when their layout became ``DECISION_FORMAT`` 3 (days
as ordinals, open commitments by handle, settled ones as a sorted list of handles), checked
to hold what layout 2 held for the same inputs; a change that alters one stored
byte (a key order, a number's spelling, a link) fails here, so speed work on the recording
path cannot change what is stored. The
inputs go through every way a line is decided: the samples into a new store, ordinary
lines decided from the saved decision states, lines without id, actor or day (filled in),
a registration and its events in one input, a correction (decided from the history) with
ordinary lines after it, a line already recorded, and a later append after all of those.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from trustledger.domain import ledger as ledger_module
from trustledger.domain.ledger import Ledger, located_lines

from tests.samples import RECORDED, TODAY, record_samples

LATER = RECORDED + timedelta(hours=2, microseconds=123456)
LAST = datetime(2026, 11, 21, 9, 0, 0, 500, tzinfo=UTC)


def ev(type_: str, partnership: str, **fields: Any) -> str:
    return json.dumps({"type": type_, "partnership": partnership, **fields})


SECOND = [
    # Without id, actor or day: the ledger fills them in.
    ev("commitment_made", "northwind", commitment="s-one", by="us", summary="One",
       due="2026-12-31"),
    ev("commitment_made", "helix-cloud", commitment="s-two", by="partner", summary="Two  ",
       due="2027-01-15", weight=4, note="  spaced\tnote "),
    ev("issue_raised", "brightpath", issue="s-issue", summary="Late", severity="high",
       commitment="onboarding", partner_card=True),
    ev("review_held", "northwind", scores={"vision": 4, "risk": 2},
       partner_scores={"values": 5}),
    ev("revenue_recorded", "meridian-health", period="2026-11", amount=1234.5, currency="EUR"),
    ev("revenue_recorded", "meridian-health", period="2026-10", amount=7),
    ev("revenue_recorded", "keystone", period="2026-11", amount=1e14, occurred_on="2026-11-02"),
    # A registration and its events in one input.
    ev("partnership_registered", "s-newco", name="New Co", kind="other", owner="sam",
       review_every_days=30, occurred_on="2026-11-01", id="s-newco-1"),
    ev("commitment_made", "s-newco", commitment="kickoff", by="us", summary="Kick off",
       due="2026-11-30", occurred_on="2026-11-03", id="s-newco-2", actor="  dana  "),
    ev("commitment_renegotiated", "s-newco", commitment="kickoff", due="2026-12-15",
       reason="holidays", occurred_on="2026-11-05", id="s-newco-3"),
    ev("issue_raised", "s-newco", issue="scope", summary="Scope creep",
       occurred_on="2026-11-06T10:00:00+09:00", recorded_at="2020-01-01T00:00:00Z"),
    # A correction: its partnership is decided from the history, then an ordinary line.
    ev("event_voided", "northwind", event="northwind-0004", reason="typed twice", id="s-void"),
    ev("revenue_recorded", "northwind", period="2026-11", amount=10, id="s-nw-rev"),
    # Already recorded (same content): counted, not stored again.
    ev("commitment_made", "s-newco", commitment="kickoff", by="us", summary="Kick off",
       due="2026-11-30", occurred_on="2026-11-03", id="s-newco-2"),
]  # fmt: skip

THIRD = [
    # Decided from the decision states the second input saved.
    ev("commitment_kept", "northwind", commitment="s-one", id="t-1"),
    ev("commitment_missed", "helix-cloud", commitment="s-two", id="t-2"),
    ev("issue_resolved", "brightpath", issue="s-issue", resolution="Sorted", id="t-3"),
    ev("commitment_kept", "s-newco", commitment="kickoff", id="t-4"),
    ev("issue_resolved", "s-newco", issue="scope", resolution="Agreed", id="t-5"),
    ev("partnership_ended", "s-newco", reason="done", id="t-6"),
    ev("revenue_recorded", "s-newco", period="2026-11", amount=3, id="t-7"),
    ev("revenue_recorded", "northwind", period="2026-12", amount=0.1, id="t-8"),
]

#: sha256 of every stored event row, and of every saved decision state, after each input.
EXPECTED = {
    "samples": (
        "2981533e1c29ec26db541bd93294285429ecbd94586394d981cdfcfa3a70a1eb",
        "0027f477fe74a2829eb66c2b2e7452a9788952a7f086afb88472686f466a6d1a",
    ),
    "second": (
        "7bdcdb18c8341ff254814eb02d70ae8060e7ca6f3af59942c87632c73d777776",
        "f79be5a6a8856713c6637c46349f908f947d41ed4a938a815da4e304de09638f",
    ),
    "third": (
        "d79c54a8e6fd050cd959428ab5d79929190e53ddd2613f82b0e85e732a613068",
        "f5b1c70b650986ace2e90a3d3de09e854e66167436a159d61ca754ec633eaec0",
    ),
}


def digests(ledger: Ledger) -> tuple[str, str]:
    events = hashlib.sha256()
    for row in ledger.read_raw(0, 100_000):
        events.update(f"{row.position}|{row.partnership}|{row.version}|{row.topic}|".encode())
        events.update(row.state + b"\n")
    decisions = hashlib.sha256()
    saved = ledger.backend.decisions(ledger.handles())
    for handle in sorted(saved):
        version, state, _ = saved[handle]
        decisions.update(f"{handle}|{version}|".encode() + state + b"\n")
    return events.hexdigest(), decisions.hexdigest()


def test_the_stored_rows_are_exactly_the_same(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    counter = iter(range(1, 1_000_000))
    monkeypatch.setattr(
        ledger_module,
        "new_ids",
        lambda n, at: [str(uuid.UUID(int=next(counter))) for _ in range(n)],
    )
    store = record_samples(store_url)
    found: dict[str, tuple[str, str]] = {}
    with Ledger(store, clock=lambda: RECORDED, today=lambda: TODAY) as ledger:
        found["samples"] = digests(ledger)
    for name, lines, clock in (("second", SECOND, LATER), ("third", THIRD, LAST)):
        with Ledger(store, clock=lambda c=clock: c, today=lambda: TODAY) as ledger:
            result = ledger.record(located_lines(f"{name}.ndjson", lines), actor="tester")
            assert result.ok, result.errors
            found[name] = digests(ledger)
    assert result.recorded == len(THIRD)
    assert found == EXPECTED
