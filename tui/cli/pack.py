"""``trustledger pack``: a partnership's review pack, a self-contained HTML or PDF file.

Reads every event of the store (the revenue share needs the whole portfolio), then hands them
to :mod:`trustledger.tui.pack`, which never opens a store. ``--all`` writes one pack per
partnership and an index page into a directory, with a progress bar on stderr when stderr is
a terminal. stdout gets the path written (the index page's with ``--all``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Literal

import click
from trustledger.domain.events import Recorded
from trustledger.domain.moments import parse_date
from trustledger.domain.text import terminal_safe
from trustledger.tui.cli.main import EXIT_REJECTED, cli_context, fail, service, store_option
from trustledger.tui.cli.options import (
    as_of_option,
    config_option,
    resolve_as_of,
    resolve_config,
    resolve_known_at,
)
from trustledger.tui.service.machine import cores
from trustledger.tui.service.readmodel import gc_paused

#: The pack's formats and PDF page sizes, as in ``trustledger.tui.pack``: that package, with
#: its template and chart libraries, is imported only when ``pack`` runs, not at every start.
FORMATS = ("html", "pdf")
PAPERS = ("a4", "letter")


def clock() -> datetime:
    """The moment a pack says it was made: the command line's clock."""
    return cli_context().clock.now()


def read_events(store_url: str | None) -> list[Recorded]:
    with gc_paused():
        return list(service(store_url).events(trusted=True))


def resolve_since(text: str | None, as_of: date) -> date | None:
    if not text:
        return None
    try:
        since = parse_date(text)
    except ValueError as exc:
        fail(f"--since: {exc}")
    if since > as_of:
        fail(f"--since: {since} is after the as-of date {as_of}")
    return since


@contextmanager
def progress_bar(enabled: bool) -> Iterator[Callable[[int, int], None] | None]:
    """A rich progress bar on stderr, only when stderr is a terminal."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(
        TextColumn("packs"),
        BarColumn(),
        MofNCompleteColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task("packs", total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def commands() -> dict[str, click.Command]:
    group = click.Group()
    register(group)
    return dict(group.commands)


def register(group: click.Group) -> None:
    @group.command("pack")
    @store_option
    @click.argument("handle", metavar="H", required=False)
    @click.option(
        "--all",
        "every",
        is_flag=True,
        help="One pack per partnership, and an index page, into the directory -o names.",
    )
    @as_of_option
    @click.option(
        "--known-at",
        "known_at",
        metavar="TIME",
        help="Count only events recorded at or before TIME (RFC 3339, or a date "
        "meaning the end of that day in UTC).",
    )
    @click.option(
        "--since",
        metavar="DATE",
        help="The first day of the period covered (default: 12 months before the as-of "
        "date, or the day the partnership was registered).",
    )
    @click.option(
        "--format",
        "fmt",
        type=click.Choice(FORMATS),
        default="html",
        show_default=True,
        help="html: one self-contained file; pdf: the same, paginated (needs WeasyPrint).",
    )
    @click.option(
        "--paper",
        type=click.Choice(PAPERS),
        default="a4",
        show_default=True,
        help="The PDF's page size (the HTML prints on either).",
    )
    @click.option(
        "-o",
        "--output",
        metavar="FILE",
        help="Where to write: a file ('-' for stdout; default H-ASOF.html here), or with "
        "--all a directory (default packs-ASOF).",
    )
    @click.option(
        "--jobs",
        type=click.IntRange(min=1),
        metavar="N",
        help="With --all: render in N processes (default: one per CPU).",
    )
    @config_option
    def pack(
        store_url: str | None,
        handle: str | None,
        every: bool,
        as_of: str | None,
        known_at: str | None,
        since: str | None,
        fmt: Literal["html", "pdf"],
        paper: Literal["a4", "letter"],
        output: str | None,
        jobs: int | None,
        config_path: Path | None,
    ) -> None:
        """Write a partnership's review pack (HTML or PDF), or one per partnership.

        The review pack of partnership H: status, trends, reviews, commitments, issues,
        revenue and the audit link, in one file to share with the partner."""
        from trustledger.tui.pack import (
            PackError,
            PdfUnavailable,
            pack_bytes,
            pack_context,
            pack_filename,
            write_all,
            write_pack,
        )

        if every == (handle is not None):
            fail("name one partnership H, or give --all")
        day = resolve_as_of(as_of)
        known = resolve_known_at(known_at)
        first = resolve_since(since, day)
        config = resolve_config(config_path)
        events = read_events(store_url)
        made_at = clock()
        try:
            if every:
                directory = Path(output or f"packs-{day.isoformat()}")
                if directory.exists() and not directory.is_dir():
                    fail(f"-o: {directory} is not a directory")
                with progress_bar(enabled=True) as progress:
                    index = write_all(
                        events,
                        directory,
                        as_of=day,
                        made_at=made_at,
                        known_at=known,
                        since=first,
                        config=config,
                        fmt=fmt,
                        paper=paper,
                        jobs=jobs or cores(),
                        progress=progress,
                    )
                click.echo(terminal_safe(str(index)))
                return
            assert handle is not None
            if output == "-":
                context = pack_context(
                    events, day, made_at=made_at, known_at=known, since=first, config=config
                )
                data = pack_bytes(context, handle, fmt, paper)
                sys.stdout.buffer.write(data)
                sys.stdout.flush()
                return
            path = Path(output or pack_filename(handle, day, fmt))
            write_pack(
                events,
                handle,
                path,
                as_of=day,
                made_at=made_at,
                known_at=known,
                since=first,
                config=config,
                fmt=fmt,
                paper=paper,
            )
            click.echo(terminal_safe(str(path)))
        except PackError as exc:
            fail(str(exc), EXIT_REJECTED)
        except PdfUnavailable as exc:
            fail(str(exc))
        except OSError as exc:
            fail(f"cannot write {exc.filename or output}: {exc.strerror or exc}")
