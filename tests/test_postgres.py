"""PostgreSQL for teams: every command on a real server started by the test suite."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from trustledger.domain.ledger import Ledger
from trustledger.domain.store import parse_store_url

from tests.cli_helpers import TRUSTLEDGER, cli_env
from tests.samples import sample_paths

pytestmark = pytest.mark.postgres

SAMPLES = sample_paths()
CLI = str(TRUSTLEDGER)


def run(*args: str, stdin: str | None = None, env: dict[str, str] | None = None):
    return subprocess.run(
        [CLI, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env=cli_env(None, env),
    )


def export_ids(url: str) -> list[dict]:
    done = run("--store", url, "export")
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_sample_report_is_identical_on_sqlite_and_postgres(postgres_url: str, tmp_path):
    sqlite = str(tmp_path / "ledger.sqlite")
    for url in (sqlite, postgres_url):
        done = run("--store", url, "record", *SAMPLES)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "recorded 381, already recorded 0"
    reports = []
    for url in (sqlite, postgres_url):
        done = run("report", "--store", url, "--as-of", "2026-11-20", "--format", "json")
        assert done.returncode == 0, done.stderr
        reports.append(json.loads(done.stdout))
    assert len(reports[0]) == 10
    assert reports[0] == reports[1]


def test_eight_concurrent_writers_lose_and_duplicate_nothing(postgres_url: str, tmp_path):
    register = json.dumps(
        {
            "type": "partnership_registered",
            "partnership": "shared",
            "name": "Shared",
            "id": "reg",
            "occurred_on": "2025-12-01",
        }
    )
    assert run("--store", postgres_url, "record", stdin=register + "\n").returncode == 0
    files = []
    for writer in range(8):
        lines = [
            json.dumps(
                {
                    "type": "commitment_made",
                    "partnership": "shared",
                    "commitment": f"w{writer}-c{n}",
                    "by": "us",
                    "summary": "deliver",
                    "due": "2026-12-31",
                    "id": f"w{writer}-{n}",
                    "occurred_on": "2026-01-01",
                }
            )
            for n in range(25)
        ]
        # Every writer also records two lines of its own partnership in the same input.
        lines.insert(
            0,
            json.dumps(
                {
                    "type": "partnership_registered",
                    "partnership": f"own{writer}",
                    "name": f"Own {writer}",
                }
            ),
        )
        lines.append(
            json.dumps(
                {
                    "type": "revenue_recorded",
                    "partnership": f"own{writer}",
                    "period": "2026-01",
                    "amount": writer,
                }
            )
        )
        path = tmp_path / f"w{writer}.ndjson"
        path.write_text("\n".join(lines) + "\n")
        files.append(path)
    procs = [
        subprocess.Popen(
            [CLI, "--store", postgres_url, "record", str(f)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=cli_env(postgres_url),
        )
        for f in files
    ]
    outcomes = [p.communicate(timeout=180) for p in procs]
    for proc, (out, err) in zip(procs, outcomes, strict=True):
        assert proc.returncode == 0, err
        assert out.strip() == "recorded 27, already recorded 0"
    events = export_ids(postgres_url)
    ids = [e["id"] for e in events]
    assert len(ids) == len(set(ids)) == 1 + 8 * 27
    shared = [e for e in events if e["partnership"] == "shared"]
    assert {e["commitment"] for e in shared[1:]} == {
        f"w{w}-c{n}" for w in range(8) for n in range(25)
    }
    with Ledger(parse_store_url(postgres_url)) as ledger:
        versions = [e.version for e in ledger.history("shared")]
    assert versions == list(range(1, 1 + 8 * 25 + 1))


def test_migrate_round_trip_sqlite_postgres_sqlite(postgres_url: str, tmp_path):
    first, back = str(tmp_path / "first.sqlite"), str(tmp_path / "back.sqlite")
    assert run("--store", first, "record", *SAMPLES).returncode == 0
    to_pg = run("--store", first, "migrate", "--to", postgres_url)
    assert to_pg.returncode == 0, to_pg.stderr
    assert to_pg.stdout.startswith("copied 381, already there 0")
    to_sqlite = run("--store", postgres_url, "migrate", "--to", back)
    assert to_sqlite.returncode == 0, to_sqlite.stderr
    original = export_ids(first)
    assert export_ids(postgres_url) == original
    assert export_ids(back) == original
    assert run("--store", back, "audit", "verify").returncode == 0
    assert run("--store", postgres_url, "audit", "verify").returncode == 0


def saved_states(url: str) -> dict[str, tuple[int, bytes]]:
    """Each partnership's saved decision state at its newest event, as stored."""
    with Ledger(parse_store_url(url)) as ledger:
        found = ledger.backend.decisions(ledger.handles())
    return {handle: (version, state) for handle, (version, state, _) in found.items()}


