"""Options that several commands share, and reading what was typed into them."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from trustledger.domain.errors import LedgerError
from trustledger.tui.cli.main import cli_context, fail

if TYPE_CHECKING:
    from trustledger.projections import ModelConfig


def as_of_option(func: Any) -> Any:
    return click.option(
        "--as-of",
        "as_of",
        metavar="DATE",
        help="The state at the end of DATE (YYYY-MM-DD; default: today). May be in the future.",
    )(func)


def known_at_option(func: Any) -> Any:
    return click.option(
        "--known-at",
        "known_at",
        metavar="TIME",
        help="Count only events recorded at or before TIME (RFC 3339, or a date "
        "meaning the end of that day in UTC).",
    )(func)


def config_option(func: Any) -> Any:
    return click.option(
        "--config",
        "config_path",
        metavar="FILE",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Model parameters (TOML, [model] table); default: config.toml in the user "
        "config directory when it exists.",
    )(func)


def resolve_as_of(text: str | None) -> date:
    """``--as-of``, by default today by the command line's clock."""
    from trustledger.domain.moments import parse_date

    if not text:
        return cli_context().clock.today()
    try:
        return parse_date(text)
    except ValueError as exc:
        fail(f"--as-of: {exc}")


def resolve_known_at(text: str | None) -> datetime | None:
    from trustledger.domain.moments import parse_moment

    if not text:
        return None
    try:
        return parse_moment(text, end_of_day=True)
    except ValueError as exc:
        fail(f"--known-at: {exc}")


def resolve_config(path: Path | None) -> ModelConfig:
    """The model configuration (``--config``, else the user's file, else the defaults)."""
    from trustledger.tui.service.config import load_model_config

    try:
        return load_model_config(path)
    except LedgerError as exc:
        fail(str(exc))
