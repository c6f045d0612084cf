"""A replay in parts: a past day's portfolio from folds of separate sets of partnerships.

A partnership's state is a fold of its own events alone (no figure of the model moves with
another partnership's events), so a store's partnerships can be folded in parts, in two
processes on two cores, and the parts' views joined into the portfolio a whole replay
gives: the revenue shares, the concentration alerts and the counts are worked out once the
views of all are together (as a lean :class:`~trustledger.projections.follower.Follower`
does). A part's views travel between processes as view rows
(:func:`~trustledger.projections.stored_views.view_body`, without sparklines): everything a
report or a check reads of a view, and a lean view when one is made of them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import NamedTuple

from trustledger.projections.config import ModelConfig
from trustledger.projections.follower import Follower
from trustledger.projections.portfolio import partnership_view
from trustledger.projections.state import PortfolioState
from trustledger.projections.stored_views import StoredView, made_view, stored_view, view_body
from trustledger.projections.views import PartnershipView, Portfolio


class PartViews(NamedTuple):
    """The views at the end of one day of one part's partnerships, without revenue shares."""

    #: The latest day of any event the part folded.
    max_day: date
    #: Every partnership the part folded, those registered after the day included.
    partnerships: int
    views: dict[str, PartnershipView | StoredView]


#: :class:`PartViews` as view rows: what a part sends to the process that joins the parts.
PartRows = tuple[date, int, list[bytes]]


def split_handle(counts: Mapping[str, int]) -> str | None:
    """The handle that splits the partnerships (in the order of their bytes, which is
    Python's order of text) into two parts of about half the events each: those before it,
    and it and those after it. None when one part would hold every event."""
    total = sum(counts.values())
    running = 0
    for handle in sorted(counts):
        if running and running * 2 >= total:
            return handle
        running += counts[handle]
    return None


def in_part(handle: str, part: tuple[str | None, str | None]) -> bool:
    """Whether partnership ``handle`` is one of ``part``'s (``(first, before)``: from
    ``first`` and before ``before``, None for no bound; the store's ``Part``)."""
    first, before = part
    return (first is None or handle >= first) and (before is None or handle < before)


def part_views(state: PortfolioState, as_of: date) -> PartViews:
    """The views at the end of ``as_of`` of the partnerships folded into ``state`` (those
    registered by then), each without its revenue share."""
    config, current = state.config, as_of >= state.max_day
    views: dict[str, PartnershipView | StoredView] = {}
    for handle, ps in state.partnerships.items():
        view = partnership_view(ps, as_of, config, current)
        if view is not None:
            views[handle] = view
    return PartViews(state.max_day, len(state.partnerships), views)


def part_rows(part: PartViews) -> PartRows:
    """``part`` with each view as a view row (no sparkline), to send to another process."""
    bodies = [view_body(made_view(view), ()) for view in part.views.values()]
    return part.max_day, part.partnerships, bodies


def rows_part(rows: PartRows) -> PartViews:
    """The part that :func:`part_rows` sent (each row's head checked: ``BadStateData``)."""
    max_day, partnerships, bodies = rows
    views: dict[str, PartnershipView | StoredView] = {}
    for body in bodies:
        view = stored_view(body)
        views[view.handle] = view
    return PartViews(max_day, partnerships, views)


def joined(
    parts: Sequence[PartViews],
    config: ModelConfig,
    as_of: date,
    known_at: datetime | None,
    position: int,
) -> Portfolio:
    """The portfolio at the end of ``as_of`` (as known at ``known_at``) of the partnerships
    of ``parts`` (no partnership in two), folded up to ``position``: equal to a replay of
    them all together."""
    views: dict[str, PartnershipView | StoredView] = {}
    for part in parts:
        views.update(part.views)
    follower = Follower.lean(
        config,
        position=position,
        max_day=max((part.max_day for part in parts), default=date.min),
        partnerships=sum(part.partnerships for part in parts),
        as_of=as_of,
        views=views,
        series={},
        series_key=(0, 0),
    )
    return follower.view(as_of).as_known_at(known_at)
