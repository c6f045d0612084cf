"""How ledger events are written into and read out of the event store.

eventsourcing 9.5 ships no pydantic mapper, so this module is the ledger's own
``Mapper``: the stored state of an event is the JSON of its event line (the pydantic
model of ``trustledger.domain.events``) plus three envelope keys the ledger stamps:

- ``recorded_at`` — the library's event timestamp (recording time, UTC);
- ``schema`` — the event type's ``class_version`` when it was written;
- ``link`` — the hash chaining the event to the one before it in its partnership.

Reading upcasts an older ``schema`` through the type's ``upcast_vN_vN1`` static methods
before validating, so stored history never needs rewriting; it validates under the
``STORED`` context, so that rules for new input (no control characters, the largest
amount) never make history recorded before them unreadable.
"""

from __future__ import annotations

import hashlib
import math
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, Literal

import orjson
from eventsourcing.persistence import Mapper, StoredEvent
from pydantic import ValidationError
from trustledger.domain.errors import StoreError
from trustledger.domain.events import EVENT_TYPES, LINE_TYPES, STORED, EventLine

GENESIS_LINK = "0" * 64
ENVELOPE_KEYS = ("recorded_at", "schema", "link")


class DecodeError(StoreError, ValueError):
    """A stored event that cannot be turned back into an event line (a store error: a
    reading command reports it as one line, not as an internal failure)."""


def line_payload(line: EventLine) -> dict[str, Any]:
    """The line's own fields as JSON-ready data (unset optionals left out)."""
    return line.model_dump(mode="json", exclude_none=True, exclude={"recorded_at"})


def canonical(data: dict[str, Any]) -> bytes:
    """Canonical JSON bytes: sorted keys, no spaces; what links are computed over."""
    return orjson.dumps(data, option=orjson.OPT_SORT_KEYS)


def chain_link(previous: str, partnership: str, version: int, content: dict[str, Any]) -> str:
    """The link of an event: a hash over the previous link and the event's content.

    ``content`` is the stored state without its ``link`` key; the partnership and the
    event's version are hashed too, so moving an event to another place breaks the chain.
    """
    digest = hashlib.sha256()
    digest.update(f"{previous}\n{partnership}\n{version}\n".encode())
    digest.update(canonical(content))
    return digest.hexdigest()


def seal(
    line: EventLine, recorded_at: datetime, previous: str, partnership: str, version: int
) -> tuple[str, bytes]:
    """The link of a new event and the exact bytes to store for it.

    The stored bytes are the canonical content with the link appended as the last key, so
    the content is serialised once (reading them back and dropping ``link`` gives the
    same canonical content again).
    """
    if type(line) in _FLAT_TYPES:
        # The line's own values are what ``line_payload`` gives for every type but an
        # amendment (its corrected line is a model): text, numbers, flags, score maps and
        # days, which orjson writes as ISO text as the model's serializer does.
        state = {key: value for key, value in line.__dict__.items() if value is not None}
        state.pop("recorded_at", None)
        state["recorded_at"] = recorded_at.isoformat()
        state["schema"] = type(line).class_version
    else:
        state = stored_state(line, recorded_at)
    content = canonical(state)
    digest = hashlib.sha256(f"{previous}\n{partnership}\n{version}\n".encode())
    digest.update(content)
    link = digest.hexdigest()
    return link, content[:-1] + f',"link":"{link}"}}'.encode()


_FLAT_TYPES = frozenset(cls for name, cls in LINE_TYPES.items() if name != "event_amended")


def stored_state(line: EventLine, recorded_at: datetime) -> dict[str, Any]:
    """The stored state of a line, without its link."""
    state = line_payload(line)
    state["recorded_at"] = recorded_at.isoformat()
    state["schema"] = type(line).class_version
    return state


def decode_state(raw: bytes) -> dict[str, Any]:
    """Parse stored bytes into the state dict, raising DecodeError when they are not JSON."""
    try:
        state = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise DecodeError(f"stored state is not JSON: {exc}") from None
    if not isinstance(state, dict):
        raise DecodeError("stored state is not a JSON object")
    return state


