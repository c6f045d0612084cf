"""The dashboard's shell: following the store, replaying it, gathering one partnership.

Nothing here touches Textual. The app runs these pieces in thread workers (through
:class:`~trustledger.tui.service.ledger_service.LedgerService`) and hands their results to
the UI with messages, so the UI thread never waits on the store:

- :func:`follow` opens the store, starts from its shared read model (:mod:`.readmodel`)
  and runs a :class:`LiveFollower`: it folds what the read model did not hold yet into a
  ``Follower``, then waits for new events (the store's own watcher: LISTEN/NOTIFY on
  PostgreSQL, polling on SQLite) and folds only those, producing a new :class:`Picture`
  each time something changed (or the day turned), naming the partnerships that changed,
  and moving the stored read model on now and then.
  When the store stops answering (a PostgreSQL restart, an SQLite file moved away) it
  says so once, reconnects with back-off, and catches up from its last position.
- :class:`AuditReader` replays the store's events at an as-of date (and known-at time).
- :func:`partnership_detail` gathers one partnership's timeline, trend and explanation.
"""

from __future__ import annotations

import gc
import random
import threading
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Protocol

from trustledger.domain.errors import LedgerError, StoreError
from trustledger.domain.paging import pages
from trustledger.domain.recorded import Recorded
from trustledger.domain.store import StoreConfig
from trustledger.projections import (
    Alert,
    ExplainRow,
    Follower,
    ModelConfig,
    NeedsFullState,
    PartnershipView,
    Portfolio,
    TrendPoint,
    explain,
    fold,
    partnership_view,
    portfolio_at,
    select,
    sparklines,
    trend,
)
from trustledger.projections.follower import StoredStates
from trustledger.projections.stored_views import with_items
from trustledger.tui.service.readmodel import (
    SPARK_POINTS,
    SPARK_STEP_DAYS,
    ReadModel,
    completed,
    gc_paused,
    glanced_views,
)
from trustledger.tui.service.stores import open_ledger, opened, scrub

if TYPE_CHECKING:
    from trustledger.domain.ledger import Ledger
    from trustledger.tui.service.ledger_service import LedgerService

#: How many points the partnership screen's trend chart has.
CHART_POINTS = 40
#: How often (at most) the live view moves the store's shared read model on (seconds).
PERSIST_SECONDS = 5.0
#: How often the live loop wakes with nothing new, to see whether the day has turned.
WAKE_SECONDS = 1.0
#: How long (at most) a warm start waits for its first picture to be on screen before it
#: loads the ledger (seconds; see :func:`follow`).
FIRST_FRAME_WAIT = 2.0
#: Events per page while the live view catches up.
PAGE = 5000
#: Waits between attempts to reach a store that stopped answering (seconds): the first,
#: doubled after each failure up to the longest, so a store that is back is found within
#: about a second.
RETRY_FIRST = 0.1
RETRY_LONGEST = 1.0


def store_failures() -> tuple[type[Exception], ...]:
    """What a store that stops answering raises (the ledger's one-line errors, and whatever
    a driver raises outside them): the event library's errors are named when one is caught,
    so that a first frame from the read model loads no event library."""
    from eventsourcing.persistence import PersistenceError

    return (LedgerError, PersistenceError, OSError)


# -- what the screens show ---------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class Picture:
    """Everything the portfolio screen shows, at one as-of date (and known-at time).

    ``position`` is the store position of the last event counted; ``audit`` tells whether this
    is a replay of the past (as opposed to the live state). A live picture names what
    changed since the one before (``changed``, ``since``), so a screen can update those
    rows alone.
    """

    portfolio: Portfolio
    sparks: Mapping[str, list[TrendPoint]]
    position: int
    as_of: date
    known_at: datetime | None = None
    audit: bool = False
    #: The partnerships whose rows differ from the picture at position ``since`` (None:
    #: any may differ). Portfolio-wide figures (revenue shares, counts) may differ anyway.
    changed: frozenset[str] | None = None
    since: int | None = None

    def get(self, handle: str) -> PartnershipView | None:
        return self.portfolio.get(handle)

    def __repr__(self) -> str:
        # Short: a worker's description or a log line would otherwise spell out every view
        # of the portfolio (50 MB at ten thousand partnerships).
        return (
            f"Picture(position={self.position}, as_of={self.as_of}, known_at={self.known_at}, "
            f"audit={self.audit}, partnerships={len(self.portfolio.by_handle)})"
        )


