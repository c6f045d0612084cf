"""Reading a store page by page, in recording order: the one loop that does it.

Everything that walks stored events — a replay, an export, the audit walk, a migration, the
live view catching up — reads through :func:`pages`, whatever it reads (decoded events or
raw rows): ``read(after, limit)`` returns at most ``limit`` items recorded after position
``after``, oldest first, each with a ``position``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Protocol, TypeVar

#: Items per page unless the caller asks otherwise.
PAGE = 5000


class Positioned(Protocol):
    @property
    def position(self) -> int: ...


Item = TypeVar("Item", bound=Positioned)


def pages(
    read: Callable[[int, int], list[Item]], after: int = 0, size: int = PAGE
) -> Iterator[list[Item]]:
    """Every page recorded after ``after``, until a read comes back empty."""
    while batch := read(after, size):
        yield batch
        after = batch[-1].position


def items(
    read: Callable[[int, int], list[Item]], after: int = 0, size: int = PAGE
) -> Iterator[Item]:
    """The items of :func:`pages`, one by one."""
    for batch in pages(read, after, size):
        yield from batch