def test_migrate_copies_the_saved_decision_states(postgres_url: str, tmp_path):
    """The target decides its next append from the states, as the source would, instead of
    reading every partnership's history: they come across byte for byte, both ways."""
    first, back = str(tmp_path / "first.sqlite"), str(tmp_path / "back.sqlite")
    assert run("--store", first, "record", *SAMPLES).returncode == 0
    original = saved_states(first)
    assert len(original) == 10
    assert run("--store", first, "migrate", "--to", postgres_url).returncode == 0
    assert saved_states(postgres_url) == original
    assert run("--store", postgres_url, "migrate", "--to", back).returncode == 0
    assert saved_states(back) == original
    line = json.dumps({"type": "review_held", "partnership": "northwind", "scores": {"risk": 4}})
    for url in (postgres_url, back):
        done = run("--store", url, "record", stdin=line)
        assert done.returncode == 0, done.stderr
        after = saved_states(url)
        assert after["northwind"][0] == original["northwind"][0] + 1
        assert run("--store", url, "audit", "verify").returncode == 0


def test_migrate_resumes_a_prefix_and_refuses_other_content(postgres_url: str, tmp_path):
    source = str(tmp_path / "source.sqlite")
    assert run("--store", source, "record", SAMPLES[0]).returncode == 0
    assert run("--store", source, "migrate", "--to", postgres_url).returncode == 0
    assert run("--store", source, "record", *SAMPLES[1:3]).returncode == 0
    resumed = run("--store", source, "migrate", "--to", postgres_url)
    assert resumed.returncode == 0, resumed.stderr
    first_count = len(Path(SAMPLES[0]).read_text().splitlines())
    assert f"already there {first_count}" in resumed.stdout
    assert export_ids(postgres_url) == export_ids(source)
    other = str(tmp_path / "other.sqlite")
    assert run("--store", other, "record", SAMPLES[4]).returncode == 0
    refused = run("--store", other, "migrate", "--to", postgres_url)
    assert refused.returncode == 1
    assert "already holds other events" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1


def test_unreachable_server_and_bad_credentials_exit_2_without_password(
    postgres_server, postgres_url: str
):
    unreachable = "postgresql://someone:s3cr3t-pw@127.0.0.1:1/nodb"
    bad_login = postgres_url.replace("postgres@", "nobody:s3cr3t-pw@")
    for url in (unreachable, bad_login):
        for args in (("export",), ("record",)):
            done = run("--store", url, *args, stdin="")
            assert done.returncode == 2
            assert "s3cr3t-pw" not in done.stderr + done.stdout
            assert len(done.stderr.strip().splitlines()) == 1
            assert "Traceback" not in done.stderr
            assert "cannot reach postgresql://" in done.stderr


def test_store_from_environment_and_reading_an_empty_database(postgres_url: str):
    done = run("export", env={"TRUSTLEDGER_STORE": postgres_url})
    assert done.returncode == 2
    assert "no ledger at" in done.stderr
    line = json.dumps({"type": "partnership_registered", "partnership": "p", "name": "P"})
    done = run("record", stdin=line, env={"TRUSTLEDGER_STORE": postgres_url})
    assert done.returncode == 0, done.stderr
    assert [e["partnership"] for e in export_ids(postgres_url)] == ["p"]


def test_watcher_finds_what_was_committed_between_its_waits(postgres_url: str):
    line = json.dumps({"type": "partnership_registered", "partnership": "p", "name": "P"})
    assert run("--store", postgres_url, "record", stdin=line).returncode == 0
    with Ledger(parse_store_url(postgres_url)) as ledger:
        watcher = ledger.watcher()
        asked: list[int] = []
        newest = watcher._newest
        watcher._newest = lambda: asked.append(1) or newest()  # type: ignore[method-assign]
        position = ledger.max_position()
        assert watcher.wait(position, 0.2) is False
        assert len(asked) == 1  # when it started listening, not at every slice
        # Recorded while nobody waits: its notification waits on the connection.
        done = run("--store", postgres_url, "revenue", "p", "--period", "2026-01", "--amount", "5")
        assert done.returncode == 0, done.stderr
        assert watcher.wait(position, 5) is True
        assert len(asked) == 1  # the notification said so: no query
        newest_position = ledger.max_position()
        assert watcher.wait(newest_position, 0.2) is False
        # Asked about a position before the one it waited after: it looks.
        assert watcher.wait(position, 0.2) is True
        assert len(asked) == 2
        watcher.close()


def test_watcher_wakes_on_notify(postgres_url: str):
    line = json.dumps({"type": "partnership_registered", "partnership": "p", "name": "P"})
    assert run("--store", postgres_url, "record", stdin=line).returncode == 0
    with Ledger(parse_store_url(postgres_url)) as ledger:
        watcher = ledger.watcher()
        assert watcher.uses_notifications
        position = ledger.max_position()
        assert watcher.wait(position, 0.2) is False
        writer = subprocess.Popen(
            [CLI, "--store", postgres_url, "revenue", "p", "--period", "2026-01", "--amount", "5"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=cli_env(postgres_url),
        )
        assert watcher.wait(position, 30) is True
        writer.communicate(timeout=30)
        assert [e.type for e in ledger.read(position)] == ["revenue_recorded"]
        watcher.close()
