"""The ``trustledger`` console script: the command line, plus the commands that start the
other front ends (the dashboard). Front ends never import each other; this module is the one
place that knows them all."""

from __future__ import annotations

from pathlib import Path

import click
from trustledger.tui.cli.main import main, service, store_option
from trustledger.tui.cli.options import config_option


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


if __name__ == "__main__":
    main()
