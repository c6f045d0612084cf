"""Gathering a review pack: from the ledger's events and the projections' views, no I/O.

The events come in as an argument (every event of the store, as :class:`Recorded`); the pack
never opens a store. :func:`pack_context` replays them once at the as-of date and known-at
time; :func:`gather_pack` then builds one partnership's :class:`ReviewPack` from that context,
so ``pack --all`` replays the store once for every partnership.

The period covered runs from ``since`` to the as-of date, both included. Without ``since`` it
is the 12 months up to the as-of date (the window of the report's revenue share), and never
starts before the partnership was registered. What belongs to the period:

- commitments open at the as-of date (the overdue ones too), or kept or missed in the period;
  a renegotiation in the period is marked on its commitment, with its reason;
- issues open at the as-of date, or resolved in the period (how long each took is
  ``days_open``);
- reviews held in the period (the latest review, shown by dimension, may be older);
- revenue for the months of the period, beside the whole portfolio's in the same months.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from trustledger.domain.events import (
    DIMENSIONS,
    CommitmentRenegotiated,
    EventAmended,
    EventVoided,
    Recorded,
    RevenueRecorded,
)
from trustledger.projections import (
    IssueView,
    ModelConfig,
    PartnershipView,
    Portfolio,
    ReviewView,
    TrendPoint,
    replay,
    report_row,
    select,
    trend,
)
from trustledger.projections.config import DEFAULT_CONFIG
from trustledger.projections.corrections import corrected, is_correction
from trustledger.tui.pack.model import (
    SIDES,
    AuditAnchor,
    CommitmentRow,
    Correction,
    IndexRow,
    PortfolioIndex,
    Renegotiation,
    RevenueMonth,
    ReviewPack,
    ReviewRow,
    ScoreRow,
    Side,
    SideSummary,
)

#: At most this many points on the trust and alignment chart.
TREND_POINTS = 31


class PackError(ValueError):
    """The pack cannot be made as asked (an unknown partnership, a period that ends first)."""


@dataclass(frozen=True)
class PackContext:
    """The store replayed once: the portfolio, and the counted events by partnership."""

    portfolio: Portfolio
    events: dict[str, list[Recorded]]
    portfolio_revenue: dict[str, float]
    known_at: datetime | None
    config: ModelConfig
    made_at: datetime
    since: date | None = None
    #: The corrections known at ``known_at``, by partnership (they apply on any as-of date).
    corrections: dict[str, list[Recorded]] = field(default_factory=dict)


def pack_context(
    events: Iterable[Recorded],
    as_of: date,
    *,
    made_at: datetime,
    known_at: datetime | None = None,
    since: date | None = None,
    config: ModelConfig | None = None,
) -> PackContext:
    """Replay ``events`` at the end of ``as_of`` as known at ``known_at``.

    ``since`` fixes the start of every pack's period (default: see :func:`default_since`);
    ``made_at`` is the moment the packs say they were made.
    """
    config = config or DEFAULT_CONFIG
    if since is not None and since > as_of:
        raise PackError(f"the period starts on {since}, after the as-of date {as_of}")
    events = list(events)
    # Corrections known at known_at applied first: the pack shows the corrected history.
    counted = list(select(corrected(events, known_at), as_of))
    corrections: dict[str, list[Recorded]] = defaultdict(list)
    for recorded in select((e for e in events if is_correction(e)), None, known_at):
        corrections[recorded.partnership].append(recorded)
    by_partnership: dict[str, list[Recorded]] = defaultdict(list)
    revenue: dict[str, float] = defaultdict(float)
    for recorded in counted:
        by_partnership[recorded.partnership].append(recorded)
        line = recorded.line
        if isinstance(line, RevenueRecorded):
            revenue[line.period] += line.amount
    portfolio = replay(counted, as_of, known_at, config)
    return PackContext(
        portfolio=portfolio,
        events=dict(by_partnership),
        portfolio_revenue=dict(revenue),
        corrections=dict(corrections),
        known_at=known_at,
        config=config,
        made_at=made_at,
        since=since,
    )


def default_since(as_of: date, registered_on: date) -> date:
    """The first day of the 12 months up to ``as_of``, not before registration."""
    try:
        year_before = as_of.replace(year=as_of.year - 1)
    except ValueError:  # 29 February
        year_before = as_of.replace(year=as_of.year - 1, day=28)
    return max(year_before + timedelta(days=1), registered_on)


def gather_pack(context: PackContext, handle: str) -> ReviewPack:
    """One partnership's review pack from a replayed store."""
    portfolio = context.portfolio
    view = portfolio.get(handle)
    if view is None:
        raise PackError(f"no partnership {handle!r} registered by {portfolio.as_of}")
    as_of = portfolio.as_of
    since = context.since if context.since is not None else default_since(as_of, view.registered_on)
    events = context.events.get(handle, [])
    insufficient = view.status == "unproven" or (view.outcomes == 0 and not view.reviews)
    latest = max(view.reviews, key=lambda r: (r.occurred_on, r.position), default=None)
    return ReviewPack(
        handle=view.handle,
        name=view.name,
        kind=view.kind,
        owner=view.owner,
        registered_on=view.registered_on,
        ended_on=view.ended_on,
        review_every_days=view.review_every_days,
        since=since,
        as_of=as_of,
        known_at=context.known_at,
        model_version=portfolio.model_version,
        made_at=context.made_at,
        figures=report_row(view, portfolio.model_version),
        insufficient_evidence=insufficient,
        trend=() if insufficient else tuple(trend_in_period(events, view, since, context)),
        sides=side_summaries(view, renegotiations(events, since), since),
        issues=issues_in_period(view, since),
        latest_review=review_row(latest) if latest else None,
        scores=score_rows(latest) if latest else (),
        reviews=tuple(review_row(r) for r in view.reviews if since <= r.occurred_on <= as_of),
        revenue=revenue_by_month(events, since, as_of, context.portfolio_revenue),
        revenue_12m=view.revenue_12m,
        corrections=corrections_in_period(context.corrections.get(handle, []), since, as_of),
        anchor=audit_anchor([*events, *context.corrections.get(handle, [])]),
    )


