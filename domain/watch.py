"""Waiting for new events: polling on SQLite, LISTEN/NOTIFY on PostgreSQL.

``Watcher.wait(after, timeout)`` returns as soon as the store holds an event past position
``after`` (True) or when ``timeout`` seconds pass without one (False). It is meant for a
worker thread that follows the store; the caller then reads only what is new.

SQLite has no notifications, so the watcher polls the newest position every
``poll_interval`` seconds (cheap: the rightmost entry of the table's b-tree). PostgreSQL's
recorder sends ``NOTIFY <table>`` with every insert: the watcher LISTENs on its own
connection and wakes on the notification.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

SQLITE_POLL_SECONDS = 0.05


class Watcher:
    """Wait for positions past a given one (see the module docstring)."""

    def __init__(
        self,
        newest: Callable[[], int],
        *,
        listen: Callable[[], Any] | None = None,
        channel: str = "",
        poll_interval: float = SQLITE_POLL_SECONDS,
    ) -> None:
        self._newest = newest
        self._listen = listen
        self._channel = channel
        self._conn: Any = None
        self.poll_interval = poll_interval

    @property
    def uses_notifications(self) -> bool:
        return self._listen is not None

    def wait(self, after: int, timeout: float) -> bool:
        if self._listen is None:
            return self._poll(after, timeout)
        return self._await_notify(after, timeout)

    def _poll(self, after: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while True:
            if self._newest() > after:
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            time.sleep(min(self.poll_interval, remaining))

    def _await_notify(self, after: int, timeout: float) -> bool:
        if self._conn is None:
            from psycopg import sql

            assert self._listen is not None
            self._conn = self._listen()
            self._conn.execute(sql.SQL("LISTEN {0}").format(sql.Identifier(self._channel)))
        # Listening before looking means an insert between the two cannot be missed.
        if self._newest() > after:
            return True
        for _ in self._conn.notifies(timeout=timeout, stop_after=1):
            break
        return self._newest() > after

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
