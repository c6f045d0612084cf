"""Choosing and opening a store; every store error leaves here as one line without a password.

:func:`resolve_store` picks the store (``--store`` URL, else ``TRUSTLEDGER_STORE``, else the
default file); :func:`open_ledger` is the only place outside the domain that opens one (the
domain's ``Ledger`` constructor does the work); :func:`scrub` is the one function that keeps
a password out of a message, and every store error that reaches a front end went through it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from trustledger.domain.errors import StoreError
from trustledger.domain.store import StoreConfig, parse_store_url, resolve_store
from trustledger.tui.service.clock import SYSTEM_CLOCK, Clock

if TYPE_CHECKING:
    from trustledger.domain.ledger import Ledger

__all__ = [
    "StoreConfig",
    "StoreError",
    "open_ledger",
    "opened",
    "parse_store_url",
    "resolve_store",
    "scrub",
    "store_label",
]

MASK = "***"


def scrub(message: str, store: StoreConfig) -> str:
    """``message`` with the store's password masked, and only its first line."""
    lines = message.strip().splitlines()
    text = lines[0] if lines else message
    if store.password:
        text = text.replace(store.password, MASK)
    return text


def scrubbed(exc: StoreError, store: StoreConfig) -> StoreError:
    """The same error (its kind and details: a missing store stays missing, a damaged one
    keeps its problem), its message scrubbed."""
    clone = type(exc).__new__(type(exc))
    clone.__dict__.update(exc.__dict__)
    clone.args = (scrub(str(exc), store),)
    return clone


def open_ledger(store: StoreConfig, *, create: bool = False, clock: Clock = SYSTEM_CLOCK) -> Ledger:
    """Open ``store`` (``create``: make it when missing), recording with ``clock``'s time and
    taking its ``today()`` for a line's default day.

    Raises ``StoreMissing`` when a store to read does not exist, ``StoreError`` when it cannot
    be opened; both scrubbed.
    """
    from eventsourcing.persistence import PersistenceError
    from trustledger.domain.ledger import Ledger

    try:
        return Ledger(store, create=create, clock=clock.now, today=clock.today)
    except StoreError as exc:
        raise scrubbed(exc, store) from None
    except PersistenceError as exc:
        raise StoreError(scrub(f"cannot open store {store.display}: {exc}", store)) from None


@contextmanager
def opened(
    store: StoreConfig, *, create: bool = False, clock: Clock = SYSTEM_CLOCK
) -> Iterator[Ledger]:
    """:func:`open_ledger` for a ``with`` block: closed at its end, and a store that fails
    inside it fails with a scrubbed ``StoreError`` too."""
    from eventsourcing.persistence import PersistenceError

    ledger = open_ledger(store, create=create, clock=clock)
    try:
        yield ledger
    except StoreError as exc:
        raise scrubbed(exc, store) from None
    except PersistenceError as exc:
        raise StoreError(scrub(f"store {store.display}: {exc}", store)) from None
    finally:
        ledger.close()


def store_label(store: StoreConfig) -> str:
    """The store in a few characters: the file name, or the server and database."""
    if store.kind == "sqlite" and store.path is not None:
        return store.path.name
    return store.display
