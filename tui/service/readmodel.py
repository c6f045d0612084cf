"""The shared read model: the fold of every event, kept in the store for every viewer.

Replaying a big store at every start of the dashboard, of a ``serve`` session or of
``report`` would cost seconds per million events. Instead the folded per-partnership state
(:class:`~trustledger.projections.state.PortfolioState`) is kept in the store itself, as
JSON rows (:mod:`~trustledger.projections.persist`) in tables of its own
(:mod:`~trustledger.domain.readstore`), with the position of the last event it reflects.
A viewer starts from it and folds only what was recorded since; viewers that got further
move the stored rows on (compare-and-set on the position), so it stays current for the next.

It is a cache of a pure function of the events, never a source of truth, and it is never
trusted blindly: :meth:`ReadModel.load` refuses it (and the caller rebuilds it from the
events) when

- it was folded by another state layout or model version, or with another model
  configuration (``key``);
- the store no longer holds, at the stored position, the event it reflects (by its chain
  link): another store, a restored backup, a copied file;
- a row's digest does not match its content, a row cannot be read back into a state, or
  rows are missing or extra.

Rebuilding (:meth:`ReadModel.rebuild`, ``trustledger rebuild``) replays every event and
writes every row afresh, with progress. A viewer that cannot write (a read-only store, a
held lock) still works from the events; it just leaves the stored read model as it was.
"""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import TYPE_CHECKING, Any

import orjson
from trustledger.domain.paging import pages
from trustledger.domain.readstore import ReadStoreError, StoredRows, row_digest
from trustledger.projections import MODEL_VERSION, Follower, ModelConfig, PortfolioState
from trustledger.projections.config import config_values
from trustledger.projections.corrections import corrected_handles
from trustledger.projections.follower import StoredStates, UnreadableView
from trustledger.projections.persist import (
    STATE_FORMAT,
    BadStateData,
    partnership_data,
    partnership_from_data,
)
from trustledger.projections.portfolio import partnership_view
from trustledger.projections.replay import refold
from trustledger.projections.state import PartnershipState, evolve_all
from trustledger.projections.stored_views import (
    VIEW_FORMAT,
    StoredView,
    lean,
    stored_view,
    view_body,
)
from trustledger.projections.trends import series as trend_series
from trustledger.projections.views import PartnershipView, TrendPoint

if TYPE_CHECKING:
    from trustledger.domain.glance import Glance
    from trustledger.domain.ledger import Ledger

#: Events per page while folding what the read model does not hold yet.
PAGE = 20000
#: How many points each portfolio sparkline has, and how many days apart they are (the
#: stored view rows hold these).
SPARK_POINTS = 8
SPARK_STEP_DAYS = 30

#: ``(events folded, events in the store)`` while a read model is rebuilt or caught up.
FoldProgress = Callable[[int, int], None]


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector during a bulk fold or load.

    A fold allocates millions of small objects that live on; the collector would walk them
    again and again for nothing (they hold no cycles to free). Reference counting still
    frees everything as usual.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def model_key(config: ModelConfig) -> str:
    """What a read model must have been folded with to be used with ``config``: the state
    layout, the model version and the configuration."""
    settings = hashlib.sha256(orjson.dumps(config_values(config), option=orjson.OPT_SORT_KEYS))
    return (
        f"state {STATE_FORMAT}; views {VIEW_FORMAT}; model {MODEL_VERSION}; "
        f"config {settings.hexdigest()[:16]}"
    )


def encode(state: PortfolioState, handle: str) -> bytes:
    """One partnership's stored row."""
    return orjson.dumps(partnership_data(state.partnerships[handle]))


class NotHeld(LookupError):
    """A lean follower does not hold the state of a partnership a write needs."""


@dataclass(frozen=True)
class Loaded:
    """What :meth:`ReadModel.load` found: a state to go on from, or why there is none."""

    state: PortfolioState | None
    reason: str | None = None


@dataclass(frozen=True)
class LeanLoaded:
    """What :meth:`ReadModel.load_lean` found: a lean follower, or why there is none."""

    follower: Follower | None
    reason: str | None = None


