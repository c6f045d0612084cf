"""Synthetic, rule-abiding event histories for the benchmarks.

``synthetic_lines(partnerships, events_per_partnership)`` yields NDJSON lines (with ids)
that ``record`` accepts: each partnership is registered, then gets a realistic mix of
commitments made/kept/missed/renegotiated, reviews, issues raised/resolved and revenue,
dated over the two years before ``END``. Deterministic for a given seed.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import date, timedelta

from trustledger.domain.events import DIMENSIONS

END = date(2026, 11, 1)


def partnership_lines(n: int, count: int, rng: random.Random) -> list[dict]:
    handle = f"p{n:05d}"
    start = END - timedelta(days=730)
    step = 730 / max(count, 1)
    lines: list[dict] = [
        {
            "type": "partnership_registered",
            "partnership": handle,
            "name": f"Partner {n}",
            "kind": rng.choice(["customer", "channel", "alliance", "supplier"]),
            "occurred_on": start.isoformat(),
            "owner": "bench",
        }
    ]
    open_commitments: list[str] = []
    open_issues: list[str] = []
    made = 0
    issues = 0
    for i in range(1, count):
        day = (start + timedelta(days=int(i * step))).isoformat()
        roll = rng.random()
        if open_commitments and roll < 0.40:
            c = open_commitments.pop(rng.randrange(len(open_commitments)))
            kind = "commitment_kept" if rng.random() < 0.8 else "commitment_missed"
            lines.append({"type": kind, "partnership": handle, "commitment": c, "occurred_on": day})
        elif roll < 0.75 or not open_commitments:
            made += 1
            c = f"c{made}"
            open_commitments.append(c)
            due = (date.fromisoformat(day) + timedelta(days=rng.randint(7, 60))).isoformat()
            lines.append(
                {
                    "type": "commitment_made",
                    "partnership": handle,
                    "commitment": c,
                    "by": rng.choice(["us", "partner"]),
                    "summary": f"Deliver item {made}",
                    "due": due,
                    "weight": rng.randint(1, 5),
                    "occurred_on": day,
                }
            )
        elif roll < 0.82:
            scores = {d: rng.randint(2, 5) for d in DIMENSIONS}
            partner = {d: rng.randint(2, 5) for d in DIMENSIONS}
            lines.append(
                {
                    "type": "review_held",
                    "partnership": handle,
                    "scores": scores,
                    "partner_scores": partner,
                    "occurred_on": day,
                }
            )
        elif roll < 0.88:
            if open_issues:
                lines.append(
                    {
                        "type": "issue_resolved",
                        "partnership": handle,
                        "issue": open_issues.pop(),
                        "resolution": "Agreed a fix",
                        "occurred_on": day,
                    }
                )
            else:
                issues += 1
                open_issues.append(f"i{issues}")
                lines.append(
                    {
                        "type": "issue_raised",
                        "partnership": handle,
                        "issue": f"i{issues}",
                        "summary": "Late delivery",
                        "severity": rng.choice(["low", "medium", "high"]),
                        "occurred_on": day,
                    }
                )
        else:
            lines.append(
                {
                    "type": "revenue_recorded",
                    "partnership": handle,
                    "period": day[:7],
                    "amount": round(rng.uniform(1000, 90000), 2),
                    "occurred_on": day,
                }
            )
    for k, line in enumerate(lines):
        line["id"] = f"{handle}-{k:06d}"
        line["actor"] = "bench"
    return lines


def synthetic_lines(
    partnerships: int, events_per_partnership: int, seed: int = 7, *, interleave: bool = True
) -> Iterator[str]:
    """NDJSON lines for ``partnerships`` x ``events_per_partnership`` events.

    With ``interleave`` partnerships take turns (like a real feed) — this holds every
    history in memory; without it each history is written out whole, streaming.
    """
    rng = random.Random(seed)
    if not interleave:
        for n in range(partnerships):
            for line in partnership_lines(n, events_per_partnership, rng):
                yield json.dumps(line)
        return
    histories = [partnership_lines(n, events_per_partnership, rng) for n in range(partnerships)]
    for i in range(events_per_partnership):
        for history in histories:
            if i < len(history):
                yield json.dumps(history[i])
