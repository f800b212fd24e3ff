"""`deflect serve` keeps answering under slow and greedy clients: real process, real sockets.

On main, 110 connections sending one header byte every 5 s took the server offline (waitress
stopped accepting at 100 connections and never closed them), and a 300 MB body was spooled to disk
before the app answered 413.
"""

from __future__ import annotations

import socket
import time
from urllib.parse import urlsplit

import pytest

from deflect.web import http_server
from tests.slow_clients import Slowloris, answer_time, forged_forwarded_statuses, raw_request, status_of


@pytest.fixture(scope="module")
def served(start_deflect, project_kb_copy, tmp_path_factory):
    server = start_deflect(project_kb_copy, tmp_path_factory.mktemp("slow-clients") / "var")
    address = urlsplit(server.url)
    server.host, server.port = address.hostname, address.port
    yield server
    assert server.stop() == 0, server.output()


def test_110_slow_connections_neither_stop_other_clients_nor_stay_open(served):
    attack = Slowloris(served.host, served.port, count=110, every=5).start()
    try:
        deadline = time.monotonic() + http_server.HEADER_TIMEOUT + 4
        timings = []
        while time.monotonic() < deadline:
            timings.append(answer_time(served.url + "support/healthz"))
            timings.append(answer_time(served.url))
            time.sleep(0.5)
        assert max(timings) < 2.0
        assert attack.sent >= 2, "the attack did not get going"
        # Each slow request is cut HEADER_TIMEOUT seconds after its first byte (checked every second).
        assert attack.closed_by_server() == 110
    finally:
        attack.stop()
    assert answer_time(served.url + "support/healthz") < 2.0


def test_a_300_mb_body_is_refused_from_its_length_before_any_of_it_is_sent(served):
    head = (
        b"POST /support/api/requests HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Content-Length: 300000000\r\n\r\n"
    )
    started = time.monotonic()
    response = raw_request(served.host, served.port, head, body=b"{" + b" " * 1000, wait=5)
    assert status_of(response) == 413
    assert time.monotonic() - started < 5


def test_a_body_just_over_the_apps_limit_gets_the_apps_own_413_in_json(served):
    body = b'{"form": "problem", "subject": "' + b"x" * 200_000 + b'"}'
    head = (
        b"POST /support/api/requests HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body)
    )
    response = raw_request(served.host, served.port, head, body)
    assert status_of(response) == 413 and b'"errors"' in response


def test_oversized_headers_are_refused(served):
    head = b"GET /support/healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * 40_000 + b"\r\n\r\n"
    assert status_of(raw_request(served.host, served.port, head)) == 431


def test_without_trusted_proxies_a_forged_forwarded_for_does_not_buy_a_fresh_bucket(served):
    """The server passes forwarding headers on; the app, trusting no proxy, ignores them."""
    statuses = forged_forwarded_statuses(served.port, "127.0.0.30")
    assert statuses.count(200) == 120 and statuses[-1] == 429


def test_a_request_without_a_body_that_expects_100_continue_is_answered(served):
    # waitress 3.0 alone sends "100 Continue" to such a request and then never answers it.
    head = b"GET /support/healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n"
    started = time.monotonic()
    response = raw_request(served.host, served.port, head, wait=5)
    assert status_of(response) == 200 and b"100 Continue" not in response
    assert time.monotonic() - started < 2


def test_a_body_sent_after_100_continue_is_still_read(served):
    body = b'{"page": "faq/accounts/reset-password/", "helpful": true}'
    head = (
        b"POST /support/api/feedback HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Expect: 100-continue\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(body)
    )
    with socket.create_connection((served.host, served.port), timeout=5) as sock:
        sock.sendall(head)
        assert sock.recv(100).startswith(b"HTTP/1.1 100 Continue")
        sock.sendall(body)
        response = b""
        while chunk := sock.recv(65536):
            response += chunk
    assert status_of(response) == 201
