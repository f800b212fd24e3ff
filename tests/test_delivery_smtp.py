"""Email delivery against a real SMTP server on loopback, and the `.eml` folder when none is set."""

from __future__ import annotations

import email
import email.policy

import pytest

from deflect.delivery.channels import describe_delivery, senders_for
from deflect.delivery.outbox import Backoff, deliver_pending
from deflect.delivery.smtp import SmtpUrl, parse_smtp_url
from tests.delivery_fixtures import file_sample

QUICK = Backoff(base=0.01, cap=0.02, max_attempts=5)
SUPPORT = "support@orbit-rewards.example"
CUSTOMER = "ann.lee@springfield.example"


def deliver(store, settings, backoff=QUICK):
    return deliver_pending(store, senders_for(settings), backoff=backoff)


def settle(store, settings):
    """Run passes until nothing is due; backoff is short, so waiting messages come due quickly."""
    import time

    for _ in range(200):
        deliver(store, settings)
        if not store.list_outbox(("pending",)):
            return
        time.sleep(0.02)
    raise AssertionError(f"still pending: {store.list_outbox(('pending',))}")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example:2525", SmtpUrl("smtp", "mail.example", 2525)),
        ("smtp://mail.example", SmtpUrl("smtp", "mail.example", 25)),
        ("smtps://u%40x:p%3Ass@mail.example", SmtpUrl("smtps", "mail.example", 465, "u@x", "p:ss")),
        ("smtp://user:pass@mail.example:587?starttls=1", SmtpUrl("smtp", "mail.example", 587, "user", "pass", True)),
        ("smtp://mail.example:25?timeout=5", SmtpUrl("smtp", "mail.example", 25, timeout=5.0)),
    ],
)
def test_parse_smtp_url(url, expected):
    assert parse_smtp_url(url) == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://mail.example", "must start with smtp:// or smtps://"),
        ("smtp://", "has no host"),
    ],
)
def test_bad_smtp_url_says_what_is_wrong(url, message):
    with pytest.raises(ValueError, match=message):
        parse_smtp_url(url)


def test_smtp_url_hides_the_password():
    assert "secret" not in str(parse_smtp_url("smtp://me:secret@mail.example:587?starttls=1"))


def test_request_reaches_support_and_customer(store, policy, smtp_server):
    settings = {"DEFLECT_SMTP_URL": smtp_server.url}
    case = file_sample(store, policy, settings)
    result = deliver(store, settings)
    assert len(result.delivered) == 2
    [support] = smtp_server.to(SUPPORT)
    message = support.message
    assert message["Subject"] == "[HIGH] Students not receiving points for quiz completions"
    assert message["Reply-To"].addresses[0].addr_spec == CUSTOMER
    assert message["Message-ID"] == f"<{case}.support@orbit-rewards.example>"
    assert support.mail_from == SUPPORT
    [confirmation] = smtp_server.to(CUSTOMER)
    assert case in confirmation.message["Subject"] and case in confirmation.message.get_content()
    assert deliver(store, settings).delivered == []  # nothing is sent twice


def test_mail_server_down_at_filing_then_started(store, policy, stopped_smtp_server):
    settings = {"DEFLECT_SMTP_URL": stopped_smtp_server.url}
    case = file_sample(store, policy, settings)  # accepted at once: nothing is sent while filing
    assert {e.status for e in store.list_outbox()} == {"pending"}
    result = deliver(store, settings)
    assert sorted(result.retried) == [e.id for e in store.list_outbox()]
    assert all("cannot reach" in e.last_error for e in store.list_outbox())
    stopped_smtp_server.start()
    settle(store, settings)
    for _ in range(3):
        deliver(store, settings)
    assert sorted(stopped_smtp_server.message_ids()) == [
        f"<{case}.customer@orbit-rewards.example>",
        f"<{case}.support@orbit-rewards.example>",
    ]
    assert {e.status for e in store.list_outbox()} == {"delivered"}


def test_5xx_reply_fails_with_the_reason(store, policy, smtp_server):
    smtp_server.rcpt_reply = "550 5.1.1 No such mailbox here"
    settings = {"DEFLECT_SMTP_URL": smtp_server.url}
    file_sample(store, policy, settings)
    result = deliver(store, settings)
    assert len(result.failed) == 2 and not result.retried
    failed = store.list_outbox(("failed",))
    assert all("550" in e.last_error and "No such mailbox" in e.last_error for e in failed)
    assert smtp_server.received == []


