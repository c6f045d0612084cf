"""A page-damaged SQLite file: refused for writing, reported by ``audit verify``, and a
one-line store error (exit 2) for every reading command.

The damage is real: 200 bytes flipped across the pages of a copy of a recorded store (the
header page spared, so that it is still recognisably an SQLite file). Before, ``record``
still wrote into it and reading commands ended in "unexpected error: DatabaseError".
"""

from __future__ import annotations

import hashlib
import random
import re
import threading
from pathlib import Path

import pytest
from trustledger.domain.errors import StoreDamaged
from trustledger.domain.ledger import Ledger, Located, located_lines
from trustledger.domain.store import parse_store_url

from benchmarks.synthetic import synthetic_lines
from tests.cli_helpers import assert_no_traceback, run_cli

PAGE = 4096
READING = [
    ("report", "--as-of", "2026-11-20"),
    ("report", "--format", "json"),
    ("export",),
    ("history", "p00003"),
    ("audit", "log"),
    ("check",),
]


@pytest.fixture(scope="module")
def damaged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("damaged")
    store = directory / "ledger.sqlite"
    source = directory / "input.ndjson"
    source.write_text("\n".join(synthetic_lines(20, 100)) + "\n")
    run = run_cli(store, "record", str(source))
    assert run.code == 0, run.err
    data = bytearray(store.read_bytes())
    rng = random.Random(20261202)
    for _ in range(200):
        data[rng.randrange(PAGE, len(data))] ^= 0xFF
    store.write_bytes(bytes(data))
    return store


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def one_error_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert "unexpected error" not in lines[0]
    return lines[0]


def test_audit_verify_reports_the_damaged_file_as_a_verdict(damaged: Path) -> None:
    run = run_cli(damaged, "audit", "verify")
    assert run.code == 1
    assert_no_traceback(run)
    line = one_error_line(run.err)
    assert "damaged" in line and re.search(r"page \d+", line), line


def test_record_refuses_to_write_into_a_damaged_file(damaged: Path) -> None:
    before = digest(damaged)
    new = '{"type": "partnership_registered", "partnership": "fresh", "name": "Fresh"}\n'
    run = run_cli(damaged, "record", stdin=new)
    assert run.code == 2
    assert_no_traceback(run)
    assert "damaged" in one_error_line(run.err)
    assert digest(damaged) == before


@pytest.mark.parametrize("args", READING, ids=" ".join)
def test_reading_commands_give_one_store_error(damaged: Path, args: tuple[str, ...]) -> None:
    run = run_cli(damaged, *args)
    assert run.code == 2
    assert_no_traceback(run)
    assert str(damaged) in one_error_line(run.err)


def test_the_check_beside_the_deciding_refuses_the_write(damaged: Path) -> None:
    """In process: the quick_check that runs while the lines are decided is the one that
    refuses the write; a record whose input is refused leaves it to ``close``, which ends
    it (no check thread outlives the ledger)."""
    before = digest(damaged)
    fresh = '{"type": "partnership_registered", "partnership": "fresh", "name": "Fresh"}'
    unknown = '{"type": "review_held", "partnership": "nobody", "scores": {"risk": 3}}'
    ledger = Ledger(parse_store_url(str(damaged)))
    try:
        refused = ledger.record([Located("-", 1, unknown)])
        assert not refused.ok
        with pytest.raises(StoreDamaged):
            ledger.record([Located("-", 1, fresh)])
    finally:
        ledger.close()
    assert not [t for t in threading.enumerate() if t.name == "trustledger-quick-check"]
    assert digest(damaged) == before


def test_close_ends_a_check_no_record_waits_for(tmp_path: Path) -> None:
    store = tmp_path / "ledger.sqlite"
    with Ledger(parse_store_url(str(store)), create=True) as ledger:
        assert ledger.record(located_lines("in", synthetic_lines(5, 10))).ok
    ledger = Ledger(parse_store_url(str(store)))
    refused = ledger.record([Located("-", 1, '{"type": "nothing"}')])
    assert not refused.ok
    ledger.close()
    assert not [t for t in threading.enumerate() if t.name == "trustledger-quick-check"]