def fold_new(
    ledger: Ledger,
    state: PortfolioState,
    progress: FoldProgress | None = None,
    changed: set[str] | None = None,
) -> set[str]:
    """Fold every event recorded after ``state``'s position into it; the handles changed.

    The read model is what is known now, so a correction among the new events changes its
    partnership's past: that partnership is then folded afresh from its history, with the
    corrections applied (:func:`~trustledger.projections.replay.refold`), as a replay
    would. A rebuild (from an empty state) goes the same way.
    """
    changed = set() if changed is None else changed
    newest = ledger.max_position()
    read = partial(ledger.read, trusted=True)
    corrected: set[str] = set()
    with gc_paused():
        for batch in pages(read, state.last_position, PAGE):
            evolve_all(state, batch, changed)
            corrected |= corrected_handles(batch)
            if progress is not None:
                progress(state.last_position, newest)
        for handle in sorted(corrected):
            refold(state, handle, ledger.history(handle, trusted=True))
    changed |= corrected
    return changed


def caught_up(ledger: Ledger, follower: Follower, stored: StoredStates | None = None) -> Follower:
    """``follower`` with every event recorded after its position folded in (a lean one
    takes up the partnerships they touch from ``stored`` when it can, else from their
    histories: see :meth:`ReadModel.stored_states`)."""
    read = partial(ledger.read, trusted=True)
    history = partial(ledger.history, trusted=True)
    with gc_paused():
        for batch in pages(read, follower.last_position, PAGE):
            follower.apply(batch, history, stored)
    return follower


def _encoded_views(
    held: dict[str, tuple[PartnershipView, list[TrendPoint]]], handles: Sequence[str] | None
) -> list[tuple[str, bytes]]:
    """The view rows of ``handles`` (None: all) among the views and sparklines ``held``."""
    chosen = sorted(held) if handles is None else [h for h in handles if h in held]
    return [(handle, view_body(*held[handle])) for handle in chosen]


def meta_problem(
    meta: dict[str, Any] | None, key: str, link_at: Callable[[int], str | None]
) -> str | None:
    """Why a stored meta cannot be used with the model ``key`` in the store whose event
    links ``link_at`` gives (None: it can)."""
    if meta is None:
        return "no read model yet"
    if meta.get("key") != key:
        return f"read model of another model or layout ({meta.get('key')})"
    numbers = [meta.get(name) for name in ("position", "partnerships", "max_day")]
    if not all(isinstance(number, int) for number in numbers):
        return "read model without a readable position"
    if link_at(meta["position"]) != meta.get("link"):
        return "read model of another store (its last event is not here)"
    return None


def lean_from_views(
    stored: StoredRows,
    key: str,
    link_at: Callable[[int], str | None],
    config: ModelConfig,
    as_of: date,
    *,
    complete: bool = True,
) -> LeanLoaded:
    """A lean follower from ``stored`` view rows of ``as_of`` (every row checked) in the
    store whose event links ``link_at`` gives, or why there is none (no views of that day,
    another model or store, a damaged row). What :meth:`ReadModel.load_lean` reads through
    the ledger, and a first frame through a plain connection (:mod:`~trustledger.domain.glance`).

    Without ``complete``, each row's head is read and checked, and its view made when first
    asked for: the caller makes them all (:meth:`Follower.complete`, which checks the rest
    of each row) before it goes on from the follower."""
    meta = stored.meta
    reason = meta_problem(meta, key, link_at)
    if reason is not None or meta is None:
        return LeanLoaded(None, reason)
    position, count, max_day = meta["position"], meta["partnerships"], meta["max_day"]
    views_day, views = meta.get("views_day"), meta.get("views")
    if not isinstance(views_day, int) or not isinstance(views, int):
        return LeanLoaded(None, "read model without views")
    if views_day != as_of.toordinal():
        return LeanLoaded(None, "read model with the views of another day")
    if len(stored.rows) != views:
        return LeanLoaded(None, f"read model with {len(stored.rows)} views, not {views}")
    found: dict[str, StoredView] = {}
    with gc_paused():
        for handle, body, digest in stored.rows:
            if row_digest(handle, body) != digest:
                return LeanLoaded(None, f"read model view {handle!r} is damaged")
            try:
                view = stored_view(body)
            except BadStateData as exc:
                return LeanLoaded(None, f"read model view {handle!r} cannot be read: {exc}")
            if view.handle != handle:
                return LeanLoaded(None, f"read model view {handle!r} holds {view.handle!r}")
            found[handle] = view
        follower = Follower.lean(
            config,
            position=position,
            max_day=date.min if max_day <= 0 else date.fromordinal(max_day),
            partnerships=count,
            as_of=as_of,
            views=found,
            series={},
            series_key=(SPARK_POINTS, SPARK_STEP_DAYS),
        )
        if complete:
            problem = completed(follower)
            if problem is not None:
                return LeanLoaded(None, problem)
    return LeanLoaded(follower)


