"""Smoke test for the throwaway PostgreSQL server used by the test suite."""

from __future__ import annotations

from urllib.parse import urlsplit

import psycopg
import pytest

from tests.pg_server import PgServer


@pytest.mark.postgres
def test_server_creates_isolated_databases(postgres_server: PgServer, postgres_url: str) -> None:
    second_url = postgres_server.create_database("pg_server_smoke_second")
    try:
        urls = [postgres_server.url, postgres_url, second_url]
        assert len(set(urls)) == 3
        for url in urls:
            parts = urlsplit(url)
            assert parts.password is None
            assert ":" not in (parts.netloc.rpartition("@")[0])
            assert parts.hostname == "127.0.0.1"
            assert parts.port == postgres_server.port

        for url in (postgres_url, second_url):
            with psycopg.connect(url) as conn:
                assert conn.execute("select 1").fetchone() == (1,)
                dbname = conn.execute("select current_database()").fetchone()
                assert dbname is not None
                assert dbname[0] == urlsplit(url).path.lstrip("/")
    finally:
        postgres_server.drop_database("pg_server_smoke_second")
