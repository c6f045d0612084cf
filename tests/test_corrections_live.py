"""Corrections in the live view and its warm start, over a real store.

The live follower folds new events as they arrive; a correction changes a partnership's
past, so the follower folds that partnership afresh from its history. After a warm start
from a snapshot taken before the correction, and after the live loop's own catch-up, the
state equals a full replay of the store with the correction applied.
"""

from __future__ import annotations

import threading
from datetime import date

from trustledger.domain.events import EventAmended, EventVoided, ReviewHeld
from trustledger.domain.ledger import Ledger, Located
from trustledger.domain.store import StoreConfig
from trustledger.projections import Follower, replay
from trustledger.tui.service.live import LedgerSource, LiveFollower
from trustledger.tui.service.warmstart import catch_up

from tests.samples import TODAY


def correct(store: StoreConfig) -> None:
    """Void a recent miss of brightpath and amend a review of papercraft."""
    review = ReviewHeld(
        partnership="papercraft",
        occurred_on=date(2026, 4, 8),
        id="papercraft-0008",
        scores={"vision": 5, "values": 5},
    )
    lines = [
        EventVoided(partnership="brightpath", event="brightpath-0030", reason="it was kept"),
        EventAmended(partnership="papercraft", event="papercraft-0008", reason="r", line=review),
    ]
    with Ledger(store) as ledger:
        result = ledger.record([Located("test", n, line) for n, line in enumerate(lines, 1)])
    assert result.ok, result.errors


def full_replay(store: StoreConfig):
    with Ledger(store) as ledger:
        return replay(list(ledger.iter_events()), TODAY)


def test_a_warm_start_from_before_a_correction_catches_up_to_it(sample_store) -> None:
    with Ledger(sample_store) as ledger:
        follower = Follower()
        catch_up(ledger, follower)
        snapshot = follower.dump()
    before = full_replay(sample_store)
    correct(sample_store)
    after = full_replay(sample_store)
    assert after.get("brightpath").trust > before.get("brightpath").trust
    assert after.get("papercraft").alignment != before.get("papercraft").alignment
    restored = Follower.load(snapshot)
    with Ledger(sample_store) as ledger:
        changed = catch_up(ledger, restored)
    assert changed == {"brightpath", "papercraft"}
    assert restored.view(TODAY) == after


def test_the_live_loop_shows_a_correction_recorded_meanwhile(sample_store) -> None:
    with Ledger(sample_store) as ledger:
        live = LiveFollower(
            LedgerSource(ledger, threading.Event()), lambda: TODAY, Follower().config
        )
        first = live.step(initial=True)
        assert first.picture.portfolio == full_replay(sample_store)
        correct(sample_store)
        update = live.step()
    assert update.changed == {"brightpath", "papercraft"}
    assert update.picture.portfolio == full_replay(sample_store)
