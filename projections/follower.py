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

Views and sparkline series are cached per partnership for the last as-of date asked; a batch
invalidates only the partnerships it touched, and portfolio-wide figures (revenue shares,
counts) are recomputed once after each batch that changed something. Asking again with
nothing new is free.

A follower can start from a state folded elsewhere (:meth:`Follower.from_state`: the shared
read model, :mod:`~trustledger.projections.persist`); nothing is ever unpickled.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date

from trustledger.domain.events import Recorded
from trustledger.projections.config import DEFAULT_CONFIG, ModelConfig
from trustledger.projections.corrections import corrected_handles
from trustledger.projections.portfolio import partnership_view, portfolio_of, with_share
from trustledger.projections.replay import refold
from trustledger.projections.state import PortfolioState, evolve_all
from trustledger.projections.trends import series
from trustledger.projections.views import PartnershipView, Portfolio, TrendPoint


class Follower:
    """Holds the live portfolio state; see the module docstring."""

    def __init__(self, config: ModelConfig = DEFAULT_CONFIG) -> None:
        self._state = PortfolioState(config)
        self._views: dict[str, PartnershipView | None] = {}  # without revenue shares
        self._finished: dict[str, PartnershipView] = {}  # with them, for ``_total``
        self._total = 0.0
        self._handles: list[str] = []  # every partnership's handle, sorted
        self._views_key: tuple[date, bool] | None = None
        self._portfolio: Portfolio | None = None  # the last view, until something changes
        self._series: dict[str, list[TrendPoint]] = {}
        self._series_key: tuple[date, int, int] | None = None

    @classmethod
    def from_state(cls, state: PortfolioState) -> Follower:
        """A follower going on from ``state`` (folded elsewhere; it is taken over, not
        copied)."""
        follower = cls(state.config)
        follower._state = state
        return follower

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
    ) -> set[str]:
        """Fold new events (in recording order); return the handles of partnerships they changed.

        Revenue changes every partnership's revenue share: views recompute shares anyway.
        A correction changes a partnership's past: that partnership is folded afresh from
        its whole history, which ``history(handle)`` gives (the caller's read of the store;
        ValueError when a batch holds a correction and no ``history`` is given).
        """
        state = self._state
        seen = state.last_position
        fresh = [recorded for recorded in batch if recorded.position > seen]
        changed: set[str] = set()
        evolve_all(state, fresh, changed)
        corrected = corrected_handles(fresh)
        if corrected and history is None:
            raise ValueError("a batch with corrections needs the partnerships' histories")
        for handle in corrected:
            assert history is not None
            self.refold(handle, history(handle))
            changed.add(handle)
        for handle in changed:
            self._views.pop(handle, None)
            self._finished.pop(handle, None)
            self._series.pop(handle, None)
        if changed:
            self._portfolio = None
        return changed

    def handles(self) -> list[str]:
        """Every partnership's handle, sorted (kept between batches; a correction that drops one
        clears it)."""
        if len(self._handles) != len(self._state.partnerships):
            self._handles = sorted(self._state.partnerships)
        return self._handles

    def refold(self, handle: str, history: Iterable[Recorded]) -> None:
        """Fold one partnership afresh from its ``history`` (its events in recording order,
        those past the last position folded ignored), corrections applied."""
        refold(self._state, handle, history)
        self._handles = []  # its registration may have been voided
        self._views.pop(handle, None)
        self._finished.pop(handle, None)
        self._series.pop(handle, None)
        self._portfolio = None

    def view(self, as_of: date) -> Portfolio:
        """The portfolio at the end of ``as_of`` (equal to a full replay at that date).

        After a batch, only the partnerships it changed are viewed afresh; the others keep
        their views, and even their revenue shares unless the portfolio's revenue moved.
        """
        current = as_of >= self._state.max_day
        if (as_of, current) != self._views_key:
            # Another day, or an event dated after it arrived: every view is computed afresh.
            self._views.clear()
            self._finished.clear()
            self._views_key = (as_of, current)
            self._portfolio = None
        if self._portfolio is not None:
            return self._portfolio
        cache = self._views
        partnerships = self._state.partnerships
        config = self._state.config
        views: list[PartnershipView] = []
        for handle in self.handles():
            if handle in cache:
                view = cache[handle]
            else:
                view = partnership_view(partnerships[handle], as_of, config, current)
                cache[handle] = view
            if view is not None:
                views.append(view)
        total = sum(view.revenue_12m for view in views)
        if total != self._total:
            self._finished.clear()  # every share moved
            self._total = total
        finished = self._finished
        shown: list[PartnershipView] = []
        for view in views:
            done = finished.get(view.handle)
            if done is None:
                done = finished[view.handle] = with_share(view, total, as_of, config)
            shown.append(done)
        self._portfolio = portfolio_of(shown, as_of, config, None, total)
        return self._portfolio

    def sparklines(
        self, as_of: date, points: int = 12, step_days: int = 30
    ) -> dict[str, list[TrendPoint]]:
        """Trust and alignment series for every partnership (see :mod:`trends`).

        Cached like the views: after a batch only the partnerships it changed are computed.
        """
        key = (as_of, points, step_days)
        if key != self._series_key:
            self._series.clear()
            self._series_key = key
        state, cache = self._state, self._series
        result: dict[str, list[TrendPoint]] = {}
        for handle in self.handles():
            ps = state.partnerships[handle]
            if ps.registered_on > as_of:
                continue
            if handle not in cache:
                cache[handle] = series(ps, as_of, state.config, points, step_days)
            result[handle] = cache[handle]
        return result
