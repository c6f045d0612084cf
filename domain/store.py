"""Where the ledger lives: the store URL, its default, and the library settings it implies.

``--store`` wins over ``TRUSTLEDGER_STORE``, which wins over ``TRUSTLEDGER_STORE_FILE`` (the
name of a file holding the URL, so that a password in it never shows in ``ps`` or a shell
history), which wins over the default SQLite file in the user's data directory. A plain path
or ``sqlite:///absolute/path`` is SQLite; ``postgresql://user:password@host:port/dbname`` is
PostgreSQL. A PostgreSQL URL without a password leaves it to libpq: ``PGPASSWORD`` or
``~/.pgpass`` (``PGPASSFILE``). Passwords are kept out of every rendering of a store
(``StoreConfig.display``).

Waiting for another process's write lock has one limit, ``StoreConfig.lock_timeout``
(``TRUSTLEDGER_LOCK_TIMEOUT`` seconds, default 60): the total a ``record`` waits for locks,
however many times it retries.
"""

from __future__ import annotations

import getpass
import math
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs, quote, unquote, urlsplit

from trustledger.domain.errors import StoreError, clip

STORE_ENV = "TRUSTLEDGER_STORE"
STORE_FILE_ENV = "TRUSTLEDGER_STORE_FILE"
LOCK_TIMEOUT_ENV = "TRUSTLEDGER_LOCK_TIMEOUT"
DEFAULT_LOCK_TIMEOUT = 60.0
#: The longest lock wait the backends can be told (PostgreSQL's lock_timeout and SQLite's
#: busy timeout are whole milliseconds in a 32-bit integer): a longer one waits this long.
MAX_LOCK_TIMEOUT = 2_000_000.0
APP_NAME = "trustledger"

# How an SQLite file is opened: read-write; read-only (``mode=ro``: SQLite still needs the
# WAL's -shm file, which it creates when it can); or immutable (``immutable=1``: no -shm
# needed, for files nobody can change, such as on read-only media).
SQLiteAccess = Literal["rw", "ro", "immutable"]


def default_store_path() -> Path:
    """The default SQLite file: ``events.sqlite`` in the user's data directory."""
    from platformdirs import user_data_dir  # imported here: most commands name their store

    return Path(user_data_dir(APP_NAME)) / "events.sqlite"


@dataclass(frozen=True)
class StoreConfig:
    """A parsed store URL."""

    kind: str  # "sqlite" | "postgresql"
    path: Path | None = None
    host: str = ""
    port: int = 5432
    user: str = ""
    password: str = field(default="", repr=False)
    dbname: str = ""
    schema: str = ""
    # Seconds a writer waits for other processes' locks, in all (not per attempt).
    lock_timeout: float = field(default=DEFAULT_LOCK_TIMEOUT, compare=False)
    # Whether creating the SQLite file may create its missing directories: only for the
    # default store (the user data directory); a store the user names must be in a folder
    # that exists, so a typo never quietly starts a new ledger somewhere else.
    create_directories: bool = field(default=False, compare=False)

    @property
    def display(self) -> str:
        """The store as it may be shown to people and logs: never with a password."""
        if self.kind == "sqlite":
            return str(self.path)
        user = f"{self.user}@" if self.user else ""
        return f"postgresql://{user}{self.host}:{self.port}/{self.dbname}"

    def library_env(self, *, create: bool, access: SQLiteAccess = "rw") -> dict[str, str]:
        """The eventsourcing settings for this store (``access``: how SQLite opens it)."""
        # The library takes whole seconds, and reads 0 as "its default" (SQLite) or "no
        # limit" (PostgreSQL); the ledger sets the exact remaining wait before each save.
        whole_seconds = str(max(1, math.ceil(self.lock_timeout)))
        env = {
            "ORIGINATOR_ID_TYPE": "text",
            "MAPPER_TOPIC": "trustledger.domain.codec:LedgerMapper",
            "CREATE_TABLE": "y" if create else "n",
        }
        if self.kind == "sqlite":
            assert self.path is not None
            env |= {
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": sqlite_uri(self.path, access),
                # Many writers wait their turn rather than fail with "database is locked".
                "SQLITE_LOCK_TIMEOUT": whole_seconds,
            }
        else:
            env |= {
                "PERSISTENCE_MODULE": "eventsourcing.postgres",
                "POSTGRES_DBNAME": self.dbname,
                "POSTGRES_HOST": self.host,
                "POSTGRES_PORT": str(self.port),
                "POSTGRES_USER": self.user,
                "POSTGRES_CONNECT_TIMEOUT": "5",
                "POSTGRES_LOCK_TIMEOUT": whole_seconds,
                "POSTGRES_POOL_SIZE": "2",
                "POSTGRES_MAX_OVERFLOW": "4",
            }
            if self.password:
                env["POSTGRES_PASSWORD"] = self.password
            else:
                # The library would pass an empty password, which stops libpq from reading
                # PGPASSWORD; no password at all lets libpq find it as psql would.
                env["POSTGRES_GET_PASSWORD_TOPIC"] = f"{__name__}:libpq_password"
            if self.schema:
                env["POSTGRES_SCHEMA"] = self.schema
        return env


