"""Writing packs to files: one partnership's, or one per partnership with an index page.

The only I/O of the pack: the events come in as an argument (the front ends read them from
the store), the files go out. Each file is written to a temporary name beside its target and
renamed into place, so a reader never sees half a pack.

:func:`write_all` gathers every pack in this process (one replay, a few milliseconds a pack)
and can render them in ``jobs`` worker processes: drawing the charts is most of the work,
and each worker gets only the small, finished :class:`ReviewPack` values it renders.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import date, datetime
from pathlib import Path
from typing import Literal

from trustledger.domain.events import Recorded
from trustledger.projections import ModelConfig
from trustledger.tui.pack.gather import PackContext, gather_pack, pack_context, portfolio_index
from trustledger.tui.pack.model import ReviewPack
from trustledger.tui.pack.pdf import Paper, render_pdf
from trustledger.tui.pack.render import render_index, render_pack

Format = Literal["html", "pdf"]
FORMATS: tuple[Format, ...] = ("html", "pdf")
INDEX = "index.html"

#: ``progress(done, total)`` after each pack of ``--all``.
Progress = Callable[[int, int], None]


def pack_filename(handle: str, as_of: date, fmt: Format = "html") -> str:
    """``northwind-2026-11-20.html``: the default name of a pack file."""
    return f"{handle}-{as_of.isoformat()}.{fmt}"


def pack_bytes(
    context: PackContext, handle: str, fmt: Format = "html", paper: Paper = "a4"
) -> bytes:
    """One partnership's pack, rendered (``paper`` is the PDF's page size)."""
    return rendered(gather_pack(context, handle), fmt, paper)


def rendered(pack: ReviewPack, fmt: Format, paper: Paper = "a4") -> bytes:
    html = render_pack(pack)
    return render_pdf(html, paper) if fmt == "pdf" else html.encode("utf-8")


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
    paper: Paper = "a4",
) -> Path:
    """Write the pack of partnership ``handle`` to ``path``; :class:`.PackError` when there
    is no such partnership at ``as_of``."""
    context = pack_context(
        events, as_of, made_at=made_at, known_at=known_at, since=since, config=config
    )
    write_file(path, pack_bytes(context, handle, fmt, paper))
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
    paper: Paper = "a4",
    jobs: int = 1,
    progress: Progress | None = None,
) -> Path:
    """One pack per partnership into ``directory``, then its index page; returns the index.

    ``jobs`` above 1 renders the packs in that many worker processes.
    """
    context = pack_context(
        events, as_of, made_at=made_at, known_at=known_at, since=since, config=config
    )
    handles = context.portfolio.handles
    names = {handle: pack_filename(handle, as_of, fmt) for handle in handles}
    tasks = ((gather_pack(context, h), directory / names[h], fmt, paper) for h in handles)
    for done, _ in enumerate(_render_all(tasks, jobs, len(handles)), 1):
        if progress is not None:
            progress(done, len(handles))
    index = directory / INDEX
    write_file(index, render_index(portfolio_index(context, names)).encode("utf-8"))
    return index


Task = tuple[ReviewPack, Path, Format, Paper]


def _render_all(tasks: Iterator[Task], jobs: int, count: int) -> Iterator[Path]:
    """Render and write each task's pack, here or in ``jobs`` worker processes."""
    if jobs <= 1 or count < 2 * jobs:
        yield from map(_render_to_file, tasks)
        return
    # Workers start afresh ("spawn"): nothing of this process (open files, threads such as a
    # progress bar's) is copied into them.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        yield from pool.map(_render_to_file, tasks, chunksize=4)


def _render_to_file(task: Task) -> Path:
    pack, path, fmt, paper = task
    write_file(path, rendered(pack, fmt, paper))
    return path
