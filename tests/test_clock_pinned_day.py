"""``TRUSTLEDGER_TODAY`` pins a real process's business day, never its recording time.

The pinned day is the default ``occurred_on``, the default ``--as-of`` and the dashboard's
live day; the recording time (what ``audit log`` and ``--known-at`` rest on) stays the
computer's clock, read here around each command rather than assumed (to the day only when
the command runs in another process: under ``faketime -f '@DATE'`` each process's clock
starts anew).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from trustledger.tui.service.clock import TODAY_ENV, ClockError, SystemClock
from trustledger.tui.service.ledger_service import LedgerService
from trustledger.tui.service.recording import located_lines

from tests.cli_helpers import assert_no_traceback, export_events, invoke, run_cli
from tests.samples import TODAY

PINNED = date(2027, 6, 1)
REGISTER = '{"type": "partnership_registered", "partnership": "acme", "name": "Acme"}'


def real_now() -> datetime:
    return datetime.now(UTC)


def test_the_system_clock_follows_the_variable_for_today_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = SystemClock()
    monkeypatch.setenv(TODAY_ENV, PINNED.isoformat())
    before = real_now()
    assert clock.today() == PINNED
    assert before <= clock.now() <= real_now()
    monkeypatch.setenv(TODAY_ENV, " ")  # blank is unset
    assert clock.pinned_day() is None
    monkeypatch.delenv(TODAY_ENV)
    assert clock.pinned_day() is None


@pytest.mark.parametrize("value", ["x", "2027-02-30", "20270601", "2027-06-01T00:00", "1.6.2027"])
def test_a_malformed_day_is_a_clock_error(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(TODAY_ENV, value)
    with pytest.raises(ClockError) as caught:
        SystemClock().today()
    assert str(caught.value) == f"{TODAY_ENV} must be a date (YYYY-MM-DD), not {value!r}"


def test_a_recorded_line_takes_the_pinned_day_and_the_real_time(tmp_path: Path) -> None:
    store = tmp_path / "ledger.sqlite"
    days = {real_now().date()}
    run = run_cli(store, "partner", "add", "acme", "--name", "Acme", env={TODAY_ENV: "2027-06-01"})
    days.add(real_now().date())  # midnight may pass meanwhile
    assert run.code == 0, run.err
    [event] = export_events(store)
    assert event["occurred_on"] == "2027-06-01"
    # Recorded on the real day (by the other process's clock), not the pinned one.
    assert datetime.fromisoformat(event["recorded_at"]).astimezone(UTC).date() in days
    # "Tomorrow" is the pinned day's tomorrow, whatever the real one is.
    revenue = '{"type": "revenue_recorded", "partnership": "acme", "period": "2027-05", '
    for day, code in (("2027-06-03", 1), ("2027-06-02", 0)):
        line = revenue + f'"amount": 1, "occurred_on": "{day}"}}\n'
        run = run_cli(store, "record", stdin=line, env={TODAY_ENV: "2027-06-01"})
        assert run.code == code, (day, run)
        assert ("in the future" in run.err) == (code == 1), run.err


def test_the_default_as_of_is_the_pinned_day(tmp_path: Path) -> None:
    store = tmp_path / "ledger.sqlite"
    assert run_cli(store, "record", stdin=REGISTER + "\n").code == 0
    run = run_cli(store, "report", env={TODAY_ENV: "2030-01-01"})
    assert run.code == 0, run.err
    assert run.out.startswith("as of 2030-01-01:"), run.out
    # The test helpers pin the tests' day unless told otherwise.
    assert invoke(store, "report").out.startswith(f"as of {TODAY.isoformat()}:")


def test_unset_it_is_the_real_day(tmp_path: Path) -> None:
    store = tmp_path / "ledger.sqlite"
    days = {datetime.now().astimezone().date().isoformat()}
    run = run_cli(store, "record", stdin=REGISTER + "\n", env={TODAY_ENV: None})
    days.add(datetime.now().astimezone().date().isoformat())  # midnight may pass meanwhile
    assert run.code == 0, run.err
    assert export_events(store)[0]["occurred_on"] in days


@pytest.mark.parametrize("args", [["record"], ["report"], []])
def test_a_malformed_day_stops_every_command_at_start(tmp_path: Path, args: list[str]) -> None:
    store = tmp_path / "ledger.sqlite"
    run = run_cli(store, *args, stdin=REGISTER + "\n", env={TODAY_ENV: "next monday"})
    assert run.code == 2
    assert run.err == f"trustledger: {TODAY_ENV} must be a date (YYYY-MM-DD), not 'next monday'\n"
    assert run.out == ""
    assert_no_traceback(run)
    assert not store.exists()  # nothing recorded, nothing created


def test_the_service_on_the_system_clock_records_on_the_pinned_day(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TODAY_ENV, PINNED.isoformat())
    service = LedgerService.for_url(str(tmp_path / "ledger.sqlite"))
    assert isinstance(service.clock, SystemClock)
    before = real_now()
    assert service.record(located_lines("t", [REGISTER])).recorded == 1
    [event] = list(service.events())
    assert event.occurred_on == PINNED
    assert before <= event.recorded_at <= real_now()
    assert json.loads(invoke(tmp_path / "ledger.sqlite", "export").out)["occurred_on"] == (
        PINNED.isoformat()
    )