@dataclass(frozen=True)
class Detail:
    """One partnership's events and derived series, for the partnership screen."""

    handle: str
    events: list[Recorded]
    trend: list[TrendPoint]
    explanation: list[ExplainRow]
    as_of: date
    known_at: datetime | None
    #: The partnership's view with its commitments, reviews and issues, when the picture's
    #: was lean (see :func:`detailed`).
    view: PartnershipView | None = None


def alert_key(alert: Alert) -> tuple[str, str, str]:
    """What identifies an alert across pictures (its message's day counts change daily)."""
    return alert.kind, alert.partnership, alert.subject or ""


def new_alerts(
    before: Portfolio | None, after: Portfolio, changed: Collection[str] | None = None
) -> list[Alert]:
    """Alerts of ``after`` that ``before`` did not have. ``changed``: the only partnerships
    whose views may differ (besides revenue concentration, which any revenue moves), so
    that only theirs are compared."""
    if before is None:
        return []
    if changed is None:
        known = {alert_key(alert) for alert in before.alerts}
        return [alert for alert in after.alerts if alert_key(alert) not in known]
    handles = set(changed)
    if after.revenue_total_12m != before.revenue_total_12m:
        handles.update(after.concentrated)  # only they may carry a new concentration alert
    found: list[Alert] = []
    for handle in sorted(handles):
        now, then = after.get(handle), before.get(handle)
        if now is None:
            continue
        known = {alert_key(alert) for alert in then.alerts} if then is not None else set()
        found.extend(alert for alert in now.alerts if alert_key(alert) not in known)
    return found


# -- following the store ------------------------------------------------------------------


class EventSource(Protocol):
    """Where the live loop reads events from, and how it waits for more."""

    def read(self, after: int, limit: int) -> list[Recorded]: ...
    def history(self, handle: str) -> list[Recorded]: ...
    def wait_for_new(self, position: int, timeout: float) -> bool: ...
    def close(self) -> None: ...


class LedgerSource:
    """An :class:`EventSource` over an open ledger, used by one thread: it reads pages of
    events and waits with the store's own watcher (``Ledger.watcher``: LISTEN/NOTIFY on
    PostgreSQL, polling on SQLite), which ``stop`` interrupts."""

    def __init__(self, ledger: Ledger, stop: threading.Event) -> None:
        self.ledger = ledger
        self.watcher = ledger.watcher(stop)

    def read(self, after: int, limit: int) -> list[Recorded]:
        return self.ledger.read(after, limit, trusted=True)

    def history(self, handle: str) -> list[Recorded]:
        return self.ledger.history(handle, trusted=True)

    def wait_for_new(self, position: int, timeout: float) -> bool:
        return self.watcher.wait(position, timeout)

    def close(self) -> None:
        self.watcher.close()


def live_picture(
    follower: Follower,
    as_of: date,
    changed: Collection[str] | None = None,
    since: int | None = None,
) -> Picture:
    """The live picture at ``as_of``; ``changed`` names the partnerships that differ from the
    picture at position ``since`` (None: any may differ)."""
    return Picture(
        portfolio=follower.view(as_of),
        sparks=follower.sparklines(as_of, SPARK_POINTS, SPARK_STEP_DAYS),
        position=follower.last_position,
        as_of=as_of,
        changed=None if changed is None or since is None else frozenset(changed),
        since=since,
    )


