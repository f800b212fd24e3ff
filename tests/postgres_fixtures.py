"""PostgreSQL for the tests: one real server per session (`postgres_server`), a fresh database per test
(`postgres_url`), the store on it (`postgres_store`). See tests/postgres_server.py."""

from __future__ import annotations

import pytest

from tests.postgres_server import PostgresServer


@pytest.fixture(scope="session")
def postgres_server():
    """A PostgreSQL server on a free loopback port for the whole session; removed at the end."""
    server = PostgresServer()  # skips (or fails under CI) when PostgreSQL is not installed
    try:
        yield server.start()
    finally:
        server.remove()


@pytest.fixture
def postgres_url(postgres_server) -> str:
    """A new, empty database's URL (the app's role, with its password); dropped after the test."""
    if not postgres_server.running:  # a test before stopped it and failed before starting it again
        postgres_server.start()
    name = postgres_server.create_database()
    yield postgres_server.url(name)
    postgres_server.drop_database(name)


@pytest.fixture
def postgres_store(postgres_url):
    """The store on a fresh PostgreSQL database, migrated; its connections closed after the test."""
    from deflect.store.postgres import PostgresStore

    store = PostgresStore(postgres_url).migrate()
    yield store
    store.close()
