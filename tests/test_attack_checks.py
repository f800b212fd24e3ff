"""The attack script's own checks catch what they must (else its CI sample would pass for nothing).

The mail check is given real messages as deflect builds them, then the same with a header line, a
recipient or an HTML part slipped in; the page check, a page that shows markup and one that escapes it.
"""

from __future__ import annotations

import pytest

from benchmarks.attack import answer_findings
from benchmarks.attack_client import Answer
from benchmarks.attack_inputs import MARKERS, Probe
from benchmarks.attack_mail import header_lines, inspect
from deflect.delivery.channels import outbox_messages
from deflect.policy.reader import load_policy
from tests.delivery_fixtures import ROOT, sample_record

POLICY = load_policy(ROOT / "kb" / "support.yml")
ROUTES = {"support@orbit-rewards.example"}
TYPED = "ann.lee@springfield.example"


def built(channel: str) -> tuple[bytes, list[str]]:
    """A message of the sample request as deflect builds it, and its envelope recipients."""
    record = sample_record(case_number="OLR-2026-000123", created_at="2026-03-03T10:15:00+00:00")
    payload = dict(outbox_messages(record, POLICY, {}))[channel]
    return payload["message"].encode(), payload["to"]


def expected() -> set[str]:
    return {name.strip().lower() for channel in ("support", "customer") for name, _ in header_lines(built(channel)[0])}


def findings(data: bytes, rcpt_tos: list[str]) -> list:
    return inspect(data, rcpt_tos, expected(), lambda case: ROUTES | {TYPED})


def slipped_in(data: bytes, line: bytes) -> bytes:
    """The message with one more header line right after its Subject."""
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    at = next(i for i, text in enumerate(lines) if text.lower().startswith(b"subject:")) + 1
    return b"\r\n".join(lines[:at] + [line] + lines[at:]) + b"\r\n\r\n" + body


@pytest.mark.parametrize("channel", ["support", "customer"])
def test_a_message_as_deflect_builds_it_passes(channel):
    assert findings(*built(channel)) == []


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        (b"Bcc: victim@evil.test", "recipient"),
        (b"Bcc: victim@evil.test", "header"),
        (b"Reply-To: victim@evil.test", "recipient"),
        (b"Subject: a second subject", "header"),
        (b"X-Priority: 1", "header"),
        (b"Content-Type: text/html", "mime"),
        (b"Comments: =?utf-8?q?a=0D=0ABcc=3A_victim=40evil=2Etest?=", "header"),
    ],
)
def test_a_header_line_input_added_is_caught(line, kind):
    data, rcpt_tos = built("support")
    assert kind in {f.kind for f in findings(slipped_in(data, line), rcpt_tos)}


def test_a_recipient_nobody_typed_is_caught_in_the_envelope_too():
    data, rcpt_tos = built("customer")
    [found] = findings(data, [*rcpt_tos, "victim@evil.test"])
    assert found.kind == "recipient" and "victim@evil.test" in found.detail and found.case == "OLR-2026-000123"


def test_an_html_part_is_caught():
    data, rcpt_tos = built("customer")
    data = data.replace(b"Content-Type: text/plain", b"Content-Type: text/html")
    assert "mime" in {f.kind for f in findings(data, rcpt_tos)}


def page(body: str) -> Answer:
    return Answer(200, 0.01, {"content-type": ["text/html; charset=utf-8"]}, body.encode())


@pytest.mark.parametrize("marker", MARKERS)
def test_a_page_that_shows_markup_as_sent_is_caught_and_an_escaped_one_is_not(marker):
    probe = Probe("GET /support/thanks", "GET", b"/support/thanks")
    assert [f.kind for f in answer_findings(probe, page(f"<p>{marker}</p>"), "input")] == ["markup"]
    escaped = marker.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    assert answer_findings(probe, page(f"<p>{escaped}</p>"), "input") == []


def test_500s_slow_answers_and_silence_are_caught():
    probe = Probe("GET /support/api/suggest", "GET", b"/support/api/suggest?q=x")
    assert [f.kind for f in answer_findings(probe, Answer(500, 0.1), "input")] == ["500"]
    assert [f.kind for f in answer_findings(probe, Answer(200, 2.5), "input")] == ["slow"]
    assert [f.kind for f in answer_findings(probe, Answer(None, 0.1, error="reset"), "input")] == ["no answer"]


def test_a_reproducer_file_holds_the_probe_byte_for_byte():
    probe = Probe(
        "POST /support/<form>/request",
        "POST",
        b"/support/problem/request?\xff\r\n",
        [(b"X-Odd", b"\x00\xfe")],
        b"\xed\xa0\x80 body",
        step="form",
        form="problem",
        fields=[(b"name", "Ann \u202e".encode())],
        tokens=("csrf_token",),
        typed_emails=("a@b.test",),
    )
    assert Probe.from_json(probe.to_json()) == probe
