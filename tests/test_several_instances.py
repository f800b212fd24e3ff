"""Several instances behind nginx, as docs/deploy.md documents them, with real servers throughout.

nginx (Debian's, docs/nginx/deflect.conf with two upstream servers) serves the site built once at
deploy time and proxies /support/ to two `deflect serve --no-site` instances with their outbox
workers; they share one PostgreSQL store (a real PostgreSQL the tests start), one Redis for the
limits and one secret key; a real SMTP server takes the mail (tests/several_instances.py deploys
it, as for benchmarks/instances_load.py). Several clients file several hundred requests through nginx while one instance is killed
(SIGKILL) and started again.
"""

from __future__ import annotations

import http.client
import itertools
import os
import threading
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field

import pytest

from tests.helpers import copy_kb
from tests.redis_server import start_redis
from tests.several_instances import Deployment, Instance, deploy_build, deployed, file_request, question

FILINGS, CLIENTS, MAILBOXES = 300, 6, 40
PER_ADDRESS, PER_HOUR = 3, 60  # 40 mailboxes x 3 > 60: the hourly cap decides, across both instances
RETRIED = (0, 502, 503, 504)  # the connection broke, or nginx found no instance: the customer sends again
ADDRESSES = (f"127.1.{n // 250}.{n % 250 + 1}" for n in itertools.count())  # a fresh client for each attempt


@pytest.fixture(scope="module")
def deployment(tmp_path_factory, postgres_server):
    root = tmp_path_factory.mktemp("deployment")
    kb, data = copy_kb(root / "release").root, root / "var"
    deploy_build(kb, data)
    article = next((kb / "docs").rglob("*.md"))
    os.utime(article, (time.time() + 60, time.time() + 60))  # newer than the index: only a build would notice
    redis = start_redis(root / "redis")
    database = postgres_server.create_database()  # one PostgreSQL store shared by both instances
    env = {
        "DEFLECT_SECRET_KEY": "one-key-for-every-instance-0123456789",
        "DEFLECT_RATE_LIMIT_STORAGE": redis.url,
        "DEFLECT_TRUSTED_PROXIES": "127.0.0.1",
        "DEFLECT_OUTBOX_LEASE": "15",  # a killed worker's message is taken over within seconds
        "DEFLECT_CONFIRMATIONS_PER_ADDRESS": str(PER_ADDRESS),
        "DEFLECT_CONFIRMATIONS_PER_HOUR": str(PER_HOUR),
        "DEFLECT_DATABASE_URL": postgres_server.url(database),
    }
    try:
        with deployed(root, kb, data, env) as deployment:
            yield deployment
    finally:
        redis.stop()
        postgres_server.drop_database(database)


@dataclass
class Load:
    """What the customers saw: the case of each accepted request, and every attempt that failed."""

    accepted: dict[int, tuple[str, str]] = field(default_factory=dict)  # request number -> (case, marker)
    failed: list[tuple[str, int]] = field(default_factory=list)  # (marker, status)
    lock: threading.Lock = field(default_factory=threading.Lock)


def customer(deployment: Deployment, load: Load, numbers) -> None:
    """File each request number given, sending it again (a new search step) while it fails on the way."""
    for n in numbers:
        for attempt in range(8):
            marker = f"L{n}A{attempt}"
            body = question(marker, f"customer{n % MAILBOXES}@springfield.example")
            status, answer = file_request(deployment.nginx_port, next(ADDRESSES), body)
            with load.lock:
                if status == 201:
                    load.accepted[n] = (answer["case"], marker)
                    break
                load.failed.append((marker, status))
            assert status in RETRIED, (status, answer)
            time.sleep(0.2)


def kill_and_restart(deployment: Deployment, load: Load, after: int) -> None:
    """SIGKILL the first instance once `after` requests were accepted, then start it again on its port."""
    deadline = time.monotonic() + 240
    while len(load.accepted) < after:
        if time.monotonic() > deadline:
            return
        time.sleep(0.05)
    deployment.instances[0].kill()
    time.sleep(1)
    deployment.instances[0].start()


