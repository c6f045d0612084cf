"""Reading the points in time people type (``--as-of DATE``, ``--known-at``/``--since TIME``)
and the days event lines carry (:func:`parse_day`)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from typing import Any

_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_day(value: Any) -> date:
    """Read a calendar day: ``YYYY-MM-DD`` or an RFC 3339 timestamp.

    A timestamp counts on the calendar date it is written with (its own offset), so
    ``2025-03-01T23:30:00-05:00`` is 1 March whatever the reader's time zone.
    """
    if type(value) is str and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a real calendar date") from None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise ValueError("expected a date as YYYY-MM-DD or an RFC 3339 timestamp")
    text = value.strip()
    if _DATE_ONLY.match(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a real calendar date") from None
    not_a_day = f"{text!r} is not a date (YYYY-MM-DD) or an RFC 3339 timestamp"
    if not re.match(r"^\d{4}-\d{2}-\d{2}", text):  # Python also reads 20250602 and 2025-W23
        raise ValueError(not_a_day)
    try:
        stamp = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise ValueError(not_a_day) from None
    if stamp.tzinfo is None or not re.match(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}", text):
        raise ValueError(f"{text!r}: an RFC 3339 timestamp needs a time and an offset (Z, ±hh:mm)")
    return stamp.date()


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
