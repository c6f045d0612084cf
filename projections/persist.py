"""The fold's state as plain data: what the shared read model stores, and back.

:func:`partnership_data` turns one :class:`~trustledger.projections.state.PartnershipState`
into JSON-ready data (lists, numbers, strings; days as ordinals), and
:func:`partnership_from_data` rebuilds it. The round trip is exact: a state rebuilt from its
data equals the state it was taken from, field for field, float for float (JSON numbers
written by the shortest repr that reads back the same float), so a portfolio built from a
stored read model equals one built by replaying the events.

Each kind of record is kept column by column (one list per field), so that rebuilding many
thousands of records is a few calls in C (``map``, ``zip``) rather than one Python call per
record. Nothing here is code to run: data that does not have the expected shape raises
:class:`BadStateData` (a ``ValueError``), and the caller rebuilds from the events.

:data:`STATE_FORMAT` names this layout: change it whenever the layout, or what the fold
keeps, changes, so that a read model written by other code is rebuilt instead of misread
(``tests/test_read_model.py`` pins the fold's fields to this format).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from functools import partial
from typing import Any

from trustledger.projections.alignment import AlignmentSums
from trustledger.projections.config import ModelConfig
from trustledger.projections.evidence import Evidence, TrustSums
from trustledger.projections.facts import (
    CommitmentFacts,
    IssueFacts,
    RecoveryFacts,
    RenegotiationFacts,
    RevenueFacts,
    ReviewFacts,
    new_record,
)
from trustledger.projections.state import PartnershipState

#: The layout of a stored partnership state (bump it when the layout changes).
STATE_FORMAT = 1

#: The fields the fold keeps per partnership, as this format stores them.
STATE_FIELDS = frozenset(PartnershipState.__slots__)


class BadStateData(ValueError):
    """Stored state data that does not have the shape this code writes."""


_fromordinal = date.fromordinal


def _day(value: date | None) -> int | None:
    return None if value is None else value.toordinal()


def _maybe_day(value: int | None) -> date | None:
    return None if value is None else _fromordinal(value)


# For each kind of record: how each field is written and read back (None: as it is).
_Codec = tuple[Callable[[Any], Any] | None, Callable[[Any], Any] | None]
_PLAIN: _Codec = (None, None)
_DAY: _Codec = (date.toordinal, _fromordinal)
_MAYBE_DAY: _Codec = (_day, _maybe_day)


def _pairs_out(pairs: Sequence[tuple[str, int]] | None) -> list[list[Any]] | None:
    return None if pairs is None else [list(pair) for pair in pairs]


def _pairs_in(pairs: Sequence[Sequence[Any]] | None) -> tuple[tuple[str, int], ...] | None:
    # Rows are checked against their digest before they are read: the pairs are as written.
    return None if pairs is None else tuple(map(tuple, pairs))


_PAIRS: _Codec = (_pairs_out, _pairs_in)

_LAYOUTS: dict[str, tuple[type[tuple[Any, ...]], tuple[_Codec, ...]]] = {
    # handle, by_us, summary, weight, made_on, made_pos, due
    "commitments": (CommitmentFacts, (_PLAIN, _PLAIN, _PLAIN, _PLAIN, _DAY, _PLAIN, _DAY)),
    # kind, by_us, weight, anchor_on, effective_on, position, occurred_on, commitment, issue
    "outcomes": (
        Evidence,
        (_PLAIN, _PLAIN, _PLAIN, _DAY, _DAY, _PLAIN, _DAY, _PLAIN, _PLAIN),
    ),
    # handle, summary, severity, commitment, partner_card, raised_on, raised_pos,
    # resolved_on, resolved_pos, resolution
    "issues": (
        IssueFacts,
        (_PLAIN, _PLAIN, _PLAIN, _PLAIN, _PLAIN, _DAY, _PLAIN, _MAYBE_DAY, _PLAIN, _PLAIN),
    ),
    # occurred_on, position, scores, partner_scores, level, gap, alignment
    "reviews": (ReviewFacts, (_DAY, _PLAIN, _PAIRS, _PAIRS, _PLAIN, _PLAIN, _PLAIN)),
    # occurred_on, period, amount, currency, position
    "revenue": (RevenueFacts, (_DAY, _PLAIN, _PLAIN, _PLAIN, _PLAIN)),
}
# Which field of each record its dict is keyed by.
_KEYS = {"commitments": 0, "outcomes": 7, "issues": 0, "reviews": 1, "revenue": 4}


def _columns_out(records: Sequence[tuple[Any, ...]], codecs: tuple[_Codec, ...]) -> list[Any]:
    if not records:
        return []
    columns = list(zip(*records, strict=True))
    return [
        list(column) if write is None else [write(value) for value in column]
        for column, (write, _) in zip(columns, codecs, strict=True)
    ]


def _columns_in(
    kind: type[tuple[Any, ...]], data: list[Any], codecs: tuple[_Codec, ...]
) -> list[tuple[Any, ...]]:
    if not data:
        return []
    if len(data) != len(codecs):
        raise BadStateData(f"{kind.__name__}: {len(data)} columns, not {len(codecs)}")
    columns = [
        column if read is None else list(map(read, column))
        for column, (_, read) in zip(data, codecs, strict=True)
    ]
    return list(map(partial(new_record, kind), zip(*columns, strict=True)))


def _changes_out(changes: Mapping[str, Sequence[tuple[Any, ...]]], days: int) -> list[Any]:
    """Renegotiations or recoveries (handle -> records) with their first ``days`` fields
    as ordinals."""
    return [
        [handle, [[*(d.toordinal() for d in rec[:days]), *rec[days:]] for rec in records]]
        for handle, records in changes.items()
    ]


def _changes_in(
    kind: type[tuple[Any, ...]], data: list[Any], days: int
) -> dict[str, tuple[Any, ...]]:
    return {
        str(handle): tuple(
            new_record(kind, (*map(_fromordinal, rec[:days]), *rec[days:])) for rec in records
        )
        for handle, records in data
    }


def partnership_data(ps: PartnershipState) -> dict[str, Any]:
    """One partnership's folded state as JSON-ready data (see the module docstring)."""
    trust, alignment = ps.trust, ps.alignment
    data: dict[str, Any] = {
        "handle": ps.handle,
        "name": ps.name,
        "kind": ps.kind,
        "owner": ps.owner,
        "review_every_days": ps.review_every_days,
        "registered": [ps.registered_on.toordinal(), ps.registered_pos],
        "ended": [_day(ps.ended_on), ps.ended_pos, ps.end_reason],
        "trust": [
            trust.base,
            trust.r_us,
            trust.s_us,
            trust.r_partner,
            trust.s_partner,
            trust.outcomes,
        ],
        "alignment": [alignment.base, alignment.weight, alignment.alignment, alignment.gap],
        "renegotiations": _changes_out(ps.renegotiations, 2),
        "recoveries": _changes_out(ps.recoveries, 1),
    }
    for name, (_, codecs) in _LAYOUTS.items():
        data[name] = _columns_out(list(getattr(ps, name).values()), codecs)
    return data


