"""The request store on SQLite: one file in the data folder, the default (`DEFLECT_DATABASE_URL` unset).

Each call opens a short-lived connection, so one Store can be shared by threads and processes;
SQLite's write lock (BEGIN IMMEDIATE) orders concurrent writers, so a case number is the year's
last plus one. Schema changes are the numbered migrations of `schema`, recorded in
`PRAGMA user_version`, never "delete the file".

A store that cannot take a call (locked by another process, read-only, full, a disk error) raises
`StoreUnavailable` and changes nothing. How long a call waits for the write lock is the store's
`patience`: the outbox worker and the CLI wait long, web requests use `with_patience` to give up
after a few seconds, with a bound on how many threads may wait at once (`base.StoreBase`).
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

from deflect.store.base import FIRST_TRY, StoreBase
from deflect.store.model import StoreUnavailable
from deflect.store.schema import MIGRATIONS, sqlite_form, statements

__all__ = ["FIRST_TRY", "Store", "unavailable"]

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


def unavailable(error: sqlite3.Error) -> StoreUnavailable | None:
    """The StoreUnavailable an SQLite error means, or None for an error of the program's own."""
    code = getattr(error, "sqlite_errorcode", None)
    kind = FAULTS.get(code & 0xFF) if isinstance(code, int) else None
    return StoreUnavailable(kind, str(error)) if kind else None


class Store(StoreBase):
    """The SQLite file under the data dir; `Store(path).migrate()` before first use.

    Each call waits at most `patience` seconds for the write lock; see `with_patience`.
    """

    FILE_NAME = "deflect.sqlite3"
    PING = "SELECT COUNT(*) AS answer FROM sqlite_master"  # reads the file: a damaged one fails

    def __init__(self, path: str | Path, patience: float = 30.0):
        self.path = Path(path)
        super().__init__(str(self.path), patience)

    @classmethod
    def in_data_dir(cls, data_dir: str | Path) -> Store:
        """Return the migrated store of a data dir (`DEFLECT_DATA_DIR`)."""
        return cls(Path(data_dir) / cls.FILE_NAME).migrate()

    def _unavailable(self, error: Exception) -> StoreUnavailable | None:
        return unavailable(error) if isinstance(error, sqlite3.Error) else None

    @contextlib.contextmanager
    def _transaction(self, write: bool) -> Iterator[sqlite3.Connection]:
        connection = self._open()
        try:
            if not write:
                yield connection
                return
            self._patiently(lambda wait: self._begin(connection, wait))
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

    def _begin(self, connection: sqlite3.Connection, wait: float) -> None:
        """Take the write lock within `wait` seconds, else raise StoreUnavailable ("busy")."""
        try:
            connection.execute(f"PRAGMA busy_timeout = {int(wait * 1000)}")
            connection.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as error:
            fault = unavailable(error)
            if fault is None:
                raise
            raise fault from error

    def _next_case_seq(self, connection: sqlite3.Connection, year: int) -> int:
        """One more than the year's last: safe, as the write lock lets one filing in at a time."""
        row = connection.execute("SELECT COALESCE(MAX(seq), 0) + 1 AS seq FROM requests WHERE year = ?", (year,))
        return row.fetchone()["seq"]

    def migrate(self, upto: int | None = None) -> Store:
        """Create the file or bring its schema up to date (to migration `upto`, default the last);
        safe to call from every process: the write lock lets one of them migrate."""
        target = len(MIGRATIONS) if upto is None else upto
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._use_wal()
        if self.schema_version() >= target:
            return self  # up to date: a locked or read-only store does not stop a start
        with self._connect(write=True) as connection:
            version = connection.execute("PRAGMA user_version").fetchone()[0]
            for number, migration in enumerate(MIGRATIONS[version:target], start=version + 1):
                for statement in statements(sqlite_form(migration)):
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
