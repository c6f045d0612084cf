"""The command line's clock is injected (``CliContext``), and its model configuration follows
the same rules in every command (``history --explain`` included)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from trustledger.tui.service.clock import FixedClock

from tests.cli_helpers import export_events, invoke, ndjson

PINNED = FixedClock(datetime(2026, 11, 20, 12, 0, tzinfo=UTC))
LATER = FixedClock(datetime(2031, 3, 1, 12, 0, tzinfo=UTC))


def test_recording_takes_today_and_now_from_the_given_clock(tmp_path: Path) -> None:
    store = str(tmp_path / "store.sqlite")
    run = invoke(store, "partner", "add", "acme", "--name", "Acme", clock=PINNED)
    assert run.code == 0, run.err
    # A commitment due before the real date (whatever it is) but after the pinned one.
    run = invoke(
        store,
        "commit",
        "acme",
        "c1",
        "--by",
        "us",
        "--summary",
        "s",
        "--due",
        "2026-12-31",
        clock=PINNED,
    )
    assert run.code == 0, run.err
    events = export_events(store)
    assert [e["occurred_on"] for e in events] == [PINNED.today().isoformat()] * 2
    assert {e["recorded_at"] for e in events} == {"2026-11-20T12:00:00+00:00"}
    # The same line a day after "tomorrow" by the pinned clock is in the future for it.
    line = {"type": "commitment_kept", "partnership": "acme", "commitment": "c1"}
    run = invoke(
        store, "record", stdin=ndjson([line | {"occurred_on": "2026-11-23"}]), clock=PINNED
    )
    assert run.code == 1 and "in the future" in run.err


def test_the_default_as_of_is_today_by_the_clock(tmp_path: Path) -> None:
    store = str(tmp_path / "store.sqlite")
    assert invoke(store, "partner", "add", "acme", "--name", "Acme", clock=PINNED).code == 0
    report = invoke(store, "report", clock=PINNED)
    assert report.out.startswith(f"as of {PINNED.today().isoformat()}:"), report.out
    later = json.loads(invoke(store, "report", "--format", "json", clock=LATER).out)
    assert later[0]["next_review_due"] == (PINNED.today() + timedelta(days=90)).isoformat()
    assert "review overdue" in " ".join(later[0]["alerts"])
    check = invoke(store, "check", clock=LATER)
    assert check.code == 1 and f"as of {LATER.today()}" in check.err


def kept_history(store: str) -> None:
    lines = [
        {
            "type": "partnership_registered",
            "partnership": "acme",
            "name": "Acme",
            "occurred_on": "2025-01-01",
        },
        {
            "type": "commitment_made",
            "partnership": "acme",
            "commitment": "c1",
            "by": "us",
            "summary": "s",
            "due": "2025-03-01",
            "occurred_on": "2025-01-02",
        },
        {
            "type": "commitment_kept",
            "partnership": "acme",
            "commitment": "c1",
            "occurred_on": "2025-02-01",
        },
    ]
    assert invoke(store, "record", stdin=ndjson(lines)).code == 0


def test_history_explain_honours_config(tmp_path: Path) -> None:
    store = str(tmp_path / "store.sqlite")
    kept_history(store)
    config = tmp_path / "model.toml"
    config.write_text("[model]\nhalf_life_days = 30\n", encoding="utf-8")
    args = ["history", "acme", "--explain", "--as-of", "2025-03-03", "--format", "json"]
    default = json.loads(invoke(store, *args).out)
    tuned = json.loads(invoke(store, *args, "--config", str(config)).out)
    weight = {row["type"]: row["weight"] for row in default}["commitment_kept"]
    tuned_weight = {row["type"]: row["weight"] for row in tuned}["commitment_kept"]
    # Kept 30 days before the as-of date: a 30-day half-life halves its weight.
    assert abs(tuned_weight - 0.5) < 1e-9
    assert abs(weight - 2 ** (-30 / 180)) < 1e-9


def test_a_broken_config_is_one_line_in_every_command(tmp_path: Path) -> None:
    store = str(tmp_path / "store.sqlite")
    kept_history(store)
    broken = tmp_path / "broken.toml"
    broken.write_text("[model]\nno_such_key = 1\n", encoding="utf-8")
    for args in (["report"], ["check"], ["history", "acme", "--explain"]):
        run = invoke(store, *args, "--config", str(broken))
        assert run.code == 2, (args, run)
        assert run.err.startswith("trustledger: config: ") and "no_such_key" in run.err
        assert len(run.err.splitlines()) == 1 and run.out == ""


def test_fixed_clock_days() -> None:
    assert FixedClock.on(date(2027, 1, 1)).today() == date(2027, 1, 1)
    assert PINNED.now() == datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
