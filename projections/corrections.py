"""Corrections in the event stream: the one step that makes every projection follow them.

A correction (``event_voided``, ``event_amended``) changes what is known from its recording
time on. Before the fold, :func:`corrected` turns the recorded events into the stream the
projections count: the events known at ``known_at`` with the corrections known then applied
-- a voided event left out, an amended one replaced by its corrected line *in the original's
place* (its position, version, recording time and link) -- and the corrections themselves
left out. So trust, alignment, status, alerts, trends and explanations all follow, and:

- ``known_at`` before a correction: the stream holds the original (what was known then);
- no ``known_at`` (``--as-of`` alone): the corrected history, on any as-of date. A
  correction's own ``occurred_on`` plays no part: the as-of filter comes after this step and
  looks at the corrected lines.

A stream read once (the whole store, page by page) cannot be looked ahead in: pass the
store's corrections (``Ledger.corrections``), read first. Given a list, they are found in it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, NamedTuple, cast

from trustledger.domain.recorded import AMENDED, CORRECTION_NAMES, VOIDED, Recorded

if TYPE_CHECKING:
    from trustledger.domain.events import EventAmended, EventVoided


class InForce(NamedTuple):
    """The correction in force for one event: its void, else its latest amendment, and every
    correction of it known (oldest first)."""

    void: Recorded | None
    amendment: Recorded | None
    all: tuple[Recorded, ...]


def is_correction(recorded: Recorded) -> bool:
    return recorded.line.type in CORRECTION_NAMES


def _known(recorded: Recorded, known_at: datetime | None) -> bool:
    if known_at is None:
        return True
    stamp, limit = recorded.recorded_at, known_at
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    if limit.tzinfo is None:
        limit = limit.replace(tzinfo=UTC)
    return stamp <= limit


def in_force(
    corrections: Iterable[Recorded], known_at: datetime | None = None
) -> dict[str, InForce]:
    """The corrections known at ``known_at``, by the id of the event they correct."""
    found: dict[str, InForce] = {}
    for recorded in corrections:
        # A line's type names its model (a recorded line was validated as one).
        if recorded.line.type not in CORRECTION_NAMES or not _known(recorded, known_at):
            continue
        line = cast("EventVoided | EventAmended", recorded.line)
        before = found.get(line.event, InForce(None, None, ()))
        if line.type == VOIDED:
            found[line.event] = InForce(recorded, before.amendment, (*before.all, recorded))
        else:
            found[line.event] = InForce(before.void, recorded, (*before.all, recorded))
    return found


def corrected(
    events: Iterable[Recorded],
    known_at: datetime | None = None,
    corrections: Iterable[Recorded] | None = None,
) -> Iterable[Recorded]:
    """The events known at ``known_at`` with the corrections known then applied, in recording
    order (see the module docstring). ``corrections``: the store's corrections when
    ``events`` is a stream read once; None to find them in ``events``.

    With no correction in force the events come back as they are (corrections among them:
    the fold skips them), so a store without corrections replays exactly as before.
    """
    if corrections is None:
        events = events if isinstance(events, Sequence) else list(events)
        corrections = [recorded for recorded in events if is_correction(recorded)]
    force = in_force(corrections, known_at)
    if not force:
        return events if known_at is None else (e for e in events if _known(e, known_at))
    return _applied(events, known_at, force)


def _applied(
    events: Iterable[Recorded], known_at: datetime | None, force: dict[str, InForce]
) -> Iterator[Recorded]:
    for recorded in events:
        if not _known(recorded, known_at):
            continue
        line = recorded.line
        if line.type in CORRECTION_NAMES:
            continue
        correction = force.get(line.id) if line.id is not None else None
        if correction is None:
            yield recorded
        elif correction.void is None and correction.amendment is not None:
            assert correction.amendment.line.type == AMENDED
            amendment = cast("EventAmended", correction.amendment.line)
            if amendment.partnership == line.partnership:
                yield Recorded(
                    recorded.position,
                    recorded.version,
                    recorded.recorded_at,
                    amendment.line,
                    recorded.link,
                )
            else:  # not a correction the ledger accepted: the event stands as recorded
                yield recorded
        elif correction.void is not None and correction.void.partnership != line.partnership:
            yield recorded


def corrected_handles(batch: Iterable[Recorded]) -> set[str]:
    """The partnerships whose past a batch of events corrects."""
    return {recorded.partnership for recorded in batch if is_correction(recorded)}
