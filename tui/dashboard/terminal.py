"""The dashboard's terminal: is there one to start on, and is it still there.

Without a terminal (a pipe, ``/dev/null``, ``ssh host trustledger`` without ``-t``) the
dashboard would draw a fixed-size screen into a pipe and read keys from nowhere; it refuses to
start instead (:func:`has_terminal`, exit 2, one line). Once running, a terminal can go away
under it (the SSH link drops, the tmux pane is killed, the terminal window closed). Where the
terminal was the process's controlling terminal the kernel sends SIGHUP, whose default action
ends the process; where it was not, nothing is sent, reads return end-of-file and Textual's
input thread would spin. :class:`TerminalWatch` polls the terminal's descriptors from a thread
of its own (so a busy event loop does not delay it) and ends the app when they hang up.
"""

from __future__ import annotations

import contextlib
import os
import select
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, NoReturn, TextIO

if TYPE_CHECKING:
    import asyncio

NO_TERMINAL = (
    "the dashboard needs a terminal on stdin and stdout "
    "(over SSH use 'ssh -t'; in scripts use 'trustledger report' or 'trustledger check')"
)
#: The exit status when the terminal went away: 128 + SIGHUP, as a shell reports a hangup.
EXIT_HANGUP = 129
#: How often the watch looks, and how long the app then has to end before it is ended.
POLL_SECONDS = 0.1
GRACE_SECONDS = 0.5
_GONE = select.POLLHUP | select.POLLERR | select.POLLNVAL


def has_terminal(streams: Sequence[TextIO] | None = None) -> bool:
    """Are stdin and stdout (or ``streams``) all terminals?"""
    for stream in streams if streams is not None else (sys.stdin, sys.stdout):
        try:
            if stream is None or not os.isatty(stream.fileno()):
                return False
        except (AttributeError, OSError, ValueError):
            return False
    return True


def require_terminal() -> None:
    """Exit 2 with one line unless stdin and stdout are terminals. Called before anything
    heavy is loaded, so that a mistaken start without one ends at once."""
    if not has_terminal():
        _no_terminal()


def _no_terminal() -> NoReturn:
    print(f"trustledger: {NO_TERMINAL}", file=sys.stderr)
    sys.exit(2)


def terminal_gone(fds: Sequence[int]) -> bool:
    """Has any of ``fds`` hung up (its other end closed) or become invalid?"""
    poll = select.poll()
    for fd in fds:
        poll.register(fd, 0)  # hang-ups and errors are reported whatever is asked for
    try:
        return any(events & _GONE for _, events in poll.poll(0))
    except OSError:
        return True


class TerminalWatch:
    """Ends the app (``exit(return_code=EXIT_HANGUP)``) when its terminal goes away, and the
    process ``GRACE_SECONDS`` later if the app could not end by itself."""

    def __init__(
        self,
        exit_app: Callable[[], None],
        loop: asyncio.AbstractEventLoop,
        fds: Sequence[int] | None = None,
    ) -> None:
        self.exit_app = exit_app
        self.loop = loop
        self.fds = list(fds) if fds is not None else [0, 1]  # stdin and stdout
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name="terminal-watch", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stopped.set()

    def _run(self) -> None:
        # Plain sleeps, not timed waits on the event: a timed lock wait can oversleep where
        # the clock is shifted (libfaketime leaves sem_clockwait alone), a sleep cannot.
        while not self.stopped.is_set():
            time.sleep(POLL_SECONDS)
            if terminal_gone(self.fds):
                break
        else:
            return
        with contextlib.suppress(RuntimeError):  # a closed loop: the app has ended already
            self.loop.call_soon_threadsafe(self.exit_app)
        time.sleep(GRACE_SECONDS)
        if not self.stopped.is_set():
            os._exit(EXIT_HANGUP)
