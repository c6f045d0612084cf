"""Exporting what a screen shows: its table as CSV, or the report JSON, into a new file.

The contents are built on the UI thread from what is on screen (plain functions here, no
Textual); :func:`write_new` writes them in a worker and never overwrites a file.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from trustledger.projections import REPORT_KEYS, PartnershipView, report_row

COUNTS = ("open", "overdue", "kept", "missed")
#: The report's CSV columns: the JSON's keys in order, the commitment counts flattened (as
#: ``trustledger report --format csv`` writes them).
REPORT_CSV_FIELDS = [
    name
    for key in REPORT_KEYS
    for name in ([f"commitments_{c}" for c in COUNTS] if key == "commitments" else [key])
]


def report_json(views: Iterable[PartnershipView], model_version: str) -> str:
    """The report JSON (``trustledger report --format json``) of ``views``, by handle."""
    rows = [report_row(view, model_version) for view in sorted(views, key=lambda v: v.handle)]
    return json.dumps(rows, indent=2, ensure_ascii=False) + "\n"


def report_csv(views: Iterable[PartnershipView], model_version: str) -> str:
    """The report's CSV rows of ``views``, in the order given (the order on screen)."""
    rows = []
    for view in views:
        row = report_row(view, model_version)
        flat: dict[str, Any] = {k: v for k, v in row.items() if k in REPORT_CSV_FIELDS}
        for key, value in row["commitments"].items():
            flat[f"commitments_{key}"] = value
        flat["alerts"] = " | ".join(row["alerts"])
        rows.append(["" if flat.get(k) is None else flat[k] for k in REPORT_CSV_FIELDS])
    return csv_text(REPORT_CSV_FIELDS, rows)


def csv_text(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue()


def write_new(path: Path, text: str) -> None:
    """Write ``text`` into the new file ``path``; ``FileExistsError`` when there is one."""
    with path.open("x", encoding="utf-8", newline="") as out:
        out.write(text)