def trend_in_period(
    events: Sequence[Recorded], view: PartnershipView, since: date, context: PackContext
) -> list[TrendPoint]:
    """Trust and alignment from the start of the period (or registration) to the as-of date."""
    as_of = context.portfolio.as_of
    start = max(since, view.registered_on)
    span = (as_of - start).days
    step = max(1, -(-span // (TREND_POINTS - 1)))
    points = max(2, span // step + 1)
    return trend(
        events, as_of, points, step, context.config, context.known_at, partnership=view.handle
    )


def renegotiations(events: Iterable[Recorded], since: date) -> dict[str, list[Renegotiation]]:
    """Every renegotiation among ``events``, by commitment, oldest first."""
    found: dict[str, list[Renegotiation]] = defaultdict(list)
    for recorded in events:
        line = recorded.line
        if isinstance(line, CommitmentRenegotiated):
            on = recorded.occurred_on
            found[line.commitment].append(Renegotiation(on, line.due, line.reason, on >= since))
    return found


def side_summaries(
    view: PartnershipView, moved: dict[str, list[Renegotiation]], since: date
) -> tuple[SideSummary, SideSummary]:
    """Our and the partner's commitments of the period, with the counts by outcome."""
    rows: dict[Side, list[CommitmentRow]] = {"us": [], "partner": []}
    outcomes: dict[Side, int] = {"us": 0, "partner": 0}
    for c in view.commitments:
        if c.stage in ("kept", "missed"):
            outcomes[c.by] += 1
        closed_in_period = c.closed_on is not None and c.closed_on >= since
        if not (c.is_open or closed_in_period):
            continue
        rows[c.by].append(
            CommitmentRow(
                handle=c.handle,
                by=c.by,
                summary=c.summary,
                weight=c.weight,
                made_on=c.made_on,
                due=c.due,
                stage=c.stage,
                closed_on=c.closed_on,
                days_overdue=c.days_overdue,
                recovered=c.recovered,
                renegotiations=tuple(moved.get(c.handle, ())),
            )
        )
    reliability = {"us": view.our_reliability, "partner": view.partner_reliability}

    def summary(side: Side) -> SideSummary:
        mine = sorted(rows[side], key=_commitment_order)
        return SideSummary(
            side=side,
            reliability=reliability[side],
            outcomes=outcomes[side],
            kept=sum(1 for r in mine if r.stage == "kept"),
            missed=sum(1 for r in mine if r.stage == "missed"),
            renegotiated=sum(1 for r in mine if r.renegotiated_in_period),
            open=sum(1 for r in mine if r.stage == "open"),
            overdue=sum(1 for r in mine if r.stage == "overdue"),
            rows=tuple(mine),
        )

    us, partner = (summary(side) for side in SIDES)
    return us, partner


_STAGE_ORDER = {"overdue": 0, "open": 1, "missed": 2, "kept": 3}


def _commitment_order(row: CommitmentRow) -> tuple[int, date, str]:
    """Overdue first, then open, missed, kept; by due date within each."""
    return _STAGE_ORDER.get(row.stage, 9), row.due, row.handle


def issues_in_period(view: PartnershipView, since: date) -> tuple[IssueView, ...]:
    """Issues open at the as-of date or resolved in the period: open first, then by day."""
    rows = [
        i
        for i in view.issues
        if i.is_open or (i.resolved_on is not None and i.resolved_on >= since)
    ]
    rows.sort(key=lambda r: (not r.is_open, r.raised_on, r.handle))
    return tuple(rows)


def review_row(review: ReviewView) -> ReviewRow:
    return ReviewRow(
        held_on=review.occurred_on,
        level=review.level,
        gap=review.gap,
        alignment=review.alignment,
        both_sides=review.partner_scores is not None,
        asymmetric=tuple(a.dimension for a in review.asymmetries),
    )


def score_rows(review: ReviewView) -> tuple[ScoreRow, ...]:
    """The review's dimensions (those either side scored), in the contract's order."""
    theirs = review.partner_scores or {}
    asymmetric = {a.dimension for a in review.asymmetries}
    return tuple(
        ScoreRow(
            dimension=dim,
            ours=review.scores.get(dim),
            theirs=theirs.get(dim),
            gap=review.gaps.get(dim),
            asymmetric=dim in asymmetric,
        )
        for dim in DIMENSIONS
        if dim in review.scores or dim in theirs
    )


def months_between(first: date, last: date) -> list[str]:
    """The ``YYYY-MM`` periods from ``first``'s month to ``last``'s, in order."""
    start, end = first.year * 12 + first.month - 1, last.year * 12 + last.month - 1
    return [f"{m // 12:04d}-{m % 12 + 1:02d}" for m in range(start, end + 1)]


def revenue_by_month(
    events: Iterable[Recorded], since: date, as_of: date, portfolio: dict[str, float]
) -> tuple[RevenueMonth, ...]:
    """Each month of the period with revenue anywhere in the portfolio, oldest first.

    Amounts are summed as recorded, whatever their currency (as the projections do); the
    currencies recorded are listed beside the amount.
    """
    amounts: dict[str, float] = defaultdict(float)
    currencies: dict[str, set[str]] = defaultdict(set)
    for recorded in events:
        line = recorded.line
        if isinstance(line, RevenueRecorded):
            amounts[line.period] += line.amount
            currencies[line.period].add(line.currency)
    months = []
    for period in months_between(since, as_of):
        total = portfolio.get(period, 0.0)
        if total == 0 and period not in amounts:
            continue
        amount = amounts.get(period, 0.0)
        months.append(
            RevenueMonth(
                period=period,
                amount=amount,
                currencies=tuple(sorted(currencies.get(period, ()))),
                portfolio_total=total,
                share=amount / total if total > 0 else None,
            )
        )
    return tuple(months)


def corrections_in_period(
    corrections: Sequence[Recorded], since: date, as_of: date
) -> tuple[Correction, ...]:
    """The corrections made since the period began, for their own section: each applies on
    any as-of date, so one made after ``as_of`` (but known) is listed too."""
    found = []
    for correction in corrections:
        line = correction.line
        if not isinstance(line, EventVoided | EventAmended) or correction.occurred_on < since:
            continue
        verb = "voided" if isinstance(line, EventVoided) else "amended"
        found.append(
            Correction(on=correction.occurred_on, what=f"{verb} {line.event}", reason=line.reason)
        )
    return tuple(found)


def audit_anchor(events: Sequence[Recorded]) -> AuditAnchor | None:
    """The newest of the partnership's counted events and known corrections (the highest
    recording position)."""
    newest = max(events, key=lambda r: r.position, default=None)
    if newest is None:
        return None
    return AuditAnchor(
        partnership=newest.partnership,
        version=newest.version,
        position=newest.position,
        recorded_at=newest.recorded_at,
        link=newest.link,
    )


def portfolio_index(context: PackContext, hrefs: dict[str, str]) -> PortfolioIndex:
    """The index page of ``pack --all``; ``hrefs`` names each partnership's pack file."""
    portfolio = context.portfolio
    return PortfolioIndex(
        as_of=portfolio.as_of,
        known_at=context.known_at,
        since=context.since,
        model_version=portfolio.model_version,
        made_at=context.made_at,
        by_status={str(status): count for status, count in portfolio.by_status.items()},
        active=portfolio.active,
        trusted_share=portfolio.trusted_share,
        trusted_target_share=portfolio.trusted_target_share,
        revenue_total_12m=portfolio.revenue_total_12m,
        largest_revenue_share=portfolio.largest_revenue_share,
        largest_revenue_partnership=portfolio.largest_revenue_partnership,
        concentration_threshold=context.config.concentration_share,
        alert_count=portfolio.alert_count,
        rows=tuple(
            IndexRow(
                handle=view.handle,
                name=view.name,
                kind=view.kind,
                status=view.status,
                trust=view.trust,
                trust_uncertainty=view.trust_uncertainty,
                alignment=view.alignment,
                overdue=view.counts.overdue,
                open_issues=len(view.open_issues),
                revenue_share=view.revenue_share,
                alerts=len(view.alerts),
                href=hrefs[view.handle],
            )
            for view in portfolio.partnerships
            if view.handle in hrefs
        ),
    )
