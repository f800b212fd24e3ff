"""What `deflect outbox` does: list pending and failed messages with their reason, retry, deliver."""

from __future__ import annotations

import datetime as dt
import signal
import threading
from collections.abc import Callable, Iterable, Mapping

from deflect.delivery.channels import senders_for
from deflect.delivery.outbox import PassResult, deliver_pending, worker_id
from deflect.store.base import StoreBase
from deflect.store.factory import store_for
from deflect.store.model import OutboxEntry, utcnow


def open_store(settings: Mapping[str, str | None]) -> StoreBase:
    """Return the store the settings name (DEFLECT_DATABASE_URL, else the data dir's), migrated."""
    return store_for(settings)


def describe(entry: OutboxEntry) -> str:
    """Return one line about an outbox entry: what, where to, its state and reason."""
    to = ", ".join(entry.payload.get("to", [])) or "DEFLECT_WEBHOOK_URL"
    head = f"#{entry.id} {entry.case_number} {entry.channel} -> {to}: {entry.status}"
    tries = f"{entry.attempts} attempt{'s' if entry.attempts != 1 else ''}"
    if entry.status == "failed":
        return f"{head} after {tries}: {entry.last_error}  (retry: deflect outbox --retry {entry.id})"
    if entry.status == "delivered":
        return f"{head} at {entry.delivered_at} after {tries}"
    state = f"next attempt at {entry.next_attempt_at}"
    if entry.claimed_by and _still_held(entry):
        state = f"sending now ({entry.claimed_by})"
    elif entry.claimed_by:
        state = f"left by a worker that stopped ({entry.claimed_by}); the next pass takes it over"
    reason = f"; last error: {entry.last_error}" if entry.last_error else ""
    return f"{head}, {tries}, {state}{reason}"


def _still_held(entry: OutboxEntry) -> bool:
    return bool(entry.claimed_until) and dt.datetime.fromisoformat(entry.claimed_until) > utcnow()


def listing(store: StoreBase, show_delivered: bool = False) -> list[str]:
    """Return the lines `deflect outbox` prints: pending and failed (and delivered if asked), and counts."""
    statuses = ("pending", "failed", "delivered") if show_delivered else ("pending", "failed")
    entries = store.list_outbox(statuses)
    counts = {s: len(store.list_outbox((s,))) for s in ("pending", "failed", "delivered")}
    summary = ", ".join(f"{n} {s}" for s, n in counts.items())
    if not entries:
        return [f"Nothing waiting or failed ({summary})."]
    return [describe(entry) for entry in entries] + [f"({summary})"]


def retry(store: StoreBase, ids: Iterable[int], every_failed: bool) -> list[str]:
    """Put messages back in the queue, due now; return a line per message."""
    wanted = list(ids) + ([e.id for e in store.list_outbox(("failed",))] if every_failed else [])
    lines = []
    for entry_id in dict.fromkeys(wanted):
        entry = store.outbox_entry(entry_id)
        if entry is None:
            lines.append(f"#{entry_id}: no such outbox entry")
        elif store.retry(entry_id):
            lines.append(f"#{entry_id} {entry.case_number} {entry.channel}: queued again, due now")
        else:
            lines.append(
                f"#{entry_id} {entry.case_number} {entry.channel}: not retried, it is {entry.status}"
                + (" and being sent right now" if entry.status == "pending" else "")
            )
    return lines


def deliver(
    store: StoreBase,
    settings: Callable[[], Mapping[str, str | None]],
    watch: bool,
    echo: Callable[[str], None],
    interval: float = 1.0,
) -> PassResult:
    """Run one delivery pass, or keep running until Ctrl+C / SIGTERM when `watch`; echo what happens."""
    stop, total, name = threading.Event(), PassResult(), worker_id()
    previous = (
        {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)} if watch else {}
    )
    try:
        while not stop.is_set():
            result = deliver_pending(store, senders_for(settings()), worker=name, stop=stop)
            for kind in ("delivered", "retried", "failed"):
                getattr(total, kind).extend(getattr(result, kind))
                for entry_id in getattr(result, kind):
                    echo(f"{kind}: {describe(store.outbox_entry(entry_id))}")
            if not watch:
                break
            stop.wait(interval)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return total
