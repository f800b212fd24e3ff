"""Real faults of a PostgreSQL store: tables locked by another process, a read-only database.

What an operator or the server does, not a mock: the lock is `LOCK TABLE ... IN EXCLUSIVE MODE` held
by a second process (reads go on, writes wait, as with SQLite's write lock held); read-only is the
database's `default_transaction_read_only` turned on and its sessions ended, as a fail-over to a
standby or an operator's emergency switch does. A stopped server is `PostgresServer.stop()`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import psycopg
from psycopg.conninfo import conninfo_to_dict

from deflect.store.schema import tables
from tests.faults import LockHolder
from tests.postgres_server import ADMIN_PASSWORD

HOLDER = """
import sys, psycopg
connection = psycopg.connect(sys.argv[1])
connection.execute("LOCK TABLE " + sys.argv[2] + " IN EXCLUSIVE MODE")
print("locked", flush=True)
sys.stdin.readline()  # until the test releases the lock (or dies: stdin closes)
connection.rollback()
"""


class HeldTables(LockHolder):
    """Another process holding every table of the store in EXCLUSIVE mode until `release()`."""

    def __init__(self, url: str):
        super().__init__(HOLDER, url, ", ".join(tables()))


def admin(url: str) -> psycopg.Connection:
    """A superuser connection to the server of the app's URL (the test server's superuser)."""
    parts = conninfo_to_dict(url)
    return psycopg.connect(
        host=parts["host"], port=parts["port"], user="postgres", password=ADMIN_PASSWORD, dbname="postgres",
        autocommit=True,
    )  # fmt: skip


def _end_sessions(connection: psycopg.Connection, database: str) -> None:
    connection.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
        (database,),
    )


@contextlib.contextmanager
def read_only_database(url: str) -> Iterator[None]:
    """The store's database read-only for every new session, its current sessions ended (they reconnect)."""
    database = conninfo_to_dict(url)["dbname"]
    with admin(url) as connection:
        connection.execute(f"ALTER DATABASE {database} SET default_transaction_read_only = on")
        _end_sessions(connection, database)
    try:
        yield
    finally:
        with admin(url) as connection:
            connection.execute(f"ALTER DATABASE {database} RESET default_transaction_read_only")
            _end_sessions(connection, database)
