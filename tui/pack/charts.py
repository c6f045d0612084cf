"""The pack's charts, drawn by pygal as inline SVG (no script, no external reference).

Each function returns the SVG markup of one chart, or None when there is nothing honest to
draw (no evidence, no review, no revenue): the templates then say so in words. Chart ids are
fixed per chart, and pygal's scripts and comments are stripped, so the same pack always gives
the same bytes and the file reads without JavaScript.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from datetime import date

import pygal
from markupsafe import Markup
from pygal.style import Style
from trustledger.tui.pack.model import PortfolioIndex, ReviewPack

#: The colours of the two series everywhere: us / trust, and the partner / alignment.
OURS = "#1f5f9e"
THEIRS = "#d9822b"
STATUS_COLOURS = {
    "trusted": "#2e7d32",
    "emerging": "#1f5f9e",
    "regular": "#607d8b",
    "at_risk": "#c62828",
    "unproven": "#9e9e9e",
    "ended": "#5d4037",
}
FONT = "'DejaVu Sans', 'Helvetica Neue', Arial, sans-serif"

STYLE = Style(
    background="transparent",
    plot_background="#ffffff",
    foreground="#222222",
    foreground_strong="#111111",
    foreground_subtle="#b0b0b0",
    font_family=FONT,
    label_font_size=11,
    major_label_font_size=11,
    value_font_size=11,
    value_label_font_size=11,
    legend_font_size=12,
    title_font_size=13,
    no_data_font_size=16,
    opacity=".85",
    opacity_hover=".85",
    stroke_width="2.5",
    stroke_width_hover="2.5",
    guide_stroke_color="#dddddd",
    major_guide_stroke_color="#cccccc",
    colors=(OURS, THEIRS),
    transition="0s",
)


def _clean(title: str) -> Callable[[ET.Element], ET.Element]:
    """An XML filter: drop pygal's scripts and comments, title the SVG for screen readers."""

    def clean(root: ET.Element) -> ET.Element:
        for parent in list(root.iter()):
            for child in list(parent):
                tag = child.tag
                if tag is ET.Comment or (isinstance(tag, str) and tag.endswith("script")):
                    parent.remove(child)
                elif isinstance(tag, str) and tag.endswith("title") and parent is root:
                    child.text = title
        root.set("role", "img")
        root.set("aria-label", title)
        return root

    return clean


def _config(width: int, height: int, **options: object) -> dict[str, object]:
    """pygal options shared by every chart, then the chart's own."""
    return {
        "style": STYLE,
        "js": (),
        "disable_xml_declaration": True,
        "explicit_size": False,
        "width": width,
        "height": height,
        "legend_at_bottom": True,
        "legend_box_size": 10,
        "margin": 8,
        "spacing": 8,
        "print_values": False,
        "show_dots": False,
        "tooltip_border_radius": 0,
        **options,
    }


def _render(chart: pygal.graph.graph.Graph, chart_id: str, title: str) -> Markup:
    chart.uuid = chart_id
    chart.add_xml_filter(_clean(title))
    return Markup(chart.render(is_unicode=True))


def _month(day: date) -> str:
    return day.strftime("%b %Y")


