"""The same words everywhere: the dashboard, the command line's table, the JSON, the README.

Before, the dashboard said "insufficient" where the command line and the JSON said
"unproven", and "Ovd"/"Iss" where the report table said "late/open" and "issues". The words
now come from one table (``service.labels``); this checks each front end against it.
"""

from __future__ import annotations

import json
from pathlib import Path

from trustledger.projections.views import STATUSES
from trustledger.tui.dashboard.screens.portfolio import COLUMNS, fit_columns
from trustledger.tui.dashboard.widgets.cells import Palette, status_text
from trustledger.tui.service.labels import FIGURES, STATUS_WORDS, figure_word, status_label

from tests.cli_helpers import run_cli
from tests.test_tui_support import make_app, screen_text

README = Path(__file__).resolve().parent.parent / "README.md"


def test_a_status_reads_the_same_in_the_dashboard_the_cli_and_the_json():
    palette = Palette.from_variables({})
    for status in STATUSES:
        assert STATUS_WORDS[status] == status.replace("_", " ")  # the JSON's value
        assert status_text(status, palette).plain == status_label(status)


async def test_the_dashboard_and_the_cli_table_use_the_words(sample_store):
    app = make_app(sample_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.ready()
        await pilot.pause()
        header = screen_text(app).splitlines()[4]
    _, shown, _ = fit_columns(80)
    for column in COLUMNS:
        if column.key in shown:
            word = figure_word(column.figure, short=True)
            assert word[:1].upper() + word[1:] in header, (column.key, header)
    assert not {"Ovd", "Iss"} & set(header.split())

    run = run_cli(sample_store.path, "report", "--as-of", "2026-11-20")
    assert run.code == 0, run.err
    table_header = next(line for line in run.out.splitlines() if line.startswith(" partnership"))
    for key in ("status", "trust", "open_issues", "next_review_due"):
        assert figure_word(key) in table_header
    assert f"{figure_word('commitments.overdue')}/{figure_word('commitments.open')}" in (
        table_header
    )
    assert figure_word("alignment", short=True) in table_header
    assert "late" not in table_header
    rows = json.loads(run_cli(sample_store.path, "report", "--format", "json").out)
    statuses = {row["status"] for row in rows}
    assert statuses <= set(STATUS_WORDS)
    lumen = next(line for line in run.out.splitlines() if line.startswith(" lumen"))
    assert "? unproven" in lumen


def test_the_readme_has_the_table_of_words():
    text = README.read_text(encoding="utf-8")
    section = text.split("### The words", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ")]
    for key, figure in FIGURES.items():
        if key in ("partnership", "name", "kind", "alerts"):
            continue  # the row's own names, not figures
        row = next((r for r in rows if f"`{key}`" in r), None)
        assert row is not None, f"{key} missing from the README's words"
        assert row.startswith(f"| {figure.word} "), row
    status_row = next(r for r in rows if "`status`" in r)
    for status in STATUSES:
        assert status_label(status) in status_row
