"""Writing packs to files: one partnership's, or one per partnership with an index page.

The only I/O of the pack: the events come in as an argument (the front ends read them from
the store), the files go out. Each file is written to a temporary name beside its target and
renamed into place, so a reader never sees half a pack.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Literal

from trustledger.domain.events import Recorded
from trustledger.projections import ModelConfig
from trustledger.tui.pack.gather import PackContext, gather_pack, pack_context, portfolio_index
from trustledger.tui.pack.pdf import render_pdf
from trustledger.tui.pack.render import render_index, render_pack

Format = Literal["html", "pdf"]
FORMATS: tuple[Format, ...] = ("html", "pdf")
INDEX = "index.html"

#: ``progress(done, total)`` after each pack of ``--all``.
Progress = Callable[[int, int], None]


def pack_filename(handle: str, as_of: date, fmt: Format = "html") -> str:
    """``northwind-2026-11-20.html``: the default name of a pack file."""
    return f"{handle}-{as_of.isoformat()}.{fmt}"


def pack_bytes(context: PackContext, handle: str, fmt: Format = "html") -> bytes:
    """One partnership's pack, rendered."""
    html = render_pack(gather_pack(context, handle))
    return render_pdf(html) if fmt == "pdf" else html.encode("utf-8")


def write_file(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file renamed into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_bytes(data)
    os.replace(partial, path)


def write_pack(
    events: Iterable[Recorded],
    handle: str,
    path: Path,
    *,
    as_of: date,
    made_at: datetime,
    known_at: datetime | None = None,
    since: date | None = None,
    config: ModelConfig | None = None,
    fmt: Format = "html",
) -> Path:
    """Write the pack of partnership ``handle`` to ``path``; :class:`.PackError` when there
    is no such partnership at ``as_of``."""
    context = pack_context(
        events, as_of, made_at=made_at, known_at=known_at, since=since, config=config
    )
    write_file(path, pack_bytes(context, handle, fmt))
    return path


def write_all(
    events: Iterable[Recorded],
    directory: Path,
    *,
    as_of: date,
    made_at: datetime,
    known_at: datetime | None = None,
    since: date | None = None,
    config: ModelConfig | None = None,
    fmt: Format = "html",
    progress: Progress | None = None,
) -> Path:
    """One pack per partnership into ``directory``, then its index page; returns the index."""
    context = pack_context(
        events, as_of, made_at=made_at, known_at=known_at, since=since, config=config
    )
    handles = context.portfolio.handles
    hrefs: dict[str, str] = {}
    for done, handle in enumerate(handles, 1):
        name = pack_filename(handle, as_of, fmt)
        write_file(directory / name, pack_bytes(context, handle, fmt))
        hrefs[handle] = name
        if progress is not None:
            progress(done, len(handles))
    index = directory / INDEX
    write_file(index, render_index(portfolio_index(context, hrefs)).encode("utf-8"))
    return index