def month_ticks(first: date, last: date, most: int = 7) -> list[date]:
    """First days of months between ``first`` and ``last``, every n-th so at most ``most``."""
    starts = []
    month = first.year * 12 + first.month - 1 + (first.day > 1)
    while (day := date(month // 12, month % 12 + 1, 1)) <= last:
        starts.append(day)
        month += 1
    if not starts:
        return [first, last]
    every = -(-len(starts) // most)
    return starts[::every]


def trend_chart(pack: ReviewPack) -> Markup | None:
    """Trust and alignment over the period; None when the evidence is insufficient."""
    if pack.insufficient_evidence or len(pack.trend) < 2:
        return None
    title = f"Trust and alignment, {pack.trend[0].on} to {pack.trend[-1].on}"
    chart = pygal.DateLine(
        **_config(
            760,
            280,
            range=(0, 1),
            y_labels=[0, 0.25, 0.5, 0.75, 1],
            x_value_formatter=_month,
            truncate_label=-1,
            value_formatter=lambda v: f"{v:.2f}",
            allow_interruptions=True,
        )
    )
    chart.x_labels = month_ticks(pack.trend[0].on, pack.trend[-1].on)
    chart.add("Trust", [(p.on, p.trust) for p in pack.trend])
    alignment = [(p.on, p.alignment) for p in pack.trend if p.alignment is not None]
    chart.add("Alignment", alignment)
    return _render(chart, "trend", title)


def reliability_chart(pack: ReviewPack) -> Markup | None:
    """Each side's reliability (kept against missed); a side without outcomes has no bar."""
    if pack.insufficient_evidence or not any(side.outcomes for side in pack.sides):
        return None
    title = "Reliability of each side"
    chart = pygal.HorizontalBar(
        **_config(
            760,
            150,
            range=(0, 1),
            y_labels=[0, 0.25, 0.5, 0.75, 1],
            print_values=True,
            value_formatter=lambda v: f"{v:.2f}",
            show_legend=False,
        )
    )
    chart.x_labels = ["Us" if side.side == "us" else "Partner" for side in reversed(pack.sides)]
    values: list[dict[str, object] | None] = []
    for side in reversed(pack.sides):
        colour = OURS if side.side == "us" else THEIRS
        values.append({"value": side.reliability, "color": colour} if side.outcomes else None)
    chart.add("Reliability", values)
    return _render(chart, "reliability", title)


def scores_chart(pack: ReviewPack) -> Markup | None:
    """The latest review by dimension, our score beside theirs; asymmetries marked ◆."""
    if not pack.scores or pack.latest_review is None:
        return None
    title = f"Review of {pack.latest_review.held_on}: scores by dimension"
    rows = list(reversed(pack.scores))  # pygal draws the first label at the bottom
    chart = pygal.HorizontalBar(
        **_config(
            760,
            60 + 34 * len(rows),
            range=(0, 5),
            y_labels=[0, 1, 2, 3, 4, 5],
            print_values=True,
            value_formatter=lambda v: f"{v:.0f}",
        )
    )
    chart.x_labels = [f"{r.dimension} ◆" if r.asymmetric else r.dimension for r in rows]
    chart.add("Us", [r.ours for r in rows])
    if any(r.theirs is not None for r in rows):
        chart.add("Partner", [r.theirs for r in rows])
    return _render(chart, "scores", title)


def revenue_chart(pack: ReviewPack) -> Markup | None:
    """Revenue by month of the period; None when none was recorded."""
    if not any(month.amount for month in pack.revenue):
        return None
    title = "Revenue by month"
    chart = pygal.Bar(
        **_config(
            760,
            240,
            show_legend=False,
            x_label_rotation=0,
            truncate_label=-1,
            show_minor_x_labels=len(pack.revenue) <= 12,
            x_labels_major_every=3,
            value_formatter=lambda v: f"{v:,.0f}",
        )
    )
    chart.x_labels = [m.period for m in pack.revenue]
    chart.add("Revenue", [m.amount for m in pack.revenue])
    return _render(chart, "revenue", title)


def status_chart(index: PortfolioIndex, statuses: Sequence[str], words: dict[str, str]) -> Markup:
    """How many partnerships are in each status (the index page)."""
    title = "Partnerships by status"
    shown = [s for s in statuses if s in index.by_status]
    chart = pygal.HorizontalBar(
        **_config(
            760,
            60 + 30 * len(shown),
            print_values=True,
            show_legend=False,
            value_formatter=lambda v: f"{v:.0f}",
        )
    )
    rows = list(reversed(shown))
    chart.x_labels = [words.get(s, s) for s in rows]
    chart.add(
        "Partnerships",
        [{"value": index.by_status[s], "color": STATUS_COLOURS.get(s, OURS)} for s in rows],
    )
    return _render(chart, "statuses", title)
