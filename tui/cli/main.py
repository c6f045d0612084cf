"""The ``trustledger`` command line: the scripting contract's commands.

Every command takes ``--store URL`` (before or after the command name) or reads
``TRUSTLEDGER_STORE``. Machine output goes to stdout; errors go to stderr as one line
each. Exit codes: 0 done, 1 input rejected (or ``check`` found alerts), 2 usage error,
unreadable input file, or a store that cannot be opened.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import click
from trustledger.domain.errors import LedgerError, StoreError
from trustledger.domain.events import line_schema
from trustledger.domain.ledger import Ledger, Located, RecordResult, export_line, located_lines
from trustledger.domain.store import StoreConfig, resolve_store

EXIT_REJECTED = 1
EXIT_USAGE = 2


class Failure(click.ClickException):
    """A one-line error with the contract's exit code."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.exit_code = code

    def show(self, file: Any = None) -> None:
        click.echo(f"trustledger: {self.format_message()}", err=True)


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    raise Failure(message, code)


class LedgerGroup(click.Group):
    """A command group whose usage errors are one line and exit 2."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False
        try:
            return super().main(*args, **kwargs)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("trustledger: aborted", err=True)
            sys.exit(130)
        except click.UsageError as exc:
            nested = exc.ctx is not None and exc.ctx.parent is not None
            where = f"{exc.ctx.command_path}: " if nested and exc.ctx else ""
            hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx else ""
            click.echo(f"trustledger: {where}{exc.format_message()}{hint}", err=True)
            sys.exit(EXIT_USAGE)
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except BrokenPipeError:
            sys.stderr.close()
            sys.exit(0)
        except KeyboardInterrupt:
            click.echo("trustledger: interrupted", err=True)
            sys.exit(130)
        except Exception as exc:
            if os.environ.get("TRUSTLEDGER_DEBUG"):
                raise
            text = (str(exc).strip().splitlines() or [""])[0]
            click.echo(
                f"trustledger: unexpected error: {type(exc).__name__}: {text} "
                "(set TRUSTLEDGER_DEBUG=1 for details)",
                err=True,
            )
            sys.exit(EXIT_USAGE)


def store_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``--store`` to a command (it is also accepted before the command name)."""
    return click.option(
        "--store",
        "store_url",
        metavar="URL",
        default=None,
        expose_value=True,
        help="Store URL: a file path, sqlite:///path or postgresql://user:pw@host:port/db "
        "(default: $TRUSTLEDGER_STORE, else events.sqlite in the user data directory).",
    )(func)


def chosen_store(store_url: str | None) -> StoreConfig:
    ctx = click.get_current_context()
    url = store_url or (ctx.find_root().params.get("store_url") if ctx.find_root() else None)
    try:
        return resolve_store(url)
    except StoreError as exc:
        fail(str(exc))


@contextmanager
def open_ledger(store_url: str | None, *, create: bool = False) -> Iterator[Ledger]:
    """Open the chosen store, turning store failures into one-line exit-2 errors."""
    store = chosen_store(store_url)
    try:
        ledger = Ledger(store, create=create)
    except LedgerError as exc:
        fail(_scrub(str(exc), store))
    try:
        yield ledger
    except StoreError as exc:
        fail(_scrub(str(exc), store))
    finally:
        ledger.close()


def _scrub(message: str, store: StoreConfig) -> str:
    if store.password:
        message = message.replace(store.password, "***")
    return message


@click.group(
    cls=LedgerGroup,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@store_option
@click.version_option(package_name="trustledger", prog_name="trustledger")
@click.pass_context
def main(ctx: click.Context, store_url: str | None) -> None:
    """trustledger: the ledger of what each side of a partnership promised and kept.

    With no command, opens the live dashboard.
    """
    if ctx.invoked_subcommand is None:
        # The dashboard is a sibling front end: the entry point registers its command.
        dashboard = main.get_command(ctx, "tui")
        if dashboard is None:
            fail("the dashboard is not installed")
        ctx.invoke(dashboard, store_url=store_url)


# -- record ---------------------------------------------------------------------------


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
    store_url: str | None, lines: Sequence[Located], *, quiet_progress: bool = False
) -> RecordResult:
    """Record ``lines`` and print the outcome the contract describes; exits 1 on errors."""
    store = chosen_store(store_url)
    if store.kind == "sqlite" and store.path is not None and not store.path.exists():
        # A new SQLite store: check the input against an empty ledger in memory first, so a
        # rejected input creates no file. (Deleting the file afterwards instead would race
        # another writer creating the same store, and lose what that writer recorded.)
        with Ledger(StoreConfig(kind="sqlite", path=Path(":memory:")), create=True) as scratch:
            checked = scratch.record(lines)
        if not checked.ok:
            _reject(checked)
    with (
        open_ledger(store_url, create=True) as ledger,
        _progress(len(lines), enabled=not quiet_progress) as progress,
    ):
        result = ledger.record(lines, progress=progress)
    if not result.ok:
        _reject(result)
    click.echo(f"recorded {result.recorded}, already recorded {result.already}")
    return result


def _reject(result: RecordResult) -> NoReturn:
    for message in result.errors:
        click.echo(message, err=True)
    raise Failure(f"{len(result.errors)} bad line(s); nothing was recorded", EXIT_REJECTED)


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


@main.command()
@store_option
@click.argument("files", nargs=-1, metavar="[FILE ...]")
def record(store_url: str | None, files: tuple[str, ...]) -> None:
    """Append event lines (NDJSON) from FILEs, or stdin when none or '-'.

    All or nothing: every line is checked first (JSON, schema, and the ledger's rules
    against the store plus the earlier lines); one bad line and nothing is recorded.
    """
    record_lines(store_url, read_inputs(files))


# -- export, history, schema ------------------------------------------------------------


@main.command()
@store_option
@click.option("--partnership", "handle", metavar="H", help="Only this partnership's events.")
def export(store_url: str | None, handle: str | None) -> None:
    """Write every recorded event as NDJSON, in recording order."""
    with open_ledger(store_url) as ledger:
        events = ledger.history(handle) if handle else ledger.iter_events()
        out = sys.stdout
        for event in events:
            out.write(json.dumps(export_line(event), ensure_ascii=False) + "\n")


@main.command()
def schema() -> None:
    """Print the JSON Schema of an event line."""
    click.echo(json.dumps(line_schema(), indent=2))


def add_commands() -> None:
    """Register the commands that live in their own modules."""
    from trustledger.tui.cli import audit, events, history, migrate, pack, report

    for module in (events, history, report, audit, migrate, pack):
        module.register(main)


add_commands()