def glanced_views(seen: Glance, config: ModelConfig, as_of: date) -> LeanLoaded:
    """A lean follower from the view rows of ``seen`` (a glance at the store, read over a
    plain connection) when they are this store's views of ``as_of`` under ``config``, each
    row's head checked and its view not yet made; or why there is none."""
    with gc_paused():
        return lean_from_views(
            seen.views, model_key(config), seen.link_at, config, as_of, complete=False
        )


def completed(follower: Follower) -> str | None:
    """Make every view ``follower`` holds as read from a view row (:meth:`Follower.complete`);
    why it cannot (a row of another shape), or None."""
    try:
        with gc_paused():
            follower.complete()
    except UnreadableView as exc:
        return f"read model view {exc.handle!r} cannot be read: {exc.reason}"
    return None


class ReadModel:
    """The read model of one store, for one model configuration (see the module docstring).

    ``writable`` turns False after a write fails (a read-only store): the viewer goes on
    without writing rather than fail at every step.
    """

    def __init__(self, ledger: Ledger, config: ModelConfig) -> None:
        self.ledger = ledger
        self.config = config
        self.key = model_key(config)
        self.store = ledger.read_store()
        self.writable = True
        self.problem: str | None = None  # why the last write did not happen
        # The stored meta's position and link last found to be this store's.
        self._known_link: tuple[int, object] | None = None

    # -- reading ----------------------------------------------------------------------------

    def load(self) -> Loaded:
        """The stored state when it can be used (every row checked), else why not."""
        try:
            stored = self.store.read()
        except ReadStoreError as exc:
            return Loaded(None, str(exc))
        meta = stored.meta
        reason = self._meta_problem(meta)
        if reason is not None or meta is None:
            return Loaded(None, reason)
        position, count, max_day = meta["position"], meta["partnerships"], meta["max_day"]
        if len(stored.rows) != count:
            return Loaded(None, f"read model with {len(stored.rows)} rows, not {count}")
        state = PortfolioState(self.config)
        partnerships = state.partnerships
        with gc_paused():
            for handle, body, digest in sorted(stored.rows):
                if row_digest(handle, body) != digest:
                    return Loaded(None, f"read model row {handle!r} is damaged")
                try:
                    ps = partnership_from_data(orjson.loads(body), self.config)
                except (orjson.JSONDecodeError, BadStateData) as exc:
                    return Loaded(None, f"read model row {handle!r} cannot be read: {exc}")
                if ps.handle != handle:
                    return Loaded(None, f"read model row {handle!r} holds {ps.handle!r}")
                partnerships[handle] = ps
        state.last_position = position
        state.max_day = date.min if max_day <= 0 else date.fromordinal(max_day)
        return Loaded(state)

    def load_lean(self, as_of: date, *, complete: bool = True) -> LeanLoaded:
        """A lean follower from the stored view rows of ``as_of`` (every row checked), or
        why there is none (no views of that day, another model or store, a damaged row).
        Without ``complete``, each view is made when first asked for (:func:`lean_from_views`)."""
        try:
            stored = self.store.read_views()
        except ReadStoreError as exc:
            return LeanLoaded(None, str(exc))
        return lean_from_views(
            stored, self.key, self.ledger.link_at, self.config, as_of, complete=complete
        )

    def lean_from_states(self, as_of: date) -> LeanLoaded:
        """A lean follower made from the stored states, read one at a time: each
        partnership's view and sparkline of ``as_of`` kept, its state let go. What a start
        does when the view rows are of another day (the first start of a day, a day that
        turned under a live view): its memory is the views', not the history's."""
        try:
            meta = self.store.read_meta()
        except ReadStoreError as exc:
            return LeanLoaded(None, str(exc))
        reason = self._meta_problem(meta)
        if reason is not None or meta is None:
            return LeanLoaded(None, reason)
        position, count, max_day = meta["position"], meta["partnerships"], meta["max_day"]
        last_day = date.min if max_day <= 0 else date.fromordinal(max_day)
        current = as_of >= last_day
        config = self.config
        views: dict[str, PartnershipView] = {}
        series: dict[str, list[TrendPoint]] = {}
        problems: list[str] = []
        seen = 0

        def on_meta(found: dict[str, Any] | None) -> bool:
            if found != meta:
                problems.append("read model moved on while it was read")
                return False
            return True

        def on_row(handle: str, body: bytes, digest: str) -> bool:
            nonlocal seen
            seen += 1
            if row_digest(handle, body) != digest:
                problems.append(f"read model row {handle!r} is damaged")
                return False
            try:
                ps = partnership_from_data(orjson.loads(body), config)
            except (orjson.JSONDecodeError, BadStateData) as exc:
                problems.append(f"read model row {handle!r} cannot be read: {exc}")
                return False
            if ps.handle != handle:
                problems.append(f"read model row {handle!r} holds {ps.handle!r}")
                return False
            view = partnership_view(ps, as_of, config, current)
            if view is not None:
                views[handle] = lean(view)
                series[handle] = trend_series(ps, as_of, config, SPARK_POINTS, SPARK_STEP_DAYS)
            return True

        try:
            with gc_paused():
                self.store.read_each(on_meta, on_row)
        except ReadStoreError as exc:
            return LeanLoaded(None, str(exc))
        if problems:
            return LeanLoaded(None, problems[0])
        if seen != count:
            return LeanLoaded(None, f"read model with {seen} rows, not {count}")
        with gc_paused():
            follower = Follower.lean(
                config,
                position=position,
                max_day=last_day,
                partnerships=count,
                as_of=as_of,
                views=views,
                series=series,
                series_key=(SPARK_POINTS, SPARK_STEP_DAYS),
            )
        return LeanLoaded(follower)

    def stored_states(
        self, handles: Sequence[str], since: int, upto: int
    ) -> dict[str, PartnershipState]:
        """The stored states of ``handles`` (those the read model holds, each row checked),
        when the read model stands between positions ``since`` and ``upto``: for a lean
        follower at ``upto`` none of these partnerships has had an event since ``since``,
        so their states there are their states now. What a live view folds a partnership's
        new event onto, instead of its whole history. Empty when the read model cannot be
        used or read: the caller reads the histories."""
        try:
            stored = self.store.read_some(handles)
        except ReadStoreError:
            return {}
        meta = stored.meta
        if meta is None or meta.get("key") != self.key:
            return {}
        position = meta.get("position")
        if not isinstance(position, int) or not since <= position <= upto:
            return {}
        if (position, meta.get("link")) != self._known_link:
            if self._meta_problem(meta) is not None:
                return {}
            self._known_link = (position, meta.get("link"))
        found: dict[str, PartnershipState] = {}
        for handle, body, digest in stored.rows:
            if row_digest(handle, body) != digest:
                continue  # damaged: that partnership is read from its history
            try:
                ps = partnership_from_data(orjson.loads(body), self.config)
            except (orjson.JSONDecodeError, BadStateData):
                continue
            if ps.handle == handle:
                found[handle] = ps
        return found

    def _meta_problem(self, meta: dict[str, Any] | None) -> str | None:
        """Why the stored meta cannot be used (None: it can)."""
        return meta_problem(meta, self.key, self.ledger.link_at)

    # -- writing ----------------------------------------------------------------------------

    def meta(
        self,
        state: PortfolioState,
        count: int | None = None,
        views: tuple[date, int] | None = None,
    ) -> dict[str, Any]:
        """The meta of ``state`` (``count`` partnerships: all of ``state``'s by default),
        with the day and number of its view rows when there are any."""
        return {
            "key": self.key,
            "position": state.last_position,
            "link": self.ledger.link_at(state.last_position),
            "partnerships": len(state.partnerships) if count is None else count,
            "max_day": state.max_day.toordinal() if state.max_day > date.min else 0,
            "views_day": None if views is None else views[0].toordinal(),
            "views": None if views is None else views[1],
        }

    def rows(self, state: PortfolioState, handles: Sequence[str] | None) -> list[tuple[str, bytes]]:
        chosen = sorted(state.partnerships) if handles is None else handles
        return [(h, encode(state, h)) for h in chosen if h in state.partnerships]

    def held_rows(
        self, follower: Follower, handles: Sequence[str] | None
    ) -> list[tuple[str, bytes]]:
        """The state rows of ``handles`` from a follower (lean or not); :class:`NotHeld`
        when a lean one does not hold one of them (the write is then given up)."""
        state = follower.state
        if not follower.is_lean:
            return self.rows(state, handles)
        if handles is None:
            raise NotHeld("a lean follower cannot give every row")
        missing = [h for h in handles if h not in state.partnerships]
        if missing:
            raise NotHeld(f"not held: {missing[0]!r}")
        return [(h, encode(state, h)) for h in handles]

    @staticmethod
    def view_rows(
        follower: Follower, as_of: date, handles: Sequence[str] | None
    ) -> list[tuple[str, bytes]] | None:
        """The view rows of ``handles`` (None: all) at ``as_of`` from what ``follower``
        holds; None when it does not hold them all for that day."""
        held = follower.stored_views(as_of, handles)
        return None if held is None else _encoded_views(held, None)

    def replace(self, state: PortfolioState, as_of: date | None = None) -> bool:
        """Write every row of ``state`` afresh, with the view rows of ``as_of`` (none when
        None); False when the store cannot be written."""
        if not self.writable:
            return False
        views: list[tuple[str, bytes]] | None = None
        if as_of is not None:
            follower = Follower.from_state(state)
            follower.view(as_of)
            follower.sparklines(as_of, SPARK_POINTS, SPARK_STEP_DAYS)
            views = self.view_rows(follower, as_of, None)
        try:
            self.store.replace(
                self.meta(state, views=None if views is None else (as_of or date.min, len(views))),
                self.rows(state, None),
                views,
            )
        except ReadStoreError as exc:
            self.writable, self.problem = False, str(exc)
            return False
        return True

    def advance(self, follower: Follower, as_of: date | None = None) -> bool:
        """Move the stored read model on to ``follower``'s position when it is behind
        (compare-and-set), with the view rows of ``as_of`` when the follower holds them;
        False when nothing was written (it is current or further, cannot be written, or a
        lean follower does not hold a partnership that changed since)."""
        if not self.writable:
            return False
        held = None if as_of is None else follower.stored_views(as_of)
        meta = self.meta(
            follower.state,
            follower.partnership_count,
            None if held is None or as_of is None else (as_of, len(held)),
        )

        def views_for(handles: Sequence[str] | None) -> list[tuple[str, bytes]] | None:
            return None if held is None else _encoded_views(held, handles)

        try:
            return self.store.advance(meta, partial(self.held_rows, follower), views_for)
        except NotHeld:
            return False
        except ReadStoreError as exc:
            self.problem = str(exc)  # a lock held too long: try again next time
            return False

    def put_views(self, follower: Follower, as_of: date) -> bool:
        """Store the view rows of ``as_of`` for the stored position, when ``follower`` is at
        it and holds every view of that day; False when nothing was written."""
        if not self.writable:
            return False
        rows = self.view_rows(follower, as_of, None)
        if rows is None:
            return False
        meta = self.meta(follower.state, follower.partnership_count, (as_of, len(rows)))
        try:
            return self.store.put_views(meta, rows)
        except ReadStoreError as exc:
            self.problem = str(exc)
            return False

    # -- starting -------------------------------------------------------------------------

    def start(self, progress: FoldProgress | None = None) -> tuple[PortfolioState, str | None]:
        """Today's state: the stored read model and whatever was recorded since, or, when it
        cannot be used, a rebuild from every event (written back when the store allows).
        Returns the state and, after a rebuild, why it was needed."""
        loaded = self.load()
        if loaded.state is None:
            return self.rebuild(progress), loaded.reason
        state = loaded.state
        if fold_new(self.ledger, state, progress):
            self.advance(Follower.from_state(state))
        return state, None

    def rebuild(
        self, progress: FoldProgress | None = None, as_of: date | None = None
    ) -> PortfolioState:
        """Replay every event into a new state and write it as the read model, with the view
        rows of ``as_of`` (when given)."""
        state = PortfolioState(self.config)
        fold_new(self.ledger, state, progress)
        self.replace(state, as_of)
        return state
