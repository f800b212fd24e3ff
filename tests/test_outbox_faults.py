"""Faults with real parts: the app killed between accepting and sending, two workers on one store."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from deflect.delivery.channels import senders_for
from deflect.delivery.outbox import Backoff, Worker, deliver_pending
from tests.delivery_fixtures import ROOT, file_sample
from tests.helpers import GOOD_PROBLEM
from tests.loopback import free_port

SUPPORT = "support@orbit-rewards.example"


def wait_for(condition, timeout: float = 20.0, what: str = "condition"):
    """Poll until `condition()` is true; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def environment(store_settings: dict, smtp_url: str, **extra) -> dict:
    """A process's environment: these store settings (SQLite's data dir, or PostgreSQL's URL too) and mail server."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEFLECT_")}
    env.update(store_settings, PYTHONPATH=str(ROOT), DEFLECT_SMTP_URL=smtp_url, DEFLECT_KB=str(ROOT / "kb"), **extra)
    return env


class AppProcess:
    """The real app (waitress + outbox worker) in its own process, on a free port."""

    def __init__(self, env: dict, cwd: Path):
        self.port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "tests" / "run_app.py"), str(self.port)],
            env=env,
            cwd=cwd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        wait_for(self.listening, 30, "the app to listen")

    def listening(self) -> bool:
        assert self.process.poll() is None, self.process.stderr.read().decode()
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/api/forms", timeout=2):
                return True
        except OSError:
            return False

    def post(self, body: dict) -> tuple[int, dict]:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/api/requests",
            json.dumps(body).encode(),
            {"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.load(response)
        except urllib.error.HTTPError as error:
            with error:
                return error.code, json.load(error)

    def file(self) -> str:
        """File the example request through the API: the search step (428), then the request (201)."""
        body = {
            "form": "problem",
            "subject": "[HIGH] Students not receiving points for quiz completions",
            "email": "admin@springfield.example",
            "name": "Ann Lee",
            "fields": GOOD_PROBLEM,
        }
        status, answer = self.post(body)
        assert status == 428, answer
        status, answer = self.post(dict(body, deflect_token=answer["deflect_token"]))
        assert status == 201, answer
        return answer["case"]

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)
        self.process.stderr.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        if not self.process.stderr.closed:
            self.process.stderr.close()


@pytest.fixture
def apps(tmp_path):
    """Start app processes on demand; every one still running is stopped at the end."""
    started: list[AppProcess] = []

    def start(env: dict) -> AppProcess:
        started.append(AppProcess(env, tmp_path))
        return started[-1]

    yield start
    for app in started:
        app.stop()


def test_app_killed_between_accepting_and_sending_delivers_once_after_restart(
    apps, smtp_server, store_settings, stores
):
    smtp_server.hold.set()  # the worker's first send will hang before the server accepts it
    env = environment(store_settings, smtp_server.url)
    first = apps(env)
    case = first.file()  # 201: the request is committed and the customer told "received"
    wait_for(smtp_server.rcpt_seen.is_set, what="the worker to start sending")
    first.kill()  # SIGKILL: mid-send, nothing accepted
    smtp_server.hold.clear()
    assert smtp_server.received == []
    store = stores(store_settings)
    assert {e.status for e in store.list_outbox()} == {"pending"}
    apps(env)  # restart: the dead worker's lease runs out and the new one takes over
    wait_for(lambda: len(smtp_server.received) >= 2, what="both messages")
    time.sleep(1.0)  # anything sent twice would arrive now
    assert sorted(smtp_server.message_ids()) == [
        f"<{case}.customer@orbit-rewards.example>",
        f"<{case}.support@orbit-rewards.example>",
    ]
    assert {e.status for e in store.list_outbox()} == {"delivered"}


def test_process_killed_after_commit_before_send_is_delivered_once(smtp_server, tmp_path, store_settings):
    ready = tmp_path / "ready"
    env = environment(store_settings, smtp_server.url)
    filer = subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "outbox_filer.py"), str(ready)], env=env, cwd=tmp_path
    )
    wait_for(ready.exists, 30, "the filing process to commit")
    filer.send_signal(signal.SIGKILL)
    filer.wait(10)
    case = ready.read_text()
    assert smtp_server.received == []
    worker = subprocess.run(
        [sys.executable, "-m", "deflect", "outbox", "--deliver"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert worker.returncode == 0, worker.stderr
    assert sorted(smtp_server.message_ids()) == [
        f"<{case}.customer@orbit-rewards.example>",
        f"<{case}.support@orbit-rewards.example>",
    ]
    again = subprocess.run(
        [sys.executable, "-m", "deflect", "outbox", "--deliver"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert again.returncode == 0 and len(smtp_server.received) == 2


def test_several_worker_processes_send_each_message_once(smtp_server, tmp_path, policy, store_settings, stores):
    store = stores(store_settings)
    cases = [file_sample(store, policy, {}) for _ in range(20)]
    smtp_server.delay = 0.03
    env = environment(store_settings, smtp_server.url)
    command = [sys.executable, "-m", "deflect", "outbox", "--deliver"]
    workers = [subprocess.Popen(command, env=env, cwd=tmp_path, stdout=subprocess.PIPE, text=True) for _ in range(3)]
    outputs = [w.communicate(timeout=120)[0] for w in workers]
    assert [w.returncode for w in workers] == [0, 0, 0]
    expected = sorted(f"<{c}.{ch}@orbit-rewards.example>" for c in cases for ch in ("customer", "support"))
    assert sorted(smtp_server.message_ids()) == expected
    assert sum(o.count("delivered: ") for o in outputs) == len(expected)
    assert {e.status for e in store.list_outbox()} == {"delivered"}


def test_two_worker_threads_send_each_message_once(smtp_server, store, policy):
    cases = [file_sample(store, policy, {}) for _ in range(10)]
    smtp_server.delay = 0.01
    senders = lambda: senders_for({"DEFLECT_SMTP_URL": smtp_server.url})  # noqa: E731
    workers = [Worker(store, senders, interval=0.01).start() for _ in range(2)]
    try:
        wait_for(lambda: {e.status for e in store.list_outbox()} == {"delivered"}, 60, "every message")
    finally:
        for worker in workers:
            worker.stop()
    assert not any(worker.alive for worker in workers)
    assert len(smtp_server.received) == 2 * len(cases) == len(set(smtp_server.message_ids()))


def test_expired_lease_is_taken_over_and_a_live_one_is_not(store, policy):
    import datetime as dt

    file_sample(store, policy, {})
    [held] = store.claim_due("a", dt.timedelta(seconds=60), limit=1)
    assert held.id not in [e.id for e in store.claim_due("b", dt.timedelta(seconds=60), limit=5)]
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=61)
    [taken] = [e for e in store.claim_due("b", dt.timedelta(seconds=60), limit=5, now=later) if e.id == held.id]
    assert taken.claimed_by == "b" and taken.attempts == 2
    assert not store.mark_retry(held.id, "a", "late", later)  # the old holder no longer decides
    assert store.mark_delivered(held.id, "a")  # but a send it finished is recorded: never again
    assert not store.mark_retry(held.id, "b", "b failed", later)
    assert store.outbox_entry(held.id).status == "delivered"


def test_a_sender_bug_is_retried_not_lost(store, policy):
    file_sample(store, policy, {})

    def broken(entry):
        raise RuntimeError("boom")

    result = deliver_pending(store, {"support": broken, "customer": broken}, backoff=Backoff(base=0.01))
    assert len(result.retried) == 2
    assert all("RuntimeError: boom" in e.last_error for e in store.list_outbox(("pending",)))


def test_a_send_slower_than_the_lease_is_not_taken_over_and_sent_twice(smtp_server, store, policy):
    """The lease is renewed while a send runs, so it only runs out when its worker is gone."""
    import datetime as dt

    case = file_sample(store, policy, {})
    smtp_server.hold.set()  # the first send hangs before the server accepts it
    senders = lambda: senders_for({"DEFLECT_SMTP_URL": smtp_server.url})  # noqa: E731
    lease = dt.timedelta(seconds=0.8)
    first = Worker(store, senders, interval=0.01, lease=lease).start()
    wait_for(smtp_server.rcpt_seen.is_set, what="the first worker to start sending")
    time.sleep(3 * lease.total_seconds())  # long past the first lease
    second = Worker(store, senders, interval=0.01, lease=lease).start()
    try:
        time.sleep(3 * lease.total_seconds())  # the second worker has had every chance to take over
        smtp_server.hold.clear()
        wait_for(lambda: {e.status for e in store.list_outbox()} == {"delivered"}, 30, "every message")
        time.sleep(0.5)  # a second copy would arrive now
    finally:
        first.stop()
        second.stop()
    assert sorted(smtp_server.message_ids()) == [
        f"<{case}.customer@orbit-rewards.example>",
        f"<{case}.support@orbit-rewards.example>",
    ]


FILER = """
import os, sys, time
from pathlib import Path
from tests.delivery_fixtures import ROOT, file_sample
from deflect.store.factory import store_for
from deflect.policy.reader import load_policy
go, count = Path(sys.argv[1]), int(sys.argv[2])
while not go.exists():
    time.sleep(0.005)
