"""The ``trustledger`` console script: the command line, plus the commands that start the
other front ends (the dashboard, the SSH server). Front ends never import each other; this
module is the one place that knows them all: it hands the SSH server the dashboard to run
inside it for each ``ssh -t`` session (:func:`~.dashboard.remote.run_on_channel`, on the
server's one shared live view of the store), and the command line to run for each remote
command (``python -m trustledger.tui``: this module)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
from trustledger.tui.cli.main import fail, main, service, store_option
from trustledger.tui.cli.options import config_option

if TYPE_CHECKING:
    from trustledger.tui.serve.server import Dashboard
    from trustledger.tui.service.access import Access
    from trustledger.tui.service.channel import TerminalChannel
    from trustledger.tui.service.ledger_service import LedgerService
    from trustledger.tui.service.sharedlive import SharedLive


@main.command("tui")
@store_option
@click.option("--as-of", "as_of", metavar="DATE", help="Open in audit mode at this date.")
@config_option
def tui_command(
    store_url: str | None, as_of: str | None = None, config_path: Path | None = None
) -> None:
    """Open the live dashboard."""
    from trustledger.tui.dashboard.terminal import require_terminal

    require_terminal()  # before the store and the models load: no terminal ends at once
    from trustledger.tui.dashboard.launch import launch

    launch(service(store_url), as_of=as_of, config_path=config_path)


def demo_store_url() -> str:
    """The demo ledger: ``demo.sqlite`` in the user data directory, beside (never in place of)
    the user's own ledger."""
    from platformdirs import user_data_dir

    directory = Path(user_data_dir("trustledger"))
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)  # like the default store's
    return str(directory / "demo.sqlite")


@main.command("demo")
@click.option(
    "--store",
    "store_url",
    metavar="URL",
    default=None,
    help="Where to keep the demo ledger (default: demo.sqlite in the user data directory; "
    "TRUSTLEDGER_STORE is not used, so the demo never lands in your own ledger).",
)
@click.option("--no-open", is_flag=True, help="Only record the samples; do not open the dashboard.")
@click.pass_context
def demo_command(ctx: click.Context, store_url: str | None, no_open: bool) -> None:
    """Record the ten sample partnerships (shipped with trustledger) into a demo ledger and
    open the dashboard on it. Running it again records nothing new."""
    from importlib.resources import as_file, files

    from trustledger.tui.cli.record import record_lines
    from trustledger.tui.service.recording import located_lines

    url = store_url or ctx.find_root().params.get("store_url") or demo_store_url()
    samples = sorted(
        (entry for entry in files("trustledger.sample_events").iterdir()),
        key=lambda entry: entry.name,
    )
    lines = []
    for entry in samples:
        if entry.name.endswith(".ndjson"):
            with as_file(entry) as path:
                text = path.read_text(encoding="utf-8")
            lines.extend(located_lines(entry.name, text.split("\n")))
    record_lines(url, lines, quiet_progress=True)
    if not no_open:
        ctx.invoke(tui_command, store_url=url)


def _positive(kind: type[int] | type[float]) -> click.ParamType:
    return click.IntRange(min=1) if kind is int else click.FloatRange(min=0)


@main.command("serve")
@store_option
@click.option(
    "--listen",
    default="127.0.0.1:2222",
    show_default=True,
    metavar="HOST:PORT",
    help="The address and port to listen on.",
)
@click.option(
    "--keys",
    "keys_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="The keys file (default: keys.toml in the user config directory).",
)
@click.option(
    "--host-key",
    "host_key_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="The host key, made (ed25519, 0600) when missing "
    "(default: ssh_host_ed25519_key in the user data directory).",
)
@click.option(
    "--log",
    "log_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Append the connection log (JSON lines) to FILE instead of stderr.",
)
@click.option(
    "--max-sessions",
    type=_positive(int),
    default=32,
    show_default=True,
    help="Sessions at once, in all.",
)
@click.option(
    "--max-sessions-per-key",
    "max_per_key",
    type=_positive(int),
    default=8,
    show_default=True,
    help="Sessions at once for one key.",
)
@click.option(
    "--idle-timeout",
    type=_positive(float),
    default=3600.0,
    show_default=True,
    metavar="SECONDS",
    help="End a session after this long without traffic (0: never).",
)
@click.option(
    "--login-grace",
    type=_positive(float),
    default=30.0,
    show_default=True,
    metavar="SECONDS",
    help="Drop a connection that has not logged in by then.",
)
@click.option(
    "--max-auth-tries",
    type=_positive(int),
    default=6,
    show_default=True,
    help="Keys a connection may offer before it is dropped.",
)
def serve_command(
    store_url: str | None,
    listen: str,
    keys_path: Path | None,
    host_key_path: Path | None,
    log_path: Path | None,
    max_sessions: int,
    max_per_key: int,
    idle_timeout: float,
    login_grace: float,
    max_auth_tries: int,
) -> None:
    """Serve the dashboard and the scripting commands over SSH (keys, roles, actors)."""
    import os

    from trustledger.domain.errors import LedgerError
    from trustledger.tui.cli.main import LOCK_TIMEOUT_KEY
    from trustledger.tui.serve.main import ServeError, serve

    ledger = service(store_url)  # a bad URL stops here, with one line
    try:
        dashboard, live = _served_dashboards(ledger)
    except LedgerError as exc:
        fail(str(exc))
    lock_timeout = click.get_current_context().meta.get(LOCK_TIMEOUT_KEY)
    # The sessions' commands inherit the lock timeout through their environment.
    session_env = {} if lock_timeout is None else {"TRUSTLEDGER_LOCK_TIMEOUT": f"{lock_timeout!r}"}
    url = store_url or click.get_current_context().find_root().params.get("store_url")
    try:
        serve(
            command=[sys.executable, "-m", "trustledger.tui"],
            store_url=url or os.environ.get("TRUSTLEDGER_STORE") or None,
            store_display=ledger.display,
            listen=listen,
            keys_path=keys_path,
            host_key_path=host_key_path,
            log_path=log_path,
            max_sessions=max_sessions,
            max_per_key=max_per_key,
            idle_timeout=idle_timeout,
            login_grace=login_grace,
            max_auth_tries=max_auth_tries,
            session_env=session_env,
            dashboard=dashboard,
        )
    except ServeError as exc:
        fail(str(exc))
    finally:
        live.close()


def _served_dashboards(ledger: LedgerService) -> tuple[Dashboard, SharedLive]:
    """The dashboard sessions of ``serve``: each runs inside the server for its key's
    identity, on one live view of the store that they all share."""
    from trustledger.tui.dashboard.remote import run_on_channel
    from trustledger.tui.service.config import load_model_config
    from trustledger.tui.service.sharedlive import SharedLive

    config = load_model_config(None)  # a configuration that cannot be used stops here
    live = SharedLive(ledger, config)

    async def dashboard(access: Access, channel: TerminalChannel, as_of: str | None) -> int:
        return await run_on_channel(
            ledger.for_access(access), channel, config=config, live=live, as_of=as_of
        )

    return dashboard, live


if __name__ == "__main__":
    main()
