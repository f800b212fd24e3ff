"""The delivery loop: lease a due message, send it, record the outcome; retry with backoff.

One message is leased at a time, and the lease is renewed while its send runs, so a slow send is
never taken over and sent twice; several workers in several processes can share one store: the
store's write lock hands each message to one of them. A worker that dies stops renewing its lease;
once the lease runs out, another takes over. A store that is down after a send was accepted does
not lose the fact: the worker keeps the lease and records "delivered" as soon as the store takes it.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import logging
import os
import random
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

from deflect.delivery.errors import SendError
from deflect.store.base import StoreBase
from deflect.store.model import OutboxEntry, StoreUnavailable, utcnow

log = logging.getLogger(__name__)
Sender = Callable[[OutboxEntry], None]
DEFAULT_LEASE = dt.timedelta(minutes=5)  # how long a dead worker's message waits before another takes it
RECORD_RETRY = 1.0  # seconds between tries to record a delivery in a store that is down


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with jitter: attempt n waits between half and all of base * factor**(n-1), capped."""

    base: float = 30.0
    factor: float = 2.0
    cap: float = 3600.0
    max_attempts: int = 12  # with the defaults, 11 waits: 2.5 to 5 hours of trying before "failed"

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        """Return the seconds to wait after failed attempt number `attempt` (1 for the first)."""
        ceiling = min(self.cap, self.base * self.factor ** max(0, attempt - 1))
        return ceiling / 2 + (rng or random).uniform(0, ceiling / 2)


@dataclass
class PassResult:
    """What one delivery pass did, by outbox id."""

    delivered: list[int] = field(default_factory=list)
    retried: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def worker_id() -> str:
    """Return a name for a worker that is unique across hosts, processes and threads."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def deliver_pending(
    store: StoreBase,
    senders: Mapping[str, Sender],
    *,
    worker: str | None = None,
    lease: dt.timedelta = DEFAULT_LEASE,
    backoff: Backoff = Backoff(),
    limit: int = 100,
    stop: threading.Event | None = None,
) -> PassResult:
    """Send up to `limit` due messages, one lease at a time, each at most once; return what happened."""
    worker = worker or worker_id()
    result, started = PassResult(), utcnow()  # what falls due during the pass waits for the next one
    for _ in range(limit):
        if stop is not None and stop.is_set():
            break
        claimed = store.claim_due(worker, lease, limit=1, due_by=started)
        if not claimed:
            break
        deliver_one(store, claimed[0], senders, worker, backoff, result, lease, stop)
    return result


def deliver_one(
    store: StoreBase,
    entry: OutboxEntry,
    senders: Mapping[str, Sender],
    worker: str,
    backoff: Backoff,
    result: PassResult,
    lease: dt.timedelta = DEFAULT_LEASE,
    stop: threading.Event | None = None,
) -> None:
    """Send one leased message, holding its lease while the send runs; record delivered, retry-later or failed.

    The lease is held until "delivered" is recorded too, however long the store is down, so that
    no other worker takes the message over and sends it again.
    """
    sender = senders.get(entry.channel)
    with _lease_kept(store, entry, worker, lease):
        try:
            if sender is None:
                raise SendError(f"no sender for channel {entry.channel!r}", permanent=True)
            sender(entry)
        except SendError as error:
            failure = error
        except Exception as error:  # a bug in a sender must neither stop the loop nor lose the message
            log.exception("outbox %s (%s %s): unexpected error", entry.id, entry.case_number, entry.channel)
            failure = SendError(f"{type(error).__name__}: {error}")
        else:
            _record_delivered(store, entry, worker, stop)  # at once: this is the only window for a repeat
            result.delivered.append(entry.id)
            log.info("outbox %s: %s %s delivered", entry.id, entry.case_number, entry.channel)
            return
    _after_failure(store, entry, worker, backoff, failure, result)


def _record_delivered(store: StoreBase, entry: OutboxEntry, worker: str, stop: threading.Event | None) -> None:
    """Mark a sent message delivered, trying again while the store is down (until asked to stop)."""
    patient = store.with_patience(RECORD_RETRY)  # short waits: a stop request is seen within seconds
    while True:
        try:
            patient.mark_delivered(entry.id, worker)
            return
        except StoreUnavailable:
            if stop is not None and stop.is_set():
                log.error(
                    "outbox %s (%s %s) was sent, but the store could not record it: it may be sent again "
                    "(with the same Message-ID) after a restart",
                    entry.id,
                    entry.case_number,
                    entry.channel,
                )
                return
            if stop is None:
                time.sleep(RECORD_RETRY)
            else:
                stop.wait(RECORD_RETRY)


@contextlib.contextmanager
def _lease_kept(store: StoreBase, entry: OutboxEntry, worker: str, lease: dt.timedelta) -> Iterator[None]:
    """Renew the lease every third of its length until the block ends (or the lease is lost)."""
    done = threading.Event()

    def renew() -> None:
        while not done.wait(max(lease.total_seconds() / 3, 0.05)):
            try:
                if not store.renew_lease(entry.id, worker, lease):
                    return
            except StoreUnavailable:  # logged by the store; the next renewal may succeed
                pass
            except Exception:
                log.exception("outbox %s: could not renew the lease", entry.id)

    keeper = threading.Thread(target=renew, name=f"deflect-lease-{entry.id}", daemon=True)
    keeper.start()
    try:
        yield
    finally:
        done.set()
        keeper.join()


def _after_failure(
    store: StoreBase, entry: OutboxEntry, worker: str, backoff: Backoff, error: SendError, result: PassResult
) -> None:
    reason = error.reason
    if not error.permanent and entry.attempts >= backoff.max_attempts:
        reason = f"gave up after {entry.attempts} attempts; last: {reason}"
    if error.permanent or entry.attempts >= backoff.max_attempts:
        store.mark_failed(entry.id, worker, reason)
        result.failed.append(entry.id)
        log.warning("outbox %s: %s %s failed: %s", entry.id, entry.case_number, entry.channel, reason)
        return
    wait = max(backoff.delay(entry.attempts), min(error.retry_after or 0.0, backoff.cap))
    store.mark_retry(entry.id, worker, reason, utcnow() + dt.timedelta(seconds=wait))
    result.retried.append(entry.id)
    log.info("outbox %s: %s %s retry in %.0f s: %s", entry.id, entry.case_number, entry.channel, wait, reason)


class Worker:
    """A background thread that runs delivery passes every `interval` seconds until stopped."""

    def __init__(
        self,
        store: StoreBase,
        senders: Callable[[], Mapping[str, Sender]],
        *,
        interval: float = 1.0,
        lease: dt.timedelta = DEFAULT_LEASE,
        backoff: Backoff = Backoff(),
    ):
        self.store, self.senders, self.interval = store, senders, interval
        self.lease, self.backoff = lease, backoff
        self.id = worker_id()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="deflect-outbox", daemon=True)

    def start(self) -> Worker:
        """Start the thread, and stop it cleanly when the interpreter exits."""
        self._thread.start()
        atexit.register(self.stop)
        return self

    def stop(self, timeout: float | None = 60.0) -> None:
        """Ask the loop to stop after the message in hand and wait for it."""
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)
        atexit.unregister(self.stop)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                deliver_pending(
                    self.store, self.senders(), worker=self.id, lease=self.lease, backoff=self.backoff, stop=self._stop
                )
            except StoreUnavailable:  # logged once per outage by the store; the next pass tries again
                pass
            except Exception:  # a sender table could not be built: try again
                log.exception("outbox pass failed")
            self._stop.wait(self.interval)
