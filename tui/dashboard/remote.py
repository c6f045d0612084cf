"""The dashboard drawn on a remote terminal: a session of ``trustledger serve``.

The server runs every dashboard session inside its own process (:mod:`..service.channel`
says why and how they meet). For each, :func:`run_on_channel` runs a
:class:`~.app.TrustLedgerApp` with a :class:`ChannelDriver`: a Textual driver whose
terminal is the session's channel instead of this process's stdin and stdout.

- What the client types reaches Textual's own xterm parser (keys, pastes, mouse), a byte
  stream decoded as UTF-8; an Escape alone is told from the start of a sequence after
  :data:`ESCAPE_WAIT` seconds, as on a local terminal.
- The screen starts at the client's size and follows its window changes; colours follow
  the client's ``TERM`` and ``COLORTERM``, not the server's.
- What the app draws in one frame goes out in one write.
- The session's identity (its key's name and role) is the service's
  (:meth:`~..service.ledger_service.LedgerService.for_access`), not the process's
  environment, and its live view is the server's shared one (:mod:`..service.sharedlive`):
  a session replays nothing.
- The connection ending ends the app (exit status 129, as a hang-up); an app that ends
  first ends the session with its own status.

Textual points ``sys.stdout`` and ``sys.stderr`` at the running app while it runs, and
sessions start and end in any order: once the last session has ended they are given back
to the server as they were before the first.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from codecs import getincrementaldecoder
from collections.abc import Iterator
from datetime import date
from typing import TYPE_CHECKING, Any, TextIO

from rich.console import Console
from textual import constants, events
from textual._xterm_parser import XTermParser
from textual.driver import Driver
from textual.geometry import Size
from trustledger.domain.moments import parse_date
from trustledger.tui.dashboard.app import TrustLedgerApp
from trustledger.tui.dashboard.prefs import Prefs
from trustledger.tui.dashboard.terminal import EXIT_HANGUP

if TYPE_CHECKING:
    from textual.app import App
    from trustledger.projections import ModelConfig
    from trustledger.tui.service.channel import TerminalChannel
    from trustledger.tui.service.ledger_service import LedgerService
    from trustledger.tui.service.sharedlive import LiveFeed

#: How long a lone Escape waits for the rest of a sequence before it counts as the key.
ESCAPE_WAIT = 0.1

_START = (
    "\x1b[?1049h"  # the alternate screen
    "\x1b[?1000h\x1b[?1003h\x1b[?1015h\x1b[?1006h"  # mouse reports (SGR)
    "\x1b[?25l"  # no cursor
    "\x1b[?1004h"  # focus in and out
    "\x1b[?2004h"  # bracketed paste
    "\x1b[?7l"  # no line wrap
)
_STOP = (
    "\x1b[?2004l\x1b[?7h\x1b[?1000l\x1b[?1003l\x1b[?1015l\x1b[?1006l\x1b[?1049l\x1b[?25h\x1b[?1004l"
)


class ChannelDriver(Driver):
    """A Textual driver over a :class:`~..service.channel.TerminalChannel`."""

    def __init__(self, app: App[Any], *, channel: TerminalChannel, **options: Any) -> None:
        super().__init__(app, **options)
        self.channel = channel
        self._frame: list[str] = []
        self._parser = XTermParser()
        self._decode = getincrementaldecoder("utf-8")(errors="replace").decode
        self._tick: asyncio.TimerHandle | None = None
        self._listening = False

    # -- output -----------------------------------------------------------------------------

    def write(self, data: str) -> None:
        self._frame.append(data)

    def flush(self) -> None:
        if self._frame:
            data, self._frame = "".join(self._frame), []
            self.channel.send(data.encode("utf-8", "replace"))

    # -- lifecycle --------------------------------------------------------------------------

    def start_application_mode(self) -> None:
        self.write(_START)
        self.flush()
        self._resized(self.channel.width, self.channel.height)
        self._listening = True
        self.channel.listen(self._typed, self._resized, self._hung_up)

    def disable_input(self) -> None:
        self._listening = False
        self.channel.stop_listening()
        if self._tick is not None:
            self._tick.cancel()
            self._tick = None

    def stop_application_mode(self) -> None:
        self.disable_input()
        self.write(_STOP)
        self.flush()

    # -- input ------------------------------------------------------------------------------

    def send_message(self, message: Any) -> None:
        self._app.post_message(message)  # called on the loop, never from a thread

    def _typed(self, data: bytes) -> None:
        if not self._listening:
            return
        for event in self._parser.feed(self._decode(data)):
            self.process_message(event)
        self._schedule_tick()

    def _schedule_tick(self) -> None:
        if self._tick is not None:
            self._tick.cancel()
        self._tick = self._loop.call_later(ESCAPE_WAIT, self._on_tick)

    def _on_tick(self) -> None:
        self._tick = None
        if self._listening:
            for event in self._parser.tick():
                self.process_message(event)

    def _resized(self, width: int, height: int) -> None:
        size = Size(width, height)
        self._app.post_message(events.Resize(size, size))

    def _hung_up(self) -> None:
        self._listening = False
        self._app.exit(return_code=EXIT_HANGUP)


def client_console(app: App[Any], term: str, colorterm: str | None) -> Console:
    """The app's console for the client's terminal type (its colours), not the server's."""
    environ = {"TERM": term}
    if colorterm:
        environ["COLORTERM"] = colorterm
    return Console(
        color_system=constants.COLOR_SYSTEM,  # type: ignore[arg-type]
        file=app.console.file,
        markup=True,
        highlight=False,
        emoji=False,
        legacy_windows=False,
        _environ=environ,
        force_terminal=True,
        safe_box=False,
        soft_wrap=False,
    )


_running = 0
_saved: tuple[TextIO, TextIO] | None = None


@contextlib.contextmanager
def _server_streams() -> Iterator[None]:
    """Give ``sys.stdout`` and ``sys.stderr`` back as they were once no session runs."""
    global _running, _saved
    if _running == 0:
        _saved = (sys.stdout, sys.stderr)
    _running += 1
    try:
        yield
    finally:
        _running -= 1
        if _running == 0 and _saved is not None:
            sys.stdout, sys.stderr = _saved
            _saved = None


async def run_on_channel(
    service: LedgerService,
    channel: TerminalChannel,
    *,
    config: ModelConfig,
    live: LiveFeed,
    as_of: str | None = None,
) -> int:
    """Run the dashboard on ``channel`` until the client quits or goes away; its exit
    status (0, 2 for a bad ``as_of``, 129 when the connection ended first)."""
    day: date | None = None
    if as_of:
        try:
            day = parse_date(as_of)
        except ValueError as exc:
            channel.send(f"trustledger: --as-of: {exc}\r\n".encode())
            return 2
    app = TrustLedgerApp(
        service, as_of=day, config=config, live=live, watch_terminal=False, prefs=Prefs()
    )
    app.console = client_console(app, channel.term, channel.colorterm)

    def driver(target: App[Any], **options: Any) -> ChannelDriver:
        return ChannelDriver(target, channel=channel, **options)

    app.driver_class = driver  # type: ignore[assignment]
    with _server_streams():
        try:
            await app.run_async()
        finally:
            app.leave_live()
    return app.return_code or 0
