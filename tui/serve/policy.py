"""What a remote command may be, for which role (docs/CONTRACT.md, "Additions").

``ssh HOST COMMAND ...`` runs one of the scripting commands on the server's store. The
command string is split as a POSIX shell would (quotes, backslashes; no expansion, no
pipes). A leading ``trustledger`` is dropped, so ``ssh HOST trustledger report`` works as it
does on a shell account. Refused (one line, exit 2): a command the role may not run, the
local-only commands (``migrate``, ``serve``, ``pack``, ``demo``, ``rebuild``), another store
(``--store``), a server-side file (``--config``, ``record FILE``).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

#: The least role that may run each remote command (``tui``: the dashboard, with ``-t``).
COMMAND_ROLES: dict[str, str] = {
    "tui": "viewer",
    "report": "viewer",
    "check": "viewer",
    "export": "viewer",
    "history": "viewer",
    "schema": "viewer",
    "audit": "viewer",
    "record": "recorder",
    "partner": "recorder",
    "commit": "recorder",
    "kept": "recorder",
    "missed": "recorder",
    "renegotiate": "recorder",
    "review": "recorder",
    "issue": "recorder",
    "resolve": "recorder",
    "revenue": "recorder",
    "end": "recorder",
    "void": "recorder",  # corrections record events like any other
    "amend": "recorder",
    "log": "admin",  # the server's connection log: answered by the server itself
}
LOCAL_ONLY = ("migrate", "serve", "pack", "demo", "rebuild")
RANK = {"viewer": 0, "recorder": 1, "admin": 2}
#: Options that would reach past the server's store or read the server's files.
FORBIDDEN_OPTIONS = ("--store", "--config", "--lock-timeout")
HELP = ("-h", "--help", "--version", "help")


class Refused(Exception):
    """The command may not run: the message is the one line the client gets (exit 2)."""


@dataclass(frozen=True)
class Request:
    """A command to run: ``args`` for the command line (``tui``: the dashboard)."""

    args: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.args[0] if self.args else "tui"

    @property
    def dashboard(self) -> bool:
        return self.name == "tui"

    @property
    def as_of(self) -> str | None:
        """The date of the dashboard's ``--as-of DATE`` / ``--as-of=DATE`` (the one option
        :func:`parse_request` lets through for ``tui``)."""
        rest = self.args[1:] if self.dashboard else ()
        if len(rest) == 2 and rest[0] == "--as-of":
            return rest[1]
        if len(rest) == 1 and rest[0].startswith("--as-of="):
            return rest[0].split("=", 1)[1]
        return None


def allowed(role: str, command: str) -> bool:
    need = COMMAND_ROLES.get(command)
    return need is not None and RANK[role] >= RANK[need]


def parse_request(command: str | None, role: str) -> Request:
    """The request a session's command string makes, or :class:`Refused`."""
    try:
        args = shlex.split(command or "")
    except ValueError as exc:
        raise Refused(f"cannot read the command: {exc}") from None
    if args and args[0] == "trustledger":
        args = args[1:]
    if not args:
        return Request(())
    name = args[0]
    if name in HELP:
        return Request(("--help",) if name == "help" else (name,))
    for arg in args:
        option = arg.split("=", 1)[0]
        if option in FORBIDDEN_OPTIONS:
            raise Refused(f"{option}: not over SSH (the server chooses the store and its files)")
    if name in LOCAL_ONLY:
        raise Refused(f"{name}: local only (run it on the server)")
    if name not in COMMAND_ROLES:
        known = ", ".join(c for c in COMMAND_ROLES if allowed(role, c))
        raise Refused(f"{name}: no such command over SSH (yours: {known})")
    if not allowed(role, name):
        raise Refused(f"{name}: a {role} may not run it (it needs {COMMAND_ROLES[name]})")
    if name == "record":
        files = [a for a in args[1:] if a not in ("-", "--help", "-h")]
        if files:
            raise Refused("record: over SSH the lines come on stdin only, not from files")
    if name == "tui":
        rest = args[1:]
        plain = not rest or (len(rest) == 1 and rest[0].startswith("--as-of="))
        if not plain and not (len(rest) == 2 and rest[0] == "--as-of"):
            raise Refused("tui: only --as-of DATE over SSH")
    return Request(tuple(args))