def line_from_state(state: dict[str, Any]) -> tuple[EventLine, datetime, str]:
    """Turn a stored state dict into (line, recorded_at, link), upcasting old schemas."""
    data = dict(state)
    try:
        recorded_at = datetime.fromisoformat(data.pop("recorded_at"))
        link = data.pop("link")
        version = data.pop("schema", 1)
    except (KeyError, TypeError, ValueError) as exc:
        raise DecodeError(f"stored envelope is incomplete: {exc}") from None
    if recorded_at.tzinfo is None:
        raise DecodeError("stored recording time has no UTC offset")
    type_name = data.get("type")
    cls = LINE_TYPES.get(type_name) if isinstance(type_name, str) else None
    if cls is None:
        raise DecodeError(f"unknown event type {type_name!r}")
    if not isinstance(version, int) or version > cls.class_version or version < 1:
        raise DecodeError(f"unknown schema version {version!r} of {cls.__name__}")
    while version < cls.class_version:
        upcast = getattr(cls, f"upcast_v{version}_v{version + 1}", None)
        if upcast is None:
            raise DecodeError(f"no upcaster from schema version {version} of {cls.__name__}")
        try:
            upcast(data)
        except (KeyError, TypeError, ValueError) as exc:
            raise DecodeError(
                f"cannot upcast schema version {version} of {cls.__name__}: {exc!r}"
            ) from None
        version += 1
    try:
        # Under the STORED context: rules added after an event was recorded do not make
        # its history unreadable.
        line = cls.model_validate(data, context=STORED)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'type'}: {err['msg']}"
            for err in exc.errors()
        )
        raise DecodeError(f"stored line is invalid: {problems}") from None
    if line.occurred_on is None:
        raise DecodeError("stored line is invalid: occurred_on: missing")
    return line, recorded_at, link


class LedgerMapper(Mapper[str]):
    """Maps ledger events to stored events and back (see the module docstring)."""

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        state_bytes = getattr(domain_event, "state_bytes", None)
        if state_bytes is None:
            state = stored_state(domain_event.line, domain_event.timestamp)
            state["link"] = domain_event.link
            state_bytes = canonical(state)
        return StoredEvent(
            originator_id=domain_event.originator_id,
            originator_version=domain_event.originator_version,
            topic=domain_event.line.type,
            state=state_bytes,
        )

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        from trustledger.domain.partnership import Partnership

        # Loading an aggregate to decide a new event reads rows the ledger wrote itself and
        # guarded with the hash chain (``audit verify`` validates every row in full): rebuilding
        # them without validation keeps a one-event command from building every event type's
        # validator, and an append from re-validating a long history.
        line, recorded_at, link = trusted_line_from_state(decode_state(stored_event.state))
        cls = Partnership.Registered if stored_event.originator_version == 1 else Partnership.Event
        return cls.restore(
            originator_id=stored_event.originator_id,
            originator_version=stored_event.originator_version,
            timestamp=recorded_at,
            line=line,
            link=link,
        )


@dataclass(frozen=True, slots=True)
class _Rule:
    """What a stored value of one field must be for the trusted decoder to take it as it is:
    one of ``types`` and, when ``checked``, within bounds, one of ``choices`` or, for a
    mapping, keys among ``keys`` and values by ``values``. Derived from the field's model."""

    name: str
    types: tuple[type, ...]
    checked: bool = False
    low: float | None = None
    high: float | None = None
    choices: frozenset[Any] | None = None
    min_length: int = 0
    keys: frozenset[Any] | None = None
    values: _Rule | None = None

    def fits(self, value: Any) -> bool:
        if type(value) not in self.types:
            return False
        if not self.checked or value is None:
            return True
        if isinstance(value, dict):
            return (
                len(value) >= self.min_length
                and (self.keys is None or value.keys() <= self.keys)
                and (self.values is None or all(map(self.values.fits, value.values())))
            )
        if self.choices is not None and value not in self.choices:
            return False
        if type(value) is float and not math.isfinite(value):
            return False
        return (self.low is None or value >= self.low) and (self.high is None or value <= self.high)


def _rule(name: str, annotation: Any, metadata: list[Any], nullable: bool) -> _Rule:
    """The :class:`_Rule` of a field from its type and constraints (``Annotated`` metadata);
    ``nullable``: whether a stored line may hold null there."""
    constraints = list(metadata)
    while True:
        origin = typing.get_origin(annotation)
        if origin is Annotated:
            annotation, *extra = typing.get_args(annotation)
            for item in extra:
                constraints.extend(getattr(item, "metadata", None) or [item])
        elif origin in (typing.Union, types.UnionType):
            annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
        else:
            break
    low = next((c.ge for c in constraints if hasattr(c, "ge")), None)
    high = next((c.le for c in constraints if hasattr(c, "le")), None)
    min_length = next((c.min_length for c in constraints if hasattr(c, "min_length")), 0) or 0
    none: tuple[type, ...] = (type(None),) if nullable else ()
    origin = typing.get_origin(annotation)
    if origin is Literal:
        choices = frozenset(typing.get_args(annotation))
        kinds = tuple({type(choice) for choice in choices})
        return _Rule(name, kinds + none, True, choices=choices)
    if origin is dict:
        key_type, value_type = typing.get_args(annotation)
        keys = (
            frozenset(typing.get_args(key_type)) if typing.get_origin(key_type) is Literal else None
        )
        values = _rule(name, value_type, [], False)
        return _Rule(name, (dict, *none), True, min_length=min_length, keys=keys, values=values)
    if annotation is float:
        return _Rule(name, (float, int, *none), True, low, high)
    if annotation is int or annotation is bool:
        return _Rule(name, (annotation, *none), low is not None or high is not None, low, high)
    # Text, handles and days (parsed from their text afterwards).
    return _Rule(name, (str, *none))


