"""`deflect outbox`: lists pending and failed messages with the reason, retries them, delivers."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from deflect.cli import main
from deflect.store.sqlite import Store
from tests.delivery_fixtures import file_sample


@pytest.fixture
def runner(tmp_path, monkeypatch, smtp_server):
    """A CLI runner whose settings name a fresh data dir and the test's SMTP server."""
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name in ("DEFLECT_WEBHOOK_URL", "DEFLECT_WEBHOOK_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DEFLECT_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("DEFLECT_SMTP_URL", smtp_server.url)
    return CliRunner()


def outbox(runner, *args):
    result = runner.invoke(main, ["outbox", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_failed_message_is_listed_with_its_reason_and_retried(runner, tmp_path, policy, smtp_server):
    store = Store(tmp_path / "var" / "deflect.sqlite3").migrate()
    case = file_sample(store, policy, {})
    assert outbox(runner).count("pending") == 2 + 1  # two lines and the counts
    smtp_server.rcpt_reply = "550 5.7.1 Relaying denied"
    output = outbox(runner, "--deliver")
    assert "failed:" in output
    listing = outbox(runner)
    assert re.search(
        rf"#1 {case} support -> support@orbit-rewards\.example: failed after 1 attempt: .*550 5\.7\.1 Relaying denied",
        listing,
    )
    assert "deflect outbox --retry 1" in listing
    smtp_server.rcpt_reply = None
    output = outbox(runner, "--retry", "1", "--deliver")
    assert "#1 " in output and "queued again" in output and "delivered: #1" in output
    assert [r.message["Message-ID"] for r in smtp_server.received] == [f"<{case}.support@orbit-rewards.example>"]
    output = outbox(runner, "--retry-failed", "--deliver")
    assert "delivered: #2" in output
    assert "Nothing waiting or failed (0 pending, 0 failed, 2 delivered)" in outbox(runner)
    assert "delivered at" in outbox(runner, "--all")


def test_retry_of_a_delivered_or_unknown_message_says_why_not(runner, tmp_path, policy):
    store = Store(tmp_path / "var" / "deflect.sqlite3").migrate()
    file_sample(store, policy, {})
    outbox(runner, "--deliver")
    output = outbox(runner, "--retry", "1", "--retry", "99")
    assert "not retried, it is delivered" in output and "#99: no such outbox entry" in output


def test_a_message_left_by_a_worker_that_died_is_not_listed_as_being_sent(runner, tmp_path, policy):
    import datetime as dt

    store = Store(tmp_path / "var" / "deflect.sqlite3").migrate()
    file_sample(store, policy, {})
    store.claim_due("host:4242:dead", dt.timedelta(0), limit=1)  # and its lease has run out since
    first = next(line for line in outbox(runner).splitlines() if line.startswith("#1 "))
    assert "sending now" not in first
    assert "host:4242:dead" in first and "stopped" in first
    assert "not retried" not in outbox(runner, "--retry", "1")


def test_in_a_folder_without_deflect_data_the_outbox_says_so_and_creates_nothing(runner, tmp_path):
    result = runner.invoke(main, ["outbox", "--deliver"])
    assert result.exit_code == 1
    assert f"No deflect data in {tmp_path / 'var'}" in result.output
    assert not (tmp_path / "var").exists()


def test_without_a_mail_server_emails_are_said_to_be_written_to_the_mail_folder_not_delivered(
    runner, tmp_path, policy, monkeypatch
):
    monkeypatch.delenv("DEFLECT_SMTP_URL")
    store = Store(tmp_path / "var" / "deflect.sqlite3").migrate()
    case = file_sample(store, policy, {})
    output = outbox(runner, "--deliver")
    assert output.splitlines()[0] == f"Data folder: {tmp_path / 'var'}"
    assert "No mail server is configured (DEFLECT_SMTP_URL is not set)" in output
    folder = tmp_path / "var" / "mail"
    assert f"written: #1 {case} support -> support@orbit-rewards.example: written to {folder / case}.support.eml" in (
        output
    )
    assert "delivered" not in output.replace("0 delivered", "")
    assert "(0 pending, 0 failed, 0 delivered, 2 written to" in outbox(runner)
    assert f"written to {folder / case}.customer.eml at " in outbox(runner, "--all")