def test_4xx_reply_is_retried_then_delivered_once(store, policy, smtp_server):
    smtp_server.data_reply = "451 4.3.0 Try again later"
    settings = {"DEFLECT_SMTP_URL": smtp_server.url}
    file_sample(store, policy, settings)
    result = deliver(store, settings)
    assert len(result.retried) == 2
    assert all("451" in e.last_error for e in store.list_outbox())
    smtp_server.data_reply = None
    settle(store, settings)
    assert len(smtp_server.received) == 2 and len(set(smtp_server.message_ids())) == 2


def test_gives_up_after_max_attempts(store, policy, stopped_smtp_server):
    settings = {"DEFLECT_SMTP_URL": stopped_smtp_server.url}
    file_sample(store, policy, settings)
    settle(store, settings)
    failed = store.list_outbox(("failed",))
    assert len(failed) == 2
    assert all(e.attempts == QUICK.max_attempts and "gave up after 5 attempts" in e.last_error for e in failed)


def test_without_smtp_url_messages_are_eml_files(store, policy, tmp_path):
    settings = {"DEFLECT_DATA_DIR": str(tmp_path / "var")}
    case = file_sample(store, policy, settings)
    assert len(deliver(store, settings).delivered) == 2
    folder = tmp_path / "var" / "mail"
    assert sorted(p.name for p in folder.iterdir()) == [f"{case}.customer.eml", f"{case}.support.eml"]
    message = email.message_from_bytes((folder / f"{case}.support.eml").read_bytes(), policy=email.policy.default)
    assert message["Subject"] == "[HIGH] Students not receiving points for quiz completions"
    note = describe_delivery(settings, case)
    assert str(folder) in note and f"{case}.support.eml" in note
    assert describe_delivery({"DEFLECT_SMTP_URL": "smtp://x"}, case) is None


def test_header_injection_never_reaches_the_server_as_a_header(store, policy, smtp_server):
    settings = {"DEFLECT_SMTP_URL": smtp_server.url}
    file_sample(
        store,
        policy,
        settings,
        subject="[HIGH] Points\r\nBcc: everyone@evil.example",
        name="Ann\r\nX-Injected: yes",
        email="ann.lee@springfield.example",
    )
    deliver(store, settings)
    for received in smtp_server.received:
        names = {k.lower() for k in received.message.keys()}
        assert "bcc" not in names and "x-injected" not in names
        assert all("evil.example" not in r for r in received.rcpt_tos)
    [support] = smtp_server.to(SUPPORT)
    assert support.message["Subject"] == "[HIGH] Points Bcc: everyone@evil.example"
    assert support.message["Reply-To"].addresses[0].addr_spec == "ann.lee@springfield.example"


def test_an_eml_file_of_another_request_is_never_overwritten(policy, tmp_path):
    """A store started afresh numbers from 1 again; the earlier case's files in var/mail/ stay as they were."""
    from deflect.store.sqlite import Store

    settings = {"DEFLECT_DATA_DIR": str(tmp_path / "var")}
    first = Store(tmp_path / "old.sqlite3").migrate()
    case = file_sample(first, policy, settings, subject="[HIGH] The first request")
    deliver(first, settings)
    folder = tmp_path / "var" / "mail"
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    second = Store(tmp_path / "new.sqlite3").migrate()
    assert file_sample(second, policy, settings, subject="[HIGH] The second request") == case
    assert len(deliver(second, settings).delivered) == 2
    after = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert {name: after[name] for name in before} == before
    subjects = sorted(
        email.message_from_bytes(data, policy=email.policy.default)["Subject"]
        for name, data in after.items()
        if ".support" in name
    )
    assert subjects == ["[HIGH] The first request", "[HIGH] The second request"]


def test_writing_the_same_message_again_leaves_one_file(store, policy, tmp_path):
    """A send repeated after a crash (written, not yet recorded) does not make a second copy."""
    settings = {"DEFLECT_DATA_DIR": str(tmp_path / "var")}
    case = file_sample(store, policy, settings)
    deliver(store, settings)
    for entry in store.list_outbox():
        senders_for(settings)[entry.channel](entry)  # as if the first write had not been recorded
    assert sorted(p.name for p in (tmp_path / "var" / "mail").iterdir()) == [
        f"{case}.customer.eml",
        f"{case}.support.eml",
    ]


def test_an_address_smtp_cannot_carry_fails_at_once_with_the_reason(smtp_server):
    """A non-ASCII mailbox (say a route in support.yml) is not worth twelve retries."""
    from deflect.delivery.errors import SendError
    from deflect.delivery.smtp import send_smtp

    with pytest.raises(SendError) as caught:
        send_smtp(parse_smtp_url(smtp_server.url), SUPPORT, ["jörg@orbit-rewards.example"], "Subject: x\r\n\r\nx\r\n")
    assert caught.value.permanent and "jörg@orbit-rewards.example" in caught.value.reason
    assert smtp_server.received == []
