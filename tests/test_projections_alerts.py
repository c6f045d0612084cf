"""Alerts, revenue share, concentration, portfolio figures and the report rows."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from trustledger.projections import REPORT_KEYS, ModelConfig, PartnershipView, replay, report_rows
from trustledger.projections.report import JSON_ONLY_KEYS

from tests.test_projections_streams import BASE_DAY, Stream, days_around, streams

D0 = date(2025, 6, 1)

CONTRACT_KEYS = {
    "partnership",
    "name",
    "kind",
    "status",
    "trust",
    "trust_uncertainty",
    "our_reliability",
    "partner_reliability",
    "alignment",
    "perception_gap",
    "commitments",
    "open_issues",
    "last_review",
    "next_review_due",
    "revenue_share",
    "alerts",
}


DEFAULTS = ModelConfig()


def one(stream: Stream, as_of: date, config: ModelConfig = DEFAULTS) -> PartnershipView:
    (view,) = replay(stream.events, as_of, config=config).partnerships
    return view


def kinds(view: PartnershipView) -> list[str]:
    return [alert.kind for alert in view.alerts]


def registered(every: int = 365) -> Stream:
    stream = Stream()
    stream.register("acme", D0, review_every_days=every)
    return stream


# -- overdue commitments ------------------------------------------------------------------------


def test_due_on_the_as_of_date_is_not_overdue_but_due_the_day_before_is() -> None:
    stream = registered()
    stream.commit("acme", "c1", D0, due=D0 + timedelta(days=10), by="partner")
    on_due = one(stream, D0 + timedelta(days=10))
    assert on_due.counts.overdue == 0 and kinds(on_due) == []
    assert on_due.commitments[0].stage == "open"
    day_after = one(stream, D0 + timedelta(days=11))
    assert day_after.counts.overdue == 1 and day_after.counts.open == 1
    assert day_after.alert_messages == [
        "commitment c1 by partner due 2025-06-11 is overdue (1 day)"
    ]
    later = one(stream, D0 + timedelta(days=22))
    assert later.alert_messages == ["commitment c1 by partner due 2025-06-11 is overdue (12 days)"]
    assert later.commitments[0].days_overdue == 12


def test_renegotiation_moves_the_due_date_and_an_overdue_commitment_is_not_a_miss() -> None:
    stream = registered()
    stream.commit("acme", "c1", D0, due=D0 + timedelta(days=10))
    stream.renegotiate("acme", "c1", D0 + timedelta(days=5), D0 + timedelta(days=30))
    view = one(stream, D0 + timedelta(days=20))
    assert view.counts.overdue == 0 and view.commitments[0].renegotiations == 1
    overdue = one(stream, D0 + timedelta(days=31))
    assert overdue.counts.overdue == 1
    assert overdue.trust == 0.5 and overdue.trust_uncertainty == 1.0  # not evidence


def test_three_overdue_commitments_put_a_partnership_at_risk() -> None:
    stream = registered()
    for n in range(3):
        stream.commit("acme", f"c{n}", D0, due=D0 + timedelta(days=1))
    stream.review("acme", D0, {"vision": 4}, {"vision": 4})
    view = one(stream, D0 + timedelta(days=2))
    assert view.status == "at_risk" and view.reason == "at risk: 3 commitments overdue"
    assert kinds(view) == ["overdue_commitment"] * 3


# -- reviews ------------------------------------------------------------------------------------


def test_review_overdue_counts_from_registration_then_from_the_last_review() -> None:
    stream = registered(every=30)
    assert one(stream, D0 + timedelta(days=30)).alerts == ()
    late = one(stream, D0 + timedelta(days=31))
    assert late.next_review_due == D0 + timedelta(days=30)
    assert late.alert_messages == [
        "review overdue: was due 2025-07-01 (1 day ago), no review since registration on 2025-06-01"
    ]
    stream.review("acme", D0 + timedelta(days=31), {"vision": 3})
    reviewed = one(stream, D0 + timedelta(days=40))
    assert reviewed.last_review == D0 + timedelta(days=31)
    assert reviewed.next_review_due == D0 + timedelta(days=61)
    assert "review_overdue" not in kinds(reviewed)
    assert "last review 2025-07-02" in one(stream, D0 + timedelta(days=62)).alert_messages[0]


# -- issues -------------------------------------------------------------------------------------


def test_an_issue_open_too_long_raises_an_alert_until_resolved() -> None:
    stream = registered()
    stream.raise_issue("acme", "billing", D0, severity="high")
    assert kinds(one(stream, D0 + timedelta(days=30))) == []
    view = one(stream, D0 + timedelta(days=31))
    assert view.alert_messages == ["issue billing (high) open for 31 days since 2025-06-01"]
    assert len(view.open_issues) == 1
    stream.resolve("acme", "billing", D0 + timedelta(days=32))
    resolved = one(stream, D0 + timedelta(days=40))
    assert resolved.alerts == () and resolved.resolved_issues[0].days_open == 32


def test_a_partner_card_puts_the_partnership_at_risk_within_the_window() -> None:
    stream = registered(every=730)
    stream.review("acme", D0, {"vision": 5}, {"vision": 5})
    stream.raise_issue("acme", "territory", D0, partner_card=True)
    stream.resolve("acme", "territory", D0 + timedelta(days=1))
    within = one(stream, D0 + timedelta(days=180))
    assert within.status == "at_risk"
    assert "partner card played on 2025-06-01 (issue territory)" in within.reason
    assert within.alert_messages == [
        "partner card played in issue territory on 2025-06-01 (180 days ago)"
    ]
    after = one(stream, D0 + timedelta(days=181))
    assert after.status != "at_risk" and after.alerts == ()


# -- trust drop ---------------------------------------------------------------------------------


def test_a_sharp_trust_drop_raises_an_alert() -> None:
    stream = registered()
    for n in range(4):
        stream.commit("acme", f"k{n}", D0)
        stream.keep("acme", f"k{n}", D0)
    stream.commit("acme", "big", D0, weight=5)
    stream.miss("acme", "big", D0 + timedelta(days=40))
    before = one(stream, D0 + timedelta(days=39))
    assert "trust_drop" not in kinds(before)
    after = one(stream, D0 + timedelta(days=45))
    assert kinds(after) == ["trust_drop"]
    assert after.trust_window_start > after.trust + 0.15
    assert after.alert_messages == ["trust fell 0.40 in 30 days (0.83 to 0.42)"]
    assert "trust_drop" not in kinds(one(stream, D0 + timedelta(days=75)))


# -- revenue ------------------------------------------------------------------------------------


def revenue_stream() -> Stream:
    stream = Stream()
    stream.register("big", BASE_DAY)
    stream.register("small", BASE_DAY)
    return stream


def test_revenue_share_covers_the_twelve_months_up_to_the_as_of_month() -> None:
    stream = revenue_stream()
    as_of = date(2025, 6, 15)
    stream.revenue("big", "2024-06", 1000, date(2024, 7, 1))  # 13 months back: out
    stream.revenue("big", "2024-07", 300, date(2024, 8, 1))  # in
    stream.revenue("big", "2025-06", 300, date(2025, 6, 2))  # this month: in
    stream.revenue("big", "2025-07", 1000, date(2025, 6, 3))  # a future period: out
    stream.revenue("small", "2025-05", 400, date(2025, 6, 16))  # recorded as occurring later: out
    stream.revenue("small", "2025-01", 150, date(2025, 2, 1), currency="EUR")  # summed as is
    portfolio = replay(stream.events, as_of)
    big, small = portfolio.partnerships
    assert big.revenue_12m == 600 and small.revenue_12m == 150
    assert big.revenue_share == pytest.approx(0.8) and small.revenue_share == pytest.approx(0.2)
    assert portfolio.revenue_total_12m == 750
    assert portfolio.largest_revenue_partnership == "big"
    assert portfolio.largest_revenue_share == pytest.approx(0.8)


def test_revenue_share_is_null_without_revenue_in_the_window() -> None:
    stream = revenue_stream()
    stream.revenue("big", "2023-01", 1000, date(2023, 2, 1))
    portfolio = replay(stream.events, date(2025, 6, 15))
    assert [v.revenue_share for v in portfolio.partnerships] == [None, None]
    assert portfolio.largest_revenue_share is None and portfolio.largest_revenue_partnership is None
    assert [row["revenue_share"] for row in report_rows(portfolio)] == [None, None]


def test_concentration_alert_above_the_share_and_never_for_an_ended_partnership() -> None:
    stream = revenue_stream()
    stream.revenue("big", "2025-05", 500, date(2025, 6, 1))
    stream.revenue("small", "2025-05", 500, date(2025, 6, 1))
    as_of = date(2025, 6, 15)
    config = ModelConfig()
    half = replay(stream.events, as_of)
    assert [v.revenue_share for v in half.partnerships] == [0.5, 0.5]
    assert not [a for a in half.alerts if a.kind == "concentration"]
    stream.revenue("big", "2025-06", 1, date(2025, 6, 2))
    over = replay(stream.events, as_of, config=config)
    concentration = [a for a in over.alerts if a.kind == "concentration"]
    assert [a.partnership for a in concentration] == ["big"]
    assert concentration[0].message == (
        "revenue concentration: 50% of the portfolio's revenue in the 12 months to 2025-06 "
        "(more than 50%)"
    )
    stream.end("big", date(2025, 6, 10))
    ended = replay(stream.events, as_of)
    assert ended.get("big").revenue_share == pytest.approx(501 / 1001)  # type: ignore[union-attr]
    assert not [a for a in ended.alerts if a.kind == "concentration"]


# -- portfolio figures and the report -----------------------------------------------------------


def portfolio_stream() -> Stream:
    stream = Stream()
    stream.register("zeta", BASE_DAY, kind="channel", owner="maria")
    stream.register("alpha", BASE_DAY, kind="alliance")
    for n in range(12):
        stream.commit("alpha", f"c{n}", BASE_DAY, by="partner" if n % 2 else "us", weight=2)
        stream.keep("alpha", f"c{n}", BASE_DAY + timedelta(days=n))
    stream.review("alpha", BASE_DAY + timedelta(days=5), {"vision": 5, "risk": 4}, {"vision": 5})
    stream.commit("zeta", "late", BASE_DAY, due=BASE_DAY + timedelta(days=3))
    stream.raise_issue("zeta", "noise", BASE_DAY)
    stream.revenue("zeta", "2024-01", 1234.5678, BASE_DAY)
    stream.register("gone", BASE_DAY)
    stream.end("gone", BASE_DAY + timedelta(days=1))
    return stream


def test_portfolio_figures() -> None:
    portfolio = replay(portfolio_stream().events, BASE_DAY + timedelta(days=20))
    assert portfolio.handles == ["alpha", "gone", "zeta"]
    assert portfolio.by_status["trusted"] == 1 and portfolio.by_status["ended"] == 1
    assert portfolio.by_status["unproven"] == 1 and sum(portfolio.by_status.values()) == 3
    assert portfolio.active == 2 and portfolio.trusted_share == 0.5
    assert portfolio.trusted_target_share == 0.2
    assert portfolio.alert_count == len(portfolio.alerts) == 2  # overdue + concentration
    assert portfolio.get("nope") is None


def test_report_rows_have_exactly_the_contract_keys() -> None:
    as_of = BASE_DAY + timedelta(days=20)
    rows = report_rows(replay(portfolio_stream().events, as_of))
    assert [row["partnership"] for row in rows] == ["alpha", "gone", "zeta"]
    for row in rows:
        assert CONTRACT_KEYS | {"status_reason", "model_version"} == set(REPORT_KEYS)
        assert set(row) == set(REPORT_KEYS) | set(JSON_ONLY_KEYS)
        assert [detail["message"] for detail in row["alert_details"]] == row["alerts"]
        assert set(row["commitments"]) == {"open", "overdue", "kept", "missed"}
        assert row["model_version"] == "1.0"
    json.dumps(rows)  # plain JSON values only
    alpha, gone, zeta = rows
    assert alpha["status"] == "trusted" and alpha["kind"] == "alliance"
    assert alpha["commitments"] == {"open": 0, "overdue": 0, "kept": 12, "missed": 0}
    assert alpha["last_review"] == "2024-01-06" and alpha["next_review_due"] == "2024-04-05"
    assert alpha["alignment"] == round(alpha["alignment"], 4)
    assert alpha["trust"] == round(
        replay(portfolio_stream().events, as_of).partnerships[0].trust, 4
    )
    assert alpha["revenue_share"] == 0.0
    assert gone["status"] == "ended" and gone["next_review_due"] is None and gone["alerts"] == []
    assert gone["alignment"] is None and gone["perception_gap"] is None
    assert zeta["commitments"] == {"open": 1, "overdue": 1, "kept": 0, "missed": 0}
    assert zeta["open_issues"] == 1 and zeta["revenue_share"] == 1.0
    assert zeta["alerts"][0] == "commitment late by us due 2024-01-04 is overdue (17 days)"
    assert zeta["alert_details"][0] == {
        "kind": "overdue_commitment",
        "subject_kind": "commitment",
        "subject": "late",
        "message": zeta["alerts"][0],
    }
    assert zeta["status_reason"] == "insufficient evidence: 0 outcomes, no review"


# -- what each alert is about -------------------------------------------------------------------


def subjects(view: PartnershipView) -> list[tuple[str, str | None, str | None]]:
    return [(alert.kind, alert.subject_kind, alert.subject) for alert in view.alerts]


def test_each_alert_names_the_item_it_is_about() -> None:
    stream = registered(every=30)
    stream.commit("acme", "c1", D0, due=D0 + timedelta(days=10))
    stream.raise_issue("acme", "billing", D0, partner_card=True)
    assert subjects(one(stream, D0 + timedelta(days=40))) == [
        ("overdue_commitment", "commitment", "c1"),
        ("review_overdue", "review", None),  # no review yet
        ("issue_open_too_long", "issue", "billing"),
        ("partner_card", "issue", "billing"),
    ]
    review = stream.review("acme", D0 + timedelta(days=41), {"vision": 3})
    stream.resolve("acme", "billing", D0 + timedelta(days=41))
    stream.keep("acme", "c1", D0 + timedelta(days=41))
    assert subjects(one(stream, D0 + timedelta(days=80))) == [
        ("review_overdue", "review", str(review.position)),
        ("partner_card", "issue", "billing"),
    ]


def test_a_trust_drop_and_concentration_are_about_the_partnership() -> None:
    stream = registered()
    for n in range(4):
        stream.commit("acme", f"k{n}", D0)
        stream.keep("acme", f"k{n}", D0)
    stream.commit("acme", "big", D0, weight=5)
    stream.miss("acme", "big", D0 + timedelta(days=40))
    stream.register("other", D0, review_every_days=365)
    stream.revenue("acme", "2025-06", 900, D0)
    stream.revenue("other", "2025-06", 100, D0)
    portfolio = replay(stream.events, D0 + timedelta(days=45))
    assert [(a.kind, a.subject_kind, a.subject) for a in portfolio.alerts] == [
        ("trust_drop", None, None),
        ("concentration", None, None),
    ]


@settings(max_examples=100, deadline=None)
@given(streams(), st.data())
def test_an_alerts_subject_is_an_item_of_its_partnership(
    stream: Stream, data: st.DataObject
) -> None:
    as_of = data.draw(days_around(stream.events))
    for view in replay(stream.events, as_of).partnerships:
        commitments = {c.handle: c for c in view.commitments}
        issues = {i.handle: i for i in view.issues}
        for alert in view.alerts:
            if alert.subject_kind == "commitment":
                assert commitments[alert.subject or ""].stage == "overdue"
                assert f"commitment {alert.subject} " in alert.message
            elif alert.subject_kind == "issue":
                assert alert.subject in issues
                assert f"issue {alert.subject} " in alert.message
            elif alert.subject_kind == "review":
                latest = view.reviews[-1] if view.reviews else None
                assert alert.subject == (str(latest.position) if latest else None)
            else:
                assert alert.kind in ("trust_drop", "concentration") and alert.subject is None
