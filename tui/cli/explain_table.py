"""The score explanation as a table: which events moved trust and alignment, and how much."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from trustledger.tui.cli.tables import print_table
from trustledger.tui.service.labels import event_label


def signed(value: float | None) -> str:
    return "" if value is None else f"{value:+.3f}"


def explain_cells(row: Any) -> list[str]:
    """One explanation row as table cells (shared with the dashboard)."""
    if row.type == "total":
        return [
            "",
            "total",
            row.subject,
            "",
            signed(row.delta_trust),
            "",
            f"{row.trust:.3f}",
            "" if row.alignment is None else f"{row.alignment:.3f}",
        ]
    return [
        row.occurred_on.isoformat() if row.occurred_on else "",
        event_label(row.type),
        row.subject,
        "" if row.weight is None else f"{row.weight:.2f}",
        signed(row.delta_trust),
        signed(row.delta_alignment),
        f"{row.trust:.3f}",
        "" if row.alignment is None else f"{row.alignment:.3f}",
    ]


HEADERS = ["occurred", "event", "what", "weight", "Δtrust", "Δalign", "trust", "align"]


def print_explain_table(rows: Sequence[Any], as_of: date) -> None:
    print_table(
        f"what moved the scores, as of {as_of}",
        HEADERS,
        [explain_cells(row) for row in rows],
        wrap={"what"},
        right={"weight", "Δtrust", "Δalign", "trust", "align"},
    )
