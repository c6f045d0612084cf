"""What a review pack holds: plain immutable values, ready for the templates.

:mod:`.gather` builds them from the ledger's events and the projections' views;
:mod:`.render` turns them into HTML. Nothing here computes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal, NamedTuple

from trustledger.projections.views import IssueView, TrendPoint

Side = Literal["us", "partner"]
SIDES: tuple[Side, ...] = ("us", "partner")


class Renegotiation(NamedTuple):
    """A commitment moved to a new due date, on a day, for a reason."""

    on: date
    due: date
    reason: str | None
    in_period: bool


class CommitmentRow(NamedTuple):
    """A commitment of the period: open at the as-of date, or kept or missed in the period.

    ``stage`` is open, overdue, kept or missed at the as-of date; ``renegotiations`` are all
    of its new due dates up to then, oldest first.
    """

    handle: str
    by: Side
    summary: str
    weight: int
    made_on: date
    due: date
    stage: str
    closed_on: date | None
    days_overdue: int
    recovered: bool
    renegotiations: tuple[Renegotiation, ...]

    @property
    def renegotiated_in_period(self) -> bool:
        return any(r.in_period for r in self.renegotiations)


class SideSummary(NamedTuple):
    """One side's commitments of the period, counted by what happened to them."""

    side: Side
    reliability: float
    outcomes: int
    kept: int
    missed: int
    renegotiated: int
    open: int
    overdue: int
    rows: tuple[CommitmentRow, ...]


class ScoreRow(NamedTuple):
    """One dimension of a review: both sides' scores (None: not scored), gap, asymmetry."""

    dimension: str
    ours: int | None
    theirs: int | None
    gap: float | None
    asymmetric: bool


class ReviewRow(NamedTuple):
    """One review held in the period, with its own figures."""

    held_on: date
    level: float
    gap: float
    alignment: float
    both_sides: bool
    asymmetric: tuple[str, ...]


class RevenueMonth(NamedTuple):
    """A month of the period: this partnership's revenue and the whole portfolio's."""

    period: str
    amount: float
    currencies: tuple[str, ...]
    portfolio_total: float
    share: float | None


class AuditAnchor(NamedTuple):
    """The newest event the pack includes: where it sits in the store and its hash link.

    ``trustledger audit verify --position POSITION`` prints the same link for that position.
    """

    partnership: str
    version: int
    position: int
    recorded_at: datetime
    link: str


class Correction(NamedTuple):
    """A correction recorded in the period (see :func:`.gather.corrections_in_period`)."""

    on: date
    what: str
    reason: str | None


@dataclass(frozen=True, slots=True)
class ReviewPack:
    """Everything one partnership's review pack shows.

    ``figures`` is the partnership's row of ``trustledger report --format json`` for the same
    as-of date and known-at time, so the pack and the report cannot disagree.
    ``insufficient_evidence`` is set when there is too little to judge (status unproven, or no
    outcome and no review): the pack then says so and draws no trend.
    """

    handle: str
    name: str
    kind: str
    owner: str | None
    registered_on: date
    ended_on: date | None
    review_every_days: int
    since: date
    as_of: date
    known_at: datetime | None
    model_version: str
    made_at: datetime
    figures: Mapping[str, Any]
    insufficient_evidence: bool
    trend: tuple[TrendPoint, ...]
    sides: tuple[SideSummary, SideSummary]
    issues: tuple[IssueView, ...]  # open at the as-of date or resolved in the period
    latest_review: ReviewRow | None
    scores: tuple[ScoreRow, ...]
    reviews: tuple[ReviewRow, ...]
    revenue: tuple[RevenueMonth, ...]
    revenue_12m: float
    corrections: tuple[Correction, ...]
    anchor: AuditAnchor | None

    @property
    def status(self) -> str:
        return str(self.figures["status"])

    @property
    def alerts(self) -> list[str]:
        return list(self.figures["alerts"])


class IndexRow(NamedTuple):
    """One partnership on the index page, with the file name of its pack."""

    handle: str
    name: str
    kind: str
    status: str
    trust: float
    trust_uncertainty: float
    alignment: float | None
    overdue: int
    open_issues: int
    revenue_share: float | None
    alerts: int
    href: str


@dataclass(frozen=True, slots=True)
class PortfolioIndex:
    """The index page of ``pack --all``: the portfolio picture and a row per pack."""

    as_of: date
    known_at: datetime | None
    since: date | None
    model_version: str
    made_at: datetime
    by_status: Mapping[str, int]
    active: int
    trusted_share: float | None
    trusted_target_share: float
    revenue_total_12m: float
    largest_revenue_share: float | None
    largest_revenue_partnership: str | None
    concentration_threshold: float
    alert_count: int
    rows: tuple[IndexRow, ...]
