"""The dashboard's shell: following the store, replaying it, gathering one partnership.

Nothing here touches Textual. The app runs these pieces in thread workers (through
:class:`~trustledger.tui.service.ledger_service.LedgerService`) and hands their results to
the UI with messages, so the UI thread never waits on the store:

- :func:`follow` opens the store, restores the warm-start snapshot, and runs a
  :class:`LiveFollower`: it loads every event into a ``Follower``, then waits for new ones
  (the store's own watcher: LISTEN/NOTIFY on PostgreSQL, polling on SQLite) and folds only
  those, producing a new :class:`Picture` each time something changed (or the day turned).
- :class:`AuditReader` replays the store's events at an as-of date (and known-at time).
- :func:`partnership_detail` gathers one partnership's timeline, trend and explanation.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Protocol

from trustledger.domain.errors import LedgerError, StoreError
from trustledger.domain.events import Recorded
from trustledger.domain.paging import pages
from trustledger.domain.store import StoreConfig
from trustledger.projections import (
    Alert,
    ExplainRow,
    Follower,
    ModelConfig,
    PartnershipView,
    Portfolio,
    TrendPoint,
    explain,
    fold,
    portfolio_at,
    select,
    sparklines,
    trend,
)
from trustledger.tui.service.stores import opened
from trustledger.tui.service.warmstart import gc_paused

if TYPE_CHECKING:
    from trustledger.domain.ledger import Ledger
    from trustledger.tui.service.ledger_service import LedgerService

#: How many points each portfolio sparkline has, and how many days apart they are.
SPARK_POINTS = 8
SPARK_STEP_DAYS = 30
#: How many points the partnership screen's trend chart has.
CHART_POINTS = 40
#: Below this many events the live view replays the store rather than keep a snapshot.
WARM_START_MIN_EVENTS = 5000
#: How often the live loop wakes with nothing new, to see whether the day has turned.
WAKE_SECONDS = 1.0
#: Events per page while the live view catches up.
PAGE = 5000


# -- what the screens show ---------------------------------------------------------------


@dataclass(frozen=True)
class Picture:
    """Everything the portfolio screen shows, at one as-of date (and known-at time).

    ``position`` is the store position of the last event counted; ``audit`` tells whether this
    is a replay of the past (as opposed to the live state).
    """

    portfolio: Portfolio
    sparks: dict[str, list[TrendPoint]]
    position: int
    as_of: date
    known_at: datetime | None = None
    audit: bool = False

    def get(self, handle: str) -> PartnershipView | None:
        return self.portfolio.get(handle)


@dataclass(frozen=True)
class Detail:
    """One partnership's events and derived series, for the partnership screen."""

    handle: str
    events: list[Recorded]
    trend: list[TrendPoint]
    explanation: list[ExplainRow]
    as_of: date
    known_at: datetime | None


def alert_key(alert: Alert) -> tuple[str, str, str]:
    """What identifies an alert across pictures (its message's day counts change daily)."""
    return alert.kind, alert.partnership, alert.subject or ""


def new_alerts(before: Portfolio | None, after: Portfolio) -> list[Alert]:
    """Alerts of ``after`` that ``before`` did not have."""
    if before is None:
        return []
    known = {alert_key(alert) for alert in before.alerts}
    return [alert for alert in after.alerts if alert_key(alert) not in known]


# -- following the store ------------------------------------------------------------------


class EventSource(Protocol):
    """Where the live loop reads events from, and how it waits for more."""

    def read(self, after: int, limit: int) -> list[Recorded]: ...
    def wait_for_new(self, position: int, timeout: float) -> bool: ...


class LedgerSource:
    """An :class:`EventSource` over an open ledger, used by one thread: it reads pages of
    events and waits with the store's own watcher (``Ledger.watcher``: LISTEN/NOTIFY on
    PostgreSQL, polling on SQLite), which ``stop`` interrupts."""

    def __init__(self, ledger: Ledger, stop: threading.Event) -> None:
        self.ledger = ledger
        self.watcher = ledger.watcher(stop)

    def read(self, after: int, limit: int) -> list[Recorded]:
        return self.ledger.read(after, limit, trusted=True)

    def wait_for_new(self, position: int, timeout: float) -> bool:
        return self.watcher.wait(position, timeout)

    def close(self) -> None:
        self.watcher.close()


