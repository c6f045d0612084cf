"""Helpers for the chaos tests: a PostgreSQL server that restarts, a dashboard on a terminal.

No tests here.

- :class:`RestartablePgServer` is the suite's throwaway server (``tests.pg_server``) that can
  be stopped and started again on the same port with its data, the way a database server
  restarts under its clients.
- :class:`Terminal` runs a real ``trustledger`` process on a pseudo-terminal and keeps the
  screen it draws (through ``pyte``, a terminal emulator), so a test reads what a person
  would see.
- :func:`wait_until` polls a condition with a deadline: the tests' only way to wait.
"""

from __future__ import annotations

import contextlib
import fcntl
import itertools
import os
import pty
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TypeVar

import pyte
import pytest
from trustledger.domain.store import StoreConfig, parse_store_url

import tests.pg_server as pg_server
from tests.pg_server import PgServer

TRUSTLEDGER = Path(sys.executable).parent / "trustledger"

T = TypeVar("T")


def wait_until(
    condition: Callable[[], T | None], timeout: float, what: str, interval: float = 0.02
) -> T:
    """Poll ``condition`` until it returns something true; fail naming ``what`` after
    ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        found = condition()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.1f} s waiting for {what}")
        time.sleep(interval)


class RestartablePgServer(PgServer):
    """A private PostgreSQL server that :meth:`halt` stops and :meth:`resume` starts again,
    on the same port and with the same data (clients reconnect to the same URL)."""

    def halt(self) -> None:
        """Stop the server (fast shutdown: clients are disconnected), keeping its data."""
        self._terminate()

    def resume(self) -> None:
        """Start the halted server again on its port; returns once it accepts connections."""
        port = self.port
        assert port is not None, "the server was never started"
        free_port = pg_server._free_port
        pg_server._free_port = lambda: port  # _launch picks the port through this
        try:
            self._launch()
        finally:
            pg_server._free_port = free_port


@pytest.fixture(scope="session")
def restarting_server() -> Iterator[RestartablePgServer]:
    """A PostgreSQL server of the chaos tests' own: restarting the suite's would disturb
    every other test."""
    pg_server.require_pg_or_skip()
    with RestartablePgServer() as server:
        yield server


@pytest.fixture
def restarting_store(restarting_server: RestartablePgServer) -> StoreConfig:
    """A new, empty database on :func:`restarting_server` (running again if a test before
    failed while it was down)."""
    if not restarting_server.running:
        restarting_server.resume()
    name = f"chaos_{os.getpid()}_{next(_databases)}"
    return parse_store_url(restarting_server.create_database(name))


_databases = itertools.count(1)


class Terminal:
    """A process on a pseudo-terminal of ``size`` (columns, lines), its screen emulated."""

    def __init__(
        self,
        args: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        size: tuple[int, int] = (100, 30),
    ) -> None:
        columns, lines = size
        self.screen = pyte.Screen(columns, lines)
        self.stream = pyte.ByteStream(self.screen)
        self._lock = threading.Lock()
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
        full_env = dict(os.environ if env is None else env)
        full_env.update(TERM="xterm-256color", COLUMNS=str(columns), LINES=str(lines))
        full_env.pop("COLORTERM", None)
        self.process = subprocess.Popen(
            list(args),
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=full_env,
            start_new_session=True,
            close_fds=True,
        )
        os.close(slave)
        self.master = master
        self.output = bytearray()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                return
            if not chunk:
                return
            with self._lock:
                self.output.extend(chunk)
                self.stream.feed(chunk)

    def text(self) -> str:
        """What the screen shows now, line by line."""
        with self._lock:
            return "\n".join(line.rstrip() for line in self.screen.display)

    def shows(self, *needles: str) -> bool:
        screen = self.text()
        return all(needle in screen for needle in needles)

    def wait_for(self, *needles: str, timeout: float = 20.0) -> str:
        """Wait until every one of ``needles`` is on screen; the screen then."""
        try:
            wait_until(lambda: self.shows(*needles), timeout, f"{needles!r} on screen")
        except AssertionError as exc:
            raise AssertionError(f"{exc}; the screen:\n{self.text()}") from None
        return self.text()

    def press(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def close(self) -> int | None:
        """Quit (``q``), or end the process when it does not; its exit code."""
        if self.process.poll() is None:
            with contextlib.suppress(OSError):
                self.press("q")
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        self._reader.join(5)
        with contextlib.suppress(OSError):
            os.close(self.master)
        return self.process.returncode