@dataclass
class LiveUpdate:
    """What one turn of the follow loop produced."""

    picture: Picture
    alerts: list[Alert] = field(default_factory=list)
    changed: set[str] = field(default_factory=set)
    initial: bool = False


def retry_delays(first: float = RETRY_FIRST, longest: float = RETRY_LONGEST) -> Iterator[float]:
    """Waits between attempts to reach a store: doubling from ``first`` up to ``longest``,
    each shaken by a quarter either way, so that many dashboards do not knock at once."""
    delay = first
    while True:
        yield delay * random.uniform(0.75, 1.25)
        delay = min(delay * 2, longest)


class LiveFollower:
    """The live loop (run it in a thread): load, then fold new events as they arrive.

    ``emit`` is called with a :class:`LiveUpdate` after the initial load and after every batch
    of new events (or when ``today()`` moves on). When the store fails (a server restarting,
    a file that cannot be read), ``on_error`` is told once, and the loop tries again with
    :func:`retry_delays`, through ``reopen`` (a new connection) when it is given; once the
    store answers it checks that the store still holds the last event it folded (else it
    starts over from an empty state: another store now stands at that place), reads
    everything recorded since, and emits. ``source`` may be None: the loop then opens it
    first, through ``reopen``.

    Any other error in a step (a fault in folding or showing an event: not meant to happen)
    does not end the loop in silence: ``on_error`` is told what it was, once, and the loop
    starts over, as after an outage but from a fresh state (``reload``, else an empty
    follower reading everything), since the state it held may be half changed. An error
    that comes back at every attempt is retried with the same widening waits.
    """

    def __init__(
        self,
        source: EventSource | None,
        today: Callable[[], date],
        config: ModelConfig,
        *,
        wake_every: float = WAKE_SECONDS,
        follower: Follower | None = None,
        reopen: Callable[[], EventSource] | None = None,
        reload: Callable[[], Follower] | None = None,
    ) -> None:
        self.source = source
        self.today = today
        self.config = config
        # Where a lean follower's full state comes from when it is asked about another day.
        self.reload = reload
        # A follower restored from a warm-start snapshot only reads what came after it.
        self.follower = follower or Follower(config)
        self.wake_every = wake_every
        self.reopen = reopen
        # Where a lean follower takes a partnership's stored state from, before its history
        # (the store's shared read model: see ``ReadModel.stored_states``).
        self.stored_states: StoredStates | None = None
        self.last: Picture | None = None
        # The chain link of the last event folded: how a reconnection knows the store still
        # holds it (None: not known yet; looked up on the next load).
        self.last_link: str | None = "" if self.follower.last_position == 0 else None

    def _source(self) -> EventSource:
        if self.source is None:
            raise StoreError("the store is not open")
        return self.source

    def catch_up(self) -> set[str]:
        """Fold every event after the follower's position; the partnerships that changed."""
        changed: set[str] = set()
        source = self._source()
        for batch in pages(source.read, self.follower.last_position, PAGE):
            changed |= self.follower.apply(batch, source.history, self.stored_states)
            self.last_link = batch[-1].link
        if self.last_link is None:
            self.last_link = self._link_at(self.follower.last_position)
        return changed

    def _link_at(self, position: int) -> str | None:
        """The link of the event the store holds at ``position`` (None: none there)."""
        if position <= 0:
            return ""
        found = self._source().read(position - 1, 1)
        return found[0].link if found and found[0].position == position else None

    def adopt(self, follower: Follower) -> None:
        """Go on from ``follower`` (a restored snapshot) instead of the state held so far."""
        self.follower = follower
        self.last = None
        self.last_link = "" if follower.last_position == 0 else None

    def reconnect(self) -> None:
        """Open the store again (when the loop can) and make sure it is the same history."""
        if self.reopen is not None:
            if self.source is not None:
                with suppress(Exception):  # the old connection is broken anyway
                    self.source.close()
                self.source = None
            self.source = self.reopen()
        known = self.last_link
        if known is not None and self._link_at(self.follower.last_position) != known:
            # The store no longer holds what was shown (replaced, restored from a backup):
            # load it afresh rather than fold its events onto a state they do not follow.
            self.adopt(Follower(self.config))

    def step(self, initial: bool = False) -> LiveUpdate:
        # The cyclic garbage collector is paused meanwhile (:func:`gc_paused`):
        # a first load keeps millions of new objects, and a picture of a big state makes
        # millions of short-lived ones; each full collection would walk them all again.
        last = self.last
        today = self.today()
        with gc_paused():
            changed = self.catch_up()
            # Only the partnerships the new events touched differ from the last picture,
            # unless the day turned (every score decays) or there is no last picture.
            since = last.position if last is not None and last.as_of == today else None
            try:
                picture = live_picture(self.follower, today, changed, since)
            except NeedsFullState:
                # A lean follower holds one day's views: the day turned (every score decays)
                # or an event dated later arrived. Start again from the full state, once.
                if self.reload is None:
                    raise
                self.adopt(self.reload())
                self.catch_up()
                picture = live_picture(self.follower, today)
        before = last.portfolio if last is not None else None
        alerts = [] if initial else new_alerts(before, picture.portfolio, picture.changed)
        self.last = picture
        return LiveUpdate(picture, alerts, changed, initial)

    def run(
        self,
        stop: threading.Event,
        emit: Callable[[LiveUpdate], None],
        on_error: Callable[[str], None] | None = None,
        on_idle: Callable[[], None] | None = None,
        after_step: Callable[[], None] | None = None,
    ) -> None:
        """Loop until ``stop``; ``on_idle`` runs in this thread whenever a wait ends with
        nothing new, ``after_step`` after every update emitted (housekeeping that must not
        race the fold, such as moving the stored read model on)."""
        first = True
        failing = self.source is None
        fresh = False  # start over from a fresh state (after an unexpected error)
        delays = retry_delays()
        while not stop.is_set():
            try:
                if failing:
                    self.reconnect()
                if fresh:
                    self.adopt(self.reload() if self.reload is not None else Follower(self.config))
                if first or failing:
                    emit(self.step(initial=first or fresh))
                    first = failing = fresh = False
                    delays = retry_delays()
                    continue
                position = self.follower.last_position
                arrived = self._source().wait_for_new(position, self.wake_every)
                if stop.is_set():
                    return
                day_turned = self.last is not None and self.today() != self.last.as_of
                if arrived or day_turned:
                    update = self.step()
                    # Nothing new (a watcher may wake for events read already): no update.
                    if day_turned or update.picture.position != position:
                        emit(update)
                    if after_step is not None:
                        after_step()
                elif on_idle is not None:
                    on_idle()
            except store_failures() as exc:
                if not failing and on_error is not None:
                    on_error(str(exc))  # once per outage, not at every attempt
                failing = True
                stop.wait(next(delays))
            except Exception as exc:
                if not failing and on_error is not None:
                    on_error(
                        "the live view stopped on an unexpected error "
                        f"({type(exc).__name__}: {exc}); starting it again"
                    )
                failing = fresh = True
                stop.wait(next(delays))


