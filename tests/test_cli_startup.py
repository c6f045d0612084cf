"""A script's command imports only what it uses: the command list loads no command, and a
one-event command loads neither the projections nor the dashboard's or tables' libraries nor
the PostgreSQL driver. (How long a start takes is measured in benchmarks/startup_bench.py.)"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click

from tests.cli_helpers import cli_env, invoke, run_cli

HEAVY = ("trustledger.projections", "rich", "textual", "psycopg")

# Runs the console script's main in a fresh interpreter, then lists the modules it loaded.
PROBE = """
import json, sys
from trustledger.tui.__main__ import main
sys.argv = ["trustledger", *json.loads(sys.argv[1])]
try:
    main()
except SystemExit:
    pass
sys.stdout.flush()
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def loaded_modules(store: Path | None, *args: str) -> list[str]:
    full = ["--store", str(store), *args] if store is not None else list(args)
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(full)],
        capture_output=True,
        text=True,
        env=cli_env(store),
        timeout=120,
        check=False,
    )
    return json.loads(done.stderr.splitlines()[-1])


def heavy(modules: list[str]) -> list[str]:
    return [m for m in modules if m.split(".")[0] in HEAVY or m.startswith(HEAVY)]


def test_help_loads_no_command() -> None:
    modules = loaded_modules(None, "--help")
    assert heavy(modules) == []
    assert not [m for m in modules if m.startswith(("pydantic", "eventsourcing"))]
    # The group and the shared options only: not one command's module.
    loaded = {m for m in modules if m.startswith("trustledger.tui.cli.")}
    assert loaded <= {"trustledger.tui.cli.main", "trustledger.tui.cli.options"}, loaded


def test_a_one_event_command_loads_what_recording_needs(tmp_path: Path) -> None:
    store = tmp_path / "store.sqlite"
    assert invoke(store, "partner", "add", "acme", "--name", "Acme").code == 0
    modules = loaded_modules(store, "commit", "acme", "c1", "--by", "us", "--summary", "s",
                             "--due", "2030-01-01")  # fmt: skip
    assert heavy(modules) == []
    assert "trustledger.domain.ledger" in modules  # it did record
    assert run_cli(store, "history", "acme", "--format", "json").out.count('"c1"') == 1


def test_the_command_list_matches_the_commands() -> None:
    """The short help ``trustledger --help`` shows without loading a command is each
    command's own first line."""
    from trustledger.tui.cli.main import COMMANDS, main

    ctx = click.Context(main)
    for name, (_, short) in COMMANDS.items():
        command = main.get_command(ctx, name)
        assert command is not None, name
        assert (command.help or "").splitlines()[0] == short, name
    assert run_cli(None, "--help").out.count("\n  ") >= len(COMMANDS)
