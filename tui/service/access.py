"""Who is recording, and whether they may: the identity a session was started with.

``trustledger serve`` starts every remote session's process with two environment variables
(docs/CONTRACT.md, "Additions"):

- ``TRUSTLEDGER_SERVE_ACTOR``: the name of the key that logged in. Every line recorded in
  the process carries it as its ``actor``: it wins over ``--actor``, a form's actor field
  and an ``actor`` field in a line, which are all replaced by it.
- ``TRUSTLEDGER_SERVE_ROLE``: ``viewer``, ``recorder`` or ``admin``. A viewer records
  nothing (:class:`NotAllowed`, exit 2 on the command line; the dashboard offers no form).

A remote user cannot set either: the server builds its sessions' environment itself and
takes nothing from the client but the terminal type. Unset (a local process), recording
goes on as before: the actor is the line's, else ``--actor``, else the login name.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from trustledger.domain.errors import InvalidLine, LedgerError, quoted

if TYPE_CHECKING:  # the line models are loaded when lines are stamped, not to ask who records
    from trustledger.domain.events import EventLine
    from trustledger.domain.ledger import Located

ACTOR_ENV = "TRUSTLEDGER_SERVE_ACTOR"
ROLE_ENV = "TRUSTLEDGER_SERVE_ROLE"
ROLES = ("viewer", "recorder", "admin")


class NotAllowed(LedgerError):
    """The session's role may not do this."""


class AccessError(LedgerError):
    """The session's environment names a role that is not one."""


@dataclass(frozen=True)
class Access:
    """The identity of a process: ``actor`` (forced on every recorded line) and ``role``;
    both None for a local process."""

    actor: str | None = None
    role: str | None = None

    @classmethod
    def from_environment(cls) -> Access:
        actor = os.environ.get(ACTOR_ENV, "").strip() or None
        role = os.environ.get(ROLE_ENV, "").strip() or None
        if role is not None and role not in ROLES:
            raise AccessError(f"{ROLE_ENV} must be one of {', '.join(ROLES)}, not {quoted(role)}")
        if actor is not None and role is None:
            role = "viewer"  # an identity without a role gets the least
        return cls(actor=actor, role=role)

    @property
    def remote(self) -> bool:
        """Started by ``trustledger serve`` for a key."""
        return self.actor is not None

    @property
    def may_record(self) -> bool:
        return self.role != "viewer"

    def require_recording(self) -> None:
        if not self.may_record:
            raise NotAllowed(f"{self.actor or 'this session'} is a viewer: viewers do not record")

    def stamp(self, lines: Sequence[Located]) -> Sequence[Located]:
        """``lines`` with the forced actor on every line that parses (a line that does not
        is left to the ledger, which names its fault)."""
        if self.actor is None:
            return lines
        from trustledger.domain.events import EventLine
        from trustledger.domain.ledger import Located, parse_line

        stamped: list[Located] = []
        for item in lines:
            content = item.content
            if not isinstance(content, EventLine):
                try:
                    content = parse_line(content)
                except InvalidLine:
                    stamped.append(item)
                    continue
            stamped.append(Located(item.source, item.lineno, self.stamp_line(content)))
        return stamped

    def stamp_line(self, line: EventLine) -> EventLine:
        if self.actor is None or line.actor == self.actor:
            return line
        return line.model_copy(update={"actor": self.actor})


def current_access() -> Access:
    """The access of this process, read from its environment on every call."""
    return Access.from_environment()
