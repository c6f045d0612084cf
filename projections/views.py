"""The read models the report, the dashboard and ``check`` consume: plain immutable values.

Nothing here computes; :mod:`portfolio` builds these from the fold's state at an
as-of date (a view's ``commitments`` and ``reviews`` are sequences built there on first use).
Item views are named tuples (cheap to build by the hundred thousand); the partnership view
is a frozen dataclass, the portfolio an immutable class that may make its partnerships'
views on first use. All of them compare by value, so two replays of the same events give
equal objects.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import FrozenInstanceError, dataclass
from datetime import date, datetime
from typing import ClassVar, Literal, NamedTuple, Protocol

Status = Literal["unproven", "trusted", "emerging", "regular", "at_risk", "ended"]
STATUSES: tuple[Status, ...] = ("trusted", "emerging", "regular", "at_risk", "unproven", "ended")

CommitmentStage = Literal["open", "overdue", "kept", "missed"]

AlertKind = Literal[
    "overdue_commitment",
    "review_overdue",
    "issue_open_too_long",
    "partner_card",
    "trust_drop",
    "concentration",
]


SubjectKind = Literal["commitment", "issue", "review"]


class Alert(NamedTuple):
    """One alert: what kind, about which partnership, the message shown to people, and the
    item it is about, so that a front end can go to it without reading the message.

    ``subject_kind`` and ``subject`` name that item: a commitment or an issue by its handle,
    a review by its recording position (``ReviewView.position``, as text). Both are None
    when the alert is about the partnership as a whole (a trust drop, revenue
    concentration); a review alert before the first review has ``subject_kind`` "review"
    and no ``subject``.
    """

    kind: AlertKind
    partnership: str
    message: str
    subject_kind: SubjectKind | None = None
    subject: str | None = None


class Asymmetry(NamedTuple):
    """A dimension one side scored high and the other low in the latest review."""

    dimension: str
    ours: int
    theirs: int


class CommitmentView(NamedTuple):
    """A commitment as of the view's date. ``stage`` is open, overdue, kept or missed.

    ``due`` is the due date in force on that day (after renegotiations), ``days_overdue`` is
    0 unless the stage is overdue, and ``recovered`` tells whether a resolved issue took back
    part of a miss.
    """

    handle: str
    by: Literal["us", "partner"]
    summary: str
    weight: int
    made_on: date
    due: date
    stage: CommitmentStage
    closed_on: date | None
    days_overdue: int
    renegotiations: int
    recovered: bool

    @property
    def is_open(self) -> bool:
        """Not yet kept or missed (overdue commitments are open too)."""
        return self.stage in ("open", "overdue")


class IssueView(NamedTuple):
    """An issue as of the view's date; ``days_open`` counts to resolution or to the date."""

    handle: str
    summary: str
    severity: Literal["low", "medium", "high"]
    commitment: str | None
    partner_card: bool
    raised_on: date
    resolved_on: date | None
    resolution: str | None
    days_open: int

    @property
    def is_open(self) -> bool:
        return self.resolved_on is None


class ReviewView(NamedTuple):
    """One review with its derived figures.

    ``gaps`` maps each dimension both sides scored to ``|ours - theirs| / 4``; ``level``,
    ``gap`` and ``alignment`` are the review's own figures (see :mod:`alignment`).
    """

    occurred_on: date
    position: int
    scores: Mapping[str, int]
    partner_scores: Mapping[str, int] | None
    gaps: Mapping[str, float]
    level: float
    gap: float
    alignment: float
    asymmetries: tuple[Asymmetry, ...]


class CommitmentCounts(NamedTuple):
    """Counts by stage; ``open`` includes the overdue ones, ``overdue`` is its subset."""

    open: int
    overdue: int
    kept: int
    missed: int


class TrendPoint(NamedTuple):
    """Trust and alignment (None before the first review) at the end of one day."""

    on: date
    trust: float
    alignment: float | None