class StoreConnection:
    """The live view's connection to the store: opened, and opened anew after a failure."""

    def __init__(self, service: LedgerService, stop: threading.Event) -> None:
        self.service = service
        self.stop = stop
        self.ledger: Ledger | None = None
        self.source: LedgerSource | None = None

    def open(self) -> LedgerSource:
        """A new connection (the old one closed); raises ``StoreError`` when it fails."""
        self.close()
        ledger = open_ledger(self.service.store, clock=self.service.clock)
        self.ledger = ledger
        self.source = LedgerSource(ledger, self.stop)
        return self.source

    def close(self) -> None:
        source, ledger = self.source, self.ledger
        self.source = self.ledger = None
        with suppress(Exception):  # closing what a vanished server left behind
            if source is not None:
                source.close()
        with suppress(Exception):
            if ledger is not None:
                ledger.close()


def follow(
    service: LedgerService,
    config: ModelConfig,
    stop: threading.Event,
    emit: Callable[[LiveUpdate], None],
    on_error: Callable[[str], None],
    *,
    warm_start: bool = False,
    warn: Callable[[str], None] | None = None,
    shown: threading.Event | None = None,
) -> None:
    """Follow ``service``'s store until ``stop``, emitting a :class:`LiveUpdate` at the start
    and whenever something changed. With ``warm_start`` the live view starts from the store's
    shared read model (:mod:`.readmodel`; rebuilt first when it cannot be used) and reads only
    what was recorded since, and it moves the stored read model on as it folds new events
    (at most every :data:`PERSIST_SECONDS`, and when it stops, if its process waits for it).
    A store that cannot be opened or stops answering is reported through ``on_error`` (once
    per outage, without a password) and tried again until it answers.

    A warm start first glances at the read model over a plain connection
    (:meth:`~trustledger.tui.service.ledger_service.LedgerService.glance`): when it holds
    today's view rows of this store, their picture is emitted before the ledger (and the
    event library with it) is even loaded. The ledger is opened once ``shown`` is set (the
    picture is on screen: loading it meanwhile would hold up drawing it) or after
    :data:`FIRST_FRAME_WAIT` seconds, and the loop goes on from that picture."""
    store = service.store
    connection = StoreConnection(service, stop)
    model: ReadModel | None = None
    started = False
    persisted = 0.0  # when the read model was last moved on (monotonic seconds)
    persisted_at = 0  # the position it was moved on to (or started from)
    views_day: date | None = None  # the day of the view rows it holds at that position
    today = service.clock.today

    def full_state() -> Follower:
        """The full state: the stored read model (rebuilt when it cannot be used) and what
        was recorded since."""
        nonlocal persisted_at
        assert model is not None
        state, reason = model.start()
        # What was loaded lives as long as the view: keep the cyclic garbage collector from
        # walking its millions of objects again and again.
        gc.freeze()
        persisted_at = state.last_position
        if reason is not None and warn is not None:
            warn(f"read model rebuilt from the events: {scrub(reason, store)}")
        return Follower.from_state(state)

    def lean_start() -> Follower:
        """Today's lean start: the read model's view rows of today, else its states read one
        at a time into today's views (the first start of a day), else the full state."""
        nonlocal persisted_at, views_day
        assert model is not None
        day = today()
        found = model.load_lean(day).follower
        if found is not None:
            views_day = day
        else:
            found = model.lean_from_states(day).follower
        if found is None:
            return full_state()
        # As for the full state: the views live as long as the view, and the collector
        # would walk them again and again while the first screen is built.
        gc.freeze()
        persisted_at = found.last_position
        return found

    def reopen() -> EventSource:
        nonlocal model, started
        source = connection.open()
        if warm_start and connection.ledger is not None:
            model = ReadModel(connection.ledger, config)
            live.stored_states = model.stored_states
            if not started:
                started = True  # once: later reconnections keep the state they have
                live.adopt(lean_start())
        return source

    def told(message: str) -> None:
        on_error(scrub(message, store))

    def persist(force: bool = False) -> None:
        """Move the stored read model on to the live state, with the day's view rows (in
        this thread, so it never races the fold); then let go of the folded states it
        stored."""
        nonlocal persisted, persisted_at, views_day
        now = time.monotonic()
        follower, last = live.follower, live.last
        if model is None or last is None:
            return
        stored = False
        try:
            if follower.last_position > persisted_at:
                if not force and now - persisted < PERSIST_SECONDS:
                    return
                persisted, persisted_at = now, follower.last_position
                stored = model.advance(follower, last.as_of)
            elif views_day != last.as_of:
                # The read model is at this position without this day's views (a start from
                # its states, a day that turned): store them, so the next start reads them.
                stored = model.put_views(follower, last.as_of)
        except store_failures() as exc:
            if warn is not None:
                warn(f"could not update the read model: {scrub(str(exc), store)}")
        if stored:
            views_day = last.as_of
            follower.make_lean()

    def glance_start() -> bool:
        """Emit today's picture from the view rows a glance reads (see above), then make
        their views; False when there are none to use (no read model, views of another day,
        another store, a damaged row, a store that cannot be read): the ledger's start then
        finds out why (and may emit another first picture)."""
        nonlocal started, persisted_at, views_day
        day = today()
        try:
            with gc_paused():
                seen = service.glance()
                follower = glanced_views(seen, config, day).follower
                if follower is None:
                    return False
                picture = live_picture(follower, day)
                # What the picture holds lives on: out of the collector's walks (a full
                # one over ten thousand rows' heads took 30-40 ms of the first frame).
                gc.freeze()
            emit(LiveUpdate(picture, initial=True))
            if shown is not None:
                shown.wait(FIRST_FRAME_WAIT)
            problem = completed(follower)  # each row checked in full before going on
        except (LedgerError, OSError):
            return False
        except Exception as exc:  # a fault here must not cost the live view: start as before
            if warn is not None:
                warn(f"the first picture could not be read at a glance: {type(exc).__name__}")
            return False
        if problem is not None:
            if warn is not None:
                warn(f"the first picture was read from a damaged read model: {problem}")
            return False
        gc.freeze()  # as for lean_start: the views live as long as the view
        started, views_day = True, day
        persisted_at = follower.last_position
        live.adopt(follower)
        live.last_link = seen.link_at(persisted_at)
        live.last = picture
        return True

    live = LiveFollower(None, today, config, reopen=reopen, reload=lean_start)
    try:
        if warm_start:
            glance_start()
        live.run(stop, emit, told, on_idle=persist, after_step=persist)
        if live.source is not None:
            persist(force=True)
    finally:
        connection.close()


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
    lean: tuple[PartnershipView, int] | None = None,
) -> Detail:
    """Read one partnership's events and derive its chart series and explanation (and, for a
    ``lean`` view of a picture at a position, the view with its items: :func:`detailed`)."""
    with opened(store) as ledger:
        events = ledger.history(handle, trusted=True)
    return detail_from_events(handle, events, as_of, known_at, config, audit=audit, lean=lean)


