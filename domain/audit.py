"""Checking that the stored history is the history: the hash-chain walk and the audit log.

The chain is per partnership. Each event's ``link`` is a SHA-256 over the previous event's
link, the partnership, the event's version and its canonical stored content (recording
time included). Per partnership rather than store-wide because writers to different
partnerships never wait for each other: a store-wide chain would need every writer to
know the store's latest event before it writes, serialising all writers; per partnership,
the library's optimistic version check already serialises exactly the writers that touch
the same chain.

A walk (``iter_rows`` over a ledger's ``read_raw``) starts with the store's own check of its
file, SQLite's ``integrity_check``: a damaged file is reported as such (a ``Verdict``
naming the page problem), not as a failure to read.

``verify`` walks every stored row in recording order and reports the first place where:
a row cannot be decoded or is not a valid line; its content, partnership or type disagree
with its row; its link does not match (an edited row, or a row moved to another place);
a partnership's versions skip or run backwards (a deleted, inserted or reordered row);
or, on SQLite, a recording position is missing (a deleted row). It never raises for what
it finds in the store: it returns a ``Verdict``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from trustledger.domain.backends import RawRow
from trustledger.domain.codec import (
    GENESIS_LINK,
    DecodeError,
    chain_link,
    decode_state,
    line_from_state,
)
from trustledger.domain.errors import StoreDamaged
from trustledger.domain.events import Recorded
from trustledger.domain.paging import items

PAGE = 20000


class Link(NamedTuple):
    """A verified event's place in the store and its hash link."""

    partnership: str
    version: int
    position: int
    link: str

    def describe(self) -> str:
        return f"{self.partnership} #{self.version} at position {self.position}: {self.link}"


@dataclass(frozen=True)
class Verdict:
    """The outcome of a chain walk.

    When intact, ``heads`` holds each partnership's newest event (by handle) and ``found`` the
    events at the positions the walk was asked to report, in recording order.
    """

    events: int
    partnerships: int
    problem: str | None = None
    partnership: str | None = None
    position: int | None = None
    heads: tuple[Link, ...] = ()
    found: tuple[Link, ...] = ()

    @property
    def intact(self) -> bool:
        return self.problem is None

    def summary(self) -> str:
        if self.intact:
            return (
                f"intact: {self.events:,} events in {self.partnerships:,} partnerships, "
                "every link matches"
            )
        if self.position is None:
            return str(self.problem)
        return f"broken at position {self.position} ({self.partnership}): {self.problem}"


def iter_rows(
    read: Callable[[int, int], list[RawRow]],
    *,
    check: Callable[[], str | None] | None = None,
) -> Iterator[RawRow]:
    """Every stored row in recording order, read page by page.

    A raw walk is for audits and copies, which must not run over a damaged file: it starts
    with ``check`` (a store's ``integrity_problem``), by default the check of the ledger
    whose ``read_raw`` is ``read``, and raises ``StoreDamaged`` when that finds a problem.
    """
    if check is None:
        backend = getattr(getattr(read, "__self__", None), "backend", None)
        check = getattr(backend, "integrity_problem", None)
    if check is not None:
        problem = check()
        if problem is not None:
            raise StoreDamaged(f"the store file fails SQLite's integrity check: {problem}", problem)
    yield from items(read, 0, PAGE)


def verify(
    rows: Iterator[RawRow],
    *,
    contiguous_positions: bool,
    progress: Callable[[int], None] | None = None,
    positions: Collection[int] = (),
) -> Verdict:
    """Walk ``rows`` (in recording order) and return the first break, if any; a damaged
    store file (``StoreDamaged`` from the rows) is a verdict too. The links of the events at
    ``positions`` are reported in the verdict."""
    links: dict[str, tuple[int, str, int]] = {}
    try:
        return _walk(rows, links, contiguous_positions, progress, positions)
    except StoreDamaged as exc:
        # The events checked so far: each partnership's last version (versions run from 1).
        checked = sum(version for version, _, _ in links.values())
        return Verdict(
            checked, len(links), f"the store file is damaged (SQLite's check): {exc.problem}"
        )


def _walk(
    rows: Iterator[RawRow],
    links: dict[str, tuple[int, str, int]],
    contiguous_positions: bool,
    progress: Callable[[int], None] | None,
    positions: Collection[int],
) -> Verdict:
    found: list[Link] = []
    count = 0
    expected_position = 1
    for row in rows:
        count += 1
        if progress and count % 50000 == 0:
            progress(count)

        def broken(problem: str, row: RawRow = row, seen: int = count - 1) -> Verdict:
            return Verdict(seen, len(links), problem, row.partnership, row.position)

        if contiguous_positions:
            if row.position != expected_position:
                missing = (
                    f"position {expected_position}"
                    if row.position == expected_position + 1
                    else f"positions {expected_position}-{row.position - 1}"
                )
                return broken(f"{missing} missing: a stored event was deleted")
            expected_position += 1
        if type(row.version) is not int:  # SQLite keeps whatever a hand edit put there
            return broken(f"the event's version {row.version!r} is not a whole number")
        try:
            state = decode_state(row.state)
        except DecodeError as exc:
            return broken(f"event #{row.version} cannot be decoded: {exc}")
        # A row moved to another partnership is named as such, not as a version gap there.
        named = state.get("partnership")
        if isinstance(named, str) and named != row.partnership:
            return broken(
                f"event #{row.version} names partnership {named!r} "
                f"but is stored under {row.partnership!r}"
            )
        version, previous, _ = links.get(row.partnership, (0, GENESIS_LINK, 0))
        if row.version != version + 1:
            what = "missing or moved" if row.version > version + 1 else "out of order"
            return broken(
                f"event #{row.version} follows event #{version}: event #{version + 1} is {what}"
            )
        try:
            stored_link = state.pop("link", None)
            if not isinstance(stored_link, str):
                return broken(f"event #{row.version} has no link")
            expected = chain_link(previous, row.partnership, row.version, state)
            if stored_link != expected:
                return broken(
                    f"event #{row.version}: link does not match its content "
                    "(the event or one before it was edited, or it was moved here)"
                )
            state["link"] = stored_link
            line, _, _ = line_from_state(state)
        except DecodeError as exc:
            return broken(f"event #{row.version} cannot be decoded: {exc}")
        if line.partnership != row.partnership:
            return broken(
                f"event #{row.version} names partnership {line.partnership!r} "
                f"but is stored under {row.partnership!r}"
            )
        if line.type != row.topic:
            return broken(f"event #{row.version} is a {line.type} stored as {row.topic}")
        links[row.partnership] = (row.version, stored_link, row.position)
        if row.position in positions:
            found.append(Link(row.partnership, row.version, row.position, stored_link))
    heads = tuple(Link(p, v, position, link) for p, (v, link, position) in sorted(links.items()))
    return Verdict(count, len(links), heads=heads, found=tuple(found))


@dataclass(frozen=True)
class LogFilter:
    """Which events ``audit log`` shows."""

    since: datetime | None = None
    actor: str | None = None
    partnership: str | None = None

    def keeps(self, event: Recorded) -> bool:
        if self.since is not None and event.recorded_at < self.since:
            return False
        if self.actor is not None and event.line.actor != self.actor:
            return False
        return self.partnership is None or event.partnership == self.partnership
