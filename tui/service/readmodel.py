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
from trustledger.domain.readstore import ReadStoreError, row_digest
from trustledger.projections import MODEL_VERSION, ModelConfig, PortfolioState
from trustledger.projections.corrections import corrected_handles
from trustledger.projections.persist import (
    STATE_FORMAT,
    BadStateData,
    partnership_data,
    partnership_from_data,
)
from trustledger.projections.replay import refold
from trustledger.projections.state import evolve_all

if TYPE_CHECKING:
    from trustledger.domain.ledger import Ledger

#: Events per page while folding what the read model does not hold yet.
PAGE = 20000

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
    settings = hashlib.sha256(orjson.dumps(config.model_dump(), option=orjson.OPT_SORT_KEYS))
    return f"state {STATE_FORMAT}; model {MODEL_VERSION}; config {settings.hexdigest()[:16]}"


def encode(state: PortfolioState, handle: str) -> bytes:
    """One partnership's stored row."""
    return orjson.dumps(partnership_data(state.partnerships[handle]))


@dataclass(frozen=True)
class Loaded:
    """What :meth:`ReadModel.load` found: a state to go on from, or why there is none."""

    state: PortfolioState | None
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
            refold(state, handle, ledger.history(handle))
    changed |= corrected
    return changed


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

    # -- reading ----------------------------------------------------------------------------

    def load(self) -> Loaded:
        """The stored state when it can be used (every row checked), else why not."""
        try:
            stored = self.store.read()
        except ReadStoreError as exc:
            return Loaded(None, str(exc))
        meta = stored.meta
        if meta is None:
            return Loaded(None, "no read model yet")
        if meta.get("key") != self.key:
            return Loaded(None, f"read model of another model or layout ({meta.get('key')})")
        position, link, count = meta.get("position"), meta.get("link"), meta.get("partnerships")
        max_day = meta.get("max_day")
        if not (isinstance(position, int) and isinstance(count, int) and isinstance(max_day, int)):
            return Loaded(None, "read model without a readable position")
        if self.ledger.link_at(position) != link:
            return Loaded(None, "read model of another store (its last event is not here)")
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

    # -- writing ----------------------------------------------------------------------------

    def meta(self, state: PortfolioState) -> dict[str, Any]:
        return {
            "key": self.key,
            "position": state.last_position,
            "link": self.ledger.link_at(state.last_position),
            "partnerships": len(state.partnerships),
            "max_day": state.max_day.toordinal() if state.max_day > date.min else 0,
        }

    def rows(self, state: PortfolioState, handles: Sequence[str] | None) -> list[tuple[str, bytes]]:
        chosen = sorted(state.partnerships) if handles is None else handles
        return [(h, encode(state, h)) for h in chosen if h in state.partnerships]

    def replace(self, state: PortfolioState) -> bool:
        """Write every row of ``state`` afresh; False when the store cannot be written."""
        if not self.writable:
            return False
        try:
            self.store.replace(self.meta(state), self.rows(state, None))
        except ReadStoreError as exc:
            self.writable, self.problem = False, str(exc)
            return False
        return True

    def advance(self, state: PortfolioState) -> bool:
        """Move the stored read model on to ``state`` when it is behind (compare-and-set);
        False when nothing was written (it is current or further, or cannot be written)."""
        if not self.writable:
            return False
        try:
            return self.store.advance(self.meta(state), partial(self.rows, state))
        except ReadStoreError as exc:
            self.problem = str(exc)  # a lock held too long: try again next time
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
            self.advance(state)
        return state, None

    def rebuild(self, progress: FoldProgress | None = None) -> PortfolioState:
        """Replay every event into a new state and write it as the read model."""
        state = PortfolioState(self.config)
        fold_new(self.ledger, state, progress)
        self.replace(state)
        return state
