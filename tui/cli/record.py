"""``trustledger record``: append event lines, all or nothing; and the recording path that the
one-event commands share."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import click
from trustledger.tui.cli.main import (
    EXIT_REJECTED,
    Failure,
    fail,
    one_line,
    service,
    store_option,
)
from trustledger.tui.service.recording import Located, RecordResult, error_lines, located_lines


def read_inputs(files: Sequence[str]) -> list[Located]:
    """Read every input (``-`` is stdin) into numbered lines; unreadable input exits 2."""
    lines: list[Located] = []
    for name in files or ["-"]:
        if name == "-":
            source, stream = "stdin", sys.stdin
            try:
                text = stream.read()
            except (OSError, UnicodeDecodeError) as exc:
                fail(f"cannot read stdin: {exc}")
        else:
            source = name
            try:
                text = Path(name).read_text(encoding="utf-8")
            except UnicodeDecodeError:
                fail(f"cannot read {name}: not UTF-8 text")
            except OSError as exc:
                fail(f"cannot read {name}: {exc.strerror or exc}")
        # NDJSON lines end at \n only: str.splitlines() would also split inside a JSON
        # string at U+2028, U+0085 and the like, which JSON allows unescaped.
        lines.extend(located_lines(source, text.split("\n")))
    return lines


def record_lines(
    store_url: str | None,
    lines: Sequence[Located],
    *,
    quiet_progress: bool = False,
    name: Callable[[str], str] | None = None,
) -> RecordResult:
    """Record ``lines`` and print the outcome the contract describes; exits 1 on errors,
    naming each field at fault with ``name`` (default: the field itself)."""
    ledger = service(store_url)
    with _progress(len(lines), enabled=not quiet_progress) as progress:
        result = ledger.record(lines, progress=progress)
    if not result.ok:
        reject(result, name)
    click.echo(f"recorded {result.recorded}, already recorded {result.already}")
    return result


def reject(result: RecordResult, name: Callable[[str], str] | None = None) -> NoReturn:
    """Print one ``SOURCE:LINE: field: message`` line per bad line, and exit 1."""
    for line in error_lines(result.errors, name):
        click.echo(one_line(line), err=True)
    raise Failure(f"{result.bad_lines} bad line(s); nothing was recorded", EXIT_REJECTED)


@contextmanager
def _progress(total: int, *, enabled: bool) -> Iterator[Callable[[str, int, int], None] | None]:
    """A progress bar on stderr for large inputs, only when stderr is a terminal."""
    if not enabled or total < 5000 or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task("checking", total=total)

        def update(phase: str, done: int, _total: int) -> None:
            bar.update(task, description=phase, completed=done if phase != "saving" else total)

        yield update


@click.command()
@store_option
@click.argument("files", nargs=-1, metavar="[FILE ...]")
def record(store_url: str | None, files: tuple[str, ...]) -> None:
    """Append event lines (NDJSON) from FILEs, or stdin when none or '-'.

    All or nothing: every line is checked first (JSON, schema, and the ledger's rules
    against the store plus the earlier lines); one bad line and nothing is recorded.
    """
    record_lines(store_url, read_inputs(files))


def commands() -> dict[str, click.Command]:
    return {"record": record}
