"""The clock: every "now" and "today" of the front ends and the ledger comes from here.

A front end is given a :class:`Clock` and hands it down: the live as-of date, the default
``--as-of``, a recorded line's default ``occurred_on`` and its recording time all read the
same clock. :class:`SystemClock` is the real one; :class:`FixedClock` stands still, so a
test means the same thing on any day it runs.

A real process's business day can be pinned with ``TRUSTLEDGER_TODAY=YYYY-MM-DD`` (for
demos, training and tests): :class:`SystemClock` is the one place that reads it. Only
``today()`` follows it; ``now()``, the recording time that the audit trail and ``--known-at``
rest on, is always the computer's clock.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Protocol

from trustledger.domain.errors import LedgerError, quoted

#: The environment variable that pins :meth:`SystemClock.today`.
TODAY_ENV = "TRUSTLEDGER_TODAY"

_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class Clock(Protocol):
    def now(self) -> datetime:
        """The current moment, timezone-aware, in UTC."""
        ...

    def today(self) -> date:
        """The calendar day it is where the program runs (local time)."""
        ...


class ClockError(LedgerError):
    """``TRUSTLEDGER_TODAY`` holds something that is not a date."""


class SystemClock:
    """The computer's clock; ``TRUSTLEDGER_TODAY``, when set, pins its ``today()``."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def today(self) -> date:
        return self.pinned_day() or self.now().astimezone().date()

    @staticmethod
    def pinned_day() -> date | None:
        """The day ``TRUSTLEDGER_TODAY`` names, or None when it is unset or empty.

        Read on every call (it is cheap), so a process follows the environment it runs in; a
        front end asks for ``today()`` once at start, so that a bad value fails there.
        """
        text = os.environ.get(TODAY_ENV, "").strip()
        if not text:
            return None
        if _DAY.fullmatch(text):
            try:
                return date.fromisoformat(text)
            except ValueError:
                pass
        raise ClockError(f"{TODAY_ENV} must be a date (YYYY-MM-DD), not {quoted(text, 40)}")


@dataclass(frozen=True)
class FixedClock:
    """A clock that always tells ``at`` (timezone-aware)."""

    at: datetime

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise ValueError("a fixed clock needs a timezone-aware time")

    @classmethod
    def on(cls, day: date, hour: int = 12) -> FixedClock:
        """The clock at ``hour`` o'clock local time on ``day``: its ``today()`` is ``day``."""
        return cls(datetime.combine(day, time(hour)).astimezone())

    def now(self) -> datetime:
        return self.at.astimezone(UTC)

    def today(self) -> date:
        return self.at.astimezone().date()


SYSTEM_CLOCK: Clock = SystemClock()
