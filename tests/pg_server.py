"""A throwaway, real PostgreSQL server for the test suite.

The server is created from the locally installed PostgreSQL binaries (``initdb`` and
``postgres``) in a temporary directory, listens on a free TCP port on 127.0.0.1 with trust
authentication (so URLs never carry a password) and is tuned for speed, not durability
(``fsync=off`` and friends). It is removed again when stopped.

``initdb`` and ``postgres`` refuse to run as root, and CI runs as root: in that case they run
as the ``postgres`` OS user (created with ``useradd --system`` if missing) via ``runuser``.
The server always runs on the real clock, also when the suite runs under libfaketime
(``tests/faketime_support.py``).

Usage from ``tests/conftest.py``::

    from tests.pg_server import postgres_server, postgres_url  # noqa: F401

and in a test::

    @pytest.mark.postgres
    def test_something(postgres_url: str) -> None:  # a fresh, empty database per test
        ...

``postgres_server`` (session scope) yields the started :class:`PgServer`; ``postgres_url``
(function scope) yields the URL of a new database created on it for each test. When the
binaries are missing, tests using these fixtures are skipped, or fail when ``CI`` is set.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import itertools
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from urllib.parse import urlsplit

import psycopg
import pytest
from psycopg import sql

from tests.faketime_support import without_libfaketime

PG_OS_USER = "postgres"
PG_DB_USER = "postgres"
START_TIMEOUT = 30.0
_DB_NAME_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class PgServerError(RuntimeError):
    """Raised when the throwaway PostgreSQL server cannot be created or started."""


def _has_server_binaries(bindir: Path) -> bool:
    return all(os.access(bindir / name, os.X_OK) for name in ("initdb", "postgres"))


def _version_key(path: Path) -> tuple[int, ...]:
    # /usr/lib/postgresql/<version>/bin -> numeric version, for "newest first".
    parts = re.findall(r"\d+", path.parent.name)
    return tuple(int(p) for p in parts) if parts else (-1,)


def find_pg_bindir() -> Path | None:
    """Return the directory holding ``initdb`` and ``postgres``, or None if not installed.

    ``pg_config --bindir`` wins when it has both binaries; otherwise the newest
    ``/usr/lib/postgresql/*/bin`` that has them.
    """
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=True
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            out = ""
        if out and _has_server_binaries(Path(out)):
            return Path(out)
    candidates = [Path(p) for p in glob.glob("/usr/lib/postgresql/*/bin")]
    for bindir in sorted(candidates, key=_version_key, reverse=True):
        if _has_server_binaries(bindir):
            return bindir
    return None


def pg_available() -> bool:
    """True when the PostgreSQL server binaries are installed."""
    return find_pg_bindir() is not None


def require_pg_or_skip() -> None:
    """Skip the calling test when PostgreSQL is missing, or fail it when ``CI`` is set."""
    if pg_available():
        return
    hint = (
        "initdb/postgres not found via `pg_config --bindir` or /usr/lib/postgresql/*/bin; "
        "run .ci/install-postgres (or apt-get install postgresql)"
    )
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL is required when CI is set: {hint}", pytrace=False)
    pytest.skip(f"PostgreSQL not available: {hint}")


def _os_user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tail(path: Path, limit: int = 4000) -> str:
    try:
        return path.read_text(errors="replace")[-limit:]
    except OSError:
        return ""


def eventsourcing_env(url: str) -> dict[str, str]:
    """Environment for ``eventsourcing.postgres`` pointing at the database of ``url``.

    eventsourcing insists on ``POSTGRES_PASSWORD`` being present; with trust auth it is empty.
    """
    parts = urlsplit(url)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": parts.path.lstrip("/"),
        "POSTGRES_HOST": parts.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(parts.port or 5432),
        "POSTGRES_USER": parts.username or PG_DB_USER,
        "POSTGRES_PASSWORD": "",
    }


