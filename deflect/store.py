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
import datetime as dt
import json
import logging
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from deflect.outage import Outage

log = logging.getLogger(__name__)

MIGRATIONS: tuple[str, ...] = (
    # 1: requests with case numbers, the outbox, deflections and content gaps.
    """
    CREATE TABLE requests (
        id INTEGER PRIMARY KEY,
        case_number TEXT NOT NULL UNIQUE,
        year INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        form TEXT NOT NULL,
        subject TEXT NOT NULL,
        email TEXT NOT NULL,
        data TEXT NOT NULL,
        UNIQUE (year, seq)
    );
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        case_number TEXT NOT NULL REFERENCES requests (case_number),
        channel TEXT NOT NULL,
        payload TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        claimed_by TEXT,
        claimed_until TEXT,
        last_error TEXT,
        created_at TEXT NOT NULL,
        delivered_at TEXT,
        UNIQUE (case_number, channel)
    );
    CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
    CREATE TABLE deflections (
        id INTEGER PRIMARY KEY,
        created_at TEXT NOT NULL,
        query TEXT NOT NULL,
        article_url TEXT NOT NULL,
        article_title TEXT NOT NULL,
        from_page TEXT
    );
    CREATE TABLE content_gaps (
        query TEXT PRIMARY KEY,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        count INTEGER NOT NULL,
        results INTEGER NOT NULL,
        suggestion TEXT
    );
    CREATE TABLE page_feedback (
        id INTEGER PRIMARY KEY,
        created_at TEXT NOT NULL,
        page TEXT NOT NULL,
        helpful INTEGER NOT NULL
    );
    """,
    # 2: single-use search-step tokens (the request that used one), and the confirmations sent in the
    # last hour, counted per mailbox and in all for the confirmation caps.
    """
    ALTER TABLE requests ADD COLUMN search_token TEXT;
    CREATE UNIQUE INDEX requests_search_token ON requests (search_token);
    CREATE TABLE confirmations (
        id INTEGER PRIMARY KEY,
        sent_at TEXT NOT NULL,
        recipient TEXT NOT NULL,
        case_number TEXT NOT NULL
    );
    CREATE INDEX confirmations_recipient ON confirmations (recipient, sent_at);
    CREATE INDEX confirmations_sent ON confirmations (sent_at);
    """,
)
CONFIRMATION_WINDOW = dt.timedelta(hours=1)


# SQLite's primary result codes that mean "the store cannot take this call now", by kind.
FAULTS = {5: "busy", 6: "busy", 15: "busy", 3: "read-only", 8: "read-only", 13: "full", 10: "disk",
          14: "disk", 11: "damaged", 26: "damaged"}
DESCRIPTIONS = {"busy": "locked by another writer", "read-only": "read-only",
                "full": "full (no space left, or at its size limit)", "disk": "unreadable (a disk error)",
                "damaged": "damaged"}
FIRST_TRY = 0.2  # seconds a bounded call waits for the write lock before it needs a waiting slot


class StoreUnavailable(Exception):
    """The store cannot take this call now; nothing was changed. Callers say "try again later".

    `kind` is one of FAULTS' kinds; `retry_after` is a fair number of seconds to wait: a lock is
    usually gone in seconds, a full or read-only disk needs someone to act.
    """

    def __init__(self, kind: str, detail: str):
        super().__init__(f"the store is {DESCRIPTIONS[kind]} ({detail})")
        self.kind, self.detail = kind, detail

    @property
    def retry_after(self) -> int:
        """Seconds a client should wait before sending the same call again."""
        return 5 if self.kind == "busy" else 60


def unavailable(error: sqlite3.Error) -> StoreUnavailable | None:
    """The StoreUnavailable an SQLite error means, or None for an error of the program's own."""
    code = getattr(error, "sqlite_errorcode", None)
    kind = FAULTS.get(code & 0xFF) if isinstance(code, int) else None
    return StoreUnavailable(kind, str(error)) if kind else None


def utcnow() -> dt.datetime:
    """Return the current time, timezone-aware, in UTC."""
    return dt.datetime.now(dt.timezone.utc)


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).isoformat(timespec="microseconds")


class TokenAlreadyUsed(Exception):
    """The search-step token was already used to file a request; nothing was filed this time."""

    def __init__(self, case_number: str):
        self.case_number = case_number
        super().__init__(f"the token was already used for {case_number}")


