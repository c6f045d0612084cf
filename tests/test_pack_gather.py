"""The pack's pure core on hand-made events: periods, revenue, the anchor, the hooks."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from trustledger.domain.events import (
    CommitmentKept,
    CommitmentMade,
    CommitmentRenegotiated,
    EventLine,
    PartnershipRegistered,
    Recorded,
    RevenueRecorded,
)
from trustledger.tui.pack import PackError, default_since, gather_pack, pack_context, render_pack
from trustledger.tui.pack.charts import month_ticks
from trustledger.tui.pack.gather import corrections_in_period, months_between

MADE_AT = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
RECORDED = datetime(2026, 4, 30, 9, 0, tzinfo=UTC)


def history(*lines: EventLine) -> list[Recorded]:
    """``lines`` as the ledger would hold them (positions and versions in order)."""
    versions: dict[str, int] = {}
    events = []
    for position, line in enumerate(lines, 1):
        versions[line.partnership] = versions.get(line.partnership, 0) + 1
        link = f"{position:064x}"
        events.append(Recorded(position, versions[line.partnership], RECORDED, line, link))
    return events


def registered(handle: str, on: str) -> PartnershipRegistered:
    return PartnershipRegistered(partnership=handle, name=handle.title(), occurred_on=on)


def test_the_default_period_is_the_year_to_the_as_of_date():
    assert default_since(date(2026, 11, 20), date(2020, 1, 1)) == date(2025, 11, 21)
    assert default_since(date(2028, 2, 29), date(2020, 1, 1)) == date(2027, 3, 1)
    assert default_since(date(2026, 11, 20), date(2026, 10, 6)) == date(2026, 10, 6)


def test_months_between_and_month_ticks():
    assert months_between(date(2025, 11, 21), date(2026, 2, 1)) == [
        "2025-11",
        "2025-12",
        "2026-01",
        "2026-02",
    ]
    ticks = month_ticks(date(2025, 11, 21), date(2026, 11, 20))
    assert ticks[0] == date(2025, 12, 1)
    assert len(ticks) <= 7
    assert all(t.day == 1 for t in ticks)
    assert month_ticks(date(2026, 3, 2), date(2026, 3, 20)) == [
        date(2026, 3, 2),
        date(2026, 3, 20),
    ]


def test_revenue_by_month_sums_lines_and_lists_currencies():
    events = history(
        registered("acme", "2026-01-01"),
        registered("zenith", "2026-01-01"),
        RevenueRecorded(partnership="acme", period="2026-02", amount=100, occurred_on="2026-03-02"),
        RevenueRecorded(
            partnership="acme",
            period="2026-02",
            amount=50,
            currency="EUR",
            occurred_on="2026-03-03",
        ),
        RevenueRecorded(
            partnership="zenith", period="2026-02", amount=50, occurred_on="2026-03-02"
        ),
        RevenueRecorded(
            partnership="zenith", period="2026-03", amount=80, occurred_on="2026-04-02"
        ),
    )
    pack = gather_pack(pack_context(events, date(2026, 4, 30), made_at=MADE_AT), "acme")
    months = {m.period: m for m in pack.revenue}
    assert set(months) == {"2026-02", "2026-03"}  # January: no revenue anywhere
    assert months["2026-02"].amount == 150
    assert months["2026-02"].currencies == ("EUR", "USD")
    assert months["2026-02"].share == pytest.approx(0.75)
    assert months["2026-03"].amount == 0 and months["2026-03"].share == 0
    assert pack.figures["revenue_share"] == pytest.approx(150 / 280, abs=1e-4)


def test_the_anchor_is_the_newest_counted_event_of_the_partnership():
    events = history(
        registered("acme", "2026-01-01"),
        registered("zenith", "2026-01-01"),
        CommitmentMade(
            partnership="acme",
            commitment="c1",
            by="us",
            summary="Ship",
            due="2026-02-01",
            occurred_on="2026-01-05",
        ),
        RevenueRecorded(partnership="zenith", period="2026-01", amount=1, occurred_on="2026-01-06"),
        CommitmentKept(partnership="acme", commitment="c1", occurred_on="2026-03-01"),
    )
    early = gather_pack(pack_context(events, date(2026, 2, 1), made_at=MADE_AT), "acme")
    assert early.anchor is not None and (early.anchor.position, early.anchor.version) == (3, 2)
    assert early.anchor.link == events[2].link
    late = gather_pack(pack_context(events, date(2026, 4, 1), made_at=MADE_AT), "acme")
    assert late.anchor is not None and (late.anchor.position, late.anchor.version) == (5, 3)


def test_renegotiations_keep_their_reasons_and_mark_the_period():
    events = history(
        registered("acme", "2025-01-01"),
        CommitmentMade(
            partnership="acme",
            commitment="c1",
            by="partner",
            summary="Plan",
            due="2025-03-01",
            occurred_on="2025-02-01",
        ),
        CommitmentRenegotiated(
            partnership="acme",
            commitment="c1",
            due="2025-06-01",
            reason="Budget freeze",
            occurred_on="2025-02-20",
        ),
        CommitmentRenegotiated(
            partnership="acme", commitment="c1", due="2026-06-01", occurred_on="2026-02-20"
        ),
    )
    context = pack_context(events, date(2026, 4, 1), made_at=MADE_AT, since=date(2026, 1, 1))
    pack = gather_pack(context, "acme")
    us, partner = pack.sides
    assert us.rows == ()
    (row,) = partner.rows
    assert [(r.due, r.reason, r.in_period) for r in row.renegotiations] == [
        (date(2025, 6, 1), "Budget freeze", False),
        (date(2026, 6, 1), None, True),
    ]
    assert partner.renegotiated == 1 and partner.open == 1
    html = render_pack(pack)
    assert "Budget freeze" in html and "(no reason given)" in html


def test_no_pack_for_a_partnership_not_registered_by_the_as_of_date():
    events = history(registered("acme", "2026-03-01"))
    context = pack_context(events, date(2026, 2, 1), made_at=MADE_AT)
    with pytest.raises(PackError, match="no partnership 'acme' registered by 2026-02-01"):
        gather_pack(context, "acme")
    with pytest.raises(PackError, match="after the as-of date"):
        pack_context(events, date(2026, 2, 1), made_at=MADE_AT, since=date(2026, 3, 1))


def test_the_corrections_hook_has_nothing_until_corrections_exist():
    events = history(registered("acme", "2026-01-01"))
    assert corrections_in_period(events, date(2026, 1, 1), date(2026, 2, 1)) == ()
    pack = gather_pack(pack_context(events, date(2026, 2, 1), made_at=MADE_AT), "acme")
    assert pack.corrections == ()
    assert 'id="corrections"' not in render_pack(pack)


def test_names_and_notes_are_escaped():
    line = PartnershipRegistered(
        partnership="acme", name="<script>alert(1)</script> & Co", occurred_on="2026-01-01"
    )
    html = render_pack(
        gather_pack(pack_context(history(line), date(2026, 2, 1), made_at=MADE_AT), "acme")
    )
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in html
