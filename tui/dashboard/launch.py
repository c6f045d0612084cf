"""Starting the dashboard from the command line (``trustledger`` / ``trustledger tui``)."""

from __future__ import annotations

import sys

from trustledger.domain.errors import LedgerError
from trustledger.domain.moments import parse_date
from trustledger.domain.store import StoreConfig


def launch(store: StoreConfig, as_of: str | None = None) -> None:
    """Open the dashboard on ``store``; ``as_of`` (YYYY-MM-DD) opens it in audit mode.

    A store that does not exist (or cannot be opened) is a one-line error and exit 2, like
    every reading command; nothing is created.
    """
    day = None
    if as_of:
        try:
            day = parse_date(as_of)
        except ValueError as exc:
            print(f"trustledger: --as-of: {exc}", file=sys.stderr)
            sys.exit(2)
    try:
        from trustledger.tui.service.live import open_ledger

        open_ledger(store).close()
    except LedgerError as exc:
        message = str(exc)
        if store.password:
            message = message.replace(store.password, "***")
        print(f"trustledger: {message}", file=sys.stderr)
        sys.exit(2)
    from trustledger.tui.dashboard.app import TrustLedgerApp

    TrustLedgerApp(store, as_of=day, warm_start=True).run()