def live_picture(follower: Follower, as_of: date) -> Picture:
    return Picture(
        portfolio=follower.view(as_of),
        sparks=follower.sparklines(as_of, SPARK_POINTS, SPARK_STEP_DAYS),
        position=follower.last_position,
        as_of=as_of,
    )


@dataclass
class LiveUpdate:
    """What one turn of the follow loop produced."""

    picture: Picture
    alerts: list[Alert] = field(default_factory=list)
    changed: set[str] = field(default_factory=set)
    initial: bool = False


class LiveFollower:
    """The live loop (run it in a thread): load, then fold new events as they arrive.

    ``emit`` is called with a :class:`LiveUpdate` after the initial load and after every batch
    of new events (or when ``today()`` moves on); ``on_error`` with a message when the store
    fails, after which the loop waits and tries again.
    """

    def __init__(
        self,
        source: EventSource,
        today: Callable[[], date],
        config: ModelConfig,
        *,
        wake_every: float = WAKE_SECONDS,
        follower: Follower | None = None,
    ) -> None:
        self.source = source
        self.today = today
        # A follower restored from a warm-start snapshot only reads what came after it.
        self.follower = follower or Follower(config)
        self.wake_every = wake_every
        self.last: Picture | None = None

    def catch_up(self) -> set[str]:
        """Fold every event after the follower's position; the partnerships that changed."""
        changed: set[str] = set()
        for batch in pages(self.source.read, self.follower.last_position, PAGE):
            changed |= self.follower.apply(batch)
        return changed

    def step(self, initial: bool = False) -> LiveUpdate:
        # The cyclic garbage collector is paused meanwhile (:func:`gc_paused`):
        # a first load keeps millions of new objects, and a picture of a big state makes
        # millions of short-lived ones; each full collection would walk them all again.
        with gc_paused():
            changed = self.catch_up()
            picture = live_picture(self.follower, self.today())
        before = self.last.portfolio if self.last is not None else None
        alerts = [] if initial else new_alerts(before, picture.portfolio)
        self.last = picture
        return LiveUpdate(picture, alerts, changed, initial)

    def run(
        self,
        stop: threading.Event,
        emit: Callable[[LiveUpdate], None],
        on_error: Callable[[str], None] | None = None,
        on_idle: Callable[[], None] | None = None,
    ) -> None:
        """Loop until ``stop``; ``on_idle`` runs in this thread whenever a wait ends with
        nothing new (housekeeping that must not race the fold, such as a snapshot)."""
        first = True
        while not stop.is_set():
            try:
                if first:
                    emit(self.step(initial=True))
                    first = False
                    continue
                position = self.follower.last_position
                arrived = self.source.wait_for_new(position, self.wake_every)
                if stop.is_set():
                    return
                day_turned = self.last is not None and self.today() != self.last.as_of
                if arrived or day_turned:
                    emit(self.step())
                elif on_idle is not None:
                    on_idle()
            except StoreError as exc:
                if on_error:
                    on_error(str(exc))
                stop.wait(2.0)


def follow(
    service: LedgerService,
    config: ModelConfig,
    stop: threading.Event,
    emit: Callable[[LiveUpdate], None],
    on_error: Callable[[str], None],
    *,
    warm_start: bool = False,
    warn: Callable[[str], None] | None = None,
) -> None:
    """Follow ``service``'s store until ``stop``, emitting a :class:`LiveUpdate` at the start
    and whenever something changed; ``warm_start`` keeps a snapshot of the live state in the
    user cache between runs (:mod:`.warmstart`), so a big store is not replayed at every
    start. A store that cannot be opened is reported through ``on_error``; the loop ends."""
    try:
        with opened(service.store, clock=service.clock) as ledger:
            source = LedgerSource(ledger, stop)
            try:
                _follow(ledger, source, service, config, stop, emit, on_error, warm_start, warn)
            finally:
                source.close()
    except LedgerError as exc:
        on_error(str(exc))


