"""The request store: requests, case numbers, outbox, deflections and content gaps (SQLite).

The only module that speaks SQL. Each call opens a short-lived connection, so one Store can be
shared by threads and processes; SQLite's write lock (BEGIN IMMEDIATE) orders concurrent writers.
Schema changes are numbered migrations recorded in `PRAGMA user_version`, never "delete the file".

A store that cannot take a call (locked by another process, read-only, full, a disk error) raises
`StoreUnavailable` and changes nothing. How long a call waits for the write lock is the store's
`patience`: the outbox worker and the CLI wait long, web requests use `with_patience` to give up
after a few seconds, with a bound on how many threads may wait at once.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from deflect.outage import Outage
from deflect.store.accounts import AccountQueries
from deflect.store.ledger import LedgerQueries
from deflect.store.model import StoreUnavailable
from deflect.store.outbox import OutboxQueries
from deflect.store.records import RecordQueries
from deflect.store.requests import RequestQueries
from deflect.store.schema import MIGRATIONS

log = logging.getLogger("deflect.store")

# SQLite's primary result codes that mean "the store cannot take this call now", by kind.
FAULTS = {
    5: "busy",
    6: "busy",
    15: "busy",
    3: "read-only",
    8: "read-only",
    13: "full",
    10: "disk",
    14: "disk",
    11: "damaged",
    26: "damaged",
}
FIRST_TRY = 0.2  # seconds a bounded call waits for the write lock before it needs a waiting slot


def unavailable(error: sqlite3.Error) -> StoreUnavailable | None:
    """The StoreUnavailable an SQLite error means, or None for an error of the program's own."""
    code = getattr(error, "sqlite_errorcode", None)
    kind = FAULTS.get(code & 0xFF) if isinstance(code, int) else None
    return StoreUnavailable(kind, str(error)) if kind else None


class Store(RequestQueries, OutboxQueries, RecordQueries, LedgerQueries, AccountQueries):
    """The SQLite file under the data dir; `Store(path).migrate()` before first use.

    Each call waits at most `patience` seconds for the write lock; see `with_patience`.
    """

    FILE_NAME = "deflect.sqlite3"

    def __init__(self, path: str | Path, patience: float = 30.0):
        self.path = Path(path)
        self.patience = patience
        self.waiters: int | None = None  # how many threads may wait for the lock at once; None: any
        self._slots: threading.BoundedSemaphore | None = None
        self.outage = Outage(
            f"The request store {self.path}",
            'Filings and records are refused ("try again later") until it works again; nothing is half-written.',
            log,
        )

    def with_patience(self, patience: float, waiters: int | None = None) -> Store:
        """This store (same file, same outage log) for callers that must answer quickly.

        Each call waits at most `patience` seconds for the write lock; when `waiters` is set, a call
        that did not get the lock within FIRST_TRY waits on only if fewer than `waiters` others are
        waiting, else it is refused at once, so a held lock cannot take every thread of a server.
        """
        other = copy.copy(self)
        other.patience, other.waiters = patience, waiters
        other._slots = None if waiters is None else threading.BoundedSemaphore(waiters)
        return other

    @classmethod
    def in_data_dir(cls, data_dir: str | Path) -> Store:
        """Return the migrated store of a data dir (`DEFLECT_DATA_DIR`)."""
        return cls(Path(data_dir) / cls.FILE_NAME).migrate()

    @contextlib.contextmanager
    def _connect(self, write: bool = False) -> Iterator[sqlite3.Connection]:
        """A connection for one call (a transaction when `write`); SQLite's faults become StoreUnavailable."""
        try:
            with self._transaction(write) as connection:
                yield connection
        except sqlite3.Error as error:
            fault = unavailable(error)
            if fault is None:
                raise
            self.outage.failed(fault)
            raise fault from error
        except StoreUnavailable as fault:
            self.outage.failed(fault)
            raise
        self.outage.worked()

    @contextlib.contextmanager
    def _transaction(self, write: bool) -> Iterator[sqlite3.Connection]:
        connection = self._open()
        try:
            if not write:
                yield connection
                return
            self._begin(connection)
            try:
                yield connection
                connection.execute("COMMIT")
            except BaseException:
                if connection.in_transaction:  # SQLite rolls back by itself after some errors
                    with contextlib.suppress(sqlite3.Error):
                        connection.execute("ROLLBACK")
                raise
        finally:
            connection.close()

    def _open(self) -> sqlite3.Connection:
        """A new connection that waits FIRST_TRY (bounded store) or `patience` for a lock (tests override it)."""
        wait = self.patience if self._slots is None else min(FIRST_TRY, self.patience)
        connection = sqlite3.connect(self.path, timeout=wait, isolation_level=None)
        try:
            connection.row_factory = sqlite3.Row
            connection.execute("PRAGMA foreign_keys = ON")
        except BaseException:
            connection.close()
            raise
        return connection

    def _begin(self, connection: sqlite3.Connection) -> None:
        """Take the write lock: within the first try, else waiting for it in one of the waiting slots."""
        try:
            connection.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as error:
            fault = unavailable(error)
            if self._slots is None or fault is None or fault.kind != "busy" or self.patience <= FIRST_TRY:
                raise
        if not self._slots.acquire(blocking=False):
            raise StoreUnavailable(
                "busy", f"the write lock is taken and no more calls may wait for it (at most {self.waiters} at once)"
            )
        try:
            connection.execute(f"PRAGMA busy_timeout = {int((self.patience - FIRST_TRY) * 1000)}")
            connection.execute("BEGIN IMMEDIATE")
        finally:
            self._slots.release()

    def migrate(self) -> Store:
        """Create the file or bring its schema up to date; safe to call from every process."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._use_wal()
        if self.schema_version() >= len(MIGRATIONS):
            return self  # up to date: a locked or read-only store does not stop a start
        with self._connect(write=True) as connection:
            version = connection.execute("PRAGMA user_version").fetchone()[0]
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in filter(str.strip, script.split(";")):
                    connection.execute(statement)
                connection.execute(f"PRAGMA user_version = {number}")
        return self

    def _use_wal(self, patience: float = 30.0) -> None:
        """Put the file in WAL mode (it stays so). Two processes doing this at once on a new file get
        "database is locked" at once, without SQLite's busy wait, so the loser tries again."""
        deadline = time.monotonic() + patience
        while True:
            try:
                with contextlib.closing(self._open()) as connection:
                    if connection.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                        connection.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or time.monotonic() > deadline:
                    fault = unavailable(error)
                    if fault is None:
                        raise
                    raise fault from error
                time.sleep(0.01)

    def schema_version(self) -> int:
        """Return the number of migrations applied."""
        with self._connect() as connection:
            return connection.execute("PRAGMA user_version").fetchone()[0]
