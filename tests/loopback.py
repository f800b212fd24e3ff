"""Real servers on 127.0.0.1 for the tests: an SMTP server (aiosmtpd) and a webhook receiver.

Both listen on a free loopback port and record what they receive. The SMTP server's port is chosen
before it starts, so it can be "down at filing time" and started later.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

from aiosmtpd.controller import Controller
from werkzeug.datastructures import Headers


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

    def __init__(self, server: SmtpServer):
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

    def start(self) -> SmtpServer:
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

    def wait_for(self, predicate, count: int = 1, timeout: float = 30) -> list[Received]:
        """The received messages matching `predicate`, once there are `count` of them."""
        deadline = time.monotonic() + timeout
        while True:
            found = [r for r in list(self.received) if predicate(r)]
            if len(found) >= count or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert len(found) >= count, (
            f"expected {count} message(s) within {timeout} s; the SMTP server got: "
            + "; ".join(f"{r.message['Subject']!r} to {r.rcpt_tos}" for r in self.received)
        )
        return found


@dataclass
class Hook:
    """One webhook call as the receiver saw it (header names are case-insensitive, as in HTTP)."""

    headers: Headers
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


def receiver_handler(receiver: WebhookReceiver):
    """The request handler class of a webhook receiver."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            receiver.calls.append(Hook(Headers(list(self.headers.items())), body))
            status = receiver.statuses.pop(0) if receiver.statuses else 200
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    return Handler