def _test(rule: _Rule) -> Callable[[Any], bool]:
    """A test of a value already of the rule's types (and not None)."""
    if rule.choices is not None:
        return rule.choices.__contains__
    if rule.values is None and rule.keys is None and not rule.min_length:
        low = -math.inf if rule.low is None else rule.low
        high = math.inf if rule.high is None else rule.high
        return lambda value: low <= value <= high  # JSON holds no NaN or infinity
    return rule.fits


class _Shape:
    """What the trusted decoder needs to know about one event type."""

    def __init__(self, cls: type[EventLine]) -> None:
        self.cls = cls
        self.fields = frozenset(cls.model_fields)
        # Field order as declared, so a rebuilt line dumps like a validated one.
        self.defaults = {
            name: None if info.is_required() else info.default
            for name, info in cls.model_fields.items()
        }
        self.days = tuple(name for name in ("occurred_on", "due") if name in cls.model_fields)
        # Every stored line has its occurred_on (the ledger fills it in when a line has none).
        rules = [
            _rule(
                name,
                info.annotation,
                info.metadata,
                nullable=info.default is None and name != "occurred_on",
            )
            for name, info in cls.model_fields.items()
            if name not in ("type", "recorded_at")
        ]
        # Every field's type is looked at; the few with choices or bounds are tested too,
        # each with the cheapest test that does (membership in a frozenset, say).
        self.kinds = tuple((rule.name, rule.types) for rule in rules)
        self.tests = tuple((rule.name, _test(rule)) for rule in rules if rule.checked)


# Corrections (rare, and holding a nested line) always take the validating path.
_SHAPES = {name: _Shape(cls) for name, cls in EVENT_TYPES.items()}
_ENVELOPE = frozenset(ENVELOPE_KEYS)


def trusted_line_from_state(state: dict[str, Any]) -> tuple[EventLine, datetime, str]:
    """Like :func:`line_from_state`, for replaying rows the ledger wrote itself.

    Rows are validated when they are recorded and guarded by the hash chain (which
    ``audit verify`` checks, validating every row in full); replaying millions of them
    through pydantic again would cost more than everything else in a replay together. So
    a row of the current schema whose keys all belong to its type, and whose values have
    the types, bounds and choices of its fields (cheap checks derived from the model), is
    rebuilt directly (dates parsed, defaults filled); anything else takes the validating
    path, so a row edited by hand fails there as a ``DecodeError`` instead of reaching the
    projections with a value they cannot count with.
    """
    try:
        shape = _SHAPES.get(state.get("type"))  # type: ignore[arg-type]
        if shape is None or state.get("schema", 1) != shape.cls.class_version:
            return line_from_state(state)
        recorded_at = datetime.fromisoformat(state["recorded_at"])
        link = state["link"]
        values = shape.defaults.copy()
        values.update(state)
        del values["link"]
        values.pop("schema", None)
        # Every key a field of the type (the defaults hold them all): nothing was added.
        if len(values) != len(shape.defaults) or not isinstance(link, str):
            return line_from_state(state)
        for name, kinds in shape.kinds:
            if type(values[name]) not in kinds:
                return line_from_state(state)
        for name, test in shape.tests:
            value = values[name]
            if value is not None and not test(value):
                return line_from_state(state)
        values["recorded_at"] = None
        for name in shape.days:
            day = values[name]
            if day is not None:
                values[name] = date.fromisoformat(day)
    except (KeyError, TypeError, ValueError):
        return line_from_state(state)
    line = shape.cls.__new__(shape.cls)
    setattr_ = object.__setattr__
    setattr_(line, "__dict__", values)
    setattr_(line, "__pydantic_fields_set__", state.keys() - _ENVELOPE)
    setattr_(line, "__pydantic_extra__", None)
    setattr_(line, "__pydantic_private__", None)
    return line, recorded_at, link
