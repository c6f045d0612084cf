"""Corrections in the live view and the shared read model, over a real store.

The live follower folds new events as they arrive; a correction changes a partnership's
past, so the follower folds that partnership afresh from its history. The shared read model
(what is known now) does the same when it moves on, and a rebuild applies every correction:
after a start from a read model stored before the correction, after a rebuild, and after the
live loop's own catch-up, the state equals a full replay of the store with the correction
applied.
"""

from __future__ import annotations

import threading
from datetime import date

from trustledger.domain.events import EventAmended, EventVoided, ReviewHeld
from trustledger.domain.ledger import Ledger, Located
from trustledger.domain.store import StoreConfig
from trustledger.projections import Follower, ModelConfig, portfolio_at, replay, report_rows
from trustledger.projections.persist import partnership_data
from trustledger.tui.service.ledger_service import LedgerService
from trustledger.tui.service.live import LedgerSource, LiveFollower
from trustledger.tui.service.readmodel import ReadModel

from tests.samples import TODAY
from tests.test_tui_support import CLOCK

CONFIG = ModelConfig()


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


def test_the_read_model_stored_before_a_correction_moves_on_to_it(sample_store) -> None:
    with Ledger(sample_store) as ledger:
        ReadModel(ledger, CONFIG).rebuild()  # stored before the correction
    before = full_replay(sample_store)
    correct(sample_store)
    after = full_replay(sample_store)
    assert after.get("brightpath").trust > before.get("brightpath").trust
    assert after.get("papercraft").alignment != before.get("papercraft").alignment
    with Ledger(sample_store) as ledger:
        state, reason = ReadModel(ledger, CONFIG).start()
        assert reason is None  # went on from the stored read model, not a rebuild
        assert portfolio_at(state, TODAY) == after
        # The corrected partnerships' stored rows were moved on: a fresh start loads them.
        stored = ReadModel(ledger, CONFIG).load().state
        assert stored is not None and stored.last_position == state.last_position
        for handle in ("brightpath", "papercraft"):
            assert partnership_data(stored.partnerships[handle]) == partnership_data(
                state.partnerships[handle]
            )
        assert portfolio_at(stored, TODAY) == after
        # A rebuild applies every correction too.
        assert portfolio_at(ReadModel(ledger, CONFIG).rebuild(), TODAY) == after
    # The report for today, from the read model (a lean portfolio: no history held), shows
    # what a full replay shows.
    today = LedgerService(sample_store, clock=CLOCK).portfolio(TODAY, None, CONFIG)
    assert report_rows(today) == report_rows(after)


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
