"""The model's parameters, loaded by the same rules for every front end.

``--config FILE`` (or the dashboard's equivalent) names the file; without it, ``config.toml``
in the user config directory is used when it exists, else the defaults. A file that cannot be
read or holds a bad value is an error — one line naming the file and the key — in the
command line and in the dashboard alike, never silently replaced by the defaults.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from trustledger.domain.errors import LedgerError, first_line

if TYPE_CHECKING:
    from trustledger.projections import ModelConfig


class ConfigError(LedgerError):
    """The model configuration cannot be used; the message is one line."""


def load_model_config(path: Path | None = None) -> ModelConfig:
    """The model configuration from ``path``, else the user's file, else the defaults."""
    from trustledger.projections import load_config

    try:
        return load_config(path)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"config: {first_line(exc)}") from None
