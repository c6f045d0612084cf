"""Small renderables for table cells: status badges, score sparklines, sortable text.

Colours come from the theme (``$success``, ``$warning``, ``$error``...), resolved through a
:class:`Palette`, and every coloured thing also carries a symbol or a word, so a cell reads the
same in 16 colours, in 256, in monochrome and to the colour-blind.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from rich.console import JustifyMethod
from rich.text import Span, Text
from textual.color import Color
from trustledger.domain.text import terminal_safe
from trustledger.tui.service.labels import STATUS_SYMBOLS, STATUS_WORDS

BLOCKS = "▁▂▃▄▅▆▇█"

#: status -> (symbol, word, theme colour variable); symbols and words are the command line's
#: and the JSON's (``trustledger.tui.service.labels``), so a status reads the same everywhere.
STATUS_LOOK: dict[str, tuple[str, str, str]] = {
    status: (STATUS_SYMBOLS[status], STATUS_WORDS[status], colour)
    for status, colour in (
        ("trusted", "text-success"),
        ("emerging", "text-primary"),
        ("regular", "foreground"),
        ("at_risk", "text-error"),
        ("unproven", "text-warning"),
        ("ended", "foreground-muted"),
    )
}
#: The order statuses sort in: the healthiest first.
STATUS_RANK = {name: rank for rank, name in enumerate(STATUS_LOOK)}

FALLBACK_COLOURS = {
    "text-success": "green",
    "text-primary": "blue",
    "text-error": "red",
    "text-warning": "yellow",
    "success": "green",
    "accent": "cyan",
    "foreground": "default",
    "background": "default",
    "error": "red",
    "warning": "yellow",
    "foreground-muted": "bright_black",
    "primary": "blue",
}


#: What each colour becomes in a 16-colour terminal (checked with TERM=xterm under tmux).
FEW_COLOURS = {
    "text-error": "error",
    "text-success": "success",
    "text-primary": "primary",
    "warning": "text-warning",
    "accent": "text-warning",
}


@dataclass(frozen=True)
class Palette:
    """Theme colours by variable name (``success``...), with 16-colour fallbacks."""

    colours: Mapping[str, str]
    #: A 16-colour terminal: use its named colours (see ``__call__``).
    few_colours: bool = False
    #: Colours already worked out, by name.
    resolved: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_variables(cls, variables: Mapping[str, str], few_colours: bool = False) -> Palette:
        values = {**FALLBACK_COLOURS, **{k: v for k, v in variables.items() if v}}
        return cls(values, few_colours)

    @classmethod
    def of(cls, app: Any) -> Palette:
        """The palette of a running app (its theme, and whether the terminal has 16 colours);
        kept per theme, since a table asks for it for every row it draws."""
        system = getattr(app.console, "color_system", None)
        key = (id(app), getattr(app, "theme", None), system)
        found = _PALETTES.get(key)
        if found is None:
            found = cls.from_variables(app.theme_variables, system in ("standard", "windows"))
            if len(_PALETTES) > 64:
                _PALETTES.clear()
            _PALETTES[key] = found
        return found

    def __call__(self, name: str) -> str:
        """A colour rich understands: theme values may carry alpha (``#E0E0E099``), which is
        blended over the theme's background."""
        found = self.resolved.get(name)
        if found is None:
            found = self.resolved[name] = self._resolve(name)
        return found

    def _resolve(self, name: str) -> str:
        if self.few_colours:
            # Brought down to 16 colours, the pale text shades of red and green come out
            # white, and orange comes out red: pick the shades that stay what they mean.
            name = FEW_COLOURS.get(name, name)
        value = self.colours.get(name)
        if not value:
            return FALLBACK_COLOURS.get(name, "default")
        try:
            colour = Color.parse(value)
            if colour.a < 1:
                colour = Color.parse(self.colours.get("background", "#000000")) + colour
        except Exception:
            return FALLBACK_COLOURS.get(name, "default")
        return colour.hex6


_PALETTES: dict[tuple[Any, ...], Palette] = {}
_new_text = object.__new__


class SortText(Text):
    """A cell's text that carries the value it sorts by."""

    def __init__(self, *args: Any, sort_key: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sort_key = sort_key


def cell(
    text: str | Text, sort_key: Any, style: str = "", justify: JustifyMethod | None = None
) -> SortText:
    """A table cell: ``text`` (with ``style``) that sorts by ``sort_key``.

    What ``SortText().append_text(text)`` gives (the text's own style becomes a span over
    it), built in one go: a portfolio of ten thousand rows makes ninety thousand cells."""
    if not isinstance(text, Text):
        value = SortText(text, sort_key=sort_key, justify=justify, end="", no_wrap=True)
        if style and text:
            value.stylize(style)
        return value
    # A Text was made clean of control codes already: not made again (Text() strips them).
    plain, base = text.plain, text.style
    spans = [Span(0, len(plain), base), *text.spans] if base and plain else list(text.spans)
    value = _new_text(SortText)
    value._text = [plain]
    value.style = ""
    value.justify = justify
    value.overflow = None
    value.no_wrap = True
    value.end = ""
    value.tab_size = None
    value._spans = spans
    value._length = len(plain)
    value.sort_key = sort_key
    return value


def status_text(status: str, palette: Palette) -> Text:
    symbol, word, colour = STATUS_LOOK.get(status, ("·", status, "foreground"))
    style = palette(colour)
    if status == "at_risk":
        style += " bold"
    return Text(f"{symbol} {word}", style=style, end="")


def plain(text: str | None, *, multiline: bool = False, style: str = "") -> Text:
    """Stored text as a cell or a line shows it: terminal-safe (a stored escape sequence is
    shown, never obeyed) and plain (``[b]`` in a name is text, never markup)."""
    return Text(terminal_safe(text or "", multiline=multiline), style=style, end="")


def spark(values: Sequence[float | None]) -> str:
    """Unicode block sparkline of ``values`` on the fixed scale 0-1 (None: no value yet,
    shown as a space).

    Trust and alignment live between 0 and 1, and every row is drawn on that one scale: a
    steady 0.61 draws a steady middle line, and a row at 0.95 stands higher than one at
    0.61.
    """
    top = len(BLOCKS) - 1
    out = []
    for value in values:
        if value is None:
            out.append(" ")
        else:
            out.append(BLOCKS[max(0, min(top, round(value * top)))])
    return "".join(out)


def score_text(
    value: float | None,
    series: Sequence[float | None],
    palette: Palette,
    points: int,
    *,
    muted: bool = False,
) -> Text:
    """``0.82 ▃▅▆▇``: the value and its trend (the last ``points`` of ``series``).

    ``muted`` greys the value out (too little evidence to lean on it).
    """
    tail = list(series)[-points:] if points else []
    if value is None:
        text = Text("  — ", style=palette("foreground-muted"), end="")
    else:
        text = Text(f"{value:.2f}", style=palette("foreground-muted") if muted else "", end="")
    if tail:
        text.append(" ")
        text.append(spark(tail), style=palette("primary"))
    return text


def days_text(due: date | None, as_of: date) -> tuple[str, bool]:
    """A review date relative to ``as_of``: ``in 5d``, ``today``, ``late 3d``; late or not."""
    if due is None:
        return "—", False
    days = (due - as_of).days
    if days > 0:
        return f"in {days}d", False
    if days == 0:
        return "today", False
    return f"late {-days}d", True


def count_text(count: int, palette: Palette, colour: str) -> Text:
    if count == 0:
        return Text("·", style=palette("foreground-muted"), justify="right", end="")
    return Text(str(count), style=f"bold {palette(colour)}", justify="right", end="")
