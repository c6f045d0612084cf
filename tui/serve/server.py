"""``trustledger serve``: the ledger as its own SSH server (asyncssh).

A key is an identity: the keys file (:mod:`.keys`, read again for every new connection and
on SIGHUP) maps each public key to a name and a role. Only public-key authentication is
offered; passwords and keyboard-interactive are refused, and a connection that tries more
than ``max_auth_tries`` keys, or takes longer than ``login_grace`` seconds to log in, is
dropped.

``ssh -t HOST`` gets the dashboard, drawn on the session's channel inside this process
(``dashboard``, handed over by the composition root: this package never imports the
dashboard), with the key's identity (:class:`~..service.access.Access`: it records under
the key's name only, a viewer not at all); every dashboard shares the server's one live
view of the store. ``ssh HOST COMMAND`` runs the scripting command as a process of its own
on pipes (:mod:`.sessions`; :mod:`.policy` says which commands), started from ``command``
(the ``trustledger`` command line) with ``TRUSTLEDGER_SERVE_ACTOR`` /
``TRUSTLEDGER_SERVE_ROLE`` set. Without a ``dashboard`` the dashboard too is such a
process, on a PTY. Without a PTY or a command the
client gets one line asking for ``-t`` and exit 2. Limits: ``max_sessions`` in all,
``max_per_key`` per key, ``idle_timeout`` seconds without traffic either way.

SIGTERM (or SIGINT) stops listening, ends every session and exits 0; what a
``record`` already committed stays (a record is one transaction: all or nothing).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import signal
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncssh
from trustledger.tui.serve.connlog import ConnectionLog
from trustledger.tui.serve.keys import Keys, KeysError, User, load_keys
from trustledger.tui.serve.policy import Refused, parse_request
from trustledger.tui.serve.sessions import run_dashboard, run_on_terminal, run_piped
from trustledger.tui.service.access import ACTOR_ENV, ROLE_ENV, Access
from trustledger.tui.service.channel import TerminalChannel

STORE_ENV = "TRUSTLEDGER_STORE"
#: What a client may set in its sessions' environment (besides the terminal type).
CLIENT_ENV = ("COLORTERM",)
#: Runs the dashboard for a key's identity on a channel (``as_of``: ``tui --as-of DATE``).
Dashboard = Callable[[Access, TerminalChannel, str | None], Awaitable[int]]
NEEDS_TERMINAL = (
    "trustledger: no terminal: add -t for the dashboard (ssh -t HOST), or give a command "
    "(ssh HOST report)\n"
)


@dataclass
class ServeOptions:
    """Everything ``trustledger serve`` was told."""

    host: str
    port: int
    keys_path: Path
    host_key: asyncssh.SSHKey
    command: Sequence[str]  # the trustledger command line, e.g. [python, -m, trustledger.tui]
    store_url: str | None = None
    log_path: Path | None = None
    max_sessions: int = 32
    max_per_key: int = 8
    idle_timeout: float = 3600.0
    login_grace: float = 30.0
    max_auth_tries: int = 6
    base_env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    dashboard: Dashboard | None = None  # None: the dashboard is a process on a PTY


@dataclass
class Session:
    number: int
    user: User
    fingerprint: str
    peer: str
    command: str
    started: float = field(default_factory=time.monotonic)
    last_traffic: float = field(default_factory=time.monotonic)
    pid: int | None = None


class LedgerServer:
    """The listening server, its keys, its sessions and its log."""

    def __init__(self, options: ServeOptions, log: ConnectionLog) -> None:
        self.options = options
        self.log = log
        self.keys: Keys = load_keys(options.keys_path)
        self.sessions: dict[int, Session] = {}
        self.tasks: set[asyncio.Task[Any]] = set()
        self.connections: set[asyncssh.SSHServerConnection] = set()
        self._numbers = itertools.count(1)
        self._connections = itertools.count(1)
        self._acceptor: asyncssh.SSHAcceptor | None = None

    # -- keys -------------------------------------------------------------------------------

    def reload_keys(self, why: str) -> None:
        """Read the keys file again; a bad file keeps the last good keys (and says so)."""
        try:
            self.keys = load_keys(self.options.keys_path)
        except KeysError as exc:
            self.log.write("keys", reason=f"{why}: kept the previous keys: {exc}")
            return
        if why == "SIGHUP":
            self.log.write("keys", reason=f"{why}: {len(self.keys.users)} user(s)")

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        options = self.options
        self._acceptor = await asyncssh.create_server(
            lambda: Connection(self),
            options.host,
            options.port,
            server_host_keys=[options.host_key],
            process_factory=self.handle,
            encoding=None,
            line_editor=False,
            login_timeout=options.login_grace,
            allow_scp=False,
            agent_forwarding=False,
            x11_forwarding=False,
        )

    @property
    def port(self) -> int:
        assert self._acceptor is not None
        return int(self._acceptor.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        """Stop listening, end every session and connection."""
        if self._acceptor is not None:
            self._acceptor.close()
        for conn in list(self.connections):
            conn.close()
        if self.tasks:
            await asyncio.wait(self.tasks, timeout=5.0)
        self.log.write("stop", reason=f"{len(self.sessions)} session(s) left")

    # -- sessions ---------------------------------------------------------------------------

    def session_env(self, user: User, term: str | None, client_env: Mapping[str, str]) -> dict:
        env = {
            k: v
            for k, v in self.options.base_env.items()
            if k not in (ACTOR_ENV, ROLE_ENV, "COLORTERM", "TERM")
        }
        if self.options.store_url:
            env[STORE_ENV] = self.options.store_url
        env[ACTOR_ENV] = user.name
        env[ROLE_ENV] = user.role
        env.setdefault("LANG", "C.UTF-8")
        if term:
            env["TERM"] = term
        for name in CLIENT_ENV:
            if name in client_env:
                env[name] = client_env[name]
        return env

    async def handle(self, process: asyncssh.SSHServerProcess[bytes]) -> None:
        task = asyncio.current_task()
        if task is not None:
            self.tasks.add(task)
        try:
            await self._handle(process)
        except Exception as exc:  # one session's failure never reaches another
            self.log.write("error", reason=f"{type(exc).__name__}: {exc}")
            with contextlib.suppress(Exception):
                process.stderr.write(b"trustledger: the session failed on the server\n")
                process.exit(2)
        finally:
            if task is not None:
                self.tasks.discard(task)

    async def _handle(self, process: asyncssh.SSHServerProcess[bytes]) -> None:
        conn: Connection = process.get_extra_info("connection").get_owner()
        user, fingerprint = conn.user, conn.fingerprint
        assert user is not None and fingerprint is not None
        command = process.command or ""
        session = Session(next(self._numbers), user, fingerprint, conn.peer, command)
        fields = {
            "user": user.name,
            "role": user.role,
            "fingerprint": fingerprint,
            "peer": conn.peer,
            "session": conn.number,
            "command": command,
        }

        def finish(status: int, reason: str | None = None) -> None:
            duration = round(time.monotonic() - session.started, 3)
            self.log.write(
                "command", **fields, exit=status, duration=duration, pid=session.pid, reason=reason
            )
            with contextlib.suppress(Exception):
                process.exit(status)

        def refuse(message: str) -> None:
            with contextlib.suppress(Exception):
                process.stderr.write(f"trustledger: {message}\n".encode())
            finish(2, message)

        term = process.get_terminal_type()
        try:
            request = parse_request(command, user.role)
        except Refused as exc:
            refuse(str(exc))
            return
        if request.dashboard and term is None:
            process.stderr.write(NEEDS_TERMINAL.encode())
            finish(2, "no terminal")
            return
        if request.name == "log":
            finish(self._show_log(process, request.args[1:]))
            return
        if len(self.sessions) >= self.options.max_sessions:
            refuse(f"the server is full ({self.options.max_sessions} sessions): try again later")
            return
        mine = sum(1 for s in self.sessions.values() if s.fingerprint == fingerprint)
        if mine >= self.options.max_per_key:
            refuse(
                f"this key has {mine} session(s) open already (at most {self.options.max_per_key})"
            )
            return
        self.sessions[session.number] = session
        argv = [*self.options.command, *(request.args or ("tui",))]
        env = self.session_env(user, term, process.env)

        def started(pid: int) -> None:
            session.pid = pid

        def activity() -> None:
            session.last_traffic = time.monotonic()

        idle = asyncio.ensure_future(self._idle_watch(session, process))
        try:
            dashboard = self.options.dashboard
            if request.dashboard and dashboard is not None:
                access = Access(actor=user.name, role=user.role)
                as_of = request.as_of

                def draw(channel: TerminalChannel) -> Awaitable[int]:
                    assert dashboard is not None
                    return dashboard(access, channel, as_of)

                status = await run_dashboard(process, draw, activity)
            else:
                runner = run_on_terminal if term is not None else run_piped
                status = await runner(process, argv, env, started, activity)
        finally:
            idle.cancel()
            self.sessions.pop(session.number, None)
        if status is None:
            self.log.write(
                "command",
                **fields,
                duration=round(time.monotonic() - session.started, 3),
                pid=session.pid,
                reason="the client went away",
            )
            return
        finish(status)

    async def _idle_watch(self, session: Session, process: asyncssh.SSHServerProcess) -> None:
        limit = self.options.idle_timeout
        if limit <= 0:
            return
        while True:
            left = session.last_traffic + limit - time.monotonic()
            if left <= 0:
                self.log.write("idle", user=session.user.name, session=session.number)
                with contextlib.suppress(Exception):
                    process.stderr.write(b"\r\ntrustledger: idle for too long: disconnected\r\n")
                process.close()
                return
            await asyncio.sleep(min(left, 5.0) + 0.01)

    def _show_log(self, process: asyncssh.SSHServerProcess[bytes], args: Sequence[str]) -> int:
        if self.options.log_path is None:
            process.stderr.write(
                b"trustledger: log: the connection log goes to the server's stderr "
                b"(start it with --log FILE)\n"
            )
            return 2
        try:
            count = int(args[0]) if args else 100
        except ValueError:
            process.stderr.write(b"trustledger: log: give a number of lines, as in 'log 50'\n")
            return 2
        for line in self.log.tail(count):
            process.stdout.write(line.encode() + b"\n")
        return 0


class Connection(asyncssh.SSHServer):
    """One client connection: its authentication and its log lines."""

    def __init__(self, server: LedgerServer) -> None:
        self.server = server
        self.number = next(server._connections)
        self.peer = "?"
        self.user: User | None = None
        self.fingerprint: str | None = None
        self.candidate: tuple[User, str] | None = None
        self.attempts = 0
        self.started = time.monotonic()
        self.conn: asyncssh.SSHServerConnection | None = None
        self.refusal: str | None = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self.conn = conn
        self.server.connections.add(conn)
        peer = conn.get_extra_info("peername") or ("?", 0)
        self.peer = f"{peer[0]}:{peer[1]}"
        self.server.reload_keys("new connection")

    def connection_lost(self, exc: Exception | None) -> None:
        if self.conn is not None:
            self.server.connections.discard(self.conn)
        duration = round(time.monotonic() - self.started, 3)
        if self.user is None:
            self.server.log.write(
                "refused",
                peer=self.peer,
                session=self.number,
                fingerprint=self.fingerprint,
                reason=self.refusal or ("no listed key" if self.attempts else "no key offered"),
                duration=duration,
            )
            return
        self.server.log.write(
            "logout",
            user=self.user.name,
            role=self.user.role,
            fingerprint=self.fingerprint,
            peer=self.peer,
            session=self.number,
            duration=duration,
        )

    def begin_auth(self, username: str) -> bool:
        return True  # every connection authenticates; the user name is ignored

    def public_key_auth_supported(self) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return False

    def kbdint_auth_supported(self) -> bool:
        return False

    def host_based_auth_supported(self) -> bool:
        return False

    def gss_host_based_auth_supported(self) -> bool:
        return False

    def gss_kex_auth_supported(self) -> bool:
        return False

    def gss_mic_auth_supported(self) -> bool:
        return False

    def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        self.attempts += 1
        found = self.server.keys.find(key)
        if found is None:
            self.fingerprint = key.get_fingerprint("sha256")
            if self.attempts >= self.server.options.max_auth_tries and self.conn is not None:
                self.refusal = f"{self.attempts} keys tried, none listed"
                self.conn.disconnect(
                    asyncssh.DISC_NO_MORE_AUTH_METHODS_AVAILABLE, "too many authentication tries"
                )
            return False
        self.candidate = found  # the key is listed; asyncssh checks its signature next
        return True

    def auth_completed(self) -> None:
        assert self.candidate is not None
        self.user, self.fingerprint = self.candidate
        self.server.log.write(
            "login",
            user=self.user.name,
            role=self.user.role,
            fingerprint=self.fingerprint,
            peer=self.peer,
            session=self.number,
        )


async def serve_until_stopped(options: ServeOptions, log: ConnectionLog, ready: Any) -> None:
    """Run the server until SIGTERM or SIGINT; SIGHUP reloads the keys file. ``ready`` is
    called with the server once it listens."""
    server = LedgerServer(options, log)
    await server.start()
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    loop.add_signal_handler(signal.SIGHUP, server.reload_keys, "SIGHUP")
    ready(server)
    await stop.wait()
    await server.stop()
