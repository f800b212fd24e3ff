"""The support email and the confirmation: subject, headers, sections in order, no header injection."""

from __future__ import annotations

import email
import email.policy

import pytest
from hypothesis import given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from deflect.delivery import messages
from deflect.delivery.channels import outbox_messages
from deflect.policy.reader import load_policy
from tests.delivery_fixtures import ROOT, SECTIONS, sample_record

POLICY = load_policy(ROOT / "kb" / "support.yml")

SUPPORT_HEADERS = {
    "from",
    "date",
    "message-id",
    "to",
    "subject",
    "reply-to",
    "x-deflect-case",
    "content-type",
    "content-transfer-encoding",
    "mime-version",
}
CUSTOMER_HEADERS = {
    "from",
    "date",
    "message-id",
    "to",
    "subject",
    "reply-to",
    "references",
    "auto-submitted",
    "content-type",
    "content-transfer-encoding",
    "mime-version",
}
ORDER = [
    "Problem summary",
    "Steps to reproduce",
    "Expected result",
    "Actual result",
    "Environment",
    "Impact",
    "LMS and version",
    "Organisation",
    "Plan",
    "Came from article",
    "Articles shown",
    "Response due",
    "Resolution due",
]


def entries(policy, **overrides) -> dict:
    record = sample_record(case_number="OLR-2026-000123", created_at="2026-03-03T10:15:00+00:00", **overrides)
    return dict(outbox_messages(record, policy, {}))


def parse(payload: dict) -> email.message.EmailMessage:
    return email.message_from_string(payload["message"], policy=email.policy.default)


def text(message: email.message.EmailMessage) -> str:
    """Return the plain-text body with its line ends as Python writes them."""
    return message.get_content().replace("\r\n", "\n")


def positions(body: str, labels: list[str]) -> list[int]:
    """Return where each `Label:` starts in a body (a label that is missing fails the test)."""
    found = []
    for label in labels:
        at = body.find("\n" + label)
        assert at >= 0, f"section {label!r} missing from:\n{body}"
        found.append(at)
    return found


def test_support_message_has_the_agreed_shape(policy):
    message = parse(entries(policy)["support"])
    assert message["Subject"] == "[HIGH] Students not receiving points for quiz completions"
    assert message["Reply-To"].addresses[0].addr_spec == "ann.lee@springfield.example"
    assert message["Message-ID"] == "<OLR-2026-000123.support@orbit-rewards.example>"
    assert message["To"] == "support@orbit-rewards.example"
    body = text(message)
    assert positions(body, ORDER) == sorted(positions(body, ORDER))
    for _, _, value in SECTIONS[:-1]:
        assert value in body
    assert "Plan: Standard" in body and "Moodle plugin set-up (integrations/moodle/)" in body
    assert "(8 support hours)" in body and "(24 support hours)" in body  # issue 12: support hours, not hours


def test_six_sections_come_first_whatever_the_form_order(policy):
    fields = [{"id": i, "label": label, "value": value} for i, label, value in reversed(SECTIONS)]
    body = text(parse(entries(policy, fields=fields)["support"]))
    assert positions(body, ORDER) == sorted(positions(body, ORDER))


@pytest.mark.parametrize(
    ("overrides", "to"),
    [
        (
            {"subject": "[CRITICAL] Nothing awarded anywhere", "tag": "CRITICAL", "priority": "critical"},
            "urgent@orbit-rewards.example",
        ),
        ({"form": "feature-request"}, "product@orbit-rewards.example"),
        ({"plan": "enterprise"}, "priority@orbit-rewards.example"),
        ({}, "support@orbit-rewards.example"),
    ],
)
def test_routes_pick_the_department(policy, overrides, to):
    payload = entries(policy, **overrides)["support"]
    assert payload["to"] == [to] and parse(payload)["To"] == to


