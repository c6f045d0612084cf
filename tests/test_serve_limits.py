"""``trustledger serve``'s guards before a login: the cap on keys tried, the login grace time,
and SIGHUP reloading the keys file. Real servers and real asyncssh clients, as in
``test_serve_ssh.py``; each test starts its own server with the option it looks at.
"""

from __future__ import annotations

import asyncio
import shutil
import signal
import socket
import time
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import asyncssh
import pytest

from tests.test_serve_support import Key, Served, keys_toml, make_key, run_remote

#: A bound for "the server acts", far above what it takes; it is not a measurement.
PATIENCE = 30.0


@pytest.fixture
def keys(tmp_path: Path) -> dict[str, Key]:
    directory = tmp_path / "keys"
    directory.mkdir()
    names = ("maria", "newcomer", "stranger1", "stranger2", "stranger3")
    return {name: make_key(directory, name) for name in names}


def start(tmp_path: Path, sample_template: Path, keys: str, *args: str) -> Served:
    store = tmp_path / "ledger.sqlite"
    shutil.copy(sample_template, store)
    return Served(tmp_path, store, keys, extra_args=list(args))


@pytest.fixture
def maria_only(keys: dict[str, Key]) -> str:
    return keys_toml([("maria.lopez", "recorder", [keys["maria"]])])


@pytest.fixture
def capped(tmp_path: Path, sample_template: Path, maria_only: str) -> Iterator[Served]:
    server = start(tmp_path, sample_template, maria_only, "--max-auth-tries", "2")
    yield server
    assert server.stop() == 0


async def test_a_connection_offering_more_unknown_keys_than_the_cap_is_dropped(
    capped: Served, keys: dict[str, Key]
) -> None:
    offered = [keys[name].client_key for name in ("stranger1", "stranger2", "stranger3")]
    offered.append(keys["maria"].client_key)  # listed, but offered after the cap is reached
    with pytest.raises((asyncssh.DisconnectError, asyncssh.PermissionDenied)):
        conn = await offering(capped, offered)
        conn.close()
    refusal = await logged(capped, lambda e: e["event"] == "refused")
    assert refusal["reason"] == "2 keys tried, none listed"
    assert not any(e["event"] == "login" for e in capped.log())


async def test_a_listed_key_within_the_cap_gets_in(capped: Served, keys: dict[str, Key]) -> None:
    offered = [keys["stranger1"].client_key, keys["maria"].client_key]
    async with await offering(capped, offered) as conn:
        done = await conn.run("schema", check=False)
    assert done.exit_status == 0
    assert [e["user"] for e in capped.log() if e["event"] == "login"] == ["maria.lopez"]


def test_a_connection_that_does_not_log_in_is_dropped_after_the_grace_time(
    tmp_path: Path, sample_template: Path, maria_only: str
) -> None:
    server = start(tmp_path, sample_template, maria_only, "--login-grace", "1")
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=PATIENCE) as sock:
            sock.sendall(b"SSH-2.0-silent_client\r\n")  # then never goes on
            received = b""
            while chunk := sock.recv(4096):  # until the server closes the connection
                received += chunk
        assert received.startswith(b"SSH-2.0-")  # it was an SSH server that hung up
        refusal = await_sync(logged(server, lambda e: e["event"] == "refused"))
        # Dropped at the grace time, not before (the server's own measure of the connection).
        assert refusal["reason"] == "no key offered" and refusal["duration"] >= 1.0
    finally:
        assert server.stop() == 0


async def test_sighup_reloads_the_keys_file_and_a_bad_file_keeps_the_last_good_keys(
    tmp_path: Path, sample_template: Path, keys: dict[str, Key], maria_only: str
) -> None:
    server = start(tmp_path, sample_template, maria_only)
    try:
        both = keys_toml(
            [
                ("maria.lopez", "recorder", [keys["maria"]]),
                ("newcomer", "viewer", [keys["newcomer"]]),
            ]
        )
        server.write_keys(both)
        server.proc.send_signal(signal.SIGHUP)
        await logged(server, reloaded("SIGHUP: 2 user(s)"))
        assert (await run_remote(server, keys["newcomer"], "schema")).code == 0

        server.write_keys(both + "\n[[user]]\nname = 42\n")
        server.proc.send_signal(signal.SIGHUP)
        kept = await logged(server, reloaded("SIGHUP: kept the previous keys"))
        assert "keys.toml:" in kept["reason"]  # FILE:LINE of the fault
        # The last good keys stand, for both users, and the server still serves.
        assert (await run_remote(server, keys["newcomer"], "schema")).code == 0
        assert (await run_remote(server, keys["maria"], "schema")).code == 0
        assert server.proc.poll() is None
    finally:
        assert server.stop() == 0


async def offering(server: Served, keys: list[asyncssh.SSHKey]) -> asyncssh.SSHClientConnection:
    """A connection from a client that offers ``keys`` in that order."""
    return await asyncssh.connect(
        "127.0.0.1",
        server.port,
        username="anyone",
        client_keys=keys,
        known_hosts=None,
        agent_path=None,
    )


def reloaded(words: str) -> Callable[[dict[str, Any]], bool]:
    return lambda entry: entry["event"] == "keys" and words in entry.get("reason", "")


async def logged(server: Served, wanted: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """The first connection log entry that is ``wanted`` (waits for it to be written)."""
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        for entry in server.log():
            if wanted(entry):
                return entry
        await asyncio.sleep(0.05)
    raise AssertionError(f"no such entry in {server.log()}")


def await_sync(waiting: Coroutine[Any, Any, dict[str, Any]]) -> dict[str, Any]:
    return asyncio.run(waiting)
