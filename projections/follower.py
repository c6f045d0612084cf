"""Following the store: a live portfolio fed batch by batch.

:class:`Follower` is the functional core of live following; the shell (waiting for the store
in a thread worker, the shared read model it starts from) lives in the caller. Feed it the new
events in recording order with :meth:`Follower.apply`; ask for the portfolio at any as-of date
with :meth:`Follower.view`. After any split of the stream into batches the state equals one
full :func:`~trustledger.projections.replay.fold` of the same events, and ``view(d)`` equals
``portfolio_at(fold(events), d)``; for ``d`` on or after the last event's day that is exactly
``replay(events, d)``, and for an earlier ``d`` the same up to float rounding in the last bits
(a replay folds only the events that had occurred, the follower filters its facts by day).

A correction changes a partnership's past: :meth:`Follower.apply` then folds that
partnership afresh from its history, which the caller reads (the ``history`` argument), so
the state still equals one full fold with the corrections applied.

Events at or below the last position already folded are skipped, so overlapping batches (a
poll that re-reads its last event, a start from a stored state followed by a catch-up read
from an earlier position) are harmless. Positions are the store's notification ids (1, 2, ...).

Views and sparkline series are kept per partnership for the last as-of date asked; a batch
makes afresh only those of the partnerships it touched, and the portfolio-wide figures
(counts by status and of alerts, the revenue total, the largest share, the concentration
alerts) move by the difference, so the work per batch follows the batch, not the size of
the portfolio. Revenue shares, which any revenue moves, are worked out where a view is read
(see :class:`SharedViews`). Asking again with nothing new is free.

A follower can start from a state folded elsewhere (:meth:`Follower.from_state`: the shared
read model, :mod:`~trustledger.projections.persist`); nothing is ever unpickled.

A *lean* follower (:meth:`Follower.lean`) starts from today's lean views instead
(:mod:`~trustledger.projections.stored_views`) and holds the folded state of only the
partnerships new events touched: a partnership that is not held yet is taken up when an event
for it arrives, from its stored state when the caller can give it (``stored``: see
:data:`StoredStates`), else folded from its history (``history(handle)``, up to the position
before the batch). Its memory follows what changed, not the history. It answers for the day
its views are of; for any other day (the day turned, an event dated later arrived)
:meth:`Follower.view` raises :class:`NeedsFullState`, and the caller starts again from the
full state.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date

from trustledger.domain.recorded import Recorded
from trustledger.projections.config import DEFAULT_CONFIG, MODEL_VERSION, ModelConfig
from trustledger.projections.corrections import corrected_handles
from trustledger.projections.persist import BadStateData
from trustledger.projections.portfolio import (
    partnership_view,
    revenue_share,
    share_alerts,
    with_share,
)
from trustledger.projections.replay import refold
from trustledger.projections.state import PartnershipState, PortfolioState, evolve_all
from trustledger.projections.stored_views import StoredView, lean, made_view
from trustledger.projections.trends import series
from trustledger.projections.views import (
    STATUSES,
    Alert,
    Listed,
    PartnershipView,
    Portfolio,
    Status,
    TrendPoint,
)

#: A view the follower holds: made, or as read from a view row and made when first asked for.
HeldView = PartnershipView | StoredView


class SharedViews(Mapping[str, PartnershipView]):
    """The views of one portfolio by handle, each with its revenue share of ``total``, made
    when first asked for (:func:`with_share`) from ``views`` (without shares; a copy the
    follower no longer changes)."""

    def __init__(
        self,
        views: dict[str, HeldView],
        total: float,
        as_of: date,
        config: ModelConfig,
    ) -> None:
        self._views = views
        self._total = total
        self._as_of = as_of
        self._config = config
        self._made: dict[str, PartnershipView] = {}

    def __getitem__(self, handle: str) -> PartnershipView:
        made = self._made.get(handle)
        if made is None:
            view = made_view(self._views[handle])
            made = with_share(view, self._total, self._as_of, self._config)
            self._made[handle] = made
        return made

    def __contains__(self, handle: object) -> bool:
        return handle in self._views

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._views))

    def __len__(self) -> int:
        return len(self._views)

    def unshared(self) -> Mapping[str, Listed]:
        """The views by handle without their revenue shares (see ``Portfolio.unshared``)."""
        return self._views

    def unmade(self, handle: str) -> tuple[StoredView, float | None, list[Alert]] | None:
        """For a partnership whose view is still as read from its view row: that row, its
        revenue share of the total and its concentration alert, if it has one (what
        :func:`with_share` gives the view); None once its view is made. A report reads
        these without making the view."""
        view = self._views[handle]
        if handle in self._made or not isinstance(view, StoredView) or view.is_made:
            return None
        share = revenue_share(view.revenue_12m, self._total)
        return view, share, share_alerts(handle, view.status, share, self._as_of, self._config)

    def all(self) -> tuple[PartnershipView, ...]:
        """Every view, sorted by handle."""
        return tuple(self[handle] for handle in sorted(self._views))


#: The stored states of partnerships as of a position between two (``since`` and ``upto``,
#: a lean follower's), for some of those asked (``(handles, since, upto)``): a partnership
#: that has had no event since ``since`` has the same state at ``upto``.
StoredStates = Callable[[list[str], int, int], Mapping[str, PartnershipState]]


class StoredSparks(Mapping[str, list[TrendPoint]]):
    """Sparklines by handle: those in ``made``, and those of the views in ``views`` still as
    read from view rows, made when first read (copies the follower no longer changes)."""

    def __init__(self, made: dict[str, list[TrendPoint]], views: dict[str, HeldView]) -> None:
        self._made = made
        self._views = views

    def __getitem__(self, handle: str) -> list[TrendPoint]:
        found = self._made.get(handle)
        if found is None:
            view = self._views.get(handle)
            if not isinstance(view, StoredView):
                raise KeyError(handle)
            found = view.shown()[1]
        return found

    def __iter__(self) -> Iterator[str]:
        stored = [h for h, view in self._views.items() if isinstance(view, StoredView)]
        return iter(sorted({*self._made, *stored}))

    def __len__(self) -> int:
        return sum(1 for _ in self)


class NeedsFullState(LookupError):
    """A lean follower was asked about a day its views are not of."""


class UnreadableView(BadStateData):
    """A view read from a view row could not be made (its row's tail has another shape)."""

    def __init__(self, handle: str, reason: str) -> None:
        super().__init__(f"{handle!r}: {reason}")
        self.handle = handle
        self.reason = reason


class Follower:
    """Holds the live portfolio state; see the module docstring."""

    def __init__(self, config: ModelConfig = DEFAULT_CONFIG) -> None:
        self._state = PortfolioState(config)
        self._handles: list[str] = []  # every partnership's handle, sorted
        self._portfolio: Portfolio | None = None  # the last view, until something changes
        # The figures at the as-of date of the last view (``_views_key``), kept up to date
        # partnership by partnership: views without revenue shares (of the partnerships
        # registered by then), their handles in order with their revenues (the total is
        # their sum in that order, as a replay adds them up), the revenues sorted (largest
        # share, concentration), the counts by status and the alerts but concentration.
        self._views_key: tuple[date, bool] | None = None
        self._views: dict[str, HeldView] = {}
        self._order: list[str] = []
        self._revenues: list[float] = []
        self._ranked: list[tuple[float, str]] = []
        self._by_status: dict[Status, int] = dict.fromkeys(STATUSES, 0)
        self._alerts = 0
        self._stale: set[str] = set()  # partnerships whose view is to be made afresh
        self._series: dict[str, list[TrendPoint]] = {}  # a view row's sparkline is its own
        self._series_key: tuple[date, int, int] | None = None
        self._series_stale: set[str] = set()
        # A lean follower's every partnership (views held or state held) and their count
        # with those registered after the views' day (None: not lean, the state holds all).
        self._known: set[str] | None = None
        # A lean follower: the position since which no partnership whose state it does not
        # hold has had an event (its start, or the last time it let the states go).
        self._unheld_since: int | None = None
        self._count = 0
        self._unmade = False  # some views are still as read from view rows

    @classmethod
    def from_state(cls, state: PortfolioState) -> Follower:
        """A follower going on from ``state`` (folded elsewhere; it is taken over, not
        copied)."""
        follower = cls(state.config)
        follower._state = state
        return follower

    @classmethod
    def lean(
        cls,
        config: ModelConfig,
        *,
        position: int,
        max_day: date,
        partnerships: int,
        as_of: date,
        views: Mapping[str, HeldView],
        series: Mapping[str, list[TrendPoint]],
        series_key: tuple[int, int],
    ) -> Follower:
        """A lean follower at ``position``: ``views`` (without revenue shares) and ``series``
        (sparklines of ``series_key``: points, step in days) are every partnership's at
        ``as_of``, ``partnerships`` counts them all (those registered after ``as_of``
        included), ``max_day`` is the latest day of any event folded. A view read from a
        view row (:class:`StoredView`) brings its own sparkline: its view and sparkline
        are made when first read, or all at once by :meth:`complete`."""
        follower = cls(config)
        state = follower._state
        state.last_position = position
        state.max_day = max_day
        follower._set_views(dict(sorted(views.items())))
        follower._views_key = (as_of, as_of >= max_day)
        follower._series = dict(series)
        follower._series_key = (as_of, *series_key)
        follower._known = set(views)
        follower._unheld_since = position
        follower._count = partnerships
        follower._unmade = any(isinstance(view, StoredView) for view in views.values())
        return follower

    def complete(self) -> None:
        """Make every view and sparkline still held as read from a view row (each is checked
        as it is made: :class:`~trustledger.projections.persist.BadStateData`, naming no
        handle, when one has another shape; :class:`UnreadableView` names it)."""
        if not self._unmade:
            return
        views, series = self._views, self._series
        for handle, view in views.items():
            if isinstance(view, StoredView):
                try:
                    made, spark = view.made()
                except BadStateData as exc:
                    raise UnreadableView(handle, str(exc)) from None
                views[handle] = made
                series[handle] = spark
        self._unmade = False
        self._portfolio = None  # the next one holds the views made

    def make_lean(self) -> bool:
        """Let go of every partnership's folded state (after it was stored), keeping the
        views and sparklines of the last day asked; False (and nothing changed) when there
        are none, or some are to be made afresh."""
        if self._views_key is None or self._series_key is None:
            return False
        if self._series_key[0] != self._views_key[0] or self._stale or self._series_stale:
            return False
        held = self._state.partnerships
        if self._known is None:
            self._known = set(held)
            self._count = len(held)
        # A view made from a folded state keeps it (its commitments and reviews are read
        # from it when asked for): the views of the partnerships let go become lean, or
        # every partnership ever touched would stay in memory through its view.
        views = self._views
        for handle in held:
            view = views.get(handle)
            if isinstance(view, PartnershipView) and view.detailed:
                views[handle] = lean(view)
        held.clear()
        self._unheld_since = self._state.last_position
        self._portfolio = None
        return True

    @property
    def is_lean(self) -> bool:
        return self._known is not None

    @property
    def partnership_count(self) -> int:
        """How many partnerships are registered (on any day) in what was folded."""
        return self._count if self._known is not None else len(self._state.partnerships)

    def stored_views(
        self, as_of: date, handles: Iterable[str] | None = None
    ) -> dict[str, tuple[PartnershipView, list[TrendPoint]]] | None:
        """The views (without revenue shares) and sparklines held for ``as_of``, of
        ``handles`` (None: all); None unless every one asked for is held for that day."""
        if self._views_key is None or self._views_key[0] != as_of:
            return None
        if self._series_key is None or self._series_key[0] != as_of:
            return None
        if self._stale or self._series_stale:
            return None  # folded but not viewed since
        views, series = self._views, self._series
        found: dict[str, tuple[PartnershipView, list[TrendPoint]]] = {}
        for handle in views if handles is None else handles:
            view = views.get(handle)
            if view is None:
                continue  # not in the portfolio that day (registered later, or voided)
            if isinstance(view, StoredView):
                found[handle] = view.made()
                continue
            spark = series.get(handle)
            if spark is None:
                return None
            found[handle] = (view, spark)
        return found

    @property
    def config(self) -> ModelConfig:
        return self._state.config

    @property
    def state(self) -> PortfolioState:
        """The folded state (read it, do not change it)."""
        return self._state

    @property
    def last_position(self) -> int:
        """The position of the last event folded (0 before any)."""
        return self._state.last_position

    def apply(
        self,
        batch: Iterable[Recorded],
        history: Callable[[str], Iterable[Recorded]] | None = None,
        stored: StoredStates | None = None,
    ) -> set[str]:
        """Fold new events (in recording order); return the handles of partnerships they changed.

        Revenue changes every partnership's revenue share: views recompute shares anyway.
        A correction changes a partnership's past: that partnership is folded afresh from
        its whole history, which ``history(handle)`` gives (the caller's read of the store;
        ValueError when a batch holds a correction and no ``history`` is given). A lean
        follower takes the state of a partnership it does not hold from ``stored`` when it
        can (see :data:`StoredStates`), else folds its history.
        """
        state = self._state
        seen = state.last_position
        fresh = [recorded for recorded in batch if recorded.position > seen]
        changed: set[str] = set()
        known = self._known
        if known is not None:
            self._hold({recorded.partnership for recorded in fresh}, history, stored)
        evolve_all(state, fresh, changed)
        corrected = corrected_handles(fresh)
        if corrected and history is None:
            raise ValueError("a batch with corrections needs the partnerships' histories")
        for handle in corrected:
            assert history is not None
            self.refold(handle, history(handle))
            changed.add(handle)
        if known is not None:
            for handle in changed:
                if handle in state.partnerships:
                    if handle not in known:
                        known.add(handle)
                        self._count += 1
                elif handle in known:
                    known.discard(handle)  # its registration was voided
                    self._count -= 1
                    self._handles = []
        if changed:
            self._stale |= changed
            self._series_stale |= changed
            self._portfolio = None
        return changed

    def _hold(
        self,
        handles: set[str],
        history: Callable[[str], Iterable[Recorded]] | None,
        stored: StoredStates | None = None,
    ) -> None:
        """Take up the states of the partnerships among ``handles`` that a lean follower
        does not hold yet, as of its position (the batch follows): stored ones from
        ``stored``, the others folded from their histories."""
        partnerships = self._state.partnerships
        missing = sorted(handle for handle in handles if handle not in partnerships)
        if not missing:
            return
        since = self._unheld_since
        if stored is not None and since is not None:
            found = stored(missing, since, self._state.last_position)
            partnerships.update(found)
            missing = [handle for handle in missing if handle not in found]
            if not missing:
                return
        if history is None:
            raise ValueError("a lean follower needs the partnerships' histories")
        for handle in missing:
            refold(self._state, handle, history(handle))

    def handles(self) -> list[str]:
        """Every partnership's handle, sorted (kept between batches; a correction that drops one
        clears it)."""
        known = self._known
        if known is not None:
            if len(self._handles) != len(known):
                self._handles = sorted(known)
            return self._handles
        if len(self._handles) != len(self._state.partnerships):
            self._handles = sorted(self._state.partnerships)
        return self._handles

    def refold(self, handle: str, history: Iterable[Recorded]) -> None:
        """Fold one partnership afresh from its ``history`` (its events in recording order,
        those past the last position folded ignored), corrections applied."""
        refold(self._state, handle, history)
        self._handles = []  # its registration may have been voided
        self._stale.add(handle)
        self._series_stale.add(handle)
        self._portfolio = None

    def view(self, as_of: date) -> Portfolio:
        """The portfolio at the end of ``as_of`` (equal to a full replay at that date).

        After a batch, only the partnerships it changed are viewed afresh and the portfolio
        figures move by their difference; the revenue shares (which any revenue moves) are
        worked out when a view is read (:class:`SharedViews`), the largest share and the
        concentration alerts from the revenues kept sorted.
        """
        current = as_of >= self._state.max_day
        if self._known is not None and (as_of, current) != self._views_key:
            raise NeedsFullState(f"a lean follower holds the views of {self._views_key}")
        if (as_of, current) != self._views_key:
            # Another day, or an event dated after it arrived: every view is made afresh.
            self._views_key = (as_of, current)
            self._rebuild(as_of, current)
        elif self._portfolio is not None:
            return self._portfolio
        stale, self._stale = self._stale, set()
        partnerships = self._state.partnerships
        config = self._state.config
        for handle in sorted(stale):
            ps = partnerships.get(handle)
            view = None if ps is None else partnership_view(ps, as_of, config, current)
            self._put(handle, view)
        self._portfolio = self._assemble(as_of)
        return self._portfolio

    def _rebuild(self, as_of: date, current: bool) -> None:
        """Every view and figure afresh, at ``as_of``."""
        partnerships = self._state.partnerships
        config = self._state.config
        views: dict[str, HeldView] = {}
        for handle in sorted(partnerships):
            view = partnership_view(partnerships[handle], as_of, config, current)
            if view is not None:
                views[handle] = view
        self._set_views(views)

    def _set_views(self, views: dict[str, HeldView]) -> None:
        """Take ``views`` (sorted by handle) as every view, and work out the figures."""
        self._views = views
        self._order = list(views)
        self._revenues = [view.revenue_12m for view in views.values()]
        self._ranked = sorted(zip(self._revenues, self._order, strict=True))
        self._by_status = dict.fromkeys(STATUSES, 0)
        for view in views.values():
            self._by_status[view.status] += 1
        self._alerts = sum(view.alert_count for view in views.values())
        self._stale = set()

    def _put(self, handle: str, view: PartnershipView | None) -> None:
        """Replace the view of ``handle`` (None: not in the portfolio), and the figures."""
        views = self._views
        old = views.get(handle)
        order, revenues, ranked = self._order, self._revenues, self._ranked
        at = bisect_left(order, handle)
        if old is not None:
            self._by_status[old.status] -= 1
            self._alerts -= old.alert_count
            del ranked[bisect_left(ranked, (old.revenue_12m, handle))]
            if view is None:
                del views[handle], order[at], revenues[at]
        if view is None:
            return
        # Replaced in place: a dict with no holes is copied whole in one go.
        views[handle] = view
        self._by_status[view.status] += 1
        self._alerts += view.alert_count
        ranked.insert(bisect_left(ranked, (view.revenue_12m, handle)), (view.revenue_12m, handle))
        if old is None:
            order.insert(at, handle)
            revenues.insert(at, view.revenue_12m)
        else:
            revenues[at] = view.revenue_12m

    def _assemble(self, as_of: date) -> Portfolio:
        """The portfolio from the figures kept (what :func:`portfolio_of` works out by walking
        every view, here in time that does not grow with the portfolio but for two copies)."""
        config = self._state.config
        views, ranked = self._views, self._ranked
        total = sum(self._revenues)
        largest: float | None = None
        largest_handle: str | None = None
        concentrated: list[str] = []
        if total > 0 and ranked:
            # Ties go to the first handle, as a walk in handle order finds them.
            largest = ranked[-1][0] / total
            tied = []
            for revenue, handle in reversed(ranked):
                if revenue / total != largest:
                    break
                tied.append(handle)
            largest_handle = min(tied)
            for revenue, handle in reversed(ranked):
                if not revenue / total > config.concentration_share:
                    break
                if views[handle].status != "ended":
                    concentrated.append(handle)
        by_status = dict(self._by_status)
        active = len(views) - by_status["ended"]
        shared = SharedViews(dict(views), total, as_of, config)
        return Portfolio(
            as_of=as_of,
            known_at=None,
            model_version=MODEL_VERSION,
            partnerships=shared.all,
            by_status=by_status,
            active=active,
            trusted_share=by_status["trusted"] / active if active else None,
            trusted_target_share=config.trusted_target_share,
            revenue_total_12m=total,
            largest_revenue_share=largest,
            largest_revenue_partnership=largest_handle,
            alert_count=self._alerts + len(concentrated),
            by_handle=shared,
            concentrated=concentrated,
        )

    def sparklines(
        self, as_of: date, points: int = 12, step_days: int = 30
    ) -> Mapping[str, list[TrendPoint]]:
        """Trust and alignment series for every partnership (see :mod:`trends`).

        Kept like the views: after a batch only the partnerships it changed are computed;
        the others' series are handed over in a copy of the mapping kept (those of views
        still as read from view rows are made when read: :class:`StoredSparks`).
        """
        key = (as_of, points, step_days)
        if self._known is not None and key != self._series_key:
            raise NeedsFullState(f"a lean follower holds the sparklines of {self._series_key}")
        state, kept = self._state, self._series
        if key != self._series_key:
            self._series_key = key
            kept.clear()
            stale = sorted(state.partnerships)
        else:
            stale = sorted(self._series_stale)
        self._series_stale = set()
        for handle in stale:
            ps = state.partnerships.get(handle)
            if ps is None or ps.registered_on > as_of:
                kept.pop(handle, None)
            else:
                kept[handle] = series(ps, as_of, state.config, points, step_days)
        if self._unmade:
            return StoredSparks(dict(kept), dict(self._views))
        return dict(kept)
