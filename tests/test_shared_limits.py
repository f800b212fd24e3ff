"""DEFLECT_RATE_LIMIT_STORAGE=redis://...: the per-client limits hold across instances, on a real Redis.

Two apps in this process stand for two instances (each has its own memory); both count in one
redis-server. A Redis that is down takes nothing down: each instance counts in its own memory
until Redis is back, and the log says so once each way.
"""

from __future__ import annotations

import itertools
import logging
import time

import pytest

from tests.helpers import SupportActions, make_app
from tests.redis_server import start_redis

ARTICLE = "/faq/accounts/reset-password/"
CLIENTS = (f"127.0.0.{n}" for n in itertools.count(2))  # each test its own client address: its own buckets
LIMITS = {"SUGGEST_RATE_LIMIT": "6 per minute", "FEEDBACK_RATE_LIMIT": "6 per minute"}
LIMITS |= {"SUBMISSION_RATE_LIMIT": "6 per minute", "FILING_RATE_LIMIT": "2 per minute"}


@pytest.fixture(scope="module")
def redis(tmp_path_factory):
    server = start_redis(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


@pytest.fixture
def instances(redis, kb_dir, kb_index, tmp_path):
    """Two apps sharing the Redis (and nothing else: a data folder each)."""
    config = dict(LIMITS, DEFLECT_RATE_LIMIT_STORAGE=redis.url)
    return [make_app(kb_dir, tmp_path / f"var{n}", kb_index, **config) for n in (1, 2)]


def clients_of(instances, address: str):
    """One test client per instance, all from the same client address."""
    clients = [app.test_client() for app in instances]
    for client in clients:
        client.environ_base["REMOTE_ADDR"] = address
    return clients


DOORS = {
    "searches": lambda c: c.get("/api/suggest?q=password"),
    "answers": lambda c: c.post("/api/feedback", json={"page": ARTICLE, "helpful": True}),
    "submissions": lambda c: c.post("/api/requests", json={"form": "question"}),
}


@pytest.mark.parametrize("door", DOORS)
def test_a_client_limited_on_one_instance_is_limited_on_the_other(instances, door):
    first, second = clients_of(instances, next(CLIENTS))
    send = DOORS[door]
    answered = [send(client).status_code for client in (first, second, first, second, first, second)]
    assert 429 not in answered, answered
    for client in (first, second):
        refused = send(client)
        assert refused.status_code == 429 and door in refused.get_json()["errors"]["request"]
    other = clients_of(instances, next(CLIENTS))[1]
    assert send(other).status_code != 429  # another client keeps its own bucket


def test_requests_filed_on_either_instance_count_against_one_filing_limit(instances):
    address = next(CLIENTS)
    first, second = (SupportActions(client) for client in clients_of(instances, address))
    assert first.file(form="question", tag="QUESTION").status_code == 303
    assert second.file(form="question", tag="QUESTION").status_code == 303
    refused = first.file(form="question", tag="QUESTION")
    assert refused.status_code == 429 and "2 requests a minute" in refused.get_data(as_text=True)
    assert second.file(form="question", tag="QUESTION").status_code == 429


def test_a_redis_that_is_down_takes_nothing_down_and_limits_stay_on_per_instance(redis, instances, caplog):
    first, second = clients_of(instances, next(CLIENTS))
    send = DOORS["searches"]
    assert send(first).status_code == 200
    redis.stop()
    try:
        with caplog.at_level(logging.WARNING, logger="flask-limiter"):
            answered = [send(first).status_code for _ in range(6)]
        assert answered == [200] * 6  # counted in this instance's memory from the outage on
        assert send(first).status_code == 429
        assert send(second).status_code == 200  # the other instance counts on its own meanwhile
        assert "Rate limit storage unreachable - falling back to in-memory storage" in caplog.text
        assert first.get("/healthz").status_code == 200
    finally:
        redis.start()
    assert recovers(first, caplog), "the limits never went back to Redis"


def recovers(client, caplog, most: int = 80) -> bool:
    """Search (a new client each time) until the instance counts in Redis again (it retries at growing intervals)."""
    with caplog.at_level(logging.INFO, logger="flask-limiter"):
        for _ in range(most):
            client.environ_base["REMOTE_ADDR"] = next(CLIENTS)
            client.get("/api/suggest?q=password")
            if "Rate limit storage recovered" in caplog.text:
                return True
            time.sleep(0.25)
    return False


def test_unset_the_limits_are_counted_in_memory_as_before(kb_dir, kb_index, tmp_path):
    app = make_app(kb_dir, tmp_path / "var", kb_index, SUGGEST_RATE_LIMIT="2 per minute")
    limiter = next(iter(app.extensions["limiter"]))
    assert type(limiter.storage).__name__ == "MemoryStorage"
    client = app.test_client()
    assert [client.get("/api/suggest?q=password").status_code for _ in range(3)] == [200, 200, 429]
