"""Today's report read from the shared read model's view rows (``projections/report.py``,
``LedgerService.report``, ``LedgerService.listed``) without making a view: the same rows as
a replay, value for value, whatever the configuration (concentration alerts come and go with
it), with events recorded after the read model and with a row whose tail has another shape
(which sends the report through the ledger's start and gets sound rows stored again); the
same table and the same alerts (``check``) as a replay's. When the rows hold every event,
the ledger is not opened: the report, as JSON or as a table, loads neither the event
library nor pydantic."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from trustledger.domain.ledger import Ledger, located_lines
from trustledger.projections import ModelConfig, replay, report_rows
from trustledger.projections.persist import BadStateData
from trustledger.projections.stored_views import StoredView, stored_view
from trustledger.tui.cli.report import print_report_table
from trustledger.tui.service.ledger_service import LedgerService

from tests.cli_helpers import cli_env
from tests.samples import RECORDED, SAMPLE_EVENTS, TODAY, record_samples
from tests.test_audit_log import BATCH_1
from tests.test_lean_views import damage, lean_start
from tests.test_stored_views import body_of, glanced, with_tail
from tests.test_tui_support import CLOCK

#: The default limit, and one low enough that most partnerships carry a concentration alert.
CONFIGS = [ModelConfig(), ModelConfig(concentration_share=0.05)]


def replayed(store, config: ModelConfig) -> list[dict]:
    return report_rows(replay(list(Ledger(store).iter_events(trusted=True)), TODAY, config=config))


def reported(store, config: ModelConfig) -> list[dict]:
    return LedgerService(store, clock=CLOCK).report(TODAY, None, config)


@pytest.mark.parametrize("config", CONFIGS, ids=["default", "low concentration limit"])
def test_todays_report_from_view_rows_is_the_report_of_a_replay(sample_store, config):
    LedgerService(sample_store, clock=CLOCK).rebuild(config)
    expected = replayed(sample_store, config)
    kinds = [alert["kind"] for row in expected for alert in row["alert_details"]]
    assert len(set(kinds)) > 2
    assert kinds.count("concentration") >= (2 if config.concentration_share < 0.1 else 1)
    assert reported(sample_store, config) == expected
    alerts = LedgerService(sample_store, clock=CLOCK).alerts(TODAY, config)
    assert alerts == replay(list(Ledger(sample_store).iter_events()), TODAY, config=config).alerts


def test_a_glance_tells_whether_the_view_rows_hold_every_event(store_url):
    """On either backend: the newest position read after the rows is theirs until another
    event is recorded; the report is a replay's either way."""
    store = record_samples(store_url)
    service = LedgerService(store, clock=CLOCK)
    service.rebuild(ModelConfig())
    seen = service.glance()
    assert seen.newest == seen.position == SAMPLE_EVENTS
    assert reported(store, ModelConfig()) == replayed(store, ModelConfig())
    lines = located_lines("new.ndjson", [json.dumps(line) for line in BATCH_1])
    with Ledger(store, clock=lambda: RECORDED) as ledger:
        assert ledger.record(lines).ok
    seen = service.glance()
    assert seen.position == SAMPLE_EVENTS and seen.newest == SAMPLE_EVENTS + len(BATCH_1)
    assert reported(store, ModelConfig()) == replayed(store, ModelConfig())


def test_report_rows_from_a_follower_of_view_rows_make_no_view(sample_store):
    follower = glanced(sample_store)
    portfolio = follower.view(TODAY)
    rows = report_rows(portfolio)
    held = portfolio.unshared().values()
    assert rows == replayed(sample_store, ModelConfig())
    assert all(isinstance(view, StoredView) and not view.is_made for view in held)


def test_report_rows_mix_made_views_and_view_rows(sample_store):
    follower = glanced(sample_store)
    portfolio = follower.view(TODAY)
    assert portfolio.get("northwind") is not None  # its view made, the others not
    assert report_rows(portfolio) == replayed(sample_store, ModelConfig())


