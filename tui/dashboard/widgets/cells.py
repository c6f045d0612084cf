"""Small renderables for table cells: status badges, score sparklines, sortable text.

Colours come from the theme (``$success``, ``$warning``, ``$error``...), resolved through a
:class:`Palette`, and every coloured thing also carries a symbol or a word, so a cell reads the
same in 16 colours, in 256, in monochrome and to the colour-blind.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from rich.console import JustifyMethod
from rich.text import Text
from textual.color import Color
from trustledger.tui.service.labels import STATUS_SYMBOLS

BLOCKS = "▁▂▃▄▅▆▇█"

#: status -> (symbol, short word, long words, theme colour variable); the symbols are the
#: command line's (``trustledger.tui.service.labels``), so a status looks the same everywhere.
STATUS_LOOK: dict[str, tuple[str, str, str, str]] = {
    "trusted": (STATUS_SYMBOLS["trusted"], "trusted", "trusted", "text-success"),
    "emerging": (STATUS_SYMBOLS["emerging"], "emerging", "emerging", "text-primary"),
    "regular": (STATUS_SYMBOLS["regular"], "regular", "regular", "foreground"),
    "at_risk": (STATUS_SYMBOLS["at_risk"], "at risk", "at risk", "text-error"),
    "unproven": (
        STATUS_SYMBOLS["unproven"],
        "insufficient",
        "insufficient evidence",
        "text-warning",
    ),
    "ended": (STATUS_SYMBOLS["ended"], "ended", "ended", "foreground-muted"),
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

    @classmethod
    def from_variables(cls, variables: Mapping[str, str], few_colours: bool = False) -> Palette:
        values = {**FALLBACK_COLOURS, **{k: v for k, v in variables.items() if v}}
        return cls(values, few_colours)

    @classmethod
    def of(cls, app: Any) -> Palette:
        """The palette of a running app (its theme, and whether the terminal has 16 colours)."""
        system = getattr(app.console, "color_system", None)
        return cls.from_variables(app.theme_variables, system in ("standard", "windows"))

    def __call__(self, name: str) -> str:
        """A colour rich understands: theme values may carry alpha (``#E0E0E099``), which is
        blended over the theme's background."""
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


class SortText(Text):
    """A cell's text that carries the value it sorts by."""

    def __init__(self, *args: Any, sort_key: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sort_key = sort_key


def cell(
    text: str | Text, sort_key: Any, style: str = "", justify: JustifyMethod | None = None
) -> SortText:
    value = SortText(sort_key=sort_key, justify=justify, end="", no_wrap=True)
    if isinstance(text, Text):
        value.append_text(text)
    else:
        value.append(text, style=style)
    return value


def status_text(status: str, palette: Palette, *, long: bool = False) -> Text:
    symbol, short, words, colour = STATUS_LOOK.get(status, ("·", status, status, "foreground"))
    style = palette(colour)
    if status == "at_risk":
        style += " bold"
    return Text(f"{symbol} {words if long else short}", style=style, end="")


def spark(values: Sequence[float | None], min_span: float = 0.1) -> str:
    """Unicode block sparkline of ``values`` (None = no value yet, shown as a space).

    The scale covers at least ``min_span`` around the values, so that noise of a hundredth
    does not look like a cliff.
    """
    present = [v for v in values if v is not None]
    if not present:
        return " " * len(values)
    lo, hi = min(present), max(present)
    if hi - lo < min_span:
        middle = (hi + lo) / 2
        lo, hi = middle - min_span / 2, middle + min_span / 2
    span = hi - lo
    top = len(BLOCKS) - 1
    out = []
    for value in values:
        if value is None:
            out.append(" ")
        else:
            out.append(BLOCKS[max(0, min(top, round((value - lo) / span * top)))])
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
