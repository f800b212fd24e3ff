"""What both stores share: the queries, patience, the bound on waiting callers, the outage log.

A store is one of two engines, `sqlite.Store` (a file in the data folder) and
`postgres.PostgresStore` (`DEFLECT_DATABASE_URL`); `factory.open_store` picks one from the settings.
The queries (`requests`, `outbox`, `records`) are written once, in the SQL both engines speak, with
`?` placeholders; what differs is the engine's: connections and transactions (`_transaction`), how
a case number is drawn (`_next_case_seq`), the lock that orders filings deciding the same thing
(`_hold`), how the outbox skips rows another worker is claiming (`SKIP_LOCKED`), its faults
(`_unavailable`) and its migrations.

Patience: each call waits at most `patience` seconds for what it needs (SQLite's write lock; a
PostgreSQL connection and its table locks). With `waiters` set, a call that did not get it within
FIRST_TRY waits on only if fewer than `waiters` others are waiting, else it is refused at once, so a
store that is locked or down cannot take every thread of a server.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import threading
from collections.abc import Callable, Iterator
from typing import TypeVar

from deflect.outage import Outage
from deflect.store.accounts import AccountQueries
from deflect.store.ledger import LedgerQueries
from deflect.store.model import DESCRIPTIONS, StoreUnavailable
from deflect.store.outbox import OutboxQueries
from deflect.store.records import RecordQueries
from deflect.store.requests import RequestQueries

log = logging.getLogger("deflect.store")
FIRST_TRY = 0.2  # seconds a bounded call waits before it needs a waiting slot
Result = TypeVar("Result")


class StoreBase(RequestQueries, OutboxQueries, RecordQueries, LedgerQueries, AccountQueries):
    """A store on either engine: `migrate()` before first use, then the queries; see the module docstring."""

    SKIP_LOCKED = ""  # appended to the outbox claim's SELECT: PostgreSQL's FOR UPDATE SKIP LOCKED

    def __init__(self, name: str, patience: float = 30.0):
        self.patience = patience
        self.waiters: int | None = None  # how many threads may wait at once; None: any
        self._slots: threading.BoundedSemaphore | None = None
        self.outage = Outage(
            f"The request store {name}",
            'Filings and records are refused ("try again later") until it works again; nothing is half-written.',
            log,
        )

    def with_patience(self, patience: float, waiters: int | None = None):
        """This store (same database, same outage log) for callers that must answer quickly.

        Each call waits at most `patience` seconds; when `waiters` is set, a call that did not get
        what it waits for within FIRST_TRY waits on only if fewer than `waiters` others are waiting.
        """
        other = copy.copy(self)
        other.patience, other.waiters = patience, waiters
        other._slots = None if waiters is None else threading.BoundedSemaphore(waiters)
        return other

    @contextlib.contextmanager
    def _connect(self, write: bool = False) -> Iterator:
        """A connection for one call, in a transaction when `write`; the engine's faults become StoreUnavailable."""
        try:
            with self._transaction(write) as connection:
                yield connection
        except StoreUnavailable as fault:
            self.outage.failed(fault)
            raise
        except Exception as error:
            fault = self._unavailable(error)
            if fault is None:
                raise
            self.outage.failed(fault)
            raise fault from error
        self.outage.worked()

    def _patiently(self, attempt: Callable[[float], Result]) -> Result:
        """`attempt(seconds)` within the patience: unbounded, all of it; bounded, FIRST_TRY, then the
        rest in a waiting slot when one is free. `attempt` raises StoreUnavailable (busy or down) when
        it did not get what it waits for in time, having changed nothing."""
        if self._slots is None:
            return attempt(self.patience)
        try:
            return attempt(min(FIRST_TRY, self.patience))
        except StoreUnavailable as fault:
            if fault.kind not in ("busy", "down") or self.patience <= FIRST_TRY:
                raise
            kind = fault.kind
        if not self._slots.acquire(blocking=False):
            raise StoreUnavailable(
                kind, f"{DESCRIPTIONS[kind]}, and no more calls may wait for it (at most {self.waiters} at once)"
            )
        try:
            return attempt(self.patience - FIRST_TRY)
        finally:
            self._slots.release()

    PING = "SELECT 1 AS answer"  # a read that fails when the store cannot answer

    def ping(self) -> None:
        """Raise StoreUnavailable (with the reason) unless the store answers a trivial read now."""
        with self._connect() as connection:
            connection.execute(self.PING).fetchone()

    def close(self) -> None:
        """Let go of the engine's connections (a no-op where each call opens its own)."""

    # --- What each engine provides ------------------------------------------------------------

    def _transaction(self, write: bool):
        raise NotImplementedError

    def _unavailable(self, error: Exception) -> StoreUnavailable | None:
        """The StoreUnavailable an engine's error means, or None for an error of the program's own."""
        raise NotImplementedError

    def _next_case_seq(self, connection, year: int) -> int:
        """The number of the next case filed in `year` (inside the filing transaction)."""
        raise NotImplementedError

    def _hold(self, connection, key: str) -> None:
        """Hold a lock named `key` until the transaction ends, so that filings deciding the same thing
        (a token's use, the confirmation caps) take turns. A no-op where writers take turns anyway."""

    def migrate(self, upto: int | None = None):
        """Create the schema or bring it up to date (to migration `upto`, default the last)."""
        raise NotImplementedError

    def schema_version(self) -> int:
        """Return the number of migrations applied."""
        raise NotImplementedError
