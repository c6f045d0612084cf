"""View rows read in two steps (``projections/stored_views.py``): the figures a portfolio is
counted, filtered and ordered by from each row's head at once, the rest of its view from the
tail when first asked for.

A row read that way gives back the lean view and sparkline it was made from; a follower
started from such rows shows the same portfolio before and after its views are made, and
makes only the views it is asked for; a tail of another shape is refused when it is read,
naming its row, and a start that finds one goes on from the stored states."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import date

import pytest
from trustledger.domain.glance import glance
from trustledger.domain.ledger import Ledger
from trustledger.domain.readstore import VIEWS_TABLE
from trustledger.projections import Follower, ModelConfig, fold, replay
from trustledger.projections.persist import BadStateData
from trustledger.projections.stored_views import StoredView, lean, stored_view, view_body
from trustledger.tui.service.readmodel import (
    SPARK_POINTS,
    SPARK_STEP_DAYS,
    completed,
    lean_from_views,
    model_key,
)

from tests.samples import TODAY
from tests.test_lean_views import SIZE, damage, lean_start, with_views
from tests.test_tui_support import make_app, pause_until

CONFIG = ModelConfig()
LISTED = (
    "handle",
    "name",
    "kind",
    "owner",
    "status",
    "reason",
    "trust",
    "alignment",
    "counts",
    "next_review_due",
    "revenue_12m",
    "open_issue_count",
    "alert_count",
    "detailed",
)


def folded(sample_store, as_of: date = TODAY) -> Follower:
    events = list(Ledger(sample_store).iter_events(trusted=True))
    follower = Follower.from_state(fold(events, config=CONFIG))
    follower.view(as_of)
    follower.sparklines(as_of, SPARK_POINTS, SPARK_STEP_DAYS)
    return follower


def glanced(sample_store) -> Follower:
    """A follower from the sample store's view rows, its views not made yet."""
    with_views(sample_store)
    seen = glance(sample_store)
    found = lean_from_views(
        seen.views, model_key(CONFIG), seen.link_at, CONFIG, TODAY, complete=False
    )
    assert found.follower is not None, found.reason
    return found.follower


def test_a_view_row_gives_back_the_lean_view_and_sparkline(sample_store):
    held = folded(sample_store).stored_views(TODAY)
    assert held
    for view, spark in held.values():
        row = stored_view(view_body(view, spark))
        assert all(getattr(row, name) == getattr(lean(view), name) for name in LISTED)
        assert row.made() == (lean(view), spark)


def test_a_follower_from_view_rows_makes_only_the_views_asked_for(sample_store):
    follower = glanced(sample_store)
    portfolio = follower.view(TODAY)
    rows = portfolio.unshared()
    assert rows and all(isinstance(row, StoredView) and not row.is_made for row in rows.values())
    assert portfolio.get("northwind") is not None
    made = {handle for handle, row in rows.items() if isinstance(row, StoredView) and row.is_made}
    assert made == {"northwind"}


def test_a_follower_from_view_rows_shows_the_same_before_and_after_its_views_are_made(
    sample_store,
):
    follower = glanced(sample_store)
    before = follower.view(TODAY)
    sparks = dict(follower.sparklines(TODAY, SPARK_POINTS, SPARK_STEP_DAYS))
    assert completed(follower) is None
    after = follower.view(TODAY)
    assert not any(isinstance(view, StoredView) for view in after.unshared().values())
    assert before == after
    assert sparks == follower.sparklines(TODAY, SPARK_POINTS, SPARK_STEP_DAYS)
    expected = replay(list(Ledger(sample_store).iter_events(trusted=True)), TODAY, config=CONFIG)
    assert [view.handle for view in after.partnerships] == [v.handle for v in expected.partnerships]
    assert [lean(view) for view in after.partnerships] == [lean(v) for v in expected.partnerships]


def body_of(sample_store, handle: str) -> bytes:
    with closing(sqlite3.connect(str(sample_store.path))) as conn:
        (body,) = conn.execute(
            f"SELECT body FROM {VIEWS_TABLE} WHERE handle=?", (handle,)
        ).fetchone()
    return bytes(body)


def with_tail(body: bytes, tail: bytes) -> bytes:
    return body.partition(b"\n")[0] + b"\n" + tail


@pytest.mark.parametrize(
    "tail",
    [b"[1, 2, 3]", b"not json", b"[[], [], [], []]", b'{"alerts": []}'],
    ids=["short list", "not json", "counts disagree", "object"],
)
def test_a_tail_of_another_shape_is_refused_when_read(sample_store, tail):
    with_views(sample_store)
    body = with_tail(body_of(sample_store, "northwind"), tail)
    row = stored_view(body)  # the head is sound
    with pytest.raises(BadStateData):
        row.made()
    damage(sample_store, "northwind", body)  # its digest made anew: only the shape is wrong
    found = lean_start(sample_store)
    assert found.follower is None
    assert found.reason is not None
    assert found.reason.startswith("read model view 'northwind' cannot be read: ")


def test_a_row_without_a_tail_is_refused_at_once(sample_store):
    with_views(sample_store)
    head = body_of(sample_store, "northwind").partition(b"\n")[0]
    with pytest.raises(BadStateData, match="no tail"):
        stored_view(head)


async def test_a_first_picture_from_a_row_with_a_bad_tail_goes_on_from_the_stored_states(
    sample_store,
):
    with_views(sample_store)
    body = with_tail(body_of(sample_store, "northwind"), b"[1, 2, 3]")
    damage(sample_store, "northwind", body)
    seen = glance(sample_store)
    found = lean_from_views(
        seen.views, model_key(CONFIG), seen.link_at, CONFIG, TODAY, complete=False
    )
    assert found.follower is not None  # every head is sound
    assert completed(found.follower) == (
        "read model view 'northwind' cannot be read: stored view has another shape: "
        "ValueError: not enough values to unpack (expected 4, got 3)"
    )
    app = make_app(sample_store, warm_start=True)
    events = list(Ledger(sample_store).iter_events(trusted=True))
    expected = replay(events, TODAY, config=CONFIG).get("northwind")
    async with app.run_test(size=SIZE) as pilot:
        await app.ready()
        await pause_until(
            pilot,
            lambda: (
                app.picture is not None and lean(app.picture.get("northwind")) == lean(expected)
            ),
            "northwind made afresh",
        )
        # ... and sound view rows are stored for the next start.
        await pause_until(
            pilot, lambda: lean_start(sample_store).follower is not None, "views stored"
        )
