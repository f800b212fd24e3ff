"""Issue 9, no relay: the form cannot be used to mail anyone anything.

A confirmation carries no text the customer typed; a search-step token files one request, on the
form it was issued for, even when two filings race in two threads or two processes; and at most
DEFLECT_CONFIRMATIONS_PER_ADDRESS confirmations per mailbox and DEFLECT_CONFIRMATIONS_PER_HOUR in
all go out in an hour, however many client addresses file. What is over a cap is filed and sent to
support all the same; the customer and support are told no confirmation was sent.
"""

from __future__ import annotations

import email
import email.policy
import html
import os
import re
import subprocess
import sys
import threading

import pytest

from deflect.delivery.channels import senders_for
from deflect.delivery.outbox import deliver_pending
from deflect.store.model import ConfirmationCap, TokenAlreadyUsed
from tests.delivery_fixtures import ROOT
from tests.helpers import GOOD_FIELDS, SupportActions, hidden, local, make_app

SUPPORT = "support@orbit-rewards.example"
SUBJECT = "[HIGH] Students not receiving points for quiz completions"
TYPED = {  # what a customer (or an attacker) types: none of it may reach the address they give
    "name": "Wilhelmina Quarterstaff",
    "summary": "Zebra balloons vanish from the quiz ledger",
    "problem_summary": "Visit https://evil.test/prize to claim the zebra balloons, learners of course 123.",
    "steps_to_reproduce": "1. Open https://evil.test/win in course 123\n2. Type the balloon code\n3. Nothing",
    "expected_result": "Learners get 25 balloon points for the quiz, as the zebra rule says.",
    "actual_result": "Nothing is awarded and the zebra log shows no error at all, ever.",
    "impact": "About 200 learners in three zebra courses are missing points.",
    "organisation": "Quarterstaff Balloon Academy",
    "lms_version": "Moodle 4.1, zebra plugin 3.2.0",
}


@pytest.fixture
def mail_app(kb_dir, kb_index, tmp_path, smtp_server):
    """An app whose mail goes to a real SMTP server; `deliver()` runs the outbox once."""

    def build(**config):
        app = make_app(kb_dir, tmp_path / "var", kb_index, DEFLECT_SMTP_URL=smtp_server.url, **config)
        app.deliver = lambda: deliver_pending(
            app.extensions["deflect_store"], senders_for({"DEFLECT_SMTP_URL": smtp_server.url})
        )
        return app

    return build


def api_body(form: str = "problem", subject: str = SUBJECT, email_address: str = "admin@springfield.example", **extra):
    return dict({"form": form, "subject": subject, "email": email_address, "fields": dict(GOOD_FIELDS[form])}, **extra)


def api_file(client, body: dict, client_address: str = "127.0.0.1"):
    """The search step (428), then the request with its token, from one client address."""
    environ = {"REMOTE_ADDR": client_address}
    first = client.post("/api/requests", json=body, environ_base=environ)
    assert first.status_code == 428, first.get_json()
    return client.post(
        "/api/requests", json=dict(body, deflect_token=first.get_json()["deflect_token"]), environ_base=environ
    )


def confirmations(smtp_server, address: str):
    return [r for r in smtp_server.received if r.rcpt_tos == [address]]


def visible(data: bytes) -> str:
    """Everything a mail program shows of a message: decoded headers and the decoded body."""
    message = email.message_from_bytes(data, policy=email.policy.default)
    headers = "\n".join(f"{name}: {value}" for name, value in message.items())
    return headers + "\n" + message.get_content() + "\n" + data.decode("utf-8", "replace")


# The confirmation carries no requester text ---------------------------------------------------------


