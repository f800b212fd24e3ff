"""`GET /healthz`: a trivial endpoint for load balancers, uptime checks and the load benchmark."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """The app is up and answering: a constant, no store or index involved."""
    return "ok\n", 200, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}