@dataclass(frozen=True)
class ConfirmationCap:
    """A confirmation to `recipient` (a mailbox, as counted; empty: none can be sent) is sent unless
    it has had `per_address`, or all addresses together `per_hour`, in the last hour."""

    recipient: str | None
    per_address: int
    per_hour: int


@dataclass(frozen=True)
class OutboxEntry:
    """One message waiting to be sent (or sent, or failed) for a case."""

    id: int
    case_number: str
    channel: str
    payload: dict
    status: str
    attempts: int
    next_attempt_at: str
    last_error: str | None
    created_at: str
    delivered_at: str | None
    claimed_by: str | None = None
    claimed_until: str | None = None


class Store:
    """The SQLite file under the data dir; `Store(path).migrate()` before first use.

    Each call waits at most `patience` seconds for the write lock; see `with_patience`.
    """

    FILE_NAME = "deflect.sqlite3"

    def __init__(self, path: str | Path, patience: float = 30.0):
        self.path = Path(path)
        self.patience = patience
        self.waiters: int | None = None  # how many threads may wait for the lock at once; None: any
        self._slots: threading.BoundedSemaphore | None = None
        self.outage = Outage(f"The request store {self.path}", "Filings and records are refused "
                             "(\"try again later\") until it works again; nothing is half-written.", log)

    def with_patience(self, patience: float, waiters: int | None = None) -> "Store":
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
    def in_data_dir(cls, data_dir: str | Path) -> "Store":
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
            raise StoreUnavailable("busy", f"the write lock is taken and no more calls may wait for it "
                                           f"(at most {self.waiters} at once)")
        try:
            connection.execute(f"PRAGMA busy_timeout = {int((self.patience - FIRST_TRY) * 1000)}")
            connection.execute("BEGIN IMMEDIATE")
        finally:
            self._slots.release()

    def migrate(self) -> "Store":
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

    # Requests -----------------------------------------------------------------------------

    def file_request(
        self,
        *,
        prefix: str,
        digits: int,
        form: str,
        subject: str,
        email: str,
        data: dict,
        outbox: Callable[..., list[tuple]] = lambda case: [],
        now: dt.datetime | None = None,
        token: str | None = None,
        confirmation: ConfirmationCap | None = None,
    ) -> str:
        """Number and commit a request with its outbox messages in one transaction.

        `outbox(case_number)` returns the (channel, payload) pairs to send; they are committed
        with the request, so a stored request is never left without its messages. A triple
        (channel, payload, reason) is committed as failed with the reason: it is never sent.
        With `token` (a search-step token's use id), a token that filed a request before raises
        TokenAlreadyUsed and nothing is filed. With `confirmation`, the caps are decided here, so
        they hold across processes: the record gets `confirmation` ("sent", "address-cap",
        "hourly-cap" or "no-address") and `outbox(case_number, confirmation)` is called.
        """
        now = now or utcnow()
        with self._connect(write=True) as connection:
            row = connection.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM requests WHERE year = ?", (now.year,))
            seq = row.fetchone()[0]
            case_number = f"{prefix}-{now.year}-{seq:0{digits}d}"
            if token is not None:
                _check_token_unused(connection, token)
            decided = {} if confirmation is None else {"confirmation": _confirm(connection, confirmation, case_number, now)}
            record = dict(data, case_number=case_number, created_at=_stamp(now), **decided)
            connection.execute(
                "INSERT INTO requests (case_number, year, seq, created_at, form, subject, email, data)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (case_number, now.year, seq, _stamp(now), form, subject, email, json.dumps(record)),
            )
            if token is not None:
                connection.execute("UPDATE requests SET search_token = ? WHERE case_number = ?", (token, case_number))
            for channel, payload, *refused in outbox(case_number, *decided.values()):
                connection.execute(
                    "INSERT INTO outbox (case_number, channel, payload, next_attempt_at, created_at)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (case_number, channel, json.dumps(payload), _stamp(now), _stamp(now)),
                )
                if refused:
                    connection.execute("UPDATE outbox SET status = 'failed', last_error = ? WHERE case_number = ?"
                                       " AND channel = ?", (refused[0], case_number, channel))
        return case_number

    def get_request(self, case_number: str) -> dict | None:
        """Return the stored request with this case number, or None."""
        with self._connect() as connection:
            row = connection.execute("SELECT data FROM requests WHERE case_number = ?", (case_number,)).fetchone()
        return json.loads(row["data"]) if row else None

    def list_requests(self, limit: int = 100) -> list[dict]:
        """Return the newest requests first."""
        with self._connect() as connection:
            rows = connection.execute("SELECT data FROM requests ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        return [json.loads(row["data"]) for row in rows]

    # Outbox -------------------------------------------------------------------------------

    def claim_due(self, worker: str, lease: dt.timedelta, limit: int = 10, now: dt.datetime | None = None,
                  due_by: dt.datetime | None = None) -> list[OutboxEntry]:
        """Lease up to `limit` pending messages due by `due_by` (default now) to `worker`; others skip them.

        Each claim counts as an attempt. A lease that has run out (its worker died) can be claimed again.
        """
        now = now or utcnow()
        with self._connect(write=True) as connection:
            rows = connection.execute(
                "SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= ?"
                " AND (claimed_until IS NULL OR claimed_until < ?) ORDER BY id LIMIT ?",
                (_stamp(min(due_by or now, now)), _stamp(now), limit),
            ).fetchall()
            ids = [row["id"] for row in rows]
            for entry_id in ids:
                connection.execute(
                    "UPDATE outbox SET claimed_by = ?, claimed_until = ?, attempts = attempts + 1 WHERE id = ?",
                    (worker, _stamp(now + lease), entry_id),
                )
        return [self.outbox_entry(entry_id) for entry_id in ids]

    def renew_lease(self, entry_id: int, worker: str, lease: dt.timedelta, now: dt.datetime | None = None) -> bool:
        """Extend `worker`'s lease on a message it is still sending; False once it no longer holds it."""
        with self._connect(write=True) as connection:
            cursor = connection.execute(
                "UPDATE outbox SET claimed_until = ? WHERE id = ? AND claimed_by = ? AND status = 'pending'",
                (_stamp((now or utcnow()) + lease), entry_id, worker),
            )
        return cursor.rowcount == 1

    def mark_delivered(self, entry_id: int, worker: str, now: dt.datetime | None = None) -> bool:
        """Record that a message was accepted by the mail server or webhook; return False if already so.

        Not guarded by the claim: a send that outlived its lease still happened, and recording it
        stops the worker that took over from sending it again after a failure of its own.
        """
        with self._connect(write=True) as connection:
            cursor = connection.execute(
                "UPDATE outbox SET status = 'delivered', delivered_at = ?, claimed_by = NULL, claimed_until = NULL"
                " WHERE id = ? AND status != 'delivered'",
                (_stamp(now or utcnow()), entry_id),
            )
        return cursor.rowcount == 1

    def mark_failed(self, entry_id: int, worker: str, reason: str, now: dt.datetime | None = None) -> bool:
        """Record a permanent failure; the message is not tried again unless retried by hand."""
        with self._connect(write=True) as connection:
            cursor = connection.execute(
                "UPDATE outbox SET status = 'failed', last_error = ?, claimed_by = NULL, claimed_until = NULL"
                " WHERE id = ? AND claimed_by = ? AND status = 'pending'",
                (reason, entry_id, worker),
            )
        return cursor.rowcount == 1

    def mark_retry(self, entry_id: int, worker: str, reason: str, at: dt.datetime) -> bool:
        """Release a claimed message to be tried again at `at`."""
        with self._connect(write=True) as connection:
            cursor = connection.execute(
                "UPDATE outbox SET claimed_by = NULL, claimed_until = NULL, last_error = ?, next_attempt_at = ?"
                " WHERE id = ? AND claimed_by = ? AND status = 'pending'",
                (reason, _stamp(at), entry_id, worker),
            )
        return cursor.rowcount == 1

    def retry(self, entry_id: int, now: dt.datetime | None = None) -> bool:
        """Make a failed message, or a pending one nobody holds, due now with a fresh count of attempts.

        Returns False for a delivered message or one a worker is sending right now.
        """
        stamp = _stamp(now or utcnow())
        with self._connect(write=True) as connection:
            cursor = connection.execute(
                "UPDATE outbox SET status = 'pending', next_attempt_at = ?, attempts = 0, claimed_by = NULL,"
                " claimed_until = NULL WHERE id = ? AND (status = 'failed' OR (status = 'pending'"
                " AND (claimed_until IS NULL OR claimed_until < ?)))",
                (stamp, entry_id, stamp),
            )
        return cursor.rowcount == 1

    def outbox_entry(self, entry_id: int) -> OutboxEntry | None:
        """Return one outbox entry, or None when there is none with this id."""
        with self._connect() as connection:
            row = connection.execute("SELECT * FROM outbox WHERE id = ?", (entry_id,)).fetchone()
        return _entry(row) if row else None

    def list_outbox(self, statuses: tuple[str, ...] = ("pending", "failed", "delivered")) -> list[OutboxEntry]:
        """Return the outbox entries with these statuses, oldest first."""
        marks = ",".join("?" * len(statuses))
        with self._connect() as connection:
            rows = connection.execute(f"SELECT * FROM outbox WHERE status IN ({marks}) ORDER BY id", statuses).fetchall()
        return [_entry(row) for row in rows]

    # Deflections, content gaps, page feedback ----------------------------------------------

    def record_deflection(self, query: str, article_url: str, article_title: str, from_page: str | None = None) -> None:
        """Record that an article answered a customer who was about to file a request."""
        with self._connect(write=True) as connection:
            connection.execute(
                "INSERT INTO deflections (created_at, query, article_url, article_title, from_page) VALUES (?, ?, ?, ?, ?)",
                (_stamp(utcnow()), query, article_url, article_title, from_page),
            )

    def list_deflections(self) -> list[dict]:
        """Return every recorded deflection, oldest first."""
        with self._connect() as connection:
            rows = connection.execute("SELECT * FROM deflections ORDER BY id").fetchall()
        return [dict(row) for row in rows]

    def record_content_gap(self, query: str, results: int, suggestion: str | None) -> None:
        """Count a query the knowledge base could not answer (same query, case-insensitive, counts up)."""
        key = " ".join(query.lower().split())[:500]
        now = _stamp(utcnow())
        with self._connect(write=True) as connection:
            connection.execute(
                "INSERT INTO content_gaps (query, first_seen, last_seen, count, results, suggestion)"
                " VALUES (?, ?, ?, 1, ?, ?) ON CONFLICT (query) DO UPDATE SET"
                " last_seen = excluded.last_seen, count = count + 1, results = excluded.results,"
                " suggestion = excluded.suggestion",
                (key, now, now, results, suggestion),
            )

    def list_content_gaps(self) -> list[dict]:
        """Return the content gaps, most asked first."""
        with self._connect() as connection:
            rows = connection.execute("SELECT * FROM content_gaps ORDER BY count DESC, last_seen DESC").fetchall()
        return [dict(row) for row in rows]

    def record_page_feedback(self, page: str, helpful: bool) -> None:
        """Record a "Was this page helpful?" answer from the site."""
        with self._connect(write=True) as connection:
            connection.execute(
                "INSERT INTO page_feedback (created_at, page, helpful) VALUES (?, ?, ?)",
                (_stamp(utcnow()), page[:500], int(helpful)),
            )


def _check_token_unused(connection: sqlite3.Connection, token: str) -> None:
    """Raise TokenAlreadyUsed when a request was filed with this token (inside the filing transaction)."""
    row = connection.execute("SELECT case_number FROM requests WHERE search_token = ?", (token,)).fetchone()
    if row:
        raise TokenAlreadyUsed(row["case_number"])


def _confirm(connection: sqlite3.Connection, cap: ConfirmationCap, case_number: str, now: dt.datetime) -> str:
    """Decide, inside the filing transaction, whether this request's confirmation may be sent; count it if so."""
    if not cap.recipient:
        return "no-address"
    since = _stamp(now - CONFIRMATION_WINDOW)
    connection.execute("DELETE FROM confirmations WHERE sent_at <= ?", (since,))
    count = "SELECT COUNT(*) FROM confirmations WHERE sent_at > ?"
    if connection.execute(count + " AND recipient = ?", (since, cap.recipient)).fetchone()[0] >= cap.per_address:
        return "address-cap"
    if connection.execute(count, (since,)).fetchone()[0] >= cap.per_hour:
        return "hourly-cap"
    connection.execute("INSERT INTO confirmations (sent_at, recipient, case_number) VALUES (?, ?, ?)",
                       (_stamp(now), cap.recipient, case_number))
    return "sent"


def _entry(row: sqlite3.Row) -> OutboxEntry:
    return OutboxEntry(
        id=row["id"], case_number=row["case_number"], channel=row["channel"], payload=json.loads(row["payload"]),
        status=row["status"], attempts=row["attempts"], next_attempt_at=row["next_attempt_at"],
        last_error=row["last_error"], created_at=row["created_at"], delivered_at=row["delivered_at"],
        claimed_by=row["claimed_by"], claimed_until=row["claimed_until"],
    )
