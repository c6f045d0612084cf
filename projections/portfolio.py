"""Building the read models: a partnership's view and the portfolio at the end of a day.

:func:`partnership_view` turns one folded :class:`~projections.state.PartnershipState` into a
:class:`~projections.views.PartnershipView` at an as-of date (everything the report and the
dashboard show, with status, reason and alerts); :func:`assemble` adds what needs the whole
portfolio (revenue shares, concentration alerts, counts by status); :func:`portfolio_at` does
both for a :class:`~projections.state.PortfolioState`. The as-of date may be before some of the
folded events: only what had occurred by the end of that day is shown.

Revenue: a partnership's ``revenue_12m`` sums the amounts of its ``revenue_recorded`` lines
whose period lies in the 12 months ending with the as-of month (and that had occurred by the
as-of date). Amounts are summed as recorded, whatever their currency: the ledger does no
currency conversion, so a portfolio should record revenue in one currency.
``revenue_share`` is that sum over the sum of every partnership's (ended ones included); it
is None when that total is 0 (no revenue recorded in the window).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta

from projections.alerts import (
    concentration_alert,
    issue_alerts,
    overdue_alerts,
    partner_card_alerts,
    partner_cards_in_window,
    review_alert,
    trust_drop_alert,
)
from projections.alignment import asymmetries, review_gaps
from projections.config import MODEL_VERSION, ModelConfig
from projections.measures import alignment_figures, trust_figures, visible_reviews
from projections.state import (
    MISSED,
    V_AMOUNT,
    V_OCCURRED_ON,
    V_PERIOD,
    PartnershipState,
    PortfolioState,
    ReviewFacts,
    score_map,
)
from projections.status import StatusInputs, classify
from projections.views import (
    STATUSES,
    Alert,
    CommitmentCounts,
    CommitmentStage,
    CommitmentView,
    IssueView,
    PartnershipView,
    Portfolio,
    ReviewView,
    Status,
)


def period_of(month: int) -> str:
    """The ``YYYY-MM`` period of a month index ``year * 12 + month - 1``."""
    return f"{month // 12:04d}-{month % 12 + 1:02d}"


def revenue_window(as_of: date) -> tuple[str, str]:
    """The first and last ``YYYY-MM`` periods of the 12 months ending with the as-of month."""
    last = as_of.year * 12 + as_of.month - 1
    return period_of(last - 11), period_of(last)


def revenue_12m(ps: PartnershipState, as_of: date) -> float:
    """Revenue for the periods in the 12 months ending with the as-of month."""
    first, last = revenue_window(as_of)
    return sum(
        entry[V_AMOUNT]
        for entry in ps.revenue.values()
        if first <= entry[V_PERIOD] <= last and entry[V_OCCURRED_ON] <= as_of
    )


def review_view(review: ReviewFacts, config: ModelConfig) -> ReviewView:
    """A review with its per-dimension gaps and asymmetries."""
    day, position, score_row, partner_row, level, gap, alignment = review
    scores = score_map(score_row) or {}
    partner = score_map(partner_row)
    return ReviewView(
        day,
        position,
        scores,
        partner,
        review_gaps(scores, partner),
        level,
        gap,
        alignment,
        asymmetries(scores, partner, config.asymmetry_high, config.asymmetry_low),
    )


def _shift(day: date, days: int) -> date:
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return date.max if days > 0 else date.min


def _commitments(
    ps: PartnershipState, as_of: date, fast: bool
) -> tuple[tuple[CommitmentView, ...], CommitmentCounts]:
    views: list[CommitmentView] = []
    open_count = overdue = kept = missed = 0
    closed, changes, recoveries = ps.closed, ps.renegotiations, ps.recoveries
    for handle, (_, by_us, summary, weight, made_on, _, due) in ps.commitments.items():
        if made_on > as_of:
            continue
        if fast:
            outcome = closed.get(handle)
            if handle in changes:
                due = changes[handle][-1][1]
            renegotiations = len(changes.get(handle, ()))
        else:
            outcome = ps.outcome_on(handle, as_of)
            due = ps.due_on(handle, as_of)
            renegotiations = sum(1 for change in changes.get(handle, ()) if change[0] <= as_of)
        days_overdue = 0
        stage: CommitmentStage
        recovered = False
        if outcome is None:
            open_count += 1
            if due < as_of:
                stage = "overdue"
                overdue += 1
                days_overdue = (as_of - due).days
            else:
                stage = "open"
        elif outcome[0] == MISSED:
            stage = "missed"
            missed += 1
            recovered = handle in recoveries and ps.recovery_on(handle, as_of) is not None
        else:
            stage = "kept"
            kept += 1
        views.append(
            CommitmentView(
                handle,
                "us" if by_us else "partner",
                summary,
                weight,
                made_on,
                due,
                stage,
                None if outcome is None else outcome[1],
                days_overdue,
                renegotiations,
                recovered,
            )
        )
    return tuple(views), CommitmentCounts(open_count, overdue, kept, missed)


def _issues(ps: PartnershipState, as_of: date) -> tuple[IssueView, ...]:
    views: list[IssueView] = []
    for issue in ps.issues.values():
        (
            handle,
            summary,
            severity,
            commitment,
            partner_card,
            raised_on,
            _,
            resolved,
            _,
            resolution,
        ) = issue
        if raised_on > as_of:
            continue
        if resolved is not None and resolved > as_of:
            resolved = None
        views.append(
            IssueView(
                handle,
                summary,
                severity,  # type: ignore[arg-type]
                commitment,
                partner_card,
                raised_on,
                resolved,
                resolution if resolved is not None else None,
                ((resolved or as_of) - raised_on).days,
            )
        )
    return tuple(views)


def partnership_view(
    ps: PartnershipState, as_of: date, config: ModelConfig
) -> PartnershipView | None:
    """The partnership at the end of ``as_of``; None when it was not yet registered.

    ``revenue_share`` is left None and concentration is not checked: :func:`assemble` does
    both, since they depend on the other partnerships.
    """
    if ps.registered_on > as_of:
        return None
    fast = as_of >= ps.max_day
    commitments, counts = _commitments(ps, as_of, fast)
    issues = _issues(ps, as_of)
    reviews = tuple(review_view(review, config) for review in visible_reviews(ps, as_of))
    last_review = reviews[-1].occurred_on if reviews else None
    ended_on = ps.ended_on if ps.ended_on is not None and ps.ended_on <= as_of else None
    next_review_due = (
        None
        if ended_on is not None
        else _shift(last_review or ps.registered_on, ps.review_every_days)
    )
    trust = trust_figures(ps, as_of, config)
    window_start = _shift(as_of, -config.trust_drop_window_days)
    trust_before = trust_figures(ps, window_start, config).trust
    alignment, gap = alignment_figures(ps, as_of, config)
    cards = partner_cards_in_window(issues, as_of, config)
    latest_card = max(cards, key=lambda issue: (issue.raised_on, issue.handle), default=None)
    open_high = sum(1 for issue in issues if issue.is_open and issue.severity == "high")
    status, reason = classify(
        StatusInputs(
            trust=trust.trust,
            trust_uncertainty=trust.uncertainty,
            alignment=alignment,
            outcomes=trust.outcomes,
            reviews=len(reviews),
            overdue=counts.overdue,
            open_high_issues=open_high,
            partner_card_on=latest_card.raised_on if latest_card else None,
            partner_card_issue=latest_card.handle if latest_card else None,
            ended_on=ended_on,
            end_reason=ps.end_reason if ended_on is not None else None,
        ),
        config,
    )
    handle = ps.handle
    if ended_on is not None:
        alerts: tuple[Alert, ...] = ()
    else:
        alerts = (
            *overdue_alerts(handle, commitments),
            *review_alert(handle, as_of, next_review_due, last_review, ps.registered_on),
            *issue_alerts(handle, issues, config),
            *partner_card_alerts(handle, cards, as_of),
            *trust_drop_alert(handle, trust_before, trust.trust, config),
        )
    return PartnershipView(
        handle=handle,
        name=ps.name,
        kind=ps.kind,
        owner=ps.owner,
        review_every_days=ps.review_every_days,
        registered_on=ps.registered_on,
        ended_on=ended_on,
        status=status,
        reason=reason,
        trust=trust.trust,
        trust_uncertainty=trust.uncertainty,
        trust_window_start=trust_before,
        our_reliability=trust.our_reliability,
        partner_reliability=trust.partner_reliability,
        outcomes=trust.outcomes,
        alignment=alignment,
        perception_gap=gap,
        asymmetries=reviews[-1].asymmetries if reviews else (),
        commitments=commitments,
        counts=counts,
        issues=issues,
        reviews=reviews,
        last_review=last_review,
        next_review_due=next_review_due,
        revenue_12m=revenue_12m(ps, as_of),
        revenue_share=None,
        alerts=alerts,
    )


def assemble(
    views: Sequence[PartnershipView],
    as_of: date,
    config: ModelConfig,
    known_at: datetime | None = None,
) -> Portfolio:
    """The portfolio from partnership views (sorted by handle): shares, concentration, counts."""
    total = sum(view.revenue_12m for view in views)
    finished: list[PartnershipView] = []
    by_status: dict[Status, int] = dict.fromkeys(STATUSES, 0)
    largest: float | None = None
    largest_handle: str | None = None
    alert_count = 0
    for view in views:
        share = view.revenue_12m / total if total > 0 else None
        extra = (
            concentration_alert(view.handle, share, as_of, config) if view.status != "ended" else []
        )
        if share is not None or extra:
            view = replace(view, revenue_share=share, alerts=view.alerts + tuple(extra))
        if share is not None and (largest is None or share > largest):
            largest, largest_handle = share, view.handle
        by_status[view.status] += 1
        alert_count += len(view.alerts)
        finished.append(view)
    active = len(finished) - by_status["ended"]
    return Portfolio(
        as_of=as_of,
        known_at=known_at,
        model_version=MODEL_VERSION,
        partnerships=tuple(finished),
        by_status=by_status,
        active=active,
        trusted_share=by_status["trusted"] / active if active else None,
        trusted_target_share=config.trusted_target_share,
        revenue_total_12m=total,
        largest_revenue_share=largest,
        largest_revenue_partnership=largest_handle,
        alert_count=alert_count,
        by_handle={view.handle: view for view in finished},
    )


def portfolio_at(state: PortfolioState, as_of: date, known_at: datetime | None = None) -> Portfolio:
    """Every partnership of ``state`` at the end of ``as_of``, and the portfolio figures.

    ``known_at`` is only reported: filtering by recording time happens in the fold
    (:func:`projections.replay.fold`).
    """
    config = state.config
    views = []
    for handle in sorted(state.partnerships):
        view = partnership_view(state.partnerships[handle], as_of, config)
        if view is not None:
            views.append(view)
    return assemble(views, as_of, config, known_at)
