"""The operator's log: the standard `logging` module, one line (or one JSON object) per event, on stderr.

`configure(fmt)` sets it up for a server process (`deflect serve`, the WSGI entry point, `deflect
outbox --watch`): text by default, `DEFLECT_LOG_FORMAT=json` for log collectors (one object a line:
time, level, logger, message and the event's own fields). What is logged: the start with the
settings in force (secrets masked: `settings.shown`), each request filed with its case number,
each delivery, retry and failure with its reason (the outbox), each outage once when it starts and
once when it ends, and one access line per HTTP request (`AccessLog`).

The access line holds the method, the path without its query string (the query holds what the
customer typed), the status, how long the app took to answer, and the client's address as
DEFLECT_TRUSTED_PROXIES makes it. Control characters in a path are escaped, so no request can
write a line of its own into the log.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
import time
from collections.abc import Mapping
from urllib.parse import quote

from deflect import settings

ACCESS = logging.getLogger("deflect.access")
log = logging.getLogger("deflect")
PATH_MAX = 300
TEXT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (UTC, ISO 8601), level, logger, message, and its `fields`."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON."""
        moment = dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds")
        entry = {"time": moment, "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        entry.update(getattr(record, "fields", None) or {})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


_handler: logging.Handler | None = None


def configure(fmt: str | None = "text", level: int = logging.INFO, stream=None) -> logging.Handler:
    """Send every logger's records at `level` and above to stderr (or `stream`) in text or JSON."""
    global _handler
    root = logging.getLogger()
    if _handler is not None:
        root.removeHandler(_handler)
    _handler = logging.StreamHandler(stream or sys.stderr)
    _handler.setFormatter(JsonFormatter() if (fmt or "text").strip().lower() == "json" else logging.Formatter(TEXT))
    root.addHandler(_handler)
    root.setLevel(level)
    return _handler


def started(values: Mapping[str, str | None], what: str) -> None:
    """Log the start: what serves where, and every setting in force (secrets masked), in one line."""
    shown = settings.shown(values)
    listed = ", ".join(f"{name}={value}" for name, value in shown.items())
    log.info("%s; settings: %s", what, listed, extra={"fields": {"settings": shown}})
    shared = values.get("DEFLECT_DATABASE_URL") or values.get("DEFLECT_RATE_LIMIT_STORAGE")
    if shared and not values.get("DEFLECT_SECRET_KEY"):
        log.warning(
            "DEFLECT_SECRET_KEY is unset while the store or the limits are shared: every instance behind one "
            "address needs the same key (forms and search-step tokens are signed with it); set it on all of them"
        )


def loggable_path(environ: Mapping) -> str:
    """The request's path without its query, control characters and spaces escaped, at most PATH_MAX long."""
    path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
    return quote(path, safe="/:@!$&'()*+,;=-._~%")[:PATH_MAX]


class AccessLog:
    """WSGI middleware: one line per request (method, path without query, status, time to answer, client)."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        started_at = time.perf_counter()
        status = []

        def recording(code, headers, exc_info=None):
            status[:] = [code.split(" ", 1)[0]]
            return start_response(code, headers, exc_info) if exc_info else start_response(code, headers)

        try:
            return self.app(environ, recording)
        finally:
            self._line(environ, status[0] if status else "-", time.perf_counter() - started_at)

    @staticmethod
    def _line(environ, status: str, seconds: float) -> None:
        fields = {
            "method": quote(str(environ.get("REQUEST_METHOD", "-")), safe="")[:16],
            "path": loggable_path(environ),
            "status": int(status) if status.isdigit() else status,
            "duration_ms": round(seconds * 1000, 1),
            "client": environ.get("REMOTE_ADDR", "-"),
        }
        ACCESS.info(
            "%s %s %s %.1f ms %s",
            fields["method"],
            fields["path"],
            status,
            fields["duration_ms"],
            fields["client"],
            extra={"fields": fields},
        )
