"""Many ``trustledger record`` processes on one store at once (docs/CONTRACT.md: "each records
all its lines or none, and none is lost"), on SQLite and on a real PostgreSQL server.

The writers are real OS processes. Each is started with its input held back on a pipe;
once every process is up (past its imports, waiting on stdin) all pipes are closed
together, so the writers really do contend for the same partnership at the same moment.
"""

from __future__ import annotations

import json
from collections import Counter
from contextlib import ExitStack
from pathlib import Path
from tempfile import TemporaryFile
from typing import Any

import pytest

from tests.cli_helpers import (
    Run,
    assert_no_traceback,
    error_lines,
    export_events,
    invoke,
    ndjson,
    start_cli,
)
from tests.store_backends import is_postgres

WRITERS = 4
PER_WRITER = 50


def registration(handle: str) -> dict:
    return {
        "type": "partnership_registered",
        "partnership": handle,
        "name": handle.title(),
        "occurred_on": "2025-01-01",
        "id": f"{handle}-reg",
    }


def commitments(handle: str, writer: str, count: int) -> list[dict]:
    return [
        {
            "type": "commitment_made",
            "partnership": handle,
            "commitment": f"{writer}-c{i:03d}",
            "by": "us" if i % 2 else "partner",
            "summary": f"Commitment {i} of {writer}",
            "due": "2026-01-01",
            "occurred_on": "2025-02-01",
            "id": f"{writer}-{i:03d}",
        }
        for i in range(count)
    ]


def run_together(store: str | Path, inputs: list[str]) -> list[tuple[int, str, str]]:
    """Start one ``record`` process per input, release them at once, collect the results."""
    with ExitStack() as stack:
        outputs = [
            (stack.enter_context(TemporaryFile()), stack.enter_context(TemporaryFile()))
            for _ in inputs
        ]
        procs = [start_cli(store, "record", stdout=o, stderr=e) for o, e in outputs]
        try:
            for proc, text in zip(procs, inputs, strict=True):
                assert proc.stdin is not None
                proc.stdin.write(text.encode())
                proc.stdin.flush()
            for proc in procs:  # the release: each reads stdin to its end, then records
                assert proc.stdin is not None
                proc.stdin.close()
            for proc in procs:
                proc.wait(timeout=120)
        finally:
            for proc in procs:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
        results = []
        for proc, (out, err) in zip(procs, outputs, strict=True):
            out.seek(0)
            err.seek(0)
            results.append((proc.returncode, out.read().decode(), err.read().decode()))
        return results


def ids_in(store: str | Path) -> Counter[str]:
    return Counter(event["id"] for event in export_events(store))


def test_four_writers_on_one_partnership(store_url: str) -> None:
    store = store_url
    assert invoke(store, "record", stdin=ndjson([registration("shared")])).code == 0
    inputs = [ndjson(commitments("shared", f"w{n}", PER_WRITER)) for n in range(WRITERS)]

    results = run_together(store, inputs)

    for code, out, err in results:
        assert (code, out, err) == (0, f"recorded {PER_WRITER}, already recorded 0\n", "")
    counts = ids_in(store)
    expected = {"shared-reg"} | {f"w{n}-{i:03d}" for n in range(WRITERS) for i in range(PER_WRITER)}
    assert set(counts) == expected
    assert set(counts.values()) == {1}
    # The partnership's own history is gap-free: versions 1..N, one event each.
    history = json.loads(invoke(store, "history", "shared", "--format", "json").out)
    assert [row["version"] for row in history] == list(range(1, WRITERS * PER_WRITER + 2))
    # Each writer's lines went in as one block: all or nothing, in the input's order.
    positions = {row["id"]: row["position"] for row in history}
    for n in range(WRITERS):
        mine = [positions[f"w{n}-{i:03d}"] for i in range(PER_WRITER)]
        assert mine == list(range(mine[0], mine[0] + PER_WRITER))


def test_two_writers_with_the_same_input(store_url: str) -> None:
    store = store_url
    assert invoke(store, "record", stdin=ndjson([registration("twice")])).code == 0
    lines = commitments("twice", "same", PER_WRITER)

    results = run_together(store, [ndjson(lines)] * 2)

    recorded = already = 0
    for code, out, err in results:
        assert code == 0 and err == "", (code, out, err)
        words = out.replace(",", "").split()
        assert words[0] == "recorded" and words[2:4] == ["already", "recorded"], out
        recorded += int(words[1])
        already += int(words[4])
        assert int(words[1]) + int(words[4]) == PER_WRITER
    assert (recorded, already) == (PER_WRITER, PER_WRITER)
    counts = ids_in(store)
    assert len(counts) == PER_WRITER + 1 and set(counts.values()) == {1}


