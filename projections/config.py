"""The model's parameters and thresholds in one frozen object, and loading them from TOML.

Every number the projections use lives in :class:`ModelConfig`, with its default and what it
means (the ``description`` in each field's metadata, so a README or ``--help`` table can be
built from :data:`SETTINGS`). It is a plain frozen dataclass: making it, with the defaults or
with values checked already, needs no validation library; pydantic checks the values a file
gives (:func:`config_from_mapping`), and is loaded only then.
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
from dataclasses import dataclass, field, fields
from functools import cache
from pathlib import Path
from typing import Any, get_type_hints

import platformdirs

MODEL_VERSION = "1.0"
CONFIG_TABLE = "model"
CONFIG_FILE_NAME = "config.toml"


def setting(default: float, description: str, **bounds: float) -> Any:
    """A setting's default, what it means and its bounds (``gt``, ``ge``, ``le``: checked
    when a file sets it, see :func:`config_from_mapping`)."""
    return field(default=default, metadata={"description": description, "bounds": bounds})


@dataclass(frozen=True, slots=True)
class ModelConfig:
    """Parameters of the trust and alignment model and the thresholds of status and alerts.

    A plain frozen value: the defaults, or what :func:`config_from_mapping` validated. It is
    made without pydantic, so that a dashboard's first frame and a reading command load no
    validation machinery; pydantic checks a file's values (:func:`_validator`).
    """

    # -- trust --------------------------------------------------------------------------
    half_life_days: float = setting(
        180.0, "Days after which a kept or missed commitment counts half as much as evidence.", gt=0
    )
    recovery_share: float = setting(
        0.5,
        "Share of a missed commitment's weight taken back when an issue naming it is resolved "
        "(once per missed commitment).",
        ge=0,
        le=1,
    )
    # -- alignment ----------------------------------------------------------------------
    alignment_half_life_days: float = setting(
        180.0, "Days after which a review counts half as much in the partnership's alignment.", gt=0
    )
    # -- status -------------------------------------------------------------------------
    unproven_uncertainty: float = setting(
        0.5,
        "Above this trust uncertainty, and with no review, a partnership is 'unproven' "
        "(insufficient evidence).",
        ge=0,
        le=1,
    )
    trusted_min_trust: float = setting(0.75, "'trusted' needs at least this trust.", ge=0, le=1)
    trusted_max_uncertainty: float = setting(
        0.25, "'trusted' needs at most this trust uncertainty.", ge=0, le=1
    )
    trusted_min_alignment: float = setting(
        0.7, "'trusted' needs at least this alignment (so a review).", ge=0, le=1
    )
    emerging_min_trust: float = setting(
        0.6, "'emerging' (could become trusted) needs at least this trust.", ge=0, le=1
    )
    emerging_min_alignment: float = setting(
        0.55, "'emerging' needs at least this alignment when there has been a review.", ge=0, le=1
    )
    at_risk_max_trust: float = setting(
        0.45, "Trust below this makes a partnership 'at_risk'.", ge=0, le=1
    )
    at_risk_max_alignment: float = setting(
        0.4, "Alignment below this makes a partnership 'at_risk'.", ge=0, le=1
    )
    at_risk_overdue: int = setting(
        3, "This many overdue commitments or more make a partnership 'at_risk'.", ge=1
    )
    partner_card_window_days: int = setting(
        180,
        "A partner card played within this many days makes a partnership 'at_risk' and raises an "
        "alert.",
        ge=0,
    )
    # -- alerts -------------------------------------------------------------------------
    issue_open_too_long_days: int = setting(
        30, "An issue open for more than this many days raises an alert.", ge=0
    )
    trust_drop_window_days: int = setting(
        30, "The window over which a sharp trust drop is measured.", ge=1
    )
    trust_drop: float = setting(
        0.15, "Trust falling by at least this much within the window raises an alert.", gt=0, le=1
    )
    concentration_share: float = setting(
        0.5,
        "One partnership holding more than this share of the portfolio's revenue in the last 12 "
        "months raises an alert.",
        gt=0,
        le=1,
    )
    # -- portfolio ----------------------------------------------------------------------
    trusted_target_share: float = setting(
        0.2,
        "The share of partnerships expected to become trusted (about one customer in five values "
        "a trusted partnership).",
        ge=0,
        le=1,
    )
    asymmetry_high: int = setting(
        4,
        "A dimension of the latest review is asymmetric when one side scores it at least this "
        "and the other side at most asymmetry_low.",
        ge=1,
        le=5,
    )
    asymmetry_low: int = setting(
        2, "The low side's highest score for an asymmetry (see above).", ge=1, le=5
    )


DEFAULT_CONFIG = ModelConfig()  # the defaults, valid by definition (tested)


def config_values(config: ModelConfig) -> dict[str, Any]:
    """Every setting of ``config`` by name, in declaration order."""
    return {name: getattr(config, name) for name in SETTINGS}


#: Every setting: its name, declaration (default, description and bounds in ``metadata``).
SETTINGS: dict[str, Any] = {f.name: f for f in fields(ModelConfig)}


@cache
def _validator() -> Any:
    """A pydantic model of the settings, built on first use (only a file's values need it):
    strict types, the bounds, no unknown keys, and the asymmetry thresholds in order."""
    from pydantic import BaseModel, ConfigDict, Field, create_model, model_validator

    class Checked(BaseModel):
        model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

        @model_validator(mode="after")
        def _asymmetry_order(self) -> Any:
            if self.asymmetry_low >= self.asymmetry_high:  # type: ignore[attr-defined]
                raise ValueError("asymmetry_low must be below asymmetry_high")
            return self

    types = get_type_hints(ModelConfig)
    declared: dict[str, Any] = {
        name: (
            types[name],
            Field(
                default=item.default,
                description=item.metadata["description"],
                **item.metadata["bounds"],
            ),
        )
        for name, item in SETTINGS.items()
    }
    return create_model("ModelConfig", __base__=Checked, **declared)


def default_config_path() -> Path:
    """Where :func:`load_config` looks when no path is given."""
    return Path(platformdirs.user_config_dir("trustledger")) / CONFIG_FILE_NAME


def config_from_mapping(values: Mapping[str, Any], source: str = "config") -> ModelConfig:
    """Build a :class:`ModelConfig` from the ``[model]`` table; errors name ``source`` and key."""
    known = SETTINGS
    for key in values:
        if key not in known:
            raise ValueError(
                f"{source}: unknown key {CONFIG_TABLE}.{key} "
                f"(known keys: {', '.join(sorted(known))})"
            )
    from pydantic import ValidationError

    try:
        checked = _validator().model_validate(dict(values))
    except ValidationError as exc:
        error = exc.errors()[0]
        key = ".".join(str(part) for part in error["loc"]) or "(table)"
        got = f" (got {error['input']!r})" if error["loc"] else ""
        raise ValueError(f"{source}: {CONFIG_TABLE}.{key}: {error['msg']}{got}") from None
    return ModelConfig(**checked.model_dump())


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
