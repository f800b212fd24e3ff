"""`GET /metrics`: what an operator graphs and alerts on, in Prometheus' text format (prometheus-client).

Counted in this process: requests filed (by form and tag), deflections ("this solved my problem"),
refusals by a per-client limit (by limit), and the time suggestions take (a histogram, by door:
the API or step 2 of the form). Read from the shared store at each scrape: the outbox's waiting and
failed messages and the age of the oldest waiting one, and whether the store answered at all. The
store's figures are the same on every instance (take `max` across them); the counters are per
instance (take `sum`).

Under gunicorn (several worker processes) set PROMETHEUS_MULTIPROC_DIR to an empty folder before
the workers start: the counters are then kept in files there and every worker answers for all
(prometheus-client's multiprocess mode). Only the addresses DEFLECT_METRICS_FROM names may read
the metrics (others get 404): loopback by default, where Prometheus scrapes each instance directly.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import time

from flask import Blueprint, Flask, abort, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from deflect.store.model import StoreUnavailable, utcnow
from deflect.web.startup import metrics_networks

bp = Blueprint("metrics", __name__)
SUGGEST_DOORS = {"api.suggest": "api", "flow.suggestions": "page"}

FILED = Counter(
    "deflect_requests_filed", "Requests filed (stored with a case number), by form and tag.", ["form", "tag"]
)
DEFLECTIONS = Counter("deflect_deflections", 'Visits ended by "this solved my problem" on a suggested article.')
REFUSALS = Counter("deflect_rate_limit_refusals", "Requests refused by a per-client limit, by limit.", ["limit"])
SUGGEST_SECONDS = Histogram(
    "deflect_suggest_seconds",
    "Time to answer a search for suggestions, by door (api: /api/suggest, page: step 2 of the form).",
    ["door"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)


def filed(record: dict) -> None:
    """Count a filed request."""
    FILED.labels(form=str(record.get("form") or ""), tag=str(record.get("tag") or "")).inc()


def deflected() -> None:
    """Count a visit that an article ended."""
    DEFLECTIONS.inc()


def refused(limit) -> None:
    """Flask-Limiter's `on_breach`: count a refusal under the limit's bucket (filing, submissions, searches, feedback)."""
    scope = str(limit.request_args[-1]).rpartition(":")[2]  # a limit of one endpoint is scoped "endpoint:bucket"
    REFUSALS.labels(limit=scope).inc()


class OutboxCollector:
    """The outbox's state as the shared store has it now, read at each scrape."""

    def __init__(self, store):
        self.store = store

    def collect(self):
        """Yield the store's gauges; a store that does not answer gives deflect_store_up 0 and nothing else."""
        up = GaugeMetricFamily("deflect_store_up", "1 when the request store answered this scrape, else 0.")
        try:
            entries = self.store.list_outbox(("pending", "failed"))
        except StoreUnavailable:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        waiting = [e for e in entries if e.status == "pending"]
        oldest = min((dt.datetime.fromisoformat(e.created_at) for e in waiting), default=None)
        age = (utcnow() - oldest).total_seconds() if oldest else 0.0
        for name, text, value in (
            ("deflect_outbox_waiting", "Messages waiting to be sent (retries included).", len(waiting)),
            ("deflect_outbox_failed", "Messages that failed for good (deflect outbox lists them, with the reason).",
             len(entries) - len(waiting)),
            ("deflect_outbox_oldest_waiting_seconds", "Age of the oldest waiting message (0: none waits).", age),
        ):  # fmt: skip
            family = GaugeMetricFamily(name, text)
            family.add_metric([], value)
            yield family


def _process_registry():
    """This process's counters, or every worker's in prometheus-client's multiprocess mode."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    registry = CollectorRegistry()
    MultiProcessCollector(registry)
    return registry


@bp.get("/metrics")
def metrics():
    """The metrics in Prometheus' text format, for the addresses DEFLECT_METRICS_FROM allows (else 404)."""
    if not _may_read(request.remote_addr):
        abort(404)
    store = current_app.extensions["deflect"].quick_store
    outbox = CollectorRegistry()
    outbox.register(OutboxCollector(store))
    body = generate_latest(_process_registry()) + generate_latest(outbox)
    return body, 200, {"Content-Type": CONTENT_TYPE_LATEST, "Cache-Control": "no-store"}


def _may_read(address: str | None) -> bool:
    networks = current_app.extensions["deflect_metrics_from"]
    if networks is None:
        return True
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(ip in network for network in networks)


def _suggest_started() -> None:
    if request.endpoint in SUGGEST_DOORS:
        g.suggest_started = time.perf_counter()


def _suggest_answered(response):
    started = g.pop("suggest_started", None)
    if started is not None and response.status_code == 200:
        SUGGEST_SECONDS.labels(door=SUGGEST_DOORS[request.endpoint]).observe(time.perf_counter() - started)
    return response


def init_app(app: Flask) -> None:
    """Serve /metrics (to DEFLECT_METRICS_FROM) and time suggestions."""
    app.extensions["deflect_metrics_from"] = metrics_networks(app.config.get("DEFLECT_METRICS_FROM"))
    app.register_blueprint(bp)
    app.before_request(_suggest_started)
    app.after_request(_suggest_answered)