def test_a_retry_racing_the_original_counts_as_already_recorded(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The interleaving behind the test above, made deterministic in-process: the other
    writer records the same lines after this one has looked up their ids but before it
    has loaded the partnership. It must decide again ("already recorded"), not reject its
    lines because their commitments now exist."""
    from trustledger.domain.ledger import Ledger, located_lines
    from trustledger.domain.store import parse_store_url

    assert invoke(store_url, "record", stdin=ndjson([registration("race")])).code == 0
    lines = ndjson(commitments("race", "same", 3)).splitlines()
    store = parse_store_url(store_url)
    others: list[tuple[int, int, list[str]]] = []
    with Ledger(store) as first:
        find_ids = first.backend.find_ids

        def find_ids_then_let_the_other_writer_in(ids: list[str]) -> Any:
            found = find_ids(ids)
            if not others:
                with Ledger(store) as other:
                    done = other.record(located_lines("other", lines))
                others.append((done.recorded, done.already, done.errors))
            return found

        monkeypatch.setattr(first.backend, "find_ids", find_ids_then_let_the_other_writer_in)
        result = first.record(located_lines("first", lines))
    assert others == [(3, 0, [])]
    assert (result.recorded, result.already, result.errors) == (0, 3, [])
    counts = ids_in(store_url)
    assert len(counts) == 4 and set(counts.values()) == {1}


def test_writers_creating_the_store_at_once(store_url: str, tmp_path: Path) -> None:
    """No store yet: every writer creates it (SQLite: the file; PostgreSQL: the tables, in an
    empty database) at the same moment, and none fails."""
    store = store_url if is_postgres(store_url) else tmp_path / "ledger.sqlite"
    inputs = [
        ndjson([registration(f"p{n}"), *commitments(f"p{n}", f"p{n}w", 5)]) for n in range(WRITERS)
    ]
    results = run_together(store, inputs)
    for code, out, err in results:
        assert (code, out, err) == (0, "recorded 6, already recorded 0\n", "")
    assert len(ids_in(store)) == WRITERS * 6


@pytest.mark.parametrize("round_", range(2))
def test_rejected_writers_on_a_new_store_lose_nothing_of_a_good_one(
    store_url: str, tmp_path: Path, round_: int
) -> None:
    """A rejected input must not create (or remove) the store while another writer is
    creating it and recording: the good writer's events are all there afterwards."""
    if is_postgres(store_url):
        store: str | Path = store_url
    else:
        (tmp_path / f"round{round_}").mkdir()
        store = tmp_path / f"round{round_}" / "ledger.sqlite"
    good = ndjson([registration("good"), *commitments("good", "g", 10)])
    bad = ndjson([{**registration("bad"), "name": ""}])
    results = run_together(store, [bad, good, bad])
    assert results[1] == (0, "recorded 11, already recorded 0\n", ""), results[1]
    for code, out, err in (results[0], results[2]):
        assert code == 1 and out == "" and err.startswith("stdin:1: name: "), (code, out, err)
    assert set(ids_in(store)) == {"good-reg"} | {f"g-{i:03d}" for i in range(10)}


def test_a_rejected_record_leaves_alone_a_store_another_writer_opened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The interleaving behind the test above, made deterministic in-process: while a
    rejected ``record`` runs on a store that does not exist yet, another writer opens
    (creates) that store; it records after the rejected one has finished. Nothing of what
    it records may be lost."""
    from trustledger.domain.ledger import Ledger, located_lines
    from trustledger.domain.store import parse_store_url

    store = tmp_path / "ledger.sqlite"
    other: list[Ledger] = []
    original_close = Ledger.close

    def close_and_let_another_writer_in(self: Ledger) -> None:
        original_close(self)
        if not other:  # once, while the rejected record is still running
            other.append(Ledger(parse_store_url(str(store)), create=True))

    monkeypatch.setattr(Ledger, "close", close_and_let_another_writer_in)
    run = invoke(store, "record", stdin=ndjson([{**registration("bad"), "name": ""}]))
    assert run.code == 1 and run.err.startswith("stdin:1: name: ")
    monkeypatch.setattr(Ledger, "close", original_close)

    assert other, "the rejected record never opened a ledger"
    with other[0] as writer:
        good = ndjson([registration("good"), *commitments("good", "g", 3)]).splitlines()
        result = writer.record(located_lines("other", good))
    assert (result.recorded, result.errors) == (4, [])
    assert set(ids_in(store)) == {"good-reg", "g-000", "g-001", "g-002"}


def test_a_rejected_writer_records_nothing_while_others_record(store_url: str) -> None:
    store = store_url
    assert invoke(store, "record", stdin=ndjson([registration("mixed")])).code == 0
    good = [ndjson(commitments("mixed", f"ok{n}", 20)) for n in range(3)]
    bad_lines = commitments("mixed", "bad", 20)
    bad_lines[-1]["weight"] = 9
    results = run_together(store, [*good, ndjson(bad_lines)])

    for code, out, err in results[:3]:
        assert (code, out, err) == (0, "recorded 20, already recorded 0\n", "")
    code, out, err = results[3]
    assert code == 1 and out == ""
    assert_no_traceback(Run(code, out, err))
    assert [e.split(": ")[:2] for e in error_lines(err, "stdin")] == [["stdin:20", "weight"]]
    counts = ids_in(store)
    assert not any(i.startswith("bad-") for i in counts)
    assert len(counts) == 1 + 3 * 20 and set(counts.values()) == {1}


@pytest.mark.parametrize("writers", [2])
def test_audit_chain_intact_after_concurrent_writes(store_url: str, writers: int) -> None:
    """The hash chain survives racing writers (``audit verify``, when the command exists)."""
    if invoke(None, "audit", "verify", "--help").code != 0:
        pytest.skip("no `audit verify` command in this build")
    store = store_url
    assert invoke(store, "record", stdin=ndjson([registration("chain")])).code == 0
    inputs = [ndjson(commitments("chain", f"c{n}", 25)) for n in range(writers)]
    assert all(code == 0 for code, _, _ in run_together(store, inputs))
    run = invoke(store, "audit", "verify")
    assert run.code == 0, run
