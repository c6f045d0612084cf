"""Starting ``trustledger serve``: the host key, the keys file, the log, then the server."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from platformdirs import user_config_dir, user_data_dir
from trustledger.tui.serve.connlog import ConnectionLog
from trustledger.tui.serve.hostkey import HostKeyError, host_key
from trustledger.tui.serve.keys import KeysError, load_keys
from trustledger.tui.serve.server import (
    Dashboard,
    LedgerServer,
    ServeOptions,
    serve_until_stopped,
)

DEFAULT_LISTEN = "127.0.0.1:2222"


class ServeError(Exception):
    """``serve`` cannot start: one line, exit 2."""


def default_keys_path() -> Path:
    return Path(user_config_dir("trustledger")) / "keys.toml"


def default_host_key_path() -> Path:
    return Path(user_data_dir("trustledger")) / "ssh_host_ed25519_key"


def parse_listen(text: str) -> tuple[str, int]:
    host, sep, port = text.strip().rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ServeError(f"--listen: HOST:PORT, as in {DEFAULT_LISTEN}, not {text!r}")
    return host.strip("[]") or "127.0.0.1", int(port)


def serve(
    *,
    command: Sequence[str],
    store_url: str | None,
    store_display: str,
    listen: str = DEFAULT_LISTEN,
    keys_path: Path | None = None,
    host_key_path: Path | None = None,
    log_path: Path | None = None,
    max_sessions: int = 32,
    max_per_key: int = 8,
    idle_timeout: float = 3600.0,
    login_grace: float = 30.0,
    max_auth_tries: int = 6,
    session_env: Mapping[str, str] | None = None,
    dashboard: Dashboard | None = None,
) -> None:
    """Serve until SIGTERM; :class:`ServeError` when it cannot start. ``session_env``: set in
    every session's environment over this process's own (e.g. the lock timeout);
    ``dashboard``: runs a dashboard session inside this process (else each is a process)."""
    host, port = parse_listen(listen)
    keys_file = keys_path or default_keys_path()
    try:
        keys = load_keys(keys_file)
    except KeysError as exc:
        raise ServeError(str(exc)) from None
    key_file = host_key_path or default_host_key_path()
    try:
        key, made = host_key(key_file)
    except HostKeyError as exc:
        raise ServeError(str(exc)) from None
    try:
        log = ConnectionLog(log_path)
    except OSError as exc:
        raise ServeError(f"--log {log_path}: {exc.strerror or exc}") from None
    options = ServeOptions(
        host=host,
        port=port,
        keys_path=keys_file,
        host_key=key,
        command=command,
        store_url=store_url,
        log_path=log_path,
        max_sessions=max_sessions,
        max_per_key=max_per_key,
        idle_timeout=idle_timeout,
        login_grace=login_grace,
        base_env={**os.environ, **(session_env or {})},
        max_auth_tries=max_auth_tries,
        dashboard=dashboard,
    )
    fingerprint = key.get_fingerprint("sha256")

    def ready(server: LedgerServer) -> None:
        made_now = " (made now)" if made else ""
        print(
            f"trustledger serve: listening on {host}:{server.port}, store {store_display}, "
            f"{len(keys.users)} user(s) in {keys_file}; host key {fingerprint}{made_now}",
            file=sys.stderr,
            flush=True,
        )
        log.write("start", peer=f"{host}:{server.port}", fingerprint=fingerprint, pid=_pid())

    try:
        asyncio.run(serve_until_stopped(options, log, ready))
    except OSError as exc:
        raise ServeError(f"--listen {listen}: {exc.strerror or exc}") from None
    finally:
        log.close()


def _pid() -> int:
    import os

    return os.getpid()