def libpq_password() -> None:
    """No password of our own: libpq then takes ``PGPASSWORD`` or the password file."""
    return None


def sqlite_uri(path: Path, access: SQLiteAccess = "rw") -> str:
    """What the library opens for ``path`` (it opens names as SQLite URIs)."""
    if access == "rw":
        return str(path)
    query = "mode=ro" if access == "ro" else "mode=ro&immutable=1"
    return f"file:{quote(str(path), safe='/')}?{query}"


def sqlite_access(path: Path) -> SQLiteAccess:
    """How an existing SQLite store can be opened by this process.

    Read-write when the file is writable and SQLite can write the WAL's -wal and -shm
    files next to it (the directory is writable, or both exist and are writable).
    Otherwise read-only; and immutable when nobody can change the file at all (a read-only
    file system, or neither file nor directory writable by anyone) and no -wal file holds
    changes that immutable mode would not see.
    """
    directory = path.parent
    wal, shm = (path.with_name(path.name + suffix) for suffix in ("-wal", "-shm"))
    writable_dir = os.access(directory, os.W_OK)
    if os.access(path, os.W_OK) and (
        writable_dir or all(os.access(f, os.W_OK) for f in (wal, shm))
    ):
        return "rw"
    if writable_dir:
        return "ro"  # SQLite can create the -shm file it needs
    if wal.exists() and wal.stat().st_size > 0:
        return "ro"
    try:
        read_only_media = bool(os.statvfs(directory).f_flag & os.ST_RDONLY)
        writable_bits = stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH
        frozen = not (
            path.stat().st_mode & writable_bits or directory.stat().st_mode & writable_bits
        )
    except OSError:
        return "ro"
    return "immutable" if read_only_media or frozen else "ro"


def postgres_connect(store: StoreConfig, *, autocommit: bool = False) -> Any:
    """A plain psycopg connection to a PostgreSQL store (for checks and LISTEN)."""
    import psycopg

    return psycopg.connect(
        host=store.host,
        port=store.port,
        user=store.user or None,
        password=store.password or None,
        dbname=store.dbname,
        connect_timeout=5,
        autocommit=autocommit,
    )


def _lock_wait(lock_timeout: float | None) -> float:
    """``lock_timeout``, else ``TRUSTLEDGER_LOCK_TIMEOUT``, else the default; at most
    :data:`MAX_LOCK_TIMEOUT`."""
    seconds = lock_timeout_from_env() if lock_timeout is None else lock_timeout
    return min(seconds, MAX_LOCK_TIMEOUT)


def lock_timeout_from_env() -> float:
    """``TRUSTLEDGER_LOCK_TIMEOUT`` in seconds, or the default (60)."""
    text = os.environ.get(LOCK_TIMEOUT_ENV, "").strip()
    if not text:
        return DEFAULT_LOCK_TIMEOUT
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds < 0:
        raise StoreError(f"{LOCK_TIMEOUT_ENV} must be a number of seconds >= 0, not {text!r}")
    return seconds


def parse_store_url(url: str, *, lock_timeout: float | None = None) -> StoreConfig:
    """Parse a store URL (see the module docstring); raise StoreError when it is not one.

    ``lock_timeout`` defaults to ``TRUSTLEDGER_LOCK_TIMEOUT``, else 60 seconds.
    """
    text = url.strip()
    if not text:
        raise StoreError("the store URL is empty")
    seconds = _lock_wait(lock_timeout)
    lowered = text.lower()
    if lowered.startswith(("postgresql://", "postgres://")):
        return _parse_postgres(text, seconds)
    if lowered.startswith("sqlite://"):
        rest = text[len("sqlite://") :]
        if not rest.startswith("/"):
            raise StoreError("an sqlite URL needs an absolute path: sqlite:///absolute/path")
        if "\0" in rest:
            raise StoreError("the store path holds a NUL character")
        check_path_length(Path(rest))
        return StoreConfig(kind="sqlite", path=Path(rest), lock_timeout=seconds)
    if "://" in text:
        scheme = text.split("://", 1)[0]
        raise StoreError(
            f"unknown store scheme {scheme!r}: use a file path, sqlite:///path or postgresql://"
        )
    return StoreConfig(kind="sqlite", path=_local_path(text), lock_timeout=seconds)


