"""The connection log: one JSON object per line for every login, command and logout.

Fields (docs/CONTRACT.md, "Additions"): ``time`` (RFC 3339, UTC), ``event`` (``start``,
``login``, ``refused``, ``command``, ``logout``, ``keys``, ``stop``), ``user`` and ``role``
(the key's), ``fingerprint`` (``SHA256:...``), ``peer`` (``address:port``), ``session``
(a number per connection), and where they apply ``command``, ``exit``, ``duration``
(seconds), ``pid`` and ``reason``. Written to stderr, or appended to ``--log FILE``.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO


class ConnectionLog:
    """Appends entries to a file (created 0600) or to stderr; each line is flushed."""

    def __init__(self, path: Path | None, now: Callable[[], datetime] | None = None) -> None:
        self.path = path
        self.now = now or (lambda: datetime.now(UTC))
        self._stream: TextIO
        if path is None:
            self._stream = sys.stderr
        else:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            self._stream = os.fdopen(fd, "a", encoding="utf-8", buffering=1)

    def write(self, event: str, **fields: Any) -> None:
        entry = {"time": self.now().isoformat(timespec="milliseconds"), "event": event}
        entry.update({k: v for k, v in fields.items() if v is not None})
        try:
            self._stream.write(json.dumps(entry, ensure_ascii=False) + "\n")
            self._stream.flush()
        except (OSError, ValueError):
            pass  # a full disk or a closed stderr never takes a session down

    def tail(self, count: int) -> list[str]:
        """The last ``count`` lines of the log file (empty when the log goes to stderr)."""
        if self.path is None:
            return []
        try:
            with self.path.open(encoding="utf-8", errors="replace") as handle:
                lines = handle.read().splitlines()
        except OSError:
            return []
        return lines[-count:] if count > 0 else lines

    def close(self) -> None:
        if self.path is not None:
            self._stream.close()
