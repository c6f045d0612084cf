"""The ``trustledger`` command line: the scripting contract's commands.

Every command takes ``--store URL`` (before or after the command name) or reads
``TRUSTLEDGER_STORE``, and ``--lock-timeout SECONDS`` (likewise) or reads
``TRUSTLEDGER_LOCK_TIMEOUT``. Machine output goes to stdout; errors go to stderr as one line
each. Exit codes: 0 done, 1 input rejected (or ``check`` found alerts), 2 usage error,
unreadable input file, or a store that cannot be opened.

Commands are loaded on first use (:class:`LedgerGroup`): ``trustledger --help`` lists them
from :data:`COMMANDS` without importing one, and a one-event command imports only what
recording needs. Everything below the command line goes through the application service
(:class:`~trustledger.tui.service.ledger_service.LedgerService`), made by :func:`service`
with the clock of the :class:`CliContext` (``main(obj=CliContext(clock))`` pins it).
"""

from __future__ import annotations

import gc
import importlib
import io
import math
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NoReturn

import click
from trustledger.domain.errors import LedgerError, clip, quoted
from trustledger.domain.text import terminal_safe
from trustledger.tui.service.clock import SYSTEM_CLOCK, Clock

if TYPE_CHECKING:
    from trustledger.tui.service.ledger_service import LedgerService

EXIT_REJECTED = 1
EXIT_USAGE = 2

#: The commands that open the dashboard (None: no command), which resume the cyclic garbage
#: collector themselves once the dashboard's modules are loaded.
DASHBOARD_COMMANDS = (None, "tui", "demo")

#: command name -> (module that builds it, its one-line help for ``trustledger --help``).
COMMANDS: dict[str, tuple[str, str]] = {
    "amend": (
        "corrections",
        "Amend event EVENT_ID of partnership H: its corrected line counts in its place.",
    ),
    "audit": ("audit", "Audit the stored history: verify its chain, list who did what."),
    "check": ("report", "Print every alert; exit 1 when there is at least one, else 0."),
    "commit": ("events", "Record a commitment one side made."),
    "end": ("events", "End a partnership."),
    "export": ("export", "Write every recorded event as NDJSON, in recording order."),
    "history": (
        "history",
        "The events of partnership H, in order, with who recorded them and when.",
    ),
    "issue": ("events", "Raise an issue."),
    "kept": ("events", "Record that a commitment was kept."),
    "migrate": ("migrate", "Copy the store into another, keeping order, ids, times and actors."),
    "missed": ("events", "Record that a commitment was missed."),
    "pack": ("pack", "Write a partnership's review pack (HTML or PDF), or one per partnership."),
    "partner": ("events", "Partnerships: register them."),
    "record": ("record", "Append event lines (NDJSON) from FILEs, or stdin when none or '-'."),
    "rebuild": ("rebuild", "Rebuild the shared read model in the store from every recorded event."),
    "renegotiate": ("events", "Give an open commitment a new due date."),
    "report": ("report", "One row per partnership: status, trust, alignment, commitments, alerts."),
    "resolve": ("events", "Resolve an open issue."),
    "revenue": ("events", "Record a month's revenue."),
    "review": ("events", "Record a review's scores (1-5 per dimension)."),
    "schema": ("export", "Print the JSON Schema of an event line."),
    "void": (
        "corrections",
        "Void event EVENT_ID of partnership H: it stays in the history but no longer counts.",
    ),
}


@dataclass
class CliContext:
    """What the command line is given rather than finds for itself: the clock."""

    clock: Clock = field(default_factory=lambda: SYSTEM_CLOCK)


