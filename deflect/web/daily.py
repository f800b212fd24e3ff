"""The running app's daily chore: the retention purge, at most once a day across every process.

Each app (each `deflect serve`, each instance behind a proxy) wakes up every PURGE_CHECK seconds
(an hour) and asks the store whether the purge is due; one conditional update in the store lets
exactly one caller in a day run it (`deflect.report.retention.purge_once_a_day`). A store that is
down is tried at the next wake-up; nothing else is stopped by it.
"""

from __future__ import annotations

import logging
import threading

from flask import Flask

from deflect.report.retention import describe, purge_once_a_day
from deflect.store.model import StoreUnavailable, utcnow

log = logging.getLogger(__name__)


def run_once(app: Flask) -> dict | None:
    """Purge now if no process did in the last day; return what was purged (None: not due here)."""
    config = app.extensions["deflect_ledger"]
    try:
        found = purge_once_a_day(app.extensions["deflect_store"], config, utcnow())
    except StoreUnavailable:  # logged once per outage by the store; the next wake-up tries again
        return None
    if found is not None:
        log.info("%s", describe(found, config))
    return found


def init_app(app: Flask) -> threading.Thread | None:
    """Start the daily chore's thread (PURGE_WORKER, default: unless testing); it dies with the process."""
    if not app.config.get("PURGE_WORKER", not app.testing):
        return None
    every, stop = float(app.config.get("PURGE_CHECK", 3600)), threading.Event()

    def loop() -> None:
        while True:
            try:
                run_once(app)
            except Exception:  # a purge that fails must not end the thread: it is tried again later
                log.exception("the daily purge failed; it is tried again in an hour")
            if stop.wait(every):
                return

    thread = threading.Thread(target=loop, name="deflect-daily", daemon=True)
    thread.start()
    app.extensions["deflect_daily"] = (thread, stop)
    return thread
