"""The deadlines of deflect's waitress server, with short timeouts: real sockets, the real server class.

Slow headers and slow bodies are cut; a client that is merely idle between requests, or that
sends a body steadily, is not.
"""

from __future__ import annotations

import socket
import threading
import time
from contextlib import contextmanager

import pytest

from deflect.web import http_server
from tests.slow_clients import raw_request, status_of


def echo_length(environ, start_response):
    """A WSGI app that says how many body bytes it got."""
    body = environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(str(len(body)))))])
    return [str(len(body)).encode()]


@contextmanager
def serving(monkeypatch, **limits):
    """A bounded server on a free port with these module limits, stopped afterwards."""
    for name, value in limits.items():
        monkeypatch.setattr(http_server, name, value)
    running = http_server.create_server(echo_length, "127.0.0.1", 0, threads=2, body_limit=10_000)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    try:
        yield running
    finally:
        running.task_dispatcher.shutdown()
        running.close()
        for channel in list(running.active_channels.values()):
            channel.close()
        thread.join(5)


@pytest.fixture
def server(monkeypatch):
    """1 s for headers, 2 s for a whole request, 3 s idle."""
    with serving(monkeypatch, HEADER_TIMEOUT=1, REQUEST_TIMEOUT=2, IDLE_TIMEOUT=3) as running:
        yield running


def connect(server) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.effective_port), timeout=10)


def closed_within(sock: socket.socket, seconds: float) -> bool:
    """True when the server closes the connection within `seconds` (nothing else arrives)."""
    sock.settimeout(seconds)
    try:
        return sock.recv(4096) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def test_headers_that_do_not_arrive_in_time_are_cut(server):
    with connect(server) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        started = time.monotonic()
        assert closed_within(sock, 5)
        assert time.monotonic() - started < 4


def test_trickling_header_bytes_does_not_keep_a_connection(server):
    with connect(server) as sock:
        started = time.monotonic()
        for byte in b"GET / HTTP/1.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa":
            try:
                sock.sendall(bytes([byte]))
            except OSError:
                break
            time.sleep(0.2)
            if time.monotonic() - started > 4:
                break
        assert closed_within(sock, 3)
        assert time.monotonic() - started < 4.5


def test_a_body_that_does_not_arrive_in_time_is_cut(server):
    with connect(server) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n")
        started = time.monotonic()
        for _ in range(20):
            try:
                sock.sendall(b"a")
            except OSError:
                break
            time.sleep(0.25)
        assert closed_within(sock, 3)
        assert 1.5 < time.monotonic() - started < 5


def test_a_steady_body_and_an_idle_keep_alive_connection_are_served(server):
    with connect(server) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
        for _ in range(10):
            sock.sendall(b"a" * 100)
            time.sleep(0.1)
        assert received(sock, b"\r\n\r\n1000").endswith(b"\r\n\r\n1000")
        time.sleep(1.8)  # idle between requests: under the idle timeout, longer than the header timeout
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert received(sock, b"\r\n\r\n0").endswith(b"\r\n\r\n0")


def received(sock, ending: bytes, limit: int = 4096) -> bytes:
    """What the server sent, up to `ending` (the head and the body may come in separate segments)."""
    data = b""
    while not data.endswith(ending) and len(data) < limit:
        chunk = sock.recv(limit)
        if not chunk:
            break
        data += chunk
    return data


def test_a_body_over_the_limit_is_refused_from_its_length(server):
    head = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10001\r\n\r\n"
    assert status_of(raw_request("127.0.0.1", server.effective_port, head, wait=3)) == 413


def test_a_silent_connection_is_closed_after_the_idle_timeout(server):
    with connect(server) as sock:
        started = time.monotonic()
        assert closed_within(sock, 8)
        assert 2 < time.monotonic() - started < 6


def test_near_the_connection_limit_silent_connections_make_way_for_new_clients_within_seconds(monkeypatch):
    """20 connections allowed, 20 silent ones open: the next client is served in seconds, not after IDLE_TIMEOUT."""
    with serving(monkeypatch, CONNECTION_LIMIT=20, IDLE_TIMEOUT=60, HEADER_TIMEOUT=60) as running:
        address = ("127.0.0.1", running.effective_port)
        hogs = [socket.create_connection(address, timeout=5) for _ in range(23)]
        try:
            for sock in hogs[20:]:
                sock.sendall(b"GET / HTTP/1.1\r\n")  # and a few slow ones waiting in the backlog
            started = time.monotonic()
            response = raw_request(*address, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", wait=15)
            assert status_of(response) == 200
            assert time.monotonic() - started < 6
        finally:
            for sock in hogs:
                sock.close()
