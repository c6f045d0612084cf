"""Errors the ledger raises, each meant to become one clear line for a person."""

from __future__ import annotations


class LedgerError(Exception):
    """Base class of the ledger's own errors."""


class RuleError(LedgerError):
    """A line breaks a rule of the ledger; ``field`` names the offending field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class StoreError(LedgerError):
    """The store cannot be opened or reached (the message never holds a password)."""


class StoreMissing(StoreError):
    """A reading command named a store that does not exist."""


class StoreLocked(StoreError):
    """Another process held the store's write lock for longer than the lock timeout."""


class StoreDamaged(StoreError):
    """The store's file fails SQLite's own integrity check; ``problem`` says where."""

    def __init__(self, message: str, problem: str) -> None:
        super().__init__(message)
        self.problem = problem