class Listed(Protocol):
    """What a portfolio is counted, filtered and ordered by, for one partnership: what a
    :class:`PartnershipView` has, and a view row gives before the rest of its view is read
    (:class:`~trustledger.projections.stored_views.StoredView`)."""

    @property
    def handle(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def owner(self) -> str | None: ...
    @property
    def status(self) -> Status: ...
    @property
    def reason(self) -> str: ...
    @property
    def trust(self) -> float: ...
    @property
    def trust_uncertainty(self) -> float: ...
    @property
    def alignment(self) -> float | None: ...
    @property
    def counts(self) -> CommitmentCounts: ...
    @property
    def next_review_due(self) -> date | None: ...
    @property
    def revenue_12m(self) -> float: ...
    @property
    def open_issue_count(self) -> int: ...
    @property
    def alert_count(self) -> int: ...
    @property
    def detailed(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class PartnershipView:
    """Everything known about one partnership at the end of the as-of day."""

    handle: str
    name: str
    kind: str
    owner: str | None
    review_every_days: int
    registered_on: date
    ended_on: date | None
    status: Status
    reason: str
    trust: float
    trust_uncertainty: float
    trust_window_start: float
    our_reliability: float
    partner_reliability: float
    outcomes: int
    alignment: float | None
    perception_gap: float | None
    asymmetries: tuple[Asymmetry, ...]
    commitments: Sequence[CommitmentView]
    counts: CommitmentCounts
    issues: tuple[IssueView, ...]
    reviews: Sequence[ReviewView]
    last_review: date | None
    next_review_due: date | None
    revenue_12m: float
    revenue_share: float | None
    alerts: tuple[Alert, ...]
    #: False for a lean view (:mod:`~trustledger.projections.stored_views`): every figure,
    #: the open issues and the alerts, but no commitments or reviews (its partnership's
    #: history gives those when it is opened).
    detailed: bool = True

    @property
    def open_commitments(self) -> tuple[CommitmentView, ...]:
        """Open commitments, the overdue ones included."""
        return tuple(c for c in self.commitments if c.is_open)

    @property
    def overdue_commitments(self) -> tuple[CommitmentView, ...]:
        return tuple(c for c in self.commitments if c.stage == "overdue")

    @property
    def kept_commitments(self) -> tuple[CommitmentView, ...]:
        return tuple(c for c in self.commitments if c.stage == "kept")

    @property
    def missed_commitments(self) -> tuple[CommitmentView, ...]:
        return tuple(c for c in self.commitments if c.stage == "missed")

    @property
    def open_issues(self) -> tuple[IssueView, ...]:
        return tuple(i for i in self.issues if i.is_open)

    @property
    def open_issue_count(self) -> int:
        return sum(1 for i in self.issues if i.is_open)

    @property
    def alert_count(self) -> int:
        return len(self.alerts)

    @property
    def resolved_issues(self) -> tuple[IssueView, ...]:
        return tuple(i for i in self.issues if not i.is_open)

    @property
    def alert_messages(self) -> list[str]:
        return [alert.message for alert in self.alerts]


_VIEW_FIELDS = tuple(PartnershipView.__dataclass_fields__)


def changed_view(view: PartnershipView, **changes: object) -> PartnershipView:
    """``dataclasses.replace(view, **changes)`` without its per-field Python work: a
    portfolio of ten thousand partnerships gets new shares whenever its revenue moves, and a
    live view makes lean views by the thousand."""
    twin = object.__new__(PartnershipView)
    setattr_ = object.__setattr__
    for name in _VIEW_FIELDS:
        setattr_(twin, name, changes[name] if name in changes else getattr(view, name))
    return twin


class Portfolio:
    """All partnerships at the end of the as-of day (sorted by handle) and portfolio figures.

    ``trusted_share`` is the share of partnerships not ended that are trusted (None when there
    are none), to be read against ``trusted_target_share``. ``revenue_total_12m`` sums every
    partnership's revenue in the 12 months up to the as-of month; ``largest_revenue_share`` and
    ``largest_revenue_partnership`` name the biggest slice (None when there is no revenue).
    ``concentrated`` names the partnerships that carry a concentration alert.

    Immutable, and compared by value like the other views (``by_handle`` aside). A portfolio
    may be given its ``partnerships`` as a function that makes them, with ``by_handle`` a
    mapping that finds one without making the others: a live portfolio of ten thousand
    partnerships then does not make every view again when the revenue total moves every
    share; they are made (once) when all are read.
    """

    __slots__ = (
        "_by_handle",
        "_make",
        "_partnerships",
        "active",
        "alert_count",
        "as_of",
        "by_status",
        "concentrated",
        "known_at",
        "largest_revenue_partnership",
        "largest_revenue_share",
        "model_version",
        "revenue_total_12m",
        "trusted_share",
        "trusted_target_share",
    )

    #: What a portfolio holds and is compared by, in order (``by_handle`` and
    #: ``concentrated`` follow from ``partnerships``).
    FIELDS: ClassVar[tuple[str, ...]] = (
        "as_of",
        "known_at",
        "model_version",
        "partnerships",
        "by_status",
        "active",
        "trusted_share",
        "trusted_target_share",
        "revenue_total_12m",
        "largest_revenue_share",
        "largest_revenue_partnership",
        "alert_count",
    )

    as_of: date
    known_at: datetime | None
    model_version: str
    by_status: Mapping[Status, int]
    active: int
    trusted_share: float | None
    trusted_target_share: float
    revenue_total_12m: float
    largest_revenue_share: float | None
    largest_revenue_partnership: str | None
    alert_count: int
    concentrated: frozenset[str]
    _partnerships: tuple[PartnershipView, ...] | None
    _make: Callable[[], tuple[PartnershipView, ...]] | None
    _by_handle: Mapping[str, PartnershipView] | None

    def __init__(
        self,
        *,
        as_of: date,
        known_at: datetime | None,
        model_version: str,
        partnerships: tuple[PartnershipView, ...] | Callable[[], tuple[PartnershipView, ...]],
        by_status: Mapping[Status, int],
        active: int,
        trusted_share: float | None,
        trusted_target_share: float,
        revenue_total_12m: float,
        largest_revenue_share: float | None,
        largest_revenue_partnership: str | None,
        alert_count: int,
        by_handle: Mapping[str, PartnershipView] | None = None,
        concentrated: Iterable[str] | None = None,
    ) -> None:
        put = object.__setattr__
        put(self, "as_of", as_of)
        put(self, "known_at", known_at)
        put(self, "model_version", model_version)
        put(self, "by_status", by_status)
        put(self, "active", active)
        put(self, "trusted_share", trusted_share)
        put(self, "trusted_target_share", trusted_target_share)
        put(self, "revenue_total_12m", revenue_total_12m)
        put(self, "largest_revenue_share", largest_revenue_share)
        put(self, "largest_revenue_partnership", largest_revenue_partnership)
        put(self, "alert_count", alert_count)
        if isinstance(partnerships, tuple):
            put(self, "_partnerships", partnerships)
            put(self, "_make", None)
        else:
            put(self, "_partnerships", None)
            put(self, "_make", partnerships)
        put(self, "_by_handle", by_handle)
        if concentrated is None:
            concentrated = (
                view.handle
                for view in self.partnerships
                if any(alert.kind == "concentration" for alert in view.alerts)
            )
        put(self, "concentrated", frozenset(concentrated))

    def __setattr__(self, name: str, value: object) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    @property
    def partnerships(self) -> tuple[PartnershipView, ...]:
        """Every partnership's view, sorted by handle."""
        found = self._partnerships
        if found is None:
            assert self._make is not None
            found = self._make()
            object.__setattr__(self, "_partnerships", found)
        return found

    @property
    def by_handle(self) -> Mapping[str, PartnershipView]:
        """The views by handle."""
        found = self._by_handle
        if found is None:
            found = {view.handle: view for view in self.partnerships}
            object.__setattr__(self, "_by_handle", found)
        return found

    def as_known_at(self, known_at: datetime | None) -> Portfolio:
        """This portfolio, said to be what was known at ``known_at`` (the same when it is)."""
        if known_at == self.known_at:
            return self
        copy = object.__new__(Portfolio)
        for name in self.__slots__:
            object.__setattr__(copy, name, getattr(self, name))
        object.__setattr__(copy, "known_at", known_at)
        return copy

    def unshared(self) -> Mapping[str, Listed]:
        """The views by handle, each with every figure but perhaps its revenue share and
        concentration alert (which the portfolio's total moves), as held before those are
        worked out: what filtering and ordering many rows read, without making every view
        with its share (or, for views read from view rows, any view at all)."""
        found = getattr(self.by_handle, "unshared", None)
        return found() if found is not None else self.by_handle

    def _values(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in self.FIELDS)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, Portfolio)
        return self._values() == other._values()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.FIELDS)
        return f"Portfolio({shown})"

    def get(self, handle: str) -> PartnershipView | None:
        """The view of one partnership, or None when it is not in the portfolio."""
        return self.by_handle.get(handle)

    @property
    def handles(self) -> list[str]:
        return [view.handle for view in self.partnerships]

    @property
    def alerts(self) -> list[Alert]:
        """Every alert, partnership by partnership (sorted by handle)."""
        return [alert for view in self.partnerships for alert in view.alerts]
