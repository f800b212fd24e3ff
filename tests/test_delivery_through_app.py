"""End to end: a request filed through the running app reaches a real SMTP server on loopback."""

from __future__ import annotations

import html
import re
import time

import pytest

from deflect.policy.hours import in_words
from tests.helpers import SupportActions, local, make_app

CORE = ["problem_summary", "steps_to_reproduce", "expected_result", "actual_result", "environment", "impact"]


def wait_for(condition, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.fixture
def running_app(kb_dir, kb_index, tmp_path):
    """Build an app with its outbox worker running; the worker is stopped at the end."""
    made = []

    def build(**config):
        made.append(make_app(kb_dir, tmp_path / "var", kb_index, OUTBOX_WORKER=True, OUTBOX_INTERVAL=0.05, **config))
        return made[-1]

    yield build
    for app in made:
        app.extensions["deflect_outbox"].stop()


def file_through_the_form(app) -> tuple[str, str]:
    """Walk the customer's steps from an article; return the case number and the confirmation page."""
    client = app.test_client()
    support = SupportActions(client)
    page = support.open_form(**{"from": "troubleshooting/points-not-awarded/"})
    sent = client.post("/problem/request", data=support.form_data(page, name="Ann Lee"))
    assert sent.status_code == 303
    confirmation = client.get(local(sent.headers["Location"])).get_data(as_text=True)
    return re.search(r'id="case-number">([^<]+)<', confirmation).group(1), html.unescape(confirmation)


def test_request_arrives_at_the_smtp_server_in_the_agreed_shape(running_app, smtp_server):
    app = running_app(DEFLECT_SMTP_URL=smtp_server.url)
    case, page = file_through_the_form(app)
    assert "var/mail" not in page  # a mail server is configured: no note about files
    wait_for(lambda: len(smtp_server.received) >= 2)
    record = app.extensions["deflect_store"].get_request(case)
    [support] = [r for r in smtp_server.received if r.rcpt_tos != ["admin@springfield.example"]]
    message = support.message
    assert message["Subject"] == "[HIGH] Students not receiving points for quiz completions"
    assert [a.addr_spec for a in message["Reply-To"].addresses] == ["admin@springfield.example"]
    assert message["Message-ID"] == f"<{case}.support@orbit-rewards.example>"
    assert support.rcpt_tos == ["support@orbit-rewards.example"]
    body = message.get_content().replace("\r\n", "\n")
    fields = {f["id"]: f for f in record["fields"]}
    others = [i for i in fields if i not in CORE + ["organisation", "plan"]]
    labels = [fields[i]["label"] for i in CORE + others] + [
        "Organisation",
        "Plan",
        "Came from article",
        "Articles shown",
        "Response due",
        "Resolution due",
    ]
    at = [body.find("\n" + label) for label in labels]
    assert -1 not in at, body
    assert at == sorted(at), body
    assert "troubleshooting/points-not-awarded/" in body
    assert all(a["title"] in body for a in record["shown_articles"])
    assert f"({in_words(record['response_target'], 'business')})" in body  # "8 support hours"
    assert f"({in_words(record['resolution_target'], 'business')})" in body

    [confirmation] = smtp_server.to("admin@springfield.example")
    assert case in confirmation.message["Subject"]
    assert f"Your case number is {case}" in confirmation.message.get_content()
    time.sleep(0.3)
    assert len(smtp_server.received) == 2  # and nothing more


def test_without_a_mail_server_the_page_promises_no_email_names_no_path_and_the_emails_are_files(running_app, tmp_path):
    """Issue 12: where the emails go is the operator's fact (the log, `deflect outbox`), not the customer's."""
    app = running_app(DEFLECT_SMTP_URL=None)
    case, page = file_through_the_form(app)
    folder = tmp_path / "var" / "mail"
    assert str(folder) not in page and ".eml" not in page and "DEFLECT_" not in page
    assert "on its way" not in page and "keep your case number" in page
    wait_for(lambda: (folder / f"{case}.customer.eml").exists() and (folder / f"{case}.support.eml").exists())