def partnership_from_data(data: Any, config: ModelConfig) -> PartnershipState:
    """The state :func:`partnership_data` gave ``data`` for, folded with ``config``;
    :class:`BadStateData` when ``data`` does not have that shape."""
    try:
        return _rebuild(data, config)
    except BadStateData:
        raise
    except (KeyError, IndexError, TypeError, ValueError, AttributeError, OverflowError) as exc:
        raise BadStateData(f"stored state has another shape: {type(exc).__name__}: {exc}") from None


def _rebuild(data: dict[str, Any], config: ModelConfig) -> PartnershipState:
    if not isinstance(data, dict):
        raise BadStateData("stored state is not an object")
    ps = PartnershipState.__new__(PartnershipState)
    ps.handle = _text(data["handle"])
    ps.name = _text(data["name"])
    ps.kind = _text(data["kind"])
    owner = data["owner"]
    ps.owner = None if owner is None else _text(owner)
    ps.review_every_days = int(data["review_every_days"])
    registered_on, ps.registered_pos = data["registered"]
    ps.registered_on = _fromordinal(registered_on)
    ended_on, ps.ended_pos, ps.end_reason = data["ended"]
    ps.ended_on = _maybe_day(ended_on)
    for name, (kind, codecs) in _LAYOUTS.items():
        key = _KEYS[name]
        records = _columns_in(kind, data[name], codecs)
        setattr(ps, name, {record[key]: record for record in records})
    ps.renegotiations = _changes_in(RenegotiationFacts, data["renegotiations"], 2)
    ps.recoveries = _changes_in(RecoveryFacts, data["recoveries"], 1)
    trust = TrustSums(config.half_life_days, ps.registered_on)
    base, r_us, s_us, r_partner, s_partner, outcomes = data["trust"]
    trust.base, trust.outcomes = int(base), int(outcomes)
    trust.r_us, trust.s_us = float(r_us), float(s_us)
    trust.r_partner, trust.s_partner = float(r_partner), float(s_partner)
    ps.trust = trust
    sums = AlignmentSums(config.alignment_half_life_days, ps.registered_on)
    base, weight, mean, gap = data["alignment"]
    sums.base = int(base)
    sums.weight, sums.alignment, sums.gap = float(weight), float(mean), float(gap)
    ps.alignment = sums
    return ps


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise BadStateData(f"expected text, found {type(value).__name__}")
    return value
