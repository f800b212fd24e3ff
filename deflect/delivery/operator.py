"""What `deflect outbox` does: list pending and failed messages with their reason, retry, deliver."""

from __future__ import annotations

import datetime as dt
import signal
import threading
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from deflect.delivery.channels import mail_folder, senders_for
from deflect.delivery.outbox import PassResult, deliver_pending, worker_id
from deflect.delivery.smtp import eml_name
from deflect.store.base import StoreBase
from deflect.store.model import OutboxEntry, utcnow


def written_to(entry: OutboxEntry, folder: Path | None) -> Path | None:
    """The `.eml` file a delivered email was written to (no mail server was set), or None when it was sent."""
    if folder is None or entry.status != "delivered" or entry.channel == "webhook":
        return None
    path = folder / eml_name(entry.case_number, entry.channel)
    return path if path.is_file() else None


def describe(entry: OutboxEntry, folder: Path | None = None) -> str:
    """Return one line about an outbox entry: what, where to, its state and reason.

    `folder` is the mail folder: an email written there as a file is "written to" it, not "delivered".
    """
    to = ", ".join(entry.payload.get("to", [])) or "DEFLECT_WEBHOOK_URL"
    path = written_to(entry, folder)
    state = f"written to {path}" if path else entry.status
    head = f"#{entry.id} {entry.case_number} {entry.channel} -> {to}: {state}"
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


def listing(store: StoreBase, show_delivered: bool = False, folder: Path | None = None) -> list[str]:
    """Return the lines `deflect outbox` prints: pending and failed (and delivered if asked), and counts.

    Emails written to the mail folder (`folder`) are counted and listed as written there, not delivered.
    """
    statuses = ("pending", "failed", "delivered") if show_delivered else ("pending", "failed")
    entries = store.list_outbox(statuses)
    done = store.list_outbox(("delivered",))
    written = sum(1 for entry in done if written_to(entry, folder))
    counts = {s: len(store.list_outbox((s,))) for s in ("pending", "failed")} | {"delivered": len(done) - written}
    summary = ", ".join(
        [f"{n} {s}" for s, n in counts.items()] + ([f"{written} written to {folder}"] if written else [])
    )
    if not entries:
        return [f"Nothing waiting or failed ({summary})."]
    return [describe(entry, folder) for entry in entries] + [f"({summary})"]


def mail_files(settings: Mapping[str, str | None]) -> Path | None:
    """The folder emails are written to when no mail server is set (DEFLECT_SMTP_URL), else None."""
    return None if settings.get("DEFLECT_SMTP_URL") else mail_folder(settings)


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
            now = settings()
            result = deliver_pending(store, senders_for(now), worker=name, stop=stop)
            _tell(store, result, total, mail_files(now), echo)
            if not watch:
                break
            stop.wait(interval)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return total


def _tell(
    store: StoreBase, result: PassResult, total: PassResult, folder: Path | None, echo: Callable[[str], None]
) -> None:
    """Echo each message a pass handled (an email written to the mail folder is "written"), and add it to the total."""
    for kind in ("delivered", "retried", "failed"):
        getattr(total, kind).extend(getattr(result, kind))
        for entry_id in getattr(result, kind):
            entry = store.outbox_entry(entry_id)
            echo(f"{'written' if written_to(entry, folder) else kind}: {describe(entry, folder)}")
