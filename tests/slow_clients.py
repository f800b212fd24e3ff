"""Clients on real sockets for the tests of the server in front: slowloris, raw requests, clients
from loopback addresses of their own (127.0.0.2, ...) as different real clients."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
import urllib.request

HEADER = b"GET /support/healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slowloris\r\nX-Padding: " + b"a" * 200


class Slowloris:
    """`count` connections that each send one byte of a never-ending header every `every` seconds."""

    def __init__(self, host: str, port: int, count: int, every: float = 5.0, source: str = "127.0.0.1"):
        self.sockets = [
            socket.create_connection((host, port), timeout=5, source_address=(source, 0)) for _ in range(count)
        ]
        self.closed: set[int] = set()
        self.every, self.sent = every, 0
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._trickle, daemon=True)

    def start(self) -> Slowloris:
        self.thread.start()
        return self

    def _trickle(self) -> None:
        while not self.stopping.is_set() and self.sent < len(HEADER):
            for number, sock in enumerate(self.sockets):
                if number not in self.closed:
                    try:
                        sock.sendall(HEADER[self.sent : self.sent + 1])
                    except OSError:
                        self.closed.add(number)
            self.sent += 1
            self.stopping.wait(self.every)

    def closed_by_server(self) -> int:
        """How many of the connections the server has closed (read: end of stream or reset)."""
        for number, sock in enumerate(self.sockets):
            if number in self.closed:
                continue
            sock.setblocking(False)
            try:
                if sock.recv(4096) == b"":
                    self.closed.add(number)
            except BlockingIOError:
                pass  # still open, nothing to read
            except OSError:
                self.closed.add(number)
        return len(self.closed)

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(10)
        for sock in self.sockets:
            sock.close()


def answer_time(url: str, limit: float = 2.0) -> float:
    """Seconds a fresh connection takes to get `url` answered with 200; fails beyond `limit`."""
    started = time.monotonic()
    with urllib.request.urlopen(url, timeout=limit) as response:
        response.read()
        assert response.status == 200
    return time.monotonic() - started


def raw_request(
    host: str, port: int, head: bytes, body: bytes = b"", wait: float = 10.0, source: str = "127.0.0.1"
) -> bytes:
    """Send a request's head (and some body) on a fresh connection; return what came back in `wait` s."""
    with socket.create_connection((host, port), timeout=wait, source_address=(source, 0)) as sock:
        sock.sendall(head + body)
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
                if b"\r\n\r\n" in received and _complete(received):
                    break
        except (TimeoutError, ConnectionResetError):
            pass
        return received


def _complete(response: bytes) -> bool:
    """True once a response with a Content-Length has all of its body."""
    head, _, body = response.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(body) >= int(line.split(b":", 1)[1])
    return False


def status_of(response: bytes) -> int:
    """The status code of a raw HTTP response."""
    return int(response.split(b" ", 2)[1])


class Client:
    """An HTTP client on a loopback address of its own, with one keep-alive connection."""

    def __init__(self, port: int, source: str):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(source, 0))

    def request(self, method: str, path: str, body: dict | None = None, headers: dict | None = None):
        """Send; return (status, headers, body bytes)."""
        headers = dict(headers or {})
        data = json.dumps(body).encode() if body is not None else None
        if data is not None:
            headers["Content-Type"] = "application/json"
        self.connection.request(method, path, body=data, headers=headers)
        response = self.connection.getresponse()
        return response.status, response.headers, response.read()

    def close(self) -> None:
        self.connection.close()


def forged_forwarded_statuses(port: int, source: str, count: int = 121) -> list[int]:
    """The statuses of `count` searches from one loopback address, each claiming another address in
    X-Forwarded-For (what a client that bypasses the proxy sends to buy fresh limit buckets)."""
    direct = Client(port, source)
    try:
        return [
            direct.request(
                "GET", "/support/api/suggest?q=password", headers={"X-Forwarded-For": f"198.51.100.{n % 250}"}
            )[0]
            for n in range(count)
        ]
    finally:
        direct.close()
