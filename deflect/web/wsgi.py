"""The WSGI entry point for any WSGI server: `gunicorn --workers 4 --threads 8 deflect.web.wsgi:application`.

It serves the support app only, at /support/ (nginx serves the site), with the settings of the
environment (or `.env`), like `deflect serve --no-site`: every setting is checked at import, and a
wrong one stops the worker with the variable and the fix; nothing is built, and the search index
built at deploy time must open. The index is opened lazily, in each worker after the fork, read-only;
each worker runs its own outbox worker (leases share the messages out), so start gunicorn without
--preload (a thread started before the fork does not survive it). Several processes need
DEFLECT_RATE_LIMIT_STORAGE (Redis) for exact limits, and PROMETHEUS_MULTIPROC_DIR for metrics.
"""

from __future__ import annotations

import sys
from pathlib import Path

from deflect import settings
from deflect.kb.folder import KnowledgeBase
from deflect.web import logs, server


def create_application():
    """The app at /support/ with its access log, from the checked settings; SystemExit on a wrong one."""
    values = settings.load()
    kb, data_dir = KnowledgeBase.at(values["DEFLECT_KB"]), Path(values["DEFLECT_DATA_DIR"]).resolve()
    values = server.checked_settings(kb, data_dir)
    logs.configure(values["DEFLECT_LOG_FORMAT"])
    app = server.checked_app(kb, data_dir, lambda line: print(line, file=sys.stderr), threads=8, build=False)
    logs.started(values, f"deflect started (WSGI): {kb.root.name}, the support app at /support/")
    return logs.AccessLog(server.create_wsgi(None, app))


application = create_application()
