"""Issue 9, mail that no input can reshape: whatever a customer types, on this Python (3.11.7, before
the fix for CVE-2024-6923), no message gains a header line, a recipient or another MIME structure.

The intake refuses encoded words and other header tricks with a message naming the field and the
fix; the builder neutralises them anyway (a request filed past the intake, as the store-level tests
do); and a message that does not read back as built is committed as failed with the reason and
never reaches the mail server.
"""

from __future__ import annotations

import email
import email.policy
import email.utils
import html
import re

import pytest

from deflect.delivery import messages, operator
from deflect.delivery.channels import outbox_messages, senders_for
from deflect.delivery.outbox import Backoff, deliver_pending
from tests.delivery_fixtures import sample_record
from tests.helpers import GOOD_FIELDS, make_app

SUPPORT = "support@orbit-rewards.example"
CUSTOMER = "ann.lee@springfield.example"
BUILT = {
    "from",
    "date",
    "message-id",
    "to",
    "subject",
    "reply-to",
    "x-deflect-case",
    "references",
    "auto-submitted",
    "content-type",
    "content-transfer-encoding",
    "mime-version",
}
CVE = "=?utf-8?q?=0D=0ABcc:_x@evil.test?="  # the encoded word of the issue: CR LF, then a Bcc line

HOSTILE = [
    ("subject", f"[HIGH] {CVE}"),
    ("subject", "[HIGH] =?utf-8?q?=0D=0AReply-To:_x@evil.test?="),
    ("subject", "[HIGH] =?utf-8?b?DQpCY2M6IHhAZXZpbC50ZXN0?="),  # base64 of CR LF "Bcc: x@evil.test"
    ("subject", "[HIGH] Points =?utf-8?q?=0D=0AContent-Type:_text/html?= missing"),
    ("subject", "[HIGH] =?utf-8?q?=0D=0A=0D=0A<a_href=3Dhttps://evil.test>win</a>?="),  # an early end of headers
    ("subject", "[HIGH] =?utf-8?q?=0D=0A?= =?utf-8?q?Bcc:_x@evil.test?="),  # split over two encoded words
    ("subject", "[HIGH] =? utf-8?q?=0D=0ABcc:_x@evil.test ?="),  # `=?` split across words
    ("subject", "[HIGH] Points\r\nBcc: x@evil.test"),
    ("subject", "[HIGH] Points\nContent-Type: text/html\n\n<a href=https://evil.test>win</a>"),
    ("subject", "[HIGH] Points\x00Bcc: x@evil.test\x00"),
    ("subject", "[HIGH] Points\u2028Bcc: x@evil.test\u2029"),
    ("subject", "[HIGH] " + "Überweisung der Punkte schlägt fehl " * 9 + CVE),  # long, folded, non-ASCII
    ("subject", "[HIGH] " + "x" * 1200 + " " + CVE),  # one word longer than a header line may be
    ("name", CVE),
    ("name", "=?utf-8?q?Ann=0D=0AContent-Type:_text/html?="),
    ("name", "=?utf-8?q?Ann?= <x@evil.test>, Bcc: x@evil.test"),
    ("name", "Ann\r\nReply-To: x@evil.test"),
    ("name", '"Ann" <x@evil.test>'),
    ("name", "Ann, Bcc: x@evil.test;"),
    ("name", "Zoë Ægir-Łukasz Ørsted " * 6 + CVE),
    ("email", f"{CVE}@springfield.example"),
    ("email", "=?utf-8?q?x=40evil.test?=@springfield.example"),
    ("email", f"{CUSTOMER}\r\nBcc: x@evil.test"),
    ("email", f"{CUSTOMER}, x@evil.test"),
]


def readings(data: bytes) -> list[tuple[str, email.message.Message]]:
    """The message as the strict parser and as the lenient compat32 parser (many helpdesks) read it."""
    return [
        ("strict", email.message_from_bytes(data, policy=email.policy.default)),
        ("compat32", email.message_from_bytes(data, policy=email.policy.compat32)),
    ]


def assert_as_built(data: bytes, to: str) -> None:
    """No header beyond those deflect builds, each once; the one recipient; one text/plain part."""
    for parser, message in readings(data):
        names = [name.lower() for name in message.keys()]
        assert set(names) <= BUILT and len(names) == len(set(names)), (parser, names)
        recipients = email.utils.getaddresses(message.get_all("To", []))
        assert [address.lower() for _, address in recipients] == [to], (parser, recipients)
        replies = [a for _, a in email.utils.getaddresses(message.get_all("Reply-To", []))]
        assert replies in ([], [CUSTOMER], [SUPPORT]), (parser, replies)
        assert message.get_content_type() == "text/plain" and not message.is_multipart(), parser


def deliver(store, settings):
    return deliver_pending(store, senders_for(settings), backoff=Backoff(base=0.01, cap=0.02, max_attempts=2))


