"""The clock: every "now" and "today" of the front ends and the ledger comes from here.

A front end is given a :class:`Clock` and hands it down: the live as-of date, the default
``--as-of``, a recorded line's default ``occurred_on`` and its recording time all read the
same clock. :class:`SystemClock` is the real one; :class:`FixedClock` stands still, so a
test means the same thing on any day it runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current moment, timezone-aware, in UTC."""
        ...

    def today(self) -> date:
        """The calendar day it is where the program runs (local time)."""
        ...


class SystemClock:
    """The computer's clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def today(self) -> date:
        return self.now().astimezone().date()


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
