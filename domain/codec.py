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
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Annotated, Any, Literal

import orjson
from eventsourcing.persistence import Mapper, StoredEvent
from pydantic import ValidationError
from trustledger.domain.errors import StoreError
from trustledger.domain.events import (
    EVENT_TYPES,
    LINE_TYPES,
    RECORDED_SLOTS,
    STORED,
    EventLine,
    Recorded,
)

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
        state["recorded_at"] = _moment_text(recorded_at)
        state["schema"] = type(line).class_version
    else:
        state = stored_state(line, recorded_at)
    content = canonical(state)
    digest = hashlib.sha256(f"{previous}\n{partnership}\n{version}\n".encode())
    digest.update(content)
    link = digest.hexdigest()
    return link, content[:-1] + f',"link":"{link}"}}'.encode()


@lru_cache(maxsize=8)
def _moment_text(moment: datetime) -> str:
    """``moment.isoformat()``, once for each of the few recording times in use: every line
    of one record shares its recording time."""
    return moment.isoformat()


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
            if len(value) < self.min_length or (
                self.keys is not None and not value.keys() <= self.keys
            ):
                return False
            rule = self.values
            if rule is None or not value:
                return True
            if rule.types == (int,) and rule.choices is None:
                # A review's scores: whole numbers within bounds, checked by built-ins (no
                # bool, which is a kind of int, since the types are compared exactly).
                values = value.values()
                return (
                    set(map(type, values)) == {int}
                    and (rule.low is None or min(values) >= rule.low)
                    and (rule.high is None or max(values) <= rule.high)
                )
            return all(map(rule.fits, value.values()))
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
        # Every field's rule, from which _compile writes its checks out.
        self.rules = {rule.name: rule for rule in rules}


# Corrections (rare, and holding a nested line) always take the validating path.
_SHAPES = {name: _Shape(cls) for name, cls in EVENT_TYPES.items()}
_ENVELOPE = frozenset(ENVELOPE_KEYS)

#: ``state -> (line, recorded_at, link)``, or None when the state must take the validating
#: path; may raise KeyError, TypeError or ValueError (the validating path then tells why).
FastDecoder = Callable[[dict[str, Any]], "tuple[EventLine, datetime, str] | None"]


def _field_checks(var: str, name: str, shape: _Shape, env: dict[str, Any]) -> list[str]:
    """The generated lines that read field ``name`` of a state into ``var`` and check it as
    its rule does (see :meth:`_Rule.fits`), returning None from the decoder when it fails."""
    rule = shape.rules[name]
    nullable = type(None) in rule.types
    if shape.defaults[name] is None and not nullable:
        lines = [f"    {var} = state[{name!r}]"]  # required (a KeyError: the validating path)
    else:
        env[f"D_{var}"] = shape.defaults[name]
        lines = [f"    {var} = state.get({name!r}, D_{var})"]
    kinds = [kind for kind in rule.types if kind is not type(None)]
    env[f"K_{var}"] = kinds[0] if len(kinds) == 1 else tuple(kinds)
    wrong = f"type({var}) is not K_{var}" if len(kinds) == 1 else f"type({var}) not in K_{var}"
    checks = [wrong]
    if rule.checked:
        if rule.choices is not None:
            env[f"C_{var}"] = rule.choices
            checks.append(f"{var} not in C_{var}")
        elif rule.values is None and rule.keys is None and not rule.min_length:
            # JSON holds no NaN or infinity: the bounds are all there is to check.
            if rule.low is not None:
                env[f"L_{var}"] = rule.low
                checks.append(f"{var} < L_{var}")
            if rule.high is not None:
                env[f"H_{var}"] = rule.high
                checks.append(f"{var} > H_{var}")
        else:
            env[f"F_{var}"] = rule.fits
            checks.append(f"not F_{var}({var})")
    test = " or ".join(checks)
    if nullable:
        lines.append(f"    if {var} is not None and ({test}): return None")
    else:
        lines.append(f"    if {test}: return None")
    if name in shape.days:
        if nullable:
            lines.append(f"    if {var} is not None: {var} = day({var})")
        else:
            lines.append(f"    {var} = day({var})")
    return lines


