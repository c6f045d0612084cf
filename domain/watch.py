"""Waiting for new events: one way per backend, polling on SQLite, LISTEN/NOTIFY on PostgreSQL.

``wait(after, timeout)`` returns as soon as the store holds an event past position ``after``
(True), or when ``timeout`` seconds pass without one, or when the ``stop`` event is set
(False). On PostgreSQL a True may now and then come from a notification of events the caller
has read already (committed while it read); reading again then finds nothing. It is meant
for a worker thread that follows the store; the caller then reads only what is new. Every
follower — the dashboard's live view, a script waiting for an event — waits through these
two classes, made by ``Ledger.watcher``.

SQLite has no notifications: :class:`PollingWatcher` looks at the newest position every
:data:`POLL_SECONDS` (cheap: the rightmost entry of the table's b-tree). 50 ms keeps a new
event on screen well within a tenth of a second of its commit at about 20 small queries a
second. PostgreSQL's recorder sends ``NOTIFY <table>`` with every insert:
:class:`NotifyWatcher` LISTENs on its own connection and wakes on the notification, looking
at ``stop`` every :data:`NOTIFY_SLICE` seconds.

A store that stops answering (a PostgreSQL server restarting, an SQLite file that cannot be
read, or that was moved away or replaced by another file) makes ``wait`` raise a one-line
``StoreError``, whatever the driver raised; the caller decides how to reconnect. A
:class:`NotifyWatcher` drops its broken connection, so its next ``wait`` listens again on a
new one.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, Protocol

from eventsourcing.persistence import PersistenceError
from trustledger.domain.errors import StoreError, first_line

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


@contextmanager
def _store_failures(where: str, also: tuple[type[BaseException], ...] = ()) -> Iterator[None]:
    """Any failure of the driver underneath becomes one ``StoreError`` line."""
    failures: tuple[type[BaseException], ...] = (PersistenceError, sqlite3.Error, OSError, *also)
    try:
        yield
    except StoreError:
        raise
    except failures as exc:
        raise StoreError(f"cannot read store {where}: {first_line(exc)}") from None


def _file_identity(path: Path) -> tuple[int, int] | None:
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_dev, found.st_ino


class PollingWatcher:
    """SQLite: look at the newest position every ``poll_interval`` seconds.

    Given the store's ``path``, it also looks whether the file is still the one it started
    with: an open connection would go on reading a file that was moved away or replaced
    (a restored backup) and never see what is recorded in the file now at that path.
    """

    uses_notifications = False

    def __init__(
        self,
        newest: Callable[[], int],
        *,
        poll_interval: float = POLL_SECONDS,
        stop: threading.Event | None = None,
        path: Path | None = None,
        where: str = "",
    ) -> None:
        self._newest = newest
        self.poll_interval = poll_interval
        self.stop = stop or threading.Event()
        self.path = path
        self.where = where or (str(path) if path else "the store")
        self._identity = _file_identity(path) if path is not None else None

    def _still_the_same_file(self) -> None:
        if self.path is None or self._identity is None:
            return
        now = _file_identity(self.path)
        if now is None:
            raise StoreError(f"store {self.where} is gone (moved, deleted or unreadable)")
        if now != self._identity:
            raise StoreError(f"store {self.where} was replaced by another file")

    def wait(self, after: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not self.stop.is_set():
            with _store_failures(self.where):
                self._still_the_same_file()
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
    """PostgreSQL: LISTEN on the recorder's channel, on a connection of its own.

    Once listening, every commit of new events sends a notification that waits on the
    connection until read, so the newest position is asked for only when the listening
    starts (what was committed before it) or when a caller asks about a position before
    the one it waited after last time: a follower that reads what is new after each wake
    costs one query per event, not two.
    """

    uses_notifications = True

    def __init__(
        self,
        newest: Callable[[], int],
        *,
        listen: Callable[[], Any],
        channel: str,
        stop: threading.Event | None = None,
        where: str = "the store",
    ) -> None:
        self._newest = newest
        self._listen = listen
        self._channel = channel
        self._conn: Any = None
        self._after = -1  # the position the last wait was after (on this connection)
        self.stop = stop or threading.Event()
        self.where = where

    def wait(self, after: int, timeout: float) -> bool:
        import psycopg

        try:
            with _store_failures(self.where, (psycopg.Error,)):
                return self._wait(after, timeout)
        except StoreError:
            self.close()  # the next wait listens on a new connection
            raise

    def _wait(self, after: int, timeout: float) -> bool:
        look = after < self._after
        if self._conn is None:
            from psycopg import sql

            self._conn = self._listen()
            self._conn.execute(sql.SQL("LISTEN {0}").format(sql.Identifier(self._channel)))
            look = True
        self._after = after
        deadline = time.monotonic() + timeout
        while not self.stop.is_set():
            # Listening before looking means an insert between the two cannot be missed.
            if look and self._newest() > after:
                return True
            look = False
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            # A notification is sent by a commit that inserted events: no need to ask for
            # the newest position again (one query less per event on a busy store). It may
            # be of events read already (committed while the caller was reading), so the
            # caller finds nothing new now and then.
            for _ in self._conn.notifies(timeout=min(NOTIFY_SLICE, remaining), stop_after=1):
                return True
        return False

    def close(self) -> None:
        conn, self._conn = self._conn, None
        self._after = -1
        if conn is not None:
            with suppress(Exception):  # a connection the server already dropped
                conn.close()
