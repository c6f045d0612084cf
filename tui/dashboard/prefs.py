"""What the dashboard remembers between runs: the theme and the portfolio's sort.

Kept in ``dashboard.json`` in the user config directory (beside ``config.toml``, which holds
the model and is the user's to edit: the dashboard never rewrites it). A missing or unreadable
file means the defaults; a file that cannot be written is left as it was, and the dashboard
runs on (remembering is a convenience, never a reason to stop).
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

PREFS_FILE_NAME = "dashboard.json"


def default_prefs_path() -> Path:
    import platformdirs

    return Path(platformdirs.user_config_dir("trustledger")) / PREFS_FILE_NAME


@dataclass
class Prefs:
    """The remembered choices; ``path`` None: remembered for this run only (tests)."""

    theme: str | None = None
    sort: str | None = None
    reverse: bool = False
    path: Path | None = field(default=None, compare=False, repr=False)

    @classmethod
    def load(cls, path: Path | None) -> Prefs:
        """The choices saved at ``path`` (the defaults when there are none or they are
        unreadable)."""
        found = cls(path=path)
        if path is None:
            return found
        try:
            data: Any = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return found
        if not isinstance(data, dict):
            return found
        if isinstance(data.get("theme"), str):
            found.theme = data["theme"]
        if isinstance(data.get("sort"), str):
            found.sort = data["sort"]
        found.reverse = data.get("reverse") is True
        return found

    def update(self, **changes: Any) -> None:
        """Change some choices and save them all."""
        for name, value in changes.items():
            setattr(self, name, value)
        self.save()

    def save(self) -> bool:
        """Write the choices (atomically); False when they could not be written."""
        if self.path is None:
            return False
        data = {k: v for k, v in asdict(self).items() if k != "path"}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(dir=self.path.parent, prefix=".dashboard-")
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(data, out, indent=2)
            os.replace(temp, self.path)
        except OSError:
            return False
        return True
