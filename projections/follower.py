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

A *lean* follower (:meth:`Follower.lean`) starts from today's lean views instead
(:mod:`~trustledger.projections.stored_views`) and holds the folded state of only the
partnerships new events touched: a partnership that is not held yet is folded from its history
(``history(handle)``, up to the position before the batch) when an event for it arrives. Its
memory follows what changed, not the history. It answers for the day its views are of; for any
other day (the day turned, an event dated later arrived) :meth:`Follower.view` raises
:class:`NeedsFullState`, and the caller starts again from the full state.
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


class NeedsFullState(LookupError):
    """A lean follower was asked about a day its views are not of."""


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
        # A lean follower's every partnership (views held or state held) and their count
        # with those registered after the views' day (None: not lean, the state holds all).
        self._known: set[str] | None = None
        self._count = 0

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
        views: dict[str, PartnershipView],
        series: dict[str, list[TrendPoint]],
        series_key: tuple[int, int],
    ) -> Follower:
        """A lean follower at ``position``: ``views`` (without revenue shares) and ``series``
        (sparklines of ``series_key``: points, step in days) are every partnership's at
        ``as_of``, ``partnerships`` counts them all (those registered after ``as_of``
        included), ``max_day`` is the latest day of any event folded."""
        follower = cls(config)
        state = follower._state
        state.last_position = position
        state.max_day = max_day
        follower._views = dict(views)
        follower._views_key = (as_of, as_of >= max_day)
        follower._series = dict(series)
        follower._series_key = (as_of, *series_key)
        follower._known = set(views)
        follower._count = partnerships
        return follower

    def make_lean(self) -> bool:
        """Let go of every partnership's folded state (after it was stored), keeping the
        views and sparklines of the last day asked; False (and nothing changed) when there
        are none."""
        if self._views_key is None or self._series_key is None:
            return False
        if self._series_key[0] != self._views_key[0]:
            return False
        held, views, series = self._state.partnerships, self._views, self._series
        if any(h not in views or (views[h] is not None and h not in series) for h in held):
            return False  # folded but not viewed since
        if self._known is None:
            self._known = set(held)
            self._count = len(held)
        held.clear()
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
        views, series = self._views, self._series
        chosen = self.handles() if handles is None else handles
        found: dict[str, tuple[PartnershipView, list[TrendPoint]]] = {}
        for handle in chosen:
            if handle not in views:
                if handle in self._state.partnerships or self._known is not None:
                    return None  # folded but not viewed since (or unknown to a lean one)
                continue
            view = views[handle]
            if view is None:
                continue  # registered after that day
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
        known = self._known
        if known is not None:
            self._hold({recorded.partnership for recorded in fresh}, history)
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
        for handle in changed:
            self._views.pop(handle, None)
            self._finished.pop(handle, None)
            self._series.pop(handle, None)
        if changed:
            self._portfolio = None
        return changed

    def _hold(self, handles: set[str], history: Callable[[str], Iterable[Recorded]] | None) -> None:
        """Fold, from their histories, the partnerships among ``handles`` whose state a lean
        follower does not hold yet (up to its position: the batch follows)."""
        missing = [handle for handle in handles if handle not in self._state.partnerships]
        if not missing:
            return
        if history is None:
            raise ValueError("a lean follower needs the partnerships' histories")
        for handle in sorted(missing):
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
        if self._known is not None and (as_of, current) != self._views_key:
            raise NeedsFullState(f"a lean follower holds the views of {self._views_key}")
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
        if self._known is not None and key != self._series_key:
            raise NeedsFullState(f"a lean follower holds the sparklines of {self._series_key}")
        if key != self._series_key:
            self._series.clear()
            self._series_key = key
        state, cache = self._state, self._series
        result: dict[str, list[TrendPoint]] = {}
        for handle in self.handles():
            spark = cache.get(handle)
            if spark is None:
                ps = state.partnerships.get(handle)  # a lean follower's unheld: not yet registered
                if ps is None or ps.registered_on > as_of:
                    continue
                spark = cache[handle] = series(ps, as_of, state.config, points, step_days)
            result[handle] = spark
        return result