def file_hostile(store, policy, settings, **overrides) -> str:
    record = sample_record(**overrides)
    return store.file_request(
        prefix=policy.case_prefix,
        digits=policy.case_digits,
        form=record["form"],
        subject=str(record["subject"]),
        email=str(record["email"]),
        data=record,
        outbox=lambda case: outbox_messages(dict(record, case_number=case), policy, settings),
    )


# The builder, past the intake: a real SMTP server receives only messages as built ------------------


@pytest.mark.parametrize(("field", "value"), HOSTILE)
def test_a_hostile_value_reaches_the_smtp_server_with_no_header_recipient_or_part_of_its_own(
    store, policy, smtp_server, field, value
):
    settings = {"DEFLECT_SMTP_URL": smtp_server.url}
    file_hostile(store, policy, settings, **{field: value})
    deliver(store, settings)
    assert {e.status for e in store.list_outbox()} == {"delivered"}  # neutralised, so nothing had to fail
    assert smtp_server.received and all(not set(r.rcpt_tos) - {SUPPORT, CUSTOMER} for r in smtp_server.received)
    for received in smtp_server.received:
        [to] = received.rcpt_tos
        assert_as_built(received.data, to)
        headers = received.data.split(b"\r\n\r\n")[0]
        assert not re.search(rb"(?im)^(bcc|cc|content-type: text/html)", headers)
    [support] = smtp_server.to(SUPPORT)
    if field == "subject":
        assert support.message["Subject"] == messages.header_text(value)
        assert "\n" not in support.message["Subject"] and "evil" not in str(support.message["To"])


def test_a_hostile_name_stays_a_display_name_in_the_support_copy(store, policy, smtp_server):
    settings = {"DEFLECT_SMTP_URL": smtp_server.url}
    file_hostile(store, policy, settings, name="=?utf-8?q?Ann=0D=0AContent-Type:_text/html?=")
    deliver(store, settings)
    [support] = smtp_server.to(SUPPORT)
    [reply_to] = support.message["Reply-To"].addresses
    assert reply_to.addr_spec == CUSTOMER and reply_to.display_name.startswith("= ?utf-8?q?Ann")
    assert support.message.get_content_type() == "text/plain"


# A message that does not read back as built is committed as failed and never sent --------------------


def _header_text_with_a_hole(value: object) -> str:
    """The neutraliser as it was before issue 9: control characters only, encoded words let through."""
    return " ".join(re.sub(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+", " ", str(value or "")).split())


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("subject", f"[HIGH] {CVE}", "an extra header line: bcc"),
        (
            "subject",
            "[HIGH] " + "word " * 20 + "=?utf-8?q?=0D=0AReply-To:_x@evil.test?=",
            "an extra header line: reply-to",
        ),
        ("name", "=?utf-8?q?Ann=0D=0AContent-Type:_text/html?=", "an extra header line: content-type"),
        ("subject", "[HIGH] =?utf-8?q?hello?=", "the subject reads '[HIGH] hello'"),
    ],
)
def test_a_message_that_does_not_read_back_as_built_waits_as_failed_and_is_never_sent(
    store, policy, smtp_server, monkeypatch, field, value, reason
):
    """As if the neutraliser had a hole: the standard library's reshaping is caught by the read-back."""
    monkeypatch.setattr(messages, "header_text", _header_text_with_a_hole)
    settings = {"DEFLECT_SMTP_URL": smtp_server.url}
    case = file_hostile(store, policy, settings, **{field: value})
    assert store.get_request(case) is not None  # the request itself is accepted and numbered
    [failed] = [e for e in store.list_outbox() if e.channel == "support"]
    assert failed.status == "failed" and reason in failed.last_error and "not sent" in failed.last_error
    listed = "\n".join(operator.listing(store))
    assert f"{case} support -> {SUPPORT}: failed" in listed and reason in listed  # what `deflect outbox` shows
    deliver(store, settings)
    operator.retry(store, [failed.id], every_failed=False)  # retried by hand: checked again, refused again
    deliver(store, settings)
    assert smtp_server.to(SUPPORT) == []
    assert store.outbox_entry(failed.id).status == "failed"
    for received in smtp_server.received:  # the confirmation, which carries no customer text, went out
        assert_as_built(received.data, CUSTOMER)


def _tampered(built_payload: dict) -> dict:
    message = built_payload["message"].replace("\r\nSubject:", "\r\nBcc: x@evil.test\r\nSubject:", 1)
    return dict(built_payload, message=message)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(_tampered, id="a Bcc line added after it was built"),
        pytest.param(lambda p: dict(_tampered(p), built=None), id="queued before expectations were recorded"),
        pytest.param(lambda p: dict(p, to=p["to"] + ["x@evil.test"]), id="an SMTP recipient added"),
        pytest.param(lambda p: dict(p, message=p["message"].replace("text/plain", "text/html")), id="made text/html"),
    ],
)
def test_the_sender_checks_again_before_it_hands_a_message_over(store, policy, smtp_server, tmp_path, change):
    def outbox(case):
        entries = outbox_messages(sample_record(case_number=case), policy, {})
        return [(channel, change(payload) if channel == "support" else payload) for channel, payload in entries]

    for settings in ({"DEFLECT_SMTP_URL": smtp_server.url}, {"DEFLECT_DATA_DIR": str(tmp_path / "var")}):
        record = sample_record()
        store.file_request(
            prefix="OLR",
            digits=6,
            form="problem",
            subject=record["subject"],
            email=CUSTOMER,
            data=record,
            outbox=outbox,
        )
        result = deliver(store, settings)
        assert len(result.failed) == 1 and len(result.delivered) == 1
    failed = store.list_outbox(("failed",))
    assert len(failed) == 2 and all("not sent: it does not read back as built" in e.last_error for e in failed)
    assert smtp_server.to(SUPPORT) == [] and len(smtp_server.to(CUSTOMER)) == 1
    assert not list((tmp_path / "var" / "mail").glob("*.support.eml"))


