"""Turning a pack's HTML into PDF with WeasyPrint (which needs Pango, a Debian package).

WeasyPrint lays out CSS paged media itself: the pack's ``@page`` rules give every page its
margins and running footer (partnership, as-of date, page N of M); the paper size is added
as a user stylesheet. It is given no base URL
and a fetcher that refuses every URL, so making a PDF never touches the network.
"""

from __future__ import annotations

import logging
from typing import Any, Literal, NoReturn

Paper = Literal["a4", "letter"]
#: The PDF page sizes; the HTML itself prints on either (the printer's paper decides).
PAPERS: tuple[Paper, ...] = ("a4", "letter")

#: What to install when WeasyPrint cannot load.
PDF_NEEDS = (
    "PDF output needs WeasyPrint and Pango "
    "(pip install weasyprint; Debian: apt-get install libpango-1.0-0 libpangoft2-1.0-0)"
)


class PdfUnavailable(RuntimeError):
    """WeasyPrint (or the Pango library beneath it) is not installed."""


def _no_fetching(url: str, *args: Any, **kwargs: Any) -> NoReturn:
    raise ValueError(f"the pack refers to {url!r}; a pack fetches nothing")


def render_pdf(html: str, paper: Paper = "a4") -> bytes:
    """The PDF of one self-contained HTML document, on A4 or Letter pages."""
    try:
        from weasyprint import CSS, HTML
    except (ImportError, OSError) as exc:
        raise PdfUnavailable(f"{PDF_NEEDS}: {str(exc).splitlines()[0]}") from exc
    # WeasyPrint warns about CSS it does not implement (browser-only properties in the
    # chart styles); the PDF is fine without them, so only errors are shown.
    logger = logging.getLogger("weasyprint")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        document = HTML(string=html, url_fetcher=_no_fetching)
        pdf = document.write_pdf(stylesheets=[CSS(string=f"@page {{ size: {paper}; }}")])
    finally:
        logger.setLevel(level)
    assert pdf is not None  # write_pdf() without a target returns the bytes
    return bytes(pdf)
