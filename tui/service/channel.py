"""A client's terminal at the other end of a connection, as a front end draws on it.

``trustledger serve`` runs every dashboard session inside the server's process, not as a
process of its own: the server hands the dashboard a :class:`TerminalChannel` for the session's SSH
channel (the PTY the client asked for), and the dashboard draws on it. The server calls
:meth:`~TerminalChannel.feed` with what the client types, :meth:`~TerminalChannel.resize`
when its window changes and :meth:`~TerminalChannel.hang_up` when the connection ends;
the dashboard :meth:`~TerminalChannel.listen`\\ s, and :meth:`~TerminalChannel.send`\\ s
what it draws. Neither side knows the other's library: this is all they share.

Everything runs on the server's event loop (no thread calls in).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

Input = Callable[[bytes], None]
Resize = Callable[[int, int], None]
HangUp = Callable[[], None]


@dataclass
class TerminalChannel:
    """A terminal of ``width`` x ``height`` cells whose type is ``term`` (``TERM``) and
    ``colorterm`` (``COLORTERM``, when the client set it); ``write`` sends it bytes."""

    write: Callable[[bytes], None]
    width: int = 80
    height: int = 24
    term: str = "xterm"
    colorterm: str | None = None

    def __post_init__(self) -> None:
        self._pending: list[bytes] = []  # typed before anyone listened
        self._input: Input | None = None
        self._resize: Resize | None = None
        self._hang_up: HangUp | None = None
        self.closed = False

    # -- the server's side ------------------------------------------------------------------

    def feed(self, data: bytes) -> None:
        """The client typed ``data``."""
        if self.closed or not data:
            return
        if self._input is None:
            self._pending.append(data)
        else:
            self._input(data)

    def resize(self, width: int, height: int) -> None:
        """The client's window is now ``width`` x ``height``."""
        self.width, self.height = max(width, 1), max(height, 1)
        if self._resize is not None and not self.closed:
            self._resize(self.width, self.height)

    def hang_up(self) -> None:
        """The connection has ended: nothing is sent any more, and the listener is told once."""
        if self.closed:
            return
        self.closed = True
        self._pending.clear()
        tell = self._hang_up
        self._input = self._resize = self._hang_up = None
        if tell is not None:
            tell()

    # -- the front end's side ---------------------------------------------------------------

    def listen(self, on_input: Input, on_resize: Resize, on_hang_up: HangUp) -> None:
        """Hand what the client sends to these (what it typed so far at once); a channel
        that has hung up already calls ``on_hang_up`` now."""
        if self.closed:
            on_hang_up()
            return
        self._input, self._resize, self._hang_up = on_input, on_resize, on_hang_up
        pending, self._pending = self._pending, []
        for data in pending:
            on_input(data)

    def stop_listening(self) -> None:
        self._input = self._resize = self._hang_up = None

    def send(self, data: bytes) -> None:
        """Send ``data`` to the client (nothing once the connection has ended)."""
        if not self.closed and data:
            self.write(data)
