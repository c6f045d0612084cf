"""Helpers for the SSH server's tests: a real ``trustledger serve`` process, keys, clients.

:class:`Served` starts the installed ``trustledger serve`` on a free loopback port with its
own keys file, host key, connection log and store, on the tests' day. Clients are real:
OpenSSH's ``ssh`` (:func:`openssh`; missing ``ssh`` skips, or fails when ``CI`` is set) and
asyncssh's client (:func:`run_remote`, :class:`RemoteScreen` for a PTY session read
through ``pyte``, a terminal emulator).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncssh
import pyte
import pytest

from tests.cli_helpers import TRUSTLEDGER, cli_env

#: How long ``trustledger serve`` may take to start listening (a loaded machine is slow).
START_TIMEOUT = 60.0


@dataclass
class Key:
    """A user's key pair on disk (the private key in OpenSSH format, mode 0600)."""

    path: Path
    public: str

    @property
    def client_key(self) -> asyncssh.SSHKey:
        return asyncssh.read_private_key(self.path)


def make_key(directory: Path, name: str) -> Key:
    key = asyncssh.generate_private_key("ssh-ed25519", comment=f"{name}@test")
    path = directory / name
    path.write_bytes(key.export_private_key())
    path.chmod(0o600)
    public = key.export_public_key().decode().strip()
    return Key(path, public)


def keys_toml(users: Sequence[tuple[str, str, Sequence[Key]]]) -> str:
    """The keys file for ``(name, role, keys)`` users."""
    parts = []
    for name, role, keys in users:
        listed = ", ".join(json.dumps(k.public) for k in keys)
        parts.append(f'[[user]]\nname = "{name}"\nrole = "{role}"\nkeys = [{listed}]\n')
    return "\n".join(parts)


class Served:
    """A running ``trustledger serve`` (stop it with :meth:`stop`)."""

    def __init__(
        self,
        directory: Path,
        store: Path,
        keys: str,
        extra_args: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.directory = directory
        self.store = store
        self.keys_path = directory / "keys.toml"
        self.keys_path.write_text(keys, encoding="utf-8")
        self.log_path = directory / "connections.log"
        self.host_key = directory / "host_key"
        full_env = cli_env(store, {"XDG_CACHE_HOME": str(directory / "cache"), **(env or {})})
        self.err_path = directory / "serve.err"
        self._err = self.err_path.open("wb")
        self.proc = subprocess.Popen(
            [
                str(TRUSTLEDGER),
                "serve",
                "--store",
                str(store),
                "--listen",
                "127.0.0.1:0",
                "--keys",
                str(self.keys_path),
                "--host-key",
                str(self.host_key),
                "--log",
                str(self.log_path),
                *extra_args,
            ],
            stdout=subprocess.DEVNULL,
            stderr=self._err,
            env=full_env,
        )
        self.port = self._wait_for_port()

    def _wait_for_port(self) -> int:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            text = self.err_path.read_text(encoding="utf-8", errors="replace")
            if "listening on 127.0.0.1:" in text:
                return int(text.split("listening on 127.0.0.1:", 1)[1].split(",", 1)[0])
            if self.proc.poll() is not None:
                raise AssertionError(f"serve exited {self.proc.returncode}: {text}")
            time.sleep(0.05)
        raise AssertionError("serve did not start listening")

    def write_keys(self, text: str) -> None:
        self.keys_path.write_text(text, encoding="utf-8")

    def log(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.log_path.read_text().splitlines() if line]

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._err.close()
        return self.proc.returncode


@dataclass
class Remote:
    code: int | None
    out: str
    err: str


async def connect(served: Served, key: Key | None, **options: Any) -> asyncssh.SSHClientConnection:
    return await asyncssh.connect(
        "127.0.0.1",
        served.port,
        username="anyone",
        client_keys=[key.client_key] if key else [],
        known_hosts=None,
        agent_path=None,
        **options,
    )


async def run_remote(
    served: Served, key: Key, command: str | None, stdin: str | bytes | None = None
) -> Remote:
    """Run ``command`` over asyncssh's client (no PTY); its exit status, stdout, stderr."""
    data = stdin.encode() if isinstance(stdin, str) else stdin
    async with await connect(served, key) as conn:
        result = await conn.run(command, input=data, encoding=None, check=False)
    out = result.stdout if isinstance(result.stdout, bytes) else b""
    err = result.stderr if isinstance(result.stderr, bytes) else b""
    return Remote(result.exit_status, out.decode(), err.decode())


def ssh_binary() -> str:
    """OpenSSH's client: skip without it, but fail under CI (``.ci/install-ssh`` installs it)."""
    found = shutil.which("ssh")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("OpenSSH's ssh is missing (run .ci/install-ssh)")
        pytest.skip("OpenSSH's ssh is not installed (.ci/install-ssh installs it)")
    return found


def openssh(
    served: Served, key: Key | None, *command: str, stdin: str = "", options: Sequence[str] = ()
) -> subprocess.CompletedProcess[str]:
    """Run ``ssh`` against the server with ``key`` only (no agent, no other identities)."""
    args = [
        ssh_binary(),
        "-p",
        str(served.port),
        "-o",
        "StrictHostKeyChecking=no",
        "-o",
        f"UserKnownHostsFile={served.directory / 'known_hosts'}",
        "-o",
        "BatchMode=yes",
        "-o",
        "IdentitiesOnly=yes",
        "-o",
        "IdentityAgent=none",
        "-o",
        "LogLevel=ERROR",
        "-F",
        "/dev/null",
        *options,
    ]
    if key is not None:
        args += ["-i", str(key.path)]
    args += ["tester@127.0.0.1", *command]
    return subprocess.run(args, input=stdin, capture_output=True, text=True, timeout=120)


class RemoteScreen:
    """A PTY session over asyncssh's client, its output fed to a ``pyte`` screen."""

    def __init__(self, width: int = 80, height: int = 24) -> None:
        self.screen = pyte.Screen(width, height)
        self.stream = pyte.ByteStream(self.screen)
        self.conn: asyncssh.SSHClientConnection | None = None
        self.process: asyncssh.SSHClientProcess[bytes] | None = None
        self._reader: asyncio.Task[None] | None = None
        self.closed = asyncio.Event()

    async def open(self, served: Served, key: Key, command: str | None = None) -> RemoteScreen:
        self.conn = await connect(served, key)
        self.process = await self.conn.create_process(
            command,
            term_type="xterm-256color",
            term_size=(self.screen.columns, self.screen.lines),
            encoding=None,
        )
        self._reader = asyncio.ensure_future(self._read())
        return self

    async def _read(self) -> None:
        assert self.process is not None
        try:
            while data := await self.process.stdout.read(65536):
                self.stream.feed(data)
        except (asyncssh.Error, ConnectionError):
            pass
        finally:
            self.closed.set()

    def text(self) -> str:
        return "\n".join(self.screen.display)

    async def wait_for(self, predicate: Any, timeout: float = 60.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            shown = self.text()
            if predicate(shown):
                return shown
            if self.closed.is_set():
                break
            await asyncio.sleep(0.1)
        raise AssertionError(f"the screen never showed what was expected:\n{self.text()}")

    async def type(self, keys: str) -> None:
        assert self.process is not None
        self.process.stdin.write(keys.encode())
        await asyncio.sleep(0.3)

    def resize(self, width: int, height: int) -> None:
        assert self.process is not None
        self.screen.resize(height, width)
        self.process.change_terminal_size(width, height)

    async def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            await self.conn.wait_closed()
        if self._reader is not None:
            self._reader.cancel()


def process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # A zombie (exited, not yet reaped by the server) is gone too.
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True
