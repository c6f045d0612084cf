"""One live view of a store for many viewers: the dashboard sessions of ``trustledger serve``.

A dashboard on its own follows the store itself (:func:`~.live.follow`, in a thread of its
process). The dashboards a server runs for its clients share one :class:`SharedLive`
instead: one follow loop, in one thread, holds the live state and folds each new event
once, and every update it makes goes to every session. A session that starts later begins
from the last update (as an initial one, without the alerts it raised): it replays nothing,
and its memory is its screens'.

The loop starts with the first session and stops ``linger`` seconds after the last one
has gone (so a session opened soon after starts at once), or when the server stops.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Protocol

from trustledger.tui.service.live import LiveUpdate

if TYPE_CHECKING:
    from trustledger.projections import ModelConfig
    from trustledger.tui.service.ledger_service import LedgerService

Emit = Callable[[LiveUpdate], None]
Failed = Callable[[str], None]
Unsubscribe = Callable[[], None]


class LiveFeed(Protocol):
    """What a dashboard needs of a shared live view: updates until it unsubscribes."""

    def subscribe(self, emit: Emit, failed: Failed) -> Unsubscribe: ...


#: How long the loop keeps following with no session, so that the next one starts warm.
LINGER_SECONDS = 300.0


class SharedLive:
    """The live view of ``service``'s store, shared by its subscribers (see the module)."""

    def __init__(
        self,
        service: LedgerService,
        config: ModelConfig,
        *,
        warn: Callable[[str], None] | None = None,
        linger: float = LINGER_SECONDS,
    ) -> None:
        self.service = service
        self.config = config
        self.warn = warn
        self.linger = linger
        # Subscribing, unsubscribing and handing an update on happen under this lock, so a
        # new subscriber's first update is never overtaken by an older one.
        self._lock = threading.Lock()
        self._subscribers: dict[int, tuple[Emit, Failed]] = {}
        self._numbers = itertools.count(1)
        self._last: LiveUpdate | None = None
        self._failing: str | None = None
        self._stop: threading.Event | None = None
        self._thread: threading.Thread | None = None
        self._idle_timer: threading.Timer | None = None

    @property
    def subscribers(self) -> int:
        with self._lock:
            return len(self._subscribers)

    @property
    def running(self) -> bool:
        thread = self._thread
        return thread is not None and thread.is_alive()

    def subscribe(self, emit: Emit, failed: Failed) -> Unsubscribe:
        """Hand every live update to ``emit`` (the last one at once, when there is one) and
        every failure of the store to ``failed``, until the returned function is called.
        Both are called from the follow loop's thread and must not block (post a message)."""
        with self._lock:
            number = next(self._numbers)
            self._subscribers[number] = (emit, failed)
            if self._idle_timer is not None:
                self._idle_timer.cancel()
                self._idle_timer = None
            if self._thread is None or not self._thread.is_alive():
                self._start()
            if self._last is not None:
                emit(replace(self._last, initial=True, alerts=[]))
            if self._failing is not None:
                failed(self._failing)

        def unsubscribe() -> None:
            with self._lock:
                if self._subscribers.pop(number, None) is None or self._subscribers:
                    return
                if self.linger <= 0:
                    self._stop_locked()
                    return
                timer = threading.Timer(self.linger, self._stop_if_idle)
                timer.daemon = True
                self._idle_timer = timer
                timer.start()

        return unsubscribe

    def close(self, timeout: float = 5.0) -> None:
        """Stop following (the stored read model is moved on first) and wait for it."""
        with self._lock:
            thread = self._thread
            self._stop_locked()
        if thread is not None:
            thread.join(timeout)

    # -- the loop ---------------------------------------------------------------------------

    def _start(self) -> None:
        stop = threading.Event()
        self._stop = stop
        self._last = None
        self._failing = None
        self._thread = threading.Thread(
            target=self._run, args=(stop,), name="shared-live", daemon=True
        )
        self._thread.start()

    def _stop_locked(self) -> None:
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None
        if self._stop is not None:
            self._stop.set()
        self._stop = None
        self._thread = None
        self._last = None

    def _stop_if_idle(self) -> None:
        with self._lock:
            if not self._subscribers:
                self._stop_locked()

    def _run(self, stop: threading.Event) -> None:
        def emit(update: LiveUpdate) -> None:
            with self._lock:
                if stop.is_set():
                    return
                self._last = update
                self._failing = None
                for hand_on, _ in list(self._subscribers.values()):
                    _safely(hand_on, update)

        def failed(message: str) -> None:
            with self._lock:
                if stop.is_set():
                    return
                self._failing = message
                for _, tell in list(self._subscribers.values()):
                    _safely(tell, message)

        self.service.follow(self.config, stop, emit, failed, warm_start=True, warn=self.warn)


def _safely(call: Callable[..., None], argument: object) -> None:
    """One subscriber that fails (a session ending meanwhile) never stops the others."""
    with contextlib.suppress(Exception):
        call(argument)
