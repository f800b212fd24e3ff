"""`GET /healthz` (the process answers) and `GET /readyz` (it can do its work), for load balancers and operators.

`/healthz` is a constant: it never waits on the store or the index, so it answers while they are
down. `/readyz` answers 200 only when the store answers (a cheap read that never waits for a
writer), the search index is open and the outbox worker is alive, else 503 with the reason of each
part that is not, so a load balancer sends customers elsewhere and the operator knows why.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from deflect.store.model import StoreUnavailable
from deflect.web.resources import resources

bp = Blueprint("health", __name__)
NO_STORE = {"Cache-Control": "no-store"}


@bp.get("/healthz")
def healthz():
    """The app is up and answering: a constant, no store or index involved."""
    return "ok\n", 200, {"Content-Type": "text/plain; charset=utf-8", **NO_STORE}


@bp.get("/readyz")
def readyz():
    """200 with {"ready": true, "checks": {...}} when every part works, else 503 with each part's reason."""
    checks = {"store": _store(), "index": _index(), "outbox": _outbox()}
    ready = all(state == "ok" for state in checks.values())
    return jsonify({"ready": ready, "checks": checks}), 200 if ready else 503, NO_STORE


def _store() -> str:
    """Whether the store answers a read now (a store's own `ping()` when it has one)."""
    store = resources().quick_store
    try:
        ping = getattr(store, "ping", None)
        ping() if ping is not None else store.schema_version()
    except StoreUnavailable as error:
        return f"the request store does not answer: {error}"
    return "ok"


def _index() -> str:
    """Whether the search index is open and searches work."""
    res = resources()
    if res.index() is None:
        return f"the search index at {res.index_dir} cannot be opened: build it with `deflect build`"
    if res.search_down:
        return f"searches in the index at {res.index_dir} fail: rebuild it with `deflect build`"
    return "ok"


def _outbox() -> str:
    """Whether this instance's outbox worker runs (turned off by OUTBOX_WORKER=False: not needed)."""
    worker = current_app.extensions.get("deflect_outbox")
    if worker is None:
        return "ok" if not current_app.config.get("OUTBOX_WORKER", True) else "the outbox worker did not start"
    return "ok" if worker.alive else "the outbox worker has stopped: restart this instance"