def test_hundreds_of_requests_through_nginx_while_an_instance_is_killed_are_stored_and_mailed_once(deployment):
    load = Load()
    work = [range(c, FILINGS, CLIENTS) for c in range(CLIENTS)]
    threads = [threading.Thread(target=customer, args=(deployment, load, numbers), daemon=True) for numbers in work]
    killer = threading.Thread(target=kill_and_restart, args=(deployment, load, FILINGS // 3), daemon=True)
    for thread in [*threads, killer]:
        thread.start()
    for thread in [*threads, killer]:
        thread.join(300)
    assert len(load.accepted) == FILINGS, f"{len(load.accepted)} accepted; failed attempts: {load.failed[:20]}"
    cases = [case for case, _ in load.accepted.values()]
    assert len(set(cases)) == FILINGS  # every case number answered once

    store = deployment.wait_until_delivered()
    markers = Counter(record["fields"][0]["value"].rsplit(" ", 1)[1] for record in store.requests.values())
    assert max(markers.values()) == 1  # no attempt stored twice
    for case, marker in load.accepted.values():  # each accepted request stored once, with what was sent
        assert store.requests[case]["fields"][0]["value"].endswith(marker)
    # Attempts that failed on the way were stored only when the instance died between the commit and
    # the answer: then the customer sent it again, and both are there, each with its own case number.
    extra = set(store.requests) - set(cases)
    assert len(extra) <= len(load.failed)
    assert {store.requests[case]["fields"][0]["value"].rsplit(" ", 1)[1] for case in extra} <= {
        m for m, _ in load.failed
    }

    assert all(status == "delivered" for _, _, status in store.outbox), Counter(s for _, _, s in store.outbox)
    received = deployment.smtp.received
    ids = Counter(message.message["Message-ID"] for message in received)
    assert len(ids) == len(store.outbox)  # every message arrived
    # Exactly once, but for a SIGKILL between the mail server's "250 OK" and the store's record of it:
    # that one message (at most) comes again after the lease, with the same Message-ID.
    assert len(received) - len(ids) <= 1, [mid for mid, n in ids.items() if n > 1]
    support = Counter(case for case, channel, _ in store.outbox if channel == "support")
    assert set(support) == set(store.requests) and max(support.values()) == 1

    confirmations = [m for m in received if m.rcpt_tos[0].startswith("customer")]
    per_mailbox = Counter(m.rcpt_tos[0] for m in {m.message["Message-ID"]: m for m in confirmations}.values())
    assert sum(per_mailbox.values()) == PER_HOUR  # the hourly cap, decided in the shared store's transaction
    assert max(per_mailbox.values()) <= PER_ADDRESS


def test_a_client_limited_on_one_instance_is_limited_on_the_other(deployment):
    first, second = deployment.instances
    client = "127.0.0.250"  # straight to the instances (not through nginx): deflect sees it as it is
    answered = [first.get("api/suggest?q=password", client)[0] for _ in range(120)]
    assert answered == [200] * 120
    assert second.get("api/suggest?q=password", client)[0] == 429
    assert second.get("api/suggest?q=password", "127.0.0.249")[0] == 200


def both_upstreams_in_use(deployment: Deployment, timeout: float = 30) -> None:
    """Wait until nginx sends requests to both instances again: after the kill, it keeps the one it
    found down out of turn for its fail_timeout (10 s)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        marks = [instance.output().count("GET /support/healthz") for instance in deployment.instances]
        for _ in range(4):
            urllib.request.urlopen(f"http://127.0.0.1:{deployment.nginx_port}/support/healthz", timeout=5).close()
        if all(
            instance.output().count("GET /support/healthz") > seen
            for instance, seen in zip(deployment.instances, marks)
        ):
            return
        time.sleep(1)
    raise AssertionError("nginx did not send requests to both instances again")


def test_the_filing_limit_holds_through_nginx_whichever_instance_answers(deployment):
    both_upstreams_in_use(deployment)
    client = "127.0.0.251"
    statuses = [
        file_request(deployment.nginx_port, client, question(f"F{n}", "limit@springfield.example"))[0] for n in range(6)
    ]
    assert statuses == [201] * 5 + [429]
    served_by = [instance for instance in deployment.instances if f" {client}\n" in instance.output()]
    assert len(served_by) == 2  # nginx sent this client to both instances (their access logs say so)


def test_both_instances_are_ready_and_their_metrics_show_the_outbox_emptied(deployment):
    deployment.wait_until_delivered()  # the messages of the requests filed just before
    scraped = []
    for instance in deployment.instances:
        status, body = instance.get("readyz")
        assert status == 200 and b'"ready":true' in body
        status, body = instance.get("metrics")
        assert status == 200 and b"deflect_outbox_waiting 0.0" in body and b"deflect_store_up 1.0" in body
        scraped.append(body)
    # the counters are each instance's own (the restarted one counts from its restart)
    assert any(b'deflect_requests_filed_total{form="question",tag="QUESTION"}' in body for body in scraped)


def test_the_public_site_does_not_serve_metrics_through_nginx(deployment):
    connection = http.client.HTTPConnection("127.0.0.1", deployment.nginx_port, timeout=10)
    connection.request("GET", "/support/metrics")
    assert connection.getresponse().status == 404
    connection.close()


def test_no_instance_rebuilt_the_index_shipped_at_deploy_time(deployment):
    """The index is older than an article (as after an edit not yet deployed): an instance still never builds."""
    now = {p.name: p.stat().st_mtime for p in (deployment.data / "index").iterdir()}
    assert now == deployment.index_files
    for instance in deployment.instances:
        assert "Building" not in instance.output() and "deflect started" in instance.output()


def test_an_instance_without_the_shipped_index_does_not_start(deployment, tmp_path):
    env = dict(deployment.env, DEFLECT_DATA_DIR=str(tmp_path / "var"), DEFLECT_DATABASE_URL="")
    instance = Instance(deployment.kb, env, tmp_path / "instance.log")
    with pytest.raises(RuntimeError, match="exited with 1"):
        instance.start()
    output = instance.output()
    assert "deflect cannot start: the search index at" in output and "run `deflect build` at deploy time" in output
    assert "Building" not in output and not (tmp_path / "var" / "index").exists()