def test_confirmation_quotes_case_targets_and_how_to_escalate_but_nothing_typed(policy):
    """Issue 9: the confirmation goes to an unverified address, so it carries none of the request's text."""
    payload = entries(policy)["customer"]
    message = parse(payload)
    assert payload["to"] == ["ann.lee@springfield.example"]
    assert message["Subject"] == "[OLR-2026-000123] We received your request"
    assert message["To"] == "ann.lee@springfield.example"  # no display name: the name is the customer's text
    assert message["Message-ID"] == "<OLR-2026-000123.customer@orbit-rewards.example>"
    assert message["Auto-Submitted"] == "auto-generated"
    body = text(message)
    assert "Your case number is OLR-2026-000123" in body
    assert "8 support hours" in body and "reply quoting OLR-2026-000123" in body
    assert "Executive escalation" in body
    for typed in ["Ann Lee", "Students not receiving points"] + [value for _, _, value in SECTIONS]:
        assert typed not in body


def test_webhook_entry_only_when_configured(policy):
    record = sample_record(case_number="OLR-2026-000001")
    assert [c for c, _ in outbox_messages(record, policy, {})] == ["support", "customer"]
    with_hook = outbox_messages(record, policy, {"DEFLECT_WEBHOOK_URL": "http://127.0.0.1:9/x"})
    assert [c for c, _ in with_hook] == ["support", "customer", "webhook"]


INJECTIONS = [
    {"subject": "[HIGH] Points\r\nBcc: everyone@evil.example"},
    {"subject": "[HIGH] Points\nX-Priority: 1\n\nfake body"},
    {"subject": "[HIGH] Points\rContent-Type: text/html"},
    {"name": "Ann\r\nBcc: everyone@evil.example"},
    {"name": "Eve <eve@evil.example>, Bcc: x@evil.example"},
    {"name": '"Ann" <ann@x>\nReply-To: eve@evil.example'},
    {"email": "ann@springfield.example\r\nBcc: everyone@evil.example"},
    {"email": "ann@springfield.example, eve@evil.example"},
    {"email": "Bcc: eve@evil.example"},
]


@pytest.mark.parametrize("overrides", INJECTIONS)
def test_no_input_adds_a_header(policy, overrides):
    found = entries(policy, **overrides)
    support = parse(found["support"])
    assert {k.lower() for k in support.keys()} <= SUPPORT_HEADERS
    assert len(support.keys()) == len(set(support.keys()))
    assert "\n" not in support["Subject"] and "\r" not in support["Subject"]
    assert "evil.example" not in " ".join(found["support"]["to"])
    if "customer" in found:
        customer = parse(found["customer"])
        assert {k.lower() for k in customer.keys()} <= CUSTOMER_HEADERS
        assert found["customer"]["to"] == ["ann.lee@springfield.example"]
        assert [a.addr_spec for a in customer["To"].addresses] == ["ann.lee@springfield.example"]
    assert [a.addr_spec for a in (support["Reply-To"].addresses if support["Reply-To"] else [])] in (
        ["ann.lee@springfield.example"],
        [],
    )


def test_unusable_email_gets_no_reply_to_and_no_confirmation(policy):
    found = entries(policy, email="ann@springfield.example\r\nBcc: everyone@evil.example")
    assert "customer" not in found
    assert parse(found["support"])["Reply-To"] is None


READABLE = st.characters(codec="utf-8", categories=("L", "N", "P", "S", "Zs", "Cc"))


@hyp_settings(max_examples=100, deadline=None)
@given(subject=st.text(READABLE, max_size=200), name=st.text(READABLE, max_size=80))
def test_any_subject_and_name_stay_in_their_headers(subject, name):
    """Whatever is typed (line breaks and control characters included), the header set is fixed."""
    record = sample_record(case_number="OLR-2026-000009", subject="[HIGH] " + subject, name=name)
    message = messages.support_message(record, POLICY, "support@orbit-rewards.example")
    parsed = email.message_from_string(messages.serialize(message), policy=email.policy.default)
    assert {k.lower() for k in parsed.keys()} == SUPPORT_HEADERS
    # The subject reads back exactly; in a display name the standard library may move a space when
    # it folds long encoded words (harmless: it is only a name).
    assert parsed["Subject"] == messages.header_text("[HIGH] " + subject)
    assert "".join(parsed["Reply-To"].addresses[0].display_name.split()) == "".join(messages.header_text(name).split())