def test_no_confirmation_contains_anything_the_customer_typed(mail_app, smtp_server):
    app = mail_app()
    client = app.test_client()
    support = SupportActions(client)
    page = support.open_form(q=TYPED["summary"])
    fields = {k: v for k, v in TYPED.items() if k not in ("summary", "name")}
    sent = client.post(
        "/problem/request",
        data=support.form_data(
            page, summary=TYPED["summary"], name=TYPED["name"], email="html@springfield.example", **fields
        ),
    )
    assert sent.status_code == 303
    shown = html.unescape(client.get(local(sent.headers["Location"])).get_data(as_text=True))
    body = api_body(
        subject=f"[HIGH] {TYPED['summary']}",
        email_address="api@springfield.example",
        name=TYPED["name"],
        fields=dict(GOOD_FIELDS["problem"], **fields),
    )
    assert api_file(client, body).status_code == 201
    app.deliver()
    for address in ("html@springfield.example", "api@springfield.example"):
        [confirmation] = confirmations(smtp_server, address)
        seen = visible(confirmation.data)
        for typed in TYPED.values():
            for part in typed.splitlines():
                assert part not in seen, f"{part!r} reached {address}"
        assert "evil.test" not in seen and "zebra" not in seen.lower() and "Quarterstaff" not in seen
        message = confirmation.message
        assert message["To"] == address  # no display name
        case = re.fullmatch(r"\[(OLR-\d{4}-\d{6})\] We received your request", message["Subject"]).group(1)
        assert f"Your case number is {case}" in message.get_content() and "8 support hours" in message.get_content()
    for support_copy in smtp_server.to(SUPPORT):  # the full request stays in the support copy
        assert TYPED["actual_result"] in support_copy.message.get_content()
    assert TYPED["impact"] in shown and TYPED["summary"] in shown  # and on the confirmation page


# One token files one request, on its own form ------------------------------------------------------


def test_a_token_files_one_request_and_a_second_use_gets_a_fresh_token(app, client):
    first = client.post("/api/requests", json=api_body())
    token = first.get_json()["deflect_token"]
    assert client.post("/api/requests", json=api_body(deflect_token=token)).status_code == 201
    again = client.post("/api/requests", json=api_body(deflect_token=token))
    data = again.get_json()
    assert again.status_code == 428
    assert "already used" in data["message"] and "OLR-" in data["message"]
    assert data["suggestions"] and data["deflect_token"] != token
    assert len(app.extensions["deflect"].store.list_requests()) == 1
    assert client.post("/api/requests", json=api_body(deflect_token=data["deflect_token"])).status_code == 201


def test_the_html_form_sent_twice_files_once_and_comes_back_filled_with_a_notice(app, client, support):
    page = support.open_form()
    data = support.form_data(page, name="Ann Lee")
    assert client.post("/problem/request", data=data).status_code == 303
    again = client.post("/problem/request", data=data)
    text = html.unescape(again.get_data(as_text=True))
    assert again.status_code == 428
    assert "This form was already sent: it became case OLR-" in text
    assert 'value="Ann Lee"' in text and GOOD_FIELDS["problem"]["actual_result"] in text
    assert hidden(again.get_data(as_text=True))["deflect_token"] != data["deflect_token"]
    assert len(app.extensions["deflect"].store.list_requests()) == 1
    fresh = dict(data, deflect_token=hidden(again.get_data(as_text=True))["deflect_token"])
    assert client.post("/problem/request", data=fresh).status_code == 303  # on purpose: a second request


def test_a_token_for_one_form_does_not_file_another(app, client, support):
    token = client.post("/api/requests", json=api_body()).get_json()["deflect_token"]
    question = api_body("question", subject=SUBJECT.replace("[HIGH]", "[QUESTION]"), deflect_token=token)
    reply = client.post("/api/requests", json=question)
    assert reply.status_code == 428 and reply.get_json()["deflect_token"] != token
    page = support.open_form("problem")
    data = dict(support.form_data(page, "question", tag="QUESTION"))
    sent = client.post("/question/request", data=data)
    assert sent.status_code == 428 and "please check these articles" in sent.get_data(as_text=True)
    assert app.extensions["deflect"].store.list_requests() == []


def test_two_threads_racing_with_one_token_file_one_request(app):
    token = app.test_client().post("/api/requests", json=api_body()).get_json()["deflect_token"]
    start, answers = threading.Barrier(4), []

    def post():
        client = app.test_client()
        start.wait()
        answers.append(client.post("/api/requests", json=api_body(deflect_token=token)).status_code)

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(answers) == [201, 428, 428, 428]
    assert len(app.extensions["deflect"].store.list_requests()) == 1


