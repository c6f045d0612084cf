"""The model's parameters and thresholds in one frozen object, and loading them from TOML.

Every number the projections use lives in :class:`ModelConfig`, with its default and what it
means (the ``description`` of each field, so a README or ``--help`` table can be built from
``ModelConfig.model_fields``).
A user may override any of them in the ``[model]`` table of a TOML file::

    [model]
    half_life_days = 120
    trusted_min_trust = 0.8

The default file is ``config.toml`` in platformdirs' ``user_config_dir("trustledger")``; when
it does not exist the defaults apply. Other tables in the file are left to other parts of the
program. Unknown keys and bad values are errors that name the file and the key.

:data:`MODEL_VERSION` names the scoring model; it is reported in the JSON and stored with a
follower's warm-start cache. Change it whenever a change to this package changes any score
or status. (A change to the layout of the fold's state needs no new version: a snapshot is
only loaded by the very code that wrote it, see :mod:`~trustledger.projections.follower`.)
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

MODEL_VERSION = "1.0"
CONFIG_TABLE = "model"
CONFIG_FILE_NAME = "config.toml"


class ModelConfig(BaseModel):
    """Parameters of the trust and alignment model and the thresholds of status and alerts."""

    # Built when a file is first validated: the defaults need no validator, and building
    # one at import would load pydantic's plugin machinery before a dashboard's first frame.
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, defer_build=True)

    # -- trust --------------------------------------------------------------------------
    half_life_days: float = Field(
        default=180.0,
        gt=0,
        description="Days after which a kept or missed commitment counts half as much as evidence.",
    )
    recovery_share: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="Share of a missed commitment's weight taken back when an issue naming it "
        "is resolved (once per missed commitment).",
    )
    # -- alignment ----------------------------------------------------------------------
    alignment_half_life_days: float = Field(
        default=180.0,
        gt=0,
        description="Days after which a review counts half as much in the partnership's alignment.",
    )
    # -- status -------------------------------------------------------------------------
    unproven_uncertainty: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="Above this trust uncertainty, and with no review, a partnership is "
        "'unproven' (insufficient evidence).",
    )
    trusted_min_trust: float = Field(
        default=0.75, ge=0, le=1, description="'trusted' needs at least this trust."
    )
    trusted_max_uncertainty: float = Field(
        default=0.25, ge=0, le=1, description="'trusted' needs at most this trust uncertainty."
    )
    trusted_min_alignment: float = Field(
        default=0.7,
        ge=0,
        le=1,
        description="'trusted' needs at least this alignment (so a review).",
    )
    emerging_min_trust: float = Field(
        default=0.6,
        ge=0,
        le=1,
        description="'emerging' (could become trusted) needs at least this trust.",
    )
    emerging_min_alignment: float = Field(
        default=0.55,
        ge=0,
        le=1,
        description="'emerging' needs at least this alignment when there has been a review.",
    )
    at_risk_max_trust: float = Field(
        default=0.45, ge=0, le=1, description="Trust below this makes a partnership 'at_risk'."
    )
    at_risk_max_alignment: float = Field(
        default=0.4, ge=0, le=1, description="Alignment below this makes a partnership 'at_risk'."
    )
    at_risk_overdue: int = Field(
        default=3,
        ge=1,
        description="This many overdue commitments or more make a partnership 'at_risk'.",
    )
    partner_card_window_days: int = Field(
        default=180,
        ge=0,
        description="A partner card played within this many days makes a partnership 'at_risk' "
        "and raises an alert.",
    )
    # -- alerts -------------------------------------------------------------------------
    issue_open_too_long_days: int = Field(
        default=30, ge=0, description="An issue open for more than this many days raises an alert."
    )
    trust_drop_window_days: int = Field(
        default=30, ge=1, description="The window over which a sharp trust drop is measured."
    )
    trust_drop: float = Field(
        default=0.15,
        gt=0,
        le=1,
        description="Trust falling by at least this much within the window raises an alert.",
    )
    concentration_share: float = Field(
        default=0.5,
        gt=0,
        le=1,
        description="One partnership holding more than this share of the portfolio's revenue "
        "in the last 12 months raises an alert.",
    )
    # -- portfolio ----------------------------------------------------------------------
    trusted_target_share: float = Field(
        default=0.2,
        ge=0,
        le=1,
        description="The share of partnerships expected to become trusted (about one customer "
        "in five values a trusted partnership).",
    )
    asymmetry_high: int = Field(
        default=4,
        ge=1,
        le=5,
        description="A dimension of the latest review is asymmetric when one side scores it "
        "at least this and the other side at most asymmetry_low.",
    )
    asymmetry_low: int = Field(
        default=2,
        ge=1,
        le=5,
        description="The low side's highest score for an asymmetry (see above).",
    )

    @model_validator(mode="after")
    def _asymmetry_order(self) -> ModelConfig:
        if self.asymmetry_low >= self.asymmetry_high:
            raise ValueError("asymmetry_low must be below asymmetry_high")
        return self


DEFAULT_CONFIG = ModelConfig.model_construct()  # the defaults, valid by definition (tested)


def config_values(config: ModelConfig) -> dict[str, Any]:
    """Every setting of ``config`` by name: what ``config.model_dump()`` gives, read without
    building pydantic's serializer (a read model's key is checked before the first frame)."""
    return {name: getattr(config, name) for name in ModelConfig.model_fields}


def default_config_path() -> Path:
    """Where :func:`load_config` looks when no path is given."""
    return Path(platformdirs.user_config_dir("trustledger")) / CONFIG_FILE_NAME


def config_from_mapping(values: Mapping[str, Any], source: str = "config") -> ModelConfig:
    """Build a :class:`ModelConfig` from the ``[model]`` table; errors name ``source`` and key."""
    known = ModelConfig.model_fields
    for key in values:
        if key not in known:
            raise ValueError(
                f"{source}: unknown key {CONFIG_TABLE}.{key} "
                f"(known keys: {', '.join(sorted(known))})"
            )
    try:
        return ModelConfig.model_validate(dict(values))
    except ValidationError as exc:
        error = exc.errors()[0]
        key = ".".join(str(part) for part in error["loc"]) or "(table)"
        got = f" (got {error['input']!r})" if error["loc"] else ""
        raise ValueError(f"{source}: {CONFIG_TABLE}.{key}: {error['msg']}{got}") from None


def load_config(path: Path | None = None) -> ModelConfig:
    """Read the ``[model]`` table of a TOML file into a :class:`ModelConfig`.

    Without ``path`` the default file is read when it exists, otherwise the defaults apply.
    A given ``path`` must exist. Raises ``ValueError`` naming the file (and the key) when the
    file cannot be read, is not TOML, or holds an unknown key or a bad value.
    """
    target = default_config_path() if path is None else Path(path)
    if path is None and not target.is_file():
        return DEFAULT_CONFIG
    try:
        text = target.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"{target}: cannot read the configuration: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ValueError(f"{target}: the configuration is not UTF-8 text") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{target}: not valid TOML: {exc}") from None
    table = data.get(CONFIG_TABLE, {})
    if not isinstance(table, dict):
        raise ValueError(f"{target}: {CONFIG_TABLE} must be a table ([{CONFIG_TABLE}])")
    return config_from_mapping(table, source=str(target))
