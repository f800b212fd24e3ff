"""Real parts for the delivery tests: an SMTP server (aiosmtpd), a webhook receiver, a sample request.

Both servers listen on 127.0.0.1 on a free port, record what they receive, and stop themselves at
the end of the test. The SMTP server can be created stopped and started later ("down at filing").
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from deflect.delivery import outbox_messages
from deflect.policy import load_policy
from deflect.store import Store

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """Return a port nothing listens on now (aiosmtpd's controller cannot report one chosen by 0)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Received:
    """One message as the SMTP server took it."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> email.message.EmailMessage:
        return email.message_from_bytes(self.data, policy=email.policy.default)


class _Handler:
    """aiosmtpd handler: records accepted messages; scripted refusals and delays."""

    def __init__(self, server: "SmtpServer"):
        self.server = server

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.server.rcpt_seen.set()
        while self.server.hold.is_set():  # a client "in the middle of sending", for the kill tests
            await asyncio.sleep(0.02)
        if self.server.rcpt_reply:
            return self.server.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.server.delay:
            await asyncio.sleep(self.server.delay)
        if self.server.data_reply:
            return self.server.data_reply
        self.server.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 2.0.0 Message accepted for delivery"


class SmtpServer:
    """A real SMTP server on loopback whose port is known before it starts."""

    def __init__(self):
        self.port = free_port()
        self.received: list[Received] = []
        self.rcpt_reply: str | None = None
        self.data_reply: str | None = None
        self.delay = 0.0
        self.hold = threading.Event()  # while set, RCPT waits: the message is not accepted yet
        self.rcpt_seen = threading.Event()
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}?timeout=5"

    def start(self) -> "SmtpServer":
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port, ready_timeout=10)
        self._controller.start()
        return self

    def stop(self) -> None:
        self.hold.clear()
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def to(self, address: str) -> list[Received]:
        """Return the messages received for `address`."""
        return [r for r in self.received if address in r.rcpt_tos]

    def message_ids(self) -> list[str]:
        return [r.message["Message-ID"] for r in self.received]


@pytest.fixture
def smtp_server():
    """A running SMTP server on a free loopback port; `smtp_server.stop()` / `.start()` to script an outage."""
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def stopped_smtp_server():
    """An SMTP server whose port is chosen but which is not listening yet."""
    server = SmtpServer()
    yield server
    server.stop()


@dataclass
class Hook:
    """One webhook call as the receiver saw it."""

    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class WebhookReceiver:
    """An HTTP server that answers the scripted statuses in turn (then 200) and records each call."""

    statuses: list[int] = field(default_factory=list)
    calls: list[Hook] = field(default_factory=list)
    port: int = 0
    url: str = ""


def _receiver_handler(receiver: WebhookReceiver):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            receiver.calls.append(Hook(dict(self.headers.items()), body))
            status = receiver.statuses.pop(0) if receiver.statuses else 200
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass
    return Handler


@pytest.fixture
def webhook_receiver():
    """A real HTTP receiver on a free loopback port; set `.statuses` to script its answers."""
    receiver = WebhookReceiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _receiver_handler(receiver))
    receiver.port = server.server_address[1]
    receiver.url = f"http://127.0.0.1:{receiver.port}/hooks/deflect"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield receiver
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
def policy():
    return load_policy(ROOT / "kb" / "support.yml")


@pytest.fixture
def store(tmp_path):
    return Store(tmp_path / "deflect.sqlite3").migrate()


SECTIONS = [
    ("problem_summary", "Problem summary", "Students completed quizzes in Moodle but points are not being awarded."),
    ("steps_to_reproduce", "Steps to reproduce", "1. Student completes quiz in Course ID 123\n2. Quiz shows as completed\n3. No points"),
    ("expected_result", "Expected result", "Students receive 25 points for the quiz."),
    ("actual_result", "Actual result", "No points awarded, no error in webhook logs."),
    ("environment", "Environment", "Production"),
    ("impact", "Impact", "High - affects 200+ students in active courses"),
    ("lms", "LMS and version", "Moodle 4.1"),
    ("organisation", "Organisation", "Springfield University"),
    ("plan", "Plan", "standard"),
]


def sample_record(**overrides) -> dict:
    """Return a record shaped like the form's, for the 000 example request (no case number yet)."""
    record = {
        "form": "problem", "form_name": "Report a problem",
        "subject": "[HIGH] Students not receiving points for quiz completions", "tag": "HIGH",
        "summary": "Students not receiving points for quiz completions", "priority": "high", "plan": "standard",
        "email": "ann.lee@springfield.example", "name": "Ann Lee",
        "fields": [{"id": i, "label": label, "value": value} for i, label, value in SECTIONS],
        "from_page": "troubleshooting/points-not-awarded/",
        "shown_articles": [{"title": "Points are not awarded", "url": "troubleshooting/points-not-awarded/"},
                           {"title": "Moodle plugin set-up", "url": "integrations/moodle/"}],
        "response_target": "8 hours", "resolution_target": "24 hours",
        "response_due": "2026-03-03T18:00:00+00:00", "resolution_due": "2026-03-05T12:00:00+00:00",
        "guard": [], "region": "europe",
    }
    record.update(overrides)
    return record


def file_sample(store: Store, policy, settings: dict, **overrides) -> str:
    """File the sample request the way the app does: request and outbox in one transaction."""
    record = sample_record(**overrides)
    return store.file_request(
        prefix=policy.case_prefix, digits=policy.case_digits, form=record["form"], subject=record["subject"],
        email=record["email"], data=record,
        outbox=lambda case: outbox_messages(dict(record, case_number=case), policy, settings),
    )
