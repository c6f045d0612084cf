"""Status classification and its reasons (docs/MODEL.md, "Status" and "Alerts")."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from trustledger.projections import STATUSES, ModelConfig, replay
from trustledger.projections.status import StatusInputs, classify

from tests.test_projections_streams import BASE_DAY, Stream, days_around, streams

CONFIG = ModelConfig()
SOLID = {"trust": 0.9, "trust_uncertainty": 0.1, "alignment": 0.8, "outcomes": 20, "reviews": 2}


def status(**facts: object) -> str:
    return classify(StatusInputs(**{**SOLID, **facts}), CONFIG)[0]  # type: ignore[arg-type]


def reason(**facts: object) -> str:
    return classify(StatusInputs(**{**SOLID, **facts}), CONFIG)[1]  # type: ignore[arg-type]


def test_trusted_needs_every_condition() -> None:
    assert status() == "trusted"
    assert reason() == "trust 0.90 ± 0.10, alignment 0.80, no open high issues"
    assert status(trust=0.75, trust_uncertainty=0.25, alignment=0.7) == "trusted"
    assert status(trust=0.74) == "emerging"
    assert status(trust_uncertainty=0.26) == "emerging"
    assert status(alignment=0.69) == "emerging"
    assert status(alignment=None) == "emerging"
    assert status(open_high_issues=1) == "emerging"
    assert "1 open high issue" in reason(open_high_issues=1)


def test_emerging_and_regular() -> None:
    assert status(trust=0.6, alignment=0.55) == "emerging"
    assert status(trust=0.6, alignment=None) == "emerging"
    assert status(trust=0.59, alignment=0.8) == "regular"
    assert status(trust=0.7, alignment=0.54) == "regular"
    assert reason(trust=0.7, alignment=0.54) == (
        "trust 0.70 ± 0.10, alignment 0.54; alignment 0.54 below 0.55"
    )
    # A value that prints like its threshold is shown with more places, in the summary too.
    assert "trust 0.596 below 0.60" in reason(trust=0.596)
    assert reason(trust=0.596).startswith("trust 0.596 ± 0.10")


def test_at_risk_on_any_trigger() -> None:
    assert status(trust=0.44) == "at_risk"
    assert status(trust=0.45, alignment=0.5) == "regular"
    assert status(alignment=0.39) == "at_risk"
    assert status(overdue=3) == "at_risk"
    assert status(overdue=2) == "trusted"
    assert status(partner_card_on=date(2025, 1, 1), partner_card_issue="dispute") == "at_risk"
    text = reason(trust=0.3, alignment=0.2, overdue=4, partner_card_on=date(2025, 1, 1))
    assert text.startswith("at risk: trust 0.30 below 0.45")
    assert "partner card played on 2025-01-01" in text
    assert "alignment 0.20 below 0.40" in text
    assert "4 commitments overdue" in text


def test_unproven_when_evidence_is_thin_and_nothing_was_reviewed() -> None:
    thin = {
        "trust": 0.67,
        "trust_uncertainty": 0.67,
        "alignment": None,
        "outcomes": 1,
        "reviews": 0,
    }
    assert status(**thin) == "unproven"
    assert reason(**thin) == "insufficient evidence: 1 outcome, no review"
    assert reason(**{**thin, "outcomes": 0}) == "insufficient evidence: 0 outcomes, no review"
    # Unproven is checked before at risk: no false red either.
    assert status(**{**thin, "overdue": 5}) == "unproven"
    # A review is enough to judge.
    assert status(**{**thin, "reviews": 1, "alignment": 0.6}) == "emerging"
    assert status(**{**thin, "trust_uncertainty": 0.5}) == "emerging"


def test_ended_comes_first() -> None:
    assert status(ended_on=date(2025, 7, 31), trust=0.1) == "ended"
    assert (
        reason(ended_on=date(2025, 7, 31), end_reason="acquired") == "ended on 2025-07-31: acquired"
    )
    assert reason(ended_on=date(2025, 7, 31)) == "ended on 2025-07-31"


def test_thresholds_come_from_the_config() -> None:
    strict = ModelConfig(trusted_min_trust=0.95)
    assert classify(StatusInputs(**SOLID), strict)[0] == "emerging"  # type: ignore[arg-type]


def test_the_contract_examples() -> None:
    stream = Stream()
    stream.register("kept-one", BASE_DAY)
    stream.commit("kept-one", "c1", BASE_DAY)
    stream.keep("kept-one", "c1", BASE_DAY)
    stream.register("nothing", BASE_DAY)
    portfolio = replay(stream.events, BASE_DAY)
    kept_one, nothing = portfolio.partnerships
    assert kept_one.status == "unproven"
    assert kept_one.reason == "insufficient evidence: 1 outcome, no review"
    assert nothing.trust == 0.5 and nothing.trust_uncertainty == 1.0
    assert nothing.status == "unproven"


def test_a_partnership_moves_through_the_statuses() -> None:
    stream = Stream()
    stream.register("acme", BASE_DAY)
    for n in range(12):
        day = BASE_DAY + timedelta(days=n)
        stream.commit("acme", f"c{n}", day)
        stream.keep("acme", f"c{n}", day)
    stream.review("acme", BASE_DAY + timedelta(days=12), dict.fromkeys(("vision", "values"), 5))
    as_of = BASE_DAY + timedelta(days=12)
    assert replay(stream.events, as_of).partnerships[0].status == "trusted"
    stream.raise_issue("acme", "fight", as_of, severity="high", partner_card=True)
    assert replay(stream.events, as_of).partnerships[0].status == "at_risk"
    stream.end("acme", as_of + timedelta(days=1))
    ended = replay(stream.events, as_of + timedelta(days=1)).partnerships[0]
    assert ended.status == "ended" and ended.alerts == () and ended.next_review_due is None


@settings(max_examples=100, deadline=None)
@given(streams(), st.data())
def test_every_status_has_a_reason_and_holds_its_promise(
    stream: Stream, data: st.DataObject
) -> None:
    config = CONFIG
    for view in replay(stream.events, data.draw(days_around(stream.events))).partnerships:
        assert view.status in STATUSES and view.reason
        if view.status == "trusted":
            assert view.trust >= config.trusted_min_trust
            assert view.trust_uncertainty <= config.trusted_max_uncertainty
            assert view.alignment is not None and view.alignment >= config.trusted_min_alignment
            assert not [i for i in view.open_issues if i.severity == "high"]
        if view.status == "unproven":
            assert view.reviews == () and view.trust_uncertainty > config.unproven_uncertainty
        if view.status == "ended":
            assert view.ended_on is not None and view.alerts == ()
        if view.status in ("trusted", "emerging"):
            assert view.trust >= config.emerging_min_trust
