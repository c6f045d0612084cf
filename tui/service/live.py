"""The dashboard's shell: opening the store, loading it, following it, recording into it.

Nothing here touches Textual. The app runs these pieces in thread workers and hands their
results to the UI with messages, so the UI thread never waits on the store:

- :class:`LiveFollower` loads every event into a :class:`Follower`, then
  waits for new ones (:meth:`EventSource.wait_for_new`) and folds only those, producing a new
  :class:`Picture` each time something changed (or the calendar day turned).
- :class:`AuditReader` replays the store's events at an as-of date (and known-at time).
- :func:`partnership_detail` gathers one partnership's timeline, trend and explanation.
- :class:`Recorder` records one event line, all or nothing, like ``trustledger record``.

Following is behind :class:`EventSource` so that another store can wake the loop its own way:
``wait_for_new(position, timeout)`` returns once the store holds events after ``position`` (or
the timeout passed). A ledger that offers ``wait_for_new`` itself (PostgreSQL LISTEN/NOTIFY)
is used as is; otherwise the source polls ``max_position()`` every ``poll_interval`` seconds.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

from trustledger.domain.errors import StoreError
from trustledger.domain.events import EventLine, Recorded
from trustledger.domain.ledger import Ledger, Located, RecordResult
from trustledger.domain.store import StoreConfig
from trustledger.projections.config import ModelConfig, load_config
from trustledger.projections.explain import ExplainRow, explain
from trustledger.projections.follower import Follower
from trustledger.projections.portfolio import portfolio_at
from trustledger.projections.replay import fold, select
from trustledger.projections.trends import sparklines, trend
from trustledger.projections.views import Alert, PartnershipView, Portfolio, TrendPoint
from trustledger.tui.service.warmstart import gc_paused

#: How many points each portfolio sparkline has, and how many days apart they are.
SPARK_POINTS = 8
SPARK_STEP_DAYS = 30
#: How many points the partnership screen's trend chart has.
CHART_POINTS = 40
#: Where a form's line says it came from, in the ledger's error messages.
FORM_SOURCE = "form"


def load_model_config() -> ModelConfig:
    """The scoring parameters the command line uses too (defaults when no config file)."""
    try:
        return load_config()
    except ValueError:
        from trustledger.projections.config import DEFAULT_CONFIG

        return DEFAULT_CONFIG


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


# -- opening the store and following it --------------------------------------------------


def open_ledger(store: StoreConfig) -> Ledger:
    """Open an existing store (``StoreMissing`` when there is none)."""
    return Ledger(store)


class EventSource(Protocol):
    """Where the follower reads events from; see the module docstring."""

    def max_position(self) -> int: ...
    def read(self, after: int, limit: int) -> list[Recorded]: ...
    def wait_for_new(self, position: int, timeout: float) -> bool: ...
    def close(self) -> None: ...


class LedgerSource:
    """An :class:`EventSource` over a :class:`Ledger` (one connection, used by one thread).

    On a store that pushes notifications (PostgreSQL's LISTEN/NOTIFY, through the ledger's
    own ``wait_for_new``) it waits on those, in short slices; otherwise it polls
    ``max_position()`` every ``poll_interval`` seconds. ``stop`` (the worker's cancellation
    event) ends a wait within a slice.
    """

    #: How long one wait on notifications lasts before ``stop`` is looked at again.
    NOTIFY_SLICE = 0.25

    def __init__(
        self, ledger: Ledger, poll_interval: float, stop: threading.Event | None = None
    ) -> None:
        self.ledger = ledger
        self.poll_interval = poll_interval
        self.stop = stop or threading.Event()
        pushes = getattr(getattr(ledger, "store", None), "kind", "sqlite") != "sqlite"
        self._native = getattr(ledger, "wait_for_new", None) if pushes else None

    def max_position(self) -> int:
        return self.ledger.max_position()

    def read(self, after: int, limit: int) -> list[Recorded]:
        return self.ledger.read(after, limit, trusted=True)

    def wait_for_new(self, position: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not self.stop.is_set():
            remaining = deadline - time.monotonic()
            if self._native is not None:
                if self._native(position, max(0.0, min(self.NOTIFY_SLICE, remaining))):
                    return True
            else:
                if self.ledger.max_position() > position:
                    return True
                self.stop.wait(max(0.0, min(self.poll_interval, remaining)))
            if time.monotonic() >= deadline:
                return False
        return False

    def close(self) -> None:
        self.ledger.close()


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

    PAGE = 5000

    def __init__(
        self,
        source: EventSource,
        today: Callable[[], date],
        config: ModelConfig,
        *,
        wake_every: float = 1.0,
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
        while True:
            batch = self.source.read(self.follower.last_position, self.PAGE)
            if not batch:
                return changed
            changed |= self.follower.apply(batch)

    def step(self, initial: bool = False) -> LiveUpdate:
        # The cyclic garbage collector is paused meanwhile (:func:`gc_paused`):
        # a first load keeps millions of new objects, and a picture of a big state makes
        # millions of short-lived ones; each full collection would walk them all again.
        with gc_paused():
            changed = self.catch_up()
            picture = live_picture(self.follower, self.today())
        alerts = [] if initial else new_alerts(self.last and self.last.portfolio, picture.portfolio)
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


# -- audit: replaying the past -----------------------------------------------------------


class AuditReader:
    """Replays the store at an as-of date / known-at time; keeps the events read so far.

    Each call reads only the events recorded since the previous call, so stepping through
    dates costs one fold, not one full read of the store.
    """

    PAGE = 5000

    def __init__(self, store: StoreConfig, config: ModelConfig) -> None:
        self.store = store
        self.config = config
        self.events: list[Recorded] = []
        self._lock = threading.Lock()

    def refresh(self, ledger: Ledger) -> list[Recorded]:
        with self._lock:
            after = self.events[-1].position if self.events else 0
            while True:
                batch = ledger.read(after, self.PAGE, trusted=True)
                if not batch:
                    break
                self.events.extend(batch)
                after = batch[-1].position
            return list(self.events)

    def picture(self, as_of: date, known_at: datetime | None) -> Picture:
        with open_ledger(self.store) as ledger:
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
    with open_ledger(store) as ledger:
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


# -- recording ---------------------------------------------------------------------------


class Recorder:
    """Records lines into the store through one ledger connection, one call at a time."""

    def __init__(self, store: StoreConfig) -> None:
        self.store = store
        self._ledger: Ledger | None = None
        self._lock = threading.Lock()

    def record(self, line: EventLine, actor: str | None = None) -> RecordResult:
        with self._lock:
            if self._ledger is None:
                self._ledger = open_ledger(self.store)
            return self._ledger.record([Located(FORM_SOURCE, 0, line)], actor=actor)

    def close(self) -> None:
        with self._lock:
            if self._ledger is not None:
                self._ledger.close()
                self._ledger = None


def rule_error_field(message: str) -> tuple[str | None, str]:
    """Split a ledger error for a form line, ``form: FIELD: message``, into field and text."""
    text = message
    if text.startswith(f"{FORM_SOURCE}: "):
        text = text[len(FORM_SOURCE) + 2 :]
    name, sep, rest = text.partition(": ")
    if sep and re.fullmatch(r"[a-z_]+(\.[a-z_]+)?", name):
        return name, rest
    return None, text
