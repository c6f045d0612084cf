"""Beta-reputation arithmetic and exponential decay: the two formulas under every trust figure.

Evidence ``r`` (for) and ``s`` (against) give ``trust = (r + 1) / (r + s + 2)`` and
``uncertainty = 2 / (r + s + 2)``: with no evidence, trust 0.5 and uncertainty 1. A piece of
evidence of weight ``w`` that is ``age`` days old counts ``w * 2 ** (-age / half_life)``.

The accumulators (:mod:`~trustledger.projections.evidence`,
:mod:`~trustledger.projections.alignment`) sum decayed weights relative to a base day and
move it on when a day lies more than :data:`REBASE_HALF_LIVES` half-lives past it.
"""

from __future__ import annotations

REBASE_HALF_LIVES = 256.0


def decay(age_days: float, half_life_days: float) -> float:
    """The factor by which evidence ``age_days`` old counts (1 when fresh, 0.5 at a half-life)."""
    return 2.0 ** (-age_days / half_life_days)


def beta_trust(r: float, s: float) -> tuple[float, float]:
    """``(trust, uncertainty)`` for evidence ``r`` for and ``s`` against (negatives count as 0)."""
    r = r if r > 0.0 else 0.0
    s = s if s > 0.0 else 0.0
    total = r + s + 2.0
    return (r + 1.0) / total, 2.0 / total
