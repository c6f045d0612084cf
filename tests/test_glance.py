"""A glance at a store (``domain/glance.py``): the shared read model's view rows read over a
plain connection, on SQLite and on a real PostgreSQL server. What it reads is what the
ledger reads, it refuses what the ledger refuses, a missing store is missing in the
ledger's words, and it writes nothing."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from trustledger.domain.errors import StoreMissing
from trustledger.domain.glance import glance
from trustledger.domain.ledger import Ledger
from trustledger.domain.store import StoreConfig, parse_store_url
from trustledger.projections import ModelConfig
from trustledger.tui.service.readmodel import ReadModel, lean_from_views, model_key

from tests.samples import TODAY, another_store_with_its_read_model, record_samples
from tests.store_backends import is_postgres

CONFIG = ModelConfig()
KEY = model_key(CONFIG)


def rebuilt(url: str) -> StoreConfig:
    """The sample store with its read model and today's view rows."""
    store = record_samples(url)
    with Ledger(store) as ledger:
        ReadModel(ledger, CONFIG).rebuild(as_of=TODAY)
    return store


def test_a_glance_reads_what_the_ledger_reads(store_url: str) -> None:
    store = rebuilt(store_url)
    seen = glance(store)
    found = lean_from_views(seen.views, KEY, seen.link_at, CONFIG, TODAY)
    with Ledger(store) as ledger:
        through = ReadModel(ledger, CONFIG).load_lean(TODAY)
        assert seen.position == ledger.max_position() > 0
        assert seen.link == ledger.link_at(ledger.max_position())
    assert found.reason is None and through.reason is None
    assert found.follower is not None and through.follower is not None
    assert found.follower.last_position == through.follower.last_position
    assert found.follower.view(TODAY) == through.follower.view(TODAY)
    assert len(found.follower.view(TODAY).partnerships) == 10


def test_a_glance_refuses_what_the_ledger_refuses(store_url: str) -> None:
    store = rebuilt(store_url)
    seen = glance(store)
    tomorrow = TODAY + timedelta(days=1)
    other = ModelConfig(half_life_days=90)
    refused = {
        "views of another day": lean_from_views(seen.views, KEY, seen.link_at, CONFIG, tomorrow),
        "another model": lean_from_views(seen.views, model_key(other), seen.link_at, other, TODAY),
    }
    for words, found in refused.items():
        assert found.follower is None and words in (found.reason or ""), found.reason
    # Only the event at the stored position is known to a glance: any other position is not.
    assert seen.position is not None and seen.link_at(seen.position - 1) is None
    assert seen.link_at(0) == ""


def test_a_glance_refuses_another_stores_read_model(tmp_path: Path) -> None:
    first = rebuilt(str(tmp_path / "first.sqlite"))
    seen = glance(another_store_with_its_read_model(first, tmp_path / "second.sqlite"))
    found = lean_from_views(seen.views, KEY, seen.link_at, CONFIG, TODAY)
    assert found.follower is None and "another store" in (found.reason or "")


def test_a_store_without_a_read_model_gives_no_views(store_url: str) -> None:
    seen = glance(record_samples(store_url))
    assert seen.views.meta is None and seen.views.rows == [] and seen.link is None
    found = lean_from_views(seen.views, KEY, seen.link_at, CONFIG, TODAY)
    assert found.follower is None and found.reason == "no read model yet"


def test_a_missing_store_is_missing_in_the_ledgers_words(store_url: str) -> None:
    # A file not there, or a PostgreSQL database with no events table.
    store = parse_store_url(store_url)
    with pytest.raises(StoreMissing) as caught:
        glance(store)
    assert str(caught.value) == f"no ledger at {store.display} (nothing recorded there yet)"
    with pytest.raises(StoreMissing):
        Ledger(store)
    if not is_postgres(store_url):
        assert store.path is not None and not store.path.exists()


def test_a_glance_writes_nothing(tmp_path: Path) -> None:
    store = rebuilt(str(tmp_path / "ledger.sqlite"))
    assert store.path is not None
    before = store.path.read_bytes()
    seen = glance(store)
    assert seen.views.rows
    # SQLite may make the -shm and -wal files any reader of a WAL database needs; no page
    # of the store is written, to the file or to its log.
    assert store.path.read_bytes() == before
    wal = store.path.with_name(store.path.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0
