"""PostgreSQL's connections for the store: a pool per process, and the connection the queries get.

`Pool` opens psycopg's pool on first use, and anew in a forked child (a parent's connections are
never used or closed there). `Connection` lets the queries written for both engines (`?`
placeholders) run on psycopg, and keeps NUL out of PostgreSQL's text.
"""

from __future__ import annotations

import atexit
import functools
import os
import threading

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

POOL_SIZE = 10  # connections per process at most: a server's threads, its outbox worker, lease renewals
RECONNECT = 2.0  # seconds the pool tries to replace a lost connection before the next call tries anew
OPEN: dict[ConnectionPool, int] = {}  # each open pool and its process: never collected while open


@atexit.register
def _close_open_pools() -> None:
    """Close this process's pools at exit (a pool left to the collector may be collected by its own worker)."""
    for pool, pid in list(OPEN.items()):
        if pid == os.getpid():
            pool.close()


class Connection:
    """A pooled psycopg connection that takes the queries' `?` placeholders and values as sqlite3 does.

    PostgreSQL's text cannot hold NUL, which SQLite's can: a NUL in a value (a search, a mail
    server's reply) is written as U+FFFD, the replacement character, instead of failing the call.
    """

    def __init__(self, connection: psycopg.Connection):
        self.connection = connection

    def execute(self, sql: str, params: tuple | list = ()) -> psycopg.Cursor:
        """Run one statement with `?` placeholders."""
        values = tuple(v.replace("\x00", "\ufffd") if isinstance(v, str) else v for v in params)
        return self.connection.execute(_placeholders(sql), values)


@functools.lru_cache(maxsize=512)
def _placeholders(sql: str) -> str:
    """The query in psycopg's placeholder style: `?` becomes %s, a literal % is doubled."""
    return sql.replace("%", "%%").replace("?", "%s")


class Pool:
    """This process's pool of connections to one database, opened on first use and anew after a fork."""

    def __init__(self, conninfo: str):
        self.conninfo = conninfo
        self._pool: ConnectionPool | None = None
        self._pid: int | None = None
        self._lock = threading.Lock()
        self._inherited: list[ConnectionPool] = []  # a parent's pools: never used or closed in a child

    def get(self) -> ConnectionPool:
        """The pool, opened (without waiting for its first connection) if this process has none yet."""
        if self._pool is None or self._pid != os.getpid():
            with self._lock:
                if self._pool is None or self._pid != os.getpid():
                    if self._pool is not None:
                        self._inherited.append(self._pool)
                    self._pool = self._open()
                    self._pid = os.getpid()
        return self._pool

    def _open(self) -> ConnectionPool:
        """A new pool, kept open (and referenced) until `close()` or the interpreter's exit."""
        pool = ConnectionPool(
            self.conninfo,
            min_size=1,
            max_size=POOL_SIZE,
            # No server-side prepared statements: a plan cached before a migration (an instance still
            # running the old version) would fail on the new columns, and poolers like PgBouncer lose them.
            kwargs={"autocommit": True, "row_factory": dict_row, "prepare_threshold": None},
            open=False,
            name="deflect",
            # The pool's reconnection attempts back off without a bound: give up after RECONNECT seconds,
            # so the next call tries at once and a server that is back is used within a second or two.
            reconnect_timeout=RECONNECT,
        )
        pool.open(wait=False)
        OPEN[pool] = os.getpid()
        return pool

    def close(self) -> None:
        """Close the pool of this process, if it has one."""
        with self._lock:
            if self._pool is not None and self._pid == os.getpid():
                self._pool.close()
                OPEN.pop(self._pool, None)
            self._pool = None