RACER = """
import os, sys, time
from pathlib import Path
from deflect.store.factory import store_for
from deflect.store.model import ConfirmationCap, TokenAlreadyUsed
go, mode, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
store = store_for(os.environ)  # the data dir's SQLite file, or DEFLECT_DATABASE_URL's database
while not go.exists():
    time.sleep(0.002)
for number in range(count):
    cap = ConfirmationCap("ann@springfield.example", 3, 1000) if mode == "caps" else None
    try:
        store.file_request(prefix="OLR", digits=6, form="problem", subject="[HIGH] x", email="ann@springfield.example",
                           data={}, token="one-token" if mode == "token" else None, confirmation=cap,
                           outbox=(lambda case, confirmation: print(confirmation, flush=True) or []) if cap else (lambda case: []))
        print("filed", flush=True)
    except TokenAlreadyUsed as used:
        print("used", used.case_number, flush=True)
"""


def race(tmp_path, store_settings: dict, mode: str, processes: int, count: int) -> list[str]:
    """Start processes filing into one store at the same moment; return every line they printed."""
    go = tmp_path / "go"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEFLECT_")} | store_settings
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", RACER, str(go), mode, str(count)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    go.touch()
    outputs = [racer.communicate(timeout=120) for racer in racers]
    assert [racer.returncode for racer in racers] == [0] * processes, [err for _, err in outputs]
    return [line for out, _ in outputs for line in out.splitlines()]


def test_processes_racing_with_one_token_file_one_request(tmp_path, store_settings, stores):
    store = stores(store_settings)  # migrated before the race
    lines = race(tmp_path, store_settings, "token", processes=3, count=4)
    [filed] = store.list_requests()
    assert lines.count("filed") == 1 and lines.count(f"used {filed['case_number']}") == 11


def test_the_store_refuses_a_used_token_inside_the_filing_transaction(store):
    store.file_request(
        prefix="OLR", digits=6, form="problem", subject="[HIGH] x", email="a@b.example", data={}, token="t-1"
    )
    with pytest.raises(TokenAlreadyUsed) as used:
        store.file_request(
            prefix="OLR",
            digits=6,
            form="problem",
            subject="[HIGH] y",
            email="a@b.example",
            data={},
            token="t-1",
            outbox=lambda case: [("support", {"x": 1})],
        )
    assert used.value.case_number.endswith("000001")
    assert len(store.list_requests()) == 1 and store.list_outbox() == []  # nothing of the second is kept


# Confirmation caps ---------------------------------------------------------------------------------


def test_ten_filings_to_one_mailbox_are_all_filed_but_get_at_most_the_cap_of_confirmations(mail_app, smtp_server):
    app = mail_app()  # DEFLECT_CONFIRMATIONS_PER_ADDRESS: 5 by default
    client = app.test_client()
    addresses = ["victim@springfield.example"] * 6 + [
        "victim+1@springfield.example",
        "Victim+two@Springfield.example",
        "VICTIM@springfield.example",
        "victim+3@springfield.example",
    ]
    answers = [
        api_file(client, api_body(email_address=a), client_address=f"10.0.0.{n}").get_json()
        for n, a in enumerate(addresses, start=1)
    ]
    assert [a["confirmation"] for a in answers] == ["sent"] * 5 + ["skipped"] * 5
    assert "no confirmation email" in answers[-1]["confirmation_message"]
    assert "filed all the same" in answers[-1]["confirmation_message"]
    app.deliver()
    assert len(app.extensions["deflect"].store.list_requests()) == 10
    supports = smtp_server.to(SUPPORT)
    assert len(supports) == 10
    assert len([r for r in smtp_server.received if r.rcpt_tos != [SUPPORT]]) == 5
    skipped = {a["case"] for a in answers[5:]}
    for copy in supports:
        said = copy.message.get_content()
        case = copy.message["X-Deflect-Case"]
        if case in skipped:
            assert "Confirmation: not sent: this mailbox had already had the most confirmations" in said
            assert "DEFLECT_" not in said  # issue 12: support agents read it; the log names the setting
        else:
            assert "Confirmation: sent to the customer" in said


def test_the_hourly_cap_holds_across_many_addresses_and_clients(mail_app, smtp_server):
    app = mail_app(DEFLECT_CONFIRMATIONS_PER_HOUR="3")
    client = app.test_client()
    answers = [
        api_file(client, api_body(email_address=f"person{n}@example.org"), client_address=f"10.1.0.{n}")
        for n in range(6)
    ]
    assert [a.status_code for a in answers] == [201] * 6
    assert [a.get_json()["confirmation"] for a in answers] == ["sent"] * 3 + ["skipped"] * 3
    app.deliver()
    assert len(smtp_server.to(SUPPORT)) == 6 and len(smtp_server.received) == 9
    said = smtp_server.to(SUPPORT)[-1].message.get_content()
    assert "the most confirmations we send in an hour had already gone out" in said and "DEFLECT_" not in said


