"""The request store on PostgreSQL (`DEFLECT_DATABASE_URL=postgresql://...`), for several instances.

psycopg 3, with a pool of at most POOL_SIZE connections per process, opened on first use (and anew
in a forked child). What differs from SQLite:
- case numbers come from a sequence per year (`deflect_case_numbers_2026`, made by the year's
  first filing): unique and in order across instances without a lock, restarting at 1 on
  1 January (UTC) as on SQLite; a filing that fails half-way leaves a gap, never a repeat;
- filings that decide the same thing (a token's one use, the confirmation caps) take turns on a
  transaction-long advisory lock (`_hold`), where SQLite's one write lock orders every writer;
- the outbox is claimed with FOR UPDATE SKIP LOCKED: workers anywhere never wait for each other;
- each write begins by taking the tables in ROW EXCLUSIVE mode, as SQLite's BEGIN IMMEDIATE takes
  its write lock: writers never block each other, but a table someone locked by hand (or a
  migration) is waited for within the patience, FIRST_TRY and then in a waiting slot;
- faults are known by SQLSTATE, and "down" is new: no connection within the patience;
- migrations run in one transaction under an advisory lock, so instances starting together on
  an empty database migrate it once; their versions are rows of `deflect_migrations`.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolTimeout

from deflect.store.base import StoreBase
from deflect.store.model import StoreUnavailable, stamp, utcnow
from deflect.store.postgres_connections import POOL_SIZE, Connection, Pool
from deflect.store.schema import MIGRATIONS, postgres_form, statements, tables

DEFAULTS = {"connect_timeout": "5", "application_name": "deflect"}  # unless the URL says otherwise
MIGRATION_LOCK = "deflect:migrations"
# SQLSTATE (or its two-letter class) -> what it means for callers; see model.DESCRIPTIONS.
FAULTS = {
    "08": "down",  # connection exception
    "57P01": "down",  # the server is shutting down
    "57P02": "down",
    "57P03": "down",  # the server is starting or in recovery
    "53100": "full",  # disk full
    "53200": "busy",  # out of memory
    "53300": "busy",  # too many connections
    "55P03": "busy",  # lock_timeout: a lock held by someone else
    "57014": "busy",  # statement_timeout
    "40001": "busy",  # serialization failure
    "40P01": "busy",  # deadlock (with a migration)
    "25006": "read-only",  # a read-only transaction (default_transaction_read_only, a standby)
    "42501": "read-only",  # the role lost its right to write
    "58030": "disk",
    "XX001": "damaged",
    "XX002": "damaged",
}
# The pool logs every failed reconnection; the store logs an outage once when it starts and once when it ends.
logging.getLogger("psycopg.pool").setLevel(logging.ERROR)


def unavailable(error: Exception) -> StoreUnavailable | None:
    """The StoreUnavailable a psycopg error means, or None for an error of the program's own."""
    if not isinstance(error, psycopg.Error):
        return None
    state = error.sqlstate or ""
    kind = FAULTS.get(state) or FAULTS.get(state[:2])
    if kind is None and not state and isinstance(error, psycopg.OperationalError):
        kind = "down"  # the connection failed or was lost: no SQLSTATE
    return StoreUnavailable(kind, " ".join(str(error).split()) or type(error).__name__) if kind else None  # one line


def describe(url: str) -> str:
    """The database a URL names, for the log, without its password."""
    parts = conninfo_to_dict(url)
    where = parts.get("host") or "localhost"
    return (
        f"(PostgreSQL database {parts.get('dbname') or parts.get('user') or ''} on {where}:{parts.get('port') or 5432})"
    )