class PgServer:
    """A private PostgreSQL server in a temporary directory; use as a context manager."""

    def __init__(self, bindir: Path | None = None) -> None:
        self.bindir: Path | None = bindir
        self.host = "127.0.0.1"
        self.port: int | None = None
        self.base_dir: Path | None = None
        self.start_seconds: float | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._run_as: list[str] = []
        self._db_counter = itertools.count(1)

    # -- paths -------------------------------------------------------------------------------

    @property
    def data_dir(self) -> Path:
        return self._require_base() / "data"

    @property
    def socket_dir(self) -> Path:
        return self._require_base() / "sock"

    @property
    def log_file(self) -> Path:
        return self._require_base() / "postgres.log"

    def _require_base(self) -> Path:
        if self.base_dir is None:
            raise PgServerError("the PostgreSQL server has not been started")
        return self.base_dir

    # -- URLs --------------------------------------------------------------------------------

    def url_for(self, dbname: str) -> str:
        if self.port is None:
            raise PgServerError("the PostgreSQL server has not been started")
        return f"postgresql://{PG_DB_USER}@{self.host}:{self.port}/{dbname}"

    @property
    def url(self) -> str:
        """URL of the ``postgres`` maintenance database (no password: trust auth)."""
        return self.url_for("postgres")

    # -- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> PgServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> PgServer:
        """Create the cluster, start the server and wait until it accepts connections."""
        if self._proc is not None:
            return self
        started = time.monotonic()
        if self.bindir is None:
            self.bindir = find_pg_bindir()
        if self.bindir is None:
            raise PgServerError("PostgreSQL server binaries (initdb, postgres) not found")
        as_root = os.geteuid() == 0
        # As root, stay out of a possibly private $TMPDIR: the postgres user must reach it.
        self.base_dir = Path(
            tempfile.mkdtemp(prefix="trustledger-pg-", dir="/tmp" if as_root else None)
        )
        atexit.register(self.stop)
        try:
            self.socket_dir.mkdir()
            self.log_file.touch()
            if as_root:
                self._prepare_os_user()
            self._initdb()
            self._launch()
        except BaseException:
            self.stop()
            raise
        self.start_seconds = time.monotonic() - started
        return self

    def _prepare_os_user(self) -> None:
        if not _os_user_exists(PG_OS_USER):
            result = subprocess.run(
                ["useradd", "--system", PG_OS_USER], capture_output=True, text=True
            )
            if result.returncode != 0 and not _os_user_exists(PG_OS_USER):
                raise PgServerError(
                    f"useradd --system {PG_OS_USER} failed: {result.stderr.strip()}"
                )
        if shutil.which("runuser") is None:
            raise PgServerError("running as root but `runuser` is missing (util-linux)")
        entry = pwd.getpwnam(PG_OS_USER)
        base = self._require_base()
        for path in (base, self.socket_dir, self.log_file):
            os.chown(path, entry.pw_uid, entry.pw_gid)
        self._run_as = ["runuser", "-u", PG_OS_USER, "--"]

    def _bin(self, name: str) -> str:
        assert self.bindir is not None
        return str(self.bindir / name)

    def _initdb(self) -> None:
        cmd = [
            *self._run_as,
            self._bin("initdb"),
            "-D",
            str(self.data_dir),
            "--auth=trust",
            "-U",
            PG_DB_USER,
            "--encoding=UTF8",
            "--locale=C",  # independent of the machine's LANG, which may name a missing locale
            "--no-sync",
        ]
        result = subprocess.run(
            cmd,
            cwd=self._require_base(),
            capture_output=True,
            text=True,
            timeout=120,
            env=without_libfaketime(),
        )
        if result.returncode != 0:
            raise PgServerError(
                f"initdb failed (exit {result.returncode}): {' '.join(cmd)}\n"
                f"--- stderr ---\n{result.stderr.strip()}\n--- stdout ---\n{result.stdout.strip()}"
            )

    def _launch(self) -> None:
        last_error = outcome = ""
        for _attempt in range(3):  # the free port may be taken between probing and binding
            self.port = _free_port()
            cmd = [
                *self._run_as,
                self._bin("postgres"),
                "-D",
                str(self.data_dir),
                "-p",
                str(self.port),
                "-k",
                str(self.socket_dir),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
                "-c",
                "max_connections=200",
            ]
            with open(self.log_file, "ab") as log:
                self._proc = subprocess.Popen(
                    cmd,
                    cwd=self._require_base(),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # keep Ctrl-C in the terminal from reaching it
                    env=without_libfaketime(),  # the server's own timers need the real clock
                )
            if self._wait_until_ready():
                return
            code = self._proc.poll() if self._proc is not None else None
            outcome = (
                f"exited with code {code}"
                if code is not None
                else f"did not accept connections within {START_TIMEOUT:.0f} s"
            )
            last_error = _tail(self.log_file)
            self._terminate()
            if "could not bind" not in last_error and "in use" not in last_error:
                break
        raise PgServerError(
            f"PostgreSQL on 127.0.0.1:{self.port} {outcome}\n--- server log ---\n{last_error}"
        )

    def _wait_until_ready(self) -> bool:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._proc is None or self._proc.poll() is not None:
                return False
            try:
                with psycopg.connect(self.url, connect_timeout=2, autocommit=True) as conn:
                    conn.execute("select 1")
                return True
            except psycopg.OperationalError:
                time.sleep(0.05)
        return False

    def create_database(self, name: str | None = None) -> str:
        """Create a fresh, empty database and return its URL (no password)."""
        if name is None:
            name = f"test_{os.getpid()}_{next(self._db_counter)}"
        if not _DB_NAME_RE.match(name):
            raise ValueError(f"unsupported database name {name!r} (want [a-z_][a-z0-9_]*)")
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url_for(name)

    def drop_database(self, name: str) -> None:
        """Drop a database, disconnecting any sessions still using it."""
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    def _pg_ctl_stop(self) -> bool:
        """Fast shutdown via ``pg_ctl``; True when the server confirmed it stopped."""
        pg_ctl = self.bindir / "pg_ctl" if self.bindir else None
        if pg_ctl is None or not os.access(pg_ctl, os.X_OK) or not self.data_dir.exists():
            return False
        cmd = [*self._run_as, str(pg_ctl), "stop", "-D", str(self.data_dir), "-m", "fast"]
        try:
            result = subprocess.run(
                [*cmd, "-w", "-t", "20"], cwd=self.base_dir, capture_output=True, timeout=30
            )
        except (OSError, subprocess.SubprocessError):
            return False
        return result.returncode == 0

    def _terminate(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            stopped = self._pg_ctl_stop()
            if not stopped:
                # SIGINT is PostgreSQL's "fast shutdown"; signal the whole session (runuser too).
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)

    def stop(self) -> None:
        """Stop the server (fast shutdown) and remove its directory. Safe to call twice."""
        atexit.unregister(self.stop)
        try:
            self._terminate()
        finally:
            if self.base_dir is not None:
                shutil.rmtree(self.base_dir, ignore_errors=True)
                self.base_dir = None
            self.port = None


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PgServer]:
    """A started :class:`PgServer`, shared by the whole test session."""
    require_pg_or_skip()
    with PgServer() as server:
        yield server


_url_counter = itertools.count(1)


@pytest.fixture
def postgres_url(postgres_server: PgServer) -> Iterator[str]:
    """URL of a fresh, empty database on the session server, one per test."""
    name = f"test_{os.getpid()}_{next(_url_counter)}"
    url = postgres_server.create_database(name)
    yield url
    with contextlib.suppress(psycopg.Error):
        postgres_server.drop_database(name)
