"""The trust and alignment chart of the partnership screen (textual-plot's PlotWidget)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from textual_plot import AxisFormatter, HiResMode, PlotWidget
from trustledger.projections.views import TrendPoint


class DateAxisFormatter(AxisFormatter):
    """Ticks on an axis of day ordinals, labelled ``YYYY-MM`` (or ``YYYY-MM-DD`` when short)."""

    def get_ticks(self, min_: float, max_: float, max_ticks: int = 8) -> list[float]:
        span = max_ - min_
        if span <= 0:
            return [min_]
        count = max(2, min(max_ticks, 5))
        step = span / (count - 1)
        return [min_ + k * step for k in range(count)]

    def get_labels_for_ticks(self, ticks: Sequence[float]) -> list[str]:
        days = [date.fromordinal(max(1, round(t))) for t in ticks]
        short = len(ticks) > 1 and (ticks[-1] - ticks[0]) < 90
        return [d.isoformat() if short else d.strftime("%Y-%m") for d in days]


class ScoreAxisFormatter(AxisFormatter):
    """0, 0.5 and 1: scores live between 0 and 1."""

    def get_ticks(self, min_: float, max_: float, max_ticks: int = 8) -> list[float]:
        return [v for v in (0.0, 0.25, 0.5, 0.75, 1.0) if min_ - 1e-9 <= v <= max_ + 1e-9]

    def get_labels_for_ticks(self, ticks: Sequence[float]) -> list[str]:
        return [f"{t:.2f}" for t in ticks]


class TrendChart(PlotWidget, can_focus=False):
    """Trust and alignment over time; no focus (so its pan/zoom keys stay out of the way)."""

    DEFAULT_CSS = """
    TrendChart {
        height: 1fr;
        min-height: 8;
    }
    TrendChart #legend {
        border: round $foreground-muted;
        background: $surface;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, allow_pan_and_zoom=False)

    def on_mount(self) -> None:
        self.margin_top = 0
        self.margin_bottom = 2
        self.margin_left = 6

    def show(self, points: Sequence[TrendPoint], trust_style: str, alignment_style: str) -> None:
        self.clear()
        self.set_x_formatter(DateAxisFormatter())
        self.set_y_formatter(ScoreAxisFormatter())
        if not points:
            return
        xs = [p.on.toordinal() for p in points]
        self.plot(
            xs,
            [p.trust for p in points],
            line_style=trust_style,
            hires_mode=HiResMode.BRAILLE,
            label="trust",
        )
        aligned = [
            (x, p.alignment) for x, p in zip(xs, points, strict=True) if p.alignment is not None
        ]
        if aligned:
            self.plot(
                [x for x, _ in aligned],
                [a for _, a in aligned],
                line_style=alignment_style,
                hires_mode=HiResMode.QUADRANT,
                label="alignment",
            )
        self.set_ylimits(0.0, 1.0)
        self.set_xlimits(xs[0], xs[-1] if xs[-1] > xs[0] else xs[0] + 1)
