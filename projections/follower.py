"""Following the store: a live portfolio fed batch by batch, with a warm-start snapshot.

:class:`Follower` is the functional core of live following; the shell (polling the store in
a thread worker, reading and writing the cache file) lives in the caller. Feed it the new
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
poll that re-reads its last event, a warm start followed by a catch-up read from an earlier
position) are harmless. Positions are the store's notification ids (1, 2, ...).

Views and sparkline series are cached per partnership for the last as-of date asked; a batch
invalidates only the partnerships it touched, and portfolio-wide figures (revenue shares,
counts) are recomputed once after each batch that changed something. Asking again with
nothing new is free.

:meth:`Follower.dump` returns bytes (a pickle of the state, its last position, the config and
:data:`MODEL_VERSION`); :meth:`Follower.load` restores it and refuses a
snapshot from another model version or config with :class:`StaleSnapshot`, after which the
caller replays from scratch. Only load snapshots this program wrote (pickle runs code).
"""

from __future__ import annotations

import gc
import hashlib
import pickle
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path
from typing import Any

from trustledger.domain.events import Recorded
from trustledger.projections.config import DEFAULT_CONFIG, MODEL_VERSION, ModelConfig
from trustledger.projections.corrections import corrected_handles
from trustledger.projections.portfolio import assemble, partnership_view
from trustledger.projections.replay import fold
from trustledger.projections.state import PortfolioState, evolve_all
from trustledger.projections.trends import series
from trustledger.projections.views import PartnershipView, Portfolio, TrendPoint

SNAPSHOT_FORMAT = 1


def _code_fingerprint() -> str:
    """A hash of this package's source: a snapshot is only loaded by the very code that
    wrote it, so a change to the state's layout can never be read with the wrong shape
    (no one has to remember to bump a version)."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


CODE_FINGERPRINT = _code_fingerprint()


class StaleSnapshot(ValueError):
    """A snapshot that cannot be used: another model version, config or format, or damaged."""


class Follower:
    """Holds the live portfolio state; see the module docstring."""

    def __init__(self, config: ModelConfig = DEFAULT_CONFIG) -> None:
        self._state = PortfolioState(config)
        self._views: dict[str, PartnershipView | None] = {}
        self._views_key: tuple[date, bool] | None = None
        self._portfolio: Portfolio | None = None  # the last view, until something changes
        self._series: dict[str, list[TrendPoint]] = {}
        self._series_key: tuple[date, int, int] | None = None

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
            self._series.pop(handle, None)
        if changed:
            self._portfolio = None
        return changed

    def refold(self, handle: str, history: Iterable[Recorded]) -> None:
        """Fold one partnership afresh from its ``history`` (its events in recording order,
        those past the last position folded ignored), corrections applied."""
        state = self._state
        upto = state.last_position
        alone = fold(
            [recorded for recorded in history if recorded.position <= upto], config=self.config
        )
        folded = alone.partnerships.get(handle)
        if folded is None:  # its registration voided
            state.partnerships.pop(handle, None)
        else:
            state.partnerships[handle] = folded
        # The latest day may only grow: a later one than needed only makes views look at days.
        state.max_day = max(state.max_day, alone.max_day)
        self._views.pop(handle, None)
        self._series.pop(handle, None)
        self._portfolio = None

    def view(self, as_of: date) -> Portfolio:
        """The portfolio at the end of ``as_of`` (equal to a full replay at that date)."""
        current = as_of >= self._state.max_day
        if (as_of, current) != self._views_key:
            # Another day, or an event dated after it arrived: every view is computed afresh.
            self._views.clear()
            self._views_key = (as_of, current)
            self._portfolio = None
        if self._portfolio is not None:
            return self._portfolio
        cache = self._views
        config = self._state.config
        views: list[PartnershipView] = []
        for handle in sorted(self._state.partnerships):
            if handle in cache:
                view = cache[handle]
            else:
                view = partnership_view(self._state.partnerships[handle], as_of, config, current)
                cache[handle] = view
            if view is not None:
                views.append(view)
        self._portfolio = assemble(views, as_of, config)
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
        for handle in sorted(state.partnerships):
            ps = state.partnerships[handle]
            if ps.registered_on > as_of:
                continue
            if handle not in cache:
                cache[handle] = series(ps, as_of, state.config, points, step_days)
            result[handle] = cache[handle]
        return result

    def dump(self) -> bytes:
        """A snapshot for a warm start: state, last position, config and model version."""
        payload: dict[str, Any] = {
            "format": SNAPSHOT_FORMAT,
            "code": CODE_FINGERPRINT,
            "model_version": MODEL_VERSION,
            "config": self._state.config.model_dump(),
            "last_position": self._state.last_position,
            "state": self._state,
        }
        return pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)

    @classmethod
    def load(cls, snapshot: bytes, config: ModelConfig = DEFAULT_CONFIG) -> Follower:
        """A follower restored from :meth:`dump`; :class:`StaleSnapshot` when it does not fit."""
        # A snapshot holds about one record per event folded; the cyclic garbage collector
        # would walk them again and again while they are read (they hold no cycles).
        collecting = gc.isenabled()
        gc.disable()
        try:
            payload = pickle.loads(snapshot)
        except Exception as exc:  # any damage or an old layout means: replay from scratch
            raise StaleSnapshot(f"unreadable snapshot: {exc}") from None
        finally:
            if collecting:
                gc.enable()
        if not isinstance(payload, dict) or payload.get("format") != SNAPSHOT_FORMAT:
            raise StaleSnapshot("snapshot of an unknown format")
        if payload.get("code") != CODE_FINGERPRINT:
            raise StaleSnapshot("snapshot written by another version of the projections")
        if payload.get("model_version") != MODEL_VERSION:
            raise StaleSnapshot(
                f"snapshot of model {payload.get('model_version')}, not {MODEL_VERSION}"
            )
        if payload.get("config") != config.model_dump():
            raise StaleSnapshot("snapshot made with another model configuration")
        state = payload.get("state")
        if not isinstance(state, PortfolioState) or state.last_position != payload.get(
            "last_position"
        ):
            raise StaleSnapshot("snapshot without a consistent state")
        follower = cls(config)
        follower._state = state
        return follower
