"""Reading the points in time people type: ``--as-of DATE``, ``--known-at``/``--since TIME``."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from trustledger.domain.events import parse_day


def parse_date(text: str) -> date:
    """A calendar day, ``YYYY-MM-DD`` (or an RFC 3339 timestamp, taken on its own date)."""
    return parse_day(text)


def parse_moment(text: str, *, end_of_day: bool) -> datetime:
    """An RFC 3339 timestamp, or a date meaning the start (or end) of that day in UTC."""
    value = text.strip()
    if len(value) == 10:
        day = parse_day(value)
        clock = time.max if end_of_day else time.min
        return datetime.combine(day, clock, tzinfo=UTC)
    try:
        stamp = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        raise ValueError(
            f"{value!r} is not an RFC 3339 timestamp (2025-06-30T17:00:00Z) or a date"
        ) from None
    if stamp.tzinfo is None:
        raise ValueError(f"{value!r} needs an offset (Z or ±hh:mm)")
    try:
        return stamp.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+01:00 is in year 0 in UTC
        raise ValueError(
            f"{value!r} is out of range: in UTC it falls before 0001-01-01 or after 9999-12-31"
        ) from None
