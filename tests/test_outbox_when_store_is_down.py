"""The outbox when the store goes down mid-delivery: nothing accepted is lost, nothing is sent twice.

The dangerous moment is right after the mail server accepted a message: if "delivered" cannot be
recorded, the lease runs out and the message is sent again. The worker keeps trying to record it
(and keeps its lease) until the store takes it.
"""

from __future__ import annotations

import datetime as dt
import logging
import time

import pytest

from deflect.delivery.channels import senders_for
from deflect.delivery.outbox import Worker
from tests.delivery_fixtures import file_sample
from tests.faults import held_lock, store_read_only

LEASE = dt.timedelta(seconds=1)  # far shorter than the fault: without the fix, the message is taken over


def wait_for(condition, timeout: float = 20.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@pytest.fixture
def worker_for(store, smtp_server):
    """Start the app's kind of outbox worker on the store (patience cut to 0.5 s); stopped at the end."""
    started: list[Worker] = []

    def start() -> Worker:
        settings = {"DEFLECT_SMTP_URL": smtp_server.url}
        worker = Worker(store.with_patience(0.5), lambda: senders_for(settings), interval=0.05, lease=LEASE)
        started.append(worker.start())
        return worker

    yield start
    for worker in started:
        worker.stop()


FAULTS = {"locked": held_lock, "read-only": store_read_only}


@pytest.mark.parametrize("fault", FAULTS)
def test_a_message_accepted_while_the_store_goes_down_is_sent_once(store, policy, smtp_server, worker_for, fault):
    case = file_sample(store, policy, {"DEFLECT_SMTP_URL": smtp_server.url})
    smtp_server.hold.set()  # the first send waits at RCPT, so the fault comes in mid-send
    worker_for()
    wait_for(smtp_server.rcpt_seen.is_set, what="the worker to start sending")
    with FAULTS[fault](store):
        smtp_server.hold.clear()
        wait_for(lambda: len(smtp_server.received) == 1, what="the mail server to accept the first message")
        time.sleep(2.5 * LEASE.total_seconds())  # the fault outlasts the lease
    wait_for(lambda: {e.status for e in store.list_outbox()} == {"delivered"}, what="both messages delivered")
    time.sleep(2 * LEASE.total_seconds())  # a second send would come now
    assert sorted(smtp_server.message_ids()) == [
        f"<{case}.customer@orbit-rewards.example>",
        f"<{case}.support@orbit-rewards.example>",
    ]


def test_a_locked_store_is_logged_once_however_many_passes_fail(store, policy, smtp_server, worker_for, caplog):
    file_sample(store, policy, {"DEFLECT_SMTP_URL": smtp_server.url})
    with caplog.at_level(logging.INFO):
        with held_lock(store):
            worker_for()
            time.sleep(2.5)  # about four passes, each waiting 0.5 s for the lock
        wait_for(lambda: len(smtp_server.received) == 2, what="both messages after the lock")
    problems = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(problems) == 2, problems  # "failed (locked)" once, "works again" once
    assert "locked by another writer" in problems[0] and "works again" in problems[1]