def _follow(
    ledger: Ledger,
    source: LedgerSource,
    service: LedgerService,
    config: ModelConfig,
    stop: threading.Event,
    emit: Callable[[LiveUpdate], None],
    on_error: Callable[[str], None],
    warm_start: bool,
    warn: Callable[[str], None] | None,
) -> None:
    from trustledger.tui.service.warmstart import load_follower, save_follower

    today = service.clock.today
    follower = load_follower(ledger, config) if warm_start else None
    restored = follower is not None and follower.last_position > 0
    saved_at = follower.last_position if follower is not None else 0

    def save(live: LiveFollower, saved_at: int) -> int:
        """Save a snapshot when the state is big and has moved on since the last one;
        return the position the newest snapshot holds."""
        position = live.follower.last_position
        if position < WARM_START_MIN_EVENTS or position - saved_at < WARM_START_MIN_EVENTS:
            return saved_at  # small stores load faster than a snapshot is worth
        try:
            save_follower(ledger, live.follower)
        except (OSError, LedgerError) as exc:
            if warn is not None:
                warn(f"could not save the warm-start snapshot: {exc}")
            return saved_at
        return position

    def idle() -> None:
        # Snapshot once the first screen is up and the store is quiet (in this thread, so
        # it never races the fold, and not at quit, so quitting is quick); at quit only
        # when much has been recorded since.
        nonlocal saved_at
        if warm_start:
            saved_at = save(live, saved_at)

    live = LiveFollower(source, today, config, follower=follower)
    try:
        try:
            live.run(stop, emit, on_error, idle)
        except Exception as exc:
            if not restored:
                raise
            # A snapshot that does not fit this store or code: replay from scratch.
            if warn is not None:
                warn(f"warm-start snapshot unusable ({exc}); replaying the store")
            live = LiveFollower(source, today, config)
            saved_at = 0
            live.run(stop, emit, on_error, idle)
    finally:
        if warm_start:
            save(live, saved_at)


# -- audit: replaying the past -----------------------------------------------------------


class AuditReader:
    """Replays the store at an as-of date / known-at time; keeps the events read so far.

    Each call reads only the events recorded since the previous call, so stepping through
    dates costs one fold, not one full read of the store.
    """

    def __init__(self, store: StoreConfig, config: ModelConfig) -> None:
        self.store = store
        self.config = config
        self.events: list[Recorded] = []
        self._lock = threading.Lock()

    def refresh(self, ledger: Ledger) -> list[Recorded]:
        with self._lock:
            after = self.events[-1].position if self.events else 0
            for batch in pages(lambda a, n: ledger.read(a, n, trusted=True), after, PAGE):
                self.events.extend(batch)
            return list(self.events)

    def picture(self, as_of: date, known_at: datetime | None) -> Picture:
        with opened(self.store) as ledger:
            events = self.refresh(ledger)
        return audit_picture(events, as_of, known_at, self.config)


def audit_picture(
    events: Sequence[Recorded], as_of: date, known_at: datetime | None, config: ModelConfig
) -> Picture:
    state = fold(events, as_of, known_at, config)
    return Picture(
        portfolio=portfolio_at(state, as_of, known_at),
        sparks=sparklines(state, as_of, SPARK_POINTS, SPARK_STEP_DAYS),
        position=state.last_position,
        as_of=as_of,
        known_at=known_at,
        audit=True,
    )


# -- one partnership ---------------------------------------------------------------------


def partnership_detail(
    store: StoreConfig,
    handle: str,
    as_of: date,
    known_at: datetime | None,
    config: ModelConfig,
    *,
    audit: bool,
) -> Detail:
    """Read one partnership's events and derive its chart series and explanation."""
    with opened(store) as ledger:
        events = ledger.history(handle)
    return detail_from_events(handle, events, as_of, known_at, config, audit=audit)


def detail_from_events(
    handle: str,
    events: Iterable[Recorded],
    as_of: date,
    known_at: datetime | None,
    config: ModelConfig,
    *,
    audit: bool,
) -> Detail:
    every = list(events)
    shown = list(select(every, as_of, known_at)) if audit else every
    span = (as_of - shown[0].occurred_on).days if shown else 0
    step = max(1, -(-span // (CHART_POINTS - 1)))
    points = min(CHART_POINTS, span // step + 1) if shown else 2
    return Detail(
        handle=handle,
        events=shown,
        trend=trend(every, as_of, max(points, 2), step, config, known_at, handle),
        explanation=explain(every, as_of, config, known_at, handle),
        as_of=as_of,
        known_at=known_at,
    )