def _local_path(text: str) -> Path:
    """The absolute path a plain store path names (``~`` and ``~user`` expanded)."""
    if "\0" in text:
        raise StoreError("the store path holds a NUL character")
    try:
        path = Path(text).expanduser().absolute()
    except RuntimeError:  # ~name of a user this system does not know, or no home at all
        user = text.split("/", 1)[0]
        raise StoreError(f"cannot expand {clip(user)} in the store path: no such user") from None
    check_path_length(path)
    return path


def check_path_length(path: Path) -> None:
    """Refuse a path the system could never open (``File name too long``), in one line."""
    try:
        name_max = os.pathconf("/", "PC_NAME_MAX")
        path_max = os.pathconf("/", "PC_PATH_MAX")
    except (OSError, ValueError):
        name_max, path_max = 255, 4096
    encoded = os.fsencode(path)
    if len(encoded) >= path_max:
        raise StoreError(
            f"the store path is too long ({len(encoded)} bytes, at most {path_max - 1}): "
            f"{clip(str(path))}"
        )
    for part in path.parts:
        if len(os.fsencode(part)) > name_max:
            raise StoreError(
                f"a name in the store path is too long (at most {name_max} bytes): {clip(part)}"
            )


def sqlite_file_exists(path: Path) -> bool:
    """Whether an SQLite store's file exists; ``StoreError`` when that cannot be known (a
    directory on the way that this process may not search)."""
    try:
        return path.is_file()
    except OSError as exc:
        raise StoreError(f"cannot open store {clip(str(path))}: {exc.strerror or exc}") from None


def _parse_postgres(text: str, lock_timeout: float) -> StoreConfig:
    parts = urlsplit(text)
    try:
        port = parts.port or 5432
    except ValueError:
        raise StoreError("the PostgreSQL URL has an invalid port") from None
    dbname = unquote(parts.path.lstrip("/"))
    if not parts.hostname or not dbname:
        raise StoreError(
            "a PostgreSQL URL needs a host and a database: postgresql://user:pw@host:port/db"
        )
    schema = parse_qs(parts.query).get("schema", [""])[0]
    return StoreConfig(
        kind="postgresql",
        host=parts.hostname,
        port=port,
        user=unquote(parts.username or "") or getpass.getuser(),
        password=unquote(parts.password or ""),
        dbname=dbname,
        schema=schema,
        lock_timeout=lock_timeout,
    )


def resolve_store(url: str | None, *, lock_timeout: float | None = None) -> StoreConfig:
    """The store to use: ``url`` (from ``--store``), else ``TRUSTLEDGER_STORE``, else the URL
    in the file ``TRUSTLEDGER_STORE_FILE`` names, else the default."""
    if url:
        return parse_store_url(url, lock_timeout=lock_timeout)
    from_env = os.environ.get(STORE_ENV, "").strip()
    if from_env:
        return parse_store_url(from_env, lock_timeout=lock_timeout)
    url_file = os.environ.get(STORE_FILE_ENV, "").strip()
    if url_file:
        return parse_store_url(read_url_file(url_file), lock_timeout=lock_timeout)
    seconds = _lock_wait(lock_timeout)
    return StoreConfig(
        kind="sqlite",
        path=default_store_path(),
        lock_timeout=seconds,
        create_directories=True,
    )


def read_url_file(name: str) -> str:
    """The store URL held in the file ``name``: its one non-blank line."""
    try:
        text = Path(name).expanduser().read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise StoreError(f"cannot read {STORE_FILE_ENV} {name}: not UTF-8 text") from None
    except OSError as exc:
        raise StoreError(f"cannot read {STORE_FILE_ENV} {name}: {exc.strerror or exc}") from None
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) != 1:
        what = "is empty" if not lines else "holds more than one line"
        raise StoreError(f"{STORE_FILE_ENV} {name} {what}: it must hold the store URL alone")
    return lines[0]
