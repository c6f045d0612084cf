"""Errors the ledger raises, each meant to become one clear line for a person.

A bad input line is reported as data, not as text to be parsed again: a :class:`LineError`
holds where the line came from (source, line number), the field at fault and the message.
:func:`error_lines` is the one place that turns them into the ``SOURCE:LINE: field: message``
lines of the contract; a front end that names fields its own way (a command-line option, a
form field) passes ``name`` or reads ``field`` itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

#: How much of a value a message quotes before cutting it short with "…".
QUOTE_LIMIT = 80


def first_line(exc: BaseException) -> str:
    """The first line of what ``exc`` says (its type's name when it says nothing): how a
    library's error is quoted in a one-line message."""
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


def clip(text: str, limit: int = QUOTE_LIMIT) -> str:
    """``text`` cut to ``limit`` characters, with "…" when something was cut."""
    return text if len(text) <= limit else text[:limit] + "…"


def quoted(value: object, limit: int = QUOTE_LIMIT) -> str:
    """``repr(value)`` for a message, its string value cut to ``limit`` characters."""
    if isinstance(value, str) and len(value) > limit:
        return repr(value[:limit])[:-1] + "…" + repr(value[:limit])[-1]
    return repr(value)


class LedgerError(Exception):
    """Base class of the ledger's own errors."""


class RuleError(LedgerError):
    """A line breaks a rule of the ledger; ``field`` names the offending field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class InvalidLine(LedgerError):
    """A line that is not a valid event line: one ``(field, message)`` per problem, where
    ``field`` is None when the line as a whole is at fault (not JSON, not an object)."""

    def __init__(self, problems: list[tuple[str | None, str]]) -> None:
        super().__init__("; ".join(f"{f}: {m}" if f else m for f, m in problems))
        self.problems = problems


class StoreError(LedgerError):
    """The store cannot be opened or reached (the message never holds a password)."""


class StoreMissing(StoreError):
    """A reading command named a store that does not exist."""


@dataclass(frozen=True, slots=True)
class LineError:
    """One problem with one input line.

    ``line`` is 0 for a line that does not come from a numbered input (a form, a one-event
    command); ``field`` is a field of the event line (``weight``, ``scores.vision``), or
    None when the problem is the line as a whole.
    """

    source: str
    line: int
    field: str | None
    message: str

    def where(self) -> str:
        return f"{self.source}:{self.line}" if self.line else self.source


def error_lines(errors: Iterable[LineError], name: Callable[[str], str] | None = None) -> list[str]:
    """One ``SOURCE:LINE: field: message`` line per bad input line.

    Several problems of one line share its line, joined by ``; ``. ``name`` renders a field
    (for instance as the command-line option that gave it); by default the field as is.
    """
    rendered: list[str] = []
    last: tuple[str, int] | None = None
    for error in errors:
        field = error.field if name is None or error.field is None else name(error.field)
        part = f"{field}: {error.message}" if field else error.message
        if (error.source, error.line) == last:
            rendered[-1] += f"; {part}"
        else:
            rendered.append(f"{error.where()}: {part}")
            last = (error.source, error.line)
    return rendered


class StoreLocked(StoreError):
    """Another process held the store's write lock for longer than the lock timeout."""


class StoreDamaged(StoreError):
    """The store's file fails SQLite's own integrity check; ``problem`` says where."""

    def __init__(self, message: str, problem: str) -> None:
        super().__init__(message)
        self.problem = problem