def _compile(shape: _Shape) -> FastDecoder:
    """The checks of :func:`trusted_line_from_state` for one event type, as one function
    with every field's check written out (no loops, no lookups of rules per event): a
    replay decodes millions of rows through it. Generated from the shape's rules, so it
    follows the model; ``tests/test_trusted_decoding.py`` compares it with validation."""
    cls = shape.cls
    names = list(cls.model_fields)
    env: dict[str, Any] = {
        "cls": cls,
        "new": object.__new__,
        "setattr_": object.__setattr__,
        "fromisoformat": datetime.fromisoformat,
        "day": date.fromisoformat,
        "ALLOWED": frozenset(names) | {"link", "schema"},
        "ENVELOPE": _ENVELOPE,
        "VERSION": cls.class_version,
    }
    code = [
        "def decode(state):",
        "    keys = state.keys()",
        "    if not keys <= ALLOWED: return None",
        "    link = state['link']",
        "    if type(link) is not str: return None",
        "    if state.get('schema', 1) != VERSION: return None",
        "    recorded_at = fromisoformat(state['recorded_at'])",
    ]
    items = []
    for index, name in enumerate(names):
        if name == "type":
            items.append("'type': state['type']")
        elif name == "recorded_at":
            items.append("'recorded_at': None")
        else:
            code += _field_checks(f"v{index}", name, shape, env)
            items.append(f"{name!r}: v{index}")
    code += [
        "    line = new(cls)",
        "    setattr_(line, '__dict__', {" + ", ".join(items) + "})",
        "    setattr_(line, '__pydantic_fields_set__', keys - ENVELOPE)",
        "    setattr_(line, '__pydantic_extra__', None)",
        "    setattr_(line, '__pydantic_private__', None)",
        "    return line, recorded_at, link",
    ]
    # The constants become default arguments: read as locals, not looked up as globals.
    constants = [name for name in env if name not in ("__builtins__",)]
    code[0] = "def decode(state, " + ", ".join(f"{c}={c}" for c in constants) + "):"
    exec("\n".join(code), env)  # the source is generated just above, from the model
    decoder: FastDecoder = env["decode"]
    return decoder


class _Decoders(dict[str, FastDecoder]):
    """The decoder of each event type, generated when a row of that type is first decoded
    (a one-event command pays for the one type it reads, not for every type)."""

    def __missing__(self, name: str) -> FastDecoder:
        decoder = self[name] = _compile(_SHAPES[name])  # KeyError: not an event type
        return decoder

    def __contains__(self, name: object) -> bool:
        return name in _SHAPES  # every event type has one, made or not yet


_DECODERS = _Decoders()


def trusted_rows(rows: Iterable[tuple[int, int, Any]]) -> list[Recorded]:
    """:func:`trusted_line_from_state` over stored rows ``(position, version, state
    bytes)``, each into a :class:`Recorded`: the replay's decoding loop."""
    found: list[Recorded] = []
    append = found.append
    loads, decoders, new = orjson.loads, _DECODERS, object.__new__
    # Recorded's slots set directly: its frozen __init__ goes through object.__setattr__.
    set_position, set_version, set_recorded_at, set_line, set_link = RECORDED_SLOTS
    for position, version, raw in rows:
        try:
            state = loads(raw)
            decoded = decoders[state["type"]](state)
        except (KeyError, TypeError, ValueError, AttributeError):
            decoded = None
        if decoded is None:
            # A row edited by hand may hold text or NULL where bytes belong.
            if type(raw) is not bytes:
                raw = raw.encode() if isinstance(raw, str) else bytes(raw or b"")
            decoded = line_from_state(decode_state(raw))  # the decoder could not vouch
        line, recorded_at, link = decoded
        recorded = new(Recorded)
        set_position(recorded, position)
        set_version(recorded, version)
        set_recorded_at(recorded, recorded_at)
        set_line(recorded, line)
        set_link(recorded, link)
        append(recorded)
    return found


def trusted_line_from_state(state: dict[str, Any]) -> tuple[EventLine, datetime, str]:
    """Like :func:`line_from_state`, for replaying rows the ledger wrote itself.

    Rows are validated when they are recorded and guarded by the hash chain (which
    ``audit verify`` checks, validating every row in full); replaying millions of them
    through pydantic again would cost more than everything else in a replay together. So
    a row of the current schema whose keys all belong to its type, and whose values have
    the types, bounds and choices of its fields (cheap checks derived from the model), is
    rebuilt directly (dates parsed, defaults filled); anything else takes the validating
    path, so a row edited by hand fails there as a ``DecodeError`` instead of reaching the
    projections with a value they cannot count with. Text is taken as it is: the ledger
    writes it stripped and within its length and pattern, and the hash chain guards it.
    """
    try:
        found = _DECODERS[state["type"]](state)
    except (KeyError, TypeError, ValueError):  # a correction, or a row edited by hand
        found = None
    return line_from_state(state) if found is None else found