# The intake refuses header tricks, naming the field and the fix ------------------------------------


def api_body(**changes) -> dict:
    body = {
        "form": "problem",
        "subject": "[HIGH] Students not receiving points for quiz completions",
        "email": "admin@springfield.example",
        "fields": GOOD_FIELDS["problem"],
    }
    return dict(body, **changes)


@pytest.mark.parametrize(
    ("changes", "key", "expected"),
    [
        ({"subject": f"[HIGH] Points missing {CVE}"}, "subject", 'without "=?"'),
        ({"subject": "[HIGH] Points =?iso-8859-1?b?QmNjOg==?= missing"}, "subject", 'write "= ?" or other words'),
        ({"subject": "[HIGH] Points missing\r\nBcc: x@evil.test"}, "subject", "on one line"),
        ({"name": CVE}, "name", 'Your name: write it without "=?"'),
        ({"name": "Ann\r\nBcc: x@evil.test"}, "name", "Your name: write it on one line"),
        ({"name": "Eve <x@evil.test>"}, "name", "without an email address or < >"),
        ({"name": "x@evil.test"}, "name", "the address goes in Contact email"),
        ({"email": "=?utf-8?q?x?=@springfield.example"}, "email", 'an address with "=?" cannot be written safely'),
        ({"email": "ann@springfield.example\r\nBcc: x@evil.test"}, "email", "Contact email: write an address"),
    ],
)
def test_the_api_refuses_header_tricks_naming_the_field_and_the_fix(client, changes, key, expected):
    reply = client.post("/api/requests", json=api_body(**changes))
    assert reply.status_code == 422
    assert expected in reply.get_json()["errors"][key]


def test_the_form_refuses_an_encoded_word_and_comes_back_filled(client, support):
    page = support.open_form()
    summary = f"Points missing {CVE}"
    sent = client.post("/problem/request", data=support.form_data(page, summary=summary, name="Ann Lee"))
    text = html.unescape(sent.get_data(as_text=True))
    assert sent.status_code == 422
    assert 'Subject: write the summary without "=?"' in text
    assert f'value="{summary}"' in text and 'value="Ann Lee"' in text


# Through the app: what the intake lets through arrives as built ----------------------------------

ACCEPTED = [
    {"subject": "[HIGH] Points: Bcc x@evil.test gets nothing ?= done", "name": 'Ann "Bob" O\'Brien, Jr.'},
    {
        "subject": "[MEDIUM] Überweisung der Punkte für Quizze schlägt fehl, Kurs Übung 12 (Moodle 4.1) " + "é" * 20,
        "name": "Zoë Ægir-Łukasz Ørsted Zoë Ægir-Łukasz Ørsted Zoë Ægir-Łukasz Ørsted",
    },
    {"subject": "[LOW] A = ? question mark ?= and =\u00a0? in the subject", "name": "Ann ; Bcc : x"},
    {"subject": "[HIGH] " + "Quiz points are missing for many learners again " * 2 + "now", "name": ""},
]


@pytest.mark.parametrize("typed", ACCEPTED)
def test_values_the_intake_accepts_arrive_at_the_smtp_server_as_built(kb_dir, kb_index, tmp_path, smtp_server, typed):
    settings = {"DEFLECT_SMTP_URL": smtp_server.url}
    app = make_app(kb_dir, tmp_path / "var", kb_index, **settings)
    client = app.test_client()
    first = client.post("/api/requests", json=api_body(**typed))
    assert first.status_code == 428, first.get_json()
    reply = client.post("/api/requests", json=api_body(**typed, deflect_token=first.get_json()["deflect_token"]))
    assert reply.status_code == 201, reply.get_json()
    deliver(app.extensions["deflect_store"], settings)
    assert sorted(r.rcpt_tos[0] for r in smtp_server.received) == ["admin@springfield.example", SUPPORT]
    for received in smtp_server.received:
        for _, message in readings(received.data):
            names = [name.lower() for name in message.keys()]
            assert set(names) <= BUILT and len(names) == len(set(names))
            assert [a for _, a in email.utils.getaddresses(message.get_all("To", []))] == received.rcpt_tos
            assert message.get_content_type() == "text/plain" and not message.is_multipart()
    [support] = smtp_server.to(SUPPORT)
    assert support.message["Subject"] == " ".join(typed["subject"].split())
