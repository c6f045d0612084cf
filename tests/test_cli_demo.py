"""``trustledger demo``: the samples shipped inside the package, recorded from anywhere."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli_helpers import run_cli


def test_demo_records_the_shipped_samples_once_from_any_directory(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    store = tmp_path / "demo.sqlite"

    first = run_cli(None, "demo", "--store", str(store), "--no-open", cwd=elsewhere)
    again = run_cli(None, "demo", "--store", str(store), "--no-open", cwd=elsewhere)

    assert (first.code, first.out.strip()) == (0, "recorded 381, already recorded 0"), first.err
    assert (again.code, again.out.strip()) == (0, "recorded 0, already recorded 381"), again.err
    report = run_cli(store, "report", "--as-of", "2026-11-20", "--format", "json", cwd=elsewhere)
    assert report.code == 0, report.err
    assert len(json.loads(report.out)) == 10


def test_demo_never_uses_the_store_of_the_environment(tmp_path: Path) -> None:
    own = tmp_path / "own.sqlite"
    data = tmp_path / "data"
    run = run_cli(
        None,
        "demo",
        "--no-open",
        env={"TRUSTLEDGER_STORE": str(own), "XDG_DATA_HOME": str(data)},
        cwd=tmp_path,
    )
    assert run.code == 0, run.err
    assert not own.exists()
    assert (data / "trustledger" / "demo.sqlite").is_file()
