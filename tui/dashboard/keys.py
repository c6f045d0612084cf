"""Keys in the order they were typed, whatever their speed.

Textual hands a key to the widget that has the focus when the key *arrives*, while a key
that moves the focus (``/`` to the filter, ``r`` to the event chooser, Enter to a
partnership) does so a few messages later. Keys that arrive in one burst — a paste, a slow
SSH link, tmux ``send-keys '/' 'brightpath' Enter`` — would reach the old focus and run as
shortcuts there: ``/brightpath⏎`` opened a form (``r``, then ``p``).

:class:`OrderedKeys` makes an app take typed input one event at a time: a key (or a paste) is
handed on only once the previous one has been handled and everything it set off that decides
where the next key goes — the app's callbacks (a focus change), a screen pushed or popped and
mounted — is done (:meth:`OrderedKeys._settle`), and so is a screen whose rows are still to
come (a screen that says it is ``filling``: a partnership opened from a lean view, its
commitments read from its history), since a key that moves in a table needs its rows; and a
key typed before the app's first screen waits for it (:attr:`OrderedKeys.starting`). Other
work (a chart drawing) is not waited for. Typed slowly or all at once, a sequence means the
same thing. So does Enter typed ahead, before the app took the terminal over: the terminal
hands it over as a newline (ctrl+j), read as Enter while the first screen is to come.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

from textual import events, messages
from textual.app import App
from textual.message_pump import MessagePump
from textual.screen import Screen
from textual.widgets import Input

#: How long one key may wait for the previous one's effects before it is handed on anyway
#: (a handler that never finishes must not swallow the keyboard).
SETTLE_LIMIT = 1.0
#: How long a key may wait for the rows of a screen that is ``filling`` (read from the store
#: by a worker), and how often it looks.
FILL_LIMIT = 5.0
FILL_POLL = 0.01


def _queued(pump: MessagePump) -> tuple[object, ...]:
    """The messages waiting in ``pump``'s queue."""
    return tuple(getattr(pump._message_queue, "values", ()))


def _holds(pump: MessagePump, message: object) -> bool:
    """Is ``message`` waiting in ``pump``'s queue (a key bubbling up is posted to each
    ancestor in turn)?"""
    return any(item is message for item in _queued(pump))


def _relevant(message: object) -> bool:
    """A message that may decide where the next key goes: anything but a repaint."""
    return not isinstance(message, (messages.Update, messages.Layout, events.Idle))


def _typed_ahead(event: events.Event) -> events.Event:
    """``event`` as typed: Enter typed before the app took the terminal over (a script, a
    paste, ``tmux send-keys`` right after the launch) reaches it as a newline, which the
    terminal's line discipline made of the carriage return, and Textual reads as ctrl+j."""
    if isinstance(event, events.Key) and event.key == "ctrl+j":
        return events.Key("enter", "\r")
    return event


class OrderedKeys(App[Any]):
    """An app whose typed input (keys and pastes) is handled strictly one event at a time."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._typed: deque[events.Event] = deque()
        self._handing_on: asyncio.Task[None] | None = None
        self._last: tuple[events.Event, Screen[Any] | None, bool] | None = None

    async def on_event(self, event: events.Event) -> None:
        if not isinstance(event, (events.Key, events.Paste)) or event.is_forwarded:
            await super().on_event(event)
            return
        if self.starting:
            event = _typed_ahead(event)
        if self._handing_on is not None:
            self._typed.append(event)  # the previous key is still being handled
            return
        if self.starting:
            self._typed.append(event)  # for the first screen, still to come
        else:
            await self._hand(event)
        self._handing_on = asyncio.create_task(self._hand_on())

    @property
    def starting(self) -> bool:
        """Is the app's first screen still to come? Keys typed meanwhile wait for it (at
        most :data:`FILL_LIMIT` seconds)."""
        return False

    def _typing(self, event: events.Event) -> bool:
        """Is ``event`` a character (or a paste) for the focused text field? The field takes
        it and stops it: it moves nothing."""
        if not isinstance(self.focused, Input):
            return False
        return isinstance(event, events.Paste) or (
            isinstance(event, events.Key) and event.is_printable
        )

    def _current_screen(self) -> Screen[Any] | None:
        try:
            return self.screen
        except Exception:
            return None

    async def _hand(self, event: events.Event) -> None:
        """Hand ``event`` on as Textual would, remembering what to wait for."""
        self._last = (event, self._current_screen(), self._typing(event))
        await super().on_event(event)

    async def _hand_on(self) -> None:
        """Hand on the keys that came meanwhile, each once the last one is handled.

        Characters typed into a field follow one another at once (a paste, fast typing stay
        quick); any other key waits, so it sees the field's value and focus the characters
        before it left.
        """
        try:
            while True:
                typing = self._last is not None and self._last[2]
                if not (typing and self._typed and self._typing(self._typed[0])):
                    await self._settle()
                if not self._typed:
                    return
                await self._hand(self._typed.popleft())
        finally:
            self._handing_on = None

    def _busy(self) -> bool:
        """Is the last key still on its way, or is something it set off that decides where
        the next key goes still to run?"""
        if self._last is None:
            return False
        event, screen_before, _ = self._last
        screen = self._current_screen()
        if screen is None:
            return False
        focused = self.focused
        chain = [n for n in focused.ancestors_with_self if n is not screen] if focused else []
        if any(pump.message_queue_size for pump in chain):
            return True  # the key, or what the focused widget made of it (Submitted ...)
        if any(_relevant(m) for m in _queued(screen)) or _holds(self, event):
            return True  # the same, bubbling up to the screen and the app
        if self._next_callbacks or any(isinstance(m, events.Callback) for m in _queued(self)):
            return True  # the app's callbacks: a focus change, a screen's result
        for each in self.screen_stack:
            if each._next_callbacks or not each.is_mounted:
                return True  # a screen's result callback, a screen still mounting
        # Another screen shown: its resume (and auto focus) is still to run.
        return screen is not screen_before and bool(
            screen._next_callbacks
            or any(isinstance(m, events.ScreenResume) for m in _queued(screen))
        )

    async def _settle(self) -> None:
        """Return once the app's first screen is there (at most :data:`FILL_LIMIT` seconds),
        the last key is handled (at most :data:`SETTLE_LIMIT` seconds), and the rows of a
        ``filling`` screen have come (at most :data:`FILL_LIMIT` more).

        Handlers run to their end between two turns of the event loop, so the state checked
        by :meth:`_busy` at one turn is whole; two quiet turns in a row, to be sure.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + FILL_LIMIT
        while self.starting and loop.time() < deadline:
            await asyncio.sleep(FILL_POLL)
        deadline = loop.time() + SETTLE_LIMIT
        quiet = 0
        while quiet < 2 and loop.time() < deadline:
            quiet = 0 if self._busy() else quiet + 1
            await asyncio.sleep(0)
        # Rows still on their way come from a worker thread: wait for them without turning
        # the loop (which would hold the interpreter from that very thread).
        screen = self._current_screen()
        deadline = loop.time() + FILL_LIMIT
        while getattr(screen, "filling", False) and loop.time() < deadline:
            await asyncio.sleep(FILL_POLL)

    async def keys_settled(self) -> None:
        """Wait until every key typed so far has been handled (for tests and scripts)."""
        while self.message_queue_size:  # keys still in the app's queue reach on_event
            await asyncio.sleep(0)
        while self._handing_on is not None:
            await asyncio.shield(self._handing_on)
        await self._settle()
