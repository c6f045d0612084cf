"""Shared pytest configuration."""

from tests.pg_server import postgres_server, postgres_url  # noqa: F401
