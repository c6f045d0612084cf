"""Corrections for the front ends: building a void or an amendment, and showing them.

- :func:`void_values` / :func:`amend_values`: the field values of a correction line, for the
  command line's ``void`` and ``amend`` and the dashboard's forms (an amendment starts from
  the event as it stands: the original, or its latest amendment).
- :func:`corrections_of`: for a partnership's events, which corrections each one received;
  :func:`correction_note` says it in a few words (``history``, ``audit log``, the timeline).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from trustledger.domain.codec import line_payload
from trustledger.domain.events import (
    CORRECTION_TYPES,
    EventAmended,
    EventLine,
    EventVoided,
    Recorded,
)
from trustledger.tui.service.labels import describe

#: Fields of a corrected line that an amendment keeps from the event it amends.
KEPT_FIELDS = ("type", "partnership", "id")


def corrections_of(events: Iterable[Recorded]) -> dict[str, list[Recorded]]:
    """The corrections among ``events``, by the id of the event each corrects (oldest first)."""
    found: dict[str, list[Recorded]] = {}
    for event in events:
        if isinstance(event.line, EventVoided | EventAmended):
            found.setdefault(event.line.event, []).append(event)
    return found


def is_voided(corrections: Sequence[Recorded]) -> bool:
    return any(c.type == "event_voided" for c in corrections)


def correction_note(correction: Recorded) -> str:
    """``voided 2026-11-20 14:02 by ana: entered twice`` (who, when, why)."""
    line: Any = correction.line
    verb = "voided" if correction.type == "event_voided" else "amended"
    when = correction.recorded_at.strftime("%Y-%m-%d %H:%M")
    return f"{verb} {when} by {line.actor or 'someone'}: {line.reason}"


def replaced_line(correction: Recorded, history: Sequence[Recorded]) -> EventLine | None:
    """What the event a correction names said just before the correction: its line as
    recorded, or the latest amendment recorded before (None: not in ``history``)."""
    target = getattr(correction.line, "event", None)
    before: EventLine | None = None
    for event in history:
        if event.position >= correction.position:
            break
        if event.line.id == target:
            before = event.line
        elif isinstance(event.line, EventAmended) and event.line.event == target:
            before = event.line.line
    return before


def correction_details(
    correction: Recorded, originals: dict[str, Recorded], history: Sequence[Recorded] = ()
) -> str:
    """What a correction did, in a few words: the event it names and, for an amendment,
    what the event said before (in ``history``, the partnership's events) and says now."""
    line: Any = correction.line
    original = originals.get(line.event)
    what = f"{original.type} #{original.version}" if original is not None else "event"
    text = f"{what} {line.event}: {line.reason}"
    if isinstance(line, EventAmended):
        before = replaced_line(correction, history) or (original.line if original else None)
        text += f" (was: {describe(before) if before else '?'}; now: {describe(line.line)})"
    return text


def standing_line(events: Sequence[Recorded], event_id: str) -> Recorded | None:
    """The event ``event_id`` among ``events`` as it stands: its latest amendment's line in
    its place (None when there is no such event, it is a correction, or it is voided)."""
    original = next((e for e in events if e.line.id == event_id), None)
    if original is None or original.type in CORRECTION_TYPES:
        return None
    corrections = corrections_of(events).get(event_id, [])
    if is_voided(corrections):
        return None
    amendments = [c.line for c in corrections if isinstance(c.line, EventAmended)]
    if not amendments:
        return original
    return Recorded(
        original.position,
        original.version,
        original.recorded_at,
        amendments[-1].line,
        original.link,
    )


def void_values(handle: str, event_id: str, reason: str, **common: Any) -> dict[str, Any]:
    """The values of an ``event_voided`` line (``common``: occurred_on, id, actor, note)."""
    values = {"type": "event_voided", "partnership": handle, "event": event_id, "reason": reason}
    values.update({k: v for k, v in common.items() if v is not None})
    return values


def amend_values(
    handle: str, event_id: str, reason: str, corrected: dict[str, Any], **common: Any
) -> dict[str, Any]:
    """The values of an ``event_amended`` line whose corrected line is ``corrected``."""
    values = {
        "type": "event_amended",
        "partnership": handle,
        "event": event_id,
        "reason": reason,
        "line": corrected,
    }
    values.update({k: v for k, v in common.items() if v is not None})
    return values


def amend_start(standing: Recorded) -> dict[str, Any]:
    """The corrected line an amendment starts from: the event's fields as it stands (its
    actor aside: the amendment keeps the original's unless it gives another)."""
    payload = line_payload(standing.line)
    payload.pop("actor", None)
    return payload
