"""The store on PostgreSQL: what only a database server does (it stops, it restarts), and the app, the
outbox worker and the CLI on it through DEFLECT_DATABASE_URL.

The behaviour both engines share runs on both through the `store` fixture (tests/delivery_fixtures.py).
"""

from __future__ import annotations

import datetime as dt
import time

import pytest
from click.testing import CliRunner

from deflect.cli import main
from deflect.delivery.channels import senders_for
from deflect.delivery.outbox import Worker, deliver_pending
from deflect.store.factory import open_store
from deflect.store.model import StoreUnavailable
from deflect.store.postgres import PostgresStore
from tests.delivery_fixtures import file_sample
from tests.helpers import GOOD_PROBLEM, make_app

BODY = {
    "form": "problem",
    "subject": "[HIGH] Students not receiving points for quiz completions",
    "email": "admin@springfield.example",
    "fields": GOOD_PROBLEM,
}


LEASE = dt.timedelta(seconds=1)


def wait_for(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.fixture
def stopped(postgres_server):
    """`with stopped():` the session's server is stopped for the block, and started again after it."""

    class Stopped:
        def __enter__(self):
            postgres_server.stop()

        def __exit__(self, *exc):
            postgres_server.start()

    return Stopped


def test_a_stopped_server_is_unavailable_within_seconds_and_filing_works_again_after_it_restarts(
    postgres_store, stopped, policy, smtp_server
):
    settings = {"DEFLECT_SMTP_URL": smtp_server.url}
    before = file_sample(postgres_store, policy, settings)
    web = postgres_store.with_patience(3.0, waiters=2)  # as the app's requests use it
    with stopped():
        for _ in range(2):  # each call on its own, not one outage per process
            started = time.monotonic()
            with pytest.raises(StoreUnavailable) as refused:
                file_sample(web, policy, settings)
            assert time.monotonic() - started < 6
            assert refused.value.kind == "down" and refused.value.retry_after == 10
        with pytest.raises(StoreUnavailable):
            web.ping()
    after = file_sample(postgres_store, policy, settings)  # the pool's connections come back by themselves
    web.ping()
    assert [r["case_number"] for r in postgres_store.list_requests()] == [after, before]
    deliver_pending(postgres_store, senders_for(settings))
    assert len(smtp_server.received) == 4 and {e.status for e in postgres_store.list_outbox()} == {"delivered"}


def test_a_message_accepted_while_the_server_is_stopped_is_recorded_once_it_is_back_and_sent_once(
    postgres_store, stopped, policy, smtp_server
):
    """The issue 9 rule on PostgreSQL: the worker keeps its claim and records "delivered" once it can."""
    settings = {"DEFLECT_SMTP_URL": smtp_server.url}
    case = file_sample(postgres_store, policy, settings)
    smtp_server.hold.set()  # the first send waits at RCPT, so the server stops mid-send
    worker = Worker(postgres_store.with_patience(0.5), lambda: senders_for(settings), interval=0.05, lease=LEASE)
    worker.start()
    try:
        wait_for(smtp_server.rcpt_seen.is_set)
        with stopped():
            smtp_server.hold.clear()
            wait_for(lambda: len(smtp_server.received) == 1)
            time.sleep(2.5 * LEASE.total_seconds())  # the outage outlasts the lease
        wait_for(lambda: {e.status for e in postgres_store.list_outbox()} == {"delivered"})
        time.sleep(2 * LEASE.total_seconds())  # a second send would come now
    finally:
        worker.stop()
    assert sorted(smtp_server.message_ids()) == [
        f"<{case}.customer@orbit-rewards.example>",
        f"<{case}.support@orbit-rewards.example>",
    ]


def test_the_app_answers_503_while_the_server_is_stopped_and_files_once_it_is_back(
    kb_dir, kb_index, tmp_path, postgres_url, stopped
):
    app = make_app(kb_dir, tmp_path / "var", kb_index, DEFLECT_DATABASE_URL=postgres_url)
    client = app.test_client()
    body = dict(BODY, deflect_token=client.post("/api/requests", json=BODY).get_json()["deflect_token"])
    try:
        with stopped():
            started = time.monotonic()
            refused = client.post("/api/requests", json=body)
            assert time.monotonic() - started < 6
            assert client.get("/healthz").status_code == 200
        assert refused.status_code == 503 and refused.get_json()["retry_after"] == 10
        assert "nothing was saved" in refused.get_json()["errors"]["request"]
        filed = client.post("/api/requests", json=body)  # the same request, once the server is back
        assert filed.status_code == 201, filed.get_json()
        store = app.extensions["deflect_store"]
        assert [r["case_number"] for r in store.list_requests()] == [filed.get_json()["case"]]
        assert {e.case_number for e in store.list_outbox()} == {filed.get_json()["case"]}
    finally:
        app.extensions["deflect_store"].close()


def test_the_app_files_into_the_database_the_url_names_and_nothing_into_the_data_folder(
    kb_dir, kb_index, tmp_path, postgres_url
):
    app = make_app(kb_dir, tmp_path / "var", kb_index, DEFLECT_DATABASE_URL=postgres_url)
    try:
        client = app.test_client()
        body = dict(BODY, deflect_token=client.post("/api/requests", json=BODY).get_json()["deflect_token"])
        filed = client.post("/api/requests", json=body)
        assert filed.status_code == 201
        again = PostgresStore(postgres_url)
        assert again.get_request(filed.get_json()["case"])["subject"] == BODY["subject"]
        again.close()
        assert not (tmp_path / "var" / "deflect.sqlite3").exists()
    finally:
        app.extensions["deflect_store"].close()


def test_the_cli_lists_delivers_and_reports_from_the_database(postgres_store, policy, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("DEFLECT_DATABASE_URL", postgres_store.url)
    monkeypatch.setenv("DEFLECT_DATA_DIR", str(tmp_path / "var"))
    case = file_sample(postgres_store, policy, {})
    postgres_store.record_content_gap("export points to excel", 0, None)
    runner = CliRunner()
    assert f"{case} support" in runner.invoke(main, ["outbox"]).output
    delivered = runner.invoke(main, ["outbox", "--deliver"])
    assert delivered.exit_code == 0 and delivered.output.count("written: ") == 2  # no mail server: written to var/mail/
    assert sorted(p.name for p in (tmp_path / "var" / "mail").iterdir()) == [
        f"{case}.customer.eml",
        f"{case}.support.eml",
    ]
    report = runner.invoke(main, ["report"])
    assert report.exit_code == 0 and "gaps" in report.output.lower()
    assert not (tmp_path / "var" / "deflect.sqlite3").exists()  # every command read the database, none a file


def test_a_wrong_database_url_says_the_setting_and_the_fix(tmp_path, postgres_server):
    from deflect.settings import InvalidSetting

    with pytest.raises(InvalidSetting, match="DEFLECT_DATABASE_URL must be a PostgreSQL URL like postgresql://"):
        open_store("mysql://deflect@db/deflect", tmp_path)
    wrong = postgres_server.url("postgres").replace("app-password", "wrong-password")
    with pytest.raises(StoreUnavailable, match="password authentication failed"):
        open_store(wrong, tmp_path)  # said at start, not at the first request


def test_the_url_is_shown_with_its_password_masked(monkeypatch, tmp_path, postgres_url):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DEFLECT_DATABASE_URL", postgres_url + "?sslmode=disable&password=second-secret")
    shown = CliRunner().invoke(main, ["settings"]).output
    assert "postgresql://deflect:***@127.0.0.1:" in shown and "password=***" in shown
    assert "app-password" not in shown and "second-secret" not in shown


def test_a_filing_that_fails_leaves_no_trace_and_numbers_never_repeat(postgres_store, policy):
    """A sequence is not rolled back: a failed filing may leave a gap, never a repeated number."""
    first = file_sample(postgres_store, policy, {})

    def broken(case):
        raise RuntimeError("the outbox could not be built")

    with pytest.raises(RuntimeError):
        postgres_store.file_request(
            prefix="OLR", digits=6, form="problem", subject="x", email="a@b.example", data={}, outbox=broken
        )
    third = file_sample(postgres_store, policy, {})
    numbers = [int(case.rsplit("-", 1)[1]) for case in (first, third)]
    assert numbers[0] < numbers[1] and len(postgres_store.list_requests()) == 2
    assert len(postgres_store.list_outbox()) == 4