def test_todays_report_after_new_events_folds_them_and_stores_the_views(sample_store):
    LedgerService(sample_store, clock=CLOCK).rebuild(ModelConfig())
    before = {row["partnership"]: row for row in replayed(sample_store, ModelConfig())}
    # New partnerships, and revenue that moves an existing one's figures and every share.
    revenue = {
        "type": "revenue_recorded",
        "partnership": "northwind",
        "period": "2026-10",
        "amount": 5_000_000,
        "occurred_on": "2026-11-14",
    }
    lines = located_lines("new.ndjson", [json.dumps(line) for line in [*BATCH_1, revenue]])
    with Ledger(sample_store, clock=lambda: RECORDED) as ledger:
        assert ledger.record(lines).ok
    expected = replayed(sample_store, ModelConfig())
    assert "acme" in [row["partnership"] for row in expected]
    northwind = next(row for row in expected if row["partnership"] == "northwind")
    assert northwind["revenue_share"] != before["northwind"]["revenue_share"]
    assert "concentration" in [alert["kind"] for alert in northwind["alert_details"]]
    assert reported(sample_store, ModelConfig()) == expected
    found = lean_start(sample_store)  # the views were moved on to the store's end
    assert found.follower is not None
    with Ledger(sample_store) as ledger:
        assert found.follower.last_position == ledger.max_position()


@pytest.mark.parametrize(
    "tail",
    [
        b"[1, 2, 3]",
        b"[[], [], [], []]",
        b'[[], [], [["trust_drop", "northwind", 7, null, null]], []]',
    ],
    ids=["short list", "counts disagree", "message not text"],
)
@pytest.mark.parametrize("alerts", [False, True], ids=["report", "alerts"])
def test_a_row_with_a_tail_of_another_shape_is_reported_from_the_ledger_and_stored_again(
    sample_store, tail, alerts
):
    LedgerService(sample_store, clock=CLOCK).rebuild(ModelConfig())
    body = with_tail(body_of(sample_store, "northwind"), tail)
    with pytest.raises(BadStateData):
        stored_view(body).report_parts()
    damage(sample_store, "northwind", body)
    assert lean_start(sample_store).follower is None
    if alerts:
        found = LedgerService(sample_store, clock=CLOCK).alerts(TODAY, ModelConfig())
        events = list(Ledger(sample_store).iter_events())
        assert found == replay(events, TODAY).alerts
    else:
        assert reported(sample_store, ModelConfig()) == replayed(sample_store, ModelConfig())
    assert lean_start(sample_store).follower is not None  # sound rows stored again


def test_the_parts_a_report_reads_are_the_same_before_and_after_the_view_is_made(sample_store):
    LedgerService(sample_store, clock=CLOCK).rebuild(ModelConfig())
    alerted = 0
    for row in replayed(sample_store, ModelConfig()):
        stored = stored_view(body_of(sample_store, row["partnership"]))
        before = stored.report_parts()
        stored.made()
        assert stored.report_parts() == before
        stored_alerts = [a["message"] for a in row["alert_details"] if a["kind"] != "concentration"]
        assert [alert[2] for alert in before.alerts] == stored_alerts  # shares are not stored
        alerted += bool(before.alerts)
    assert alerted


# Runs the report through the console script's entry point, then tells which modules it loaded.
PROBE = """
import json, sys
from trustledger.tui.console import main
sys.argv = ["trustledger", "--store", sys.argv[1], "report", "--format", sys.argv[2]]
try:
    main()
except SystemExit:
    pass
sys.stdout.flush()
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


@pytest.mark.parametrize("fmt", ["json", "table"])
def test_a_report_from_current_view_rows_opens_no_ledger(sample_store, fmt):
    LedgerService(sample_store, clock=CLOCK).rebuild(ModelConfig())
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(sample_store.path), fmt],
        capture_output=True,
        text=True,
        env=cli_env(sample_store.path),
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    if fmt == "json":
        assert json.loads(done.stdout) == replayed(sample_store, ModelConfig())
    else:
        assert done.stdout.count("\n") == 5 + len(replayed(sample_store, ModelConfig()))
    modules = json.loads(done.stderr.splitlines()[-1])
    assert "trustledger.domain.ledger" not in modules
    assert not [name for name in modules if name.split(".")[0] in ("eventsourcing", "pydantic")]


def test_todays_table_from_view_rows_is_the_table_of_a_replay(sample_store, capsys):
    LedgerService(sample_store, clock=CLOCK).rebuild(ModelConfig())
    events = list(Ledger(sample_store).iter_events(trusted=True))
    print_report_table(replay(events, TODAY))
    expected = capsys.readouterr().out
    listed = LedgerService(sample_store, clock=CLOCK).listed(TODAY, None, ModelConfig())
    print_report_table(listed)
    assert capsys.readouterr().out == expected
    held = listed.unshared().values()
    assert all(isinstance(view, StoredView) and not view.is_made for view in held)
