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