@pytest.mark.parametrize(
    "subject",
    [
        "[HIGH] " + "Students not receiving points for quiz completions " * 2 + "in three courses at once",
        "[MEDIUM] Punkte für Quizze kommen bei Schülerinnen nicht an, Kurs Übung 12 (Moodle 4.1)",
        "[LOW] Typo in the learner dashboard: a colon: and a long line like this",
        "[MEDIUM] Überweisung der Punkte für Quizze schlägt fehl, bitte prüfen Sie das",
    ],
)
def test_subject_arrives_exactly_as_composed(policy, subject):
    assert parse(entries(policy, subject=subject)["support"])["Subject"] == subject


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("plain", "plain"),
        ("two\r\nlines", "two lines"),
        ("tab\tand\x00nul", "tab and nul"),
        ("  spaced   out  ", "spaced out"),
        ("line\u2028separator", "line separator"),
    ],
)
def test_header_text(value, expected):
    assert messages.header_text(value) == expected


def test_article_links_are_absolute_when_the_site_address_is_known(policy):
    record = sample_record(case_number="OLR-2026-000123")
    found = dict(outbox_messages(record, policy, {"DEFLECT_SITE_URL": "https://help.orbit-rewards.example/"}))
    body = text(parse(found["support"]))
    assert "Came from article: https://help.orbit-rewards.example/troubleshooting/points-not-awarded/" in body
    assert "(https://help.orbit-rewards.example/integrations/moodle/)" in body
    assert "Came from article: troubleshooting/points-not-awarded/" in text(parse(entries(policy)["support"]))


def test_an_address_with_an_international_domain_gets_its_confirmation(policy):
    """The form accepts `ann@bücher.example`; the headers and the envelope carry its ASCII (IDNA) form."""
    found = entries(policy, email="ann@bücher.example")
    assert found["customer"]["to"] == ["ann@xn--bcher-kva.example"]
    raw_to = next(line for line in found["customer"]["message"].splitlines() if line.startswith("To:"))
    assert raw_to == "To: ann@xn--bcher-kva.example"
    assert parse(found["support"])["Reply-To"].addresses[0].addr_spec == "ann@xn--bcher-kva.example"


@pytest.mark.parametrize(
    "address",
    [
        "@springfield.example",
        "ann@springfield.",
        "ann@.example",
        "ann@a..example",
        "jörg@springfield.example",
        "ann@bad\u00a0host.example",
    ],
)
def test_an_address_that_cannot_be_written_in_a_header_gets_no_confirmation_and_no_error(policy, address):
    found = entries(policy, email=address)
    assert "customer" not in found
    assert parse(found["support"])["Reply-To"] is None
    assert " ".join(address.split()) in text(parse(found["support"]))  # support still sees what was typed


def test_the_confirmation_gives_the_due_times_in_support_hours_and_the_regions_zone(policy):
    """Issue 12: the page and both emails word a target the same way, with its due time in one zone."""
    customer = " ".join(text(parse(entries(policy)["customer"])).split())
    assert "answer within 8 support hours (by Tue 3 Mar 2026, 18:00 Europe/London)" in customer
    assert "resolve it within 24 support hours (by Thu 5 Mar 2026, 12:00 Europe/London)" in customer
    support = text(parse(entries(policy)["support"]))
    assert "Response due: Tue 3 Mar 2026, 18:00 Europe/London (8 support hours)" in support
    critical = dict(tag="CRITICAL", priority="critical", response_target="2 hours", resolution_target="8 hours")
    assert "within 2 hours (by" in " ".join(text(parse(entries(policy, **critical)["customer"])).split())


def test_the_support_copy_says_why_no_confirmation_went_out_without_naming_a_setting(policy):
    for state, said in (("address-cap", "one address in an hour"), ("hourly-cap", "in an hour had already gone out")):
        body = text(parse(entries(policy, confirmation=state)["support"]))
        assert "Confirmation: not sent: " in body and said in body and "DEFLECT_" not in body