class Failure(Exception):
    """A one-line error with the contract's exit code (shown by :class:`LedgerGroup`)."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = code


def one_line(text: str) -> str:
    """``text`` as one safe line of a terminal: its line breaks (and the blanks around them)
    become a space, and any other control character it echoes from the input (ESC, NUL, a
    bidirectional mark) is shown as a visible escape, never obeyed by the terminal."""
    return terminal_safe(re.sub(r"\s*[\r\n\u2028\u2029\x85]+\s*", " ", text).strip())


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    raise Failure(message, code)


class LedgerGroup(click.Group):
    """A command group whose commands load on first use, whose usage errors are one line
    (exit 2), and whose ledger errors (a store that cannot be opened, a bad configuration)
    are one line too."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(self.commands) | set(COMMANDS))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.commands or name not in COMMANDS:
            return self.commands.get(name)
        module = importlib.import_module(f"trustledger.tui.cli.{COMMANDS[name][0]}")
        command: click.Command = module.commands()[name]
        self.add_command(command, name)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list from :data:`COMMANDS`, without loading the commands."""
        rows = []
        for name in self.list_commands(ctx):
            if name in self.commands:
                rows.append((name, self.commands[name].get_short_help_str(limit=formatter.width)))
            else:
                rows.append((name, COMMANDS[name][1]))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False
        try:
            code = super().main(*args, **kwargs)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("trustledger: aborted", err=True)
            sys.exit(130)
        except Failure as exc:
            click.echo(f"trustledger: {one_line(exc.message)}", err=True)
            sys.exit(exc.exit_code)
        except click.UsageError as exc:
            # "trustledger commit: Missing option '--by' (see 'trustledger commit --help')"
            where = exc.ctx.command_path if exc.ctx else "trustledger"
            hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx else ""
            # One line, whatever click wrote (its list of choices comes on lines of its own).
            message = clip(one_line(exc.format_message()).rstrip("."), 4 * 80)
            click.echo(f"{where}: {message}{hint}", err=True)
            sys.exit(EXIT_USAGE)
        except click.ClickException as exc:
            click.echo(f"trustledger: {one_line(exc.format_message())}", err=True)
            sys.exit(exc.exit_code)
        except LedgerError as exc:
            click.echo(f"trustledger: {one_line(str(exc))}", err=True)
            sys.exit(EXIT_USAGE)
        except BrokenPipeError:
            sys.stderr.close()
            sys.exit(0)
        except KeyboardInterrupt:
            click.echo("trustledger: interrupted", err=True)
            sys.exit(130)
        except Exception as exc:
            if isinstance(exc, ValueError) and "embedded null byte" in str(exc):
                # A file name given on the command line holds NUL: no file can be so named.
                click.echo("trustledger: a file name holds a NUL character", err=True)
                sys.exit(EXIT_USAGE)
            if os.environ.get("TRUSTLEDGER_DEBUG"):
                raise
            text = one_line((str(exc).strip().splitlines() or [""])[0])
            click.echo(
                f"trustledger: unexpected error: {type(exc).__name__}: {clip(text, 4 * 80)} "
                "(set TRUSTLEDGER_DEBUG=1 for details)",
                err=True,
            )
            sys.exit(EXIT_USAGE)
        if isinstance(code, int) and code:
            sys.exit(code)
        return code


#: Where ``--lock-timeout`` leaves its value (``ctx.meta`` is shared by a command and its group).
LOCK_TIMEOUT_KEY = "trustledger.lock_timeout"


def _lock_timeout(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    """Keep ``--lock-timeout`` (the one after the command name wins, as for ``--store``)."""
    if value is None:
        return
    try:
        seconds = float(value.strip())
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds < 0:
        raise click.BadParameter(
            f"must be a number of seconds >= 0, not {quoted(value)}", ctx=ctx, param=param
        )
    ctx.meta[LOCK_TIMEOUT_KEY] = seconds


def store_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``--store`` and ``--lock-timeout`` to a command (both are also accepted before
    the command name)."""
    func = click.option(
        "--lock-timeout",
        metavar="SECONDS",
        default=None,
        expose_value=False,
        callback=_lock_timeout,
        help="How long to wait, in all, for another process's lock on the store before "
        "giving up (default: $TRUSTLEDGER_LOCK_TIMEOUT, else 60).",
    )(func)
    return click.option(
        "--store",
        "store_url",
        metavar="URL",
        default=None,
        expose_value=True,
        help="Store URL: a file path, sqlite:///path or postgresql://user:pw@host:port/db "
        "(default: $TRUSTLEDGER_STORE, else events.sqlite in the user data directory).",
    )(func)


def cli_context() -> CliContext:
    """The :class:`CliContext` the command line was started with (a default one if none)."""
    found = click.get_current_context().find_object(CliContext)
    return found if found is not None else CliContext()


def service(store_url: str | None) -> LedgerService:
    """The application service for the chosen store: ``--store`` after the command name,
    else before it, else the environment, else the default; a bad URL exits 2. Its lock
    timeout is ``--lock-timeout``, else ``TRUSTLEDGER_LOCK_TIMEOUT``, else 60 seconds."""
    from trustledger.tui.service.access import current_access
    from trustledger.tui.service.ledger_service import LedgerService
    from trustledger.tui.service.stores import resolve_store

    ctx = click.get_current_context()
    url = store_url or ctx.find_root().params.get("store_url")
    if url and current_access().remote:
        fail("--store: not over SSH (the server's store is the only one)")
    try:
        store = resolve_store(url, lock_timeout=ctx.meta.get(LOCK_TIMEOUT_KEY))
    except LedgerError as exc:
        fail(str(exc))
    return LedgerService(store, clock=cli_context().clock)


def _tolerant_output() -> None:
    """Text the standard output cannot encode (one set to ASCII or Latin-1: a cron job's
    locale, ``PYTHONIOENCODING``) is written as backslash escapes, as the standard error
    writes it, rather than ending the command half-written."""
    stdout = sys.stdout
    if isinstance(stdout, io.TextIOWrapper) and stdout.errors == "strict":
        stdout.reconfigure(errors="backslashreplace")


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
    cli_context().clock.today()  # a malformed TRUSTLEDGER_TODAY fails here, before any work
    _tolerant_output()
    if not gc.isenabled() and ctx.invoked_subcommand not in DASHBOARD_COMMANDS:
        # The command's modules are loaded: collect again (see trustledger.tui.console).
        # The dashboard does so itself once its own modules are loaded.
        gc.freeze()
        gc.enable()
    if ctx.invoked_subcommand is None:
        # The dashboard is a sibling front end: the entry point registers its command.
        dashboard = main.get_command(ctx, "tui")
        if dashboard is None:
            fail("the dashboard is not installed")
        ctx.invoke(dashboard, store_url=store_url)
