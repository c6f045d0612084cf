"""Waiting for new events: one way per backend, polling on SQLite, LISTEN/NOTIFY on PostgreSQL.

``wait(after, timeout)`` returns as soon as the store holds an event past position ``after``
(True), or when ``timeout`` seconds pass without one, or when the ``stop`` event is set
(False). It is meant for a worker thread that follows the store; the caller then reads only
what is new. Every follower — the dashboard's live view, a script waiting for an event —
waits through these two classes, made by ``Ledger.watcher``.

SQLite has no notifications: :class:`PollingWatcher` looks at the newest position every
:data:`POLL_SECONDS` (cheap: the rightmost entry of the table's b-tree). 50 ms keeps a new
event on screen well within a tenth of a second of its commit at about 20 small queries a
second. PostgreSQL's recorder sends ``NOTIFY <table>`` with every insert:
:class:`NotifyWatcher` LISTENs on its own connection and wakes on the notification, looking
at ``stop`` every :data:`NOTIFY_SLICE` seconds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

#: How often the SQLite follower looks for new events (seconds).
POLL_SECONDS = 0.05
#: How long one wait on PostgreSQL notifications lasts before ``stop`` is looked at again.
NOTIFY_SLICE = 0.25


class Watcher(Protocol):
    """Waits for positions past a given one (see the module docstring)."""

    @property
    def uses_notifications(self) -> bool: ...

    def wait(self, after: int, timeout: float) -> bool: ...

    def close(self) -> None: ...


class PollingWatcher:
    """SQLite: look at the newest position every ``poll_interval`` seconds."""

    uses_notifications = False

    def __init__(
        self,
        newest: Callable[[], int],
        *,
        poll_interval: float = POLL_SECONDS,
        stop: threading.Event | None = None,
    ) -> None:
        self._newest = newest
        self.poll_interval = poll_interval
        self.stop = stop or threading.Event()

    def wait(self, after: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not self.stop.is_set():
            if self._newest() > after:
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            self.stop.wait(min(self.poll_interval, remaining))
        return False

    def close(self) -> None:
        pass


class NotifyWatcher:
    """PostgreSQL: LISTEN on the recorder's channel, on a connection of its own."""

    uses_notifications = True

    def __init__(
        self,
        newest: Callable[[], int],
        *,
        listen: Callable[[], Any],
        channel: str,
        stop: threading.Event | None = None,
    ) -> None:
        self._newest = newest
        self._listen = listen
        self._channel = channel
        self._conn: Any = None
        self.stop = stop or threading.Event()

    def wait(self, after: int, timeout: float) -> bool:
        if self._conn is None:
            from psycopg import sql

            self._conn = self._listen()
            self._conn.execute(sql.SQL("LISTEN {0}").format(sql.Identifier(self._channel)))
        deadline = time.monotonic() + timeout
        while not self.stop.is_set():
            # Listening before looking means an insert between the two cannot be missed.
            if self._newest() > after:
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            for _ in self._conn.notifies(timeout=min(NOTIFY_SLICE, remaining), stop_after=1):
                break
        return False

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