def test_processes_sharing_the_store_send_exactly_the_cap(tmp_path, store_settings, stores):
    stores(store_settings)  # migrated before the race
    lines = race(tmp_path, store_settings, "caps", processes=2, count=8)  # per-address cap 3 in RACER
    assert lines.count("filed") == 16
    assert lines.count("sent") == 3 and lines.count("address-cap") == 13


def test_the_confirmation_page_says_when_no_confirmation_was_sent(mail_app, smtp_server):
    app = mail_app(DEFLECT_CONFIRMATIONS_PER_ADDRESS="0")
    client = app.test_client()
    support = SupportActions(client)
    sent = support.file()
    page = html.unescape(client.get(local(sent.headers["Location"])).get_data(as_text=True))
    assert "We sent no confirmation email this time" in page and "keep your case number" in page
    assert "A confirmation is on its way" not in page
    app.deliver()
    assert [r.rcpt_tos for r in smtp_server.received] == [[SUPPORT]]


def test_which_cap_held_a_confirmation_back_is_the_operators_fact_in_the_log(mail_app, caplog):
    """Issue 12: the customer and support are told in plain words; the log names the setting."""
    app = mail_app(DEFLECT_CONFIRMATIONS_PER_ADDRESS="0")
    with caplog.at_level("WARNING", logger="deflect.web.accept"):
        case = api_file(app.test_client(), api_body()).get_json()["case"]
    assert f"{case} filed without a confirmation email: this mailbox reached DEFLECT_CONFIRMATIONS_PER_ADDRESS" in (
        caplog.text
    )


def test_without_a_mail_server_the_log_says_where_the_emails_go_and_the_customer_is_promised_none(
    kb_dir, kb_index, tmp_path, caplog
):
    with caplog.at_level("WARNING", logger="deflect.delivery.channels"):
        app = make_app(kb_dir, tmp_path / "var", kb_index)
    assert f"DEFLECT_SMTP_URL is not set), so the emails are written as .eml files to {tmp_path / 'var' / 'mail'}" in (
        caplog.text
    )
    answer = api_file(app.test_client(), api_body()).get_json()
    assert answer["confirmation"] == "skipped" and "sends no confirmation emails" in answer["confirmation_message"]


@pytest.mark.parametrize("value", ["many", "-1", "2.5", "５"])
def test_a_wrong_cap_stops_the_app_naming_the_setting_and_the_fix(kb_dir, kb_index, tmp_path, value):
    with pytest.raises(ValueError, match="DEFLECT_CONFIRMATIONS_PER_HOUR=.*write a whole number"):
        make_app(kb_dir, tmp_path / "var", kb_index, DEFLECT_CONFIRMATIONS_PER_HOUR=value)


def test_a_confirmation_cap_counts_the_last_hour_only(store):
    import datetime as dt

    cap = ConfirmationCap("ann@springfield.example", 1, 100)
    decided = []

    def file(now):
        store.file_request(
            prefix="OLR",
            digits=6,
            form="problem",
            subject="[HIGH] x",
            email="a",
            data={},
            now=now,
            confirmation=cap,
            outbox=lambda case, confirmation: decided.append(confirmation) or [],
        )

    start = dt.datetime(2026, 3, 3, 10, 0, tzinfo=dt.UTC)
    for minutes in (0, 30, 61):
        file(start + dt.timedelta(minutes=minutes))
    assert decided == ["sent", "address-cap", "sent"]


def test_an_address_no_email_can_carry_is_filed_and_the_customer_and_support_are_told(mail_app, smtp_server):
    app = mail_app()
    reply = api_file(app.test_client(), api_body(email_address="jörg@springfield.example"))
    data = reply.get_json()
    assert reply.status_code == 201 and data["confirmation"] == "skipped"
    assert "We cannot send email to this address" in data["confirmation_message"]
    app.deliver()
    [copy] = smtp_server.received
    assert copy.rcpt_tos == [SUPPORT]
    assert "Confirmation: not sent: the address cannot be written in an email header" in copy.message.get_content()
