"""Where the ledger lives: the store URL, its default, and the library settings it implies.

``--store`` wins over ``TRUSTLEDGER_STORE``, which wins over the default SQLite file in the
user's data directory. A plain path or ``sqlite:///absolute/path`` is SQLite;
``postgresql://user:password@host:port/dbname`` is PostgreSQL. Passwords are kept out of
every rendering of a store (``StoreConfig.display``).
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from platformdirs import user_data_dir
from trustledger.domain.errors import StoreError

STORE_ENV = "TRUSTLEDGER_STORE"
APP_NAME = "trustledger"


def default_store_path() -> Path:
    """The default SQLite file: ``events.sqlite`` in the user's data directory."""
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

    @property
    def display(self) -> str:
        """The store as it may be shown to people and logs: never with a password."""
        if self.kind == "sqlite":
            return str(self.path)
        user = f"{self.user}@" if self.user else ""
        return f"postgresql://{user}{self.host}:{self.port}/{self.dbname}"

    def library_env(self, *, create: bool) -> dict[str, str]:
        """The eventsourcing settings for this store."""
        env = {
            "ORIGINATOR_ID_TYPE": "text",
            "MAPPER_TOPIC": "trustledger.domain.codec:LedgerMapper",
            "CREATE_TABLE": "y" if create else "n",
        }
        if self.kind == "sqlite":
            assert self.path is not None
            env |= {
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": str(self.path),
                # Many writers wait their turn rather than fail with "database is locked".
                "SQLITE_LOCK_TIMEOUT": "60",
            }
        else:
            env |= {
                "PERSISTENCE_MODULE": "eventsourcing.postgres",
                "POSTGRES_DBNAME": self.dbname,
                "POSTGRES_HOST": self.host,
                "POSTGRES_PORT": str(self.port),
                "POSTGRES_USER": self.user,
                "POSTGRES_PASSWORD": self.password,
                "POSTGRES_CONNECT_TIMEOUT": "5",
                "POSTGRES_LOCK_TIMEOUT": "30",
                "POSTGRES_POOL_SIZE": "2",
                "POSTGRES_MAX_OVERFLOW": "4",
            }
            if self.schema:
                env["POSTGRES_SCHEMA"] = self.schema
        return env


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


def parse_store_url(url: str) -> StoreConfig:
    """Parse a store URL (see the module docstring); raise StoreError when it is not one."""
    text = url.strip()
    if not text:
        raise StoreError("the store URL is empty")
    lowered = text.lower()
    if lowered.startswith(("postgresql://", "postgres://")):
        return _parse_postgres(text)
    if lowered.startswith("sqlite://"):
        rest = text[len("sqlite://") :]
        if not rest.startswith("/"):
            raise StoreError("an sqlite URL needs an absolute path: sqlite:///absolute/path")
        return StoreConfig(kind="sqlite", path=Path(rest))
    if "://" in text:
        scheme = text.split("://", 1)[0]
        raise StoreError(
            f"unknown store scheme {scheme!r}: use a file path, sqlite:///path or postgresql://"
        )
    return StoreConfig(kind="sqlite", path=Path(text).expanduser().absolute())


def _parse_postgres(text: str) -> StoreConfig:
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
    )


def resolve_store(url: str | None) -> StoreConfig:
    """The store to use: ``url`` (from ``--store``), else the environment, else the default."""
    if url:
        return parse_store_url(url)
    from_env = os.environ.get(STORE_ENV, "").strip()
    if from_env:
        return parse_store_url(from_env)
    return StoreConfig(kind="sqlite", path=default_store_path())
