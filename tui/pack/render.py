"""Rendering a review pack (and the ``--all`` index page) to one self-contained HTML file.

Jinja2 templates in ``templates/`` with the stylesheet inlined and the charts inlined as SVG:
no script, no external reference, so the file reads the same offline, printed (A4 or
Letter) or turned into a PDF (:mod:`.pdf`). Everything the reader sees is escaped.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from trustledger.projections import STATUSES
from trustledger.tui.pack import charts
from trustledger.tui.pack.model import PortfolioIndex, ReviewPack
from trustledger.tui.service.labels import STATUS_SYMBOLS, STATUS_WORDS

TEMPLATES = Path(__file__).resolve().parent / "templates"

SIDE_WORDS = {"us": "Our commitments", "partner": "The partner's commitments"}


def number(value: float | None, places: int = 2) -> str:
    return "—" if value is None else f"{value:.{places}f}"


def percent(value: float | None, places: int = 0) -> str:
    return "—" if value is None else f"{value:.{places}%}"


def money(value: float) -> str:
    return f"{value:,.0f}" if value == round(value) else f"{value:,.2f}"


def moment(value: datetime | None) -> str:
    if value is None:
        return "—"
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def day(value: date | None) -> str:
    return "—" if value is None else value.isoformat()


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "j2"], default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        number=number, percent=percent, money=money, moment=moment, day=day, plural=plural
    )
    env.globals.update(
        STATUS_SYMBOLS=STATUS_SYMBOLS,
        STATUS_WORDS=STATUS_WORDS,
        SIDE_WORDS=SIDE_WORDS,
        STATUSES=STATUSES,
        OURS=charts.OURS,
        THEIRS=charts.THEIRS,
    )
    return env


@cache
def stylesheet() -> Markup:
    """The pack's CSS, inlined into every file."""
    return Markup((TEMPLATES / "pack.css").read_text(encoding="utf-8"))


def render_pack(pack: ReviewPack) -> str:
    """The review pack of one partnership as one HTML document."""
    return (
        environment()
        .get_template("pack.html.j2")
        .render(
            p=pack,
            css=stylesheet(),
            trend_svg=charts.trend_chart(pack),
            reliability_svg=charts.reliability_chart(pack),
            scores_svg=charts.scores_chart(pack),
            revenue_svg=charts.revenue_chart(pack),
        )
    )


def render_index(index: PortfolioIndex) -> str:
    """The index page of ``pack --all``: the portfolio picture and a link to every pack."""
    words = {str(status): STATUS_WORDS[status].capitalize() for status in STATUSES}
    return (
        environment()
        .get_template("index.html.j2")
        .render(
            ix=index,
            css=stylesheet(),
            status_svg=charts.status_chart(index, STATUSES, words),
        )
    )
