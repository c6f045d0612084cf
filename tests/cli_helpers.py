"""Run the real ``trustledger`` command, as a subprocess or in-process, for the CLI tests.

``run_cli`` starts the installed console script (the one next to the test interpreter), so
exit codes, stderr and tracebacks are exactly what a script or cron job would see.
``invoke`` runs the same click command in-process with ``CliRunner``: much faster, for
tests that only need the command's output (exports before/after, setup, ``--help``).

Both run on the tests' day (:data:`tests.samples.TODAY`) whatever the real date: they set
``TRUSTLEDGER_TODAY``, which pins the business day (default ``occurred_on``, default
``--as-of``) while recording times stay real. A test overrides it through ``env`` (``None``
removes it: the real day).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from click.testing import CliRunner
from trustledger.tui.service.clock import TODAY_ENV

from tests.samples import TODAY

TRUSTLEDGER = Path(sys.executable).parent / "trustledger"

# Variables that would change which store a command uses or how it reports errors.
_SCRUBBED = ("TRUSTLEDGER_STORE", "TRUSTLEDGER_DEBUG")


class Run(NamedTuple):
    """What a command did: exit code, stdout, stderr."""

    code: int
    out: str
    err: str


def cli_env(
    store: str | Path | None = None, extra: Mapping[str, str | None] | None = None
) -> dict[str, str]:
    """The environment for a subprocess: no inherited store, no debug tracebacks, the tests'
    day as today; ``extra`` on top (a ``None`` value removes the variable).

    The user data directory is pointed next to the store so that a command that (wrongly)
    ignored ``--store`` could never touch the real default ledger.
    """
    env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED}
    env[TODAY_ENV] = TODAY.isoformat()
    if store is not None and "://" in str(store):
        # A URL has no directory to sit next to: use one under the temporary directory.
        env["XDG_DATA_HOME"] = str(Path(tempfile.gettempdir()) / "trustledger-tests-xdg-data")
    elif store is not None:
        env["XDG_DATA_HOME"] = str(Path(store).parent / "xdg-data")
    env["PYTHONIOENCODING"] = "utf-8"
    for name, value in (extra or {}).items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def cli_args(store: str | Path | None, args: Sequence[str], *, store_after: bool = False) -> list:
    """``[--store STORE] ARGS`` (or ``ARGS --store STORE`` when ``store_after``)."""
    if store is None:
        return list(args)
    if store_after:
        return [*args, "--store", str(store)]
    return ["--store", str(store), *args]


def run_cli(
    store: str | Path | None,
    *args: str,
    stdin: str = "",
    store_after: bool = False,
    env: Mapping[str, str | None] | None = None,
    cwd: str | Path | None = None,
    timeout: float = 120,
) -> Run:
    """Run the real ``trustledger`` console script with ``--store STORE`` and ``stdin``."""
    assert TRUSTLEDGER.exists(), f"console script not installed at {TRUSTLEDGER}"
    proc = subprocess.run(
        [str(TRUSTLEDGER), *cli_args(store, args, store_after=store_after)],
        input=stdin.encode("utf-8"),
        capture_output=True,
        env=cli_env(store, env),
        cwd=cwd,
        timeout=timeout,
        check=False,
    )
    return Run(proc.returncode, proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8"))


def start_cli(store: str | Path, *args: str, stdout: Any, stderr: Any) -> subprocess.Popen[bytes]:
    """Start the real ``trustledger`` with ``--store STORE`` (``cli_env``) and a pipe for stdin.

    ``stdout``/``stderr`` are files (not pipes), so nothing blocks however much is written.
    """
    return subprocess.Popen(
        [str(TRUSTLEDGER), *cli_args(store, args)],
        stdin=subprocess.PIPE,
        stdout=stdout,
        stderr=stderr,
        env=cli_env(store),
    )


def invoke(
    store: str | Path | None,
    *args: str,
    stdin: str = "",
    store_after: bool = False,
    env: Mapping[str, str | None] | None = None,
    clock: Any = None,
) -> Run:
    """Run the ``trustledger`` click command in-process (CliRunner), on the tests' day as
    ``run_cli`` does; ``clock`` (a ``Clock``) pins what the command takes for now and today
    instead."""
    from trustledger.tui.cli.main import CliContext, main

    full_env: dict[str, str | None] = {k: None for k in _SCRUBBED}
    full_env[TODAY_ENV] = None if clock is not None else TODAY.isoformat()
    if env:
        full_env.update(env)
    result = CliRunner().invoke(
        main,
        cli_args(store, args, store_after=store_after),
        input=stdin,
        env=full_env,
        prog_name="trustledger",
        obj=CliContext(clock) if clock is not None else None,
    )
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        # A real process would have shown a traceback: never let it pass as exit code 1.
        raise AssertionError(f"uncaught {result.exception!r}") from result.exception
    return Run(result.exit_code, result.stdout, result.stderr)


def ndjson(lines: Iterable[dict[str, Any] | str]) -> str:
    """NDJSON text: dicts are dumped, strings are taken as they are (blank, broken...)."""
    return "".join((json.dumps(x) if isinstance(x, dict) else x) + "\n" for x in lines)


def export_text(store: str | Path, *args: str) -> str:
    """``trustledger export`` of the store (in-process), checked to succeed."""
    run = invoke(store, "export", *args)
    assert run.code == 0, run.err
    return run.out


def export_events(store: str | Path, *args: str) -> list[dict[str, Any]]:
    """The store's export, parsed."""
    # Split on newlines only: U+2028 and the like may sit unescaped inside a line.
    return [json.loads(line) for line in export_text(store, *args).split("\n") if line]


def error_lines(err: str, source: str) -> list[str]:
    """The ``SOURCE:LINE: message`` lines of stderr for one source."""
    return [line for line in err.splitlines() if line.startswith(f"{source}:")]


def assert_no_traceback(run: Run) -> None:
    assert "Traceback" not in run.err, run.err
    assert "Traceback" not in run.out, run.out