def detailed(
    view: PartnershipView,
    as_of: date,
    position: int,
    events: Iterable[Recorded],
    config: ModelConfig,
) -> PartnershipView:
    """A lean ``view`` (of a picture at ``as_of`` and ``position``) with its commitments,
    reviews and issues, folded from its partnership's ``events`` up to that position."""
    state = fold([event for event in events if event.position <= position], config=config)
    ps = state.partnerships.get(view.handle)
    full = None if ps is None else partnership_view(ps, as_of, config)
    return view if full is None else with_items(view, full)


def detail_from_events(
    handle: str,
    events: Iterable[Recorded],
    as_of: date,
    known_at: datetime | None,
    config: ModelConfig,
    *,
    audit: bool,
    lean: tuple[PartnershipView, int] | None = None,
) -> Detail:
    every = list(events)
    shown = list(select(every, as_of, known_at)) if audit else every
    span = (as_of - shown[0].occurred_on).days if shown else 0
    step = max(1, -(-span // (CHART_POINTS - 1)))
    points = min(CHART_POINTS, span // step + 1) if shown else 2
    return Detail(
        view=None if lean is None else detailed(lean[0], as_of, lean[1], every, config),
        handle=handle,
        events=shown,
        trend=trend(every, as_of, max(points, 2), step, config, known_at, handle),
        explanation=explain(every, as_of, config, known_at, handle),
        as_of=as_of,
        known_at=known_at,
    )
