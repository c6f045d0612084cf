"""A large ``record`` into PostgreSQL finishes, and a kill -9 during it leaves 0 or all lines.

The library saves a whole input as one pipelined statement; from about 25,000 events the
client and the server both waited on full socket buffers forever (psycopg issue 685). The
ledger now saves in bounded chunks inside one transaction. 30,000 lines hung before.
"""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

import psycopg
import pytest

from benchmarks.synthetic import synthetic_lines
from tests.chaos_support import pg_save_in_progress
from tests.cli_helpers import TRUSTLEDGER, cli_env, run_cli
from tests.store_backends import EVENTS_TABLE

pytestmark = pytest.mark.postgres

PARTNERSHIPS, EVENTS_EACH = 300, 100  # 30,000 lines


def stored_count(url: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(f"SELECT count(*) FROM {EVENTS_TABLE}").fetchone()
    return int(row[0]) if row else 0


def test_kill_during_a_large_record_leaves_nothing_or_everything(
    postgres_url: str, tmp_path: Path
) -> None:
    source = tmp_path / "large.ndjson"
    source.write_text("\n".join(synthetic_lines(PARTNERSHIPS, EVENTS_EACH)) + "\n")
    total = PARTNERSHIPS * EVENTS_EACH
    with open(tmp_path / "out", "wb") as out, open(tmp_path / "err", "wb") as err:
        proc = subprocess.Popen(
            [str(TRUSTLEDGER), "--store", postgres_url, "record", str(source)],
            stdout=out,
            stderr=err,
            env=cli_env(postgres_url),
        )
        try:
            deadline = time.monotonic() + 300
            caught_saving = False
            while proc.poll() is None and time.monotonic() < deadline:
                if pg_save_in_progress(postgres_url):
                    caught_saving = proc.poll() is None
                    break
                time.sleep(0.005)
        finally:
            proc.kill()  # SIGKILL: no cleanup of any kind in the client
            proc.wait()
    assert caught_saving, "the record process was not caught inside its save"
    assert stored_count(postgres_url) in (0, total)

    # The same input again completes (it hung inside the save before) and leaves every line.
    run = run_cli(postgres_url, "record", str(source), timeout=600)
    assert run.code == 0, run.err
    assert stored_count(postgres_url) == total
    counts = re.fullmatch(r"recorded (\d+), already recorded (\d+)\n", run.out)
    assert counts and int(counts[1]) + int(counts[2]) == total, run.out
