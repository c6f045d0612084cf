"""A past day's portfolio replayed in two processes, for a report or a check of a big store.

A replay is Python for every event, on one core: about ten seconds for a million events.
The machines that run ``report --as-of`` have two cores or more. From
``LedgerService.split_from`` events on, the partnerships are split into two parts of about
half the events each (:func:`~trustledger.projections.parts.split_handle`, from the events
each partnership has); a second process folds one part over a connection of its own while
this one folds the other, and the parts' views are joined
(:func:`~trustledger.projections.parts.joined`): a portfolio equal to a replay in one
process. Both read up to the same position, with the store's corrections of their own
partnerships.

The second process is started afresh (``spawn``): it shares no thread, lock or connection
with this one, whichever front end asked. An error it meets reading the store is raised
here, as a replay in one process would raise it; when it stops without an answer (killed,
out of memory), the replay is done in this process alone.

Only for what reads the views as listed (``report``, ``check``): they travel between the
processes as view rows, which give lean views (no commitments or reviews).
"""

from __future__ import annotations

import multiprocessing
import signal
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from itertools import takewhile
from multiprocessing.connection import Connection

from trustledger.domain.backends import Part
from trustledger.domain.errors import LedgerError
from trustledger.domain.ledger import Ledger
from trustledger.domain.recorded import Recorded
from trustledger.domain.store import StoreConfig
from trustledger.projections import ModelConfig, fold
from trustledger.projections.parts import (
    PartRows,
    in_part,
    joined,
    part_rows,
    part_views,
    rows_part,
    split_handle,
)
from trustledger.projections.state import PortfolioState
from trustledger.projections.views import Portfolio
from trustledger.tui.service.machine import cores
from trustledger.tui.service.readmodel import gc_paused
from trustledger.tui.service.stores import opened


def split_portfolio(
    ledger: Ledger,
    store: StoreConfig,
    as_of: date,
    known_at: datetime | None,
    config: ModelConfig,
    position: int,
    corrections: Sequence[Recorded],
    *,
    split_from: int,
) -> Portfolio | None:
    """The portfolio at the end of ``as_of`` as known at ``known_at``, of the events of
    ``ledger`` up to ``position``, replayed in two processes; None when the store has fewer
    than ``split_from`` events, this process has one core, or one part would hold every
    event (the caller then replays in one process)."""
    if position < split_from or cores() < 2:
        return None
    handle = split_handle(ledger.event_counts())
    if handle is None:
        return None
    return replay_in_two(ledger, store, handle, as_of, known_at, config, position, corrections)


def replay_in_two(
    ledger: Ledger,
    store: StoreConfig,
    handle: str,
    as_of: date,
    known_at: datetime | None,
    config: ModelConfig,
    position: int,
    corrections: Sequence[Recorded],
) -> Portfolio | None:
    """:func:`split_portfolio` with the parts split at ``handle``: the partnerships before
    it folded here, the others in a second process; None when that process could not be
    started or stopped without an answer."""
    context = multiprocessing.get_context("spawn")
    receiving, sending = context.Pipe(duplex=False)
    theirs: Part = (handle, None)
    process = context.Process(
        target=_second_part,
        args=(sending, store, theirs, position, as_of, known_at, config, corrections),
        name="trustledger-replay",
        daemon=True,
    )
    try:
        process.start()
    except (OSError, AssertionError):  # no process to be had here (or a daemon's): alone
        receiving.close()
        sending.close()
        return None
    sending.close()
    try:
        state = fold_part(ledger, (None, handle), position, as_of, known_at, config, corrections)
        mine = part_views(state, as_of)
        del state  # the views hold what they show; the folded state can go
        try:
            answer = receiving.recv()
        except (EOFError, OSError):
            return None
    finally:
        receiving.close()
        if process.is_alive():
            process.kill()
        process.join()
    if isinstance(answer, BaseException):
        raise answer
    return joined([mine, rows_part(answer)], config, as_of, known_at, position)


def fold_part(
    ledger: Ledger,
    part: Part,
    position: int,
    as_of: date,
    known_at: datetime | None,
    config: ModelConfig,
    corrections: Sequence[Recorded],
) -> PortfolioState:
    """The fold of the events of ``part``'s partnerships up to ``position``, with their
    corrections among ``corrections`` (``(None, None)``: every partnership, as a replay in
    one process folds them)."""
    events: Iterator[Recorded] = takewhile(
        lambda event: event.position <= position, ledger.iter_events(trusted=True, part=part)
    )
    own = [c for c in corrections if in_part(c.partnership, part)]
    return fold(events, as_of, known_at, config, None, own)


def _second_part(
    sending: Connection,
    store: StoreConfig,
    part: Part,
    position: int,
    as_of: date,
    known_at: datetime | None,
    config: ModelConfig,
    corrections: Sequence[Recorded],
) -> None:
    """The second process: fold ``part`` and send its views as rows (or the store's error).

    It leaves Ctrl-C to the first process, which stops it; anything but a store's error
    ends it without an answer, and the first process replays alone (and meets the same)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    answer: PartRows | LedgerError
    try:
        with gc_paused(), opened(store) as ledger:
            state = fold_part(ledger, part, position, as_of, known_at, config, corrections)
            answer = part_rows(part_views(state, as_of))
    except LedgerError as exc:
        answer = exc
    except Exception:
        return
    try:
        sending.send(answer)
    except (BrokenPipeError, OSError):
        pass  # the first process is gone: nobody to answer
    finally:
        sending.close()
