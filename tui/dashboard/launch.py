"""Starting the dashboard from the command line (``trustledger`` / ``trustledger tui``)."""

from __future__ import annotations

import gc
import os
import sys
from pathlib import Path
from typing import NoReturn

from trustledger.domain.errors import LedgerError
from trustledger.domain.moments import parse_date
from trustledger.tui.dashboard.terminal import require_terminal
from trustledger.tui.service.config import load_model_config
from trustledger.tui.service.ledger_service import LedgerService


def _exit(message: str) -> NoReturn:
    print(f"trustledger: {message}", file=sys.stderr)
    sys.exit(2)


def launch(
    service: LedgerService, as_of: str | None = None, config_path: Path | None = None
) -> None:
    """Open the dashboard on ``service``'s store; ``as_of`` (YYYY-MM-DD) opens it in audit
    mode; ``config_path`` names the model configuration (default: the user's file).

    No terminal on stdin and stdout, a store that does not exist (or cannot be opened) or a
    configuration that cannot be used is a one-line error and exit 2, like every reading
    command; nothing is created. The process exits with the app's return code: 0, or 129
    when the terminal went away.
    """
    require_terminal()
    day = None
    if as_of:
        try:
            day = parse_date(as_of)
        except ValueError as exc:
            _exit(f"--as-of: {exc}")
    try:
        config = load_model_config(config_path)
        service.check()
    except LedgerError as exc:
        _exit(str(exc))
    from trustledger.tui.dashboard.app import TrustLedgerApp
    from trustledger.tui.dashboard.prefs import Prefs, default_prefs_path

    app = TrustLedgerApp(
        service,
        as_of=day,
        config=config,
        warm_start=True,
        prefs=Prefs.load(default_prefs_path()),
        # The console script paused the cyclic collector (tui.console): the app lets it
        # run again once its first picture is drawn, past everything made for it.
        resume_collector=not gc.isenabled(),
    )
    app.run()
    # The terminal is restored, or gone (a hang-up): leave at once, without waiting for the
    # follower's thread to notice or for the interpreter to free the live state object by
    # object (seconds at a million events). Nothing is left unsaved: the store commits every
    # write, and the shared read model is a cache the next start catches up.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(app.return_code or 0)  # a non-zero code: it crashed (and said why) or hung up
