"""Replay with time: the state at the end of an as-of day, as known at a recording time.

- ``as_of`` (a date): count the events whose ``occurred_on`` is on or before it. Due dates and
  review cadence are judged on that day: a commitment due on ``as_of`` is not yet overdue, one
  due the day before is. The date may lie in the future: the scores then show what silence
  until then would do (evidence decays, reviews fall due).
- ``known_at`` (an aware datetime, or None): count only events recorded at or before it, i.e.
  what the ledger knew then. A naive datetime is taken as UTC.

Both together give what we knew at ``known_at`` about ``as_of``. Corrections known at
``known_at`` apply before the as-of filter (:mod:`~trustledger.projections.corrections`): a
voided event is left out, an amended one counts as corrected. Filtering happens before the
fold, so ``replay(events, d)`` is by construction the replay of a store holding only the events
that had occurred by ``d``. An event whose subject did not exist yet on ``d`` (a commitment
kept before the day it was made, say) is simply not there.

:func:`replay` is deterministic: the same events give equal :class:`Portfolio` objects (and
equal :func:`trustledger.projections.report.report_rows`), whichever store they were read from.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime

from trustledger.domain.recorded import Recorded
from trustledger.projections.config import DEFAULT_CONFIG, ModelConfig
from trustledger.projections.corrections import corrected
from trustledger.projections.portfolio import portfolio_at
from trustledger.projections.state import PortfolioState, evolve_all
from trustledger.projections.views import Portfolio


def as_utc(moment: datetime) -> datetime:
    """``moment`` as an aware datetime (naive ones are taken as UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def is_visible(recorded: Recorded, as_of: date | None, known_at: datetime | None) -> bool:
    """Whether ``recorded`` counts at the end of ``as_of`` as known at ``known_at``."""
    if as_of is not None and recorded.occurred_on > as_of:
        return False
    return known_at is None or as_utc(recorded.recorded_at) <= as_utc(known_at)


def select(
    events: Iterable[Recorded], as_of: date | None = None, known_at: datetime | None = None
) -> Iterator[Recorded]:
    """The events that count for ``as_of`` / ``known_at`` (None: no limit), in order."""
    known = as_utc(known_at) if known_at is not None else None
    for recorded in events:
        if as_of is not None and recorded.line.occurred_on > as_of:  # type: ignore[operator]
            continue
        if known is not None and as_utc(recorded.recorded_at) > known:
            continue
        yield recorded


def fold(
    events: Iterable[Recorded],
    as_of: date | None = None,
    known_at: datetime | None = None,
    config: ModelConfig = DEFAULT_CONFIG,
    state: PortfolioState | None = None,
    corrections: Iterable[Recorded] | None = None,
) -> PortfolioState:
    """Fold the events that count for ``as_of`` / ``known_at`` into a (new) state.

    Corrections known at ``known_at`` are applied first
    (:func:`~trustledger.projections.corrections.corrected`; ``corrections``: the store's,
    when ``events`` is a stream read once), then the as-of date selects among the corrected
    lines."""
    state = PortfolioState(config) if state is None else state
    source = corrected(events, known_at, corrections)
    return evolve_all(state, source, until=as_of)


def replay(
    events: Iterable[Recorded],
    as_of: date,
    known_at: datetime | None = None,
    config: ModelConfig = DEFAULT_CONFIG,
    corrections: Iterable[Recorded] | None = None,
) -> Portfolio:
    """The portfolio at the end of ``as_of``, as known at ``known_at`` (None: all recorded),
    with the corrections known then applied (see :func:`fold`)."""
    return portfolio_at(fold(events, as_of, known_at, config, None, corrections), as_of, known_at)


def refold(state: PortfolioState, handle: str, history: Iterable[Recorded]) -> None:
    """Fold one partnership of ``state`` afresh from its ``history`` (its events in recording
    order; those past ``state``'s last position ignored), corrections applied: what a
    correction in a batch asks for, since it changes that partnership's past. A partnership
    whose registration is voided leaves ``state``."""
    upto = state.last_position
    alone = fold([r for r in history if r.position <= upto], config=state.config)
    folded = alone.partnerships.get(handle)
    if folded is None:
        state.partnerships.pop(handle, None)
    else:
        state.partnerships[handle] = folded
    # The latest day may only grow: a later one than needed only makes views look at days.
    state.max_day = max(state.max_day, alone.max_day)
