"""The outbox: messages leased to one worker at a time, renewed while sending, retried, marked.

A lease that runs out (its worker died) can be claimed again; a delivered message is never claimed
again. Claims do not wait for each other: SQLite's write lock lets one worker claim at a time, and
on PostgreSQL a row another worker is claiming is skipped (FOR UPDATE SKIP LOCKED), so any number
of workers on any number of machines take each message once. The delivery loop itself is
`deflect.delivery.outbox`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping

from deflect.store.model import OutboxEntry, stamp, utcnow


class OutboxQueries:
    """The outbox table; mixed into the store, which provides `_connect` and `SKIP_LOCKED`."""

    def claim_due(
        self,
        worker: str,
        lease: dt.timedelta,
        limit: int = 10,
        now: dt.datetime | None = None,
        due_by: dt.datetime | None = None,
    ) -> list[OutboxEntry]:
        """Lease up to `limit` pending messages due by `due_by` (default now) to `worker`; others skip them.

        Each claim counts as an attempt. A lease that has run out (its worker died) can be claimed again.
        """
        now = now or utcnow()
        with self._connect(write=True) as connection:
            rows = connection.execute(
                "SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= ?"
                " AND (claimed_until IS NULL OR claimed_until < ?) ORDER BY id LIMIT ?" + self.SKIP_LOCKED,
                (stamp(min(due_by or now, now)), stamp(now), limit),
            ).fetchall()
            ids = [row["id"] for row in rows]
            for entry_id in ids:
                connection.execute(
                    "UPDATE outbox SET claimed_by = ?, claimed_until = ?, attempts = attempts + 1 WHERE id = ?",
                    (worker, stamp(now + lease), entry_id),
                )
        return [self.outbox_entry(entry_id) for entry_id in ids]

    def renew_lease(self, entry_id: int, worker: str, lease: dt.timedelta, now: dt.datetime | None = None) -> bool:
        """Extend `worker`'s lease on a message it is still sending; False once it no longer holds it."""
        with self._connect(write=True) as connection:
            cursor = connection.execute(
                "UPDATE outbox SET claimed_until = ? WHERE id = ? AND claimed_by = ? AND status = 'pending'",
                (stamp((now or utcnow()) + lease), entry_id, worker),
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
                (stamp(now or utcnow()), entry_id),
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
                (reason, stamp(at), entry_id, worker),
            )
        return cursor.rowcount == 1

    def retry(self, entry_id: int, now: dt.datetime | None = None) -> bool:
        """Make a failed message, or a pending one nobody holds, due now with a fresh count of attempts.

        Returns False for a delivered message or one a worker is sending right now.
        """
        moment = stamp(now or utcnow())
        with self._connect(write=True) as connection:
            cursor = connection.execute(
                "UPDATE outbox SET status = 'pending', next_attempt_at = ?, attempts = 0, claimed_by = NULL,"
                " claimed_until = NULL WHERE id = ? AND (status = 'failed' OR (status = 'pending'"
                " AND (claimed_until IS NULL OR claimed_until < ?)))",
                (moment, entry_id, moment),
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
            rows = connection.execute(
                f"SELECT * FROM outbox WHERE status IN ({marks}) ORDER BY id", statuses
            ).fetchall()
        return [_entry(row) for row in rows]


def _entry(row: Mapping) -> OutboxEntry:
    return OutboxEntry(
        id=row["id"],
        case_number=row["case_number"],
        channel=row["channel"],
        payload=json.loads(row["payload"]),
        status=row["status"],
        attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"],
        last_error=row["last_error"],
        created_at=row["created_at"],
        delivered_at=row["delivered_at"],
        claimed_by=row["claimed_by"],
        claimed_until=row["claimed_until"],
    )
