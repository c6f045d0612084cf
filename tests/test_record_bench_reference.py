"""The append benchmark's reference: the library's save of *the same events*.

``benchmarks/record_bench.py --append-to`` compares an append with the library's batched
save of the same events. Its claim is that the library's events take the keys the ledger's
take (the partnerships' handles at their next versions) in the same table, so that both
write to the same places of the same indexes. This checks that claim on a small store: a
reference that wrote elsewhere (new aggregates with random ids, as the benchmark's other
line does) would make an append look slower than it is.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

from trustledger.domain.ledger import Ledger, located_lines
from trustledger.domain.store import parse_store_url

from benchmarks.record_bench import library_save, library_save_same
from benchmarks.synthetic import synthetic_lines

HANDLES = ["p00000", "p00001", "p00002"]


def _copy(source: Path, target: Path) -> None:
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


def _rows_after(path: Path, position: int) -> list[tuple[str, int, str]]:
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute(
            "SELECT originator_id, originator_version, topic FROM stored_events "
            "WHERE rowid > ? ORDER BY rowid",
            (position,),
        ).fetchall()


def _env(path: Path) -> dict[str, str]:
    return {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": str(path),
        "ORIGINATOR_ID_TYPE": "text",
    }


def test_the_library_reference_saves_the_same_events_at_the_same_keys(tmp_path: Path) -> None:
    ours = tmp_path / "ours.sqlite"
    with Ledger(parse_store_url(str(ours)), create=True) as ledger:
        assert ledger.record(located_lines("seed", synthetic_lines(3, 12))).ok
        before = ledger.max_position()
    same, new = tmp_path / "same.sqlite", tmp_path / "new.sqlite"
    _copy(ours, same)
    _copy(ours, new)
    lines = [
        json.dumps({"type": "revenue_recorded", "partnership": handle, "period": "2026-10",
                    "amount": 10 + n, "occurred_on": "2026-11-14"})
        for n, handle in enumerate([*HANDLES, HANDLES[1], HANDLES[1], HANDLES[0]])
    ]  # fmt: skip

    with Ledger(parse_store_url(str(ours))) as ledger:
        assert ledger.record(located_lines("append", lines)).ok
    seconds, opening = library_save_same(lines, _env(same), batch=4)
    library_save(lines, _env(new), batch=4)

    recorded = _rows_after(ours, before)
    theirs = _rows_after(same, before)
    assert seconds > 0 and opening > 0
    # The same keys: each partnership's next versions (each side saves a partnership's
    # events together, the library a batch of lines at a time).
    keys = sorted((h, v) for h, v, _ in recorded)
    assert sorted((h, v) for h, v, _ in theirs) == keys
    assert keys == [("p00000", 13), ("p00000", 14), ("p00001", 13), ("p00001", 14),
                    ("p00001", 15), ("p00002", 13)]  # fmt: skip
    # Saved by the library's own aggregate and mapper, not by the ledger.
    assert {topic for _, _, topic in theirs} == {
        "benchmarks.record_bench:AppendedPartnership.Recorded"
    }
    assert {topic for _, _, topic in recorded} == {"revenue_recorded"}
    # The other line of the benchmark saves new aggregates: keys the store did not hold.
    elsewhere = _rows_after(new, before)
    assert len(elsewhere) == len(lines)
    assert not {h for h, _, _ in elsewhere} & set(HANDLES)
