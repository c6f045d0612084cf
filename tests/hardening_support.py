"""Helpers for the hardening tests: stores holding what today's input rules refuse.

``store_directly`` writes event lines through the library's own ``Application.save`` (the
ledger's aggregates and hash chain, but none of ``record``'s input rules), the way a store
written before those rules came to hold NUL, escape sequences or huge amounts.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from trustledger.domain.events import LINE_ADAPTER, STORED, PartnershipRegistered
from trustledger.domain.ledger import Ledger
from trustledger.domain.partnership import Partnership
from trustledger.domain.store import parse_store_url

RECORDED_AT = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def store_directly(store: str | Path, lines: Sequence[dict[str, Any]]) -> None:
    """Save ``lines`` (registrations first) with the library, bypassing the input rules."""
    aggregates: dict[str, Partnership] = {}
    for n, data in enumerate(lines, 1):
        data = {"occurred_on": "2025-01-01", "actor": "legacy", "id": f"legacy-{n}"} | data
        line = LINE_ADAPTER.validate_python(data, context=STORED)
        if isinstance(line, PartnershipRegistered):
            aggregates[line.partnership] = Partnership.register(line, RECORDED_AT)
        else:
            aggregates[line.partnership].record(line, RECORDED_AT)
    with Ledger(parse_store_url(str(store)), create=True) as ledger:
        ledger.app.save(*aggregates.values())


def registered(handle: str, **fields: Any) -> dict[str, Any]:
    return {"type": "partnership_registered", "partnership": handle, "name": handle} | fields


def unprivileged_prefix() -> list[str]:
    """A command prefix under which file permissions hold, also for root.

    Root ignores permission bits (CAP_DAC_OVERRIDE), which would hide a read-only store's
    problems; ``setpriv`` drops those capabilities for the command it runs while it stays
    root, so that it can still read the interpreter and the packages.
    """
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    assert setpriv, "running as root: setpriv (util-linux) is needed to drop CAP_DAC_OVERRIDE"
    prefix = [setpriv, "--bounding-set=-dac_override,-dac_read_search", "--"]
    probe = subprocess.run([*prefix, "true"], capture_output=True, text=True, check=False)
    assert probe.returncode == 0, f"setpriv cannot drop capabilities here: {probe.stderr}"
    return prefix
