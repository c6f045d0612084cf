"""The fold's facts: one typed, immutable record per thing a partnership's events told.

A commitment as made, a renegotiation, a recovery, an issue, a review and a revenue line
each become a named tuple kept in the partnership's state (a commitment's outcome is its
kept or missed :class:`~trustledger.projections.evidence.Evidence` item). Named tuples cost
what plain tuples cost to build and read; unlike exact tuples the cyclic garbage collector
keeps tracking them, which is why bulk folds run with the collector paused (the callers'
``gc_paused``). The fold builds the most frequent ones with :data:`new_record`, the tuple
constructor without the named tuple's Python-level ``__new__``.
"""

from __future__ import annotations

from datetime import date
from typing import Literal, NamedTuple

Severity = Literal["low", "medium", "high"]
ScorePairs = tuple[tuple[str, int], ...]
"""One side's scores as ``(dimension, score)`` pairs (``dict(pairs)`` gives them back)."""

new_record = tuple.__new__
"""``new_record(Record, (field, ...))`` builds a record from a tuple of all its fields."""


class CommitmentFacts(NamedTuple):
    """A commitment as made (``due`` as first promised; renegotiations are kept apart)."""

    handle: str
    by_us: bool
    summary: str
    weight: int
    made_on: date
    made_pos: int
    due: date


class RenegotiationFacts(NamedTuple):
    """A new due date, in force from ``occurred_on``."""

    occurred_on: date
    due: date
    position: int


class RecoveryFacts(NamedTuple):
    """A resolution taking back part of a miss.

    ``effective_on`` is the latest day of the events it rests on (the commitment made, the
    miss, the issue raised and resolved): before that day, a store holding only the events
    that had occurred would not contain it.
    """

    effective_on: date
    position: int
    issue: str


class IssueFacts(NamedTuple):
    """An issue, and its resolution once resolved."""

    handle: str
    summary: str
    severity: Severity
    commitment: str | None
    partner_card: bool
    raised_on: date
    raised_pos: int
    resolved_on: date | None = None
    resolved_pos: int = 0
    resolution: str | None = None


class ReviewFacts(NamedTuple):
    """A review with its own figures (see :mod:`~trustledger.projections.alignment`)."""

    occurred_on: date
    position: int
    scores: ScorePairs
    partner_scores: ScorePairs | None
    level: float
    gap: float
    alignment: float


class RevenueFacts(NamedTuple):
    """A revenue line."""

    occurred_on: date
    period: str
    amount: float
    currency: str
    position: int
