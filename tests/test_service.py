"""The application service on its own: opening stores, the scrubber, paging, recording with
structured errors, the configuration, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from trustledger.domain.errors import LineError, StoreError, StoreMissing
from trustledger.domain.paging import pages
from trustledger.tui.service.clock import FixedClock
from trustledger.tui.service.config import ConfigError, load_model_config
from trustledger.tui.service.ledger_service import LedgerService
from trustledger.tui.service.recording import LineRejected, located_lines
from trustledger.tui.service.stores import StoreConfig, opened, parse_store_url, scrub

CLOCK = FixedClock(datetime(2026, 11, 20, 12, 0, tzinfo=UTC))

LINES = [
    '{"type": "partnership_registered", "partnership": "acme", "name": "Acme",'
    ' "occurred_on": "2025-01-01"}',
    *[
        f'{{"type": "revenue_recorded", "partnership": "acme", "period": "2025-{m:02d}",'
        f' "amount": {m}, "occurred_on": "2025-06-01"}}'
        for m in range(1, 7)
    ],
]


def test_scrub_masks_the_password_and_keeps_one_line() -> None:
    store = parse_store_url("postgresql://me:s3cr3t@db.example:5432/ledger")
    assert scrub("cannot reach: s3cr3t refused\nDETAIL: s3cr3t", store) == (
        "cannot reach: *** refused"
    )
    assert "s3cr3t" not in store.display and "s3cr3t" not in repr(store)


def test_a_missing_store_is_not_created(tmp_path: Path) -> None:
    service = LedgerService(StoreConfig(kind="sqlite", path=tmp_path / "none.sqlite"))
    with pytest.raises(StoreMissing):
        service.check()
    with pytest.raises(StoreMissing):
        list(service.events())
    assert not (tmp_path / "none.sqlite").exists()


def test_an_unreachable_server_is_one_scrubbed_line() -> None:
    service = LedgerService.for_url("postgresql://me:s3cr3t-pw@127.0.0.1:1/nodb")
    with pytest.raises(StoreError) as caught:
        service.check()
    message = str(caught.value)
    assert "s3cr3t-pw" not in message and len(message.splitlines()) == 1
    assert message.startswith("cannot reach postgresql://me@127.0.0.1:1/nodb")


def test_record_page_and_read_back(store_url: str) -> None:
    service = LedgerService.for_url(store_url, clock=CLOCK)
    result = service.record(located_lines("t", LINES))
    assert (result.recorded, result.already, result.errors) == (7, 0, [])
    events = list(service.events())
    assert [e.version for e in events] == list(range(1, 8))
    assert {e.recorded_at for e in events} == {CLOCK.now()}
    with opened(service.store) as ledger:
        sizes = [len(batch) for batch in pages(ledger.read, 0, 3)]
        after_five = [
            e.version for batch in pages(ledger.read, events[4].position, 3) for e in batch
        ]
    assert sizes == [3, 3, 1]
    assert after_five == [6, 7]
    assert [line["period"] for line in service.export("acme") if "period" in line] == [
        f"2025-{m:02d}" for m in range(1, 7)
    ]


def test_record_errors_are_data(store_url: str) -> None:
    service = LedgerService.for_url(store_url, clock=CLOCK)
    bad = [
        LINES[0],
        '{"type": "commitment_made", "partnership": "acme", "commitment": "c",'
        ' "by": "them", "summary": "s", "due": "2025-02-01", "weight": 9}',
        '{"type": "commitment_kept", "partnership": "acme", "commitment": "nope"}',
        "[",
    ]
    result = service.record(located_lines("in", bad))
    assert not result.ok and result.bad_lines == 3
    assert [(e.line, e.field) for e in result.errors] == [
        (2, "by"),
        (2, "weight"),
        (3, "commitment"),
        (4, None),
    ]
    assert all(isinstance(e, LineError) and e.source == "in" for e in result.errors)
    if service.store.kind == "sqlite":
        with pytest.raises(StoreMissing):
            service.check()  # nothing was recorded: a new SQLite store was not even created
    else:
        assert list(service.events()) == []


def test_values_and_the_recorder(store_url: str) -> None:
    service = LedgerService.for_url(store_url, clock=CLOCK)
    assert service.record(located_lines("t", LINES[:1])).ok
    with pytest.raises(LineRejected) as caught:
        service.check_values({"type": "review_held", "partnership": "acme", "scores": {}}, "f")
    assert [(e.source, e.line, e.field) for e in caught.value.errors] == [("f", 0, "scores")]
    line = service.check_values(
        {"type": "commitment_kept", "partnership": "acme", "commitment": "x"}, "f"
    )
    recorder = service.recorder()
    try:
        result = recorder.record(line, "form")
    finally:
        recorder.close()
    assert result.errors == [
        LineError("form", 0, "commitment", "'x' is not a commitment of 'acme'")
    ]


def test_a_config_that_cannot_be_used_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[model]\nhalf_life_days = 'long'\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_model_config(path)
    assert str(caught.value).startswith(f"config: {path}: model.half_life_days")
    assert len(str(caught.value).splitlines()) == 1
    path.write_text("[model]\nhalf_life_days = 120\n", encoding="utf-8")
    assert load_model_config(path).half_life_days == 120
