"""Who can read a store, and where a PostgreSQL password may come from.

- A new SQLite store is 0600 (its -wal and -shm too) and the directories the ledger
  creates for it are 0700, whatever the umask; what existed keeps its mode.
- A PostgreSQL URL without a password takes it from ``PGPASSWORD`` or ``~/.pgpass`` (both
  the ledger's own first connection and the library's pool used to disagree: the library
  passed an empty password, which stops libpq from reading ``PGPASSWORD``).
- ``TRUSTLEDGER_STORE_FILE`` names a file holding the store URL, so that a password never
  shows in ``ps`` or a shell history.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest
from trustledger.domain.ledger import Ledger, located_lines
from trustledger.domain.store import parse_store_url

from tests.cli_helpers import assert_no_traceback, ndjson, run_cli
from tests.hardening_support import registered
from tests.pg_server import PgServer

PASSWORD_USER = "tl_password_user"
PASSWORD = "s3cret-Pa55"
LINES = ndjson([registered("acme", occurred_on="2025-01-01")])


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_store_and_its_directories_are_private(tmp_path: Path) -> None:
    os.chmod(tmp_path, 0o755)
    store = tmp_path / "made" / "by" / "ledger.sqlite"
    previous = os.umask(0o022)
    # Directories are created for the default store only (in the user data directory).
    config = replace(parse_store_url(str(store)), create_directories=True)
    try:
        with Ledger(config, create=True) as ledger:
            result = ledger.record(located_lines("test", LINES.splitlines()))
            assert result.ok, result.errors
            # While the ledger is open, SQLite's write-ahead log files exist.
            files = [store, Path(f"{store}-wal"), Path(f"{store}-shm")]
            assert {path.name: mode(path) for path in files} == {path.name: 0o600 for path in files}
    finally:
        os.umask(previous)
    assert mode(tmp_path / "made") == mode(tmp_path / "made" / "by") == 0o700
    assert mode(tmp_path) == 0o755  # it existed: left as it was


def test_the_store_url_can_come_from_a_file(tmp_path: Path) -> None:
    store = tmp_path / "ledger.sqlite"
    url_file = tmp_path / "store-url"
    url_file.write_text(f"sqlite://{store}\n")
    env = {"TRUSTLEDGER_STORE_FILE": str(url_file)}
    run = run_cli(None, "record", stdin=LINES, env=env)
    assert (run.code, run.out) == (0, "recorded 1, already recorded 0\n"), run.err
    assert store.exists()
    # TRUSTLEDGER_STORE and --store still win over it.
    other = tmp_path / "other.sqlite"
    assert run_cli(other, "record", stdin=LINES, env=env).code == 0
    assert other.exists()
    run = run_cli(None, "export", env=env | {"TRUSTLEDGER_STORE": str(tmp_path / "none.sqlite")})
    assert run.code == 2 and "none.sqlite" in run.err


def test_an_unreadable_store_file_is_one_clear_error(tmp_path: Path) -> None:
    run = run_cli(None, "report", env={"TRUSTLEDGER_STORE_FILE": str(tmp_path / "missing")})
    assert run.code == 2
    assert_no_traceback(run)
    assert run.err == (
        f"trustledger: cannot read TRUSTLEDGER_STORE_FILE {tmp_path / 'missing'}: "
        "No such file or directory\n"
    )


@pytest.fixture(scope="module")
def password_database(postgres_server: PgServer) -> Iterator[str]:
    """A database owned by a role that must log in with a password; its URL has none."""
    hba = postgres_server.data_dir / "pg_hba.conf"
    original = hba.read_text()
    rule = f"host all {PASSWORD_USER} 127.0.0.1/32 scram-sha-256\n"
    dbname = "password_auth"
    with psycopg.connect(postgres_server.url, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {PASSWORD_USER} LOGIN PASSWORD '{PASSWORD}'")
        conn.execute(f"CREATE DATABASE {dbname} OWNER {PASSWORD_USER}")
        hba.write_text(rule + original)  # first match wins: only this role needs a password
        conn.execute("SELECT pg_reload_conf()")
    try:
        yield f"postgresql://{PASSWORD_USER}@{postgres_server.host}:{postgres_server.port}/{dbname}"
    finally:
        hba.write_text(original)
        with psycopg.connect(postgres_server.url, autocommit=True) as conn:
            conn.execute("SELECT pg_reload_conf()")
            conn.execute(f"DROP DATABASE IF EXISTS {dbname} WITH (FORCE)")
            conn.execute(f"DROP ROLE IF EXISTS {PASSWORD_USER}")


def without_password_sources(home: Path) -> dict[str, str]:
    return {"HOME": str(home), "PGPASSWORD": "", "PGPASSFILE": str(home / ".pgpass")}


def record_and_report(url: str, env: dict[str, str], handle: str) -> None:
    lines = ndjson([registered(handle, occurred_on="2025-01-01")])
    run = run_cli(url, "record", stdin=lines, env=env)
    assert (run.code, run.out) == (0, "recorded 1, already recorded 0\n"), run.err
    run = run_cli(url, "report", "--format", "json", env=env)
    assert run.code == 0, run.err
    assert f'"partnership": "{handle}"' in run.out


@pytest.mark.postgres
def test_without_a_password_the_login_is_refused_in_one_line(
    password_database: str, tmp_path: Path
) -> None:
    run = run_cli(password_database, "report", env=without_password_sources(tmp_path))
    assert run.code == 2
    assert_no_traceback(run)
    assert run.err.count("\n") == 1 and "password" in run.err


@pytest.mark.postgres
def test_the_password_can_come_from_pgpassword(password_database: str, tmp_path: Path) -> None:
    env = without_password_sources(tmp_path) | {"PGPASSWORD": PASSWORD}
    record_and_report(password_database, env, "from-env")


@pytest.mark.postgres
def test_the_password_can_come_from_the_pgpass_file(password_database: str, tmp_path: Path) -> None:
    parts = parse_store_url(password_database)
    pgpass = tmp_path / ".pgpass"
    pgpass.write_text(f"{parts.host}:{parts.port}:{parts.dbname}:{parts.user}:{PASSWORD}\n")
    pgpass.chmod(0o600)  # libpq ignores a password file others can read
    env = without_password_sources(tmp_path)
    del env["PGPASSFILE"]  # the default: ~/.pgpass
    record_and_report(password_database, env, "from-pgpass")


@pytest.mark.postgres
def test_a_url_with_its_password_can_come_from_a_file(
    password_database: str, tmp_path: Path
) -> None:
    with_password = password_database.replace(f"{PASSWORD_USER}@", f"{PASSWORD_USER}:{PASSWORD}@")
    url_file = tmp_path / "store-url"
    url_file.write_text(with_password + "\n")
    url_file.chmod(0o600)
    env = without_password_sources(tmp_path) | {"TRUSTLEDGER_STORE_FILE": str(url_file)}
    lines = ndjson([registered("from-file", occurred_on="2025-01-01")])
    run = run_cli(None, "record", stdin=lines, env=env)
    assert (run.code, run.out) == (0, "recorded 1, already recorded 0\n"), run.err
    # A wrong password in the file: refused in one line that never shows it.
    url_file.write_text(with_password.replace(PASSWORD, "wrong-Pa55") + "\n")
    run = run_cli(None, "report", env=env)
    assert run.code == 2
    assert "wrong-Pa55" not in run.err and PASSWORD not in run.err