class PostgresStore(StoreBase):
    """A PostgreSQL database; `PostgresStore(url).migrate()` before first use (see the module docstring)."""

    SKIP_LOCKED = " FOR UPDATE SKIP LOCKED"

    def __init__(self, url: str, patience: float = 30.0):
        try:
            parts = conninfo_to_dict(url)
        except psycopg.ProgrammingError as error:  # a URL libpq cannot read: said at start
            raise ValueError(str(error).strip()) from None
        self.url = url
        self.conninfo = make_conninfo(url, **{k: v for k, v in DEFAULTS.items() if k not in parts})
        super().__init__(describe(url), patience)
        self._pool = Pool(self.conninfo)  # shared by with_patience's copies
        self._years: set[int] = set()  # years whose case-number sequence is known to exist
        self._tables = tables()

    def close(self) -> None:
        """Close this process's connections (the copies share them)."""
        self._pool.close()

    def _unavailable(self, error: Exception) -> StoreUnavailable | None:
        return unavailable(error)

    @contextlib.contextmanager
    def _transaction(self, write: bool) -> Iterator[Connection]:
        pool = self._pool.get()
        connection = self._patiently(lambda wait: self._begin(pool, write, wait))
        try:
            yield Connection(connection)
            connection.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(psycopg.Error):
                connection.execute("ROLLBACK")
            raise
        finally:
            pool.putconn(connection)

    def _begin(self, pool: ConnectionPool, write: bool, wait: float) -> psycopg.Connection:
        """A pooled connection in a new transaction, within `wait` seconds; for a write, with its table locks.

        Beginning is the check of a pooled connection: one the server ended (a restart, a session
        ended by hand) is dropped and the next one tried at once, within the same `wait`.
        """
        deadline = time.monotonic() + wait
        lock = f"LOCK TABLE {', '.join(self._tables)} IN ROW EXCLUSIVE MODE; " if write else ""
        begin = (
            f"BEGIN; SET LOCAL statement_timeout = {_ms(max(self.patience, 1.0))};"
            f" SET LOCAL lock_timeout = {_ms(wait)}; {lock}SET LOCAL lock_timeout = {_ms(self.patience)}"
        )
        while True:
            try:
                connection = pool.getconn(timeout=max(deadline - time.monotonic(), 0.001))
            except PoolTimeout as error:
                raise self._no_connection(pool) from error
            try:
                connection.execute(begin)
                return connection
            except psycopg.Error as error:
                with contextlib.suppress(psycopg.Error):
                    connection.execute("ROLLBACK")
                pool.putconn(connection)  # the pool replaces a broken one
                if connection.broken and time.monotonic() < deadline:
                    continue
                fault = unavailable(error)
                if fault is None:
                    raise
                raise fault from error

    def _no_connection(self, pool: ConnectionPool) -> StoreUnavailable:
        stats = pool.get_stats()
        if stats.get("pool_available", 0) == 0 and stats.get("pool_size", 0) >= POOL_SIZE:
            return StoreUnavailable("busy", f"all {POOL_SIZE} connections were in use for {self.patience:.1f} s")
        return StoreUnavailable("down", f"no connection to the database within {self.patience:.1f} s")

    def _hold(self, connection: Connection, key: str) -> None:
        """A transaction-long advisory lock on `key`: filings deciding the same thing take turns."""
        connection.execute("SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", (f"deflect:{key}",))

    def _next_case_seq(self, connection: Connection, year: int) -> int:
        """The next number of `year`'s sequence, made by the year's first filing (the others wait for it),
        after the year's highest number already stored (requests filed before it existed, or copied in)."""
        name = f"deflect_case_numbers_{int(year)}"
        if year not in self._years:
            if connection.execute("SELECT to_regclass(?) AS found", (name,)).fetchone()["found"] is None:
                self._hold(connection, f"case-numbers:{year}")
                row = connection.execute(
                    "SELECT COALESCE(MAX(seq), 0) + 1 AS first FROM requests WHERE year = ?", (year,)
                )
                connection.execute(f"CREATE SEQUENCE IF NOT EXISTS {name} START WITH {int(row.fetchone()['first'])}")
            else:
                self._years.add(year)  # committed by someone: it stays
        return connection.execute("SELECT nextval(?) AS seq", (name,)).fetchone()["seq"]

    def migrate(self, upto: int | None = None) -> PostgresStore:
        """Create the schema or bring it up to date (to migration `upto`, default the last), in one
        transaction; instances starting together wait for each other's (an advisory lock)."""
        target = len(MIGRATIONS) if upto is None else upto
        with self._direct() as connection:
            if _version(connection) >= target:
                return self._up_to(target)
            with connection.transaction():
                connection.execute(f"SET LOCAL lock_timeout = {_ms(self.patience)}")
                connection.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (MIGRATION_LOCK,))
                connection.execute(
                    "CREATE TABLE IF NOT EXISTS deflect_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
                )
                version = _version(connection)
                for number, migration in enumerate(MIGRATIONS[version:target], start=version + 1):
                    for statement in statements(postgres_form(migration)):
                        connection.execute(statement)
                    connection.execute(
                        "INSERT INTO deflect_migrations (version, applied_at) VALUES (%s, %s)",
                        (number, stamp(utcnow())),
                    )
        return self._up_to(target)

    def _up_to(self, version: int) -> PostgresStore:
        self._tables = tables(version)  # a write locks the tables the schema has
        return self

    @contextlib.contextmanager
    def _direct(self) -> Iterator[psycopg.Connection]:
        """A connection of its own (not the pool's), for migrations: a wrong URL or password is said at start."""
        try:
            with psycopg.connect(self.conninfo, autocommit=True, row_factory=dict_row) as connection:
                yield connection
        except psycopg.Error as error:
            fault = unavailable(error)
            if fault is None:
                raise
            self.outage.failed(fault)
            raise fault from error

    def schema_version(self) -> int:
        """Return the number of migrations applied."""
        with self._connect() as connection:
            return _version(connection)


def _version(connection) -> int:
    found = connection.execute("SELECT to_regclass('deflect_migrations') AS found").fetchone()["found"]
    if found is None:
        return 0
    return connection.execute("SELECT COALESCE(MAX(version), 0) AS version FROM deflect_migrations").fetchone()[
        "version"
    ]


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))
