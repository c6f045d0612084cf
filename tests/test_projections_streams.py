"""Builders and hypothesis strategies for event streams, shared by the projections tests.

:class:`Stream` builds ``Recorded`` events directly from the pydantic line models, with
increasing positions, per-partnership versions and recording times. :func:`streams` draws
streams that the domain would accept (registration first, lifecycle events only while open,
lifecycle days not before the day the subject was made or raised, nothing but revenue after
the end), with business days that are not in recording order. The tests at the bottom check
those promises, so the property tests rest on streams of the right shape.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from trustledger.domain.events import (
    DIMENSIONS,
    CommitmentKept,
    CommitmentMade,
    CommitmentMissed,
    CommitmentRenegotiated,
    EventLine,
    IssueRaised,
    IssueResolved,
    PartnershipEnded,
    PartnershipRegistered,
    Recorded,
    RevenueRecorded,
    ReviewHeld,
)
from trustledger.projections.views import PartnershipView, Portfolio

BASE_DAY = date(2024, 1, 1)
BASE_TIME = datetime(2024, 1, 1, tzinfo=UTC)


@dataclass
class Stream:
    """An event stream under construction, in recording order."""

    events: list[Recorded] = field(default_factory=list)
    versions: dict[str, int] = field(default_factory=dict)
    clock: datetime = BASE_TIME

    def add(self, line: EventLine, recorded_at: datetime | None = None) -> Recorded:
        """Record ``line`` as the next event (one minute after the previous by default)."""
        self.clock = recorded_at if recorded_at is not None else self.clock + timedelta(minutes=1)
        version = self.versions.get(line.partnership, 0) + 1
        self.versions[line.partnership] = version
        recorded = Recorded(len(self.events) + 1, version, self.clock, line, f"link-{version}")
        self.events.append(recorded)
        return recorded

    # -- one helper per event type ------------------------------------------------------

    def register(self, handle: str, day: date, **fields: Any) -> Recorded:
        fields.setdefault("name", handle.title())
        return self.add(PartnershipRegistered(partnership=handle, occurred_on=day, **fields))

    def commit(
        self,
        handle: str,
        commitment: str,
        day: date,
        due: date | None = None,
        by: str = "us",
        weight: int = 1,
    ) -> Recorded:
        return self.add(
            CommitmentMade(
                partnership=handle,
                occurred_on=day,
                commitment=commitment,
                by=by,
                summary=f"deliver {commitment}",
                due=due or day + timedelta(days=30),
                weight=weight,
            )
        )

    def renegotiate(self, handle: str, commitment: str, day: date, due: date) -> Recorded:
        return self.add(
            CommitmentRenegotiated(
                partnership=handle, occurred_on=day, commitment=commitment, due=due
            )
        )

    def keep(self, handle: str, commitment: str, day: date) -> Recorded:
        return self.add(CommitmentKept(partnership=handle, occurred_on=day, commitment=commitment))

    def miss(self, handle: str, commitment: str, day: date) -> Recorded:
        return self.add(
            CommitmentMissed(partnership=handle, occurred_on=day, commitment=commitment)
        )

    def review(
        self,
        handle: str,
        day: date,
        scores: dict[str, int],
        partner_scores: dict[str, int] | None = None,
    ) -> Recorded:
        return self.add(
            ReviewHeld(
                partnership=handle, occurred_on=day, scores=scores, partner_scores=partner_scores
            )
        )

    def raise_issue(
        self,
        handle: str,
        issue: str,
        day: date,
        commitment: str | None = None,
        severity: str = "medium",
        partner_card: bool = False,
    ) -> Recorded:
        return self.add(
            IssueRaised(
                partnership=handle,
                occurred_on=day,
                issue=issue,
                summary=f"about {issue}",
                severity=severity,
                commitment=commitment,
                partner_card=partner_card,
            )
        )

    def resolve(self, handle: str, issue: str, day: date) -> Recorded:
        return self.add(
            IssueResolved(partnership=handle, occurred_on=day, issue=issue, resolution="settled")
        )

    def revenue(
        self, handle: str, period: str, amount: float, day: date, currency: str = "USD"
    ) -> Recorded:
        return self.add(
            RevenueRecorded(
                partnership=handle, occurred_on=day, period=period, amount=amount, currency=currency
            )
        )

    def end(self, handle: str, day: date) -> Recorded:
        return self.add(PartnershipEnded(partnership=handle, occurred_on=day))


# -- drawing valid streams ---------------------------------------------------------------------


@dataclass
class _Partnership:
    handle: str
    registered_on: date
    open: dict[str, date] = field(default_factory=dict)  # commitment -> made on
    closed: dict[str, tuple[str, date]] = field(default_factory=dict)
    made: dict[str, date] = field(default_factory=dict)
    issues_open: dict[str, date] = field(default_factory=dict)
    ended: bool = False
    counter: int = 0


ACTIONS = (
    ["commit"] * 5
    + ["keep"] * 3
    + ["miss"] * 2
    + ["renegotiate", "review", "review", "raise", "raise", "resolve", "resolve", "revenue"]
    + ["register", "end"]
)

score_maps = st.dictionaries(
    st.sampled_from(DIMENSIONS), st.integers(min_value=1, max_value=5), min_size=1, max_size=8
)


@st.composite
def streams(draw: st.DrawFn, max_steps: int = 40, outcomes: bool = True) -> Stream:
    """A stream the domain would accept; with ``outcomes=False`` nothing is kept or missed."""
    stream = Stream()
    partnerships: list[_Partnership] = []

    def register() -> None:
        handle = f"p{len(partnerships)}"
        day = BASE_DAY + timedelta(days=draw(st.integers(0, 400)))
        every = draw(st.sampled_from([30, 90, 365]))
        stream.register(handle, day, review_every_days=every)
        partnerships.append(_Partnership(handle, day))

    def later(start: date) -> date:
        return start + timedelta(days=draw(st.integers(0, 300)))

    def tick() -> datetime:
        return stream.clock + timedelta(seconds=draw(st.integers(1, 3 * 86_400)))

    register()
    for _ in range(draw(st.integers(0, max_steps))):
        action = draw(st.sampled_from(ACTIONS))
        if action == "register":
            if len(partnerships) < 3:
                register()
            continue
        p = draw(st.sampled_from(partnerships))
        h = p.handle
        if p.ended:
            if action in ("revenue", "commit"):
                month = later(p.registered_on)
                stream.revenue(h, f"{month:%Y-%m}", draw(st.integers(0, 5000)), later(month))
            continue
        if action in ("keep", "miss", "renegotiate") and not p.open:
            action = "commit"
        if action == "resolve" and not p.issues_open:
            action = "raise"
        if not outcomes and action in ("keep", "miss"):
            action = "renegotiate"
        if action == "commit":
            p.counter += 1
            c = f"c{p.counter}"
            made = later(p.registered_on)
            stream.add(
                CommitmentMade(
                    partnership=h,
                    occurred_on=made,
                    commitment=c,
                    by=draw(st.sampled_from(["us", "partner"])),
                    summary="s",
                    due=later(made),
                    weight=draw(st.integers(1, 5)),
                ),
                tick(),
            )
            p.open[c] = made
            p.made[c] = made
        elif action in ("keep", "miss"):
            c = draw(st.sampled_from(sorted(p.open)))
            day = later(p.open.pop(c))
            line_type = CommitmentKept if action == "keep" else CommitmentMissed
            stream.add(line_type(partnership=h, occurred_on=day, commitment=c), tick())
            p.closed[c] = (action, day)
        elif action == "renegotiate":
            if not p.open:
                continue
            c = draw(st.sampled_from(sorted(p.open)))
            day = later(p.open[c])
            stream.add(
                CommitmentRenegotiated(
                    partnership=h, occurred_on=day, commitment=c, due=later(day)
                ),
                tick(),
            )
        elif action == "review":
            partner = draw(st.none() | score_maps)
            stream.add(
                ReviewHeld(
                    partnership=h,
                    occurred_on=later(p.registered_on),
                    scores=draw(score_maps),
                    partner_scores=partner,
                ),
                tick(),
            )
        elif action == "raise":
            p.counter += 1
            issue = f"i{p.counter}"
            about = draw(st.none() | st.sampled_from(sorted(p.made))) if p.made else None
            day = later(p.registered_on)
            stream.add(
                IssueRaised(
                    partnership=h,
                    occurred_on=day,
                    issue=issue,
                    summary="s",
                    severity=draw(st.sampled_from(["low", "medium", "high"])),
                    commitment=about,
                    partner_card=draw(st.booleans()),
                ),
                tick(),
            )
            p.issues_open[issue] = day
        elif action == "resolve":
            issue = draw(st.sampled_from(sorted(p.issues_open)))
            day = later(p.issues_open.pop(issue))
            stream.add(
                IssueResolved(partnership=h, occurred_on=day, issue=issue, resolution="ok"),
                tick(),
            )
        elif action == "revenue":
            month = later(p.registered_on)
            stream.add(
                RevenueRecorded(
                    partnership=h,
                    occurred_on=later(month),
                    period=f"{month:%Y-%m}",
                    amount=draw(st.integers(0, 5000)),
                ),
                tick(),
            )
        elif action == "end" and draw(st.integers(0, 3)) == 0:
            stream.add(PartnershipEnded(partnership=h, occurred_on=later(p.registered_on)), tick())
            p.ended = True
    return stream


def last_day(events: list[Recorded]) -> date:
    return max(recorded.occurred_on for recorded in events)


def days_around(events: list[Recorded]) -> st.SearchStrategy[date]:
    """As-of dates from before the first event to well after the last."""
    first = min(recorded.occurred_on for recorded in events)
    span = (last_day(events) - first).days
    return st.integers(-30, span + 400).map(lambda offset: first + timedelta(days=offset))


# -- comparing portfolios up to float rounding ---------------------------------------------------


def assert_close(left: Any, right: Any, where: str = "portfolio") -> None:
    """Equal, except that floats may differ in their last bits (1e-9 relative)."""
    if isinstance(left, float) and isinstance(right, float):
        assert math.isclose(left, right, rel_tol=1e-9, abs_tol=1e-12), f"{where}: {left} != {right}"
    elif isinstance(left, Portfolio | PartnershipView):
        assert type(left) is type(right), where
        names = (
            left.FIELDS
            if isinstance(left, Portfolio)
            else tuple(item.name for item in fields(left) if item.compare)
        )
        for name in names:
            assert_close(getattr(left, name), getattr(right, name), f"{where}.{name}")
    elif isinstance(left, tuple | list):
        assert len(left) == len(right), f"{where}: {left!r} != {right!r}"
        for index, (a, b) in enumerate(zip(left, right, strict=True)):
            assert_close(a, b, f"{where}[{index}]")
    elif isinstance(left, dict):
        assert left.keys() == right.keys(), where
        for key in left:
            assert_close(left[key], right[key], f"{where}[{key!r}]")
    else:
        assert left == right, f"{where}: {left!r} != {right!r}"


# -- the generator keeps its promises ------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(streams())
def test_streams_follow_the_domain_rules(stream: Stream) -> None:
    registered: dict[str, date] = {}
    open_commitments: dict[tuple[str, str], date] = {}
    open_issues: dict[tuple[str, str], date] = {}
    ended: set[str] = set()
    for index, recorded in enumerate(stream.events, start=1):
        line = recorded.line
        h = line.partnership
        assert recorded.position == index
        if index > 1:
            assert recorded.recorded_at > stream.events[index - 2].recorded_at
        if isinstance(line, PartnershipRegistered):
            assert h not in registered
            registered[h] = recorded.occurred_on
            continue
        assert h in registered and recorded.occurred_on >= registered[h]
        if h in ended:
            assert isinstance(line, RevenueRecorded)
        if isinstance(line, CommitmentMade):
            open_commitments[h, line.commitment] = recorded.occurred_on
            assert line.due >= recorded.occurred_on
        elif isinstance(line, CommitmentKept | CommitmentMissed | CommitmentRenegotiated):
            made = open_commitments[h, line.commitment]
            assert recorded.occurred_on >= made
            if not isinstance(line, CommitmentRenegotiated):
                del open_commitments[h, line.commitment]
        elif isinstance(line, IssueRaised):
            open_issues[h, line.issue] = recorded.occurred_on
        elif isinstance(line, IssueResolved):
            assert recorded.occurred_on >= open_issues.pop((h, line.issue))
        elif isinstance(line, PartnershipEnded):
            ended.add(h)


def test_stream_builder_numbers_positions_and_versions() -> None:
    stream = Stream()
    stream.register("a", BASE_DAY)
    stream.register("b", BASE_DAY)
    third = stream.commit("a", "c1", BASE_DAY)
    assert [r.position for r in stream.events] == [1, 2, 3]
    assert third.version == 2
    assert stream.events[0].recorded_at < third.recorded_at
