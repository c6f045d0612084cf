"""Building the read models: a partnership's view and the portfolio at the end of a day.

:func:`partnership_view` turns one folded :class:`PartnershipState` into a
:class:`PartnershipView` at an as-of date (everything the report and the
dashboard show, with status, reason and alerts); :func:`assemble` adds what needs the whole
portfolio (revenue shares, concentration alerts, counts by status); :func:`portfolio_at` does
both for a :class:`PortfolioState`. The as-of date may be before some of the
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
from datetime import date, datetime, timedelta

from trustledger.projections.alerts import (
    concentration_alert,
    issue_alerts,
    overdue_alerts,
    partner_card_alerts,
    partner_cards_in_window,
    review_alert,
    trust_drop_alert,
)
from trustledger.projections.config import MODEL_VERSION, ModelConfig
from trustledger.projections.items import CommitmentList, ReviewList, issue_views, review_view
from trustledger.projections.measures import (
    alignment_figures,
    trust_before_from_sums,
    trust_figures,
    visible_reviews,
)
from trustledger.projections.state import PartnershipState, PortfolioState
from trustledger.projections.status import StatusInputs, classify
from trustledger.projections.views import (
    STATUSES,
    Alert,
    PartnershipView,
    Portfolio,
    Status,
    changed_view,
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
        entry.amount
        for entry in ps.revenue.values()
        if first <= entry.period <= last and entry.occurred_on <= as_of
    )


def _shift(day: date, days: int) -> date:
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return date.max if days > 0 else date.min


def partnership_view(
    ps: PartnershipState,
    as_of: date,
    config: ModelConfig,
    current: bool = False,
    revenue_total: float | None = None,
) -> PartnershipView | None:
    """The partnership at the end of ``as_of``; None when it was not yet registered.

    ``current`` tells that ``as_of`` is on or after every event folded (``state.max_day``),
    which allows the O(1) figures; without it everything is filtered to what had occurred.

    ``revenue_share`` and the concentration alert depend on the other partnerships: given the
    portfolio's ``revenue_total`` they are filled in, otherwise :func:`assemble` does it.
    """
    if ps.registered_on > as_of:
        return None
    return _view(ps, as_of, config, current, revenue_12m(ps, as_of), revenue_total)


def _view(
    ps: PartnershipState,
    as_of: date,
    config: ModelConfig,
    current: bool,
    revenue: float,
    revenue_total: float | None,
) -> PartnershipView:
    commitments = CommitmentList(ps, as_of, current)
    counts, overdue_commitments = commitments.counts()
    issues = issue_views(ps, as_of)
    reviews = ReviewList(visible_reviews(ps, as_of), config)
    latest = review_view(reviews.facts[-1], config) if reviews.facts else None
    last_review = latest.occurred_on if latest else None
    ended_on = ps.ended_on if ps.ended_on is not None and ps.ended_on <= as_of else None
    next_review_due = (
        None
        if ended_on is not None
        else _shift(last_review or ps.registered_on, ps.review_every_days)
    )
    trust = trust_figures(ps, as_of, config, current)
    window_start = _shift(as_of, -config.trust_drop_window_days)
    if current:
        trust_before = trust_before_from_sums(ps, window_start, config).trust
    else:
        trust_before = trust_figures(ps, window_start, config).trust
    alignment, gap = alignment_figures(ps, as_of, config, current)
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
            *overdue_alerts(handle, overdue_commitments),
            *review_alert(handle, as_of, next_review_due, latest, ps.registered_on),
            *issue_alerts(handle, issues, config),
            *partner_card_alerts(handle, cards, as_of),
            *trust_drop_alert(handle, trust_before, trust.trust, config),
        )
    share = None
    if revenue_total is not None and revenue_total > 0:
        share = revenue / revenue_total
        if ended_on is None:
            alerts += tuple(concentration_alert(handle, share, as_of, config))
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
        asymmetries=latest.asymmetries if latest else (),
        commitments=commitments,
        counts=counts,
        issues=issues,
        reviews=reviews,
        last_review=last_review,
        next_review_due=next_review_due,
        revenue_12m=revenue,
        revenue_share=share,
        alerts=alerts,
    )


def revenue_share(revenue_12m: float, total: float) -> float | None:
    """A partnership's share of the portfolio's 12-month revenue ``total`` (None: none)."""
    return revenue_12m / total if total > 0 else None


def share_alerts(
    handle: str, status: Status, share: float | None, as_of: date, config: ModelConfig
) -> list[Alert]:
    """The concentration alert of a partnership with ``share`` of the revenue, if it has
    one: none once the partnership has ended."""
    return [] if status == "ended" else concentration_alert(handle, share, as_of, config)


def with_share(
    view: PartnershipView, total: float, as_of: date, config: ModelConfig
) -> PartnershipView:
    """``view`` with its revenue share of the portfolio's ``total`` and the concentration
    alert that goes with it (the same view when it has them already)."""
    share = revenue_share(view.revenue_12m, total)
    if share == view.revenue_share:
        return view
    alerts = view.alerts
    over = share_alerts(view.handle, view.status, share, as_of, config)
    # Most shares stay under the limit with no alert before or after: the alerts stand.
    if over or any(alert.kind == "concentration" for alert in alerts):
        alerts = (*(alert for alert in alerts if alert.kind != "concentration"), *over)
    return changed_view(view, revenue_share=share, alerts=alerts)


def portfolio_of(
    finished: Sequence[PartnershipView],
    as_of: date,
    config: ModelConfig,
    known_at: datetime | None,
    total: float,
) -> Portfolio:
    """The portfolio of views that have their shares already (see :func:`with_share`)."""
    by_status: dict[Status, int] = dict.fromkeys(STATUSES, 0)
    largest: float | None = None
    largest_handle: str | None = None
    alert_count = 0
    concentrated: list[str] = []
    for view in finished:
        share = view.revenue_share
        if share is not None and (largest is None or share > largest):
            largest, largest_handle = share, view.handle
        by_status[view.status] += 1
        alert_count += len(view.alerts)
        if share is not None and any(alert.kind == "concentration" for alert in view.alerts):
            concentrated.append(view.handle)
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
        concentrated=concentrated,
    )


def assemble(
    views: Sequence[PartnershipView],
    as_of: date,
    config: ModelConfig,
    known_at: datetime | None = None,
) -> Portfolio:
    """The portfolio from partnership views (sorted by handle): shares, concentration, counts.

    Views built without the portfolio's revenue total (a follower's cached ones) get their
    revenue share and concentration alert here.
    """
    total = sum(view.revenue_12m for view in views)
    finished = [with_share(view, total, as_of, config) for view in views]
    return portfolio_of(finished, as_of, config, known_at, total)


def portfolio_at(state: PortfolioState, as_of: date, known_at: datetime | None = None) -> Portfolio:
    """Every partnership of ``state`` at the end of ``as_of``, and the portfolio figures.

    ``known_at`` is only reported: filtering by recording time happens in the fold
    (:func:`trustledger.projections.replay.fold`).
    """
    config = state.config
    current = as_of >= state.max_day
    shown = [
        state.partnerships[handle]
        for handle in sorted(state.partnerships)
        if state.partnerships[handle].registered_on <= as_of
    ]
    revenues = [revenue_12m(ps, as_of) for ps in shown]
    total = sum(revenues)
    views = [
        _view(ps, as_of, config, current, revenue, total)
        for ps, revenue in zip(shown, revenues, strict=True)
    ]
    return assemble(views, as_of, config, known_at)
