"""Starting the dashboard: a missing store is a one-line error and exit 2, nothing created.

The checks behind the terminal check are tested as if stdin and stdout were a terminal
(``has_terminal`` answers yes); the terminal itself is tested in ``test_tui_terminal``."""

from __future__ import annotations

import pytest
from trustledger.domain.store import parse_store_url
from trustledger.tui.dashboard.launch import launch
from trustledger.tui.service.ledger_service import LedgerService

from tests.cli_helpers import run_cli
from tests.test_tui_support import run_on_terminal


@pytest.fixture
def a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("trustledger.tui.dashboard.terminal.has_terminal", lambda: True)


def test_launch_on_a_missing_store_exits_2(tmp_path, capsys, a_terminal):
    store = parse_store_url(str(tmp_path / "nothing.sqlite"))
    with pytest.raises(SystemExit) as exit_info:
        launch(LedgerService(store), None)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("trustledger: no ledger at")
    assert not (tmp_path / "nothing.sqlite").exists()


def test_launch_refuses_a_bad_as_of(tmp_path, capsys, a_terminal):
    store = parse_store_url(str(tmp_path / "nothing.sqlite"))
    with pytest.raises(SystemExit) as exit_info:
        launch(LedgerService(store), "2026-02-30")
    assert exit_info.value.code == 2
    assert "--as-of" in capsys.readouterr().err


def test_the_command_line_reports_a_missing_store(tmp_path):
    done = run_on_terminal(["--store", str(tmp_path / "none.sqlite")])
    assert done.returncode == 2
    assert done.stderr.startswith("trustledger: no ledger at")
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "none.sqlite").exists()


def test_a_broken_config_stops_the_dashboard_with_one_line(tmp_path):
    """The same rule as the command line: a bad configuration is an error, not the defaults."""
    store = tmp_path / "store.sqlite"
    config = tmp_path / "config.toml"
    config.write_text("[model]\nhalf_life_days = -1\n", encoding="utf-8")
    done = run_cli(store, "partner", "add", "acme", "--name", "A")
    assert done.code == 0, done.err
    for args in (["tui", "--config", str(config)], ["report", "--config", str(config)]):
        done = run_on_terminal(["--store", str(store), *args])
        assert done.returncode == 2, (args, done)
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert done.stderr.startswith("trustledger: config: ") and "half_life_days" in done.stderr
