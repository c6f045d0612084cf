"""An event as the ledger holds it (:class:`Recorded`), and the words of the event lines that
need no validation: the review dimensions, the largest amount one line may carry and the
names of the correction types.

The line models themselves (:mod:`~trustledger.domain.events`) are pydantic models; reading
what is recorded (the projections, a dashboard's first frame) needs only these, and loads no
validation library.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from trustledger.domain.events import EventLine

#: The eight dimensions a review scores, in the contract's order.
DIMENSIONS: tuple[str, ...] = (
    "vision",
    "values",
    "resources",
    "risk",
    "rewards",
    "communication",
    "roles",
    "expectations",
)

#: The largest revenue amount one line may carry: sums of many stay far from overflowing.
MAX_AMOUNT = 1e15

#: The types of the lines that correct an earlier event (``CORRECTION_TYPES``' keys).
VOIDED = "event_voided"
AMENDED = "event_amended"
CORRECTION_NAMES = frozenset((VOIDED, AMENDED))


@dataclass(frozen=True, slots=True)
class Recorded:
    """One event as the ledger holds it: the line plus what the ledger stamped on it.

    ``position`` is the store-wide recording order (the notification id), ``version`` the
    event's place in its partnership's own history (1 = registration), ``recorded_at`` the
    recording time (UTC) and ``link`` the hash that chains it to the event before it.
    """

    position: int
    version: int
    recorded_at: datetime
    line: EventLine
    link: str

    @property
    def partnership(self) -> str:
        return self.line.partnership

    @property
    def type(self) -> str:
        return self.line.type

    @property
    def occurred_on(self) -> date:
        # Every stored line has its day filled in by the ledger.
        assert self.line.occurred_on is not None
        return self.line.occurred_on


#: The setters of Recorded's slots, in field order (what its frozen ``__init__`` goes round).
RECORDED_SLOTS = tuple(
    getattr(Recorded, name).__set__
    for name in ("position", "version", "recorded_at", "line", "link")
)
