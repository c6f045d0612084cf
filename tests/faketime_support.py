"""Running the suite under libfaketime (``make test-dates``): two gaps it leaves, bridged.

``faketime`` moves the clock of every process it starts, monotonic clock included; the
suite must pass on any day, and this is how it is shown. libfaketime (0.9.10) leaves two
gaps that have nothing to do with the date:

- It does not intercept ``sem_clockwait``, which CPython's locks use for a wait with a
  timeout: the deadline is taken on the faked monotonic clock, the kernel waits on the real
  one, so a ``threading.Event.wait(0.05)`` that should time out sleeps for years (the SQLite
  watcher polls that way). :func:`bridge_timed_waits` makes ``Condition.wait`` with a timeout
  (behind ``Event.wait`` and ``Queue.get``) poll with ``time.sleep``, which libfaketime does
  handle. It is installed only when libfaketime is loaded, in the test process and, through
  ``tests/faketime_site/sitecustomize.py`` on ``PYTHONPATH``, in every Python process the
  tests start (:func:`bridge_subprocesses`).
- PostgreSQL's own timers (``lock_timeout``) misfire under it. The server is infrastructure:
  business days and recording times all come from the client, so the throwaway server runs
  on the real clock (:func:`without_libfaketime`).
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Mapping, MutableMapping
from pathlib import Path
from typing import Any

#: Longest sleep between two looks at a waited-for lock while bridging.
_POLL_SECONDS = 0.002


def under_libfaketime(environ: Mapping[str, str] = os.environ) -> bool:
    return "libfaketime" in environ.get("LD_PRELOAD", "")


def without_libfaketime(environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """``environ`` for a process that must run on the real clock."""
    env = {k: v for k, v in environ.items() if not k.startswith("FAKETIME")}
    preload = [p for p in env.pop("LD_PRELOAD", "").split() if "libfaketime" not in p]
    if preload:
        env["LD_PRELOAD"] = " ".join(preload)
    return env


def _polling_wait(self: Any, timeout: float | None = None) -> bool:
    """``threading.Condition.wait`` (CPython 3.11), polling when there is a timeout."""
    if not self._is_owned():
        raise RuntimeError("cannot wait on un-acquired lock")
    waiter = threading.Lock()
    waiter.acquire()
    self._waiters.append(waiter)
    saved_state = self._release_save()
    gotit = False
    try:
        if timeout is None:
            waiter.acquire()
            gotit = True
        else:
            deadline = time.monotonic() + timeout
            gotit = waiter.acquire(False)
            while not gotit and (left := deadline - time.monotonic()) > 0:
                time.sleep(min(left, _POLL_SECONDS))
                gotit = waiter.acquire(False)
        return gotit
    finally:
        self._acquire_restore(saved_state)
        if not gotit:
            with contextlib.suppress(ValueError):
                self._waiters.remove(waiter)


def bridge_timed_waits() -> None:
    """Under libfaketime, let timed ``Condition`` waits time out (see the module's doc)."""
    if under_libfaketime():
        threading.Condition.wait = _polling_wait  # type: ignore[method-assign]


def bridge_subprocesses(environ: MutableMapping[str, str] = os.environ) -> None:
    """Under libfaketime, have every Python process started with ``environ`` (or a copy of
    it) bridge its timed waits too, through the ``sitecustomize`` in ``faketime_site``."""
    if under_libfaketime(environ):
        site = str(Path(__file__).resolve().parent / "faketime_site")
        paths = [p for p in environ.get("PYTHONPATH", "").split(os.pathsep) if p]
        if site not in paths:
            environ["PYTHONPATH"] = os.pathsep.join([site, *paths])
