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

# Runs the console script's entry point in a fresh interpreter, then tells the modules it
# loaded and whether the cyclic garbage collector runs (and how many objects it left frozen).
PROBE = """
import gc, json, sys
from trustledger.tui.console import main
sys.argv = ["trustledger", *json.loads(sys.argv[1])]
try:
    main()
except SystemExit:
    pass
sys.stdout.flush()
found = {"modules": sorted(sys.modules), "gc": [gc.isenabled(), gc.get_freeze_count()]}
print(json.dumps(found), file=sys.stderr)
"""


def probe(store: Path | None, *args: str) -> tuple[str, dict]:
    """What ``trustledger [--store STORE] ARGS`` printed, and what :data:`PROBE` found."""
    full = ["--store", str(store), *args] if store is not None else list(args)
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(full)],
        capture_output=True,
        text=True,
        env=cli_env(store),
        timeout=120,
        check=False,
    )
    return done.stdout, json.loads(done.stderr.splitlines()[-1])


def run_probe(
    code: str, store: Path | None, *args: str, extra: dict[str, str] | None = None
) -> str:
    """What ``python -c code args`` printed (it must succeed), run as a command would be
    for ``store``."""
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        env=cli_env(store, extra),
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def loaded_modules(store: Path | None, *args: str) -> list[str]:
    return probe(store, *args)[1]["modules"]


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


def test_the_console_script_collects_again_once_a_command_is_loaded(tmp_path: Path) -> None:
    """The entry point pauses the collector while a start imports; a command runs with it
    on again, and what was loaded before it frozen out of its walks."""
    store = tmp_path / "store.sqlite"
    assert invoke(store, "partner", "add", "acme", "--name", "Acme").code == 0
    out, found = probe(store, "report", "--format", "json")
    assert '"acme"' in out
    enabled, frozen = found["gc"]
    assert enabled and frozen > 10_000


def test_the_dashboards_first_picture_builds_no_validator(sample_store) -> None:
    """A start from the read model's view rows reads no event and no configuration file:
    it builds no pydantic validator, which would load pydantic's plugin machinery (the
    package metadata of every installed distribution) before the first frame."""
    probe = """
import sys
from datetime import date
from trustledger.tui.service.config import load_model_config
from trustledger.tui.service.ledger_service import LedgerService
from trustledger.tui.service.live import live_picture, open_ledger
from trustledger.tui.service.readmodel import ReadModel
from trustledger.tui.service.stores import resolve_store
import trustledger.tui.dashboard.app
day = date.fromisoformat(sys.argv[2])
service = LedgerService(resolve_store(sys.argv[1]))
service.check()
follower = ReadModel(open_ledger(service.store), load_model_config()).load_lean(day).follower
assert follower is not None
assert len(live_picture(follower, day).portfolio.partnerships) == 10
print("pydantic.plugin._loader" in sys.modules)
"""
    from trustledger.projections import ModelConfig
    from trustledger.tui.service.ledger_service import LedgerService

    from tests.test_tui_support import CLOCK

    LedgerService(sample_store, clock=CLOCK).rebuild(ModelConfig())
    out = run_probe(probe, sample_store.path, str(sample_store.path), CLOCK.today().isoformat())
    assert out.strip() == "False"


def test_what_a_first_frame_needs_loads_no_validation_library(sample_store, tmp_path: Path) -> None:
    """Reading what is recorded needs neither pydantic nor eventsourcing: the projections,
    the lean views, the default model configuration, the dashboard's modules, asking who
    records and checking the store load neither (a dashboard's first frame is built from
    them; the line models and the event library come after it)."""
    probe = """
import json, sys
import trustledger.projections
import trustledger.tui.cli.main, trustledger.tui.dashboard.launch, trustledger.tui.dashboard.app
from trustledger.projections.config import DEFAULT_CONFIG, load_config
from trustledger.projections.stored_views import stored_view
from trustledger.tui.service.access import current_access
from trustledger.tui.service.ledger_service import LedgerService
assert load_config() == DEFAULT_CONFIG
assert not current_access().remote
LedgerService.for_url(sys.argv[1]).check()
print(json.dumps(sorted(m for m in sys.modules if m.startswith(("pydantic", "eventsourcing")))))
"""
    no_file = {"XDG_CONFIG_HOME": str(tmp_path)}  # no configuration file
    out = run_probe(probe, sample_store.path, str(sample_store.path), extra=no_file)
    assert json.loads(out) == []


def test_the_dashboards_first_picture_loads_neither_library_then_follows(sample_store) -> None:
    """A warm start with today's view rows draws its first picture from a glance at the read
    model over a plain connection: neither pydantic nor the event library is loaded until
    it is on screen. Then the ledger is opened to follow the store (what it then shows is
    tests/test_tui_live.py's part)."""
    probe = """
import asyncio, json, sys
from trustledger.tui.dashboard.app import TrustLedgerApp
from trustledger.tui.service.ledger_service import LedgerService

def heavy():
    return sorted({m.split(".")[0] for m in sys.modules} & {"pydantic", "eventsourcing"})

found = {}

async def main():
    service = LedgerService.for_url(sys.argv[1])
    app = TrustLedgerApp(service, warm_start=True)
    show = app.show_portfolio

    async def showing():
        # The first picture has come: what is loaded as the home screen shows it.
        found.setdefault("first", heavy())
        await show()

    app.show_portfolio = showing
    async with app.run_test(size=(120, 40)) as pilot:
        await app.ready(30)
        found["events"] = app.picture.position
        for _ in range(300):  # the ledger is opened once the picture is drawn
            await pilot.pause(0.05)
            if len(heavy()) == 2:  # both loaded (one import leads to the other)
                break
        found["after"] = heavy()
    print(json.dumps(found))

asyncio.run(main())
"""
    from trustledger.projections import ModelConfig
    from trustledger.tui.service.ledger_service import LedgerService

    from tests.test_tui_support import CLOCK

    LedgerService(sample_store, clock=CLOCK).rebuild(ModelConfig())  # today's view rows
    found = json.loads(run_probe(probe, sample_store.path, str(sample_store.path)).splitlines()[-1])
    assert found["first"] == [] and found["events"] > 0
    assert found["after"] == ["eventsourcing", "pydantic"]