store = store_for(os.environ)  # both processes create the file (or schema) and migrate it at once
policy = load_policy(ROOT / "kb" / "support.yml")
for _ in range(count):
    print(file_sample(store, policy, {}), flush=True)
"""


def test_two_processes_filing_at_once_get_unique_increasing_case_numbers(tmp_path, store_settings, stores):
    go, count = tmp_path / "go", 100  # 200 requests in all, on an empty store both processes migrate
    filers = [
        subprocess.Popen(
            [sys.executable, "-c", FILER, str(go), str(count)],
            env=environment(store_settings, ""),
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    go.touch()
    outputs = [filer.communicate(timeout=120) for filer in filers]
    assert [filer.returncode for filer in filers] == [0, 0], [err for _, err in outputs]
    numbered = [[int(case.rsplit("-", 1)[1]) for case in out.split()] for out, _ in outputs]
    assert all(numbers == sorted(numbers) and len(numbers) == count for numbers in numbered)
    assert sorted(numbered[0] + numbered[1]) == list(range(1, 2 * count + 1))
    store = stores(store_settings)
    assert len(store.list_requests(limit=1000)) == 2 * count
    assert len(store.list_outbox()) == 2 * 2 * count  # each request with both of its messages


@hyp_settings(max_examples=200, deadline=None)
@given(attempt=st.integers(1, 60), seed=st.integers(0, 2**32))
def test_backoff_waits_between_half_and_all_of_the_exponential_step_never_above_the_cap(attempt, seed):
    import random

    backoff = Backoff(base=30, factor=2, cap=3600)
    step = min(3600, 30 * 2 ** (attempt - 1))
    wait = backoff.delay(attempt, random.Random(seed))
    assert step / 2 <= wait <= step <= 3600


def test_backoff_jitter_spreads_workers_that_failed_together():
    import random

    rng = random.Random(7)
    assert len({round(Backoff().delay(3, rng), 6) for _ in range(20)}) == 20
